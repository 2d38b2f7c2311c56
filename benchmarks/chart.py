"""Chart figures for issue #4 (prints numbers; asserts nothing).

1. Parse time of the largest sample bundle (FHIRBundleChart read + get_context).
2. One patient's context over REST against a real sekmet-fhir server on 127.0.0.1: wall time of the
   concurrent fetch vs the sum of its searches and vs the slowest single search, each search also timed
   alone on the same server run (goal: wall <= 1.3x the slowest single search). The concurrent fetch
   uses the charts' default ``batch=None`` (the Patient read and all searches but the lab one as one FHIR
   batch POST, the lab search as a GET beside it; separate GETs if the server refuses batch) and says
   which path it measured; "one at a time" is always each search as its own GET. Measured twice: on
   the single-process server (``sekmet serve``, which serves one request at a time: it shares one
   SQLite connection behind one lock) and on the same app under ``uvicorn --workers N`` (how
   FastAPI servers are deployed; each worker reads the WAL database through its own connection).
   The gap between the two is the server's, not the client's: the client-only figure (a fake EHR
   answering every request after 40 ms) shows the client's own overhead.
3. Chart tokens sent to the prompt for the largest sample chart, per intent, vs the token count of its
   full JSON (goal: <= 1,500 with every intent-relevant fact kept). Counted with
   ``estimate_tokens`` and, when a local GGUF model is cached (``replydraft model fetch``), with the
   model's real tokenizer (llama.cpp ``/tokenize``), which also validates the estimate.

Run: ``.venv/bin/python benchmarks/chart.py [--workers 2,4]`` (needs ``scripts/fhir-server.sh`` for
figure 2). The machine's load changes every figure: run it 2-3 times and take medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
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


@dataclass
class _Server:
    """One sekmet server configuration under test and its measurements."""

    name: str
    label: str
    server: SekmetServer
    pid: str
    walls: list[float] = field(default_factory=list)
    sums: list[float] = field(default_factory=list)
    slowest: list[float] = field(default_factory=list)
    async_walls: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    path: str = "separate"


def rest_timing(path: Path, worker_counts: list[int]) -> None:
    """Figure 2 on the single-process server and on each multi-worker server, same bundle.

    The servers run side by side and the rounds alternate between them, so a change in the shared
    machine's load hits every configuration alike.
    """
    if not sekmet_available():
        print("[2] REST: skipped (sekmet-fhir not installed: run scripts/fhir-server.sh)")
        return
    bundle = json.loads(path.read_text(encoding="utf-8"))
    servers: list[_Server] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for workers in (1, *worker_counts):
                if workers == 1:
                    name = "single process"
                    label = "`sekmet serve`: one process, one SQLite connection behind one lock"
                else:
                    name = f"{workers} workers"
                    label = f"`uvicorn sekmet.main:app_factory --factory --workers {workers}`"
                server = SekmetServer(Path(tmp) / f"w{workers}", workers=workers)
                servers.append(_Server(name, label, server, ""))
                mapping = server.load(bundle)
                servers[-1].pid = next(v for k, v in mapping.items() if k.startswith("Patient/")).split("/")[
                    1
                ]
            load_before = os.getloadavg()
            asyncio.run(_interleaved(servers))
            load_after = os.getloadavg()
            cpus = os.cpu_count() or 1
            for srv in servers:
                wall, total, slow, awall = (
                    statistics.median(x) for x in (srv.walls, srv.sums, srv.slowest, srv.async_walls)
                )
                print(f"[2] server: sekmet-fhir, {srv.name} ({srv.label})")
                asyncio.run(_server_concurrency(srv.server.base_url, srv.pid))
                print(
                    f"[2]   sync: 8 searches + Patient read ({srv.path}), concurrent fetch wall {ms(wall)}; "
                    f"one at a time: sum {ms(total)}, slowest {ms(slow)}; wall/slowest {wall / slow:.2f}x "
                    f"(goal <= 1.3x)"
                )
                print(f"[2]   async: concurrent fetch wall {ms(awall)}; wall/slowest {awall / slow:.2f}x")
                # CPU time does not depend on the machine's load the way wall time does: it says
                # what the best wall time on this many idle cores could be
                server_cpu, client_cpu = (sum(x) / len(x) for x in (srv.server_cpu, srv.client_cpu))
                floor = max(slow, (server_cpu + client_cpu) / cpus)
                serial = srv.name.startswith("single")
                if serial:  # one request at a time: the server's work cannot overlap with itself
                    floor = max(floor, server_cpu)
                print(
                    f"[2]   CPU per concurrent fetch (mean): server {ms(server_cpu)}, client "
                    f"{ms(client_cpu)}; on {cpus} idle CPUs its wall could not beat {ms(floor)} = "
                    f"{floor / slow:.2f}x the slowest search"
                    + (" (the server serves one request at a time)" if serial else "")
                )
            single = servers[0]
            _with_latency(single.server.base_url, BearerAuth(STATIC_TOKEN), single.pid)
            summary = "; ".join(
                f"{srv.name} ({srv.path}) "
                f"sync {statistics.median(srv.walls) / statistics.median(srv.slowest):.2f}x "
                f"async {statistics.median(srv.async_walls) / statistics.median(srv.slowest):.2f}x"
                for srv in servers
            )
            print(
                f"[2] SUMMARY wall / slowest single search (medians of {RUNS} alternating rounds): "
                f"{summary} (goal <= 1.3x); load average (1 min) {load_before[0]:.2f} before, "
                f"{load_after[0]:.2f} after, {cpus} CPUs"
            )
        finally:
            for srv in servers:
                srv.server.stop()


async def _interleaved(servers: list[_Server]) -> None:
    auth = BearerAuth(STATIC_TOKEN)
    charts = [FHIRChart(s.server.base_url, auth=auth) for s in servers]
    assembly_cpu: list[float] = []
    for chart in charts:
        chart._assemble = _cpu_timed(chart._assemble, assembly_cpu)  # type: ignore[method-assign]
    acharts = [AsyncFHIRChart(s.server.base_url, auth=auth) for s in servers]
    try:
        for srv, chart, achart in zip(servers, charts, acharts, strict=True):
            for _ in range(3):  # warm-up: connections (and so workers), server caches
                chart.get_context(srv.pid)
                await achart.get_context(srv.pid)
        for _ in range(RUNS):
            for srv, chart, achart in zip(servers, charts, acharts, strict=True):
                server_cpu, client_cpu = _tree_cpu_s(srv.server.process.pid), time.process_time()
                chart.get_context(srv.pid)
                srv.walls.append(chart.last_timings["total"])
                srv.server_cpu.append(_tree_cpu_s(srv.server.process.pid) - server_cpu)
                # the fetch only (as last_timings["total"]), not the context assembly after it
                srv.client_cpu.append(time.process_time() - client_cpu - assembly_cpu[-1])
                await achart.get_context(srv.pid)
                srv.async_walls.append(achart.last_timings["total"])
                plan = chart._plan(srv.pid, chart._current_now())
                alone = [_timed(chart._search, s, None) for s in plan]
                alone.append(_timed(chart._read, "Patient", srv.pid, None))
                srv.sums.append(sum(alone))
                srv.slowest.append(max(alone))
        for srv, chart, achart in zip(servers, charts, acharts, strict=True):
            paths = {"batch" if c._batching() else "separate" for c in (chart, achart)}
            srv.path = "/".join(sorted(paths))
    finally:
        for chart in charts:
            chart.close()
        for achart in acharts:
            await achart.aclose()


async def _server_concurrency(base_url: str, pid: str) -> None:
    """How much the server itself overlaps requests: 1 vs 9 identical concurrent Patient reads."""
    headers = {"Authorization": f"Bearer {STATIC_TOKEN}", "Accept": "application/fhir+json"}
    async with httpx.AsyncClient(headers=headers) as client:
        url = f"{base_url}/Patient/{pid}"
        await asyncio.gather(*(client.get(url) for _ in range(9)))
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
        f"[2]   server check: one Patient read {ms(a)}, nine concurrent {ms(b)} ({b / a:.1f}x one; "
        f"9x = requests served one at a time)"
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
            slowest.append(max(_timed(chart._search, s, None) for s in plan))
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
        f"[2]   with {LATENCY_S * 1000:.0f} ms added per request (batch): slowest single search {ms(slow)}; "
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

    # this fake EHR answers separate requests only: batch=False (not one refused probe per chart)
    with FHIRChart(
        "http://ehr.test/fhir",
        http_client=httpx.Client(transport=httpx.MockTransport(sync_handler)),
        batch=False,
    ) as c:
        c.get_context("p1")
        walls = []
        for _ in range(RUNS):
            c.get_context("p1")
            walls.append(c.last_timings["total"])

    async def run() -> float:
        client = httpx.AsyncClient(transport=httpx.MockTransport(async_handler))
        async with AsyncFHIRChart("http://ehr.test/fhir", http_client=client, batch=False) as ac:
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


def _cpu_timed(fn: Any, out: list[float]) -> Any:
    """``fn``, recording the CPU seconds of each call in ``out``."""

    def wrapper(*args: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args)
        finally:
            out.append(time.process_time() - started)

    return wrapper


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a process and its descendants (Linux /proc; nan elsewhere)."""
    try:
        total, stack = 0.0, [pid]
        while stack:
            proc = stack.pop()
            # fields after the command name: state is 0, utime 11, stime 12 (proc(5))
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{proc}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        return total
    except (OSError, ValueError, IndexError):
        return float("nan")


def _timed(fn: Any, *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        default="2,4",
        help="comma-separated worker counts of the multi-process servers to compare with the "
        "single-process one (default: 2,4)",
    )
    parser.add_argument("--figures", default="1,2,3", help="which figures to print (default: 1,2,3)")
    args = parser.parse_args()
    figures = set(args.figures.split(","))
    path = largest_bundle()
    if "1" in figures:
        parse_time(path)
    if "2" in figures:
        rest_timing(path, [int(w) for w in args.workers.split(",") if w.strip() and int(w) > 1])
        client_only()
    if "3" in figures:
        tokens(path)


if __name__ == "__main__":
    main()
