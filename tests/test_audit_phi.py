"""No PHI in the audit trail or the logs: messages full of identifiers go through the whole pipeline
(draft, escalation, failure, sign, discard) with a JSONL audit sink and every log record captured at
DEBUG; then the audit file and the log text are searched for every identifier value."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

import pytest

from replydraft.audit import JSONLAuditSink, hash_patient_id
from replydraft.chart import InMemoryChart
from replydraft.drafter import Drafter
from replydraft.errors import LLMTimeoutError
from replydraft.models import (
    ChartContext,
    Medication,
    Observation,
    PatientDemographics,
    PortalMessage,
)
from replydraft.testing import FakeLLM, reply_json

SALT = b"phi-test-salt-0123456789abcdef"
PATIENT_ID = "pt-7781-Zyx"

IDENTIFIERS = {
    "patient_id": PATIENT_ID,
    "first": "Rosalind",
    "last": "Quenneville",
    "nickname": "Roz",
    "dob_iso": "1951-07-19",
    "dob_us": "07/19/1951",
    "phone": "608-555-0118",
    "phone_digits": "6085550118",
    "email": "roz.quenneville@example.org",
    "street": "4417 Larkspur Hollow Rd",
    "city": "Sheboygan Falls",
    "zip": "53085",
    "mrn": "MRN48213377",
    "ssn": "412-55-9087",
    "member_id": "XQJ552190044",
    "proxy": "Thaddeus Quenneville",
}


def _chart() -> InMemoryChart:
    i = IDENTIFIERS
    patient = PatientDemographics(
        id=PATIENT_ID,
        names=(f"{i['first']} {i['last']}",),
        given_names=(i["first"], i["nickname"]),
        family_names=(i["last"],),
        birth_date=date(1951, 7, 19),
        phones=(i["phone"],),
        emails=(i["email"],),
        addresses=(f"{i['street']}, {i['city']}, WI {i['zip']}",),
        mrn=i["mrn"],
        identifiers=(i["ssn"], i["member_id"]),
        contacts=(i["proxy"],),
    )
    return InMemoryChart(
        [
            ChartContext(
                patient=patient,
                medications=(Medication(citation_id="MedicationRequest/m1", name="lisinopril 10 MG Tablet"),),
                observations=(
                    Observation(
                        citation_id="Observation/o1",
                        name="Potassium",
                        category="laboratory",
                        value="4.1 mmol/L",
                    ),
                ),
            )
        ]
    )


def _messages() -> list[PortalMessage]:
    i = IDENTIFIERS
    return [
        PortalMessage(
            id="phi-1",
            patient_id=PATIENT_ID,
            text=(
                f"Hi, this is {i['first']} {i['last']} (DOB {i['dob_us']}, MRN {i['mrn']}). I'm almost "
                f"out of lisinopril. Call me at {i['phone']} or email {i['email']}. I live at {i['street']}, "
                f"{i['city']} {i['zip']}. Member id {i['member_id']}, SSN {i['ssn']}. Thanks, {i['nickname']}"
            ),
        ),
        PortalMessage(
            id="phi-2",
            patient_id=PATIENT_ID,
            text=(
                f"This is {i['proxy']}, her husband. {i['first']} has crushing chest pain and can't breathe "
                f"right now. Her number is {i['phone_digits']}."
            ),
        ),
        PortalMessage(
            id="phi-3",
            patient_id=PATIENT_ID,
            text=f"Was my potassium ok? {i['first']} {i['last']}, born {i['dob_iso']}, {i['phone']}",
        ),
        PortalMessage(
            id="phi-4",
            patient_id=PATIENT_ID,
            text=f"Can I reschedule? - {i['nickname']} {i['last']} {i['email']}",
        ),
    ]


def _needles() -> list[str]:
    values = set(IDENTIFIERS.values())
    values.add(f"{IDENTIFIERS['first']} {IDENTIFIERS['last']}")
    return sorted(values, key=len, reverse=True)


def test_no_phi_in_audit_file_or_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # root and every replydraft logger
    llm = FakeLLM()
    llm.enqueue(
        reply_json("Hi [PATIENT_NAME_1], we sent your refill.", ["MedicationRequest/m1"]),
        LLMTimeoutError("the model did not answer in time"),  # phi-3 fails
        reply_json("Hi [PATIENT_NAME_1], the front desk will call you to reschedule."),
    )
    audit_path = tmp_path / "audit.jsonl"
    with JSONLAuditSink(audit_path) as sink:
        drafter = Drafter(llm=llm, chart=_chart(), audit=sink, audit_salt=SALT)
        results = drafter.draft_many(_messages(), concurrency=1)

        statuses = [r.status for r in results]
        assert statuses == ["drafted", "escalated", "failed", "drafted"], statuses
        # the pipeline did handle PHI: the re-identified draft carries the name back (the search can fail)
        assert IDENTIFIERS["first"] in results[0].body or IDENTIFIERS["nickname"] in results[0].body

        signed = results[0].sign(
            "dr-517",
            results[0].body + f" Call {IDENTIFIERS['phone']} with questions.",
            acknowledge=True,  # the safety checks flag the refill promise as blocking
            audit=sink,
            audit_salt=SALT,
        )
        assert IDENTIFIERS["phone"] in signed.final_text
        results[3].discard("needs_visit", clinician_id="dr-517", audit=sink, audit_salt=SALT)

    audit_text = audit_path.read_text(encoding="utf-8")
    kinds = re.findall(r'"kind":"(\w+)"', audit_text)
    assert sorted(kinds) == ["discard", "draft", "draft", "draft", "draft", "sign"]
    assert hash_patient_id(PATIENT_ID, SALT) in audit_text

    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert caplog.records, "expected the pipeline to log something at DEBUG"
    for haystack_name, haystack in (("audit file", audit_text), ("logs", log_text)):
        lowered = haystack.lower()
        for needle in _needles():
            assert needle.lower() not in lowered, f"{needle!r} found in the {haystack_name}"
        # the message and draft text never appear either
        assert "out of lisinopril. call me" not in lowered and "we sent your refill" not in lowered
