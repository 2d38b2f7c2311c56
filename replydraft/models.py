"""Data models: the message in, the chart context, the triage, and the draft out.

Results are frozen pydantic v2 models. Fields that hold patient text or identifiers are excluded from
``repr`` (and, for the placeholder vault, from serialization): reprs end up in logs and tracebacks.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .audit import AuditSink
    from .review import DiscardReason, DiscardRecord, DisclosureConfig, DisclosurePolicy, SignedReply

__all__ = [
    "Allergy",
    "Appointment",
    "ChartContext",
    "ChartFact",
    "Citation",
    "DraftResult",
    "DraftStatus",
    "Encounter",
    "ErrorInfo",
    "Flag",
    "Intent",
    "Medication",
    "Observation",
    "PatientDemographics",
    "PortalMessage",
    "Problem",
    "Severity",
    "ThreadMessage",
    "TokenUsage",
    "Triage",
    "Urgency",
]


class Urgency(str, Enum):
    """How soon a human must act on the message."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """Ordering: routine 0 < urgent 1 < emergency 2."""
        return {"routine": 0, "urgent": 1, "emergency": 2}[self.value]


class Intent(str, Enum):
    """What the patient is asking for."""

    REFILL = "refill"
    SYMPTOM = "symptom"
    RESULTS = "results"
    SCHEDULING = "scheduling"
    FORMS = "forms"
    BILLING = "billing"
    OTHER = "other"


Severity = Literal["info", "warning", "blocking"]
"""How much a flag matters: ``blocking`` flags need an explicit acknowledgement to sign."""

DraftStatus = Literal["drafted", "escalated", "failed"]
"""``drafted``: an LLM draft; ``escalated``: emergency path, template reply, no LLM; ``failed``."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- message


class ThreadMessage(_Model):
    """An earlier message in the same portal thread."""

    text: str = Field(repr=False)
    """The earlier message's text (PHI: excluded from repr)."""
    from_patient: bool = True
    """True when the patient (or proxy) wrote it; False for the care team."""
    sent_at: datetime | None = None
    """When it was sent."""


class PortalMessage(_Model):
    """A patient-portal message to draft a reply to.

    Example:
        >>> PortalMessage(text="Can I get a refill?", patient_id="p1")
        PortalMessage(patient_id='p1', ...)
    """

    text: str = Field(repr=False)
    """The message body as the patient wrote it (PHI: excluded from repr)."""
    patient_id: str | None = None
    """The chart id of the patient the message is about (FHIR ``Patient.id``)."""
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    """The message id (generated when not given)."""
    sender: str | None = Field(default=None, repr=False)
    """Who wrote it when not the patient (a proxy's name or role; PHI: excluded from repr)."""
    subject: str | None = Field(default=None, repr=False)
    """The portal subject line, if any."""
    thread: tuple[ThreadMessage, ...] = ()
    """Earlier messages in the thread, oldest first."""
    received_at: datetime | None = None
    """When the message arrived; defaults to now. Chart dates are rendered relative to it."""


# --------------------------------------------------------------------------- chart


class PatientDemographics(_Model):
    """Who the patient is. Every identifying field is excluded from repr."""

    id: str
    """Chart id (FHIR ``Patient.id``)."""
    names: tuple[str, ...] = Field(default=(), repr=False)
    """Full names as recorded (official first), e.g. ``("Maria Lopez", "Maria T. Lopez")``."""
    given_names: tuple[str, ...] = Field(default=(), repr=False)
    """Given names and nicknames."""
    family_names: tuple[str, ...] = Field(default=(), repr=False)
    """Family names."""
    birth_date: date | None = Field(default=None, repr=False)
    """Date of birth."""
    gender: str | None = None
    """Administrative gender."""
    phones: tuple[str, ...] = Field(default=(), repr=False)
    """Phone numbers as recorded."""
    emails: tuple[str, ...] = Field(default=(), repr=False)
    """Email addresses."""
    addresses: tuple[str, ...] = Field(default=(), repr=False)
    """Addresses, one line each (street, city, state, postal code)."""
    mrn: str | None = Field(default=None, repr=False)
    """Medical record number."""
    identifiers: tuple[str, ...] = Field(default=(), repr=False)
    """Other identifiers (member ids, SSN, driver's licence ...)."""
    contacts: tuple[str, ...] = Field(default=(), repr=False)
    """Names of contacts, proxies and relatives on file."""
    language: str | None = None
    """Preferred language (BCP-47 code such as ``en`` or ``es``), where recorded."""
    deceased: bool = False
    """True when the chart records the patient as deceased."""


