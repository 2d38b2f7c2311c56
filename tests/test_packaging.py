"""The wheel carries the prompts and demo data; installed into a fresh venv it renders a prompt."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (hatchling) is in the dev environment; no network needed
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("replydraft-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_contains_prompts_examples_and_typing(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "prompts").glob("*.j2"):
        assert f"replydraft/prompts/{template.name}" in names
    assert "replydraft/py.typed" in names
    assert "replydraft/data/drugs.tsv" in names
    # the triage rules and the three statistical models
    rules_files = (
        "redflags.json",
        "context.json",
        "intents.json",
        "screen_model.json",
        "urgent_model.json",
        "intent_model.json",
    )
    for rules_file in rules_files:
        assert f"replydraft/triage_rules/{rules_file}" in names
    assert "replydraft/examples/messages.jsonl" in names
    assert any(n.startswith("replydraft/examples/charts/") and n.endswith(".json") for n in names)


@pytest.mark.slow
def test_wheel_installed_in_a_temp_venv_renders_a_prompt(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    # dependencies come from the dev environment through a .pth file; the wheel itself is installed
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", purelib, str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import replydraft, replydraft.prompts as p; "
        "lib = p.PromptLibrary(); "
        "r = lib.render('refill.user', message='hi', thread=[], facts=[], urgency='routine'); "
        "print(replydraft.__file__); print(p.packaged_prompt_dir()); print(len(r.sha256))"
    )
    out = subprocess.run([str(py), "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path)
    file_, prompt_dir, digest_len = out.stdout.split()
    assert file_.startswith(purelib)
    assert prompt_dir.startswith(purelib)
    assert digest_len == "64"
