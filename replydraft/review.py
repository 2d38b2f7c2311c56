"""The physician's side: sign or discard a draft, with edit metrics and the disclosure decision.

Nothing here sends anything to a patient. :func:`sign` turns a :class:`~replydraft.models.DraftResult`
and the text the clinician actually approved into an immutable :class:`SignedReply` that records how
much the draft was used (character edit distance, ROUGE-1, words added/removed, used-vs-blank, time to
sign) and whether the AI disclaimer goes out with it. :func:`discard` records a rejection with a reason
code. Both are also available as ``DraftResult.sign(...)`` / ``DraftResult.discard(...)``.

Example:
    >>> signed = result.sign("dr-417", edited_text, opened_at=t_open)  # doctest: +SKIP
    >>> signed.metrics.rouge1.f1, signed.metrics.edit_distance_ratio  # doctest: +SKIP
    (0.86, 0.12)

**Signing once.** ``DraftResult`` is frozen and may be copied freely, so "already signed" is kept in a
process-wide, lock-guarded registry keyed by the draft's ``audit_id`` (every copy of a draft shares it).
It stops the double-click and the retrying worker inside one process; across processes the backend's
own store (for example a unique constraint on ``audit_id`` in the audit table) is the authority.

**Edit metrics.** The character edit distance is rapidfuzz's Levenshtein distance (C++, maintained).
ROUGE-1 is computed here rather than with Google's ``rouge-score``: that package pulls ``absl-py``,
``nltk`` and ``numpy`` for what is a ten-line unigram count, and its tokenizer drops every non-ASCII
letter (``"mañana"`` becomes ``"ma ana"``), which is wrong for Spanish replies. :func:`rouge1` uses the
same definition as ``rouge_score.rouge_scorer`` with ``use_stemmer=False`` (clipped unigram overlap of
lower-cased tokens); only the tokenizer differs: rouge-score keeps runs of ``[a-z0-9]``, this keeps runs
of Unicode word characters (letters with accents, digits, underscores).
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz.distance import Levenshtein

from .errors import (
    AcknowledgementRequiredError,
    AlreadyFinalizedError,
    EmptyReplyError,
    ReviewError,
)
from .models import Intent, Urgency

if TYPE_CHECKING:
    from .audit import AuditSink
    from .models import DraftResult

__all__ = [
    "DEFAULT_AI_DISCLAIMER",
    "DiscardReason",
    "DiscardRecord",
    "DisclosureConfig",
    "DisclosureDecision",
    "DisclosurePolicy",
    "EditMetrics",
    "Rouge1",
    "SignedReply",
    "discard",
    "edit_metrics",
    "finalized_state",
    "rouge1",
    "sign",
    "tokenize_words",
]

logger = logging.getLogger(__name__)

DEFAULT_AI_DISCLAIMER = (
    "This message was drafted with help from an AI tool and reviewed by your care team. "
    "To talk with a person on your care team, call the clinic or reply to this message."
)
"""English disclaimer (AB 3030 asks for AI disclosure plus how to reach a human). It is the same
wording as :data:`replydraft.safety.DEFAULT_DISCLOSURE` (``en``), the footer the drafter already puts on
clinical drafts; with ``DisclosureConfig(text=None)`` the message language picks the wording."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- metrics

# \w is Unicode-aware in Python 3, so accented letters stay inside their word (see module docstring).
_WORD = re.compile(r"\w+")


def tokenize_words(text: str) -> list[str]:
    """Split text into lower-cased word tokens, the unit of ROUGE-1 and of words added/removed.

    Args:
        text: Any text.

    Returns:
        The tokens in order; punctuation and whitespace are dropped.
    """
    return _WORD.findall(text.lower())


class Rouge1(_Frozen):
    """ROUGE-1 (clipped unigram overlap) of a candidate text against a reference text."""

    precision: float
    """Share of the candidate's words found in the reference."""
    recall: float
    """Share of the reference's words found in the candidate."""
    f1: float
    """Harmonic mean of precision and recall (0 when both are 0)."""