class ChartFact(_Model):
    """Base of every chart fact: each carries a stable citation id (``ResourceType/id``)."""

    citation_id: str
    """Stable id of the source resource, e.g. ``"MedicationRequest/abc"``."""


class Medication(ChartFact):
    """An active medication order."""

    name: str
    """Display name of the drug (with strength where the chart gives it)."""
    codes: tuple[str, ...] = ()
    """Coding values (RxNorm ...)."""
    status: str = "active"
    """MedicationRequest status."""
    dosage: str | None = None
    """Dosage instruction text."""
    authored_on: datetime | None = None
    """When the order was written."""
    last_fill: datetime | None = None
    """Last dispense, where known."""
    refills_remaining: int | None = None
    """Refills left on the order, where the chart records it."""
    prescriber: str | None = Field(default=None, repr=False)
    """Prescriber's name (an identifier of a clinician: excluded from repr)."""


class Allergy(ChartFact):
    """An allergy or intolerance."""

    substance: str
    """What the patient reacts to."""
    clinical_status: str | None = None
    """active | inactive | resolved."""
    verification_status: str | None = None
    """unconfirmed | confirmed | refuted | entered-in-error."""
    criticality: str | None = None
    """low | high | unable-to-assess."""
    reactions: tuple[str, ...] = ()
    """Reaction manifestations."""


class Problem(ChartFact):
    """An active problem (Condition with clinicalStatus active, recurrence or relapse)."""

    name: str
    """Condition display text."""
    clinical_status: str | None = None
    """active | recurrence | relapse."""
    onset: datetime | None = None
    """Onset date, where recorded."""


class Observation(ChartFact):
    """A laboratory result or vital sign."""

    name: str
    """Test display name, e.g. ``"Potassium"``."""
    category: str
    """``laboratory`` or ``vital-signs`` (other categories are kept as given)."""
    code: str | None = None
    """LOINC code, where present."""
    value: str | None = None
    """Value as text with unit, e.g. ``"5.3 mmol/L"``; components joined for panels (blood pressure)."""
    numeric_value: float | None = None
    """Numeric value, where the observation has a single quantity."""
    unit: str | None = None
    """Unit of the numeric value."""
    reference_range: str | None = None
    """Reference range as text, e.g. ``"3.5-5.1 mmol/L"``."""
    interpretation: str | None = None
    """Interpretation code/text, e.g. ``"H"``."""
    effective: datetime | None = None
    """When the observation was taken."""


class Appointment(ChartFact):
    """A booked appointment."""

    start: datetime | None = None
    """Start time."""
    status: str | None = None
    """booked | pending | ..."""
    description: str | None = None
    """Reason / service type."""
    practitioner: str | None = Field(default=None, repr=False)
    """Clinician's name (excluded from repr)."""


class Encounter(ChartFact):
    """A recent encounter (visit)."""

    type: str | None = None
    """Encounter type text."""
    start: datetime | None = None
    """Start time."""
    reason: str | None = None
    """Reason text."""
    status: str | None = None
    """Encounter status."""


