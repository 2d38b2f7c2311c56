"""Evaluation harness: run a labelled dataset through the pipeline and measure it, resumably.

A dataset is JSON lines with ``id``, ``text``, ``patient_id`` and optionally ``expected_urgency``,
``expected_intent`` and ``reference`` (a reply a clinician wrote or would send). :func:`evaluate` drafts
each message with bounded concurrency and writes, under ``out_dir``:

- ``results.jsonl`` — one line per message id, appended, flushed and fsynced as each draft completes,
  so a killed run loses at most the drafts in flight; a rerun skips ids already there (and retries
  failed ones by default), never writing an id twice;
- ``results.csv`` — the same records, flat, for a spreadsheet;
- ``summary.csv`` — ``metric,value`` rows;
- ``report.html`` — one self-contained page (inline SVG, no scripts or fonts from anywhere) with the
  urgency confusion matrix, intent accuracy, flag rates by code, draft length and reading-grade
  distributions and, when references exist, ROUGE-1 and edit distance to the reference.

``results.jsonl`` holds the drafts (re-identified text): treat the folder like the messages themselves.
``report.html`` and ``summary.csv`` hold only codes and numbers.

Example:
    >>> from replydraft import Drafter
    >>> from replydraft.evaluate import evaluate
    >>> run = evaluate("examples/eval_messages.jsonl", drafter=drafter, out_dir="eval-out")  # doctest: +SKIP
    >>> run.summary["urgency"]["accuracy"]  # doctest: +SKIP
    1.0
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import statistics
import sys
import threading
import types
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigurationError
from .models import DraftResult, Intent, PortalMessage, Urgency
from .review import edit_metrics, rouge1

__all__ = [
    "EvalItem",
    "EvalRun",
    "SupportsAsyncDraft",
    "SupportsDraft",
    "aevaluate",
    "evaluate",
    "load_dataset",
    "reading_grade",
    "summarize",
]

logger = logging.getLogger(__name__)

RESULTS_FILE = "results.jsonl"
RESULTS_CSV = "results.csv"
SUMMARY_CSV = "summary.csv"
REPORT_HTML = "report.html"


class EvalItem(BaseModel):
    """One labelled message of an evaluation dataset."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    """Unique message id (results are keyed by it)."""
    text: str = Field(repr=False)
    """The message as the patient wrote it."""
    patient_id: str | None = None
    """Chart id of the patient."""
    expected_urgency: Urgency | None = None
    """The labelled urgency, if any."""
    expected_intent: Intent | None = None
    """The labelled intent, if any."""
    reference: str | None = Field(default=None, repr=False)
    """A reference reply (what a clinician sent or would send), if any."""


class SupportsAsyncDraft(Protocol):
    """What :func:`aevaluate` needs: an :class:`~replydraft.AsyncDrafter` or anything like it."""

    async def draft_many(
        self, messages: Iterable[PortalMessage], *, concurrency: int = ...
    ) -> list[DraftResult]:
        """Draft messages; failures come back as ``status == "failed"`` results."""
        ...


class SupportsDraft(Protocol):
    """What :func:`evaluate` needs: a :class:`~replydraft.Drafter` or anything with ``draft_many``."""

    def draft_many(self, messages: Iterable[PortalMessage], *, concurrency: int = ...) -> list[DraftResult]:
        """Draft messages; failures come back as ``status == "failed"`` results."""
        ...


@dataclass(frozen=True)
class EvalRun:
    """What :func:`evaluate` returns. Plain Python: use ``pandas.DataFrame(run.records)`` if you like.

    Attributes:
        records: One dict per dataset message, in dataset order (see :func:`evaluate` for the keys).
        summary: Aggregate metrics (see :func:`summarize`).
        out_dir: Where files were written (None when not asked).
        skipped: How many messages were already done and not drafted again.
    """

    # records hold the drafts (patient text): kept out of repr, which ends up in logs and tracebacks
    records: list[dict[str, Any]] = field(repr=False)
    summary: dict[str, Any] = field(repr=False)
    out_dir: Path | None = None
    skipped: int = 0
    files: dict[str, Path] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        u, i = self.summary.get("urgency", {}), self.summary.get("intent", {})
        return (
            f"EvalRun(n={len(self.records)}, skipped={self.skipped}, status={self.summary.get('status')}, "
            f"urgency_accuracy={u.get('accuracy')}, intent_accuracy={i.get('accuracy')}, "
            f"out_dir={str(self.out_dir) if self.out_dir else None!r})"
        )

    @property
    def report_path(self) -> Path | None:
        """``report.html``, when written."""
        return self.files.get("report")

    def _repr_html_(self) -> str:
        from ._report import render_report_body

        return render_report_body(self.records, self.summary, standalone=False)


# --------------------------------------------------------------------------- dataset


def load_dataset(path: str | os.PathLike[str]) -> list[EvalItem]:
    """Read a JSON-lines dataset.

    Args:
        path: The file; blank lines are ignored. ``urgency``/``intent`` are accepted as aliases of the
            ``expected_*`` fields and ``reference_reply`` of ``reference``.

    Returns:
        The items, in file order.

    Raises:
        ConfigurationError: the file cannot be read, a line is not valid JSON or lacks ``id``/``text``,
            or an id repeats. Messages name the line number and field, never the content.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read dataset {p.name} ({exc.strerror})") from exc
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"dataset line {number} is not valid JSON") from exc
        if not isinstance(row, dict):
            raise ConfigurationError(f"dataset line {number} is not a JSON object")
        rows.append((number, row))
    return _validate(rows)