def rouge1(candidate: str, reference: str) -> Rouge1:
    """Compute ROUGE-1 of ``candidate`` against ``reference``.

    Overlap counts each word at most as often as it occurs in both texts (``min`` of the counts), as in
    Lin (2004) and ``rouge-score``. An empty side gives 0 for every score.

    Args:
        candidate: The text being scored (e.g. the AI draft).
        reference: The text it is compared with (e.g. what the clinician sent).

    Returns:
        Precision, recall and F1.

    Example:
        >>> rouge1("the cat sat", "the cat sat down").recall
        0.75
    """
    cand = Counter(tokenize_words(candidate))
    ref = Counter(tokenize_words(reference))
    overlap = sum((cand & ref).values())
    n_cand, n_ref = sum(cand.values()), sum(ref.values())
    precision = overlap / n_cand if n_cand else 0.0
    recall = overlap / n_ref if n_ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Rouge1(precision=precision, recall=recall, f1=f1)


class EditMetrics(_Frozen):
    """How much the clinician changed the draft before signing.

    The draft is the *candidate* and the signed text the *reference* for ROUGE-1, following the
    published deployments ("ROUGE-1 of draft to sent"): ``rouge1.precision`` is the share of the
    draft's words that survived, ``rouge1.recall`` the share of the sent words that came from the draft.
    """

    draft_chars: int
    """Length of the draft in characters."""
    final_chars: int
    """Length of the signed text in characters."""
    edit_distance: int
    """Levenshtein distance (insertions, deletions, substitutions) between draft and signed text."""
    edit_distance_ratio: float
    """``edit_distance / max(draft_chars, final_chars)``: 0 unchanged, 1 entirely rewritten."""
    rouge1: Rouge1
    """ROUGE-1 of the draft (candidate) against the signed text (reference)."""
    draft_words: int
    """Word tokens in the draft."""
    final_words: int
    """Word tokens in the signed text."""
    words_added: int
    """Words in the signed text that the word-level alignment did not take from the draft."""
    words_removed: int
    """Words of the draft that the word-level alignment did not keep."""
    unchanged: bool
    """True when the signed text equals the draft (ignoring surrounding whitespace)."""


