"""Pure steps shared by the FHIR REST twins: search plan, response checks, paging rules, assembly.

Only :mod:`replydraft.chart._rest` does I/O; everything here is shared so the sync and async twins
cannot drift apart.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
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

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
#: Seconds one get_context may take in all (every search, page, token request and Medication read):
#: the per-request timeout alone allows page_cap sequential pages per search.
DEFAULT_DEADLINE_S = 30.0
DEFAULT_PAGE_CAP = 10
DEFAULT_PAGE_SIZE = 200  # one page holds a typical lab history: fewer sequential round trips
_UNSUPPORTED = frozenset({400, 403, 404, 405, 501})
#: Answers to a batch POST that mean "this server does not do batch" (not "this server is failing").
#: 403 too: a read-only SMART scope (``system/*.read``) may not cover a POST that only reads (sekmet
#: refuses it so); the separate GETs then say whether the credentials can read the chart at all.
_BATCH_REFUSED = frozenset({400, 403, 404, 405, 415, 501})
#: Searches kept out of the batch (by timing key): the largest, sent as separate GETs that a
#: multi-worker server runs in parallel with the batch (measured: see benchmarks/chart.py).
_BATCH_APART = frozenset({"Observation:laboratory"})
_STATUS = re.compile(r"^\s*([1-5][0-9][0-9])\b")


def _entry_status(entry: Mapping[str, Any]) -> int | None:
    """A batch-response entry's HTTP status ("200 OK" -> 200), or None when it has none."""
    response = entry.get("response")
    status_text = response.get("status") if isinstance(response, Mapping) else None
    match = _STATUS.match(status_text) if isinstance(status_text, str) else None
    return int(match.group(1)) if match is not None else None


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


