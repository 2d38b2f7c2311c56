"""Compare the triage screen's speed in two source trees, in the same run (the VM's speed drifts by day).

Each tree is loaded in its own subprocess; the two subprocesses take turns, one pass over the messages
each, nine times (``--rounds``). Every message keeps its best time per tree, which filters out the
moments another process held the core. Prints the median and p95 of those best times, with both
statistical models and with the rules and patterns only, and the ratio new / old.

Usage (from the repository root):
    git archive <commit> replydraft | tar -x -C /tmp/old     # any earlier tree
    .venv/bin/python benchmarks/triage_speed_ab.py /tmp/old .
    .venv/bin/python benchmarks/triage_speed_ab.py /tmp/old . tests/fixtures/triage_heldout.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

# Runs inside each tree: reads one line ("go") per pass and answers with the pass's timings as JSON.
_WORKER = r"""
import dataclasses, json, sys, time
sys.path.insert(0, sys.argv[1])
from replydraft.triage import load_rules, screen
texts = json.loads(sys.stdin.readline())
full = load_rules()
rules_only = dataclasses.replace(full, screen_model=None, urgent_model=None)
for t in texts:
    screen(t, rules=full)
    screen(t, rules=rules_only)
print("ready", flush=True)
for line in sys.stdin:
    both, alone = [], []
    for t in texts:
        a = time.perf_counter(); screen(t, rules=full); b = time.perf_counter()
        screen(t, rules=rules_only); c = time.perf_counter()
        both.append(b - a); alone.append(c - b)
    print(json.dumps([both, alone]), flush=True)
"""


def _summary(best: list[float]) -> tuple[float, float]:
    ordered = sorted(best)
    return 1000 * statistics.median(ordered), 1000 * ordered[int(0.95 * len(ordered))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("old", help="a tree holding replydraft/ (the baseline)")
    ap.add_argument("new", help="a tree holding replydraft/ (compared against the baseline)")
    ap.add_argument("path", nargs="?", default="tests/fixtures/triage_dev.jsonl")
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    texts = [
        json.loads(line)["text"]
        for line in Path(args.path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    workers = {}
    for name, tree in (("old", args.old), ("new", args.new)):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(Path(tree).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(texts) + "\n")
        proc.stdin.flush()
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"{name} tree failed to load")
        workers[name] = proc
    best = {name: ([float("inf")] * len(texts), [float("inf")] * len(texts)) for name in workers}
    for _ in range(args.rounds):
        for name, proc in workers.items():
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
            both, alone = json.loads(proc.stdout.readline())
            b, a = best[name]
            best[name] = (
                [min(x, y) for x, y in zip(b, both, strict=True)],
                [min(x, y) for x, y in zip(a, alone, strict=True)],
            )
    for proc in workers.values():
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    print(f"{len(texts)} messages from {args.path}, best of {args.rounds} interleaved passes per message")
    medians = {}
    for name in ("old", "new"):
        both_med, both_p95 = _summary(best[name][0])
        alone_med, alone_p95 = _summary(best[name][1])
        medians[name] = (both_med, alone_med)
        print(
            f"  {name}: both models median {both_med:.2f} ms (p95 {both_p95:.2f}); "
            f"rules only median {alone_med:.2f} ms (p95 {alone_p95:.2f})"
        )
    print(
        f"  new / old: both models {medians['new'][0] / medians['old'][0]:.2f}x, "
        f"rules only {medians['new'][1] / medians['old'][1]:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
