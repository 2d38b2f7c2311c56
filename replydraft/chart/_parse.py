"""FHIR R4 resources (raw JSON dicts) -> ChartContext, shared by the bundle and REST adapters.

Both adapters only *collect* raw resources; this module validates each one with ``fhir.resources.R4B``
(R4B, not the 8.x default R5, which rejects R4 data), skips the invalid ones with a count, and applies
the same filters, sort orders and limits, so a bundle file and a server holding that bundle give equal
contexts.

Filters follow FHIR semantics exactly:

* medications: MedicationRequest with ``status == active`` (deceased patients keep theirs: flagged);
* allergies: every AllergyIntolerance whose verificationStatus is not ``entered-in-error``;
* problems: Condition with clinicalStatus ``active``, ``recurrence`` or ``relapse``;
* observations: category ``laboratory`` or ``vital-signs``, newest first, ``max_observations`` each;
* appointments: start at or after ``now``, not cancelled/noshow/entered-in-error/fulfilled, soonest first;
* encounters: newest first, ``max_encounters``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from replydraft.errors import ChartDataError
from replydraft.models import (
    Allergy,
    Appointment,
    ChartContext,
    Encounter,
    Flag,
    Medication,
    Observation,
    PatientDemographics,
    Problem,
)

logger = logging.getLogger(__name__)

#: Resource types the adapters read; everything else in a bundle is ignored (never validated).
USED_TYPES: frozenset[str] = frozenset(
    {
        "Patient",
        "MedicationRequest",
        "MedicationDispense",
        "Medication",
        "AllergyIntolerance",
        "Condition",
        "Observation",
        "Appointment",
        "Encounter",
        "Practitioner",
    }
)
#: Resource types that belong to one patient (filtered by their patient reference in bundles).
PATIENT_TYPES: frozenset[str] = frozenset(
    {
        "MedicationRequest",
        "MedicationDispense",
        "AllergyIntolerance",
        "Condition",
        "Observation",
        "Appointment",
        "Encounter",
    }
)

DEFAULT_MAX_OBSERVATIONS = 500
DEFAULT_MAX_ENCOUNTERS = 10
DEFAULT_MAX_APPOINTMENTS = 20
OBSERVATION_CATEGORIES = ("laboratory", "vital-signs")
ACTIVE_PROBLEM_STATUSES = frozenset({"active", "recurrence", "relapse"})
_INACTIVE_APPOINTMENT = frozenset({"cancelled", "noshow", "entered-in-error", "fulfilled"})

_REF_TAIL = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")


@dataclass(frozen=True)
class Limits:
    """How much of a chart to keep (identical for every adapter, so their contexts compare equal)."""

    max_observations: int = DEFAULT_MAX_OBSERVATIONS
    max_encounters: int = DEFAULT_MAX_ENCOUNTERS
    max_appointments: int = DEFAULT_MAX_APPOINTMENTS


@dataclass
class RawChart:
    """One patient's raw resources as an adapter collected them, before validation."""

    patient: Mapping[str, Any]
    resources: list[Mapping[str, Any]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    """Other spellings of references (bundle ``fullUrl``, absolute URLs) -> ``Type/id``."""
    flags: list[Flag] = field(default_factory=list)
    """Flags the adapter raised while collecting (truncated paging ...)."""


# --------------------------------------------------------------------------- small helpers


def utc(value: datetime) -> datetime:
    """Make a datetime timezone-aware (naive values are taken as UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def to_datetime(value: object) -> datetime | None:
    """FHIR date/dateTime/instant (as parsed by fhir.resources: datetime, date or partial str)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str):
        # partial dates ("2015", "2015-03") stay strings after validation: take the first day
        parts = value.split("-")
        try:
            year = int(parts[0])
            month = int(parts[1]) if len(parts) > 1 else 1
            return datetime(year, month, 1, tzinfo=timezone.utc)
        except ValueError:
            return None
    return None