class ChartContext(_Model):
    """What the chart says about the patient: the raw material relevance selection chooses from.

    Counts follow FHIR semantics: ``medications`` are MedicationRequests with status ``active``;
    ``allergies`` are every AllergyIntolerance not ``entered-in-error``; ``problems`` are Conditions
    whose clinicalStatus is active, recurrence or relapse.
    """

    patient: PatientDemographics
    """Demographics and identifiers (also feed the de-identifier's known identifiers)."""
    medications: tuple[Medication, ...] = ()
    """Active medication orders."""
    allergies: tuple[Allergy, ...] = ()
    """Allergies and intolerances."""
    problems: tuple[Problem, ...] = ()
    """Active problems."""
    observations: tuple[Observation, ...] = ()
    """Labs and vitals, newest first."""
    appointments: tuple[Appointment, ...] = ()
    """Upcoming appointments, soonest first."""
    encounters: tuple[Encounter, ...] = ()
    """Recent encounters, newest first."""
    flags: tuple[Flag, ...] = ()
    """Problems met while reading the chart (a skipped invalid resource, a deceased patient ...)."""

    @property
    def labs(self) -> tuple[Observation, ...]:
        """Laboratory observations, newest first."""
        return tuple(o for o in self.observations if o.category == "laboratory")

    @property
    def vitals(self) -> tuple[Observation, ...]:
        """Vital signs, newest first."""
        return tuple(o for o in self.observations if o.category == "vital-signs")


# --------------------------------------------------------------------------- triage and result


class Triage(_Model):
    """The deterministic screen's verdict on a message."""

    urgency: Urgency
    """emergency | urgent | routine."""
    intent: Intent
    """What the patient asks for."""
    reasons: tuple[str, ...] = ()
    """Rule ids that fired (e.g. ``"red_flag.chest_pain"``); never patient text."""
    language: str = "en"
    """Detected message language (``en`` or ``es``)."""


class Flag(_Model):
    """Something the reviewing physician (or the backend) must know about a draft.

    ``code`` is machine-readable and stable; ``message`` is a fixed explanation that never contains
    patient text.
    """

    code: str
    """Stable machine-readable code, e.g. ``"emergency_escalation"``, ``"demo_model"``."""
    severity: Severity = "warning"
    """info | warning | blocking."""
    message: str = ""
    """Human explanation (fixed wording, no patient text)."""
    count: int | None = None
    """How many occurrences, where it applies."""


class Citation(_Model):
    """A chart fact the draft stands on."""

    id: str
    """Stable id of the source resource, e.g. ``"Observation/123"``."""
    label: str = ""
    """Short de-identified description of the fact, e.g. ``"Potassium 5.3 mmol/L (H), 3 weeks ago"``."""
    cited_by_model: bool = False
    """True when the model cited it; False when it was only provided as context."""


class TokenUsage(_Model):
    """Token counts reported by the LLM endpoint (summed over re-asks)."""

    prompt_tokens: int = 0
    """Input tokens."""
    completion_tokens: int = 0
    """Output tokens."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class ErrorInfo(_Model):
    """Why a draft failed (batch runs keep going and record this instead of raising)."""

    type: str
    """Exception class name, e.g. ``"LLMTimeoutError"``."""
    code: str
    """The error's machine-readable code."""
    message: str
    """The error's message (replydraft errors never contain patient text)."""
    retryable: bool = False
    """Whether trying again later may succeed."""


