"""Chart figures for issue #4 (prints numbers; asserts nothing).

1. Parse time of the largest sample bundle (FHIRBundleChart read + get_context).
2. One patient's context over REST against a real sekmet-fhir server on 127.0.0.1: wall time of the
   concurrent fetch vs the sum of its searches and vs the slowest single search, each search also timed
   alone on the same server run (goal: wall <= 1.3x the slowest single search).
3. Chart tokens sent to the prompt for the largest sample chart, per intent, vs the token count of its
   full JSON (goal: <= 1,500 with every intent-relevant fact kept). Counted with
   ``estimate_tokens`` and, when a local GGUF model is cached (``replydraft model fetch``), with the
   model's real tokenizer (llama.cpp ``/tokenize``), which also validates the estimate.

Run: ``.venv/bin/python benchmarks/chart.py`` (needs ``scripts/fhir-server.sh`` for figure 2).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from fhir_server import STATIC_TOKEN, SekmetServer, sekmet_available  # noqa: E402

from replydraft.chart import AsyncFHIRChart, BearerAuth, FHIRBundleChart, FHIRChart, select_context  # noqa: E402
from replydraft.chart.relevance import estimate_tokens  # noqa: E402
from replydraft.models import Intent  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "fhir"
RUNS = 15


def largest_bundle() -> Path:
    return max(FIXTURES.glob("*.json"), key=lambda p: p.stat().st_size)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def parse_time(path: Path) -> None:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        chart = FHIRBundleChart(path)
        chart.get_context(chart.patient_ids[0])
        times.append(time.perf_counter() - started)
    print(
        f"[1] parse {path.name} ({path.stat().st_size / 1e6:.2f} MB): "
        f"median {ms(statistics.median(times))}, min {ms(min(times))} over {RUNS} runs (first {ms(times[0])})"
    )


def rest_timing(path: Path) -> None:
    if not sekmet_available():
        print("[2] REST: skipped (sekmet-fhir not installed: run scripts/fhir-server.sh)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = SekmetServer(Path(tmp))
        try:
            bundle = json.loads(path.read_text(encoding="utf-8"))
            mapping = server.load(bundle)
            pid = next(v for k, v in mapping.items() if k.startswith("Patient/")).partition("/")[2]
            auth = BearerAuth(STATIC_TOKEN)
            with FHIRChart(server.base_url, auth=auth) as chart:
                chart.get_context(pid)  # warm-up (connections, server caches)
                plan = chart._plan(pid, chart._current_now())
                walls, sums, slowest = [], [], []
                for _ in range(RUNS):
                    chart.get_context(pid)
                    walls.append(chart.last_timings["total"])
                    alone = [_timed(lambda s=s: chart._search(s)) for s in plan]
                    alone.append(_timed(lambda: chart._read("Patient", pid)))
                    sums.append(sum(alone))
                    slowest.append(max(alone))
                full = _timed(lambda: chart.get_context(pid))
            wall, total, slow = (statistics.median(x) for x in (walls, sums, slowest))
            print(
                f"[2] REST sync, one patient, {len(plan)} searches + Patient read: concurrent fetch wall "
                f"{ms(wall)}; searches one at a time: sum {ms(total)}, slowest {ms(slow)}; "
                f"wall/slowest {wall / slow:.2f}x (goal <= 1.3x); get_context incl. parse {ms(full)}"
            )
            asyncio.run(_async_rest(server.base_url, auth, pid, slow))
            asyncio.run(_server_concurrency(server.base_url, pid))
            _with_latency(server.base_url, auth, pid)
        finally:
            server.stop()


async def _async_rest(base_url: str, auth: BearerAuth, pid: str, slowest: float) -> None:
    async with AsyncFHIRChart(base_url, auth=auth) as chart:
        await chart.get_context(pid)
        walls = []
        for _ in range(RUNS):
            await chart.get_context(pid)
            walls.append(chart.last_timings["total"])
    wall = statistics.median(walls)
    print(f"[2] REST async: concurrent fetch wall {ms(wall)}; wall/slowest {wall / slowest:.2f}x")


async def _server_concurrency(base_url: str, pid: str) -> None:
    """How much the server itself overlaps requests: 1 vs 9 identical concurrent Patient reads."""
    headers = {"Authorization": f"Bearer {STATIC_TOKEN}", "Accept": "application/fhir+json"}
    async with httpx.AsyncClient(headers=headers) as client:
        url = f"{base_url}/Patient/{pid}"
        await client.get(url)
        one, nine = [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            await client.get(url)
            one.append(time.perf_counter() - started)
            started = time.perf_counter()
            await asyncio.gather(*(client.get(url) for _ in range(9)))
            nine.append(time.perf_counter() - started)
    a, b = statistics.median(one), statistics.median(nine)
    print(
        f"[2] server check: one Patient read {ms(a)}, nine concurrent {ms(b)} ({b / a:.1f}x one; "
        f"9x = the server handles requests one at a time)"
    )


LATENCY_S = 0.040


class _SlowTransport(httpx.HTTPTransport):
    """Adds a fixed delay per request: a hosted EHR's network + queueing time, which the local,
    single-process (GIL-bound) sekmet server does not have."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        time.sleep(LATENCY_S)
        return super().handle_request(request)


