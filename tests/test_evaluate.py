"""Evaluation harness: dataset loading, records and summary, files, resumability, the report."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from replydraft.errors import ConfigurationError
from replydraft.evaluate import EvalItem, evaluate, load_dataset, summarize
from replydraft.models import DraftResult, ErrorInfo, Flag, Intent, PortalMessage, Triage, Urgency

ROOT = Path(__file__).resolve().parent.parent


class ScriptedDrafter:
    """Stands in for Drafter: the verdict is read from the message text ``"<urgency> <intent> ..."``."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.delay = delay
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def draft_many(self, messages: Iterable[PortalMessage], *, concurrency: int = 8) -> list[DraftResult]:
        out = []
        for m in messages:
            with self._lock:
                self.calls.append(m.id)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                time.sleep(self.delay)
                out.append(_result_for(m))
            finally:
                with self._lock:
                    self.in_flight -= 1
        return out


def _result_for(m: PortalMessage) -> DraftResult:
    urgency, intent, *rest = m.text.split()
    flags = tuple(Flag(code=w[5:], severity="warning") for w in rest if w.startswith("flag:"))
    failed = "fail" in rest
    body = "" if failed else "Thank you for your message about your refill request today."
    return DraftResult(
        message_id=m.id,
        patient_id=m.patient_id,
        status="failed" if failed else ("escalated" if urgency == "emergency" else "drafted"),
        body=body,
        deidentified_body=body,
        triage=Triage(urgency=Urgency(urgency), intent=Intent(intent)),
        flags=flags,
        model="scripted",
        error=ErrorInfo(type="LLMTimeoutError", code="llm_timeout", message="timed out") if failed else None,
    )


def items() -> list[dict[str, Any]]:
    return [
        {
            "id": "a",
            "text": "routine refill flag:reading_grade",
            "patient_id": "p1",
            "expected_urgency": "routine",
            "expected_intent": "refill",
            "reference": "Thank you for your message, your refill is sent.",
        },
        {
            "id": "b",
            "text": "emergency symptom",
            "patient_id": "p1",
            "expected_urgency": "emergency",
            "expected_intent": "symptom",
        },
        {
            "id": "c",
            "text": "routine symptom flag:reading_grade flag:dose",
            "patient_id": "p2",
            "expected_urgency": "emergency",
            "expected_intent": "symptom",
        },
        {
            "id": "d",
            "text": "urgent results",
            "patient_id": "p2",
            "expected_urgency": "urgent",
            "expected_intent": "scheduling",
        },
        {"id": "e", "text": "routine other fail"},
    ]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# --------------------------------------------------------------------------- dataset


def test_load_dataset_aliases_and_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text(
        json.dumps(
            {"id": "1", "text": "hi", "urgency": "urgent", "intent": "refill", "reference_reply": "ok"}
        )
        + "\n\n"
        + json.dumps({"id": "2", "text": "yo", "extra": 1})
        + "\n"
    )
    got = load_dataset(p)
    assert [i.id for i in got] == ["1", "2"]
    assert got[0].expected_urgency is Urgency.URGENT and got[0].expected_intent is Intent.REFILL
    assert got[0].reference == "ok" and got[1].reference is None


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"id": "1", "text": "Maria Lopez 555-1234"\n', "line 1"),
        ('{"id": "1"}\n', "text"),
        ('{"id": "1", "text": "Maria Lopez", "expected_urgency": "Maria Lopez"}\n', "expected_urgency"),
        ('{"id": "1", "text": "a"}\n{"id": "1", "text": "Maria Lopez"}\n', "duplicate"),
        ('["Maria Lopez"]\n', "object"),
    ],
)
def test_load_dataset_errors_name_the_line_not_the_content(tmp_path: Path, content: str, needle: str) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text(content)
    with pytest.raises(ConfigurationError) as info:
        load_dataset(p)
    assert needle in str(info.value)
    assert "Maria" not in str(info.value)


def test_missing_dataset_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_dataset(tmp_path / "nope.jsonl")


