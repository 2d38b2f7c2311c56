"""FHIRChart / AsyncFHIRChart: chart contexts from a FHIR R4 REST server, over one httpx stack.

The two twins share everything but the I/O: the search plan, response checking (status codes and
OperationOutcome -> typed errors), paging rules (page cap, loop detection, same-origin ``next`` links)
and context assembly (:mod:`replydraft.chart._parse`, shared with the bundle adapter).

For one patient the Patient read and the searches run concurrently: ``asyncio.gather`` in the async
twin, a small thread pool in the sync twin (httpx.Client is thread-safe, and a thread per search is
the only way to overlap blocking calls without an event loop, which notebooks already own).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from replydraft.errors import (
    ChartAuthError,
    ChartDataError,
    ChartError,
    ChartServerError,
    ChartTimeoutError,
    ConfigurationError,
    PatientNotFoundError,
)
from replydraft.models import ChartContext, Flag

from ._auth import ChartAuth
from ._parse import Limits, RawChart, build_context, normalize_ref, utc

__all__ = ["AsyncFHIRChart", "FHIRChart"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_PAGE_CAP = 10
DEFAULT_PAGE_SIZE = 200  # one page holds a typical lab history: fewer sequential round trips
_UNSUPPORTED = frozenset({400, 403, 404, 405, 501})
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_ACCEPT = "application/fhir+json"


@dataclass(frozen=True)
class _Search:
    resource_type: str
    params: tuple[tuple[str, str], ...]
    max_items: int | None = None
    """Stop paging once this many matches arrived (newest-first searches)."""
    optional: bool = False
    """A server that does not support this search (4xx, 501) gives a flag, not an error."""


@dataclass
class _Collected:
    resources: list[Mapping[str, Any]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    seconds: float = 0.0


class _FHIRBase:
    """Configuration and pure steps shared by the twins."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: ChartAuth | None,
        timeout: float | httpx.Timeout,
        page_cap: int,
        page_size: int,
        now: datetime | Callable[[], datetime] | None,
        max_observations: int,
        max_encounters: int,
        max_appointments: int,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError("base_url must be an absolute http(s) URL")
        if page_cap < 1 or page_size < 1:
            raise ConfigurationError("page_cap and page_size must be at least 1")
        self.base_url = base_url.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        self._auth = auth
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.page_cap = page_cap
        self.page_size = page_size
        self._now = now
        self._limits = Limits(max_observations, max_encounters, max_appointments)
        #: Seconds each search of the last get_context took, by resource type (benchmarks; no PHI).
        self.last_timings: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _current_now(self) -> datetime:
        if self._now is None:
            return datetime.now(timezone.utc)
        return utc(self._now() if callable(self._now) else self._now)

    _closed = False

    def _check_id(self, patient_id: str) -> None:
        if self._closed:
            raise ConfigurationError(f"this {type(self).__name__} is closed; create a new one")
        if not _FHIR_ID.match(patient_id):
            # never a path fragment or query: an id that is not a FHIR id cannot name a patient
            raise PatientNotFoundError("not a valid FHIR resource id", resource_type="Patient")

    def _plan(self, patient_id: str, now: datetime) -> list[_Search]:
        lim = self._limits
        obs_count = str(min(self.page_size, lim.max_observations))
        return [
            _Search(
                "MedicationRequest",
                (
                    ("patient", patient_id),
                    ("status", "active"),
                    ("_include", "MedicationRequest:medication"),
                    ("_include", "MedicationRequest:requester"),
                    ("_count", str(self.page_size)),
                ),
            ),
            _Search(
                "MedicationDispense",
                (("patient", patient_id), ("_count", str(self.page_size))),
                optional=True,
            ),
            _Search("AllergyIntolerance", (("patient", patient_id), ("_count", str(self.page_size)))),
            _Search(
                "Condition",
                (
                    ("patient", patient_id),
                    ("clinical-status", "active,recurrence,relapse"),
                    ("_count", str(self.page_size)),
                ),
            ),
            *(
                _Search(
                    "Observation",
                    (
                        ("patient", patient_id),
                        ("category", category),
                        ("_sort", "-date"),
                        ("_count", obs_count),
                    ),
                    max_items=lim.max_observations,
                )
                for category in ("laboratory", "vital-signs")
            ),
            _Search(
                "Appointment",
                (
                    ("patient", patient_id),
                    # day granularity: servers disagree on datetime precision; the exact cut is made
                    # client-side against `now`, identically for every adapter
                    ("date", f"ge{now.date().isoformat()}"),
                    ("_count", str(self.page_size)),
                ),
                optional=True,
            ),
            _Search(
                "Encounter",
                (("patient", patient_id), ("_sort", "-date"), ("_count", str(lim.max_encounters))),
                max_items=lim.max_encounters,
                optional=True,
            ),
        ]

    # ----------------------------------------------------------------- response handling

    @staticmethod
    def _skipped(search: _Search, exc: ChartError) -> _Collected | None:
        """The flag result for an optional search the server does not support, else None (re-raise)."""
        # many EHRs expose no MedicationDispense or Appointment search, or scope it away (403);
        # 401 (credentials) and 5xx other than 501 (a failing server) are never skipped
        if search.optional and exc.status_code in _UNSUPPORTED and not isinstance(exc, PatientNotFoundError):
            logger.info(
                "optional %s search unsupported (HTTP %s): skipped", search.resource_type, exc.status_code
            )
            return _Collected(
                flags=[
                    _flag(
                        "chart_search_unsupported",
                        "The chart server does not support one of the optional searches "
                        "(dispenses, appointments or encounters); those facts are missing.",
                    )
                ]
            )
        return None

    def _error_for(self, response: httpx.Response, resource_type: str, *, read: bool) -> ChartError:
        codes = _issue_codes(response)
        status = response.status_code
        if status == 404 and read and resource_type == "Patient":
            return PatientNotFoundError(
                "the server has no patient with this id",
                status_code=404,
                issue_codes=codes,
                resource_type=resource_type,
            )
        if status in (401, 403):
            return ChartAuthError(
                f"the FHIR server refused the credentials (HTTP {status})",
                status_code=status,
                issue_codes=codes,
                resource_type=resource_type,
            )
        detail = f", issue codes: {', '.join(codes)}" if codes else ""
        return ChartServerError(
            f"the FHIR server answered HTTP {status} to a {resource_type} request{detail}",
            status_code=status,
            issue_codes=codes,
            resource_type=resource_type,
        )

    @staticmethod
    def _json(response: httpx.Response, resource_type: str) -> Mapping[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise ChartServerError(
                "the FHIR server sent a body that is not JSON",
                status_code=response.status_code,
                resource_type=resource_type,
            ) from exc
        if not isinstance(body, Mapping):
            raise ChartServerError("the FHIR server sent unexpected JSON", resource_type=resource_type)
        if body.get("resourceType") == "OperationOutcome":
            codes = _codes(body)
            raise ChartServerError(
                f"the FHIR server answered with an OperationOutcome ({', '.join(codes) or 'no code'})",
                status_code=response.status_code,
                issue_codes=codes,
                resource_type=resource_type,
            )
        return body

    def _absorb_page(
        self, page: Mapping[str, Any], search: _Search, out: _Collected, seen: set[str], pages: int
    ) -> str | None:
        """Add a search page to ``out``; return the next URL to fetch, or None to stop."""
        if page.get("resourceType") != "Bundle":
            raise ChartServerError("a search did not return a Bundle", resource_type=search.resource_type)
        for entry in page.get("entry") or ():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("resource"), Mapping):
                continue
            resource = entry["resource"]
            mode = (
                (entry.get("search") or {}).get("mode") if isinstance(entry.get("search"), Mapping) else None
            )
            if resource.get("resourceType") == "OperationOutcome" or mode == "outcome":
                continue  # search warnings: nothing for the chart
            rid = resource.get("id")
            if not rid:
                continue
            rtype = str(resource.get("resourceType"))
            if isinstance(entry.get("fullUrl"), str):
                out.aliases[entry["fullUrl"]] = f"{rtype}/{rid}"
            out.resources.append(resource)
        kept = sum(1 for r in out.resources if r.get("resourceType") == search.resource_type)
        if search.max_items is not None and kept >= search.max_items:
            return None
        next_url = _next_link(page)
        if next_url is None:
            return None
        parts = urlsplit(next_url)
        if (parts.scheme, parts.netloc) != self._origin:
            # never send credentials (or patient ids) to another host named in a server's response
            out.flags.append(
                _flag(
                    "chart_paging_foreign_link",
                    "A search page linked to another host; the chart may be incomplete.",
                )
            )
            return None
        if next_url in seen:
            out.flags.append(
                _flag(
                    "chart_paging_loop", "A search kept returning the same page; the chart may be incomplete."
                )
            )
            return None
        if pages >= self.page_cap:
            out.flags.append(
                _flag(
                    "chart_truncated",
                    "A search had more pages than the page cap; the chart may be incomplete.",
                )
            )
            return None
        seen.add(next_url)
        return next_url

    def _assemble(
        self, patient: Mapping[str, Any], collected: Sequence[_Collected], now: datetime
    ) -> ChartContext:
        resources: dict[str, Mapping[str, Any]] = {}
        aliases: dict[str, str] = {}
        flags: list[Flag] = []
        for part in collected:
            aliases.update(part.aliases)
            for resource in part.resources:
                # a resource in two searches (two observation categories, an _include) counts once
                resources.setdefault(f"{resource.get('resourceType')}/{resource.get('id')}", resource)
            for flag in part.flags:
                if all(f.code != flag.code for f in flags):
                    flags.append(flag)
                else:
                    idx = next(i for i, f in enumerate(flags) if f.code == flag.code)
                    flags[idx] = flags[idx].model_copy(update={"count": (flags[idx].count or 1) + 1})
        raw = RawChart(patient=patient, resources=list(resources.values()), aliases=aliases, flags=flags)
        return build_context(raw, now=now, limits=self._limits)

    def _missing_medications(self, collected: Sequence[_Collected]) -> list[str]:
        """Medication ids referenced by MedicationRequests but not returned by ``_include``."""
        have = {f"{r.get('resourceType')}/{r.get('id')}" for c in collected for r in c.resources}
        aliases = {k: v for c in collected for k, v in c.aliases.items()}
        missing: list[str] = []
        for part in collected:
            for r in part.resources:
                if r.get("resourceType") != "MedicationRequest" or r.get("status") != "active":
                    continue
                ref = (r.get("medicationReference") or {}).get("reference")
                target = normalize_ref(ref, aliases) if isinstance(ref, str) else None
                if (
                    target
                    and target.startswith("Medication/")
                    and target not in have
                    and target not in missing
                    and _FHIR_ID.match(target.partition("/")[2])
                ):
                    missing.append(target)
        return missing

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {"Accept": _ACCEPT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers


def _flag(code: str, message: str) -> Flag:
    return Flag(code=code, severity="warning", message=message, count=1)


#: FHIR R4 IssueType codes: anything else a server sends is reported as "unknown" (a server could
#: echo anything, patient data included, into a code field).
ISSUE_TYPES = frozenset(
    [
        "invalid",
        "structure",
        "required",
        "value",
        "invariant",
        "security",
        "login",
        "unknown",
        "expired",
        "forbidden",
        "suppressed",
        "processing",
        "not-supported",
        "duplicate",
        "multiple-matches",
        "not-found",
        "deleted",
        "too-long",
        "code-invalid",
        "extension",
        "too-costly",
        "business-rule",
        "conflict",
        "transient",
        "lock-error",
        "no-store",
        "exception",
        "timeout",
        "incomplete",
        "throttled",
        "informational",
    ]
)


def _safe_code(value: object) -> str:
    """A server-sent issue code fit for an error message."""
    return str(value) if value in ISSUE_TYPES else "unknown"


def _codes(body: Mapping[str, Any]) -> tuple[str, ...]:
    """OperationOutcome ``issue.code`` values (never ``diagnostics``: servers put patient data there)."""
    return tuple(_safe_code(i.get("code")) for i in body.get("issue") or () if isinstance(i, Mapping))


def _next_link(page: Mapping[str, Any]) -> str | None:
    for link in page.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _issue_codes(response: httpx.Response) -> tuple[str, ...]:
    try:
        body = response.json()
    except ValueError:
        return ()
    if isinstance(body, Mapping) and body.get("resourceType") == "OperationOutcome":
        return _codes(body)
    return ()


def _raise_first(results: Sequence[object]) -> None:
    """Re-raise the first failure (the Patient read comes first, so 404 wins over search errors)."""
    for result in results:
        if isinstance(result, BaseException):
            raise result


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
            :meth:`close`. By default the chart owns one.
        max_workers: Threads that run one patient's searches concurrently.
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
        max_workers: int = 9,
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

    def _get(
        self, url: str, params: Sequence[tuple[str, str]] | None, resource_type: str, *, read: bool = False
    ) -> Mapping[str, Any]:
        for attempt in (1, 2):
            token = self._auth.token(self._client, self.base_url) if self._auth is not None else None
            try:
                response = self._client.get(
                    url,
                    params=list(params) if params else None,
                    headers=self._headers(token),
                    timeout=self._timeout,
                )
            except httpx.TimeoutException as exc:
                raise ChartTimeoutError(
                    "the FHIR server did not answer in time", resource_type=resource_type
                ) from exc
            except httpx.HTTPError as exc:
                raise ChartServerError(
                    "could not reach the FHIR server", resource_type=resource_type
                ) from exc
            if (
                response.status_code == 401
                and attempt == 1
                and token
                and self._auth
                and self._auth.refreshable
            ):
                logger.info("401 from the FHIR server: refreshing the token once")
                self._auth.invalidate(token)
                continue
            if response.status_code >= 400:
                raise self._error_for(response, resource_type, read=read)
            return self._json(response, resource_type)
        raise AssertionError("unreachable")  # pragma: no cover

    def _search(self, search: _Search) -> _Collected:
        out = _Collected()
        started = time.perf_counter()
        seen: set[str] = set()
        url: str | None = f"{self.base_url}/{search.resource_type}"
        params: Sequence[tuple[str, str]] | None = search.params
        pages = 0
        while url is not None:
            try:
                page = self._get(url, params, search.resource_type)
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

    def _read(self, resource_type: str, rid: str) -> Mapping[str, Any]:
        return self._get(f"{self.base_url}/{resource_type}/{rid}", None, resource_type, read=True)

    def get_context(self, patient_id: str) -> ChartContext:
        """Read one patient's chart: the Patient and its searches concurrently.

        Raises:
            PatientNotFoundError: 404 on the Patient read, or an id that is not a FHIR id.
            ChartAuthError: 401/403 (after one token refresh) or a refused token request.
            ChartTimeoutError: A request exceeded the timeout.
            ChartServerError: 5xx, an OperationOutcome, or a body that is not a FHIR Bundle.
            ChartDataError: The Patient resource is invalid.
        """
        self._check_id(patient_id)
        now = self._current_now()
        plan = self._plan(patient_id, now)
        started = time.perf_counter()
        patient_future = self._pool.submit(self._timed_read, patient_id)
        futures = [self._pool.submit(self._search, s) for s in plan]
        results: list[object] = []
        try:
            results.append(patient_future.result())
        except ChartError as exc:
            results.append(exc)
        for fut in futures:
            try:
                results.append(fut.result())
            except ChartError as exc:
                results.append(exc)
        _raise_first(results)
        patient = results[0]
        assert isinstance(patient, Mapping)
        collected = [r for r in results[1:] if isinstance(r, _Collected)]
        missing = self._missing_medications(collected)
        if missing:
            extra = _Collected()
            for ref in missing:
                rtype, _, rid = ref.partition("/")
                try:
                    extra.resources.append(self._read(rtype, rid))
                except (PatientNotFoundError, ChartServerError):
                    logger.info("a referenced Medication could not be read")
            collected.append(extra)
        self.last_timings = {"Patient": self._last_patient_s, "total": time.perf_counter() - started}
        for search, part in zip(plan, collected, strict=False):
            key = search.resource_type + (
                "" if search.resource_type != "Observation" else f":{dict(search.params)['category']}"
            )
            self.last_timings[key] = part.seconds
        return self._assemble(patient, collected, now)

    _last_patient_s = 0.0

    def _timed_read(self, patient_id: str) -> Mapping[str, Any]:
        started = time.perf_counter()
        try:
            patient = self._read("Patient", patient_id)
        finally:
            self._last_patient_s = time.perf_counter() - started
        if patient.get("resourceType") != "Patient":
            raise ChartDataError("the Patient read returned another resource type", resource_type="Patient")
        return patient


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
        )
        self._owns_client = http_client is None
        self._client = http_client if http_client is not None else httpx.AsyncClient(timeout=self._timeout)

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

    async def _get(
        self, url: str, params: Sequence[tuple[str, str]] | None, resource_type: str, *, read: bool = False
    ) -> Mapping[str, Any]:
        for attempt in (1, 2):
            token = await self._auth.atoken(self._client, self.base_url) if self._auth is not None else None
            try:
                response = await self._client.get(
                    url,
                    params=list(params) if params else None,
                    headers=self._headers(token),
                    timeout=self._timeout,
                )
            except httpx.TimeoutException as exc:
                raise ChartTimeoutError(
                    "the FHIR server did not answer in time", resource_type=resource_type
                ) from exc
            except httpx.HTTPError as exc:
                raise ChartServerError(
                    "could not reach the FHIR server", resource_type=resource_type
                ) from exc
            if (
                response.status_code == 401
                and attempt == 1
                and token
                and self._auth
                and self._auth.refreshable
            ):
                logger.info("401 from the FHIR server: refreshing the token once")
                self._auth.invalidate(token)
                continue
            if response.status_code >= 400:
                raise self._error_for(response, resource_type, read=read)
            return self._json(response, resource_type)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _search(self, search: _Search) -> _Collected:
        out = _Collected()
        started = time.perf_counter()
        seen: set[str] = set()
        url: str | None = f"{self.base_url}/{search.resource_type}"
        params: Sequence[tuple[str, str]] | None = search.params
        pages = 0
        while url is not None:
            try:
                page = await self._get(url, params, search.resource_type)
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

    async def _read(self, resource_type: str, rid: str) -> Mapping[str, Any]:
        return await self._get(f"{self.base_url}/{resource_type}/{rid}", None, resource_type, read=True)

    async def get_context(self, patient_id: str) -> ChartContext:
        """Read one patient's chart: the Patient and its searches concurrently.

        Raises:
            PatientNotFoundError: 404 on the Patient read, or an id that is not a FHIR id.
            ChartAuthError: 401/403 (after one token refresh) or a refused token request.
            ChartTimeoutError: A request exceeded the timeout.
            ChartServerError: 5xx, an OperationOutcome, or a body that is not a FHIR Bundle.
            ChartDataError: The Patient resource is invalid.
        """
        self._check_id(patient_id)
        now = self._current_now()
        plan = self._plan(patient_id, now)
        started = time.perf_counter()
        # return_exceptions: every task finishes (bounded by the timeout) before we raise, so no
        # task is left running with an unretrieved exception
        results = await asyncio.gather(
            self._read("Patient", patient_id), *(self._search(s) for s in plan), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, ChartError):
                raise result
        _raise_first(results)
        patient = results[0]
        assert isinstance(patient, Mapping)
        if patient.get("resourceType") != "Patient":
            raise ChartDataError("the Patient read returned another resource type", resource_type="Patient")
        collected = [r for r in results[1:] if isinstance(r, _Collected)]
        missing = self._missing_medications(collected)
        if missing:
            extra = _Collected()
            reads = await asyncio.gather(
                *(self._read(*ref.split("/", 1)) for ref in missing), return_exceptions=True
            )
            for read in reads:
                if isinstance(read, Mapping):
                    extra.resources.append(read)
                elif isinstance(read, (PatientNotFoundError, ChartServerError)):
                    logger.info("a referenced Medication could not be read")
                elif isinstance(read, BaseException):
                    raise read
            collected.append(extra)
        self.last_timings = {"total": time.perf_counter() - started}
        for search, part in zip(plan, collected, strict=False):
            key = search.resource_type + (
                "" if search.resource_type != "Observation" else f":{dict(search.params)['category']}"
            )
            self.last_timings[key] = part.seconds
        return self._assemble(patient, collected, now)