class _AsyncSlowTransport(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(LATENCY_S)
        return await super().handle_async_request(request)


def _with_latency(base_url: str, auth: BearerAuth, pid: str) -> None:
    with FHIRChart(base_url, auth=auth, http_client=httpx.Client(transport=_SlowTransport())) as chart:
        chart.get_context(pid)
        plan = chart._plan(pid, chart._current_now())
        walls, slowest = [], []
        for _ in range(5):
            chart.get_context(pid)
            walls.append(chart.last_timings["total"])
            slowest.append(max(_timed(lambda s=s: chart._search(s)) for s in plan))
    wall, slow = statistics.median(walls), statistics.median(slowest)

    async def run() -> float:
        client = httpx.AsyncClient(transport=_AsyncSlowTransport())
        async with AsyncFHIRChart(base_url, auth=auth, http_client=client) as achart:
            await achart.get_context(pid)
            out = []
            for _ in range(5):
                await achart.get_context(pid)
                out.append(achart.last_timings["total"])
        await client.aclose()
        return statistics.median(out)

    awall = asyncio.run(run())
    print(
        f"[2] REST with {LATENCY_S * 1000:.0f} ms added per request: slowest single search {ms(slow)}; "
        f"concurrent wall sync {ms(wall)} ({wall / slow:.2f}x), async {ms(awall)} ({awall / slow:.2f}x)"
    )


def client_only() -> None:
    """The client's own overhead: a fake EHR (MockTransport) answering every request after 40 ms,
    with the lab search two pages long (the slowest search: 80 ms). No server CPU is involved."""
    patient = {"resourceType": "Patient", "id": "p1"}

    def page(request: httpx.Request) -> dict[str, Any]:
        if request.url.path.endswith("/Patient/p1"):
            return patient
        links = []
        if "laboratory" in str(request.url) and "page=2" not in str(request.url):
            links = [
                {"relation": "next", "url": "http://ehr.test/fhir/Observation?category=laboratory&page=2"}
            ]
        return {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": []}

    def sync_handler(request: httpx.Request) -> httpx.Response:
        time.sleep(LATENCY_S)
        return httpx.Response(200, json=page(request))

    async def async_handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(LATENCY_S)
        return httpx.Response(200, json=page(request))

    with FHIRChart(
        "http://ehr.test/fhir", http_client=httpx.Client(transport=httpx.MockTransport(sync_handler))
    ) as c:
        c.get_context("p1")
        walls = []
        for _ in range(RUNS):
            c.get_context("p1")
            walls.append(c.last_timings["total"])

    async def run() -> float:
        client = httpx.AsyncClient(transport=httpx.MockTransport(async_handler))
        async with AsyncFHIRChart("http://ehr.test/fhir", http_client=client) as ac:
            await ac.get_context("p1")
            out = []
            for _ in range(RUNS):
                await ac.get_context("p1")
                out.append(ac.last_timings["total"])
        await client.aclose()
        return statistics.median(out)

    wall, awall = statistics.median(walls), asyncio.run(run())
    slowest = 2 * LATENCY_S
    print(
        f"[2] client only (fake EHR, {LATENCY_S * 1000:.0f} ms per response, slowest search {ms(slowest)}): "
        f"wall sync {ms(wall)} ({wall / slowest:.2f}x), async {ms(awall)} ({awall / slowest:.2f}x)"
    )


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


class RealTokenizer:
    """llama.cpp's /tokenize on a cached GGUF model, or None when no model is cached."""

    def __init__(self, name: str) -> None:
        from replydraft.local import LocalModelServer

        self.name = name
        self.server = LocalModelServer(name, ctx_size=512).start()
        self.root = self.server.base_url.removesuffix("/v1")
        self.client = httpx.Client(timeout=120, headers={"Authorization": f"Bearer {self.server._api_key}"})

    def count(self, text: str) -> int:
        r = self.client.post(f"{self.root}/tokenize", json={"content": text})
        r.raise_for_status()
        return len(r.json()["tokens"])

    def close(self) -> None:
        self.client.close()
        self.server.stop()


def tokens(path: Path) -> None:
    chart = FHIRBundleChart(path)
    ctx = chart.get_context(chart.patient_ids[0])
    now = max(o.effective for o in ctx.observations if o.effective) + timedelta(days=14)
    cases = [
        (Intent.REFILL, "Can I get a refill of my hydrochlorothiazide? I am almost out."),
        (Intent.RESULTS, "What were my cholesterol and kidney results?"),
        (Intent.RESULTS, "Any news on my labs?"),
        (Intent.SYMPTOM, "I have been short of breath and coughing since Tuesday."),
        (Intent.SCHEDULING, "Can I move my next appointment?"),
    ]
    raw = path.read_text(encoding="utf-8")
    tokenizers: list[RealTokenizer] = []
    for name in ("qwen2.5-1.5b", "smollm2"):
        try:
            tokenizers.append(RealTokenizer(name))
        except Exception as exc:  # a missing model only means no real-tokenizer column
            print(f"    ({name} tokenizer unavailable: {type(exc).__name__})")
    try:
        real_full = ", ".join(f"{t.name} {t.count(raw):,}" for t in tokenizers)
        print(
            f"[3] full JSON of {path.name}: estimate {estimate_tokens(raw):,} tokens"
            + (f"; real: {real_full}" if real_full else "")
        )
        for intent, text in cases:
            picked = select_context(ctx, intent=intent, text=text, now=now)
            prompt = "\n".join(picked.as_prompt_lines()) + "\n"
            real = ", ".join(f"{t.name} {t.count(prompt)}" for t in tokenizers)
            print(
                f"[3] {intent.value:<10} {text[:40]!r:<44} facts {len(picked.facts):>2}, dropped "
                f"{len(picked.dropped):>2}, estimate {picked.token_estimate:>4}"
                + (f", real: {real}" if real else "")
            )
    finally:
        for t in tokenizers:
            t.close()


def main() -> None:
    path = largest_bundle()
    parse_time(path)
    rest_timing(path)
    client_only()
    tokens(path)


if __name__ == "__main__":
    main()
