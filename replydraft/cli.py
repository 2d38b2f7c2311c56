"""The ``replydraft`` command: ``demo``, ``draft``, ``deid``, ``eval`` and ``model fetch|list|path``.

Results go to stdout; progress and errors go to stderr. Exit codes: 0 ok, 1 a typed replydraft error,
2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from . import errors

__all__ = ["main"]


def _eprint(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def examples_dir() -> Path:
    """The bundled example messages and charts (packaged in the wheel, or the checkout's ``examples/``)."""
    inside = Path(str(resources.files("replydraft"))) / "examples"
    if (inside / "messages.jsonl").is_file():
        return inside
    checkout = Path(__file__).resolve().parent.parent / "examples"
    if (checkout / "messages.jsonl").is_file():
        return checkout
    raise errors.ConfigurationError("bundled examples not found; reinstall replydraft")


def _read_text_arg(value: str) -> str:
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise errors.ConfigurationError(f"cannot read message file ({exc.strerror})") from exc
    return value


def _add_endpoint_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model endpoint (default: the local demo model, in-process, offline)")
    g.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    g.add_argument(
        "--model",
        help="model name at --base-url; without it, a local model (qwen2.5-1.5b, smollm2) or a .gguf path",
    )
    g.add_argument("--api-key", help="API key for --base-url (default: the SDK reads OPENAI_API_KEY)")
    g.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per model call (default: 60 for --base-url; 600 for the local CPU model)",
    )
    g.add_argument(
        "--threads",
        type=int,
        default=None,
        help="local model: CPU threads (default: all cores; use 1 on a machine busy with other work)",
    )


@contextlib.contextmanager
def _llm(args: argparse.Namespace) -> Iterator[Any]:
    """An OpenAI client for --base-url, or one pointed at an in-process local model server."""
    from .openai_client import OpenAIClient

    if args.base_url:
        if not args.model:
            raise errors.ConfigurationError("--model is required with --base-url")
        client = OpenAIClient(
            model=args.model,
            base_url=args.base_url,
            api_key=args.api_key or "not-needed",
            timeout=args.timeout or 60.0,
        )
        try:
            yield client
        finally:
            client.close()
        return
    from .local import DEFAULT_DEMO_MODEL, LocalModelServer

    model = args.model or DEFAULT_DEMO_MODEL
    _eprint(f"starting local model {model} (in-process, 127.0.0.1 only) ...")
    t0 = time.perf_counter()
    with LocalModelServer(model, threads=args.threads) as server:
        _eprint(f"model ready in {time.perf_counter() - t0:.1f} s")
        client = server.client(timeout=args.timeout) if args.timeout else server.client()
        try:
            yield client
        finally:
            client.close()


def _chart(args: argparse.Namespace) -> Any:
    if getattr(args, "fhir_base_url", None):
        from .chart import BearerAuth, FHIRChart

        auth = BearerAuth(args.fhir_token) if args.fhir_token else None
        return FHIRChart(args.fhir_base_url, auth=auth)
    if getattr(args, "chart", None):
        from .chart import FHIRBundleChart

        return FHIRBundleChart(args.chart)
    return None