def _normalise(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for alias, name in (
        ("urgency", "expected_urgency"),
        ("intent", "expected_intent"),
        ("reference_reply", "reference"),
    ):
        if alias in out and name not in out:
            out[name] = out.pop(alias)
    return out


def _validate(rows: Iterable[tuple[int, Mapping[str, Any] | EvalItem]]) -> list[EvalItem]:
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, row in rows:
        if isinstance(row, EvalItem):
            item = row
        else:
            try:
                item = EvalItem.model_validate(_normalise(row))
            except ValidationError as exc:
                fields = sorted({".".join(str(x) for x in e["loc"]) for e in exc.errors()})
                raise ConfigurationError(
                    f"dataset item {number}: invalid or missing {', '.join(fields)}"
                ) from None  # pydantic's message echoes the input values, which are patient text
        if item.id in seen:
            raise ConfigurationError(f"dataset item {number}: duplicate id")
        seen.add(item.id)
        items.append(item)
    return items


# --------------------------------------------------------------------------- records


def reading_grade(text: str, language: str = "en") -> float | None:
    """Reading grade of ``text``, offline: the same number the safety check uses.

    Delegates to :func:`replydraft.safety.reading_grade` (English: Flesch-Kincaid with pyphen syllable
    counts, since textstat's English path downloads NLTK's cmudict at run time; Spanish: Crawford).

    Args:
        text: The draft.
        language: ``en`` or ``es``.

    Returns:
        The grade rounded to 2 decimals, or None for fewer than 3 words.
    """
    from .safety import reading_grade as _grade

    grade = _grade(text, language)
    return None if grade is None else round(grade, 2)


def make_record(item: EvalItem, result: DraftResult) -> dict[str, Any]:
    """Turn one draft into a flat, JSON-ready record (the row of ``results.jsonl``)."""
    t = result.triage
    body = result.body
    rec: dict[str, Any] = {
        "id": item.id,
        "patient_id": item.patient_id,
        "status": result.status,
        "error_code": result.error.code if result.error else None,
        "error_type": result.error.type if result.error else None,
        "expected_urgency": item.expected_urgency.value if item.expected_urgency else None,
        "urgency": t.urgency.value,
        "urgency_match": (t.urgency == item.expected_urgency) if item.expected_urgency else None,
        "expected_intent": item.expected_intent.value if item.expected_intent else None,
        "intent": t.intent.value,
        "intent_match": (t.intent == item.expected_intent) if item.expected_intent else None,
        "triage_reasons": list(t.reasons),
        "flags": list(result.flag_codes),
        "blocking": result.blocking,
        "draft": body,
        "draft_deidentified": result.deidentified_body,
        "draft_chars": len(body),
        "draft_words": len(body.split()),
        "reading_grade": reading_grade(body, t.language),
        "has_reference": item.reference is not None,
        "rouge1_precision": None,
        "rouge1_recall": None,
        "rouge1_f1": None,
        "edit_distance_ratio": None,
        "citations": [c.id for c in result.citations if c.cited_by_model],
        "model": result.model,
        "prompt_name": result.prompt_name,
        "prompt_sha256": result.prompt_sha256,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "latency_ms": round(result.latency_ms, 1),
        "attempts": result.attempts,
        "audit_id": result.audit_id,
        "evaluated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if item.reference is not None and body:
        r = rouge1(body, item.reference)
        rec.update(
            rouge1_precision=round(r.precision, 4),
            rouge1_recall=round(r.recall, 4),
            rouge1_f1=round(r.f1, 4),
            edit_distance_ratio=round(edit_metrics(body, item.reference).edit_distance_ratio, 4),
        )
    return rec


# --------------------------------------------------------------------------- summary


def _stats(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "mean": None, "median": None, "p90": None, "min": None, "max": None}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "mean": round(statistics.fmean(ordered), 4),
        "median": round(statistics.median(ordered), 4),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 4),
        "min": round(ordered[0], 4),
        "max": round(ordered[-1], 4),
    }


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Aggregate records into the summary.

    Keys: ``n``, ``status`` (counts), ``urgency`` (``labelled``, ``accuracy``, ``confusion``
    {expected: {predicted: n}}, ``emergency_recall``, ``under_triaged``), ``intent`` (``labelled``,
    ``accuracy``, ``by_intent`` {intent: {n, correct, accuracy}}), ``flags`` ({code: rate}),
    ``blocking_rate``, ``draft_chars``, ``reading_grade``, ``reference`` (``n``, ``rouge1_f1``,
    ``edit_distance_ratio``), ``latency_ms``, ``tokens``, ``errors`` ({code: n}). Rates are fractions
    of all records; accuracies of the labelled ones (None when none are labelled).

    Args:
        records: Records as produced by :func:`evaluate`.

    Returns:
        A JSON-ready dict.
    """
    n = len(records)
    levels = [u.value for u in Urgency]
    confusion = {e: dict.fromkeys(levels, 0) for e in levels}
    u_labelled = [r for r in records if r.get("expected_urgency")]
    for r in u_labelled:
        confusion[r["expected_urgency"]][r["urgency"]] += 1
    expected_emerg = [r for r in u_labelled if r["expected_urgency"] == "emergency"]
    rank = {"routine": 0, "urgent": 1, "emergency": 2}
    i_labelled = [r for r in records if r.get("expected_intent")]
    by_intent: dict[str, dict[str, Any]] = {}
    for intent in (i.value for i in Intent):
        rows = [r for r in i_labelled if r["expected_intent"] == intent]
        if rows:
            correct = sum(1 for r in rows if r["intent"] == intent)
            by_intent[intent] = {
                "n": len(rows),
                "correct": correct,
                "accuracy": round(correct / len(rows), 4),
            }
    flag_counts: Counter[str] = Counter(code for r in records for code in set(r.get("flags") or ()))
    drafted = [r for r in records if r.get("status") != "failed"]
    with_ref = [r for r in records if r.get("rouge1_f1") is not None]
    return {
        "n": n,
        "status": dict(Counter(str(r.get("status")) for r in records)),
        "urgency": {
            "labelled": len(u_labelled),
            "accuracy": _ratio(
                sum(1 for r in u_labelled if r["urgency"] == r["expected_urgency"]), len(u_labelled)
            ),
            "confusion": confusion,
            "emergency_recall": _ratio(
                sum(1 for r in expected_emerg if r["urgency"] == "emergency"), len(expected_emerg)
            ),
            "under_triaged": sum(1 for r in u_labelled if rank[r["urgency"]] < rank[r["expected_urgency"]]),
        },
        "intent": {
            "labelled": len(i_labelled),
            "accuracy": _ratio(
                sum(1 for r in i_labelled if r["intent"] == r["expected_intent"]), len(i_labelled)
            ),
            "by_intent": by_intent,
        },
        "flags": {
            code: round(c / n, 4) for code, c in sorted(flag_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        },
        "blocking_rate": _ratio(sum(1 for r in records if r.get("blocking")), n),
        "draft_chars": _stats([r["draft_chars"] for r in drafted if r.get("draft_chars")]),
        "reading_grade": _stats([r["reading_grade"] for r in drafted if r.get("reading_grade") is not None]),
        "reference": {
            "n": len(with_ref),
            "rouge1_f1": _stats([r["rouge1_f1"] for r in with_ref]),
            "edit_distance_ratio": _stats([r["edit_distance_ratio"] for r in with_ref]),
        },
        "latency_ms": _stats([r["latency_ms"] for r in drafted if r.get("latency_ms") is not None]),
        "tokens": {
            "prompt": sum(int(r.get("prompt_tokens") or 0) for r in records),
            "completion": sum(int(r.get("completion_tokens") or 0) for r in records),
        },
        "errors": dict(Counter(str(r["error_code"]) for r in records if r.get("error_code"))),
    }


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def flatten(summary: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Flatten the nested summary into ``(dotted.key, value)`` rows (the rows of ``summary.csv``)."""
    rows: list[tuple[str, Any]] = []
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


