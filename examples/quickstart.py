"""Quickstart: draft one reply with the local demo model (offline) or any OpenAI-compatible endpoint.

replydraft model fetch smollm2          # or qwen2.5-1.5b for readable drafts
python examples/quickstart.py            # local model
OPENAI_API_KEY=... python examples/quickstart.py --openai gpt-4o-mini
"""

from __future__ import annotations

import argparse
from pathlib import Path

from replydraft import Drafter, FHIRBundleChart, OpenAIClient

HERE = Path(__file__).parent
MILAN = "8adf7251-257f-4b45-8ef5-0a6b3b9fe0ef"  # Patient.id in examples/charts (Synthea, synthetic)
MESSAGE = "Hi, this is Milan Beatty. I'm almost out of my fluoxetine. Can you send a refill? Thanks!"


def show(drafter: Drafter) -> None:
    result = drafter.draft(MESSAGE, patient_id=MILAN)
    print("triage:", result.triage.urgency.value, result.triage.intent.value)
    print("sent to the model:", result.deidentified_message)
    print("draft:\n" + result.body)
    for flag in result.flags:
        print(f"  [{flag.severity}] {flag.code}: {flag.message}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--openai", metavar="MODEL", help="use the OpenAI API (reads OPENAI_API_KEY)")
    ap.add_argument("--local", default="smollm2", help="local model name when not using --openai")
    args = ap.parse_args()
    chart = FHIRBundleChart(HERE / "charts")
    if args.openai:
        with Drafter(llm=OpenAIClient(model=args.openai), chart=chart) as drafter:
            show(drafter)
        return
    from replydraft.local import LocalModelServer

    with LocalModelServer(args.local) as server, Drafter(llm=server.client(), chart=chart) as drafter:
        show(drafter)


if __name__ == "__main__":
    main()