def _print_result(index: int, total: int, text: str, result: Any) -> None:
    from textwrap import indent

    bar = "=" * 78
    print(bar)
    print(f"[{index}/{total}] message {result.message_id}  patient {result.patient_id or '-'}")
    print(indent(text.strip(), "  > "))
    t = result.triage
    print(f"triage: urgency={t.urgency.value} intent={t.intent.value} reasons={', '.join(t.reasons) or '-'}")
    if result.deidentified_message:
        print("sent to the model (de-identified):")
        print(indent(result.deidentified_message.strip(), "  | "))
    label = (
        "escalation reply (template, no AI)" if result.status == "escalated" else "draft for the physician"
    )
    if result.status == "failed" and result.error is not None:
        print(f"FAILED: {result.error.type} ({result.error.code}): {result.error.message}")
    else:
        print(f"{label}:")
        print(indent(result.body.strip(), "  "))
    if result.citations:
        print(
            "chart facts provided: "
            + ", ".join(c.id + ("*" if c.cited_by_model else "") for c in result.citations)
        )
    if result.flags:
        print("flags:")
        for f in result.flags:
            print(f"  - [{f.severity}] {f.code}: {f.message}")
    stages = " ".join(f"{k}={v:.0f}ms" for k, v in result.stage_ms.items())
    print(
        f"time: {result.latency_ms / 1000:.2f} s ({stages}); model={result.model or '-'} "
        f"tokens={result.usage.prompt_tokens}+{result.usage.completion_tokens}"
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from .chart import FHIRBundleChart
    from .drafter import Drafter
    from .models import PortalMessage

    root = examples_dir()
    rows = [
        json.loads(line)
        for line in (root / "messages.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    if args.limit:
        rows = rows[: args.limit]
    chart = FHIRBundleChart(root / "charts")
    with _llm(args) as llm:
        drafter = Drafter(llm=llm, chart=chart)
        times = []
        for i, row in enumerate(rows, 1):
            _eprint(f"drafting {i}/{len(rows)} ...")
            msg = PortalMessage(id=row["id"], text=row["text"], patient_id=row.get("patient_id"))
            try:
                result = drafter.draft(msg)
            except errors.ReplyDraftError as exc:
                from ._pipeline import failed

                result = failed(msg, msg.patient_id, exc)
            times.append(result.latency_ms / 1000)
            _print_result(i, len(rows), row["text"], result)
    drafted = [t for t in times if t > 0]
    print("=" * 78)
    print(
        f"{len(rows)} messages; seconds per message: mean {sum(drafted) / max(1, len(drafted)):.2f}, "
        f"max {max(drafted, default=0):.2f}. Every draft needs a physician's review and signature."
    )
    return 0


def _cmd_draft(args: argparse.Namespace) -> int:
    from .drafter import Drafter

    text = _read_text_arg(args.message)
    chart = _chart(args)
    with _llm(args) as llm:
        drafter = Drafter(llm=llm, chart=chart)
        result = drafter.draft(text, patient_id=args.patient)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        _print_result(1, 1, text, result)
    return 0


def _cmd_deid(args: argparse.Namespace) -> int:
    from .deid import Deidentifier, KnownIdentifiers

    text = _read_text_arg(args.text)
    known = None
    if args.chart and args.patient:
        from .chart import FHIRBundleChart

        known = KnownIdentifiers.from_chart(FHIRBundleChart(args.chart).get_context(args.patient))
    result = Deidentifier().deidentify(text, known=known)
    if args.json:
        spans = [
            {"start": s.start, "end": s.end, "entity_type": s.entity_type, "placeholder": s.placeholder}
            for s in result.spans
        ]
        print(json.dumps({"text": result.text, "spans": spans}, ensure_ascii=False, indent=2))
    else:
        print(result.text)
        for s in result.spans:
            print(f"  {s.start:>5}-{s.end:<5} {s.entity_type:<14} {s.placeholder}", file=sys.stderr)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from .drafter import Drafter
    from .evaluate import evaluate, load_dataset

    chart = _chart(args)
    dataset = load_dataset(args.input)
    with _llm(args) as llm:
        drafter = Drafter(llm=llm, chart=chart)
        run = evaluate(
            dataset, drafter=drafter, out_dir=args.out, concurrency=args.concurrency, progress=True
        )
    print(json.dumps(run.summary, indent=2, default=str))
    _eprint(f"wrote {args.out}")
    return 0


def _cmd_model(args: argparse.Namespace) -> int:
    from . import local

    if args.model_cmd == "fetch":
        name = args.name or local.DEFAULT_DEMO_MODEL
        path = local.fetch_model(name, progress=_eprint)
        print(path)
    elif args.model_cmd == "list":
        for name, spec in local.MODELS.items():
            cached = local.cached_model_path(name)
            state = f"cached at {cached}" if cached else "not fetched"
            print(f"{name:<14} {spec.size_bytes / 1e6:>8.0f} MB  {state}")
    elif args.model_cmd == "path":
        print(local.resolve_model(args.name or local.DEFAULT_DEMO_MODEL))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="replydraft",
        description="Draft replies to patient-portal messages for a physician to edit and sign.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the bundled examples offline through the whole pipeline")
    _add_endpoint_flags(p)
    p.add_argument("--limit", type=int, default=0, help="only the first N examples")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("draft", help="draft a reply to one message")
    p.add_argument("--message", required=True, help="the message text, or @FILE")
    p.add_argument("--patient", help="the patient's chart id (FHIR Patient.id)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--chart", help="FHIR R4 bundle file or folder of bundles")
    g.add_argument("--fhir-base-url", help="FHIR R4 REST base URL")
    p.add_argument("--fhir-token", help="bearer token for --fhir-base-url")
    p.add_argument("--json", action="store_true", help="print the DraftResult as JSON")
    _add_endpoint_flags(p)
    p.set_defaults(func=_cmd_draft)

    p = sub.add_parser("deid", help="print the de-identified text and its spans")
    p.add_argument("text", help="the text, or @FILE")
    p.add_argument("--chart", help="bundle file or folder, to use the patient's known identifiers")
    p.add_argument("--patient", help="the patient's chart id (with --chart)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_deid)

    p = sub.add_parser("eval", help="run a dataset through the pipeline and write a report")
    p.add_argument("input", help="JSONL: id, text, patient_id, optional expected_urgency/intent, reference")
    p.add_argument("--chart", help="FHIR R4 bundle file or folder of bundles")
    p.add_argument("--fhir-base-url", help="FHIR R4 REST base URL")
    p.add_argument("--fhir-token", help="bearer token for --fhir-base-url")
    p.add_argument("--out", required=True, help="output folder (results.jsonl, summary.csv, report.html)")
    p.add_argument("--concurrency", type=int, default=2, help="drafts at once (default 2)")
    _add_endpoint_flags(p)
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("model", help="local demo models: fetch (explicit download), list, path")
    msub = p.add_subparsers(dest="model_cmd", required=True)
    f = msub.add_parser("fetch", help="download and sha256-verify a model into the user cache")
    f.add_argument("name", nargs="?", help="qwen2.5-1.5b (default demo model) or smollm2 (tiny test model)")
    msub.add_parser("list", help="list the known models and whether they are cached")
    f = msub.add_parser("path", help="print the verified path of a cached model")
    f.add_argument("name", nargs="?")
    p.set_defaults(func=_cmd_model)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``replydraft`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except errors.ReplyDraftError as exc:
        _eprint(f"replydraft: error: {type(exc).__name__}: {exc}")
        return 1
    except KeyboardInterrupt:
        _eprint("replydraft: interrupted")
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