class DraftResult(_Model):
    """A draft reply for a physician to edit and sign. Nothing is ever sent to a patient by the library.

    ``body`` holds the re-identified draft (it may contain the patient's name): it is excluded from
    repr. ``requires_review`` is always True.
    """

    message_id: str
    """Id of the portal message this answers."""
    patient_id: str | None = None
    """Chart id of the patient."""
    status: DraftStatus = "drafted"
    """drafted | escalated | failed."""
    body: str = Field(default="", repr=False)
    """The re-identified draft for the physician (PHI: excluded from repr)."""
    deidentified_body: str = Field(default="", repr=False)
    """The draft as the model wrote it, with placeholders."""
    deidentified_message: str = Field(default="", repr=False)
    """The message text as it was sent to the model, with placeholders."""
    triage: Triage
    """The screen's verdict (possibly raised, never lowered, by the model)."""
    citations: tuple[Citation, ...] = ()
    """Chart facts provided to, or cited by, the model."""
    flags: tuple[Flag, ...] = ()
    """What the reviewer must know: escalation, safety checks, demo model, chart problems."""
    requires_review: Literal[True] = True
    """Always True: a physician edits and signs every draft."""
    prompt_name: str | None = None
    """Name of the user prompt template."""
    prompt_sha256: str | None = None
    """sha256 of the user prompt template source."""
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    """sha256 of every template used, by name."""
    model: str | None = None
    """Model that wrote the draft (None on the emergency path)."""
    usage: TokenUsage = TokenUsage()
    """Token usage, summed over re-asks."""
    latency_ms: float = 0.0
    """Wall time of the whole draft, in milliseconds."""
    llm_latency_ms: float = 0.0
    """Time spent waiting for the model, in milliseconds."""
    stage_ms: dict[str, float] = Field(default_factory=dict)
    """Per-stage wall time in milliseconds (triage, deid, chart, prompt, llm, checks, reid)."""
    attempts: int = 0
    """How many times the model was asked (1 + re-asks)."""
    audit_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    """Id of the audit event recorded for this draft."""
    created_at: datetime = Field(default_factory=lambda: datetime.now().astimezone())
    """When the draft was made."""
    error: ErrorInfo | None = None
    """Why the draft failed (status ``failed`` only)."""
    extra: dict[str, Any] = Field(default_factory=dict, repr=False)
    """Adapter-specific details (no PHI)."""

    @property
    def escalated(self) -> bool:
        """True when the message was routed down the emergency path."""
        return self.status == "escalated"

    @property
    def flag_codes(self) -> tuple[str, ...]:
        """The codes of all flags, in order."""
        return tuple(f.code for f in self.flags)

    def has_flag(self, code: str) -> bool:
        """Whether a flag with this code is present."""
        return any(f.code == code for f in self.flags)

    @property
    def blocking(self) -> bool:
        """True when any flag is blocking (signing needs an explicit acknowledgement)."""
        return any(f.severity == "blocking" for f in self.flags)

    # Review and display live in review.py / _html.py; these delegate (local imports: no cycle).
    def sign(
        self,
        clinician_id: str,
        final_text: str,
        *,
        started_blank: bool = False,
        reviewed_at: datetime | None = None,
        opened_at: datetime | None = None,
        acknowledge: bool = False,
        disclosure: DisclosureConfig | DisclosurePolicy | str = "omit_when_reviewed",
        clinician_licensed: bool = True,
        audit: AuditSink | None = None,
        audit_salt: bytes | None = None,
    ) -> SignedReply:
        """Record that a clinician approved ``final_text``; see :func:`replydraft.review.sign`.

        Raises:
            replydraft.errors.EmptyReplyError: empty text.
            replydraft.errors.AcknowledgementRequiredError: escalated/blocking without ``acknowledge``.
            replydraft.errors.AlreadyFinalizedError: already signed or discarded.
        """
        from .review import sign

        return sign(
            self,
            clinician_id,
            final_text,
            started_blank=started_blank,
            reviewed_at=reviewed_at,
            opened_at=opened_at,
            acknowledge=acknowledge,
            disclosure=disclosure,
            clinician_licensed=clinician_licensed,
            audit=audit,
            audit_salt=audit_salt,
        )

    def discard(
        self,
        reason: str | DiscardReason,
        *,
        clinician_id: str | None = None,
        discarded_at: datetime | None = None,
        audit: AuditSink | None = None,
        audit_salt: bytes | None = None,
    ) -> DiscardRecord:
        """Record that a clinician rejected the draft; see :func:`replydraft.review.discard`.

        Raises:
            replydraft.errors.AlreadyFinalizedError: already signed or discarded.
            replydraft.errors.ReviewError: ``reason`` is not a code.
        """
        from .review import discard

        return discard(
            self,
            reason,
            clinician_id=clinician_id,
            discarded_at=discarded_at,
            audit=audit,
            audit_salt=audit_salt,
        )

    def _repr_html_(self) -> str:
        from ._html import render_draft_result

        return render_draft_result(self)


ChartContext.model_rebuild()
