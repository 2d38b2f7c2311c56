"""Per-stage time of the pipeline without the LLM, and the demo's seconds per draft with a local model.

    python benchmarks/pipeline.py                 # stages only (a fake instant LLM)
    python benchmarks/pipeline.py --model smollm2 # also real drafts with a cached local model
    python benchmarks/pipeline.py --model qwen2.5-1.5b

Stages come from DraftResult.stage_ms over the bundled examples (repeated), p50/p95 in milliseconds.
The chart stage is reported twice: first read of a bundle (parse) and warm (cached) reads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replydraft import Drafter, FHIRBundleChart, PortalMessage  # noqa: E402
from replydraft.testing import FakeLLM  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def load_examples() -> list[PortalMessage]:
    rows = [
        json.loads(x) for x in (ROOT / "examples" / "messages.jsonl").read_text().splitlines() if x.strip()
    ]
    return [PortalMessage(id=r["id"], text=r["text"], patient_id=r["patient_id"]) for r in rows]


def stages(repeats: int) -> None:
    messages = load_examples()
    t0 = time.perf_counter()
    chart = FHIRBundleChart(ROOT / "examples" / "charts")
    drafter = Drafter(
        llm=FakeLLM(default="Thanks [PATIENT_NAME_1], your care team will review this today."), chart=chart
    )
    first = drafter.draft(messages[0])
    cold_ms = (time.perf_counter() - t0) * 1000
    per_stage: dict[str, list[float]] = {}
    totals: list[float] = []
    for _ in range(repeats):
        for m in messages:
            r = drafter.draft(m)
            for k, v in r.stage_ms.items():
                per_stage.setdefault(k, []).append(v)
            totals.append(r.latency_ms - r.stage_ms.get("llm", 0.0))
    print(f"pipeline without the LLM: {len(messages)} examples x {repeats} repeats (fake instant model)")
    print(
        f"  first draft incl. construction + first bundle read: {cold_ms:.0f} ms "
        f"(chart stage {first.stage_ms.get('chart', 0):.0f} ms)"
    )
    print(f"  {'stage':<10} {'p50 ms':>8} {'p95 ms':>8} {'n':>5}")
    for k, v in per_stage.items():
        print(f"  {k:<10} {pct(v, 0.5):>8.2f} {pct(v, 0.95):>8.2f} {len(v):>5}")
    print(f"  {'total-llm':<10} {pct(totals, 0.5):>8.2f} {pct(totals, 0.95):>8.2f} {len(totals):>5}")


def demo(model: str) -> None:
    from replydraft.local import LocalModelServer

    messages = load_examples()
    t0 = time.perf_counter()
    with LocalModelServer(model) as server:
        start_s = time.perf_counter() - t0
        drafter = Drafter(llm=server.client(timeout=300), chart=FHIRBundleChart(ROOT / "examples" / "charts"))
        secs: list[float] = []
        tokens: list[int] = []
        for m in messages:
            r = drafter.draft(m)
            if r.status == "drafted":
                secs.append(r.latency_ms / 1000)
                tokens.append(r.usage.completion_tokens)
            print(
                f"  {m.id}: {r.status:<9} {r.latency_ms / 1000:6.2f} s attempts={r.attempts} "
                f"tokens={r.usage.prompt_tokens}+{r.usage.completion_tokens} flags={','.join(r.flag_codes)}"
            )
    print(
        f"demo with {model}: server start {start_s:.1f} s; seconds per LLM draft: "
        f"mean {statistics.mean(secs) if secs else 0:.2f}, max {max(secs, default=0):.2f} "
        f"({len(secs)} drafts, {sum(tokens)} completion tokens)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--model", help="also time real drafts with this cached local model")
    args = ap.parse_args()
    stages(args.repeats)
    if args.model:
        demo(args.model)


if __name__ == "__main__":
    main()
