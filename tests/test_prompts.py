"""Prompt templates: strict, sandboxed, hashed, and snapshot-tested so wording changes show in review.

Set UPDATE_SNAPSHOTS=1 to rewrite tests/snapshots/ after an intended wording change (and add a
CHANGELOG entry).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from replydraft import errors
from replydraft.prompts import PromptLibrary, packaged_prompt_dir

SNAPSHOTS = Path(__file__).parent / "snapshots"
INTENTS = ["refill", "symptom", "results", "scheduling", "forms", "billing", "other"]
VARS = {
    "message": "Hi, I need a refill of my lisinopril. [PATIENT_NAME_1]",
    "thread": [{"from_patient": True, "text": "Earlier question"}],
    "facts": [
        {"id": "MedicationRequest/m1", "text": "Lisinopril 20 mg tablet, once daily; authored 6 months ago"}
    ],
    "urgency": "routine",
    "intent": "refill",
    "language": "en",
    "patient_name": "[PATIENT_NAME_1]",
    "max_words": 90,
}


def _check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8"), f"prompt wording changed: {name}"


@pytest.mark.parametrize("intent", INTENTS)
def test_every_intent_has_a_user_prompt_matching_its_snapshot(intent: str) -> None:
    rendered = PromptLibrary().render(f"{intent}.user", **VARS)
    assert "<patient_message>" in rendered.text and VARS["message"] in rendered.text
    _check_snapshot(f"{intent}.user", rendered.text)


def test_system_prompt_snapshot() -> None:
    rendered = PromptLibrary().render("draft.system", patient_name="[PATIENT_NAME_1]", max_words=90)
    assert "Address the patient as [PATIENT_NAME_1]." in rendered.text
    _check_snapshot("draft.system", rendered.text)


def test_patient_text_is_never_compiled() -> None:
    hostile = "{{ config }} {{ ''.__class__.__mro__ }} {% raw %}x{% endraw %}"
    rendered = PromptLibrary().render("other.user", **{**VARS, "message": hostile})
    assert hostile in rendered.text


def test_sandbox_blocks_unsafe_attribute_access(tmp_path: Path) -> None:
    (tmp_path / "other.user.j2").write_text("{{ message.__class__.__mro__ }}")
    with pytest.raises(errors.PromptError):
        PromptLibrary(tmp_path).render("other.user", message="x")


def test_missing_template_and_missing_variable_are_prompt_errors() -> None:
    lib = PromptLibrary()
    with pytest.raises(errors.PromptError):
        lib.render("no_such.user")
    with pytest.raises(errors.PromptError) as info:
        lib.render("refill.user", message="x")
    assert info.value.template == "refill.user"


def test_every_template_is_listed_in_the_prompts_readme() -> None:
    readme = (packaged_prompt_dir() / "README.md").read_text(encoding="utf-8")
    for template in packaged_prompt_dir().glob("*.j2"):
        assert template.name in readme, template.name


def test_hashes_change_with_the_source(tmp_path: Path) -> None:
    (tmp_path / "other.user.j2").write_text("A {{ message }}")
    first = PromptLibrary(tmp_path).render("other.user", message="x").sha256
    (tmp_path / "other.user.j2").write_text("B {{ message }}")
    assert PromptLibrary(tmp_path).render("other.user", message="x").sha256 != first
