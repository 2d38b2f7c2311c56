"""FHIRChart / AsyncFHIRChart over FHIR batch: against a real sekmet-fhir server, and fakes.

The sekmet tests reuse test_chart_fhir's module-scoped server fixture (its own server for this
module); the fakes wrap test_chart_rest's one-patient fake EHR with a batch endpoint that answers
each entry with what the same GET would have answered.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from test_chart_fhir import NOW, _remap, _static, server  # noqa: F401  (server: a fixture)
from test_chart_rest import BASE, CONDITION, MED_REQ, fake_ehr, outcome
from test_chart_rest import NOW as FAKE_NOW
from test_chart_rest import bundle as searchset

from replydraft.chart import AsyncFHIRChart, FHIRBundleChart, FHIRChart
from replydraft.errors import ChartAuthError, ChartServerError, PatientNotFoundError
from replydraft.models import ChartContext

TWINS = ["sync", "async"]
SEARCH_KEYS = {
    "Observation:laboratory",
    "Observation:vital-signs",
    "MedicationRequest",
    "Encounter",
    "Condition",
    "AllergyIntolerance",
    "MedicationDispense",
    "Appointment",
}

# --------------------------------------------------------------------------- real server


async def _context(twin: str, base_url: str, pid: str, batch: bool | None, **kw: Any) -> ChartContext:
    if twin == "sync":
        with FHIRChart(base_url, auth=_static(), now=NOW, batch=batch, **kw) as chart:
            ctx = chart.get_context(pid)
            timings, refused = chart.last_timings, chart._batch_refused
    else:
        async with AsyncFHIRChart(base_url, auth=_static(), now=NOW, batch=batch, **kw) as achart:
            ctx = await achart.get_context(pid)
            timings, refused = achart.last_timings, achart._batch_refused
    assert set(timings) >= SEARCH_KEYS
    assert not refused  # sekmet does batch: the automatic mode kept it
    return ctx


@pytest.mark.fhir
@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("batch", [True, False, None])
async def test_contexts_equal_the_bundle_with_and_without_batch(
    server: dict[str, Any],  # noqa: F811
    twin: str,
    batch: bool | None,
) -> None:
    base_url = server["server"].base_url
    expected = FHIRBundleChart(server["small"], now=NOW).get_context("999")
    assert await _context(twin, base_url, "999", batch) == expected

    mapping = server["mapping"]
    bundle_chart = FHIRBundleChart(server["large"], now=NOW)
    (pid,) = bundle_chart.patient_ids
    large = _remap(bundle_chart.get_context(pid), mapping)
    new_pid = mapping[f"Patient/{pid}"].partition("/")[2]
    assert _remap(await _context(twin, base_url, new_pid, batch), {}) == large
    # small pages: the batched searches' next links are followed by ordinary GETs
    paged = await _context(twin, base_url, new_pid, batch, page_size=25, page_cap=50)
    assert _remap(paged, {}) == large


@pytest.mark.fhir
@pytest.mark.parametrize("twin", TWINS)
async def test_a_missing_patient_in_a_real_batch_is_not_found(
    server: dict[str, Any],  # noqa: F811
    twin: str,
) -> None:
    with pytest.raises(PatientNotFoundError) as info:
        await _context(twin, server["server"].base_url, "no-such-patient", True)
    assert "no-such-patient" not in str(info.value)


# --------------------------------------------------------------------------- fakes

Entry = dict[str, Any]


def batch_ehr(
    searches: dict[str, list[dict[str, Any]]] | None = None,
    *,
    log: list[httpx.Request] | None = None,
    refuse: int | None = None,
    edit: Callable[[list[Entry]], list[Entry]] | None = None,
    override: Callable[[httpx.Request], httpx.Response | None] | None = None,
) -> Callable[[httpx.Request], httpx.Response]:
    """test_chart_rest's fake EHR plus a batch endpoint (or ``refuse``: that status to a batch)."""
    inner = fake_ehr(searches, override=override)

    def handler(request: httpx.Request) -> httpx.Response:
        if log is not None:
            log.append(request)
        if request.method != "POST":
            return inner(request)
        if refuse is not None:
            return httpx.Response(refuse, json=outcome("not-supported"))
        body = json.loads(request.content)
        assert body["type"] == "batch"
        entries: list[Entry] = []
        for item in body["entry"]:
            answer = inner(httpx.Request("GET", f"{BASE}/{item['request']['url']}"))
            payload = answer.json()
            entry: Entry = {"response": {"status": f"{answer.status_code} {answer.reason_phrase}"}}
            if answer.status_code >= 400:
                entry["response"]["outcome"] = payload
            else:
                entry["resource"] = payload
            entries.append(entry)
        if edit is not None:
            entries = edit(entries)
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "batch-response", "entry": entries}
        )

    return handler