# --------------------------------------------------------------------------- records and summary


def test_evaluate_in_memory_records_and_summary() -> None:
    drafter = ScriptedDrafter()
    run = evaluate(items(), drafter=drafter, progress=False)
    assert [r["id"] for r in run.records] == ["a", "b", "c", "d", "e"]
    assert run.out_dir is None and run.files == {}
    a = run.records[0]
    assert a["urgency_match"] is True and a["intent_match"] is True
    assert a["flags"] == ["reading_grade"] and a["has_reference"] is True
    assert 0 < a["rouge1_f1"] <= 1 and 0 <= a["edit_distance_ratio"] <= 1
    assert run.records[4]["status"] == "failed" and run.records[4]["error_code"] == "llm_timeout"
    assert run.records[4]["expected_urgency"] is None and run.records[4]["urgency_match"] is None

    s = run.summary
    assert s["n"] == 5
    assert s["status"] == {"drafted": 3, "escalated": 1, "failed": 1}
    # labelled urgency: a ok, b ok, c emergency->routine (miss), d ok => 3/4
    assert s["urgency"]["labelled"] == 4 and s["urgency"]["accuracy"] == 0.75
    assert s["urgency"]["confusion"]["emergency"] == {"emergency": 1, "urgent": 0, "routine": 1}
    assert s["urgency"]["emergency_recall"] == 0.5 and s["urgency"]["under_triaged"] == 1
    # intent: a ok, b ok, c ok, d results != scheduling => 3/4
    assert s["intent"]["accuracy"] == 0.75
    assert s["intent"]["by_intent"]["scheduling"] == {"n": 1, "correct": 0, "accuracy": 0.0}
    assert s["flags"] == {"reading_grade": 0.4, "dose": 0.2}
    assert s["reference"]["n"] == 1
    assert s["errors"] == {"llm_timeout": 1}
    assert s["draft_chars"]["n"] == 4


def test_summary_of_nothing_is_well_formed() -> None:
    s = summarize([])
    assert s["n"] == 0 and s["urgency"]["accuracy"] is None and s["flags"] == {}


def test_concurrency_is_bounded(tmp_path: Path) -> None:
    rows = [{"id": str(i), "text": "routine refill"} for i in range(12)]
    drafter = ScriptedDrafter(delay=0.02)
    evaluate(rows, drafter=drafter, concurrency=3, progress=False)
    assert 1 <= drafter.max_in_flight <= 3
    assert sorted(drafter.calls) == sorted(str(i) for i in range(12))


def test_bad_concurrency() -> None:
    with pytest.raises(ConfigurationError):
        evaluate(items(), drafter=ScriptedDrafter(), concurrency=0, progress=False)


def test_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    evaluate(items(), drafter=ScriptedDrafter(), progress=True)
    captured = capsys.readouterr()
    assert "drafting" in captured.err and captured.out == ""


# --------------------------------------------------------------------------- files