def edit_metrics(draft: str, final: str) -> EditMetrics:
    """Measure the edit from ``draft`` to ``final``.

    Words added/removed come from a ``difflib`` alignment of the two token sequences: a replaced word
    counts once as removed and once as added; a moved word counts as both.

    Args:
        draft: The text the model proposed.
        final: The text the clinician signed.

    Returns:
        The metrics.

    Example:
        >>> m = edit_metrics("Your potassium is normal.", "Your potassium is high.")
        >>> (m.words_added, m.words_removed, m.edit_distance)
        (1, 1, 6)
    """
    d, f = draft.strip(), final.strip()
    distance = Levenshtein.distance(d, f)
    longest = max(len(d), len(f))
    d_words, f_words = tokenize_words(d), tokenize_words(f)
    added = removed = 0
    # autojunk=False: the heuristic drops frequent tokens ("the") in sequences over 200 items, which
    # would make long replies look more edited than they are.
    matcher = difflib.SequenceMatcher(a=d_words, b=f_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return EditMetrics(
        draft_chars=len(d),
        final_chars=len(f),
        edit_distance=distance,
        edit_distance_ratio=distance / longest if longest else 0.0,
        rouge1=rouge1(d, f),
        draft_words=len(d_words),
        final_words=len(f_words),
        words_added=added,
        words_removed=removed,
        unchanged=d == f,
    )


# --------------------------------------------------------------------------- disclosure


class DisclosurePolicy(str, Enum):
    """When a signed reply carries the AI disclaimer.

    California AB 3030 (Health & Safety Code 1339.75) requires a disclaimer on AI-generated patient
    communications about clinical information, *unless* a licensed or certified health care provider
    read and reviewed the communication. Organisations differ in how they apply it, hence the policy.
    """

    OMIT_WHEN_REVIEWED = "omit_when_reviewed"
    """Default: omit the disclaimer when a licensed clinician signs (the AB 3030 exemption)."""
    ALWAYS = "always"
    """Include the disclaimer whenever any AI draft text was used, reviewed or not."""


class DisclosureConfig(_Frozen):
    """The disclosure policy and the wording it appends."""

    policy: DisclosurePolicy = DisclosurePolicy.OMIT_WHEN_REVIEWED
    """When to include the disclaimer."""
    text: str | None = None
    """The disclaimer wording (fixed text; no patient data). None: the drafter's own footer wording in
    the message's language (:data:`replydraft.safety.DEFAULT_DISCLOSURE`)."""


DisclosureReason = Literal[
    "licensed_clinician_reviewed",
    "policy_always",
    "reviewer_not_licensed",
    "no_ai_content",
]


class DisclosureDecision(_Frozen):
    """Whether the AI disclaimer goes out with the reply, and why (recorded in the audit event)."""

    included: bool
    """True when :attr:`text` must be appended to the reply."""
    policy: DisclosurePolicy
    """The policy that was applied."""
    reason: DisclosureReason
    """Why: ``licensed_clinician_reviewed`` (AB 3030 exemption), ``policy_always``,
    ``reviewer_not_licensed`` or ``no_ai_content`` (the clinician started blank)."""
    text: str | None = None
    """The disclaimer that must go out (None when not included)."""
    in_final_text: bool = False
    """True when the signed text already carries a disclaimer (the drafter appends one to clinical
    drafts and the clinician may keep it). :attr:`SignedReply.outgoing_text` never adds a second one;
    with the exemption, a kept disclaimer simply stays: the clinician's text is never altered."""


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _decide_disclosure(
    config: DisclosureConfig, *, used_draft: bool, licensed: bool, final_text: str, language: str
) -> DisclosureDecision:
    from .safety import DEFAULT_DISCLOSURE

    lang = "es" if language.lower().startswith("es") else "en"
    text = config.text or DEFAULT_DISCLOSURE.get(lang, DEFAULT_AI_DISCLAIMER)
    known = {text, DEFAULT_AI_DISCLAIMER, *DEFAULT_DISCLOSURE.values()}
    final = _squash(final_text)
    present = any(_squash(k) in final for k in known)
    base = {"policy": config.policy, "in_final_text": present}
    if not used_draft:
        return DisclosureDecision(included=False, reason="no_ai_content", **base)
    if config.policy is DisclosurePolicy.ALWAYS:
        return DisclosureDecision(included=True, reason="policy_always", text=text, **base)
    if not licensed:
        return DisclosureDecision(included=True, reason="reviewer_not_licensed", text=text, **base)
    return DisclosureDecision(included=False, reason="licensed_clinician_reviewed", **base)


# --------------------------------------------------------------------------- records


class SignedReply(_Frozen):
    """A reply a clinician approved. Immutable; the library never sends it.

    ``final_text`` and ``draft_text`` may contain PHI and are excluded from repr.
    """

    audit_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    """Id of this sign event."""
    draft_audit_id: str
    """``audit_id`` of the draft that was signed (joins the draft and sign audit events)."""
    message_id: str
    """Id of the portal message answered."""
    patient_id: str | None = Field(default=None, repr=False)
    """Chart id of the patient (hashed in audit events)."""
    clinician_id: str
    """Opaque id of the signing clinician (a staff user id, not a name)."""
    final_text: str = Field(repr=False)
    """The text the clinician approved, as written (without the disclaimer)."""
    draft_text: str = Field(default="", repr=False)
    """The draft the clinician was shown."""
    started_blank: bool = False
    """True when the clinician discarded the draft text and wrote from scratch."""
    used_draft: bool
    """True when the reply was built from the AI draft (not blank, and a draft existed)."""
    metrics: EditMetrics
    """Edit metrics from draft to final text."""
    disclosure: DisclosureDecision
    """Whether the AI disclaimer goes out, and why."""
    acknowledged: bool = False
    """True when the clinician explicitly acknowledged an escalation or blocking flags."""
    acknowledged_flags: tuple[str, ...] = ()
    """Codes of the blocking/escalation flags acknowledged."""
    flag_codes: tuple[str, ...] = ()
    """Codes of every flag the draft carried."""
    urgency: Urgency | None = None
    """Triage urgency of the message."""
    intent: Intent | None = None
    """Triage intent of the message."""
    draft_status: str = "drafted"
    """Status of the signed draft (drafted | escalated | failed)."""
    draft_created_at: datetime | None = None
    """When the draft was made."""
    opened_at: datetime | None = None
    """When the clinician opened the draft, if the caller said."""
    signed_at: datetime
    """When the clinician signed (``reviewed_at``)."""
    seconds_to_sign: float | None = None
    """``signed_at - opened_at`` in seconds (None without ``opened_at``)."""
    seconds_since_draft: float | None = None
    """``signed_at - draft_created_at`` in seconds: the turnaround the patient saw."""

    @property
    def outgoing_text(self) -> str:
        """The text to send: the signed text plus the disclaimer when the decision includes it."""
        d = self.disclosure
        if d.included and d.text and not d.in_final_text:
            return f"{self.final_text.rstrip()}\n\n{d.text}"
        return self.final_text

    def _repr_html_(self) -> str:
        from ._html import render_signed_reply

        return render_signed_reply(self)


class DiscardReason(str, Enum):
    """Why a clinician rejected a draft (codes, never free text: free text can carry PHI)."""

    INACCURATE = "inaccurate"
    """Wrong facts or misread chart data."""
    UNSAFE = "unsafe"
    """Clinically unsafe advice or promises."""
    NOT_HELPFUL = "not_helpful"
    """Correct but not useful; faster to write from scratch."""
    TONE = "tone"
    """Wrong tone, length or reading level."""
    NEEDS_VISIT = "needs_visit"
    """The message needs a call or a visit, not a written reply."""
    WRONG_PATIENT_CONTEXT = "wrong_patient_context"
    """The chart context was wrong or missing."""
    ESCALATED = "escalated"
    """Handled as an emergency outside the portal."""
    OTHER = "other"
    """Anything else."""


# Custom codes are allowed (organisations have their own taxonomies) but must look like codes, so a
# sentence with a patient's name in it cannot slip into the audit trail as a "reason".
_REASON_CODE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


class DiscardRecord(_Frozen):
    """A clinician's rejection of a draft."""

    audit_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    """Id of this discard event."""
    draft_audit_id: str
    """``audit_id`` of the discarded draft."""
    message_id: str
    """Id of the portal message."""
    patient_id: str | None = Field(default=None, repr=False)
    """Chart id of the patient (hashed in audit events)."""
    reason: str
    """A :class:`DiscardReason` value or an organisation's own code (``[a-z][a-z0-9_.-]*``)."""
    clinician_id: str | None = None
    """Opaque id of the clinician, where given."""
    flag_codes: tuple[str, ...] = ()
    """Codes of every flag the draft carried."""
    urgency: Urgency | None = None
    """Triage urgency of the message."""
    intent: Intent | None = None
    """Triage intent of the message."""
    draft_status: str = "drafted"
    """Status of the discarded draft."""
    discarded_at: datetime
    """When it was discarded."""


# --------------------------------------------------------------------------- once-only registry


class _FinalizedRegistry:
    """Which drafts (by ``audit_id``) were signed or discarded in this process.

    Bounded so a long-running server does not grow without limit: the oldest entries are forgotten
    first. 200,000 entries of 32-character ids is about 40 MB, and a draft that old is not going to be
    double-clicked; the backend's store remains the durable guard.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._done: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries

    def claim(self, audit_id: str, action: str) -> None:
        """Atomically mark ``audit_id`` finalized, or raise when it already is."""
        with self._lock:
            previous = self._done.get(audit_id)
            if previous is not None:
                raise AlreadyFinalizedError(f"draft {audit_id} was already {previous}")
            self._done[audit_id] = action
            while len(self._done) > self._max:
                self._done.popitem(last=False)

    def release(self, audit_id: str) -> None:
        """Undo a claim (the audit write failed, so the action did not happen)."""
        with self._lock:
            self._done.pop(audit_id, None)

    def state(self, audit_id: str) -> str | None:
        """``"signed"``, ``"discarded"`` or None."""
        with self._lock:
            return self._done.get(audit_id)


_REGISTRY = _FinalizedRegistry()


def finalized_state(result: DraftResult) -> str | None:
    """Whether this draft was signed or discarded in this process (``"signed"``/``"discarded"``/None)."""
    return _REGISTRY.state(result.audit_id)


# --------------------------------------------------------------------------- actions


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _seconds_between(start: datetime | None, end: datetime, what: str) -> float | None:
    if start is None:
        return None
    if (start.tzinfo is None) != (end.tzinfo is None):
        raise ReviewError(f"cannot compare a timezone-aware and a naive timestamp ({what})", code="timestamp")
    seconds = (end - start).total_seconds()
    if seconds < 0 and what == "opened_at":
        raise ReviewError("reviewed_at is earlier than opened_at", code="timestamp")
    return seconds


def _escalation_codes(result: DraftResult) -> tuple[str, ...]:
    codes = [f.code for f in result.flags if f.severity == "blocking"]
    if result.status == "escalated" and not codes:
        codes.append("emergency_escalation")
    return tuple(dict.fromkeys(codes))


def sign(
    result: DraftResult,
    clinician_id: str,
    final_text: str,
    *,
    started_blank: bool = False,
    reviewed_at: datetime | None = None,
    opened_at: datetime | None = None,
    acknowledge: bool = False,
    disclosure: DisclosureConfig | DisclosurePolicy | str = DisclosurePolicy.OMIT_WHEN_REVIEWED,
    clinician_licensed: bool = True,
    audit: AuditSink | None = None,
    audit_salt: bytes | None = None,
    now: Callable[[], datetime] | None = None,
) -> SignedReply:
    """Record that a clinician approved ``final_text`` as the reply to ``result``'s message.

    Args:
        result: The draft shown to the clinician.
        clinician_id: Opaque id of the signing clinician (a staff user id, not a name).
        final_text: The text the clinician approved.
        started_blank: True when the clinician cleared the draft and wrote from scratch.
        reviewed_at: When they signed (default: now, UTC).
        opened_at: When they opened the draft; gives ``seconds_to_sign``.
        acknowledge: Required (True) to sign an escalated draft or one with blocking flags.
        disclosure: The AI-disclaimer policy (a :class:`DisclosureConfig`, or a policy name).
        clinician_licensed: Whether the signer is a licensed/certified provider (the AB 3030 exemption
            applies only then).
        audit: Where to record the sign event (optional). If recording fails the signature is rolled
            back and :class:`~replydraft.errors.AuditError` propagates: an unaudited signature does not
            count.
        audit_salt: Salt for the patient-id hash in the event (required with ``audit``).
        now: Clock used when ``reviewed_at`` is not given (tests).

    Returns:
        The immutable :class:`SignedReply`.

    Raises:
        EmptyReplyError: ``final_text`` is empty or only whitespace.
        AcknowledgementRequiredError: the draft is escalated or has blocking flags and ``acknowledge``
            is False.
        AlreadyFinalizedError: this draft was already signed or discarded in this process.
        ReviewError: ``clinician_id`` is empty or the timestamps are inconsistent.
    """
    if not clinician_id or not clinician_id.strip():
        raise ReviewError("clinician_id is required to sign", code="clinician_required")
    if not final_text or not final_text.strip():
        raise EmptyReplyError(f"cannot sign draft {result.audit_id} with empty text")
    needs_ack = _escalation_codes(result) if (result.status == "escalated" or result.blocking) else ()
    if needs_ack and not acknowledge:
        raise AcknowledgementRequiredError(
            f"draft {result.audit_id} is escalated or has blocking flags ({', '.join(needs_ack)}); "
            "pass acknowledge=True to sign it"
        )
    config = _as_config(disclosure)
    signed_at = reviewed_at if reviewed_at is not None else (now or _now)()
    seconds_to_sign = _seconds_between(opened_at, signed_at, "opened_at")
    seconds_since_draft = _seconds_between(result.created_at, signed_at, "created_at")
    draft_text = result.body
    used_draft = not started_blank and bool(draft_text.strip())
    signed = SignedReply(
        draft_audit_id=result.audit_id,
        message_id=result.message_id,
        patient_id=result.patient_id,
        clinician_id=clinician_id,
        final_text=final_text,
        draft_text=draft_text,
        started_blank=started_blank,
        used_draft=used_draft,
        metrics=edit_metrics(draft_text, final_text),
        disclosure=_decide_disclosure(
            config,
            used_draft=used_draft,
            licensed=clinician_licensed,
            final_text=final_text,
            language=result.triage.language,
        ),
        acknowledged=bool(needs_ack) and acknowledge,
        acknowledged_flags=needs_ack if acknowledge else (),
        flag_codes=result.flag_codes,
        urgency=result.triage.urgency,
        intent=result.triage.intent,
        draft_status=result.status,
        draft_created_at=result.created_at,
        opened_at=opened_at,
        signed_at=signed_at,
        seconds_to_sign=seconds_to_sign,
        seconds_since_draft=seconds_since_draft,
    )
    _REGISTRY.claim(result.audit_id, "signed")
    if audit is not None:
        from .audit import sign_event

        try:
            audit.record(sign_event(signed, salt=_require_salt(audit_salt)))
        except BaseException:
            _REGISTRY.release(result.audit_id)
            raise
    logger.info(
        "draft %s signed (used_draft=%s, edit_ratio=%.3f)",
        result.audit_id,
        used_draft,
        signed.metrics.edit_distance_ratio,
    )
    return signed


def discard(
    result: DraftResult,
    reason: str | DiscardReason,
    *,
    clinician_id: str | None = None,
    discarded_at: datetime | None = None,
    audit: AuditSink | None = None,
    audit_salt: bytes | None = None,
    now: Callable[[], datetime] | None = None,
) -> DiscardRecord:
    """Record that a clinician rejected ``result``.

    Args:
        result: The rejected draft.
        reason: A :class:`DiscardReason` (or its value) or an organisation's own code matching
            ``[a-z][a-z0-9_.-]{0,63}``. Free text is refused: it could carry PHI into the audit trail.
        clinician_id: Opaque id of the clinician.
        discarded_at: When (default: now, UTC).
        audit: Where to record the discard event (optional; rolled back if recording fails).
        audit_salt: Salt for the patient-id hash (required with ``audit``).
        now: Clock used when ``discarded_at`` is not given (tests).

    Returns:
        The :class:`DiscardRecord`.

    Raises:
        AlreadyFinalizedError: this draft was already signed or discarded in this process.
        ReviewError: ``reason`` is not a code.
    """
    code = reason.value if isinstance(reason, DiscardReason) else str(reason)
    if not _REASON_CODE.fullmatch(code):
        # The message says what is wrong without echoing the (possibly PHI-bearing) value.
        raise ReviewError(
            "discard reason must be a DiscardReason value or a lowercase code like 'needs_visit'",
            code="invalid_reason",
        )
    record = DiscardRecord(
        draft_audit_id=result.audit_id,
        message_id=result.message_id,
        patient_id=result.patient_id,
        reason=code,
        clinician_id=clinician_id,
        flag_codes=result.flag_codes,
        urgency=result.triage.urgency,
        intent=result.triage.intent,
        draft_status=result.status,
        discarded_at=discarded_at if discarded_at is not None else (now or _now)(),
    )
    _REGISTRY.claim(result.audit_id, "discarded")
    if audit is not None:
        from .audit import discard_event

        try:
            audit.record(discard_event(record, salt=_require_salt(audit_salt)))
        except BaseException:
            _REGISTRY.release(result.audit_id)
            raise
    logger.info("draft %s discarded (reason=%s)", result.audit_id, code)
    return record


def _as_config(disclosure: DisclosureConfig | DisclosurePolicy | str) -> DisclosureConfig:
    if isinstance(disclosure, DisclosureConfig):
        return disclosure
    try:
        return DisclosureConfig(policy=DisclosurePolicy(disclosure))
    except ValueError as exc:
        allowed = ", ".join(p.value for p in DisclosurePolicy)
        raise ReviewError(f"unknown disclosure policy; expected one of {allowed}", code="disclosure") from exc


def _require_salt(salt: bytes | None) -> bytes:
    if salt is None:
        from .errors import ConfigurationError

        raise ConfigurationError("audit_salt is required when an audit sink is given")
    return salt
