"""The public API is exactly ``__all__``: sorted, complete, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import replydraft


def test_all_is_sorted_and_unique() -> None:
    assert replydraft.__all__ == sorted(replydraft.__all__)
    assert len(set(replydraft.__all__)) == len(replydraft.__all__)


def test_every_exported_name_resolves() -> None:
    for name in replydraft.__all__:
        assert getattr(replydraft, name) is not None, name


def test_contract_names_are_public() -> None:
    for name in (
        "Drafter",
        "AsyncDrafter",
        "OpenAIClient",
        "AsyncOpenAIClient",
        "InMemoryChart",
        "FHIRBundleChart",
        "PortalMessage",
    ):
        assert name in replydraft.__all__


def test_import_is_lazy_and_quiet() -> None:
    """`import replydraft` must not pull in the openai SDK, presidio, fhir.resources or xllamacpp."""
    code = (
        "import sys, replydraft; heavy = [m for m in ('openai', 'presidio_analyzer', 'fhir.resources', "
        "'xllamacpp', 'spacy') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    assert out.stderr == ""
