"""The egress guard, tested on its own: it must block what the recognizers missed (all data synthetic)."""

from __future__ import annotations

from datetime import date

import pytest

from replydraft.deid import Deidentifier, EgressGuard, KnownIdentifiers, PlaceholderVault
from replydraft.errors import DeidentificationError, PHILeakError

KNOWN = KnownIdentifiers(
    names=["Gloria M. Petrakis"],
    given_names=["Gloria"],
    family_names=["Petrakis"],
    nicknames=["Glo"],
    dob=date(1958, 2, 14),
    mrn="00731842",
    phones=["608-555-0118"],
    emails=["gpetrakis58@example.com"],
    addresses=["4412 Maple Ridge Rd, Verona, WI 53593"],
    member_ids=["XJH482019377"],
    contacts=["Tomasz Wierzbicki"],
)

CLEAN = (
    "System: you draft replies. Patient: [PATIENT_NAME_1]. Message: my refill of lisinopril 20 mg, "
    "last filled 3 weeks ago; potassium 5.3 mmol/L (H) 2 weeks ago. Take once a day."
)


def test_clean_payload_passes() -> None:
    EgressGuard(PlaceholderVault(), KNOWN).check(CLEAN)


@pytest.mark.parametrize(
    "seed, kind",
    [
        ("Gloria Petrakis", "NAME"),
        ("GLORIA PETRAKIS", "NAME"),
        ("petrakis,   gloria", "NAME"),
        ("Petrakis", "NAME"),
        ("tomasz", "NAME"),
        ("02/14/1958", "DOB"),
        ("2/14/58", "DOB"),
        ("1958-02-14", "DOB"),
        ("February 14, 1958", "DOB"),
        ("14 Feb 1958", "DOB"),
        ("02141958", "DOB"),
        ("MRN 00731842", "MRN"),
        ("mrn 0073 1842", "MRN"),
        ("(608) 555-0118", "PHONE"),
        ("608.555.0118", "PHONE"),
        ("+1 608 555 0118", "PHONE"),
        ("GPetrakis58@Example.com", "EMAIL"),
        ("4412 maple ridge rd", "ADDRESS"),
        ("xjh482019377", "ID"),
    ],
)
def test_each_known_identifier_is_blocked_however_written(seed: str, kind: str) -> None:
    guard = EgressGuard(PlaceholderVault(), KNOWN)
    with pytest.raises(PHILeakError) as exc:
        guard.check(f"{CLEAN} Also: {seed}.")
    assert kind in exc.value.kinds
    assert exc.value.count >= 1
    # the error never carries the value
    assert seed.lower() not in str(exc.value).lower()
    assert "1958" not in str(exc.value) and "0118" not in str(exc.value)


def test_vault_originals_are_blocked_even_without_known_identifiers() -> None:
    vault = PlaceholderVault()
    vault.add("NAME", "Oluwaseun Bakare")
    vault.add("PHONE", "(414) 555-0199")
    vault.add("ID", "A12-998877")
    guard = EgressGuard(vault, None)
    guard.check(CLEAN)
    for leak in ("oluwaseun bakare", "414-555-0199", "a12 998877"):
        with pytest.raises(PHILeakError):
            guard.check(f"{CLEAN} {leak}")


def test_blocks_what_the_recognizers_missed() -> None:
    """A value the recognizers do not find in the text is still blocked because the chart knows it."""
    known = KnownIdentifiers(names=["Hope Day"], member_ids=["QQ-77-ZZ-41"])
    vault = PlaceholderVault()
    # the de-identifier leaves the lower-case word-name alone (no context) ...
    r = Deidentifier().deidentify("hope day here", known=known, vault=vault)
    # ... but whatever the de-identifier did, a payload with the full name is stopped
    with pytest.raises(PHILeakError):
        EgressGuard(vault, known).check("Patient is hope day, id qq 77 zz 41")
    assert r.reidentify(r.text) == "hope day here"


def test_common_word_name_parts_alone_do_not_block() -> None:
    known = KnownIdentifiers(names=["Max Day"])
    EgressGuard(PlaceholderVault(), known).check("Take one tablet a day, max 4 a day.")
    with pytest.raises(PHILeakError):
        EgressGuard(PlaceholderVault(), known).check("Reply to max day about the refill.")


def test_placeholders_and_escaped_literals_do_not_block() -> None:
    vault = PlaceholderVault()
    ph = vault.add("LITERAL", "[NAME_1]")
    vault.add("NAME", "Rosa Delgado")
    EgressGuard(vault, None).check(f"Hello [NAME_1], you typed {ph}.")


def test_guard_repr_has_no_values() -> None:
    guard = EgressGuard(PlaceholderVault(), KNOWN)
    assert "Petrakis" not in repr(guard) and "0118" not in repr(guard)


def test_full_pipeline_payload_is_clean_after_deidentification() -> None:
    """What the lead's pipeline does per request: message + chart lines through one vault, then the guard."""
    d = Deidentifier()
    vault = PlaceholderVault()
    msg = (
        "Hi Dr. Okafor, this is Glo Petrakis (DOB 2/14/58). My MRN is 731842. Call 608 555 0118 or "
        "gpetrakis58@example.com. My son Tomasz can pick up at 4412 Maple Ridge Rd."
    )
    lines = [
        "Lisinopril 20 mg tablet, once daily; prescribed by Dr. Alan Smith; last filled 3 weeks ago",
        "Potassium 5.3 mmol/L (H), 2 weeks ago",
    ]
    parts = [d.deidentify(msg, known=KNOWN, vault=vault).text]
    parts += [d.deidentify(line, known=KNOWN, vault=vault).text for line in lines]
    ph = vault.patient_name_placeholder(KNOWN)
    payload = f"Address the patient as {ph}.\n" + "\n".join(parts)
    EgressGuard(vault, KNOWN).check(payload)
    draft = f"Dear {ph}, Dr. Okafor will call you."
    assert vault.reidentify(draft).startswith("Dear Glo") or vault.reidentify(draft).startswith("Dear Gloria")
    assert vault.unknown_placeholders(f"{draft} [PHONE_9]") == ["[PHONE_9]"]


def test_guard_error_is_a_deidentification_error() -> None:
    assert issubclass(PHILeakError, DeidentificationError)
