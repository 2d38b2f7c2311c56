"""The command line: typed errors become one stderr line and exit 1; the demo runs with the tiny model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from replydraft.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "replydraft", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def test_deid_prints_placeholders_not_identifiers() -> None:
    out = run(
        "deid", "Hi, this is Maria Lopez, call me at 608-555-0142 or maria.lopez61@example.com", "--json"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "608-555-0142" not in data["text"] and "maria.lopez61@example.com" not in data["text"]
    assert {s["entity_type"] for s in data["spans"]} >= {"PHONE", "EMAIL"}


def test_bad_input_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["draft", "--message", "   ", "--base-url", "http://127.0.0.1:9/v1", "--model", "x"])
    err = capsys.readouterr().err
    assert code == 1
    assert "InvalidMessageError" in err and "Traceback" not in err


def test_missing_message_file_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["draft", "--message", "@/no/such/file.txt", "--base-url", "http://127.0.0.1:9/v1", "--model", "x"]
    )
    assert code == 1
    assert "Traceback" not in capsys.readouterr().err


def test_unreachable_endpoint_is_a_typed_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "draft",
            "--message",
            "refill my fluoxetine please",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "x",
            "--timeout",
            "2",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "LLMConnectionError" in err


def test_help_lists_every_command() -> None:
    text = build_parser().format_help()
    for cmd in ("demo", "draft", "deid", "eval", "model"):
        assert cmd in text


def _have_test_model() -> bool:
    from replydraft.local import cached_model_path

    return cached_model_path("smollm2") is not None


@pytest.mark.e2e
def test_demo_runs_offline_with_the_tiny_model() -> None:
    if not _have_test_model():
        if os.environ.get("CI"):
            pytest.fail("CI must fetch smollm2 first (replydraft model fetch smollm2)")
        pytest.skip("smollm2 not fetched: run `replydraft model fetch smollm2`")
    out = run("demo", "--model", "smollm2")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("triage: urgency=") == 5
    assert "emergency_escalation" in out.stdout
    assert "sent to the model (de-identified):" in out.stdout
    assert "demo_model" in out.stdout
    assert (
        "555-611-5414"
        not in out.stdout.split("sent to the model (de-identified):", 1)[1].split("draft for", 1)[0]
    )