def to_date(value: object) -> date | None:
    """A FHIR date as a ``date`` (partial dates become the first day)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = to_datetime(value)
    return parsed.date() if parsed else None


def normalize_ref(ref: str | None, aliases: Mapping[str, str]) -> str | None:
    """A reference as ``Type/id`` (resolving bundle ``urn:uuid`` fullUrls and absolute URLs)."""
    if not ref:
        return None
    if ref in aliases:
        return aliases[ref]
    match = _REF_TAIL.search(ref)
    if match:
        return f"{match.group(1)}/{match.group(2)}"
    return ref


def raw_patient_refs(raw: Mapping[str, Any]) -> list[str]:
    """The raw patient reference strings of a patient-bound resource (before normalisation)."""
    rtype = raw.get("resourceType")
    refs: list[str] = []
    if rtype == "AllergyIntolerance":
        refs.append(_get(raw, "patient", "reference"))
    elif rtype == "Appointment":
        for part in raw.get("participant") or ():
            if isinstance(part, Mapping):
                refs.append(_get(part, "actor", "reference"))
    else:
        refs.append(_get(raw, "subject", "reference"))
    return [r for r in refs if isinstance(r, str) and r]


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _text(concept: Any) -> str | None:
    """Display text of a CodeableConcept model: ``text``, else the first coding display/code."""
    if concept is None:
        return None
    if getattr(concept, "text", None):
        return str(concept.text)
    for coding in getattr(concept, "coding", None) or ():
        if coding.display:
            return str(coding.display)
    for coding in getattr(concept, "coding", None) or ():
        if coding.code:
            return str(coding.code)
    return None


def _code(concept: Any, system_hint: str | None = None) -> str | None:
    for coding in getattr(concept, "coding", None) or ():
        if coding.code and (system_hint is None or (coding.system and system_hint in coding.system)):
            return str(coding.code)
    return None


def _codes(concept: Any) -> tuple[str, ...]:
    return tuple(str(c.code) for c in getattr(concept, "coding", None) or () if c.code)


def _num(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    number = float(value)
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    # 6.77675169667728 -> "6.78": Synthea emits absurd precision; three significant digits is clinical
    return f"{number:.3g}" if abs(number) < 1000 else f"{number:.0f}"


def _quantity(q: Any) -> str | None:
    if q is None or q.value is None:
        return None
    unit = q.unit or q.code or ""
    comparator = q.comparator or ""
    return f"{comparator}{_num(q.value)} {unit}".strip()


def _human_name(name: Any) -> str:
    if getattr(name, "text", None):
        return str(name.text)
    given = " ".join(str(g) for g in name.given or ())
    return " ".join(p for p in (given, str(name.family or "")) if p)


def _validate(raw: Mapping[str, Any]) -> Any:
    """Validate one raw resource with R4B; ValidationError/ValueError/TypeError on bad data."""
    cls = get_fhir_model_class(str(raw.get("resourceType")))
    return cls.model_validate(dict(raw))


# --------------------------------------------------------------------------- resources -> facts


def demographics(patient: Any, citation: str) -> PatientDemographics:
    """PatientDemographics from a validated R4B Patient."""
    names: list[str] = []
    given: list[str] = []
    family: list[str] = []
    # official name first: the de-identifier matches the likeliest spelling earliest
    ordered = sorted(patient.name or (), key=lambda n: 0 if n.use == "official" else 1)
    for name in ordered:
        full = _human_name(name)
        if full and full not in names:
            names.append(full)
        for g in name.given or ():
            if str(g) not in given:
                given.append(str(g))
        if name.family and str(name.family) not in family:
            family.append(str(name.family))
    phones = tuple(str(t.value) for t in patient.telecom or () if t.system in ("phone", "sms") and t.value)
    emails = tuple(str(t.value) for t in patient.telecom or () if t.system == "email" and t.value)
    addresses: list[str] = []
    for addr in patient.address or ():
        if addr.text:
            addresses.append(str(addr.text))
            continue
        parts = [*(str(x) for x in addr.line or ()), addr.city, addr.state, addr.postalCode]
        line = ", ".join(str(p) for p in parts if p)
        if line:
            addresses.append(line)
    mrn: str | None = None
    identifiers: list[str] = []
    for ident in patient.identifier or ():
        if not ident.value:
            continue
        if mrn is None and ident.type is not None and _code(ident.type) == "MR":
            mrn = str(ident.value)
        else:
            identifiers.append(str(ident.value))
    contacts = tuple(_human_name(c.name) for c in patient.contact or () if c.name is not None)
    language: str | None = None
    for comm in patient.communication or ():
        code = _code(comm.language)
        if code and (comm.preferred or language is None):
            language = code
    deceased = bool(patient.deceasedBoolean) or patient.deceasedDateTime is not None
    return PatientDemographics(
        id=citation.partition("/")[2],
        names=tuple(names),
        given_names=tuple(given),
        family_names=tuple(family),
        birth_date=to_date(patient.birthDate),
        gender=patient.gender,
        phones=phones,
        emails=emails,
        addresses=tuple(addresses),
        mrn=mrn,
        identifiers=tuple(identifiers),
        contacts=tuple(c for c in contacts if c),
        language=language,
        deceased=deceased,
    )


def _dosage(mr: Any) -> str | None:
    for dose in mr.dosageInstruction or ():
        if dose.text:
            return str(dose.text)
        bits: list[str] = []
        for dr in dose.doseAndRate or ():
            if dr.doseQuantity is not None:
                q = _quantity(dr.doseQuantity)
                if q:
                    bits.append(q)
        rep = dose.timing.repeat if dose.timing is not None else None
        if rep is not None and rep.frequency and rep.period and rep.periodUnit:
            unit = {"h": "hour", "d": "day", "wk": "week", "mo": "month"}.get(rep.periodUnit, rep.periodUnit)
            period = "" if _num(rep.period) == "1" else f"{_num(rep.period)} "
            bits.append(f"{rep.frequency}x per {period}{unit}")
        if dose.asNeededBoolean:
            bits.append("as needed")
        if bits:
            return " ".join(bits)
    return None


def _practitioner_name(prac: Any) -> str | None:
    for name in prac.name or ():
        full = _human_name(name)
        if full:
            prefix = " ".join(str(p) for p in name.prefix or ())
            return f"{prefix} {full}".strip()
    return None


@dataclass
class _Index:
    aliases: Mapping[str, str]
    medications: dict[str, Any] = field(default_factory=dict)
    practitioners: dict[str, str] = field(default_factory=dict)
    fills: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))

    def ref(self, ref: str | None) -> str | None:
        return normalize_ref(ref, self.aliases)


def _medication(mr: Any, cid: str, idx: _Index) -> Medication:
    name: str | None = None
    codes: tuple[str, ...] = ()
    if mr.medicationCodeableConcept is not None:
        name = _text(mr.medicationCodeableConcept)
        codes = _codes(mr.medicationCodeableConcept)
    elif mr.medicationReference is not None:
        ref = mr.medicationReference.reference or ""
        if ref.startswith("#"):
            # a contained Medication (common in Epic exports): resolved inside the request itself
            med = next((c for c in mr.contained or () if c.id == ref[1:] and hasattr(c, "code")), None)
        else:
            med = idx.medications.get(idx.ref(ref) or "")
        if med is not None and med.code is not None:
            name = _text(med.code)
            codes = _codes(med.code)
        name = name or (str(mr.medicationReference.display) if mr.medicationReference.display else None)
    prescriber: str | None = None
    if mr.requester is not None:
        prescriber = str(mr.requester.display) if mr.requester.display else None
        if prescriber is None:
            prescriber = idx.practitioners.get(idx.ref(mr.requester.reference) or "")
    fills = sorted(idx.fills.get(cid, ()), reverse=True)
    refills: int | None = None
    if mr.dispenseRequest is not None and mr.dispenseRequest.numberOfRepeatsAllowed is not None:
        allowed = int(mr.dispenseRequest.numberOfRepeatsAllowed)
        # the first dispense is the original fill, not a refill
        refills = max(0, allowed - max(0, len(fills) - 1))
    return Medication(
        citation_id=cid,
        name=name or "unnamed medication",
        codes=codes,
        status=str(mr.status),
        dosage=_dosage(mr),
        authored_on=to_datetime(mr.authoredOn),
        last_fill=fills[0] if fills else None,
        refills_remaining=refills,
        prescriber=prescriber,
    )


def _allergy(ai: Any, cid: str) -> Allergy:
    reactions: list[str] = []
    for reaction in ai.reaction or ():
        for manifestation in reaction.manifestation or ():
            text = _text(manifestation)
            if text and text not in reactions:
                reactions.append(text)
    return Allergy(
        citation_id=cid,
        substance=_text(ai.code) or "unspecified substance",
        clinical_status=_code(ai.clinicalStatus),
        verification_status=_code(ai.verificationStatus),
        criticality=ai.criticality,
        reactions=tuple(reactions),
    )


def _observation_value(obs: Any) -> tuple[str | None, float | None, str | None]:
    if obs.valueQuantity is not None:
        q = obs.valueQuantity
        number = float(q.value) if q.value is not None else None
        return _quantity(q), number, (q.unit or q.code)
    if obs.valueCodeableConcept is not None:
        return _text(obs.valueCodeableConcept), None, None
    if obs.valueString is not None:
        return str(obs.valueString), None, None
    if obs.valueBoolean is not None:
        return ("yes" if obs.valueBoolean else "no"), None, None
    if obs.valueInteger is not None:
        return str(obs.valueInteger), float(obs.valueInteger), None
    if obs.component:
        # systolic before diastolic whatever order the chart stores them in (Synthea: diastolic first)
        order = {"8480-6": 0, "8462-4": 1}
        comps = sorted(obs.component, key=lambda c: order.get(_code(c.code) or "", 2))
        values = [c.valueQuantity for c in comps if c.valueQuantity is not None]
        if values and len({v.unit for v in values}) == 1:
            # blood pressure: "128/82 mm[Hg]"
            return "/".join(_num(v.value) for v in values) + f" {values[0].unit or ''}".rstrip(), None, None
        parts = [f"{_text(c.code)} {_quantity(c.valueQuantity)}" for c in obs.component if c.valueQuantity]
        return ("; ".join(parts) or None), None, None
    return None, None, None


def _reference_range(obs: Any) -> str | None:
    for rr in obs.referenceRange or ():
        if rr.text:
            return str(rr.text)
        low = _num(rr.low.value) if rr.low is not None and rr.low.value is not None else ""
        high = _num(rr.high.value) if rr.high is not None and rr.high.value is not None else ""
        unit = (rr.high or rr.low).unit if (rr.high or rr.low) is not None else None
        if low and high:
            return f"{low}-{high}" + (f" {unit}" if unit else "")
        if high:
            return f"<={high}" + (f" {unit}" if unit else "")
        if low:
            return f">={low}" + (f" {unit}" if unit else "")
    return None


def _observation(obs: Any, cid: str, category: str) -> Observation:
    value, number, unit = _observation_value(obs)
    interpretation: str | None = None
    for interp in obs.interpretation or ():
        interpretation = _code(interp) or _text(interp)
        if interpretation:
            break
    effective = to_datetime(obs.effectiveDateTime)
    if effective is None and obs.effectivePeriod is not None:
        effective = to_datetime(obs.effectivePeriod.start)
    if effective is None:
        effective = to_datetime(obs.effectiveInstant) or to_datetime(obs.issued)
    return Observation(
        citation_id=cid,
        name=_text(obs.code) or "unnamed observation",
        category=category,
        code=_code(obs.code, "loinc") or _code(obs.code),
        value=value,
        numeric_value=number,
        unit=unit,
        reference_range=_reference_range(obs),
        interpretation=interpretation,
        effective=effective,
    )


def _categories(obs: Any) -> set[str]:
    out: set[str] = set()
    for cat in obs.category or ():
        for coding in cat.coding or ():
            if coding.code:
                out.add(str(coding.code))
    return out


def _encounter(enc: Any, cid: str) -> Encounter:
    reason: str | None = None
    for rc in enc.reasonCode or ():
        reason = _text(rc)
        if reason:
            break
    etype: str | None = None
    for t in enc.type or ():
        etype = _text(t)
        if etype:
            break
    return Encounter(
        citation_id=cid,
        type=etype,
        start=to_datetime(enc.period.start) if enc.period is not None else None,
        reason=reason,
        status=str(enc.status) if enc.status else None,
    )


def _appointment(appt: Any, cid: str, idx: _Index) -> Appointment:
    description = str(appt.description) if appt.description else None
    if description is None:
        for st in appt.serviceType or ():
            description = _text(st)
            if description:
                break
    if description is None:
        for rc in appt.reasonCode or ():
            description = _text(rc)
            if description:
                break
    practitioner: str | None = None
    for part in appt.participant or ():
        actor = part.actor
        if actor is None:
            continue
        ref = idx.ref(actor.reference) or ""
        if ref.startswith("Practitioner/"):
            practitioner = str(actor.display) if actor.display else idx.practitioners.get(ref)
            if practitioner:
                break
    return Appointment(
        citation_id=cid,
        start=to_datetime(appt.start),
        status=str(appt.status) if appt.status else None,
        description=description,
        practitioner=practitioner,
    )


def _newest(items: Iterable[Any], key: str) -> list[Any]:
    """Sort newest first with the citation id as tie-breaker (stable across adapters)."""
    floor = datetime.min.replace(tzinfo=timezone.utc)
    by_id = sorted(items, key=lambda x: x.citation_id)
    return sorted(by_id, key=lambda x: getattr(x, key) or floor, reverse=True)


# --------------------------------------------------------------------------- assembly


def build_context(raw: RawChart, *, now: datetime, limits: Limits) -> ChartContext:
    """Validate and filter one patient's raw resources into a ChartContext.

    Args:
        raw: What the adapter collected.
        now: Reference time for "upcoming" appointments.
        limits: Caps shared by all adapters.

    Returns:
        The context, with ``chart_invalid_resource`` / ``patient_deceased`` flags where they apply.

    Raises:
        ChartDataError: The Patient resource itself is invalid (nothing can be read without it).
    """
    now = utc(now)
    try:
        patient = _validate(raw.patient)
    except (ValidationError, ValueError, TypeError, KeyError):
        # not chained: the validation message quotes the offending value (a name, a birth date), and a
        # chained cause ends up in error trackers
        raise ChartDataError(
            "the Patient resource failed FHIR R4 validation", resource_type="Patient"
        ) from None
    pid = str(raw.patient.get("id") or "")
    demo = demographics(patient, f"Patient/{pid}")

    invalid: Counter[str] = Counter()
    valid: list[tuple[str, str, Any]] = []
    idx = _Index(aliases=raw.aliases)
    for resource in raw.resources:
        rtype = str(resource.get("resourceType"))
        if rtype not in USED_TYPES or rtype == "Patient":
            continue
        cid = f"{rtype}/{resource.get('id')}"
        try:
            model = _validate(resource)
        except (ValidationError, ValueError, TypeError, KeyError):
            # never the validation message: it quotes the offending (possibly identifying) value
            invalid[rtype] += 1
            continue
        if rtype == "Medication":
            idx.medications[cid] = model
        elif rtype == "Practitioner":
            name = _practitioner_name(model)
            if name:
                idx.practitioners[cid] = name
        else:
            valid.append((rtype, cid, model))

    for rtype, _cid, model in valid:
        if rtype == "MedicationDispense" and model.status in (None, "completed"):
            when = to_datetime(model.whenHandedOver) or to_datetime(model.whenPrepared)
            if when is None:
                continue
            for auth in model.authorizingPrescription or ():
                target = idx.ref(auth.reference)
                if target:
                    idx.fills[target].append(when)

    meds: list[Medication] = []
    allergies: list[Allergy] = []
    problems: list[Problem] = []
    observations: dict[str, list[Observation]] = {c: [] for c in OBSERVATION_CATEGORIES}
    appointments: list[Appointment] = []
    encounters: list[Encounter] = []
    for rtype, cid, model in valid:
        if rtype == "MedicationRequest" and model.status == "active":
            meds.append(_medication(model, cid, idx))
        elif rtype == "AllergyIntolerance":
            if _code(model.verificationStatus) != "entered-in-error":
                allergies.append(_allergy(model, cid))
        elif rtype == "Condition":
            status = _code(model.clinicalStatus)
            if status in ACTIVE_PROBLEM_STATUSES:
                onset = to_datetime(model.onsetDateTime)
                if onset is None and model.onsetPeriod is not None:
                    onset = to_datetime(model.onsetPeriod.start)
                problems.append(
                    Problem(
                        citation_id=cid,
                        name=_text(model.code) or "unnamed condition",
                        clinical_status=status,
                        onset=onset,
                    )
                )
        elif rtype == "Observation":
            cats = _categories(model)
            for category in OBSERVATION_CATEGORIES:
                if category in cats:
                    observations[category].append(_observation(model, cid, category))
                    break
        elif rtype == "Appointment":
            appt = _appointment(model, cid, idx)
            if appt.start is not None and appt.start >= now and appt.status not in _INACTIVE_APPOINTMENT:
                appointments.append(appt)
        elif rtype == "Encounter":
            encounters.append(_encounter(model, cid))

    kept_obs: list[Observation] = []
    for category in OBSERVATION_CATEGORIES:
        kept_obs.extend(_newest(observations[category], "effective")[: limits.max_observations])
    flags = list(raw.flags)
    if invalid:
        flags.append(
            Flag(
                code="chart_invalid_resource",
                severity="warning",
                message="Some chart resources failed FHIR R4 validation and were left out of the context.",
                count=sum(invalid.values()),
            )
        )
        logger.warning("skipped %d invalid resources: %s", sum(invalid.values()), dict(invalid))
    if demo.deceased:
        flags.append(
            Flag(
                code="patient_deceased",
                severity="blocking",
                message="The chart records this patient as deceased.",
            )
        )
    appointments.sort(key=lambda a: (a.start, a.citation_id))
    return ChartContext(
        patient=demo,
        medications=tuple(sorted(meds, key=lambda m: m.citation_id)),
        allergies=tuple(sorted(allergies, key=lambda a: a.citation_id)),
        problems=tuple(sorted(problems, key=lambda p: p.citation_id)),
        observations=tuple(_newest(kept_obs, "effective")),
        appointments=tuple(appointments[: limits.max_appointments]),
        encounters=tuple(_newest(encounters, "start")[: limits.max_encounters]),
        flags=tuple(flags),
    )
