"""A cheaper stale-connection check for the httpx.AsyncClient an AsyncFHIRChart creates itself.

httpcore's connection pool re-checks every pooled connection each time a request starts or
finishes (``has_expired``): is the idle socket readable, i.e. did the server close it? On the anyio
backend each check asks the stream for its socket through anyio's typed attributes, which build a
fresh dict of lambdas (and call ``getpeername``) on every call: with the ~10 connections one
get_context keeps busy, that is ~250 lookups per chart, measured at ~4 of the async client's ~34 ms
of CPU per get_context (benchmarks/chart.py's largest chart, 2-worker sekmet). The sync backend
holds the socket directly and pays nothing.

:class:`_CachedSocketBackend` wraps the pool's network backend (the public
``httpcore.AsyncNetworkBackend`` / ``AsyncNetworkStream`` interfaces) so each stream looks its
socket up once; ``is_readable`` then polls that socket exactly as httpcore does. Everything else
(reads, writes, TLS, timeouts, errors) is the wrapped stream's own.

httpx offers no public way to give its transport a network backend, so
:func:`install_cached_socket_backend` touches three private attributes (``AsyncClient._transport``,
``AsyncHTTPTransport._pool``, ``AsyncConnectionPool._network_backend``), all in that one function:
when httpx or httpcore change shape it leaves the client as it is (the plain, slower transport),
and ``tests/test_chart_transport.py`` fails loudly so the change is noticed.
"""

from __future__ import annotations

import select
import ssl
import sys
from collections.abc import Iterable
from typing import Any, Protocol

import httpcore
import httpx

__all__ = ["install_cached_socket_backend"]

_UNSET: Any = object()


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


def _socket_readable(sock: _HasFileno) -> bool:
    """Whether recv() on ``sock`` would return at once (data, or b"" for a server's close).

    The same rule as httpcore's own check: a closed socket counts as readable.
    """
    fd = sock.fileno()
    if fd < 0:
        return True
    if sys.platform == "win32" or getattr(select, "poll", None) is None:  # pragma: no cover
        ready, _, _ = select.select([fd], [], [], 0)
        return bool(ready)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _CachedSocketStream(httpcore.AsyncNetworkStream):
    """An async network stream that looks its socket up once, for the pool's readability checks."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: Any = _UNSET

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _CachedSocketStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def _raw_socket(self) -> Any:
        if self._socket is _UNSET:
            self._socket = self._stream.get_extra_info("socket")
        return self._socket

    def get_extra_info(self, info: str) -> Any:
        if info == "socket":
            return self._raw_socket()
        if info == "is_readable":
            sock = self._raw_socket()
            if sock is not None:  # a socket.socket, or asyncio's TransportSocket (anyio on asyncio)
                return _socket_readable(sock)
        return self._stream.get_extra_info(info)


class _CachedSocketBackend(httpcore.AsyncNetworkBackend):
    """Wraps a network backend so every stream it opens is a :class:`_CachedSocketStream`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _CachedSocketStream(
            await self._backend.connect_tcp(
                host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _CachedSocketStream(
            await self._backend.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def install_cached_socket_backend(client: httpx.AsyncClient) -> bool:
    """Give ``client``'s default transport the cached-socket backend; True when it was installed.

    Only for a client the chart created and has not used yet: its default transport (the one for
    every URL no proxy mount claims; proxy mounts keep theirs) must be an ``httpx.AsyncHTTPTransport``
    over an ``httpcore.AsyncConnectionPool`` with no connections. Anything else is left untouched.
    """
    transport = getattr(client, "_transport", None)
    if type(transport) is not httpx.AsyncHTTPTransport:
        return False
    pool = getattr(transport, "_pool", None)
    if type(pool) is not httpcore.AsyncConnectionPool or pool.connections:
        return False
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.AsyncNetworkBackend):
        return False
    if not isinstance(backend, _CachedSocketBackend):
        pool._network_backend = _CachedSocketBackend(backend)
    return True
