"""Per-event cost of JSONLAuditSink.record (serialize + write + flush + fsync), and of building the event.

Goal: < 1 ms per event with fsync. Run from the repo root:
    PYTHONPATH=. .venv/bin/python benchmarks/audit.py [N] [DIR]
DIR defaults to a temporary directory; point it at the disk the audit trail will live on, since fsync
cost is a property of the filesystem (tmpfs ~µs, SSD ext4 ~0.1-1 ms, network disks more).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from replydraft.audit import JSONLAuditSink, draft_event
from replydraft.models import DraftResult, Flag, Intent, TokenUsage, Triage, Urgency

SALT = b"benchmark-salt-0123456789"


def _result(i: int) -> DraftResult:
    return DraftResult(
        message_id=f"m-{i}",
        patient_id=f"pat-{i % 50}",
        triage=Triage(urgency=Urgency.ROUTINE, intent=Intent.REFILL, reasons=("intent.refill",)),
        flags=(Flag(code="reading_grade", severity="warning"), Flag(code="demo_model", severity="info")),
        model="demo",
        prompt_name="refill.user.j2",
        prompt_sha256="f" * 64,
        usage=TokenUsage(prompt_tokens=900, completion_tokens=150),
        latency_ms=1234.5,
        attempts=1,
        created_at=datetime.now(timezone.utc),
    )


def _run(directory: Path, n: int, *, fsync: bool) -> list[float]:
    results = [_result(i) for i in range(n)]
    times: list[float] = []
    with JSONLAuditSink(directory / f"audit-{fsync}.jsonl", max_bytes=50_000_000, fsync=fsync) as sink:
        for r in results:
            t = time.perf_counter()
            sink.record(draft_event(r, salt=SALT))
            times.append((time.perf_counter() - t) * 1000)
    return times


def _report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    print(
        f"{label:<34} n={len(times):>5}  mean {statistics.fmean(times):.3f} ms  "
        f"p50 {p(0.5):.3f}  p95 {p(0.95):.3f}  p99 {p(0.99):.3f}  max {times[-1]:.3f}"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory(dir=sys.argv[2] if len(sys.argv) > 2 else None) as tmp:
        d = Path(tmp)
        print(f"audit directory: {d} (filesystem decides fsync cost)")
        r0 = _result(0)
        t = time.perf_counter()
        for _ in range(n):
            draft_event(r0, salt=SALT).to_json()
        print(f"{'build + serialize event only':<34} mean {(time.perf_counter() - t) * 1000 / n:.3f} ms")
        _report("record(), fsync=False", _run(d, n, fsync=False))
        _report("record(), fsync=True (default)", _run(d, n, fsync=True))


if __name__ == "__main__":
    main()
