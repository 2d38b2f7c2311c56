"""Audit events and sinks: content (ids and numbers, no text), durability, concurrency, rotation."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from replydraft.audit import (
    AuditEvent,
    AuditSink,
    InMemoryAuditSink,
    JSONLAuditSink,
    discard_event,
    draft_event,
    hash_patient_id,
    sign_event,
)
from replydraft.errors import AuditError, ConfigurationError
from replydraft.models import (
    Citation,
    DraftResult,
    ErrorInfo,
    Flag,
    Intent,
    TokenUsage,
    Triage,
    Urgency,
)

SALT = b"0123456789abcdef-salt"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def make_result(**kw: object) -> DraftResult:
    base: dict[str, object] = {
        "message_id": "m-1",
        "patient_id": "pat-9",
        "body": "Hi Maria Lopez, your potassium was 5.3.",
        "deidentified_body": "Hi [PATIENT_NAME_1], your potassium was 5.3.",
        "deidentified_message": "My name is [PATIENT_NAME_1]",
        "triage": Triage(urgency=Urgency.URGENT, intent=Intent.RESULTS, reasons=("results.lab",)),
        "flags": (
            Flag(code="reading_grade", severity="warning", message="Reading grade above 8."),
            Flag(code="unsupported_dose", severity="blocking", message="A dose is not in the chart."),
        ),
        "citations": (Citation(id="Observation/k1", label="Potassium 5.3 mmol/L"),),
        "model": "fake-model",
        "prompt_name": "results.user.j2",
        "prompt_sha256": "a" * 64,
        "usage": TokenUsage(prompt_tokens=120, completion_tokens=40),
        "latency_ms": 812.5,
        "llm_latency_ms": 700.0,
        "attempts": 1,
        "created_at": T0,
    }
    base.update(kw)
    return DraftResult(**base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- events


def test_hash_is_hmac_sha256_and_salt_dependent() -> None:
    expected = hmac.new(SALT, b"pat-9", hashlib.sha256).hexdigest()
    assert hash_patient_id("pat-9", SALT) == expected
    assert hash_patient_id("pat-9", SALT + b"x") != expected


@pytest.mark.parametrize("salt", [b"", b"short", "a-string-salt-of-enough-length"])
def test_bad_salts_are_refused(salt: object) -> None:
    with pytest.raises(ConfigurationError):
        draft_event(make_result(), salt=salt)  # type: ignore[arg-type]


def test_draft_event_fields() -> None:
    result = make_result()
    event = draft_event(result, salt=SALT)
    assert event.kind == "draft"
    assert event.draft_audit_id == result.audit_id
    assert event.patient_hash == hash_patient_id("pat-9", SALT)
    assert (event.urgency, event.intent) == ("urgent", "results")
    assert event.flags == ("reading_grade", "unsupported_dose")
    assert event.blocking_flags == ("unsupported_dose",)
    assert (event.prompt_tokens, event.completion_tokens) == (120, 40)
    assert event.prompt_name == "results.user.j2" and event.prompt_sha256 == "a" * 64
    assert event.latency_ms == 812.5 and event.citation_count == 1
    line = event.to_json()
    for secret in ("Maria", "Lopez", "pat-9", "5.3", "PATIENT_NAME", "Reading grade", "Potassium"):
        assert secret not in line


def test_failed_draft_event_has_error_code_and_no_patient() -> None:
    result = make_result(
        status="failed",
        patient_id=None,
        error=ErrorInfo(type="LLMTimeoutError", code="llm_timeout", message="timed out"),
    )
    event = draft_event(result, salt=SALT)
    assert event.error_code == "llm_timeout" and event.patient_hash is None
    assert "timed out" not in event.to_json()


def test_sign_and_discard_events() -> None:
    signed = make_result().sign(
        "dr-1", "Hi Maria Lopez, your potassium was a bit high.", acknowledge=True, reviewed_at=T0
    )
    ev = sign_event(signed, salt=SALT)
    assert ev.kind == "sign" and ev.clinician_id == "dr-1"
    assert ev.acknowledged_flags == ("unsupported_dose",)
    assert ev.disclosure_included is False and ev.disclosure_reason == "licensed_clinician_reviewed"
    assert ev.disclosure_in_text is False
    assert ev.edit is not None and ev.edit["words_added"] == signed.metrics.words_added
    assert "Maria" not in ev.to_json()
    record = make_result().discard("tone", clinician_id="dr-2", discarded_at=T0)
    dv = discard_event(record, salt=SALT)
    assert dv.kind == "discard" and dv.discard_reason == "tone" and dv.occurred_at == T0


def test_event_forbids_extra_fields() -> None:
    with pytest.raises(ValueError):
        AuditEvent(kind="draft", occurred_at=T0, draft_audit_id="x", message_id="m", text="no")  # type: ignore[call-arg]


def test_sinks_satisfy_the_protocol(tmp_path: Path) -> None:
    sink = JSONLAuditSink(tmp_path / "a.jsonl")
    assert isinstance(sink, AuditSink)
    assert isinstance(InMemoryAuditSink(), AuditSink)
    sink.close()


# --------------------------------------------------------------------------- JSONL sink


def test_jsonl_appends_one_line_per_event_and_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    path = tmp_path / "sub" / "audit.jsonl"
    with JSONLAuditSink(path) as sink:
        for _ in range(3):
            sink.record(draft_event(make_result(), salt=SALT))
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and len(calls) == 3
    assert [json.loads(x)["kind"] for x in lines] == ["draft"] * 3
    # reopening appends, never truncates
    with JSONLAuditSink(path) as sink:
        sink.record(draft_event(make_result(), salt=SALT))
    assert len(path.read_text().splitlines()) == 4


def test_jsonl_is_durable_before_close(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    sink = JSONLAuditSink(path)
    sink.record(draft_event(make_result(), salt=SALT))
    # another reader sees the line while the sink is still open (flushed, not buffered)
    assert len(path.read_text().splitlines()) == 1
    sink.close()


def test_jsonl_closed_sink_raises(tmp_path: Path) -> None:
    sink = JSONLAuditSink(tmp_path / "a.jsonl")
    sink.close()
    sink.close()  # idempotent
    with pytest.raises(AuditError):
        sink.record(draft_event(make_result(), salt=SALT))


def test_jsonl_write_error_is_audit_error(tmp_path: Path) -> None:
    sink = JSONLAuditSink(tmp_path / "a.jsonl")

    class Broken:
        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            pass

    sink._file.close()
    sink._file = Broken()  # simulate a full disk
    with pytest.raises(AuditError) as info:
        sink.record(draft_event(make_result(), salt=SALT))
    assert isinstance(info.value.__cause__, OSError)


def test_jsonl_unwritable_path_is_audit_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AuditError):
        JSONLAuditSink(blocker / "audit.jsonl")


def test_jsonl_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    sink = JSONLAuditSink(path, fsync=False)
    events = [draft_event(make_result(message_id=f"m-{i}"), salt=SALT) for i in range(400)]

    def worker(chunk: list[AuditEvent]) -> None:
        for e in chunk:
            sink.record(e)

    threads = [threading.Thread(target=worker, args=(events[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.close()
    lines = path.read_text().splitlines()
    parsed = [json.loads(x) for x in lines]  # every line is whole JSON
    assert sorted(p["message_id"] for p in parsed) == sorted(f"m-{i}" for i in range(400))


def test_jsonl_rotation_keeps_every_event_by_default(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    line_len = len(draft_event(make_result(), salt=SALT).to_json()) + 1
    sink = JSONLAuditSink(path, max_bytes=line_len * 3 + 10)
    ids = []
    for i in range(10):
        e = draft_event(make_result(message_id=f"m-{i:02d}"), salt=SALT)
        ids.append(e.event_id)
        sink.record(e)
    sink.close()
    files = sorted(tmp_path.iterdir())
    assert path in files and path.with_name("audit.jsonl.1") in files
    for f in files:
        assert f.stat().st_size <= line_len * 3 + 10
    # every event survives, and .N is older than .N-1 (newest is the live file)
    order = [path.with_name(f"audit.jsonl.{n}") for n in range(len(files) - 1, 0, -1)] + [path]
    seen = [json.loads(x)["event_id"] for f in order for x in f.read_text().splitlines()]
    assert seen == ids


def test_jsonl_rotation_with_backups_limit(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    line_len = len(draft_event(make_result(), salt=SALT).to_json()) + 1
    sink = JSONLAuditSink(path, max_bytes=line_len, backups=2)
    for i in range(6):
        sink.record(draft_event(make_result(message_id=f"m-{i}"), salt=SALT))
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    newest = [
        json.loads(path.with_name(n).read_text())["message_id"]
        for n in ("audit.jsonl.2", "audit.jsonl.1", "audit.jsonl")
    ]
    assert newest == ["m-3", "m-4", "m-5"]


def test_jsonl_bad_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        JSONLAuditSink(tmp_path / "a", max_bytes=-1)
    with pytest.raises(ConfigurationError):
        JSONLAuditSink(tmp_path / "a", backups=-1)


def test_in_memory_sink() -> None:
    sink = InMemoryAuditSink()
    sink.record(draft_event(make_result(), salt=SALT))
    assert len(sink) == 1 and sink.events[0].kind == "draft"
    sink.close()
    with pytest.raises(AuditError):
        sink.record(draft_event(make_result(), salt=SALT))
    assert len(sink.events) == 1


def test_jsonl_rotation_with_zero_backups_keeps_only_the_live_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    line_len = len(draft_event(make_result(), salt=SALT).to_json()) + 1
    with JSONLAuditSink(path, max_bytes=line_len, backups=0) as sink:
        for i in range(3):
            sink.record(draft_event(make_result(message_id=f"m-{i}"), salt=SALT))
    assert [p.name for p in tmp_path.iterdir()] == ["audit.jsonl"]
    assert json.loads(path.read_text())["message_id"] == "m-2"


def test_check_salt() -> None:
    from replydraft.audit import check_salt

    check_salt(SALT)
    with pytest.raises(ConfigurationError):
        check_salt(b"short")
