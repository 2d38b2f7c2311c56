"""De-identification: contract, vault, round-trip, allow-list and hard cases (all data synthetic)."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replydraft.deid import Deidentifier, DeidResult, DeidSpan, KnownIdentifiers, PlaceholderVault
from replydraft.errors import DeidentificationError, InvalidMessageError


@pytest.fixture(scope="module")
def d() -> Deidentifier:
    deid = Deidentifier()
    deid.warm_up()
    return deid


def redacted(r: DeidResult, original: str) -> list[str]:
    return [original[s.start : s.end] for s in r.spans]


def leaks(r: DeidResult, *values: str) -> list[str]:
    return [v for v in values if v.casefold() in r.text.casefold()]


# ----------------------------------------------------------------------------------- contract


def test_contract_shape(d: Deidentifier) -> None:
    text = "Hi, this is Maria Lopez, MRN 7975432. Call me at 608-555-0118."
    r = d.deidentify(text, known=KnownIdentifiers(names=["Maria Lopez"], mrn="7975432"))
    assert isinstance(r, DeidResult)
    assert all(isinstance(s, DeidSpan) for s in r.spans)
    assert leaks(r, "Maria", "Lopez", "7975432", "608-555-0118") == []
    for s in r.spans:
        assert 0 <= s.start < s.end <= len(text)
        assert s.placeholder in r.text
        assert s.placeholder in r.vault.placeholders
    assert r.reidentify(r.text) == text
    assert r.vault.reidentify(r.text) == text


def test_known_is_optional_and_vault_is_created(d: Deidentifier) -> None:
    r = d.deidentify("Please call 608-555-0118")
    assert isinstance(r.vault, PlaceholderVault)
    assert r.text == "Please call [PHONE_1]"


def test_import_does_not_import_presidio() -> None:
    code = "import sys, replydraft.deid; print('presidio_analyzer' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_non_text_is_rejected(d: Deidentifier) -> None:
    with pytest.raises(InvalidMessageError):
        d.deidentify(b"bytes")  # type: ignore[arg-type]


def test_empty_text(d: Deidentifier) -> None:
    r = d.deidentify("")
    assert r.text == "" and r.spans == ()


# ----------------------------------------------------------------------------------- placeholders


def test_patient_name_is_distinguishable_and_consistent_across_calls(d: Deidentifier) -> None:
    known = KnownIdentifiers(names=["Maria Lopez"], providers=["Alan Smith"])
    vault = PlaceholderVault()
    r1 = d.deidentify("Hi Dr. Smith, this is Maria. My son Tomasz has a fever.", known=known, vault=vault)
    r2 = d.deidentify(
        "Lisinopril 20 mg tablet; prescribed by Dr. Alan Smith; last filled 3 weeks ago",
        known=known,
        vault=vault,
    )
    assert "[PATIENT_NAME_1]" in r1.text
    assert "[NAME_1]" in r1.text  # the son
    assert "[PROVIDER_" in r1.text and "[PROVIDER_" in r2.text
    assert "Lisinopril" in r2.text
    # same value, same placeholder
    r3 = d.deidentify("Maria again", known=known, vault=vault)
    assert r3.text.startswith("[PATIENT_NAME_1]")


def test_patient_name_placeholder_registers_when_text_never_named_the_patient() -> None:
    vault = PlaceholderVault()
    known = KnownIdentifiers(names=["Maria Lopez"])
    ph = vault.patient_name_placeholder(known)
    assert ph == "[PATIENT_NAME_1]"
    assert vault.reidentify(f"Dear {ph},") == "Dear Maria,"
    assert vault.patient_name_placeholder(known) == ph
    assert PlaceholderVault().patient_name_placeholder(KnownIdentifiers()) is None


def test_unknown_placeholders_are_left_visible(d: Deidentifier) -> None:
    r = d.deidentify("This is Maria Lopez", known=KnownIdentifiers(names=["Maria Lopez"]))
    draft = "Hi [PATIENT_NAME_1], [NAME_7] will call you on [DATE_3]."
    assert r.vault.unknown_placeholders(draft) == ["[NAME_7]", "[DATE_3]"]
    out = r.reidentify(draft)
    assert "[NAME_7]" in out and "[DATE_3]" in out
    assert "Maria" in out


def test_placeholder_shaped_text_in_the_message_round_trips(d: Deidentifier) -> None:
    text = "I typed [NAME_1] and [PATIENT_NAME_1] by mistake. Signed, Rosa Delgado"
    r = d.deidentify(text)
    assert "Rosa" not in r.text
    assert r.reidentify(r.text) == text
    # the typed text is escaped: it cannot be mistaken for (or restored as) a real placeholder
    literal = [s for s in r.spans if s.entity_type == "LITERAL"]
    assert [text[s.start : s.end] for s in literal] == ["[NAME_1]", "[PATIENT_NAME_1]"]
    assert all(s.placeholder.startswith("[TEXT_") for s in literal)
    assert "[PATIENT_NAME_1]" not in r.text
    real = [s for s in r.spans if s.entity_type == "NAME"]
    assert real and r.reidentify(real[0].placeholder) == "Rosa Delgado"


# ----------------------------------------------------------------------------------- the vault never leaks


def test_vault_is_never_serialised(d: Deidentifier) -> None:
    r = d.deidentify("Call Rosa Delgado at 608-555-0118", known=KnownIdentifiers(names=["Rosa Delgado"]))
    for shown in (repr(r.vault), str(r.vault), repr(r)):
        assert "Rosa" not in shown and "0118" not in shown
    with pytest.raises(DeidentificationError):
        pickle.dumps(r.vault)
    with pytest.raises(DeidentificationError):
        pickle.dumps(r)
    with pytest.raises(DeidentificationError):
        copy.deepcopy(r.vault)
    with pytest.raises(TypeError):
        json.dumps(r.vault)
    with pytest.raises((DeidentificationError, pydantic.PydanticSchemaGenerationError)):

        class Holder(pydantic.BaseModel):
            model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
            vault: PlaceholderVault

        Holder(vault=r.vault).model_dump_json()


def test_known_identifiers_repr_has_no_values() -> None:
    k = KnownIdentifiers(names=["Maria Lopez"], dob="1958-02-14", mrn="7975432", phones=["608-555-0118"])
    assert "Maria" not in repr(k) and "7975432" not in repr(k) and "1958" not in repr(k)
    assert "names=1" in repr(k)


def test_nothing_is_logged_with_phi(d: Deidentifier, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    d.deidentify("This is Rosa Delgado, 608-555-0118", known=KnownIdentifiers(names=["Rosa Delgado"]))
    assert "Rosa" not in caplog.text and "0118" not in caplog.text


# ----------------------------------------------------------------------------------- round trip (property)

_first = st.sampled_from(
    ["Maria", "Somchai", "Oluwaseun", "Rose", "Will", "Hope", "José", "Anne-Marie", "Nguyen"]
)
_last = st.sampled_from(["Lopez", "Al-Sayed", "O'Brien", "Kimura-Fields", "Day", "Smith", "Petrakis"])
_phi = st.one_of(
    st.builds(lambda f, la: f"{f} {la}", _first, _last),
    st.from_regex(r"\(6\d\d\) 555-01\d\d", fullmatch=True),
    st.from_regex(r"[1-9]\d{6}", fullmatch=True),
    st.from_regex(r"(1[0-2]|[1-9])/([12]\d|[1-9])/(19|20)\d\d", fullmatch=True),
    st.from_regex(r"[a-z]{3,8}@example\.com", fullmatch=True),
    st.just("[NAME_1]"),
    st.just("[PATIENT_NAME_2]"),
)
_filler = st.sampled_from(
    ["Hi, ", "my son ", " call ", "\nThanks,\n", " born ", " MRN ", ". ", " and ", "dr "]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(_phi, _filler, st.text(max_size=12)), max_size=10))
def test_round_trip_property(d: Deidentifier, parts: list[str]) -> None:
    text = "".join(parts)
    r = d.deidentify(text, known=KnownIdentifiers(names=["Maria Lopez"], mrn="7975432"))
    assert r.reidentify(r.text) == text
    # spans are ordered, disjoint and inside the text
    last = 0
    for s in r.spans:
        assert last <= s.start < s.end <= len(text)
        last = s.end


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(_phi, _filler), min_size=1, max_size=6))
def test_shared_vault_round_trips_every_part(d: Deidentifier, parts: list[str]) -> None:
    vault = PlaceholderVault()
    results = [d.deidentify(p, vault=vault) for p in parts]
    for p, r in zip(parts, results, strict=True):
        assert vault.reidentify(r.text) == p


# ----------------------------------------------------------------------------------- allow-list


@pytest.mark.parametrize(
    "text, kept",
    [
        ("My Parkinson's is worse since the Sinemet switch.", ["Parkinson", "Sinemet"]),
        ("Is Eliquis safe with my Crohn's? I also take Jardiance.", ["Eliquis", "Crohn", "Jardiance"]),
        ("I think I have Bell's palsy again, like last year.", ["Bell"]),
        ("Dr. Graves said my Graves' disease is stable on methimazole.", ["Graves' disease", "methimazole"]),
        ("Does Tylenol interact with Ozempic or Metformin?", ["Tylenol", "Ozempic", "Metformin"]),
    ],
)
def test_drug_names_and_eponyms_are_never_redacted(d: Deidentifier, text: str, kept: list[str]) -> None:
    r = d.deidentify(text)
    for k in kept:
        assert k in r.text, (k, r.text)


# ----------------------------------------------------------------------------------- structured PHI


@pytest.mark.parametrize(
    "text, value",
    [
        ("my dob is march fifth 1961", "march fifth 1961"),
        ("Appointment on Sept 9th, ok?", "Sept 9th"),
        ("seen on 2025-03-09 at the ER", "2025-03-09"),
        ("back from the 3rd", "3rd"),
        ("since Christmas Day I have had a cough", "Christmas Day"),
        ("My mom is 94 years old", "94"),
        ("she turned ninety-six last week", "ninety-six"),
        ("call (608) 555-0118 ext. 204", "(608) 555-0118 ext. 204"),
        ("the nurse line is x4410", "x4410"),
        ("email me at rosa.d at example dot com", "rosa.d at example dot com"),
        ("portal link https://example.org/p/abc?id=7 broke", "https://example.org/p/abc?id=7"),
        ("my login came from 203.0.113.45", "203.0.113.45"),
        ("SSN 123-45-6789", "123-45-6789"),
        ("last 4 of my social are 6789", "6789"),
        ("member ID XJH482019377 on the card", "XJH482019377"),
        ("my Rx #7730215 is ready", "7730215"),
        ("pump serial number SN-88213A", "SN-88213A"),
        ("plate 7ABC123 was towed", "7ABC123"),
        ("I live at 4412 N Maple Ridge Rd Apt 3B now", "4412 N Maple Ridge Rd Apt 3B"),
        ("send it to PO Box 1182", "PO Box 1182"),
        ("Madison, WI 53703", "53703"),
    ],
)
def test_structured_phi(d: Deidentifier, text: str, value: str) -> None:
    r = d.deidentify(text)
    assert value not in r.text, r.text
    assert r.reidentify(r.text) == text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("I have been sick for 3 days and 2 weeks ago it started", ["3 days", "2 weeks ago"]),
        ("Take 1/2 tablet on Monday morning", ["1/2 tablet", "Monday morning"]),
        ("My BP was 128/84 and my A1C 7.9", ["128/84", "A1C 7.9"]),
        ("I am 45 years old", ["45 years"]),
        ("I will take 20 mg daily", ["20 mg"]),
    ],
)
def test_not_phi_is_kept(d: Deidentifier, text: str, kept: list[str]) -> None:
    r = d.deidentify(text)
    for k in kept:
        assert k in r.text, (k, r.text)


# ----------------------------------------------------------------------------------- chart-aware matching


def test_chart_identifiers_are_caught_however_written(d: Deidentifier) -> None:
    known = KnownIdentifiers(
        names=["Lucía Fernández Ortiz"],
        dob=date(1971, 5, 30),
        mrn="00388104",
        phones=["(608) 555-0166"],
        emails=["lucia.f@example.com"],
        addresses=["12 Birch Hollow Ln, Verona, WI 53593"],
        nicknames=["Lucy"],
    )
    text = (
        "hi its lucia fernandez (lucy), mrn 388104, born May 30 1971. "
        "cell 608.555.0166, email LUCIA.F@EXAMPLE.COM, I live at 12 birch hollow ln in verona"
    )
    r = d.deidentify(text, known=known)
    assert (
        leaks(
            r,
            "lucia",
            "fernandez",
            "lucy",
            "388104",
            "May 30 1971",
            "555.0166",
            "example.com",
            "birch hollow",
            "verona",
        )
        == []
    )


def test_chart_name_typos_are_caught(d: Deidentifier) -> None:
    known = KnownIdentifiers(names=["Mohammed Al-Sayed"])
    r = d.deidentify("this is mohamed al sayed asking about my refill", known=known)
    assert leaks(r, "mohamed", "sayed") == []


def test_word_names_from_the_chart_need_context(d: Deidentifier) -> None:
    known = KnownIdentifiers(names=["Hope Day"])
    r = d.deidentify("I hope the pills twice a day are ok.\nThanks, Hope Day", known=known)
    assert "I hope the pills twice a day" in r.text
    assert leaks(r, "Hope Day") == []


def test_from_chart_uses_demographics_and_clinicians() -> None:
    from replydraft.models import Appointment, ChartContext, Medication, PatientDemographics

    ctx = ChartContext(
        patient=PatientDemographics(
            id="p1",
            names=("Maria Lopez",),
            given_names=("Maria",),
            family_names=("Lopez",),
            birth_date=date(1958, 2, 14),
            phones=("608-555-0118",),
            mrn="7975432",
            identifiers=("XJH482019377",),
            contacts=("Tomasz Lopez",),
            emails=("m@example.com",),
            addresses=("1 Elm St, Madison, WI 53703",),
        ),
        medications=(
            Medication(citation_id="MedicationRequest/1", name="Lisinopril", prescriber="Alan Smith"),
        ),
        appointments=(Appointment(citation_id="Appointment/1", practitioner="Dr. Priya Raman"),),
    )
    k = KnownIdentifiers.from_chart(ctx)
    assert k.names == ("Maria Lopez",) and k.mrn == "7975432" and k.dob_date == date(1958, 2, 14)
    assert k.member_ids == ("XJH482019377",) and k.contacts == ("Tomasz Lopez",)
    assert set(k.providers) == {"Alan Smith", "Dr. Priya Raman"}
    assert k.preferred_given_name == "Maria"


def test_redact_providers_option() -> None:
    text = "Dr. Okafor said to message Nurse Janelle. This is Rosa Delgado."
    on = Deidentifier().deidentify(text)
    off = Deidentifier(redact_providers=False).deidentify(text)
    assert "Okafor" not in on.text and "Janelle" not in on.text
    assert "Okafor" in off.text and "Janelle" in off.text
    assert "Rosa" not in off.text
    assert {s.entity_type for s in on.spans} >= {"PROVIDER", "NAME"}


def test_spacy_model_is_optional_and_a_missing_one_is_a_configuration_error() -> None:
    from replydraft.errors import ConfigurationError

    d = Deidentifier(spacy_model="no_such_model_xyz")
    with pytest.raises(ConfigurationError):
        d.deidentify("hello")


# ------------------------------------------------------------------------- chart lines keep their meaning


@pytest.mark.parametrize(
    "line",
    [
        "Lisinopril 20 mg tablet, once daily; last filled 3 weeks ago",
        "Potassium 5.3 mmol/L (H), 2 weeks ago",
        "Hemoglobin A1c/Hemoglobin.total in Blood 7.9 %, 2 weeks ago",
        "Estimated Glomerular Filtration Rate 58 mL/min/1.73m2, 1 month ago",
        "Platelets [#/volume] in Blood by Automated count 250 10*3/uL, 3 weeks ago",
        "Prediabetes",
        "Body Weight 82 kg, 5 days ago",
        "Otitis media, 3 weeks ago",
        "Colonoscopy, 2 years ago",
        "Allergy: Penicillin (hives), high criticality",
        "Type 2 diabetes mellitus",
        "Essential hypertension (disorder)",
        "Plain X-ray of chest (procedure), 4 months ago",
        "Appointment in 5 days: Annual physical",
    ],
)
def test_chart_fact_lines_are_not_over_redacted(d: Deidentifier, line: str) -> None:
    assert d.deidentify(line).text == line


def test_chart_fact_line_clinician_is_a_provider(d: Deidentifier) -> None:
    r = d.deidentify(
        "Lisinopril 20 mg tablet, once daily; prescribed by Dr. Alan Smith; last filled 3 weeks ago"
    )
    assert (
        r.text
        == "Lisinopril 20 mg tablet, once daily; prescribed by Dr. [PROVIDER_1]; last filled 3 weeks ago"
    )


def test_known_identifiers_replace_adds_a_sender() -> None:
    k = KnownIdentifiers(names=["Maria Lopez"], mrn="7975432")
    k2 = k.replace(contacts=[*k.contacts, "Tomasz Lopez"])
    assert k2.contacts == ("Tomasz Lopez",) and k2.names == k.names and k2.mrn == "7975432"
    assert k.model_copy(update={"nicknames": ["Mari"]}).nicknames == ("Mari",)
    with pytest.raises(TypeError):
        k.replace(bogus=1)


def test_one_deidentifier_is_safe_across_threads(d: Deidentifier) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        f"Hi Dr. Okafor, this is Rosa Delgado, call 608-555-01{i:02d}. MRN 79754{i:02d}" for i in range(40)
    ]
    expected = [d.deidentify(t).text for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: d.deidentify(t).text, texts))
    assert got == expected
    assert all("Rosa" not in g for g in got)


def test_lazy_construction_is_cheap_and_thread_safe() -> None:
    from concurrent.futures import ThreadPoolExecutor

    fresh = Deidentifier()
    with ThreadPoolExecutor(max_workers=4) as pool:
        out = list(pool.map(lambda _: fresh.deidentify("call 608-555-0118").text, range(4)))
    assert out == ["call [PHONE_1]"] * 4


def test_optional_spacy_model_adds_its_entities(tmp_path: Path) -> None:
    """A user-installed spaCy pipeline (here a blank one with an entity ruler: no download) is used."""
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "qwertina"}]}])
    nlp.to_disk(tmp_path / "model")
    text = "qwertina called me yesterday about it"
    assert "qwertina" in Deidentifier().deidentify(text).text  # the rules alone do not know this word
    r = Deidentifier(spacy_model=str(tmp_path / "model")).deidentify(text)
    assert r.text == "[NAME_1] called me yesterday about it"
    assert r.reidentify(r.text) == text


def test_presidio_is_quiet_and_offline(d: Deidentifier) -> None:
    """No stream handler left on Presidio's decision logger; e-mails validate without the network."""
    handlers = logging.getLogger("decision_process").handlers
    assert not any(type(h) is logging.StreamHandler for h in handlers)
    # the suite's autouse guard fails any non-loopback connection: tldextract must use its bundled list
    r = d.deidentify("write to rosa.delgado@example.co.uk please")
    assert "example.co.uk" not in r.text
