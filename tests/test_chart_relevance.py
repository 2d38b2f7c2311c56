"""select_context: relevance per intent, priority order, token budget, relative dates, no patient PHI."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from replydraft.chart import FHIRBundleChart, estimate_tokens, select_context
from replydraft.chart.relevance import relative
from replydraft.models import (
    Allergy,
    Appointment,
    ChartContext,
    Encounter,
    Intent,
    Medication,
    Observation,
    PatientDemographics,
    Problem,
)

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=timezone.utc)
LARGE = (
    Path(__file__).parent
    / "fixtures"
    / "fhir"
    / "synthea_Luis_Miguel_Delarosa_f118c1b4-27e0-4de5-bc04-b51e14ea5bbd.json"
)


def lab(oid: str, name: str, code: str, value: str, days_ago: int, **kw: object) -> Observation:
    return Observation(
        citation_id=f"Observation/{oid}",
        name=name,
        category="laboratory",
        code=code,
        value=value,
        effective=NOW - timedelta(days=days_ago),
        **kw,  # type: ignore[arg-type]
    )


PATIENT = PatientDemographics(
    id="p1",
    names=("Alex Testperson",),
    given_names=("Alex",),
    family_names=("Testperson",),
    birth_date=date(1960, 7, 1),
    gender="female",
    phones=("555-0100",),
    addresses=("1 Test Way, Springfield, MA, 01000",),
    mrn="MRN-4242",
)
CTX = ChartContext(
    patient=PATIENT,
    medications=(
        Medication(
            citation_id="MedicationRequest/lis",
            name="Lisinopril 10 MG Oral Tablet",
            dosage="1 tablet daily",
            last_fill=NOW - timedelta(days=21),
            refills_remaining=0,
            prescriber="Dr. Jordan Example",
        ),
        Medication(citation_id="MedicationRequest/met", name="Metformin hydrochloride 500 MG Oral Tablet"),
        Medication(citation_id="MedicationRequest/ato", name="Atorvastatin 20 MG Oral Tablet"),
    ),
    allergies=(
        Allergy(
            citation_id="AllergyIntolerance/pen",
            substance="Penicillin",
            criticality="high",
            reactions=("hives",),
        ),
    ),
    problems=(
        Problem(citation_id="Condition/htn", name="Hypertension", clinical_status="active"),
        Problem(citation_id="Condition/dm", name="Type 2 diabetes", clinical_status="active"),
    ),
    observations=(
        lab(
            "k", "Potassium", "2823-3", "5.3 mmol/L", 21, reference_range="3.5-5.1 mmol/L", interpretation="H"
        ),
        lab("cr", "Creatinine", "2160-0", "1.1 mg/dL", 21),
        lab("ldl", "LDL Cholesterol", "18262-6", "131 mg/dL", 60),
        lab("a1c", "Hemoglobin A1c", "4548-4", "7.9 %", 90),
        lab("k-old", "Potassium", "2823-3", "4.1 mmol/L", 400),
        lab("tsh", "TSH", "3016-3", "2.1 mIU/L", 700),
    ),
    appointments=(
        Appointment(
            citation_id="Appointment/a1",
            start=NOW + timedelta(days=5),
            status="booked",
            description="Follow-up",
        ),
    ),
    encounters=(Encounter(citation_id="Encounter/e1", type="Office visit", start=NOW - timedelta(days=21)),),
)


def ids(text: str, intent: Intent, **kw: int) -> list[str]:
    return list(select_context(CTX, intent=intent, text=text, now=NOW, **kw).citation_ids)


# --------------------------------------------------------------------------- intents


@pytest.mark.parametrize(
    "text", ["Can I get a refill of my Zestril?", "need more lisinipril pls", "LISINOPRIL refill"]
)
def test_refill_matches_brand_generic_and_misspelt_names(text: str) -> None:
    picked = select_context(CTX, intent=Intent.REFILL, text=text, now=NOW)
    order = list(picked.citation_ids)
    assert order[:3] == ["Patient/p1", "AllergyIntolerance/pen", "MedicationRequest/lis"]
    # the ACE inhibitor's monitoring labs, newest value of each, come right after the drug
    assert order[3:5] == ["Observation/k", "Observation/cr"]
    assert "Observation/k-old" not in order
    assert order.index("MedicationRequest/met") > order.index("Observation/cr")
    med = picked.section("medications")[0].text
    assert "last filled 3 weeks ago" in med and "0 refills left" in med and "Dr. Jordan Example" in med


def test_refill_of_metformin_brings_a1c_and_statin_brings_lipids() -> None:
    order = ids("refill glucophage and lipitor please", Intent.REFILL)
    assert {"MedicationRequest/met", "MedicationRequest/ato", "Observation/a1c", "Observation/ldl"} <= set(
        order
    )
    assert "MedicationRequest/lis" in order  # other meds follow as secondary context


def test_refill_of_a_drug_not_on_the_list_is_reported() -> None:
    picked = select_context(CTX, intent=Intent.REFILL, text="please refill my warfarin", now=NOW)
    assert picked.unmatched_drugs == ("warfarin",)
    # nothing matched: every active medication is shown
    assert {f.citation_id for f in picked.section("medications")} == {m.citation_id for m in CTX.medications}


def test_results_picks_the_labs_asked_about() -> None:
    picked = select_context(CTX, intent=Intent.RESULTS, text="what was my potasium level?", now=NOW)
    labs = picked.section("labs")
    # the latest value, then the one before it: the trend is part of the answer
    assert [f.citation_id for f in labs] == ["Observation/k", "Observation/k-old"]
    assert labs[0].text == "Potassium 5.3 mmol/L (H; ref 3.5-5.1 mmol/L), 3 weeks ago"
    assert labs[1].text == "Potassium 4.1 mmol/L, 13 months ago"
    assert picked.missing_labs == ()
    kidney = ids("are my kidney tests ok", Intent.RESULTS)
    assert "Observation/cr" in kidney and "Observation/k" not in kidney


def test_missing_monitoring_and_asked_labs_are_reported() -> None:
    warfarin = Medication(citation_id="MedicationRequest/war", name="Warfarin Sodium 5 MG Oral Tablet")
    ctx = CTX.model_copy(update={"medications": (*CTX.medications, warfarin)})
    refill = select_context(ctx, intent=Intent.REFILL, text="coumadin refill please", now=NOW)
    assert refill.citation_ids[2] == "MedicationRequest/war"
    assert refill.missing_labs == ("inr",)
    results = select_context(CTX, intent=Intent.RESULTS, text="how was my thyroid and my psa?", now=NOW)
    assert [f.citation_id for f in results.section("labs")] == ["Observation/tsh"]
    assert results.missing_labs == ("psa",)


def test_results_without_a_named_test_gives_the_latest_draw() -> None:
    labs = [
        f.citation_id
        for f in select_context(CTX, intent=Intent.RESULTS, text="any news?", now=NOW).facts
        if f.section == "labs"
    ]
    assert labs == ["Observation/k", "Observation/cr"]  # the same day; abnormal first


def test_symptom_brings_problems_meds_and_recent_encounters() -> None:
    order = ids("I have been dizzy since yesterday", Intent.SYMPTOM)
    assert {"Condition/htn", "Condition/dm", "MedicationRequest/lis", "Encounter/e1"} <= set(order)
    assert order.index("Condition/htn") < order.index("Encounter/e1")


def test_scheduling_brings_upcoming_appointments_relative_to_now() -> None:
    picked = select_context(CTX, intent=Intent.SCHEDULING, text="can I move my appointment", now=NOW)
    (appt,) = picked.section("appointments")
    assert appt.text == "Follow-up, in 5 days"


@pytest.mark.parametrize("intent", list(Intent))
def test_allergies_are_always_included(intent: Intent) -> None:
    assert "AllergyIntolerance/pen" in ids("hello", intent)


def test_no_allergies_is_stated_on_the_patient_line() -> None:
    ctx = CTX.model_copy(update={"allergies": ()})
    picked = select_context(ctx, intent=Intent.REFILL, text="refill", now=NOW)
    assert picked.facts[0].text == "63-year-old female; no allergies recorded"


# --------------------------------------------------------------------------- PHI and dates


@pytest.mark.parametrize("intent", list(Intent))
def test_facts_never_carry_the_patients_identifiers(intent: Intent) -> None:
    text = "\n".join(
        select_context(CTX, intent=intent, text="refill lisinopril, labs?", now=NOW).as_prompt_lines()
    )
    for identifier in ("Alex", "Testperson", "1960", "555-0100", "Test Way", "MRN-4242", "2024", "2023"):
        assert identifier not in text


def test_ages_over_89_are_aggregated() -> None:
    old = CTX.model_copy(update={"patient": PATIENT.model_copy(update={"birth_date": date(1925, 1, 1)})})
    assert select_context(old, intent=Intent.OTHER, text="", now=NOW).facts[0].text.startswith("90+-year-old")


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), "today"),
        (timedelta(days=-1), "yesterday"),
        (timedelta(days=1), "tomorrow"),
        (timedelta(days=-5), "5 days ago"),
        (timedelta(days=5), "in 5 days"),
        (timedelta(days=-21), "3 weeks ago"),
        (timedelta(days=-200), "6 months ago"),
        (timedelta(days=-800), "2 years ago"),
    ],
)
def test_relative_dates(delta: timedelta, expected: str) -> None:
    assert relative(NOW + delta, NOW) == expected


# --------------------------------------------------------------------------- budget


def test_budget_drops_the_lowest_priority_tail() -> None:
    full = select_context(CTX, intent=Intent.REFILL, text="refill lisinopril", now=NOW, token_budget=10_000)
    assert full.dropped == ()
    budget = full.token_estimate // 2
    cut = select_context(CTX, intent=Intent.REFILL, text="refill lisinopril", now=NOW, token_budget=budget)
    assert cut.token_estimate <= budget
    assert cut.citation_ids + cut.dropped == full.citation_ids  # a prefix kept, the rest recorded
    assert cut.dropped and cut.citation_ids[:3] == full.citation_ids[:3]


def test_token_estimate_counts_the_prompt_lines() -> None:
    picked = select_context(CTX, intent=Intent.SYMPTOM, text="dizzy", now=NOW)
    assert picked.token_estimate == sum(estimate_tokens(line) + 1 for line in picked.as_prompt_lines())


def test_estimate_is_pessimistic_on_ids_and_numbers() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("Potassium") == 3
    assert estimate_tokens("5.3") == 3
    uuid = "Observation/04e87e21-8184-43fe-9243-fe36558b1ba3"
    assert estimate_tokens(uuid) > len(uuid) / 2


def test_large_real_chart_fits_the_default_budget_with_the_asked_facts() -> None:
    chart = FHIRBundleChart(LARGE)
    ctx = chart.get_context(chart.patient_ids[0])
    now = max(o.effective for o in ctx.observations if o.effective) + timedelta(days=10)
    for intent, text in [
        (Intent.REFILL, "refill my hydrochlorothiazide"),
        (Intent.RESULTS, "what was my cholesterol"),
        (Intent.SYMPTOM, "short of breath"),
    ]:
        picked = select_context(ctx, intent=intent, text=text, now=now)
        assert picked.token_estimate <= 1500
        assert picked.facts[0].section == "patient"
        sections = {f.section for f in picked.facts}
        assert {"refill": "medications", "results": "labs", "symptom": "problems"}[intent.value] in sections


def test_each_fact_is_one_line() -> None:
    med = Medication(
        citation_id="MedicationRequest/x", name="Aspirin 81 MG", dosage="1 tablet\ndaily\twith food"
    )
    ctx = CTX.model_copy(update={"medications": (med,)})
    picked = select_context(ctx, intent=Intent.REFILL, text="aspirin refill", now=NOW)
    assert "Aspirin 81 MG; 1 tablet daily with food" in [f.text for f in picked.facts]
    assert all("\n" not in line for line in picked.as_prompt_lines())


def test_selection_is_pure() -> None:
    a = select_context(CTX, intent=Intent.REFILL, text="refill lisinopril", now=NOW)
    b = select_context(CTX, intent=Intent.REFILL, text="refill lisinopril", now=NOW)
    assert a == b