ORDER = ["Patient", "Observation:vital-signs", "MedicationRequest", "Encounter", "Condition"]
ORDER += ["AllergyIntolerance", "MedicationDispense", "Appointment"]


def _entry_for(entries: list[Entry], resource_type: str) -> Entry:
    """The entry answering ``resource_type``'s search (the batch keeps the plan's order)."""
    return entries[ORDER.index(resource_type)]


class _Chart:
    """One twin over a fake, with the same (awaitable) get_context for both."""

    def __init__(self, twin: str, handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> None:
        kw.setdefault("now", FAKE_NOW)
        self.twin = twin
        if twin == "sync":
            self.sync = FHIRChart(
                BASE, http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kw
            )
            self.chart: FHIRChart | AsyncFHIRChart = self.sync
        else:
            client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            self.achart = AsyncFHIRChart(BASE, http_client=client, **kw)
            self.chart = self.achart

    async def get(self, pid: str = "p1") -> ChartContext:
        if self.twin == "sync":
            return self.sync.get_context(pid)
        return await self.achart.get_context(pid)

    async def close(self) -> None:
        if self.twin == "sync":
            self.sync.close()
        else:
            await self.achart.aclose()


async def _fetch(twin: str, handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> ChartContext:
    chart = _Chart(twin, handler, **kw)
    try:
        return await chart.get()
    finally:
        await chart.close()


def _posts(log: list[httpx.Request]) -> int:
    return sum(1 for r in log if r.method == "POST")


@pytest.mark.parametrize("twin", TWINS)
async def test_the_batch_holds_the_patient_and_all_but_the_lab_search(twin: str) -> None:
    log: list[httpx.Request] = []
    ctx = await _fetch(twin, batch_ehr({"Condition": [CONDITION]}, log=log))
    assert [p.name for p in ctx.problems] == ["Hypertension"]
    gets = [r for r in log if r.method == "GET"]
    assert [(r.url.path, r.url.params["category"]) for r in gets] == [("/fhir/Observation", "laboratory")]
    (post,) = [r for r in log if r.method == "POST"]
    assert post.url.path == "/fhir" and post.headers["content-type"] == "application/fhir+json"
    urls = [e["request"]["url"] for e in json.loads(post.content)["entry"]]
    assert urls[0] == "Patient/p1" and len(urls) == 8
    assert "Condition?patient=p1&clinical-status=active%2Crecurrence%2Crelapse&_count=200" in urls


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("status", [400, 403, 404, 405, 415, 501])
async def test_a_server_that_refuses_batch_falls_back_once_and_is_not_asked_again(
    twin: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[httpx.Request] = []
    chart = _Chart(twin, batch_ehr({"MedicationRequest": [MED_REQ]}, log=log, refuse=status))
    separate = _Chart(twin, batch_ehr({"MedicationRequest": [MED_REQ]}), batch=False)
    try:
        with caplog.at_level(logging.INFO, logger="replydraft.chart._rest_common"):
            first = await chart.get()
        second = await chart.get()
        assert first == second == await separate.get()
    finally:
        await chart.close()
        await separate.close()
    assert [m.name for m in first.medications] == ["Lisinopril 10 MG Oral Tablet"]
    assert _posts(log) == 1
    assert len(log) == 1 + 2 * 10  # the refused batch, then twice: Patient, 8 searches, 1 Medication
    assert chart.chart._batch_refused
    assert any("does not support batch" in r.getMessage() for r in caplog.records)
    assert not any("p1" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("twin", TWINS)
async def test_batch_true_raises_the_refusal(twin: str) -> None:
    with pytest.raises(ChartServerError) as info:
        await _fetch(twin, batch_ehr(refuse=405), batch=True)
    assert info.value.status_code == 405 and info.value.resource_type == "Bundle"
    with pytest.raises(ChartAuthError):
        await _fetch(twin, batch_ehr(refuse=403), batch=True)


@pytest.mark.parametrize("twin", TWINS)
async def test_batch_false_never_posts(twin: str) -> None:
    log: list[httpx.Request] = []
    await _fetch(twin, batch_ehr(log=log), batch=False)
    assert _posts(log) == 0 and len(log) == 9


@pytest.mark.parametrize("twin", TWINS)
async def test_a_404_patient_entry_is_patient_not_found(twin: str) -> None:
    def edit(entries: list[Entry]) -> list[Entry]:
        entries[0] = {"response": {"status": "404 Not Found", "outcome": outcome("not-found")}}
        return entries

    with pytest.raises(PatientNotFoundError) as info:
        await _fetch(twin, batch_ehr(edit=edit))
    assert info.value.status_code == 404 and info.value.issue_codes == ("not-found",)
    assert "p1" not in str(info.value)


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize(
    "entry",
    [
        {"response": {"status": "200 OK"}, "resource": outcome("exception")},
        {"response": {"status": "500 Internal Server Error", "outcome": outcome("exception")}},
        {"response": {"status": "500"}},
        {"response": {}, "resource": searchset()},
    ],
)
async def test_an_operation_outcome_or_5xx_entry_is_a_server_error(twin: str, entry: Entry) -> None:
    def edit(entries: list[Entry]) -> list[Entry]:
        entries[ORDER.index("Condition")] = entry
        return entries

    with pytest.raises(ChartServerError) as info:
        await _fetch(twin, batch_ehr(edit=edit))
    assert info.value.resource_type == "Condition"
    assert "diagnostics" not in str(info.value)


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("resource_type", ["MedicationDispense", "Appointment", "Encounter"])
async def test_an_optional_search_entry_with_403_gives_the_flag(twin: str, resource_type: str) -> None:
    def edit(entries: list[Entry]) -> list[Entry]:
        i = ORDER.index(resource_type)
        entries[i] = {"response": {"status": "403 Forbidden", "outcome": outcome("forbidden")}}
        return entries

    ctx = await _fetch(twin, batch_ehr(edit=edit))
    assert [f.code for f in ctx.flags] == ["chart_search_unsupported"]


@pytest.mark.parametrize("twin", TWINS)
async def test_a_required_search_entry_with_403_is_an_auth_error(twin: str) -> None:
    def edit(entries: list[Entry]) -> list[Entry]:
        i = ORDER.index("Condition")
        entries[i] = {"response": {"status": "403 Forbidden", "outcome": outcome("forbidden")}}
        return entries

    with pytest.raises(ChartAuthError):
        await _fetch(twin, batch_ehr(edit=edit))


@pytest.mark.parametrize("twin", TWINS)
async def test_an_entry_with_a_next_link_is_paged_with_gets(twin: str) -> None:
    second = {**CONDITION, "id": "c9", "code": {"text": "Asthma"}}
    log: list[httpx.Request] = []

    def edit(entries: list[Entry]) -> list[Entry]:
        page = searchset(CONDITION, next_url=f"{BASE}/Condition?page=2")
        _entry_for(entries, "Condition")["resource"] = page
        return entries

    def page_two(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json=searchset(second))
        return None

    ctx = await _fetch(twin, batch_ehr(log=log, edit=edit, override=page_two))
    assert sorted(p.name for p in ctx.problems) == ["Asthma", "Hypertension"]
    assert [str(r.url) for r in log if "page=2" in str(r.url)] == [f"{BASE}/Condition?page=2"]


@pytest.mark.parametrize("twin", TWINS)
async def test_paging_rules_apply_to_batched_searches(twin: str) -> None:
    def edit(entries: list[Entry]) -> list[Entry]:
        _entry_for(entries, "Condition")["resource"] = searchset(
            CONDITION, next_url="http://elsewhere.test/fhir/Condition?page=2"
        )
        _entry_for(entries, "AllergyIntolerance")["resource"] = searchset(
            next_url=f"{BASE}/AllergyIntolerance?page=2"
        )
        return entries

    def endless(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/AllergyIntolerance") and "page" in request.url.params:
            n = int(request.url.params["page"])
            return httpx.Response(200, json=searchset(next_url=f"{BASE}/AllergyIntolerance?page={n + 1}"))
        return None

    ctx = await _fetch(twin, batch_ehr(edit=edit, override=endless), page_cap=3)
    assert {f.code for f in ctx.flags} == {"chart_paging_foreign_link", "chart_truncated"}


@pytest.mark.parametrize("twin", TWINS)
async def test_a_medication_not_included_in_the_batch_is_read_afterwards(twin: str) -> None:
    log: list[httpx.Request] = []
    ctx = await _fetch(twin, batch_ehr({"MedicationRequest": [MED_REQ]}, log=log))
    assert [m.name for m in ctx.medications] == ["Lisinopril 10 MG Oral Tablet"]
    assert "/fhir/Medication/m1" in [r.url.path for r in log]


class _RefreshingAuth:
    """A refreshable ChartAuth whose first token the server rejects."""

    refreshable = True

    def __init__(self) -> None:
        self.issued: list[str] = []
        self.invalidated: list[str] = []

    def _next(self) -> str:
        if not self.issued or self.issued[-1] in self.invalidated:
            self.issued.append(f"token-{len(self.issued) + 1}")
        return self.issued[-1]

    def token(self, client: httpx.Client, base_url: str) -> str:
        return self._next()

    async def atoken(self, client: httpx.AsyncClient, base_url: str) -> str:
        return self._next()

    def invalidate(self, token: str) -> None:
        self.invalidated.append(token)


@pytest.mark.parametrize("twin", TWINS)
async def test_a_401_on_the_batch_refreshes_the_token_once(twin: str) -> None:
    auth = _RefreshingAuth()
    posts: list[str] = []
    inner = batch_ehr()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.headers["authorization"])
            if request.headers["authorization"] == "Bearer token-1":
                return httpx.Response(401, json=outcome("expired"))
        return inner(request)

    ctx = await _fetch(twin, handler, auth=auth)
    assert ctx.patient.id == "p1"
    assert posts == ["Bearer token-1", "Bearer token-2"]
    assert auth.invalidated == ["token-1"]


@pytest.mark.parametrize("twin", TWINS)
async def test_a_second_401_on_the_batch_is_an_auth_error(twin: str) -> None:
    auth = _RefreshingAuth()
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        return httpx.Response(401, json=outcome("expired"))

    with pytest.raises(ChartAuthError):
        await _fetch(twin, handler, auth=auth)
    # the refused POST falls back to the separate reads, which fail the same way: every request is
    # retried once with a fresh token, never more (no refresh loop)
    assert attempts.count("POST") == 2
    assert len(auth.invalidated) * 2 == len(attempts)


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("batch", [None, True])
async def test_a_post_refused_with_401_after_a_refresh_falls_back_to_the_reads(
    twin: str, batch: bool | None
) -> None:
    # some servers answer a read-only scope's batch POST with 401 rather than 403: the GETs still work
    auth = _RefreshingAuth()
    inner = batch_ehr()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(401, json=outcome("forbidden"))
        return inner(request)

    if batch is True:
        with pytest.raises(ChartAuthError):
            await _fetch(twin, handler, auth=auth, batch=True)
    else:
        ctx = await _fetch(twin, handler, auth=auth)
        assert ctx.patient.id == "p1"


def _drop_last(entries: list[Entry]) -> list[Entry]:
    return entries[:-1]


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize(
    "answer",
    [
        lambda e: {"resourceType": "Bundle", "type": "batch-response", "entry": _drop_last(e)},
        lambda e: {"resourceType": "Bundle", "type": "searchset", "entry": e},
        lambda e: outcome("not-supported"),
    ],
)
async def test_a_wrong_batch_response_falls_back_or_raises(
    twin: str, answer: Callable[[list[Entry]], dict[str, Any]]
) -> None:
    inner = batch_ehr({"Condition": [CONDITION]})
    log: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        log.append(request)
        response = inner(request)
        if request.method == "POST":
            return httpx.Response(200, json=answer(response.json()["entry"]))
        return response

    ctx = await _fetch(twin, handler)  # automatic: the same context through separate requests
    assert [p.name for p in ctx.problems] == ["Hypertension"]
    assert _posts(log) == 1 and len(log) == 10
    with pytest.raises(ChartServerError) as info:
        await _fetch(twin, handler, batch=True)
    assert info.value.resource_type == "Bundle"


@pytest.mark.parametrize("twin", TWINS)
async def test_a_failing_server_is_not_mistaken_for_no_batch(twin: str) -> None:
    with pytest.raises(ChartServerError) as info:
        await _fetch(twin, batch_ehr(refuse=503))
    assert info.value.status_code == 503


@pytest.mark.parametrize("twin", TWINS)
async def test_batched_searches_get_timings(twin: str) -> None:
    chart = _Chart(twin, batch_ehr())
    try:
        await chart.get()
    finally:
        await chart.close()
    assert SEARCH_KEYS | {"total", "Patient"} <= set(chart.chart.last_timings)


def test_batch_must_be_a_bool_or_none() -> None:
    from replydraft.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        FHIRChart(BASE, batch="yes")  # type: ignore[arg-type]


def test_a_clients_own_query_params_go_in_every_entry() -> None:
    log: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(batch_ehr(log=log)), params={"tenant": "a b"})
    with FHIRChart(BASE, http_client=client, now=FAKE_NOW) as chart:
        chart.get_context("p1")
    (post,) = [r for r in log if r.method == "POST"]
    urls = [e["request"]["url"] for e in json.loads(post.content)["entry"]]
    assert urls[0] == "Patient/p1?tenant=a+b"
    assert all(u.partition("?")[2].startswith("tenant=a+b&patient=p1&") for u in urls[1:])


@pytest.mark.parametrize("twin", TWINS)
async def test_the_deadline_bounds_a_batch_that_never_answers(twin: str) -> None:
    import asyncio
    import threading

    from replydraft.errors import ChartTimeoutError

    release = threading.Event()
    inner = batch_ehr()

    def stuck(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            release.wait(timeout=10)
        return inner(request)

    async def astuck(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            await asyncio.sleep(10)
        return inner(request)

    chart = _Chart(twin, stuck if twin == "sync" else astuck, deadline=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(ChartTimeoutError, match="deadline"):
            await chart.get()
        assert time.monotonic() - started < 5
    finally:
        release.set()  # before close: the sync twin's close waits for its worker threads
        await chart.close()


@pytest.mark.parametrize("twin", TWINS)
async def test_a_401_inside_a_batch_entry_refreshes_the_token_once(twin: str) -> None:
    # the POST was let in but an entry was refused (a token expiring mid-batch): as a lone request
    # would be, the whole batch is sent again once with a fresh token
    auth = _RefreshingAuth()
    posts: list[str] = []

    def expire_conditions(entries: list[Entry]) -> list[Entry]:
        if posts[-1] == "Bearer token-1":
            entry = _entry_for(entries, "Condition")
            entry.pop("resource", None)
            entry["response"] = {"status": "401 Unauthorized", "outcome": outcome("expired")}
        return entries

    inner = batch_ehr({"Condition": [CONDITION]}, edit=expire_conditions)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.headers["authorization"])
        return inner(request)

    ctx = await _fetch(twin, handler, auth=auth)
    assert [p.citation_id for p in ctx.problems] == ["Condition/c1"]
    assert posts == ["Bearer token-1", "Bearer token-2"]
    assert auth.invalidated == ["token-1"]


@pytest.mark.parametrize("twin", TWINS)
async def test_a_second_401_inside_a_batch_entry_is_an_auth_error(twin: str) -> None:
    auth = _RefreshingAuth()
    posts: list[str] = []

    def expire_conditions(entries: list[Entry]) -> list[Entry]:
        entry = _entry_for(entries, "Condition")
        entry.pop("resource", None)
        entry["response"] = {"status": "401 Unauthorized", "outcome": outcome("expired")}
        return entries

    inner = batch_ehr(edit=expire_conditions)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.method)
        return inner(request)

    with pytest.raises(ChartAuthError) as info:
        await _fetch(twin, handler, auth=auth)
    assert info.value.status_code == 401
    assert len(posts) == 2  # one refresh, never a loop
    assert auth.invalidated == ["token-1"]


@pytest.mark.parametrize("twin", TWINS)
async def test_a_batch_post_on_a_closed_kept_alive_connection_is_retried_once(
    twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    posts: list[httpx.Request] = []
    inner = batch_ehr()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request)
            if len(posts) == 1:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return inner(request)

    with caplog.at_level("INFO", logger="replydraft"):
        ctx = await _fetch(twin, handler)
    assert ctx.patient.id == "p1"
    assert len(posts) == 2
    assert "retrying the batch POST once" in caplog.text