class _BatchUnsupported(Exception):
    """The server refused a batch POST, or did not answer it with a usable batch-response."""

    def __init__(self, error: ChartError) -> None:
        super().__init__(str(error))
        self.error = error


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
        deadline: float | None,
        batch: bool | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError("base_url must be an absolute http(s) URL")
        if page_cap < 1 or page_size < 1:
            raise ConfigurationError("page_cap and page_size must be at least 1")
        if deadline is not None and not (math.isfinite(deadline) and deadline > 0):
            raise ConfigurationError("deadline must be a positive number of seconds, or None")
        if batch not in (None, True, False):
            raise ConfigurationError("batch must be True, False or None (automatic)")
        self.base_url = base_url.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        self._auth = auth
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.page_cap = page_cap
        self.page_size = page_size
        self._now = now
        self._limits = Limits(max_observations, max_encounters, max_appointments)
        self.deadline = deadline
        #: True: one FHIR batch POST for the Patient read and the smaller searches; False: separate
        #: GETs only; None: batch until the server refuses it once (then separate GETs for good).
        self.batch = batch
        self._batch_refused = False
        #: Seconds each search of the last get_context took, by resource type (benchmarks; no PHI).
        self.last_timings: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _current_now(self) -> datetime:
        if self._now is None:
            return datetime.now(timezone.utc)
        return utc(self._now() if callable(self._now) else self._now)

    # ----------------------------------------------------------------- deadline

    def _expiry(self) -> float | None:
        """The monotonic clock time one get_context must finish by, or None without a deadline."""
        return None if self.deadline is None else time.monotonic() + self.deadline

    @staticmethod
    def _remaining(expires: float | None) -> float | None:
        return None if expires is None else max(0.0, expires - time.monotonic())

    @staticmethod
    def _deadline_error(resource_type: str | None = None) -> ChartTimeoutError:
        return ChartTimeoutError(
            "the chart did not arrive within the get_context deadline", resource_type=resource_type
        )

    def _request_timeout(self, expires: float | None, resource_type: str) -> httpx.Timeout:
        """The per-request timeout, clipped to what is left of the deadline.

        Clipping (not only waiting for the deadline) means no request, page or worker thread
        outlives the get_context that started it by more than the deadline.
        """
        remaining = self._remaining(expires)
        if remaining is None:
            return self._timeout
        if remaining <= 0:
            raise self._deadline_error(resource_type)
        t = self._timeout

        def clip(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        return httpx.Timeout(
            connect=clip(t.connect), read=clip(t.read), write=clip(t.write), pool=clip(t.pool)
        )

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
        # slowest first (observations are the largest result sets; the MedicationRequest search may
        # be followed by Medication reads): when the server, the pool or max_workers bound how many
        # run at once, the long ones start first and the short ones fill in around them
        return [
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
                "Encounter",
                (("patient", patient_id), ("_sort", "-date"), ("_count", str(lim.max_encounters))),
                max_items=lim.max_encounters,
                optional=True,
            ),
            _Search(
                "Condition",
                (
                    ("patient", patient_id),
                    ("clinical-status", "active,recurrence,relapse"),
                    ("_count", str(self.page_size)),
                ),
            ),
            _Search("AllergyIntolerance", (("patient", patient_id), ("_count", str(self.page_size)))),
            _Search(
                "MedicationDispense",
                (("patient", patient_id), ("_count", str(self.page_size))),
                optional=True,
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

    @staticmethod
    @contextmanager
    def _transport_errors(resource_type: str) -> Iterator[None]:
        """Map httpx transport failures (shared by both twins) to typed chart errors."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise ChartTimeoutError(
                "the FHIR server did not answer in time", resource_type=resource_type
            ) from exc
        except httpx.HTTPError as exc:
            raise ChartServerError("could not reach the FHIR server", resource_type=resource_type) from exc

    @staticmethod
    def _stale_connection(method: str) -> None:
        """Called when a server closed a kept-alive connection as it was reused; the request is retried.

        Servers close idle connections after their keep-alive timeout (uvicorn: 5 s, the same as
        httpx's pool expiry), and a request racing that close fails before the server saw it. A
        GET is idempotent, and so is the batch POST (it holds only reads), so it is sent once more,
        on a fresh connection (httpx drops the dead one).
        """
        logger.info("the FHIR server closed a kept-alive connection: retrying the %s once", method)

    def _handle(
        self,
        response: httpx.Response,
        resource_type: str,
        *,
        read: bool,
        token: str | None,
        retry_allowed: bool,
    ) -> Mapping[str, Any] | None:
        """The parsed body; None when a 401 should be retried once with a fresh token."""
        if response.status_code == 401 and self._refreshed(token, retry_allowed, "401 from the FHIR server"):
            return None
        if response.status_code >= 400:
            raise self._error_for(response, resource_type, read=read)
        return self._json(response, resource_type)

    def _error_for(self, response: httpx.Response, resource_type: str, *, read: bool) -> ChartError:
        return self._status_error(response.status_code, _issue_codes(response), resource_type, read=read)

    @staticmethod
    def _status_error(status: int, codes: tuple[str, ...], resource_type: str, *, read: bool) -> ChartError:
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
        return _FHIRBase._checked(body, response.status_code, resource_type)

    @staticmethod
    def _checked(body: object, status: int, resource_type: str) -> Mapping[str, Any]:
        """A successful answer's JSON body: a resource, never an OperationOutcome."""
        if not isinstance(body, Mapping):
            raise ChartServerError("the FHIR server sent unexpected JSON", resource_type=resource_type)
        if body.get("resourceType") == "OperationOutcome":
            codes = _codes(body)
            raise ChartServerError(
                f"the FHIR server answered with an OperationOutcome ({', '.join(codes) or 'no code'})",
                status_code=status,
                issue_codes=codes,
                resource_type=resource_type,
            )
        return body

    # ----------------------------------------------------------------- FHIR batch

    def _batching(self) -> bool:
        """Whether this get_context sends a batch (False after an automatic probe was refused)."""
        return self.batch is True or (self.batch is None and not self._batch_refused)

    def _split(self, plan: Sequence[_Search]) -> tuple[list[_Search], list[_Search]]:
        """(the searches that go in the batch, the ones sent as separate GETs), each in plan order."""
        if not self._batching():
            return [], list(plan)
        apart = [s for s in plan if self._timing_key(s) in _BATCH_APART]
        return [s for s in plan if s not in apart], apart

    def _batch_body(
        self, patient_id: str, searches: Sequence[_Search], client_params: httpx.QueryParams
    ) -> bytes:
        """The batch Bundle: the Patient read first, then one GET entry per search.

        A client's own query params go in every entry's URL, merged as httpx merges them into a GET.
        """
        query = f"?{client_params}" if client_params else ""
        urls = [f"Patient/{patient_id}{query}"]
        urls += [f"{s.resource_type}?{client_params.merge(httpx.QueryParams(s.params))}" for s in searches]
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
        }
        return json.dumps(bundle, separators=(",", ":")).encode()

    def _batch_entries(
        self, response: httpx.Response, expected: int, *, token: str | None, retry_allowed: bool
    ) -> list[Mapping[str, Any]] | None:
        """The entries of a batch-response; None when a 401 should be retried once with a fresh token.

        A 401 inside an entry is treated like a 401 on the POST: the token is refreshed once and the
        whole batch sent again (a lone request would have been retried the same way); a second 401
        entry raises :class:`ChartAuthError` from that entry, as the lone request's second 401 would.

        Raises:
            _BatchUnsupported: The server refused the batch (400/403/404/405/415/501, or 401 again
                after a token refresh) or answered with something other than a batch-response holding
                one entry per request.
        """
        if response.status_code in _BATCH_REFUSED:
            raise _BatchUnsupported(self._error_for(response, "Bundle", read=False))
        try:
            body = self._handle(response, "Bundle", read=False, token=token, retry_allowed=retry_allowed)
        except ChartAuthError as exc:
            if response.status_code == 401 and not retry_allowed:
                # a fresh token refused for the POST: some servers answer a read-only scope's batch with
                # 401, not 403; the separate GETs then tell whether the credentials can read the chart
                raise _BatchUnsupported(exc) from None
            raise
        except ChartServerError as exc:
            if response.status_code >= 400:
                raise  # a failing server (5xx) fails the chart, as a failing search would
            raise _BatchUnsupported(exc) from None  # a 2xx body that is no Bundle (or not JSON)
        if body is None:
            return None
        entries = body.get("entry")
        if (
            body.get("resourceType") != "Bundle"
            or body.get("type") != "batch-response"
            or not isinstance(entries, list)
            or len(entries) != expected
            or not all(isinstance(e, Mapping) for e in entries)
        ):
            raise _BatchUnsupported(
                ChartServerError(
                    "the FHIR server did not answer the batch with one entry per request",
                    status_code=response.status_code,
                    resource_type="Bundle",
                )
            )
        if any(_entry_status(e) == 401 for e in entries) and self._refreshed(
            token, retry_allowed, "401 inside a batch-response"
        ):
            return None
        return entries

    def _refreshed(self, token: str | None, retry_allowed: bool, what: str) -> bool:
        """After a 401: drop ``token`` so the next request gets a fresh one, if this is the first try
        and the auth can refresh; whether the caller should retry."""
        if not (retry_allowed and token and self._auth and self._auth.refreshable):
            return False
        logger.info("%s: refreshing the token once", what)
        self._auth.invalidate(token)
        return True

    def _refuse_batch(self, unsupported: _BatchUnsupported) -> None:
        """After a refused batch: raise (batch=True), or remember it and fall back (batch=None)."""
        if self.batch is True:
            raise unsupported.error from None
        self._batch_refused = True
        logger.info(
            "the FHIR server does not support batch (HTTP %s): separate requests from now on",
            unsupported.error.status_code,
        )

    def _entry_body(self, entry: Mapping[str, Any], resource_type: str, *, read: bool) -> Mapping[str, Any]:
        """One batch-response entry's resource, checked as the same request sent alone would be."""
        response = entry.get("response")
        status = _entry_status(entry)
        if status is None:
            raise ChartServerError("a batch entry had no HTTP status", resource_type=resource_type)
        body = entry.get("resource")
        if body is None and isinstance(response, Mapping):
            body = response.get("outcome")
        if status >= 400:
            outcome = isinstance(body, Mapping) and body.get("resourceType") == "OperationOutcome"
            codes = _codes(body) if outcome and isinstance(body, Mapping) else ()
            raise self._status_error(status, codes, resource_type, read=read)
        return self._checked(body, status, resource_type)

    def _patient_entry(self, entry: Mapping[str, Any]) -> Mapping[str, Any]:
        return self._checked_patient(self._entry_body(entry, "Patient", read=True))

    @staticmethod
    def _checked_patient(patient: Mapping[str, Any]) -> Mapping[str, Any]:
        if patient.get("resourceType") != "Patient":
            raise ChartDataError("the Patient read returned another resource type", resource_type="Patient")
        return patient

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

    @staticmethod
    def _timing_key(search: _Search) -> str:
        if search.resource_type != "Observation":
            return search.resource_type
        return f"Observation:{dict(search.params)['category']}"

    def _missing_medications(self, collected: Sequence[_Collected]) -> list[str]:
        """Medication ids referenced by MedicationRequests but not returned by ``_include``.

        Only the MedicationRequest search returns Medications (by ``_include``), so its result alone
        is enough: the twins call this as soon as that search finishes, while the others still run.
        """
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

    def _first_page(
        self, search: _Search, client_params: httpx.QueryParams
    ) -> tuple[str, Sequence[tuple[str, str]] | None]:
        """The URL (and query params, if any are left to merge) of a search's first page.

        The query string is encoded once here, by httpx's own encoder (so the request line is
        byte-identical), instead of httpx parsing and re-encoding a ``params=`` merge per request.
        A client with query params of its own keeps the ``params=`` path, so its merge order and
        precedence are unchanged.
        """
        url = f"{self.base_url}/{search.resource_type}"
        if client_params:
            return url, search.params
        return f"{url}?{httpx.QueryParams(search.params)}", None

    def _request(
        self,
        params: Sequence[tuple[str, str]] | None,
        resource_type: str,
        expires: float | None,
        token: str | None,
        content: bytes | None,
    ) -> tuple[str, dict[str, Any]]:
        """Method and keyword arguments of one request: a GET, or with ``content`` a batch POST of reads."""
        timeout = self._request_timeout(expires, resource_type)
        if content is not None:
            return "POST", {
                "content": content,
                "headers": self._headers(token, post=True),
                "timeout": timeout,
            }
        return "GET", {
            "params": list(params) if params else None,
            "headers": self._headers(token),
            "timeout": timeout,
        }

    def _headers(self, token: str | None, *, post: bool = False) -> dict[str, str]:
        headers = {"Accept": _ACCEPT, "Content-Type": _ACCEPT} if post else {"Accept": _ACCEPT}
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


def _raise_failures(results: Sequence[object]) -> None:
    """Re-raise a failure that is not a ChartError (a bug, a cancellation) first, then the first one."""
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, ChartError):
            raise result
    _raise_first(results)
