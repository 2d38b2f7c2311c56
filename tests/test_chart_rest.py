"""FHIRChart / AsyncFHIRChart faults and SMART auth over httpx.MockTransport (and one hanging socket)."""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from replydraft.chart import AsyncFHIRChart, BearerAuth, FHIRChart, SMARTBackendAuth
from replydraft.errors import (
    ChartAuthError,
    ChartServerError,
    ChartTimeoutError,
    ConfigurationError,
    PatientNotFoundError,
)

BASE = "http://ehr.test/fhir"
NOW = datetime(2021, 6, 1, tzinfo=timezone.utc)
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Testperson", "given": ["Alex"]}]}
MED_REQ = {
    "resourceType": "MedicationRequest",
    "id": "mr1",
    "status": "active",
    "intent": "order",
    "subject": {"reference": "Patient/p1"},
    "medicationReference": {"reference": "Medication/m1"},
}
MEDICATION = {"resourceType": "Medication", "id": "m1", "code": {"text": "Lisinopril 10 MG Oral Tablet"}}
CONDITION = {
    "resourceType": "Condition",
    "id": "c1",
    "clinicalStatus": {"coding": [{"code": "active"}]},
    "code": {"text": "Hypertension"},
    "subject": {"reference": "Patient/p1"},
}
# a misspelt key: strict R4 validation rejects it (real EHR data has such things)
BAD_CONDITION = {**CONDITION, "id": "c2", "clinicalStatuss": {"coding": [{"code": "active"}]}}

Handler = Callable[[httpx.Request], httpx.Response]
AsyncHandler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


def outcome(code: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code}]}


def fake_ehr(
    searches: dict[str, list[dict[str, Any]]] | None = None,
    *,
    patient: dict[str, Any] | None = PATIENT,
    override: Callable[[httpx.Request], httpx.Response | None] | None = None,
    log: list[httpx.Request] | None = None,
) -> Handler:
    """A one-patient FHIR server: reads by id, searches return the listed resources on one page."""
    searches = searches or {}

    def handler(request: httpx.Request) -> httpx.Response:
        if log is not None:
            log.append(request)
        if override is not None:
            answer = override(request)
            if answer is not None:
                return answer
        path = request.url.path.removeprefix("/fhir/")
        if path == "Patient/p1" and patient is not None:
            return httpx.Response(200, json=patient)
        if path == "Medication/m1":
            return httpx.Response(200, json=MEDICATION)
        if "/" in path:
            return httpx.Response(404, json=outcome("not-found"))
        return httpx.Response(200, json=bundle(*searches.get(path, [])))

    return handler


def sync_chart(handler: Handler, **kw: Any) -> FHIRChart:
    kw.setdefault("batch", False)  # these fakes serve separate requests only (batch: test_chart_batch.py)
    return FHIRChart(BASE, now=NOW, http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kw)


def async_chart(handler: Handler | AsyncHandler, **kw: Any) -> AsyncFHIRChart:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    kw.setdefault("batch", False)
    return AsyncFHIRChart(BASE, now=NOW, http_client=client, **kw)


# --------------------------------------------------------------------------- happy path and shape


def test_twins_have_the_same_signatures() -> None:
    sync_params = dict(inspect.signature(FHIRChart.__init__).parameters)
    async_params = dict(inspect.signature(AsyncFHIRChart.__init__).parameters)
    sync_params.pop("max_workers")  # the thread pool only exists in the sync twin
    assert [p.name for p in sync_params.values()] == [p.name for p in async_params.values()]
    assert inspect.signature(FHIRChart.get_context) == inspect.signature(AsyncFHIRChart.get_context)
    assert inspect.iscoroutinefunction(AsyncFHIRChart.get_context)
    assert FHIRChart.blocking_io is True


def test_medication_reference_is_read_when_not_included() -> None:
    log: list[httpx.Request] = []
    with sync_chart(fake_ehr({"MedicationRequest": [MED_REQ]}, log=log)) as chart:
        ctx = chart.get_context("p1")
    assert [m.name for m in ctx.medications] == ["Lisinopril 10 MG Oral Tablet"]
    assert "/fhir/Medication/m1" in [r.url.path for r in log]


async def test_async_medication_reference_is_read_when_not_included() -> None:
    async with async_chart(fake_ehr({"MedicationRequest": [MED_REQ]})) as chart:
        ctx = await chart.get_context("p1")
    assert [m.name for m in ctx.medications] == ["Lisinopril 10 MG Oral Tablet"]


