"""A portal-backend worker: pull messages, draft them concurrently, route emergencies, store drafts.

It shows the shape of a real integration: one AsyncDrafter for the process, bounded concurrency, an audit
trail, and every outcome handled as data (escalated / drafted / failed) — nothing is sent to a patient.

    replydraft model fetch smollm2
    python examples/async_backend.py
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from replydraft import AsyncDrafter, FHIRBundleChart, JSONLAuditSink, PortalMessage

HERE = Path(__file__).parent


async def inbox() -> list[PortalMessage]:
    """Stand-in for your queue (Kafka, SQS, a database poll ...)."""
    rows = [json.loads(x) for x in (HERE / "messages.jsonl").read_text().splitlines() if x.strip()]
    return [PortalMessage(id=r["id"], text=r["text"], patient_id=r["patient_id"]) for r in rows]


async def main() -> None:
    from replydraft.local import LocalModelServer

    audit_path = Path(tempfile.mkdtemp()) / "audit.jsonl"
    with LocalModelServer("smollm2") as server:
        async with AsyncDrafter(
            llm=server.async_client(),
            chart=FHIRBundleChart(HERE / "charts"),  # in-process source: runs in a worker thread
            audit=JSONLAuditSink(audit_path),
            audit_salt=b"rotate-me-per-deployment",
        ) as drafter:
            results = await drafter.draft_many(await inbox(), concurrency=4)
    for r in results:
        if r.status == "escalated":
            print(f"{r.message_id}: EMERGENCY -> page the on-call clinician ({', '.join(r.triage.reasons)})")
        elif r.status == "failed":
            assert r.error is not None
            print(f"{r.message_id}: failed ({r.error.code}, retryable={r.error.retryable}) -> requeue")
        else:
            print(f"{r.message_id}: draft ready for review, flags={list(r.flag_codes)}")
    print(f"audit trail: {audit_path}")


if __name__ == "__main__":
    asyncio.run(main())
