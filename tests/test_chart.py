"""InMemoryChart and FHIRBundleChart: FHIR count semantics, flags, references, errors."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from replydraft.chart import AsyncChartSource, ChartSource, FHIRBundleChart, InMemoryChart
from replydraft.errors import ChartDataError, PatientNotFoundError
from replydraft.models import ChartContext, PatientDemographics

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
BUNDLES = sorted(FIXTURES.glob("*.json"))
NOW = datetime(2021, 6, 1, tzinfo=timezone.utc)


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def _code(concept: dict[str, Any] | None) -> str | None:
    return (concept or {}).get("coding", [{}])[0].get("code")


# --------------------------------------------------------------------------- counts (FHIR semantics)


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.name[:30])
def test_counts_follow_fhir_semantics(path: Path) -> None:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    chart = FHIRBundleChart(path, now=NOW)
    (pid,) = chart.patient_ids
    ctx = chart.get_context(pid)
    # an independent reading of the raw JSON: what the acceptance checks compare against
    meds = [r for r in _resources(bundle, "MedicationRequest") if r.get("status") == "active"]
    allergies = [
        r
        for r in _resources(bundle, "AllergyIntolerance")
        if _code(r.get("verificationStatus")) != "entered-in-error"
    ]
    problems = [
        r
        for r in _resources(bundle, "Condition")
        if _code(r.get("clinicalStatus")) in {"active", "recurrence", "relapse"}
    ]
    assert "chart_invalid_resource" not in [f.code for f in ctx.flags]  # these samples all validate
    assert len(ctx.medications) == len(meds)
    assert len(ctx.allergies) == len(allergies)
    assert len(ctx.problems) == len(problems)
    assert {m.citation_id for m in ctx.medications} == {f"MedicationRequest/{r['id']}" for r in meds}
    ids = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    facts = [*ctx.medications, *ctx.allergies, *ctx.problems, *ctx.observations, *ctx.encounters]
    assert all(f.citation_id in ids for f in facts)


def test_allergy_and_condition_statuses() -> None:
    bundle = _load("inferno_pdex_bundle_patient_999.json")
    allergy = _resources(bundle, "AllergyIntolerance")[0]
    condition = _resources(bundle, "Condition")[0]
    extra = []
    for i, (v_status, c_status) in enumerate([("entered-in-error", "active"), ("refuted", "inactive")]):
        a = copy.deepcopy(allergy) | {"id": f"a{i}"}
        a["verificationStatus"]["coding"][0]["code"] = v_status
        a["clinicalStatus"]["coding"][0]["code"] = c_status
        extra.append(a)
    for status in ("recurrence", "relapse", "resolved", "remission", "inactive"):
        c = copy.deepcopy(condition) | {"id": f"c-{status}"}
        c["clinicalStatus"]["coding"][0]["code"] = status
        extra.append(c)
    bundle["entry"] += [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in extra]
    ctx = FHIRBundleChart(bundle, now=NOW).get_context("999")
    assert sorted(a.citation_id for a in ctx.allergies) == [
        "AllergyIntolerance/a1",
        "AllergyIntolerance/pdex-AllergyIntolerance",
    ]
    assert sorted(p.clinical_status or "" for p in ctx.problems) == ["active", "recurrence", "relapse"]


def test_invalid_resource_is_skipped_and_counted() -> None:
    bundle = _load("inferno_pdex_bundle_patient_999.json")
    bad = copy.deepcopy(_resources(bundle, "MedicationRequest")[0]) | {"id": "bad-mr", "statuss": "active"}
    bundle["entry"].append({"fullUrl": "urn:uuid:bad-mr", "resource": bad})
    ctx = FHIRBundleChart(bundle, now=NOW).get_context("999")
    assert [m.citation_id for m in ctx.medications] == ["MedicationRequest/pdex-MedicationRequest"]
    (flag,) = ctx.flags
    assert (flag.code, flag.count) == ("chart_invalid_resource", 1)


def test_deceased_patient_is_flagged_and_keeps_active_meds() -> None:
    ctx = FHIRBundleChart(FIXTURES / "inferno_uscore_bundle_patient_85.json", now=NOW).get_context("85")
    assert ctx.patient.deceased
    assert "patient_deceased" in [f.code for f in ctx.flags]
    assert len(ctx.medications) == 2


def test_medication_reference_and_dispense_are_resolved() -> None:
    ctx = FHIRBundleChart(FIXTURES / "inferno_uscore_bundle_patient_85.json", now=NOW).get_context("85")
    by_name = {m.name: m for m in ctx.medications}
    injection = by_name["10 ML Furosemide 10 MG/ML Injection"]  # only reachable via medicationReference
    assert injection.prescriber and injection.prescriber.startswith("Dr. ")
    assert all(m.last_fill is not None for m in ctx.medications)  # from MedicationDispense


def test_contained_medication_is_resolved() -> None:
    bundle = _load("inferno_pdex_bundle_patient_999.json")
    mr = _resources(bundle, "MedicationRequest")[0]
    mr.pop("medicationCodeableConcept", None)
    mr["medicationReference"] = {"reference": "#med1"}
    mr["contained"] = [
        {"resourceType": "Medication", "id": "med1", "code": {"text": "Warfarin 5 MG Oral Tablet"}}
    ]
    ctx = FHIRBundleChart(bundle, now=NOW).get_context("999")
    assert [m.name for m in ctx.medications] == ["Warfarin 5 MG Oral Tablet"]


def test_patient_identifiers_feed_the_deidentifier() -> None:
    bundle = _load("inferno_pdex_bundle_patient_999.json")
    patient = _resources(bundle, "Patient")[0]
    patient["telecom"] = [
        {"system": "phone", "value": "555-0100"},
        {"system": "email", "value": "p@example.org"},
    ]
    patient["address"] = [
        {"line": ["1 Test Way"], "city": "Springfield", "state": "MA", "postalCode": "01000"}
    ]
    patient["identifier"].append({"type": {"coding": [{"code": "MR"}]}, "value": "MRN-42"})
    patient["contact"] = [{"name": {"given": ["Robin"], "family": "Proxy"}}]
    demo = FHIRBundleChart(bundle, now=NOW).get_context("999").patient
    assert demo.names == ("Patty408 Dexter882",)
    assert demo.birth_date is not None and demo.birth_date.isoformat() == "1980-01-15"
    assert demo.phones == ("555-0100",)
    assert demo.emails == ("p@example.org",)
    assert demo.addresses == ("1 Test Way, Springfield, MA, 01000",)
    assert demo.mrn == "MRN-42"
    assert demo.contacts == ("Robin Proxy",)
    assert "Patty408" not in repr(demo)


def test_upcoming_appointments_depend_on_now_only() -> None:
    bundle = _load("inferno_pdex_bundle_patient_999.json")
    for aid, days, status in [
        ("soon", 2, "booked"),
        ("later", 30, "booked"),
        ("past", -2, "booked"),
        ("gone", 5, "cancelled"),
    ]:
        bundle["entry"].append(
            {
                "fullUrl": f"urn:uuid:{aid}",
                "resource": {
                    "resourceType": "Appointment",
                    "id": aid,
                    "status": status,
                    "start": (NOW + timedelta(days=days)).isoformat(),
                    "end": (NOW + timedelta(days=days, hours=1)).isoformat(),
                    "participant": [{"actor": {"reference": "Patient/999"}, "status": "accepted"}],
                },
            }
        )
    ctx = FHIRBundleChart(bundle, now=NOW).get_context("999")
    assert [a.citation_id for a in ctx.appointments] == ["Appointment/soon", "Appointment/later"]
    later = FHIRBundleChart(bundle, now=lambda: NOW + timedelta(days=10)).get_context("999")
    assert [a.citation_id for a in later.appointments] == ["Appointment/later"]
    # nothing else is filtered by time: the 1999 BMI is still there
    assert len(later.observations) == len(ctx.observations) == 1


def test_observations_newest_first_and_capped() -> None:
    path = FIXTURES / "synthea_Luis_Miguel_Delarosa_f118c1b4-27e0-4de5-bc04-b51e14ea5bbd.json"
    full = FHIRBundleChart(path, now=NOW)
    ctx = full.get_context(full.patient_ids[0])
    dates = [o.effective for o in ctx.labs]
    assert dates == sorted(dates, key=lambda d: d or NOW, reverse=True)
    capped = FHIRBundleChart(path, now=NOW, max_observations=5, max_encounters=2)
    small = capped.get_context(capped.patient_ids[0])
    assert len(small.labs) == 5 and len(small.vitals) == 5 and len(small.encounters) == 2
    assert small.labs == ctx.labs[:5]


def test_directory_of_bundles_skips_other_json(tmp_path: Path) -> None:
    for name in (
        "inferno_pdex_bundle_patient_999.json",
        "synthea_Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json",
    ):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    (tmp_path / "provenance.json").write_text('{"files": []}', encoding="utf-8")
    chart = FHIRBundleChart(tmp_path, now=NOW)
    assert set(chart.patient_ids) == {"999", "d78af07c-9cb9-4f31-9b11-c45a28f2eec8"}
    clemente = chart.get_context("d78af07c-9cb9-4f31-9b11-c45a28f2eec8")
    assert clemente.medications == () and len(clemente.problems) == 1
    # resources of one patient never leak into another's context
    assert all("pdex" not in o.citation_id for o in clemente.observations)


def test_bundle_errors_are_typed_and_free_of_phi(tmp_path: Path) -> None:
    with pytest.raises(ChartDataError):
        FHIRBundleChart(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ChartDataError):
        FHIRBundleChart(tmp_path / "bad.json")
    with pytest.raises(ChartDataError):
        FHIRBundleChart({"resourceType": "Patient"})
    chart = FHIRBundleChart(FIXTURES / "inferno_pdex_bundle_patient_999.json")
    with pytest.raises(PatientNotFoundError):
        chart.get_context("nope")
    bundle = _load("inferno_pdex_bundle_patient_999.json")
    _resources(bundle, "Patient")[0]["birthDate"] = "Patty408 1980"
    with pytest.raises(ChartDataError) as info:
        FHIRBundleChart(bundle).get_context("999")
    assert "Patty408" not in str(info.value)
    assert info.value.__cause__ is None  # the validation error quotes the value: not chained


# --------------------------------------------------------------------------- InMemoryChart


def test_in_memory_chart_accepts_contexts_dicts_and_iterables() -> None:
    ctx = ChartContext(patient=PatientDemographics(id="p1"))
    as_dict = {"patient": {"id": "p2"}, "problems": [{"citation_id": "Condition/1", "name": "Asthma"}]}
    assert InMemoryChart({"p1": ctx}).get_context("p1") is ctx
    assert InMemoryChart({"p2": as_dict}).get_context("p2").problems[0].name == "Asthma"
    listed = InMemoryChart([ctx, as_dict])
    assert listed.patient_ids == ("p1", "p2")
    with pytest.raises(PatientNotFoundError):
        listed.get_context("p3")


def test_in_memory_chart_rejects_invalid_dicts_without_phi() -> None:
    with pytest.raises(ChartDataError) as info:
        InMemoryChart(
            {"p1": {"patient": {"id": "p1", "names": ["Alex Testperson"]}, "bogus": "Alex Testperson"}}
        )
    assert "Testperson" not in str(info.value)


def test_sources_satisfy_the_protocols() -> None:
    chart = InMemoryChart({})
    assert isinstance(chart, ChartSource)
    assert isinstance(FHIRBundleChart(FIXTURES / "inferno_pdex_bundle_patient_999.json"), ChartSource)
    assert chart.blocking_io is False

    class MyAsyncChart:
        async def get_context(self, patient_id: str) -> ChartContext:
            return ChartContext(patient=PatientDemographics(id=patient_id))

    assert isinstance(MyAsyncChart(), AsyncChartSource)