def test_sync_searches_run_concurrently() -> None:
    # all nine requests must be in flight at once to pass the barrier; sequential requests break it
    barrier = threading.Barrier(9, timeout=10)
    inner = fake_ehr()

    def handler(request: httpx.Request) -> httpx.Response:
        barrier.wait()
        return inner(request)

    with sync_chart(handler) as chart:
        assert chart.get_context("p1").patient.id == "p1"


async def test_async_searches_run_concurrently() -> None:
    in_flight = 0
    everyone = asyncio.Event()
    inner = fake_ehr()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight
        in_flight += 1
        if in_flight == 9:
            everyone.set()
        await asyncio.wait_for(everyone.wait(), timeout=10)
        return inner(request)

    async with async_chart(handler) as chart:
        assert (await chart.get_context("p1")).patient.id == "p1"


def test_sync_medication_reads_overlap_the_slower_searches() -> None:
    # the lab search answers only after the un-included Medication was requested: a client that
    # resolves references after every search has finished would wait out the 10 s here and fail
    medication_read = threading.Event()
    saw_it: list[bool] = []
    inner = fake_ehr({"MedicationRequest": [MED_REQ]})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Medication/m1"):
            medication_read.set()
        elif request.url.path.endswith("/Observation") and "laboratory" in str(request.url):
            saw_it.append(medication_read.wait(timeout=10))
        return inner(request)

    with sync_chart(handler) as chart:
        ctx = chart.get_context("p1")
    assert saw_it == [True]
    assert [m.name for m in ctx.medications] == ["Lisinopril 10 MG Oral Tablet"]


async def test_async_medication_reads_overlap_the_slower_searches() -> None:
    medication_read = asyncio.Event()
    saw_it: list[bool] = []
    inner = fake_ehr({"MedicationRequest": [MED_REQ]})

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Medication/m1"):
            medication_read.set()
        elif request.url.path.endswith("/Observation") and "laboratory" in str(request.url):
            try:
                await asyncio.wait_for(medication_read.wait(), timeout=10)
                saw_it.append(True)
            except asyncio.TimeoutError:
                saw_it.append(False)
        return inner(request)

    async with async_chart(handler) as chart:
        ctx = await chart.get_context("p1")
    assert saw_it == [True]
    assert [m.name for m in ctx.medications] == ["Lisinopril 10 MG Oral Tablet"]


def test_when_concurrency_is_bounded_the_largest_searches_start_first() -> None:
    # one worker thread: the requests go out in the order the client starts them
    log: list[httpx.Request] = []
    with sync_chart(fake_ehr(log=log), max_workers=1) as chart:
        chart.get_context("p1")
    searches = [r.url.path.removeprefix("/fhir/") for r in log if r.url.path != "/fhir/Patient/p1"]
    assert searches[:3] == ["Observation", "Observation", "MedicationRequest"]
    assert len(searches) == 8


def test_searches_ask_for_the_fhir_semantics() -> None:
    log: list[httpx.Request] = []
    with sync_chart(fake_ehr(log=log)) as chart:
        chart.get_context("p1")
    params = {r.url.path.removeprefix("/fhir/"): r.url.params for r in log}
    assert params["MedicationRequest"]["status"] == "active"
    assert params["Condition"]["clinical-status"] == "active,recurrence,relapse"
    assert params["Appointment"]["date"] == "ge2021-06-01"
    assert params["Encounter"]["_sort"] == "-date"
    assert all(p["patient"] == "p1" for path, p in params.items() if path != "Patient/p1")


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("twin", ["sync", "async"])
async def test_invalid_resource_is_skipped_with_a_flag(twin: str) -> None:
    handler = fake_ehr({"Condition": [CONDITION, BAD_CONDITION]})
    if twin == "sync":
        with sync_chart(handler) as chart:
            ctx = chart.get_context("p1")
    else:
        async with async_chart(handler) as achart:
            ctx = await achart.get_context("p1")
    assert [p.citation_id for p in ctx.problems] == ["Condition/c1"]
    (flag,) = [f for f in ctx.flags if f.code == "chart_invalid_resource"]
    assert flag.count == 1