def test_files_written(tmp_path: Path) -> None:
    dataset = write_jsonl(tmp_path / "d.jsonl", items())
    out = tmp_path / "out"
    run = evaluate(dataset, drafter=ScriptedDrafter(), out_dir=out, progress=False)
    lines = (out / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == ["a", "b", "c", "d", "e"]
    with (out / "summary.csv").open() as f:
        rows = {r["metric"]: r["value"] for r in csv.DictReader(f)}
    assert rows["n"] == "5" and rows["urgency.accuracy"] == "0.75"
    assert rows["urgency.confusion.emergency.routine"] == "1"
    with (out / "results.csv").open() as f:
        recs = list(csv.DictReader(f))
    assert [r["id"] for r in recs] == ["a", "b", "c", "d", "e"]
    assert recs[2]["flags"] == "reading_grade;dose"
    assert run.report_path == out / "report.html" and run.report_path.is_file()
    assert not list(out.glob("*.tmp"))


def test_report_is_self_contained_and_has_every_plot(tmp_path: Path) -> None:
    rows = items()
    rows[0]["id"] = "<script>alert(1)</script>"
    run = evaluate(rows, drafter=ScriptedDrafter(), out_dir=tmp_path, progress=False)
    assert run.report_path is not None
    html = run.report_path.read_text()
    for plot in (
        "urgency-confusion",
        "intent-accuracy",
        "flag-rates",
        "draft-length",
        "reading-grade",
        "rouge-reference",
        "edit-reference",
    ):
        assert f'data-plot="{plot}"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    # nothing is fetched: no src/href to any URL; the only URL is the SVG namespace
    assert "src=" not in html and "href=" not in html
    assert html.count("http") == html.count("http://www.w3.org/2000/svg") + html.count("http-equiv")
    # no message text or draft text in the report
    assert "Thank you for your message" not in html and "routine refill flag" not in html


def test_report_without_references_has_no_reference_plots(tmp_path: Path) -> None:
    rows = [r for r in items() if "reference" not in r]
    run = evaluate(rows, drafter=ScriptedDrafter(), out_dir=tmp_path, progress=False)
    assert run.report_path is not None
    html = run.report_path.read_text()
    assert 'data-plot="rouge-reference"' not in html and 'data-plot="urgency-confusion"' in html


def test_eval_run_repr_html() -> None:
    run = evaluate(items(), drafter=ScriptedDrafter(), progress=False)
    html = run._repr_html_()
    assert 'data-plot="urgency-confusion"' in html and "<html" not in html


# --------------------------------------------------------------------------- resume


def test_rerun_skips_done_ids(tmp_path: Path) -> None:
    dataset = write_jsonl(tmp_path / "d.jsonl", items())
    out = tmp_path / "out"
    evaluate(dataset, drafter=ScriptedDrafter(), out_dir=out, progress=False, retry_failed=False)
    second = ScriptedDrafter()
    run = evaluate(dataset, drafter=second, out_dir=out, progress=False, retry_failed=False)
    assert second.calls == [] and run.skipped == 5
    assert len((out / "results.jsonl").read_text().splitlines()) == 5
    assert run.summary["urgency"]["accuracy"] == 0.75


def test_rerun_retries_failed_without_duplicates(tmp_path: Path) -> None:
    dataset = write_jsonl(tmp_path / "d.jsonl", items())
    out = tmp_path / "out"
    evaluate(dataset, drafter=ScriptedDrafter(), out_dir=out, progress=False)
    # fix the failing message, then rerun: only "e" is drafted again and it replaces the failed line
    fixed = items()
    fixed[4]["text"] = "routine other"
    write_jsonl(dataset, fixed)
    second = ScriptedDrafter()
    run = evaluate(dataset, drafter=second, out_dir=out, progress=False)
    assert second.calls == ["e"]
    ids = [json.loads(x)["id"] for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(ids) == ["a", "b", "c", "d", "e"]
    assert run.records[4]["status"] == "drafted"


def test_rerun_repairs_a_torn_last_line(tmp_path: Path) -> None:
    dataset = write_jsonl(tmp_path / "d.jsonl", items())
    out = tmp_path / "out"
    out.mkdir()
    first = evaluate(items()[:2], drafter=ScriptedDrafter(), progress=False)
    torn = json.dumps(first.records[1])[:40]  # killed mid-write: no newline, invalid JSON
    (out / "results.jsonl").write_text(json.dumps(first.records[0]) + "\n" + torn)
    second = ScriptedDrafter()
    run = evaluate(dataset, drafter=second, out_dir=out, progress=False)
    assert sorted(second.calls) == ["b", "c", "d", "e"]
    lines = (out / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == ["a", "b", "c", "d", "e"]
    assert [r["id"] for r in run.records] == ["a", "b", "c", "d", "e"]


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    from test_evaluate import ScriptedDrafter
    from replydraft.evaluate import evaluate
    evaluate(sys.argv[1], drafter=ScriptedDrafter(delay=float(sys.argv[3])), out_dir=sys.argv[2],
             concurrency=2, progress=False)
    """
)


def test_killed_run_resumes_without_duplicates_or_losses(tmp_path: Path) -> None:
    rows = [{"id": f"m{i:02d}", "text": "routine refill", "expected_urgency": "routine"} for i in range(30)]
    dataset = write_jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "out"
    script = tmp_path / "run.py"
    script.write_text(_KILL_SCRIPT.format(root=str(ROOT), tests=str(ROOT / "tests")))
    proc = subprocess.Popen([sys.executable, str(script), str(dataset), str(out), "0.2"])
    results = out / "results.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if results.exists() and len(results.read_bytes().splitlines()) >= 6:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {json.loads(x)["id"] for x in results.read_text().splitlines() if x.endswith("}")}
    assert 6 <= len(done_before) < 30, "the run should have been killed part-way"

    second = ScriptedDrafter()
    run = evaluate(dataset, drafter=second, out_dir=out, progress=False)
    assert set(second.calls).isdisjoint(done_before)
    ids = [json.loads(x)["id"] for x in results.read_text().splitlines()]
    assert sorted(ids) == [r["id"] for r in rows]  # every id exactly once
    assert len(run.records) == 30 and run.summary["urgency"]["accuracy"] == 1.0


def test_items_may_be_eval_items() -> None:
    run = evaluate([EvalItem(id="x", text="urgent symptom")], drafter=ScriptedDrafter(), progress=False)
    assert run.records[0]["urgency"] == "urgent"


def test_reading_grade_hand_computed() -> None:
    from replydraft.evaluate import reading_grade

    # 6 words, 2 sentences, 6 syllables: 0.39 * 3 + 11.8 * 1 - 15.59
    assert reading_grade("The cat sat. The dog ran.") == pytest.approx(-2.62)
    # take 1 + your 1 + medication 4 (3 hyphenation points) + daily 2 = 8 syllables, 4 words, 1 sentence
    assert reading_grade("Take your medication daily.") == pytest.approx(
        round(0.39 * 4 + 11.8 * 8 / 4 - 15.59, 2)
    )
    assert reading_grade("Hi there") is None


class AsyncScriptedDrafter:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def draft_many(
        self, messages: Iterable[PortalMessage], *, concurrency: int = 8
    ) -> list[DraftResult]:
        import asyncio

        out = []
        for m in messages:
            self.calls.append(m.id)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.sleep(0.01)
            self.in_flight -= 1
            out.append(_result_for(m))
        return out


async def test_aevaluate_matches_evaluate(tmp_path: Path) -> None:
    from replydraft.evaluate import aevaluate

    drafter = AsyncScriptedDrafter()
    run = await aevaluate(items(), drafter=drafter, out_dir=tmp_path, concurrency=2, progress=False)
    sync = evaluate(items(), drafter=ScriptedDrafter(), progress=False)
    assert run.summary == sync.summary
    assert [r["id"] for r in run.records] == ["a", "b", "c", "d", "e"]
    assert 1 <= drafter.max_in_flight <= 2
    # resumable like the sync twin
    again = AsyncScriptedDrafter()
    rerun = await aevaluate(items(), drafter=again, out_dir=tmp_path, progress=False, retry_failed=False)
    assert again.calls == [] and rerun.skipped == 5


def test_evaluate_twins_have_the_same_signature() -> None:
    import inspect

    from replydraft.evaluate import aevaluate

    assert inspect.signature(evaluate).parameters.keys() == inspect.signature(aevaluate).parameters.keys()


def test_eval_run_repr_has_no_text() -> None:
    run = evaluate(items(), drafter=ScriptedDrafter(), progress=False)
    text = repr(run)
    assert "EvalRun(n=5" in text and "Thank you" not in text and "routine refill" not in text


def test_package_level_evaluate_works_after_the_module_is_imported() -> None:
    import replydraft
    import replydraft.evaluate  # binds the package attribute to the module

    run = replydraft.evaluate(items(), drafter=ScriptedDrafter(), progress=False)
    assert run.summary["n"] == 5
