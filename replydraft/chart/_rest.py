"""FHIRChart / AsyncFHIRChart: chart contexts from a FHIR R4 REST server, over one httpx stack.

The two twins share everything but the I/O: the search plan, response checking (status codes and
OperationOutcome -> typed errors), paging rules (page cap, loop detection, same-origin ``next`` links)
and context assembly (:mod:`replydraft.chart._parse`, shared with the bundle adapter).

For one patient the Patient read and the searches run concurrently: ``asyncio.gather`` in the async
twin, a small thread pool in the sync twin (httpx.Client is thread-safe, and a thread per search is
the only way to overlap blocking calls without an event loop, which notebooks already own). The
Medications a server did not ``_include`` are read as soon as the MedicationRequest search returns,
overlapping the slower searches (the Observation searches usually are). One ``deadline`` bounds the
whole get_context: each request's timeout is clipped to what is left of it, and the caller stops
waiting when it passes.

With ``batch`` (automatic by default) the Patient read and the smaller searches go to the server as
one FHIR ``batch`` Bundle POST, while the largest search(es) still run as separate GETs alongside it:
a server's per-request overhead is paid once for the batch instead of once per search. Each entry of
the batch-response is checked exactly as the same request sent alone would be, and its ``next`` links
are followed by the same paging loop. A server that refuses batch is asked once per chart instance.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from replydraft.errors import (
    ChartAuthError,
    ChartError,
    ChartServerError,
    PatientNotFoundError,
)
from replydraft.models import ChartContext

from ._auth import ChartAuth
from ._parse import Limits
from ._rest_common import (
    DEFAULT_DEADLINE_S,
    DEFAULT_PAGE_CAP,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT_S,
    _BatchUnsupported,
    _Collected,
    _FHIRBase,
    _raise_failures,
    _Search,
)
from ._transport import install_cached_socket_backend

__all__ = ["AsyncFHIRChart", "FHIRChart"]

logger = logging.getLogger(__name__)

# =========================================================================== sync twin


class FHIRChart(_FHIRBase):
    """A :class:`~replydraft.chart.ChartSource` reading a FHIR R4 REST server (sync twin).

    Example:
        >>> with FHIRChart("https://ehr.example/fhir", auth=BearerAuth("...")) as chart:
        ...     ctx = chart.get_context("123")

    Args:
        base_url: The FHIR base URL (``.../fhir``).
        auth: :class:`SMARTBackendAuth`, :class:`BearerAuth`, any :class:`ChartAuth`, or None.
        timeout: Seconds (or an ``httpx.Timeout``) per HTTP request, applied even to an injected
            client. A get_context makes at most ``page_cap`` sequential requests per search.
        page_cap: Maximum pages followed per search (flag ``chart_truncated`` when hit).
        page_size: ``_count`` asked for per page.
        now: Reference time for "upcoming" appointments (datetime, callable, or None for the clock).
        max_observations: Newest laboratory and vital-sign observations kept, per category.
        max_encounters: Newest encounters kept.
        max_appointments: Soonest upcoming appointments kept.
        http_client: An ``httpx.Client`` to use (e.g. with a ``MockTransport``); not closed by
            :meth:`close`. By default the chart owns one. Give it at least 9 connections
            (``httpx.Limits``) or the searches queue for them.
        deadline: Seconds one get_context may take in all (every search, page, token request and
            Medication read); past it, :class:`~replydraft.errors.ChartTimeoutError`. None: only
            the per-request ``timeout`` applies.
        max_workers: Threads that run one patient's searches concurrently (9 requests, plus the
            Medication reads a server did not ``_include``).
        batch: Send the Patient read and the smaller searches as one FHIR ``batch`` Bundle POST
            (the largest search runs as a separate GET beside it). None (default): automatic, try
            batch on the first get_context and, if the server refuses it (HTTP 400, 403, 404, 405,
            415 or 501, a 401 again after a token refresh, or an answer that is not a
            ``batch-response`` with one entry per request), fetch that context with separate requests
            and never try batch again on this instance. True: always batch (a refusal raises
            :class:`~replydraft.errors.ChartServerError`, or :class:`~replydraft.errors.ChartAuthError`
            for 401/403). False: separate requests only.
    """

    #: get_context waits on the network: the AsyncDrafter wants :class:`AsyncFHIRChart` instead.
    blocking_io = True

    def __init__(
        self,
        base_url: str,
        *,
        auth: ChartAuth | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
        page_cap: int = DEFAULT_PAGE_CAP,
        page_size: int = DEFAULT_PAGE_SIZE,
        now: datetime | Callable[[], datetime] | None = None,
        max_observations: int = Limits.max_observations,
        max_encounters: int = Limits.max_encounters,
        max_appointments: int = Limits.max_appointments,
        http_client: httpx.Client | None = None,
        deadline: float | None = DEFAULT_DEADLINE_S,
        max_workers: int = 16,
        batch: bool | None = None,
    ) -> None:
        super().__init__(
            base_url,
            auth=auth,
            timeout=timeout,
            page_cap=page_cap,
            page_size=page_size,
            now=now,
            max_observations=max_observations,
            max_encounters=max_encounters,
            max_appointments=max_appointments,
            deadline=deadline,
            batch=batch,
        )
        self._owns_client = http_client is None
        self._client = http_client if http_client is not None else httpx.Client(timeout=self._timeout)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="replydraft-fhir")

    def close(self) -> None:
        """Close the worker threads and the HTTP client (when the chart created it)."""
        self._closed = True
        self._pool.shutdown(wait=True)
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> FHIRChart:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _exchange(
        self,
        url: str,
        params: Sequence[tuple[str, str]] | None,
        resource_type: str,
        expires: float | None,
        token: str | None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """A GET (or, with ``content``, a batch POST of reads), retried once on a stale connection."""
        with self._transport_errors(resource_type):
            for fresh in (False, True):
                # built per attempt: the timeout is clipped to what is left of the deadline
                method, kwargs = self._request(params, resource_type, expires, token, content)
                try:
                    return self._client.request(method, url, **kwargs)
                except httpx.RemoteProtocolError:
                    if fresh:
                        raise
                    self._stale_connection("GET" if content is None else "batch POST")
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(
        self,
        url: str,
        params: Sequence[tuple[str, str]] | None,
        resource_type: str,
        expires: float | None,
        *,
        read: bool = False,
    ) -> Mapping[str, Any]:
        for attempt in (1, 2):
            token = self._auth.token(self._client, self.base_url) if self._auth is not None else None
            response = self._exchange(url, params, resource_type, expires, token)
            body = self._handle(response, resource_type, read=read, token=token, retry_allowed=attempt == 1)
            if body is not None:
                return body
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_batch(self, content: bytes, expected: int, expires: float | None) -> list[Mapping[str, Any]]:
        for attempt in (1, 2):
            token = self._auth.token(self._client, self.base_url) if self._auth is not None else None
            response = self._exchange(self.base_url, None, "Bundle", expires, token, content)
            entries = self._batch_entries(response, expected, token=token, retry_allowed=attempt == 1)
            if entries is not None:
                return entries
        raise AssertionError("unreachable")  # pragma: no cover

    def _search(
        self,
        search: _Search,
        expires: float | None,
        entry: Mapping[str, Any] | None = None,
        started: float | None = None,
    ) -> _Collected:
        """One search, all its pages; ``entry``: its first page as a batch-response entry."""
        out = _Collected()
        started = time.perf_counter() if started is None else started
        seen: set[str] = set()
        url: str | None
        params: Sequence[tuple[str, str]] | None
        url, params = self._first_page(search, self._client.params)
        pages = 0
        while url is not None:
            try:
                if entry is None:
                    page = self._get(url, params, search.resource_type, expires)
                else:
                    page, entry = self._entry_body(entry, search.resource_type, read=False), None
            except (ChartServerError, ChartAuthError) as exc:
                skipped = self._skipped(search, exc)
                if skipped is None or pages:
                    raise
                return skipped
            pages += 1
            url = self._absorb_page(page, search, out, seen, pages)
            params = None  # next links carry their own query
        out.seconds = time.perf_counter() - started
        return out

    def _read(self, resource_type: str, rid: str, expires: float | None) -> Mapping[str, Any]:
        return self._get(f"{self.base_url}/{resource_type}/{rid}", None, resource_type, expires, read=True)

    def _read_medication(self, ref: str, expires: float | None) -> Mapping[str, Any] | None:
        rtype, _, rid = ref.partition("/")
        try:
            return self._read(rtype, rid, expires)
        except (PatientNotFoundError, ChartServerError):
            logger.info("a referenced Medication could not be read")
            return None

    def get_context(self, patient_id: str) -> ChartContext:
        """Read one patient's chart: the Patient and its searches concurrently.

        Raises:
            PatientNotFoundError: 404 on the Patient read, or an id that is not a FHIR id.
            ChartAuthError: 401/403 (after one token refresh) or a refused token request.
            ChartTimeoutError: A request exceeded the timeout, or all of them the deadline.
            ChartServerError: 5xx, an OperationOutcome, or a body that is not a FHIR Bundle.
            ChartDataError: The Patient resource is invalid.
        """
        self._check_id(patient_id)
        now = self._current_now()
        plan = self._plan(patient_id, now)
        expires = self._expiry()
        started = time.perf_counter()
        batched, apart = self._split(plan)
        parts: list[Future[_Collected] | None] = [None] * len(plan)
        patient_future: Future[Any] | None = None
        batch_future: Future[list[Mapping[str, Any]]] | None = None
        patient_s = 0.0
        if batched:
            # the separate (largest) searches first: the batch is shorter than they are
            for search in apart:
                parts[plan.index(search)] = self._pool.submit(self._search, search, expires)
            content = self._batch_body(patient_id, batched, self._client.params)
            batch_future = self._pool.submit(self._post_batch, content, len(batched) + 1, expires)
        else:
            patient_future = self._pool.submit(self._timed_read, patient_id, expires)
            for i, search in enumerate(plan):
                parts[i] = self._pool.submit(self._search, search, expires)
        medications = [s.resource_type for s in plan].index("MedicationRequest")
        reads: list[Future[Mapping[str, Any] | None]] = []
        pending: set[Future[Any]] = {f for f in (patient_future, batch_future, *parts) if f is not None}
        try:
            while pending:
                done, pending = wait(pending, timeout=self._remaining(expires), return_when=FIRST_COMPLETED)
                if not done:
                    raise self._deadline_error()
                if batch_future is not None and batch_future in done:
                    failure = batch_future.exception()
                    rest = [plan.index(search) for search in batched]
                    if isinstance(failure, _BatchUnsupported):
                        self._refuse_batch(failure)  # batch=True: raises the refusal
                        patient_future = self._pool.submit(self._timed_read, patient_id, expires)
                        for i in rest:
                            parts[i] = self._pool.submit(self._search, plan[i], expires)
                    elif failure is not None:
                        patient_future, rest = batch_future, []  # its error is raised as the Patient's
                    else:
                        entries = batch_future.result()
                        patient_s = time.perf_counter() - started
                        patient_future = Future()
                        try:
                            patient_future.set_result(self._patient_entry(entries[0]))
                        except ChartError as exc:
                            patient_future.set_exception(exc)
                        for i, entry in zip(rest, entries[1:], strict=True):
                            parts[i] = self._pool.submit(self._search, plan[i], expires, entry, started)
                    pending.update(f for f in (parts[i] for i in rest) if f is not None)
                    if not patient_future.done():
                        pending.add(patient_future)
                part = parts[medications]
                if part is not None and part in done and part.exception() is None:
                    for ref in self._missing_medications([part.result()]):
                        reads.append(self._pool.submit(self._read_medication, ref, expires))
                    pending.update(reads)
        except BaseException:
            # queued work is dropped; running requests end within their (deadline-clipped) timeout
            for fut in pending:
                fut.cancel()
            raise
        assert patient_future is not None
        finished = [patient_future, *(f for f in parts if f is not None)]
        results: list[object] = [f.exception() or f.result() for f in finished]
        _raise_failures(results)
        patient = results[0]
        assert isinstance(patient, Mapping)
        collected = [r for r in results[1:] if isinstance(r, _Collected)]
        collected[0].resources.extend(m for m in (f.result() for f in reads) if m is not None)
        self.last_timings = {
            "Patient": patient_s or self._last_patient_s,
            "total": time.perf_counter() - started,
        }
        for search, collected_part in zip(plan, collected, strict=True):
            self.last_timings[self._timing_key(search)] = collected_part.seconds
        return self._assemble(patient, collected, now)

    _last_patient_s = 0.0

    def _timed_read(self, patient_id: str, expires: float | None) -> Mapping[str, Any]:
        started = time.perf_counter()
        try:
            patient = self._read("Patient", patient_id, expires)
        finally:
            self._last_patient_s = time.perf_counter() - started
        return self._checked_patient(patient)


# =========================================================================== async twin


class AsyncFHIRChart(_FHIRBase):
    """An :class:`~replydraft.chart.AsyncChartSource` reading a FHIR R4 REST server (async twin).

    Same arguments and behaviour as :class:`FHIRChart`; the searches run with ``asyncio.gather``.

    Example:
        >>> async with AsyncFHIRChart("https://ehr.example/fhir", auth=auth) as chart:
        ...     ctx = await chart.get_context("123")

    Args:
        base_url: The FHIR base URL (``.../fhir``).
        auth: :class:`SMARTBackendAuth`, :class:`BearerAuth`, any :class:`ChartAuth`, or None.
        timeout: Seconds (or an ``httpx.Timeout``) per HTTP request.
        page_cap: Maximum pages followed per search (flag ``chart_truncated`` when hit).
        page_size: ``_count`` asked for per page.
        now: Reference time for "upcoming" appointments (datetime, callable, or None for the clock).
        max_observations: Newest laboratory and vital-sign observations kept, per category.
        max_encounters: Newest encounters kept.
        max_appointments: Soonest upcoming appointments kept.
        http_client: An ``httpx.AsyncClient`` to use; not closed by :meth:`aclose`.
        deadline: Seconds one get_context may take in all; past it,
            :class:`~replydraft.errors.ChartTimeoutError` (the pending requests are cancelled).
        batch: Send the Patient read and the smaller searches as one FHIR ``batch`` Bundle POST
            (the largest search runs as a separate GET beside it). None (default): automatic, try
            batch on the first get_context and, if the server refuses it (HTTP 400, 403, 404, 405,
            415 or 501, a 401 again after a token refresh, or an answer that is not a
            ``batch-response`` with one entry per request), fetch that context with separate requests
            and never try batch again on this instance. True: always batch (a refusal raises
            :class:`~replydraft.errors.ChartServerError`, or :class:`~replydraft.errors.ChartAuthError`
            for 401/403). False: separate requests only.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: ChartAuth | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
        page_cap: int = DEFAULT_PAGE_CAP,
        page_size: int = DEFAULT_PAGE_SIZE,
        now: datetime | Callable[[], datetime] | None = None,
        max_observations: int = Limits.max_observations,
        max_encounters: int = Limits.max_encounters,
        max_appointments: int = Limits.max_appointments,
        http_client: httpx.AsyncClient | None = None,
        deadline: float | None = DEFAULT_DEADLINE_S,
        batch: bool | None = None,
    ) -> None:
        super().__init__(
            base_url,
            auth=auth,
            timeout=timeout,
            page_cap=page_cap,
            page_size=page_size,
            now=now,
            max_observations=max_observations,
            max_encounters=max_encounters,
            max_appointments=max_appointments,
            deadline=deadline,
            batch=batch,
        )
        self._owns_client = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(timeout=self._timeout)
            # per-request pool bookkeeping on anyio is costly: see _transport (falls back if unsupported)
            install_cached_socket_backend(http_client)
        self._client = http_client

    async def aclose(self) -> None:
        """Close the HTTP client (when the chart created it)."""
        self._closed = True
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncFHIRChart:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _exchange(
        self,
        url: str,
        params: Sequence[tuple[str, str]] | None,
        resource_type: str,
        expires: float | None,
        token: str | None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """A GET (or, with ``content``, a batch POST of reads), retried once on a stale connection."""
        with self._transport_errors(resource_type):
            for fresh in (False, True):
                # built per attempt: the timeout is clipped to what is left of the deadline
                method, kwargs = self._request(params, resource_type, expires, token, content)
                try:
                    return await self._client.request(method, url, **kwargs)
                except httpx.RemoteProtocolError:
                    if fresh:
                        raise
                    self._stale_connection("GET" if content is None else "batch POST")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get(
        self,
        url: str,
        params: Sequence[tuple[str, str]] | None,
        resource_type: str,
        expires: float | None,
        *,
        read: bool = False,
    ) -> Mapping[str, Any]:
        for attempt in (1, 2):
            token = await self._auth.atoken(self._client, self.base_url) if self._auth is not None else None
            response = await self._exchange(url, params, resource_type, expires, token)
            body = self._handle(response, resource_type, read=read, token=token, retry_allowed=attempt == 1)
            if body is not None:
                return body
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post_batch(
        self, content: bytes, expected: int, expires: float | None
    ) -> list[Mapping[str, Any]]:
        for attempt in (1, 2):
            token = await self._auth.atoken(self._client, self.base_url) if self._auth is not None else None
            response = await self._exchange(self.base_url, None, "Bundle", expires, token, content)
            entries = self._batch_entries(response, expected, token=token, retry_allowed=attempt == 1)
            if entries is not None:
                return entries
        raise AssertionError("unreachable")  # pragma: no cover

    async def _search(
        self,
        search: _Search,
        expires: float | None,
        entry: Mapping[str, Any] | None = None,
        started: float | None = None,
    ) -> _Collected:
        """One search, all its pages; ``entry``: its first page as a batch-response entry."""
        out = _Collected()
        started = time.perf_counter() if started is None else started
        seen: set[str] = set()
        url: str | None
        params: Sequence[tuple[str, str]] | None
        url, params = self._first_page(search, self._client.params)
        pages = 0
        while url is not None:
            try:
                if entry is None:
                    page = await self._get(url, params, search.resource_type, expires)
                else:
                    page, entry = self._entry_body(entry, search.resource_type, read=False), None
            except (ChartServerError, ChartAuthError) as exc:
                skipped = self._skipped(search, exc)
                if skipped is None or pages:
                    raise
                return skipped
            pages += 1
            url = self._absorb_page(page, search, out, seen, pages)
            params = None
        out.seconds = time.perf_counter() - started
        return out

    async def _read(self, resource_type: str, rid: str, expires: float | None) -> Mapping[str, Any]:
        return await self._get(
            f"{self.base_url}/{resource_type}/{rid}", None, resource_type, expires, read=True
        )

    async def _medications(
        self,
        search: _Search,
        expires: float | None,
        entry: Mapping[str, Any] | None = None,
        started: float | None = None,
    ) -> _Collected:
        """The MedicationRequest search, then (at once) the Medications it did not ``_include``."""
        part = await self._search(search, expires, entry, started)
        missing = self._missing_medications([part])
        reads = await asyncio.gather(
            *(self._read_medication(ref, expires) for ref in missing), return_exceptions=True
        )
        for read in reads:
            if isinstance(read, BaseException):
                raise read
            if read is not None:
                part.resources.append(read)
        return part

    def _one(
        self,
        search: _Search,
        expires: float | None,
        entry: Mapping[str, Any] | None = None,
        started: float | None = None,
    ) -> Coroutine[Any, Any, _Collected]:
        if search.resource_type == "MedicationRequest":
            return self._medications(search, expires, entry, started)
        return self._search(search, expires, entry, started)

    async def _batched(
        self, patient_id: str, batched: Sequence[_Search], expires: float | None
    ) -> tuple[Mapping[str, Any], list[_Collected], float]:
        """The Patient and the batched searches: one batch POST (separate requests if refused)."""
        started = time.perf_counter()
        try:
            content = self._batch_body(patient_id, batched, self._client.params)
            entries = await self._post_batch(content, len(batched) + 1, expires)
        except _BatchUnsupported as unsupported:
            self._refuse_batch(unsupported)  # batch=True: raises the refusal
            results = await asyncio.gather(
                self._read("Patient", patient_id, expires),
                *(self._one(s, expires) for s in batched),
                return_exceptions=True,
            )
            _raise_failures(results)
            assert isinstance(results[0], Mapping)
            patient = self._checked_patient(results[0])
            parts = [r for r in results[1:] if isinstance(r, _Collected)]
            return patient, parts, time.perf_counter() - started
        seconds = time.perf_counter() - started
        patient = self._patient_entry(entries[0])  # a missing patient wins over the searches' errors
        found = await asyncio.gather(
            *(self._one(s, expires, e, started) for s, e in zip(batched, entries[1:], strict=True)),
            return_exceptions=True,
        )
        _raise_failures(found)
        return patient, [r for r in found if isinstance(r, _Collected)], seconds

    async def _read_medication(self, ref: str, expires: float | None) -> Mapping[str, Any] | None:
        rtype, _, rid = ref.partition("/")
        try:
            return await self._read(rtype, rid, expires)
        except (PatientNotFoundError, ChartServerError):
            logger.info("a referenced Medication could not be read")
            return None

    async def get_context(self, patient_id: str) -> ChartContext:
        """Read one patient's chart: the Patient and its searches concurrently.

        Raises:
            PatientNotFoundError: 404 on the Patient read, or an id that is not a FHIR id.
            ChartAuthError: 401/403 (after one token refresh) or a refused token request.
            ChartTimeoutError: A request exceeded the timeout, or all of them the deadline.
            ChartServerError: 5xx, an OperationOutcome, or a body that is not a FHIR Bundle.
            ChartDataError: The Patient resource is invalid.
        """
        self._check_id(patient_id)
        now = self._current_now()
        plan = self._plan(patient_id, now)
        expires = self._expiry()
        started = time.perf_counter()
        batched, apart = self._split(plan)
        first = (
            self._batched(patient_id, batched, expires)
            if batched
            else self._read("Patient", patient_id, expires)
        )
        try:
            # return_exceptions: every task
            # finishes (bounded by the deadline) before we raise, so none is left running with an
            # unretrieved exception; at the deadline, wait_for cancels the gather and so all of them
            # (wait_for, not asyncio.timeout: Python 3.10 is supported)
            others = [self._one(s, expires) for s in apart]
            # batched: the separate (largest) searches are sent before the batch, as in the sync twin
            results = await asyncio.wait_for(
                asyncio.gather(*others, first, return_exceptions=True)
                if batched
                else asyncio.gather(first, *others, return_exceptions=True),
                timeout=self._remaining(expires),
            )
        except asyncio.TimeoutError as exc:  # not the builtin TimeoutError before Python 3.11
            raise self._deadline_error() from exc
        if batched:
            results = [results[-1], *results[:-1]]  # the Patient's (the batch's) errors first
        _raise_failures(results)
        self.last_timings = {"total": time.perf_counter() - started}
        if batched:
            assert isinstance(results[0], tuple)
            patient, together, seconds = results[0]
            self.last_timings["Patient"] = seconds
            by_search = dict(zip(batched, together, strict=True))
            by_search.update(zip(apart, (r for r in results[1:] if isinstance(r, _Collected)), strict=True))
            collected = [by_search[s] for s in plan]
        else:
            assert isinstance(results[0], Mapping)
            patient = self._checked_patient(results[0])
            collected = [r for r in results[1:] if isinstance(r, _Collected)]
        for search, part in zip(plan, collected, strict=True):
            self.last_timings[self._timing_key(search)] = part.seconds
        return self._assemble(patient, collected, now)
