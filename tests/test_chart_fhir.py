"""FHIRChart / AsyncFHIRChart end to end against a real sekmet-fhir server on 127.0.0.1.

The server is started once for this module (fresh data dir) with the sample bundles loaded. Locally
the tests skip when ``.venv-fhir/bin/sekmet`` is missing (run ``scripts/fhir-server.sh``); under CI
(``CI`` set) a missing server is a failure, not a skip.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fhir_server import STATIC_TOKEN, SekmetServer, require_sekmet

from replydraft.chart import AsyncFHIRChart, BearerAuth, FHIRBundleChart, FHIRChart, SMARTBackendAuth
from replydraft.errors import ChartAuthError, ChartServerError, PatientNotFoundError
from replydraft.models import ChartContext

pytestmark = pytest.mark.fhir

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
SMALL = FIXTURES / "inferno_pdex_bundle_patient_999.json"
LARGE = FIXTURES / "synthea_Luis_Miguel_Delarosa_f118c1b4-27e0-4de5-bc04-b51e14ea5bbd.json"
NOW = datetime(2021, 6, 1, 12, 0, tzinfo=timezone.utc)

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())


def _jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = jwt.algorithms.RSAAlgorithm if alg.startswith("RS") else jwt.algorithms.ECAlgorithm
    jwk = json.loads(algo.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": alg}


def _appointment(aid: str, start: datetime, status: str, patient: str = "Patient/999") -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:00000000-0000-4000-8000-{aid[-12:].rjust(12, '0')}",
        "resource": {
            "resourceType": "Appointment",
            "id": aid,
            "status": status,
            "description": "Follow-up visit",
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=20)).isoformat(),
            "participant": [{"actor": {"reference": patient}, "status": "accepted"}],
        },
        "request": {"method": "PUT", "url": f"Appointment/{aid}"},
    }


def _small_bundle() -> dict[str, Any]:
    """The US Core sample (fixed ids, all PUT) plus appointments: upcoming, past and cancelled."""
    bundle: dict[str, Any] = json.loads(SMALL.read_text(encoding="utf-8"))
    bundle["entry"] += [
        _appointment("appt-next", NOW + timedelta(days=5), "booked"),
        _appointment("appt-later", NOW + timedelta(days=40), "booked"),
        _appointment("appt-past", NOW - timedelta(days=3), "fulfilled"),
        _appointment("appt-cancelled", NOW + timedelta(days=9), "cancelled"),
    ]
    return bundle


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_sekmet()
    clients = [
        {
            "client_id": "replydraft-rs",
            "jwks": {"keys": [_jwk(RSA_KEY, "rs1", "RS384")]},
            "scopes": "system/*.read",
        },
        {
            "client_id": "replydraft-es",
            "jwks": {"keys": [_jwk(EC_KEY, "es1", "ES384")]},
            "scopes": "system/*.read",
        },
    ]
    srv = SekmetServer(tmp_path_factory.mktemp("sekmet"), smart_clients=clients)
    try:
        small = _small_bundle()
        srv.load(small)
        large = json.loads(LARGE.read_text(encoding="utf-8"))
        mapping = srv.load(large)
        yield {"server": srv, "small": small, "large": large, "mapping": mapping}
    finally:
        srv.stop()


def _static() -> BearerAuth:
    return BearerAuth(STATIC_TOKEN)


def _remap(ctx: ChartContext, mapping: dict[str, str]) -> ChartContext:
    """Rewrite citation ids through ``mapping`` and order every fact tuple by id (ties in dates)."""
    data = ctx.model_dump()
    for key in ("medications", "allergies", "problems", "observations", "appointments", "encounters"):
        items = [
            {**item, "citation_id": mapping.get(item["citation_id"], item["citation_id"])}
            for item in data[key]
        ]
        data[key] = sorted(items, key=lambda item: item["citation_id"])
    pid = mapping.get(f"Patient/{data['patient']['id']}", f"Patient/{data['patient']['id']}")
    data["patient"]["id"] = pid.partition("/")[2]
    return ChartContext.model_validate(data)


def test_sync_and_async_contexts_equal_the_bundle(server: dict[str, Any]) -> None:
    expected = FHIRBundleChart(server["small"], now=NOW).get_context("999")
    assert [a.citation_id for a in expected.appointments] == [
        "Appointment/appt-next",
        "Appointment/appt-later",
    ]
    with FHIRChart(server["server"].base_url, auth=_static(), now=NOW) as chart:
        assert chart.get_context("999") == expected


async def test_async_context_equals_the_bundle(server: dict[str, Any]) -> None:
    expected = FHIRBundleChart(server["small"], now=NOW).get_context("999")
    async with AsyncFHIRChart(server["server"].base_url, auth=_static(), now=NOW) as chart:
        assert await chart.get_context("999") == expected


def test_large_synthea_chart_equals_the_bundle_modulo_server_ids(server: dict[str, Any]) -> None:
    mapping = server["mapping"]
    bundle_chart = FHIRBundleChart(server["large"], now=NOW)
    (pid,) = bundle_chart.patient_ids
    expected = _remap(bundle_chart.get_context(pid), mapping)
    new_pid = mapping[f"Patient/{pid}"].partition("/")[2]
    with FHIRChart(server["server"].base_url, auth=_static(), now=NOW) as chart:
        got = chart.get_context(new_pid)
    assert _remap(got, {}) == expected
    assert len(got.labs) > 100  # the whole laboratory history came back, not a first page


def test_paging_small_pages_gives_the_same_context(server: dict[str, Any]) -> None:
    pid = server["mapping"][f"Patient/{FHIRBundleChart(server['large']).patient_ids[0]}"].partition("/")[2]
    with (
        FHIRChart(server["server"].base_url, auth=_static(), now=NOW) as full,
        FHIRChart(server["server"].base_url, auth=_static(), now=NOW, page_size=25, page_cap=50) as paged,
    ):
        one = full.get_context(pid)
        many = paged.get_context(pid)
    assert _remap(many, {}) == _remap(one, {})
    assert not many.flags


def test_page_cap_truncates_with_a_flag(server: dict[str, Any]) -> None:
    pid = server["mapping"][f"Patient/{FHIRBundleChart(server['large']).patient_ids[0]}"].partition("/")[2]
    with FHIRChart(server["server"].base_url, auth=_static(), now=NOW, page_size=10, page_cap=2) as chart:
        ctx = chart.get_context(pid)
    assert "chart_truncated" in [f.code for f in ctx.flags]
    assert len(ctx.labs) == 20  # two pages of ten


def test_unknown_patient_is_not_found(server: dict[str, Any]) -> None:
    with (
        FHIRChart(server["server"].base_url, auth=_static(), now=NOW) as chart,
        pytest.raises(PatientNotFoundError) as info,
    ):
        chart.get_context("no-such-patient")
    assert info.value.status_code == 404
    assert "not-found" in info.value.issue_codes
    assert "no-such-patient" not in str(info.value)


def test_operation_outcome_becomes_a_typed_error(server: dict[str, Any]) -> None:
    with (
        FHIRChart(server["server"].base_url, auth=_static(), now=NOW) as chart,
        pytest.raises(ChartServerError) as info,
    ):
        chart._get(f"{chart.base_url}/Observation", [("date", "garbage")], "Observation", None)
    assert info.value.status_code == 400
    assert info.value.issue_codes == ("value",)
    assert info.value.resource_type == "Observation"


def test_wrong_static_token_is_an_auth_error(server: dict[str, Any]) -> None:
    with (
        FHIRChart(server["server"].base_url, auth=BearerAuth("wrong"), now=NOW) as chart,
        pytest.raises(ChartAuthError) as info,
    ):
        chart.get_context("999")
    assert info.value.status_code == 401


@pytest.mark.parametrize(
    ("client_id", "key", "alg", "kid"),
    [("replydraft-rs", RSA_KEY, "RS384", "rs1"), ("replydraft-es", EC_KEY, "ES384", "es1")],
)
def test_smart_backend_auth_against_the_token_endpoint(
    server: dict[str, Any], client_id: str, key: Any, alg: str, kid: str
) -> None:
    auth = SMARTBackendAuth(client_id, key, algorithm=alg, kid=kid, scope="system/*.read")
    with FHIRChart(server["server"].base_url, auth=auth, now=NOW) as chart:
        first = chart.get_context("999")
        second = chart.get_context("999")
    assert first == second == FHIRBundleChart(server["small"], now=NOW).get_context("999")
    assert auth.token_requests == 1  # discovered once, token cached across both contexts


async def test_401_refreshes_the_smart_token_once(server: dict[str, Any]) -> None:
    auth = SMARTBackendAuth("replydraft-rs", RSA_KEY, algorithm="RS384", kid="rs1")
    # a token the server never issued, cached as if valid: every first request gets a real 401
    auth._access, auth._expires_at = "stale-token", auth._clock() + 3600
    async with AsyncFHIRChart(server["server"].base_url, auth=auth, now=NOW) as chart:
        ctx = await chart.get_context("999")
    assert ctx.patient.id == "999"
    assert auth.token_requests == 1


def test_unknown_smart_client_is_refused(server: dict[str, Any]) -> None:
    auth = SMARTBackendAuth("not-registered", RSA_KEY, algorithm="RS384", kid="rs1")
    with (
        FHIRChart(server["server"].base_url, auth=auth, now=NOW) as chart,
        pytest.raises(ChartAuthError) as info,
    ):
        chart.get_context("999")
    assert info.value.issue_codes == ("invalid_client",)


def test_medication_reference_is_resolved_over_rest(server: dict[str, Any]) -> None:
    bundle = copy.deepcopy(
        json.loads((FIXTURES / "inferno_uscore_bundle_patient_85.json").read_text("utf-8"))
    )
    mapping = server["server"].load(bundle)
    with FHIRChart(server["server"].base_url, auth=_static(), now=NOW) as chart:
        got = chart.get_context("85")
    expected = _remap(FHIRBundleChart(bundle, now=NOW).get_context("85"), mapping)
    assert _remap(got, {}) == expected
    assert "10 ML Furosemide 10 MG/ML Injection" in [m.name for m in got.medications]
    assert "patient_deceased" in [f.code for f in got.flags]


async def test_the_benchmarks_multi_worker_server_serves_the_same_context(
    server: dict[str, Any], tmp_path: Path
) -> None:
    # benchmarks/chart.py also measures sekmet under `uvicorn --workers N`, each worker reading the
    # WAL database through its own connection: its answers must be the single-process server's
    multi = SekmetServer(tmp_path / "workers", workers=2)
    try:
        multi.load(server["small"])
        expected = FHIRBundleChart(server["small"], now=NOW).get_context("999")
        with FHIRChart(multi.base_url, auth=_static(), now=NOW) as chart:
            for _ in range(3):  # nine connections per context, spread over the workers by accept()
                assert chart.get_context("999") == expected
        async with AsyncFHIRChart(multi.base_url, auth=_static(), now=NOW) as achart:
            assert await achart.get_context("999") == expected
    finally:
        multi.stop()