def test_server_error_500_is_typed_and_retryable() -> None:
    def broken(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Observation"):
            return httpx.Response(500, text="Internal Server Error")
        return None

    with sync_chart(fake_ehr(override=broken)) as chart, pytest.raises(ChartServerError) as info:
        chart.get_context("p1")
    assert info.value.status_code == 500
    assert info.value.retryable
    assert info.value.resource_type == "Observation"


async def test_operation_outcome_issue_codes_are_kept() -> None:
    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Condition"):
            return httpx.Response(400, json=outcome("not-supported"))
        return None

    async with async_chart(fake_ehr(override=refuse)) as chart:
        with pytest.raises(ChartServerError) as info:
            await chart.get_context("p1")
    assert info.value.issue_codes == ("not-supported",)
    assert not info.value.retryable


@pytest.mark.parametrize("status", [403, 404, 501])
async def test_unsupported_optional_search_gives_a_flag_not_an_error(status: int) -> None:
    def no_dispenses(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/MedicationDispense"):
            return httpx.Response(status, json=outcome("not-supported"))
        return None

    handler = fake_ehr({"Condition": [CONDITION]}, override=no_dispenses)
    with sync_chart(handler) as chart:
        ctx = chart.get_context("p1")
    async with async_chart(handler) as achart:
        actx = await achart.get_context("p1")
    assert ctx == actx
    assert [p.citation_id for p in ctx.problems] == ["Condition/c1"]
    assert [f.code for f in ctx.flags] == ["chart_search_unsupported"]


def test_a_failing_optional_search_still_raises_on_5xx() -> None:
    def broken(request: httpx.Request) -> httpx.Response | None:
        return httpx.Response(503) if request.url.path.endswith("/Appointment") else None

    with sync_chart(fake_ehr(override=broken)) as chart, pytest.raises(ChartServerError) as info:
        chart.get_context("p1")
    assert info.value.status_code == 503


@pytest.mark.parametrize("twin", ["sync", "async"])
@pytest.mark.parametrize("drops", [1, 2])
async def test_a_kept_alive_connection_closed_by_the_server_is_retried_once(twin: str, drops: int) -> None:
    # a server closing an idle connection as the client reuses it: the GET never reached it
    log: list[httpx.Request] = []

    def closes(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Condition") and sum("/Condition" in str(r.url) for r in log) <= drops:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return None

    handler = fake_ehr({"Condition": [CONDITION]}, override=closes, log=log)
    if drops == 2:  # a second failure is the server's: typed, never a traceback
        with pytest.raises(ChartServerError):
            if twin == "sync":
                with sync_chart(handler) as chart:
                    chart.get_context("p1")
            else:
                async with async_chart(handler) as achart:
                    await achart.get_context("p1")
        return
    if twin == "sync":
        with sync_chart(handler) as chart:
            ctx = chart.get_context("p1")
    else:
        async with async_chart(handler) as achart:
            ctx = await achart.get_context("p1")
    assert [p.citation_id for p in ctx.problems] == ["Condition/c1"]
    assert sum("/Condition" in str(r.url) for r in log) == 2


def test_server_text_never_reaches_the_error_message() -> None:
    def chatty(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Condition"):
            body = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "Alex Testperson 1960-07-01", "diagnostics": "Alex"}],
            }
            return httpx.Response(422, json=body)
        return None

    with sync_chart(fake_ehr(override=chatty)) as chart, pytest.raises(ChartServerError) as info:
        chart.get_context("p1")
    assert info.value.issue_codes == ("unknown",)
    assert "Alex" not in str(info.value)


def test_missing_patient_wins_over_search_errors() -> None:
    with sync_chart(fake_ehr(patient=None)) as chart, pytest.raises(PatientNotFoundError) as info:
        chart.get_context("p1")
    assert info.value.issue_codes == ("not-found",)


def test_an_id_that_is_not_a_fhir_id_never_reaches_the_server() -> None:
    log: list[httpx.Request] = []
    with sync_chart(fake_ehr(log=log)) as chart, pytest.raises(PatientNotFoundError):
        chart.get_context("../Patient?name=x")
    assert log == []


def test_non_json_body_is_a_server_error() -> None:
    def html(request: httpx.Request) -> httpx.Response | None:
        return httpx.Response(200, text="<html>login</html>") if "Allergy" in request.url.path else None

    with sync_chart(fake_ehr(override=html)) as chart, pytest.raises(ChartServerError):
        chart.get_context("p1")


@pytest.mark.parametrize("twin", ["sync", "async"])
async def test_endless_paging_stops_at_the_cap_with_a_flag(twin: str) -> None:
    calls = {"n": 0}

    def endless(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Condition"):
            calls["n"] += 1
            page = {**CONDITION, "id": f"c{calls['n']}"}
            return httpx.Response(200, json=bundle(page, next_url=f"{BASE}/Condition?page={calls['n'] + 1}"))
        return None

    if twin == "sync":
        with sync_chart(fake_ehr(override=endless), page_cap=4) as chart:
            ctx = chart.get_context("p1")
    else:
        async with async_chart(fake_ehr(override=endless), page_cap=4) as achart:
            ctx = await achart.get_context("p1")
    assert calls["n"] == 4
    assert len(ctx.problems) == 4
    assert "chart_truncated" in [f.code for f in ctx.flags]


def test_a_next_link_that_repeats_is_a_loop() -> None:
    calls = {"n": 0}

    def loop(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Condition"):
            calls["n"] += 1
            return httpx.Response(200, json=bundle(CONDITION, next_url=f"{BASE}/Condition?page=2"))
        return None

    with sync_chart(fake_ehr(override=loop), page_cap=50) as chart:
        ctx = chart.get_context("p1")
    assert calls["n"] == 2  # the first page, then page 2 once; its repeat of page 2 is refused
    assert "chart_paging_loop" in [f.code for f in ctx.flags]
    assert len(ctx.problems) == 1  # the same resource on every page counts once


def test_empty_pages_with_next_links_are_followed_up_to_the_cap() -> None:
    calls = {"n": 0}

    def sparse(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Condition"):
            calls["n"] += 1
            if calls["n"] < 3:  # two empty pages (filtered results), then the match
                return httpx.Response(200, json=bundle(next_url=f"{BASE}/Condition?page={calls['n'] + 1}"))
            return httpx.Response(200, json=bundle(CONDITION))
        return None

    with sync_chart(fake_ehr(override=sparse)) as chart:
        ctx = chart.get_context("p1")
    assert [p.citation_id for p in ctx.problems] == ["Condition/c1"]
    assert ctx.flags == ()


def test_a_next_link_to_another_host_is_not_followed() -> None:
    log: list[httpx.Request] = []

    def foreign(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/Condition"):
            return httpx.Response(200, json=bundle(CONDITION, next_url="http://evil.test/fhir/Condition?p=2"))
        return None

    with sync_chart(fake_ehr(override=foreign, log=log), auth=BearerAuth("secret")) as chart:
        ctx = chart.get_context("p1")
    assert all(r.url.host == "ehr.test" for r in log)
    assert "chart_paging_foreign_link" in [f.code for f in ctx.flags]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback TCP server that accepts connections and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/fhir"
    stop.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    sock.close()


def test_a_hanging_server_times_out(silent_server: str) -> None:
    with FHIRChart(silent_server, timeout=0.3, now=NOW) as chart, pytest.raises(ChartTimeoutError) as info:
        chart.get_context("p1")
    assert info.value.retryable


async def test_a_hanging_server_times_out_async(silent_server: str) -> None:
    async with AsyncFHIRChart(silent_server, timeout=0.3, now=NOW) as chart:
        with pytest.raises(ChartTimeoutError):
            await chart.get_context("p1")


# --------------------------------------------------------------------------- deadline


def test_deadline_ends_a_get_context_whose_server_never_answers() -> None:
    # MockTransport has no socket timeouts, so only the deadline can end this wait
    release = threading.Event()

    def stuck(request: httpx.Request) -> httpx.Response:
        release.wait(timeout=30)
        return fake_ehr()(request)

    chart = sync_chart(stuck, deadline=0.3)
    try:
        with pytest.raises(ChartTimeoutError, match="deadline") as info:
            chart.get_context("p1")
        assert info.value.retryable
    finally:
        release.set()
        chart.close()


async def test_deadline_ends_a_get_context_whose_server_never_answers_async() -> None:
    requests: list[httpx.Request] = []

    async def stuck(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        await asyncio.sleep(30)
        return fake_ehr()(request)

    async with async_chart(stuck, deadline=1.0) as chart:
        with pytest.raises(ChartTimeoutError, match="deadline") as info:
            await chart.get_context("p1")
    assert info.value.retryable
    assert len(requests) == 9  # every search had started: the deadline cancelled them, not a queue


def _endless_page(calls: list[int], request: httpx.Request) -> httpx.Response | None:
    """Every Condition page links to one more."""
    if not request.url.path.endswith("/Condition"):
        return None
    calls.append(1)
    n = len(calls)
    page = bundle({**CONDITION, "id": f"c{n}"}, next_url=f"{BASE}/Condition?page={n + 1}")
    return httpx.Response(200, json=page)


def test_deadline_covers_paging_and_stops_the_worker_threads() -> None:
    calls: list[int] = []

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.02)
        return _endless_page(calls, request) or fake_ehr()(request)

    chart = sync_chart(slow, page_cap=500, deadline=0.3)
    with pytest.raises(ChartTimeoutError, match="deadline"):
        chart.get_context("p1")
    at_deadline = len(calls)
    chart.close()  # waits for the worker threads
    # a thread may finish the page it was fetching, but starts no new one past the deadline
    assert len(calls) <= at_deadline + 1
    assert at_deadline < 500


async def test_deadline_covers_paging_async() -> None:
    calls: list[int] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return _endless_page(calls, request) or fake_ehr()(request)

    async with async_chart(slow, page_cap=500, deadline=0.3) as chart:
        with pytest.raises(ChartTimeoutError, match="deadline"):
            await chart.get_context("p1")
        at_deadline = len(calls)
        await asyncio.sleep(0.1)
    assert len(calls) == at_deadline  # the paging task was cancelled
    assert at_deadline < 500


def test_deadline_over_a_real_socket_clips_each_request_timeout(silent_server: str) -> None:
    # the per-request timeout alone would wait 60 s; the deadline ends the wait and the requests
    chart = FHIRChart(silent_server, timeout=60, deadline=0.3, now=NOW)
    with pytest.raises(ChartTimeoutError):
        chart.get_context("p1")
    chart.close()  # returns once every worker's clipped request has timed out


async def test_no_deadline_still_reads_the_chart() -> None:
    with sync_chart(fake_ehr({"Condition": [CONDITION]}), deadline=None) as chart:
        assert [p.citation_id for p in chart.get_context("p1").problems] == ["Condition/c1"]
    async with async_chart(fake_ehr({"Condition": [CONDITION]}), deadline=None) as achart:
        assert [p.citation_id for p in (await achart.get_context("p1")).problems] == ["Condition/c1"]


@pytest.mark.parametrize("deadline", [0, -1.0, float("nan"), float("inf")])
def test_a_deadline_must_be_a_positive_number(deadline: float) -> None:
    with pytest.raises(ConfigurationError):
        FHIRChart(BASE, deadline=deadline)
    with pytest.raises(ConfigurationError):
        AsyncFHIRChart(BASE, deadline=deadline)


async def test_a_closed_chart_says_so() -> None:
    chart = sync_chart(fake_ehr())
    chart.close()
    with pytest.raises(ConfigurationError):
        chart.get_context("p1")
    achart = async_chart(fake_ehr())
    await achart.aclose()
    with pytest.raises(ConfigurationError):
        await achart.get_context("p1")


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        FHIRChart("ehr.test/fhir")
    with pytest.raises(ConfigurationError):
        FHIRChart(BASE, page_cap=0)
    with pytest.raises(ConfigurationError):
        BearerAuth("")


# --------------------------------------------------------------------------- auth

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
TOKEN_URL = "http://ehr.test/auth/token"


class FakeAuthServer:
    """SMART discovery + token endpoint + a FHIR endpoint that accepts only the latest token."""

    def __init__(self, public_key: Any, algorithm: str, *, expires_in: int = 300) -> None:
        self.public_key = public_key
        self.algorithm = algorithm
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.assertions: list[dict[str, Any]] = []
        self.rejected: set[str] = set()
        self.discoveries = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/.well-known/smart-configuration"):
            self.discoveries += 1
            return httpx.Response(200, json={"token_endpoint": TOKEN_URL})
        if path == "/auth/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            claims = jwt.decode(
                form["client_assertion"],
                self.public_key,
                algorithms=[self.algorithm],
                audience=TOKEN_URL,
                leeway=3600,  # the client's clock may be injected
            )
            self.assertions.append({**claims, "header": jwt.get_unverified_header(form["client_assertion"])})
            token = f"token-{len(self.issued) + 1}"
            self.issued.append(token)
            return httpx.Response(200, json={"access_token": token, "expires_in": self.expires_in})
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.rejected or token not in self.issued:
            return httpx.Response(401, json=outcome("expired"))
        return fake_ehr()(request)


@pytest.mark.parametrize(("key", "alg"), [(RSA_KEY, "RS384"), (EC_KEY, "ES384")])
def test_smart_discovery_signed_assertion_and_cached_token(key: Any, alg: str) -> None:
    server = FakeAuthServer(key.public_key(), alg)
    auth = SMARTBackendAuth("client-1", key, algorithm=alg, kid="k1")
    with sync_chart(server, auth=auth) as chart:
        chart.get_context("p1")
        chart.get_context("p1")
    assert server.discoveries == 1
    assert len(server.issued) == 1  # nine concurrent requests, two contexts: one token
    (claims,) = server.assertions
    assert claims["iss"] == claims["sub"] == "client-1"
    assert claims["exp"] - claims["iat"] <= 300
    assert claims["header"]["kid"] == "k1"
    assert claims["header"]["alg"] == alg


def test_expired_token_gets_one_refresh_with_a_fresh_assertion() -> None:
    server = FakeAuthServer(RSA_KEY.public_key(), "RS384")
    auth = SMARTBackendAuth("client-1", RSA_KEY, token_url=TOKEN_URL)
    with sync_chart(server, auth=auth) as chart:
        chart.get_context("p1")
        server.rejected.add("token-1")  # the server expires the token early
        ctx = chart.get_context("p1")
    assert ctx.patient.id == "p1"
    assert server.issued == ["token-1", "token-2"]
    assert server.assertions[0]["jti"] != server.assertions[1]["jti"]
    assert server.discoveries == 0  # token_url given: no discovery


async def test_async_token_expiry_by_clock_refreshes() -> None:
    clock = {"t": time.time()}
    server = FakeAuthServer(EC_KEY.public_key(), "ES384", expires_in=300)
    auth = SMARTBackendAuth(
        "client-1", EC_KEY, algorithm="ES384", token_url=TOKEN_URL, clock=lambda: clock["t"]
    )
    async with async_chart(server, auth=auth) as chart:
        await chart.get_context("p1")
        clock["t"] += 301
        await chart.get_context("p1")
    assert server.issued == ["token-1", "token-2"]


def test_a_second_401_is_an_auth_error() -> None:
    server = FakeAuthServer(RSA_KEY.public_key(), "RS384")
    auth = SMARTBackendAuth("client-1", RSA_KEY, token_url=TOKEN_URL)

    sent: list[str] = []

    def always_401(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return server(request)
        sent.append(str(request.url))
        return httpx.Response(401, json=outcome("expired"))

    with sync_chart(always_401, auth=auth) as chart, pytest.raises(ChartAuthError) as info:
        chart.get_context("p1")
    assert info.value.status_code == 401
    assert info.value.issue_codes == ("expired",)
    # every request was tried at most twice: one refresh, never a loop
    assert max(sent.count(path) for path in sent) == 2


def test_bearer_auth_does_not_retry_a_401() -> None:
    log: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        log.append(request)
        return httpx.Response(401, json=outcome("login"))

    with sync_chart(refuse, auth=BearerAuth("t0k3n")) as chart, pytest.raises(ChartAuthError):
        chart.get_context("p1")
    assert len(log) == 9  # the Patient read and eight searches, once each
    assert "t0k3n" not in repr(BearerAuth("t0k3n"))


def test_token_endpoint_refusal_is_an_auth_error_without_the_description() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": "invalid_client", "error_description": "client Alex Testperson unknown"}
        )

    auth = SMARTBackendAuth("client-1", RSA_KEY, token_url=TOKEN_URL)
    with sync_chart(refuse, auth=auth) as chart, pytest.raises(ChartAuthError) as info:
        chart.get_context("p1")
    assert info.value.issue_codes == ("invalid_client",)
    assert "Testperson" not in str(info.value)


def test_smart_auth_refuses_unsupported_algorithms_and_bad_keys() -> None:
    with pytest.raises(ConfigurationError):
        SMARTBackendAuth("c", RSA_KEY, algorithm="HS256")
    with pytest.raises(ConfigurationError):
        SMARTBackendAuth("c", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