# --------------------------------------------------------------------------- resumable results file


class _ResultsFile:
    """``results.jsonl``: read what a previous run finished, then append one durable line per record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fh: io.BufferedWriter | None = None

    def load(self, keep: set[str], *, retry_failed: bool) -> dict[str, dict[str, Any]]:
        """Return finished records by id; repair a torn last line and drop records to be redone."""
        if not self.path.exists():
            return {}
        raw = self.path.read_bytes()
        good_end = raw.rfind(b"\n") + 1  # a kill mid-write leaves a torn last line: cut it off
        done: dict[str, dict[str, Any]] = {}
        dropped = 0
        kept_lines: list[bytes] = []
        for line in raw[:good_end].splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                dropped += 1
                continue
            rid = rec.get("id") if isinstance(rec, dict) else None
            if not isinstance(rid, str) or rid in done:
                dropped += 1
                continue
            if retry_failed and rec.get("status") == "failed" and rid in keep:
                dropped += 1
                continue
            done[rid] = rec
            kept_lines.append(line)
        if dropped or good_end != len(raw):
            # Rewrite atomically so a retried id never appears twice and no torn line stays behind.
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_bytes(b"".join(x + b"\n" for x in kept_lines))
            tmp.replace(self.path)
            logger.info("results file repaired: %d line(s) dropped", dropped + (good_end != len(raw)))
        return done

    def append(self, record: Mapping[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.path.open("ab")
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


# --------------------------------------------------------------------------- evaluate


def evaluate(
    dataset: str | os.PathLike[str] | Iterable[EvalItem | Mapping[str, Any]],
    *,
    drafter: SupportsDraft,
    out_dir: str | os.PathLike[str] | None = None,
    concurrency: int = 4,
    progress: bool = True,
    retry_failed: bool = True,
) -> EvalRun:
    """Draft every message of ``dataset`` and measure the results.

    Args:
        dataset: A JSONL path (see :func:`load_dataset`) or items / dicts with the same fields.
        drafter: A :class:`~replydraft.Drafter` (anything with ``draft_many``). Each message is drafted
            on its own so a failure is recorded, not raised.
        out_dir: Where to write ``results.jsonl``, ``results.csv``, ``summary.csv`` and
            ``report.html``. With an existing ``results.jsonl`` the run resumes: ids already there are
            not drafted again. None: nothing is written.
        concurrency: Drafts in flight at once (threads).
        progress: Show a tqdm progress bar on stderr.
        retry_failed: On resume, draft again the ids whose earlier result was ``failed``.

    Returns:
        The :class:`EvalRun`. Each record has ``id``, ``patient_id``, ``status``, ``error_code``,
        ``expected_urgency``/``urgency``/``urgency_match``, ``expected_intent``/``intent``/
        ``intent_match``, ``flags``, ``blocking``, ``draft``, ``draft_deidentified``, ``draft_chars``,
        ``draft_words``, ``reading_grade``, ``rouge1_*`` and ``edit_distance_ratio`` (against the
        reference, when given), model, prompt, token, latency and ``audit_id`` fields.

    Raises:
        ConfigurationError: bad dataset or ``concurrency < 1``.
    """
    plan = _plan(dataset, out_dir, concurrency=concurrency, retry_failed=retry_failed)
    bar = _progress_bar(plan, progress)
    fresh: dict[str, dict[str, Any]] = {}
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="replydraft-eval")
    try:
        # Submit at most `concurrency` at a time: on a kill or Ctrl-C nothing queued is lost, because
        # nothing beyond what is in flight was ever started.
        pending: set[Future[dict[str, Any]]] = set()
        queue = iter(plan.todo)
        for item in queue:
            pending.add(pool.submit(_draft_one, drafter, item))
            if len(pending) >= concurrency:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                plan.keep(fut.result(), fresh)
                bar.update(1)
            for item in queue:
                pending.add(pool.submit(_draft_one, drafter, item))
                if len(pending) >= concurrency:
                    break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        plan.close()
    return plan.finish(fresh)


async def aevaluate(
    dataset: str | os.PathLike[str] | Iterable[EvalItem | Mapping[str, Any]],
    *,
    drafter: SupportsAsyncDraft,
    out_dir: str | os.PathLike[str] | None = None,
    concurrency: int = 4,
    progress: bool = True,
    retry_failed: bool = True,
) -> EvalRun:
    """The async twin of :func:`evaluate`, for an :class:`~replydraft.AsyncDrafter` (or a notebook loop).

    Same arguments, files and result as :func:`evaluate`; at most ``concurrency`` drafts are awaited
    at once. Each finished record is appended to ``results.jsonl`` (a sub-millisecond fsync) before the
    next one is taken.

    Raises:
        ConfigurationError: bad dataset or ``concurrency < 1``.
    """
    plan = _plan(dataset, out_dir, concurrency=concurrency, retry_failed=retry_failed)
    bar = _progress_bar(plan, progress)
    fresh: dict[str, dict[str, Any]] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(item: EvalItem) -> None:
        async with gate:
            message = PortalMessage(id=item.id, text=item.text, patient_id=item.patient_id)
            (result,) = await drafter.draft_many([message], concurrency=1)
            plan.keep(make_record(item, result), fresh)
            bar.update(1)

    try:
        await asyncio.gather(*(one(item) for item in plan.todo))
    finally:
        bar.close()
        plan.close()
    return plan.finish(fresh)


@dataclass
class _Plan:
    """What a run has to do: the items, what a previous run finished, where results go."""

    items: list[EvalItem]
    done: dict[str, dict[str, Any]]
    todo: list[EvalItem]
    out: Path | None
    results: _ResultsFile | None

    @property
    def skipped(self) -> int:
        return len(self.items) - len(self.todo)

    def keep(self, record: dict[str, Any], fresh: dict[str, dict[str, Any]]) -> None:
        if self.results is not None:
            self.results.append(record)
        fresh[record["id"]] = record

    def close(self) -> None:
        if self.results is not None:
            self.results.close()

    def finish(self, fresh: dict[str, dict[str, Any]]) -> EvalRun:
        records = [fresh[i.id] if i.id in fresh else self.done[i.id] for i in self.items]
        summary = summarize(records)
        files = _write_outputs(self.out, records, summary) if self.out is not None else {}
        return EvalRun(records=records, summary=summary, out_dir=self.out, skipped=self.skipped, files=files)


def _plan(
    dataset: str | os.PathLike[str] | Iterable[EvalItem | Mapping[str, Any]],
    out_dir: str | os.PathLike[str] | None,
    *,
    concurrency: int,
    retry_failed: bool,
) -> _Plan:
    if concurrency < 1:
        raise ConfigurationError("concurrency must be >= 1")
    if isinstance(dataset, (str, os.PathLike)):
        items = load_dataset(dataset)
    else:
        items = _validate(enumerate(dataset, start=1))
    out = Path(out_dir) if out_dir is not None else None
    results = _ResultsFile(out / RESULTS_FILE) if out is not None else None
    done = results.load({i.id for i in items}, retry_failed=retry_failed) if results is not None else {}
    todo = [item for item in items if item.id not in done]
    logger.info(
        "evaluate: %d items, %d already done, concurrency %d", len(items), len(items) - len(todo), concurrency
    )
    return _Plan(items=items, done=done, todo=todo, out=out, results=results)


def _progress_bar(plan: _Plan, progress: bool) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped]  # stubs live in types-tqdm; not worth a dep

    return tqdm(
        total=len(plan.items),
        initial=plan.skipped,
        file=sys.stderr,
        disable=not progress,
        desc="drafting",
        unit="msg",
        dynamic_ncols=True,
    )


def _draft_one(drafter: SupportsDraft, item: EvalItem) -> dict[str, Any]:
    message = PortalMessage(id=item.id, text=item.text, patient_id=item.patient_id)
    # draft_many never raises for one message: a failure comes back as a "failed" result that keeps
    # the triage, so urgency metrics still count it.
    (result,) = drafter.draft_many([message], concurrency=1)
    return make_record(item, result)


_CSV_COLUMNS = (
    "id",
    "status",
    "error_code",
    "expected_urgency",
    "urgency",
    "urgency_match",
    "expected_intent",
    "intent",
    "intent_match",
    "flags",
    "blocking",
    "draft_chars",
    "draft_words",
    "reading_grade",
    "rouge1_precision",
    "rouge1_recall",
    "rouge1_f1",
    "edit_distance_ratio",
    "model",
    "prompt_name",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "attempts",
    "audit_id",
)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _write_outputs(out: Path, records: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Path]:
    from ._report import render_report

    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "value"])
    w.writerows([k, "" if v is None else v] for k, v in flatten(summary))
    _atomic_write(out / SUMMARY_CSV, buf.getvalue())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_CSV_COLUMNS)
    for r in records:
        w.writerow(
            [
                ";".join(r[c]) if isinstance(r.get(c), list) else ("" if r.get(c) is None else r.get(c))
                for c in _CSV_COLUMNS
            ]
        )
    _atomic_write(out / RESULTS_CSV, buf.getvalue())
    _atomic_write(out / REPORT_HTML, render_report(records, summary))
    return {
        "results": out / RESULTS_FILE,
        "results_csv": out / RESULTS_CSV,
        "summary": out / SUMMARY_CSV,
        "report": out / REPORT_HTML,
    }


class _CallableModule(types.ModuleType):
    """Lets ``replydraft.evaluate(...)`` work whichever object that name is bound to.

    The package exports the function :func:`evaluate` under the same name as this module, and Python
    binds ``replydraft.evaluate`` to the *module* once anything imports ``replydraft.evaluate`` (the
    CLI does). Making the module call the function keeps the documented ``replydraft.evaluate(...)``
    working regardless of import order.
    """

    def __call__(
        self,
        dataset: str | os.PathLike[str] | Iterable[EvalItem | Mapping[str, Any]],
        **kwargs: Any,
    ) -> EvalRun:
        return evaluate(dataset, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
