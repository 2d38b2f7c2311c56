"""Open the evaluation report in headless Chromium and check that the plots and tables render.

The report's inline self-check script marks every ``svg.plot`` with ``data-rendered="yes"`` when the
browser laid it out with a non-zero size; ``--dump-dom`` returns the DOM after scripts ran.
Skipped when Chromium is absent locally; a failure in CI (``CI`` set), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from replydraft.evaluate import evaluate
from replydraft.models import DraftResult, Flag, Intent, PortalMessage, Triage, Urgency

pytestmark = pytest.mark.browser

PLOTS = (
    "urgency-confusion",
    "intent-accuracy",
    "flag-rates",
    "draft-length",
    "reading-grade",
    "rouge-reference",
    "edit-reference",
)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed but CI is set (.ci/run must apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


class _Drafter:
    def draft_many(self, messages: Iterable[PortalMessage], *, concurrency: int = 8) -> list[DraftResult]:
        out = []
        for m in messages:
            urgency, intent = m.text.split()[:2]
            body = f"Thank you for writing. We will look at your {intent} request and reply within two days."
            out.append(
                DraftResult(
                    message_id=m.id,
                    status="escalated" if urgency == "emergency" else "drafted",
                    body=body,
                    deidentified_body=body,
                    triage=Triage(urgency=Urgency(urgency), intent=Intent(intent)),
                    flags=(Flag(code="reading_grade"),) if "long" in m.text else (),
                    model="scripted",
                )
            )
        return out


def _run_chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    rows = [
        {
            "id": "r1",
            "text": "routine refill long",
            "expected_urgency": "routine",
            "expected_intent": "refill",
            "reference": "Your refill was sent to the pharmacy.",
        },
        {
            "id": "r2",
            "text": "emergency symptom",
            "expected_urgency": "emergency",
            "expected_intent": "symptom",
        },
        {
            "id": "r3",
            "text": "routine symptom",
            "expected_urgency": "urgent",
            "expected_intent": "symptom",
            "reference": "Please book a visit this week so we can look at this.",
        },
        {
            "id": "r4",
            "text": "urgent results long",
            "expected_urgency": "urgent",
            "expected_intent": "results",
        },
        {
            "id": "r5",
            "text": "routine scheduling",
            "expected_urgency": "routine",
            "expected_intent": "forms",
            "reference": "We will look at your request and call you.",
        },
    ]
    run = evaluate(rows, drafter=_Drafter(), out_dir=tmp_path / "out", progress=False)
    assert run.report_path is not None
    return run.report_path


def test_report_plots_and_tables_render(report: Path, tmp_path: Path) -> None:
    proc = _run_chromium(["--dump-dom", report.as_uri()], tmp_path)
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'data-plots-rendered="7"' in dom, "the page's self-check did not see 7 laid-out plots"
    for plot in PLOTS:
        tag = re.search(rf'<svg[^>]*data-plot="{plot}"[^>]*>', dom)
        assert tag is not None, f"{plot} missing from the rendered DOM"
        assert 'data-rendered="yes"' in tag.group(0), f"{plot} has no size in the browser"
        marks = re.search(r'data-marks="(\d+)"', tag.group(0))
        assert marks is not None and int(marks.group(1)) > 0, f"{plot} drew no bars or cells"
    assert "7 of 7 plots rendered, 5 message rows" in dom
    table = re.search(r'<table id="records-table">.*?</table>', dom, re.S)
    assert table is not None and table.group(0).count("<tr") == 6  # header + 5 messages
    assert re.search(r'<table id="summary-table">.*?urgency\.accuracy', dom, re.S)


def test_report_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    proc = _run_chromium(["--screenshot=" + str(shot), "--window-size=1200,1600", report.as_uri()], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # a blank white page compresses to a few KB; one with plots, text and tables is far larger
    assert len(data) > 30_000


@pytest.mark.e2e
@pytest.mark.slow
def test_cli_eval_with_local_model_writes_a_report_that_renders(tmp_path: Path) -> None:
    """The acceptance run: ``replydraft eval`` on examples/ with the local demo model (SmolLM2 here)."""
    from replydraft.local import TEST_MODEL, cached_model_path

    if cached_model_path(TEST_MODEL) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{TEST_MODEL} not cached (CI must run `replydraft model fetch {TEST_MODEL}`)")
        pytest.skip(f"{TEST_MODEL} not cached: run `replydraft model fetch {TEST_MODEL}`")
    pytest.importorskip("xllamacpp")
    root = Path(__file__).resolve().parent.parent
    # three of the examples keep the run short on a 2-core machine: the emergency (no model call),
    # a scheduling and a forms message (model calls). Drafts that time out are recorded, not raised.
    lines = (root / "examples" / "eval_messages.jsonl").read_text().splitlines()
    subset = [x for x in lines if json.loads(x)["id"] in ("eval-04", "eval-05", "eval-07")]
    dataset = tmp_path / "subset.jsonl"
    dataset.write_text("\n".join(subset) + "\n")
    out = tmp_path / "eval-out"
    env = {**os.environ, "PYTHONPATH": str(root)}
    charts = str(root / "examples" / "charts")
    cmd = [sys.executable, "-m", "replydraft", "eval", str(dataset), "--chart", charts, "--out", str(out)]
    cmd += ["--model", TEST_MODEL, "--concurrency", "1", "--timeout", "60"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=800, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["n"] == 3 and summary["status"].get("escalated") == 1
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in results) == ["eval-04", "eval-05", "eval-07"]
    assert all(r["status"] != "failed" or r["error_code"] for r in results)
    dom = _run_chromium(["--dump-dom", (out / "report.html").as_uri()], tmp_path).stdout
    rendered = re.search(r'data-plots-rendered="(\d+)"', dom)
    assert rendered is not None and int(rendered.group(1)) >= 5
    assert dom.count('data-rendered="yes"') == int(rendered.group(1))
    assert "3 message rows" in dom
