"""The async chart's cached-socket network backend and the pre-encoded search URLs (both twins).

The backend is installed through private httpx/httpcore attributes: the first test fails loudly
when a new httpx or httpcore changes shape (the chart then silently uses the plain transport, which
works but costs ~15% more client CPU per get_context).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from fhir_server import STATIC_TOKEN, SekmetServer, require_sekmet

from replydraft.chart import AsyncFHIRChart, BearerAuth, FHIRBundleChart, FHIRChart
from replydraft.chart._transport import (
    _CachedSocketBackend,
    _CachedSocketStream,
    install_cached_socket_backend,
)

SMALL = Path(__file__).parent / "fixtures" / "fhir" / "inferno_pdex_bundle_patient_999.json"
NOW = datetime(2021, 6, 1, 12, 0, tzinfo=timezone.utc)


def _backend(client: httpx.AsyncClient) -> object:
    return client._transport._pool._network_backend  # type: ignore[attr-defined]


async def test_the_backend_is_installed_on_this_httpx_and_httpcore() -> None:
    # if this fails, httpx/httpcore changed shape: adapt _transport.install_cached_socket_backend
    async with httpx.AsyncClient() as client:
        inner = _backend(client)
        assert install_cached_socket_backend(client) is True
        wrapped = _backend(client)
        assert isinstance(wrapped, _CachedSocketBackend)
        assert wrapped._backend is inner
        assert install_cached_socket_backend(client) is True  # idempotent: not wrapped twice
        assert _backend(client) is wrapped


async def test_the_chart_installs_it_only_on_its_own_client() -> None:
    chart = AsyncFHIRChart("http://127.0.0.1:1/fhir")
    assert isinstance(_backend(chart._client), _CachedSocketBackend)
    await chart.aclose()
    async with httpx.AsyncClient() as mine:
        before = _backend(mine)
        chart = AsyncFHIRChart("http://127.0.0.1:1/fhir", http_client=mine)
        assert _backend(mine) is before  # a user-supplied client is never altered
        await chart.aclose()


async def test_other_transports_are_left_alone() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    async with httpx.AsyncClient(transport=mock) as client:
        assert install_cached_socket_backend(client) is False
        assert client._transport is mock


async def test_the_wrapped_stream_reports_what_the_plain_stream_reports() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        backend = _CachedSocketBackend(httpcore.AnyIOBackend())
        stream = await backend.connect_tcp("127.0.0.1", port, timeout=5)
        assert isinstance(stream, _CachedSocketStream)
        inner = stream._stream
        peer, _ = listener.accept()
        with peer:
            for info in ("socket", "client_addr", "server_addr", "ssl_object", "no-such-info"):
                assert stream.get_extra_info(info) == inner.get_extra_info(info), info
            assert stream.get_extra_info("socket") is stream.get_extra_info("socket")  # looked up once
            assert stream.get_extra_info("is_readable") is False
            assert inner.get_extra_info("is_readable") is False
            peer.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(100):  # the bytes cross the loopback
                if inner.get_extra_info("is_readable"):
                    break
                await asyncio.sleep(0.01)
            assert stream.get_extra_info("is_readable") is True
            assert await stream.read(64, timeout=5) == b"HTTP/1.1 200 OK\r\n"
            assert stream.get_extra_info("is_readable") is False
            await stream.write(b"ping", timeout=5)
            assert peer.recv(4) == b"ping"
            peer.shutdown(socket.SHUT_WR)  # the server closes: the pool must see a readable socket
            for _ in range(100):
                if inner.get_extra_info("is_readable"):
                    break
                await asyncio.sleep(0.01)
            assert stream.get_extra_info("is_readable") is True
        await stream.aclose()
        assert stream.get_extra_info("is_readable") is True  # closed socket: readable, as httpcore says
    finally:
        listener.close()


async def test_a_stream_without_a_socket_defers_to_the_wrapped_stream() -> None:
    stream = _CachedSocketStream(httpcore.AsyncMockStream([b"x"]))
    assert stream.get_extra_info("socket") is None
    assert stream.get_extra_info("is_readable") is None  # the mock's own answer, not a guess
    assert await stream.read(10) == b"x"


# ----------------------------------------------------------------- pre-encoded search URLs


def _recording_client(params: dict[str, str] | None = None) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/Patient/p1"):
            return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "entry": []})

    return httpx.Client(transport=httpx.MockTransport(handler), params=params), seen


@pytest.mark.parametrize("client_params", [None, {"tenant": "a b,c"}])
def test_search_urls_are_byte_identical_to_httpx_params_merging(client_params: dict[str, str] | None) -> None:
    client, seen = _recording_client(client_params)
    with client, FHIRChart("http://fhir.test/r4", http_client=client, now=NOW, batch=False) as chart:
        chart.get_context("p1")
        plan = chart._plan("p1", NOW)
    sent = {str(r.url) for r in seen}
    # what httpx sent before the query string was pre-encoded: params= merged per request
    with httpx.Client(params=client_params) as reference:
        expected = {
            str(reference.build_request("GET", f"http://fhir.test/r4/{s.resource_type}", params=s.params).url)
            for s in plan
        }
    expected.add(f"http://fhir.test/r4/Patient/p1{'?tenant=a+b%2Cc' if client_params else ''}")
    assert sent == expected


# ----------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_sekmet()
    srv = SekmetServer(tmp_path_factory.mktemp("sekmet"))
    try:
        small = json.loads(SMALL.read_text(encoding="utf-8"))
        srv.load(small)
        yield {"server": srv, "small": small}
    finally:
        srv.stop()


@pytest.mark.fhir
async def test_a_context_through_the_cached_backend_equals_the_bundle_readers(
    server: dict[str, Any],
) -> None:
    expected = FHIRBundleChart(server["small"], now=NOW).get_context("999")
    auth = BearerAuth(STATIC_TOKEN)
    async with AsyncFHIRChart(server["server"].base_url, auth=auth, now=NOW) as chart:
        backend = _backend(chart._client)
        assert isinstance(backend, _CachedSocketBackend)
        for _ in range(3):  # pooled connections are checked (is_readable) and reused
            assert await chart.get_context("999") == expected
        pool = chart._client._transport._pool  # type: ignore[attr-defined]
        streams = [c._connection._network_stream for c in pool.connections if c._connection is not None]
        assert streams and all(isinstance(s, _CachedSocketStream) for s in streams)
    base = server["server"].base_url
    async with (
        httpx.AsyncClient() as plain,
        AsyncFHIRChart(base, auth=auth, now=NOW, http_client=plain) as chart,
    ):
        assert await chart.get_context("999") == expected
