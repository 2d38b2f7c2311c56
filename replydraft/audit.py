"""The audit trail: one event per draft, sign and discard, with ids and numbers but never text.

An :class:`AuditEvent` carries ids, an HMAC-SHA256 of the patient id under a salt the deployment
chooses, timestamps, the triage verdict, model and prompt (name + sha256), token usage, latency, flag
*codes* and edit metrics. It has no field that can hold message text, draft text or a patient
identifier, and the builders (:func:`draft_event`, :func:`sign_event`, :func:`discard_event`) are the
only way the library fills one.

Sinks are anything with ``record(event)`` and ``close()`` (:class:`AuditSink`). Two ship here:
:class:`JSONLAuditSink` (append-only JSON lines, flushed and fsynced per event, thread-safe, rotated by
size) and :class:`InMemoryAuditSink` for tests and notebooks.

Example:
    >>> sink = JSONLAuditSink("audit.jsonl", max_bytes=50_000_000)  # doctest: +SKIP
    >>> drafter = Drafter(llm, chart, audit=sink, audit_salt=salt)  # doctest: +SKIP
    >>> signed = result.sign("dr-417", text, audit=sink, audit_salt=salt)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from .errors import AuditError, ConfigurationError

if TYPE_CHECKING:
    from .models import DraftResult
    from .review import DiscardRecord, SignedReply

__all__ = [
    "AUDIT_SCHEMA_VERSION",
    "MIN_SALT_BYTES",
    "AuditEvent",
    "AuditEventKind",
    "AuditSink",
    "InMemoryAuditSink",
    "JSONLAuditSink",
    "check_salt",
    "discard_event",
    "draft_event",
    "hash_patient_id",
    "sign_event",
]

logger = logging.getLogger(__name__)

AUDIT_SCHEMA_VERSION = 1
"""Version of the event layout; bumped on any incompatible change."""
MIN_SALT_BYTES = 16
"""Patient ids are short and guessable: a short salt would let anyone holding the log enumerate them."""

AuditEventKind = Literal["draft", "sign", "discard"]


class AuditEvent(BaseModel):
    """One audit record. Every field is an id, a code, a number or a timestamp: no text, no identifier.

    ``draft_audit_id`` joins the draft event with its later sign or discard event.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = AUDIT_SCHEMA_VERSION
    """Event layout version."""
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    """Unique id of this event."""
    kind: AuditEventKind
    """draft | sign | discard."""
    occurred_at: datetime
    """When the action happened (draft created, signed, discarded)."""
    recorded_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    """When the event was built."""
    draft_audit_id: str
    """The draft's ``audit_id``."""
    message_id: str
    """The portal message id (a system id, not PHI)."""
    patient_hash: str | None = None
    """HMAC-SHA256 (hex) of the patient's chart id under the deployment's salt."""
    status: str | None = None
    """Draft status: drafted | escalated | failed."""
    urgency: str | None = None
    """Triage urgency."""
    intent: str | None = None
    """Triage intent."""
    triage_reasons: tuple[str, ...] = ()
    """Rule ids that fired (fixed codes such as ``red_flag.chest_pain``)."""
    flags: tuple[str, ...] = ()
    """Flag codes, in order."""
    blocking_flags: tuple[str, ...] = ()
    """Codes of the blocking flags."""
    model: str | None = None
    """Model that wrote the draft."""
    prompt_name: str | None = None
    """User prompt template name."""
    prompt_sha256: str | None = None
    """sha256 of the user prompt template."""
    prompt_tokens: int | None = None
    """Input tokens."""
    completion_tokens: int | None = None
    """Output tokens."""
    latency_ms: float | None = None
    """Wall time of the draft."""
    llm_latency_ms: float | None = None
    """Time waiting for the model."""
    attempts: int | None = None
    """Model calls (1 + re-asks)."""
    citation_count: int | None = None
    """Chart facts provided or cited."""
    error_code: str | None = None
    """Error code of a failed draft."""
    clinician_id: str | None = None
    """Opaque staff id of the signing/discarding clinician (not a patient identifier)."""
    action_audit_id: str | None = None
    """``audit_id`` of the SignedReply / DiscardRecord."""
    started_blank: bool | None = None
    """Sign: the clinician wrote from scratch."""
    used_draft: bool | None = None
    """Sign: the reply was built from the AI draft."""
    acknowledged_flags: tuple[str, ...] = ()
    """Sign: blocking/escalation flag codes the clinician acknowledged."""
    disclosure_included: bool | None = None
    """Sign: whether the AI disclaimer goes out."""
    disclosure_policy: str | None = None
    """Sign: the disclosure policy applied."""
    disclosure_reason: str | None = None
    """Sign: why the disclaimer is (not) included."""
    disclosure_in_text: bool | None = None
    """Sign: whether the signed text already carried a disclaimer (e.g. the drafter's footer, kept)."""
    edit: dict[str, float | int | bool] | None = None
    """Sign: edit metrics (edit distance and ratio, ROUGE-1 P/R/F1, words added/removed, lengths)."""
    seconds_to_sign: float | None = None
    """Sign: time from opening to signing."""
    seconds_since_draft: float | None = None
    """Sign: time from draft to signing."""
    discard_reason: str | None = None
    """Discard: the reason code."""

    def to_json(self) -> str:
        """One JSON line (no trailing newline), ``None`` fields omitted to keep lines short."""
        return self.model_dump_json(exclude_none=True)


@runtime_checkable
class AuditSink(Protocol):
    """Where audit events go. Any object with these two methods is a sink.

    ``record`` must be durable when it returns (or raise :class:`~replydraft.errors.AuditError`), and
    safe to call from several threads.
    """

    def record(self, event: AuditEvent) -> None:
        """Store one event."""
        ...

    def close(self) -> None:
        """Release resources; later ``record`` calls fail."""
        ...


# --------------------------------------------------------------------------- hashing


def hash_patient_id(patient_id: str, salt: bytes) -> str:
    """HMAC-SHA256 of a patient id under ``salt``, hex-encoded.

    The same salt gives the same hash, so one patient's events can be joined without storing the id;
    without the salt the hash cannot be reversed by trying every plausible id.

    Args:
        patient_id: The chart id.
        salt: A secret of at least :data:`MIN_SALT_BYTES` bytes (e.g. ``secrets.token_bytes(32)``),
            kept outside the audit store.

    Returns:
        64 hex characters.

    Raises:
        ConfigurationError: the salt is not bytes or is too short.
    """
    _check_salt(salt)
    return hmac.new(salt, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()


def check_salt(salt: object) -> None:
    """Fail early (e.g. in a constructor) on a salt :func:`hash_patient_id` would refuse.

    Raises:
        ConfigurationError: the salt is not bytes or is shorter than :data:`MIN_SALT_BYTES`.
    """
    _check_salt(salt)


def _check_salt(salt: object) -> None:
    if not isinstance(salt, (bytes, bytearray)):
        raise ConfigurationError("audit salt must be bytes (e.g. secrets.token_bytes(32))")
    if len(salt) < MIN_SALT_BYTES:
        raise ConfigurationError(f"audit salt must be at least {MIN_SALT_BYTES} bytes")


def _patient_hash(patient_id: str | None, salt: bytes) -> str | None:
    _check_salt(salt)
    return None if patient_id is None else hash_patient_id(patient_id, salt)


# --------------------------------------------------------------------------- builders


def draft_event(result: DraftResult, *, salt: bytes) -> AuditEvent:
    """Build the audit event of a draft.

    Args:
        result: The draft (any status, including failed).
        salt: Salt for the patient-id hash.

    Returns:
        The event (kind ``draft``).
    """
    return AuditEvent(
        kind="draft",
        occurred_at=result.created_at,
        draft_audit_id=result.audit_id,
        message_id=result.message_id,
        patient_hash=_patient_hash(result.patient_id, salt),
        status=result.status,
        urgency=result.triage.urgency.value,
        intent=result.triage.intent.value,
        triage_reasons=result.triage.reasons,
        flags=result.flag_codes,
        blocking_flags=tuple(f.code for f in result.flags if f.severity == "blocking"),
        model=result.model,
        prompt_name=result.prompt_name,
        prompt_sha256=result.prompt_sha256,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        latency_ms=round(result.latency_ms, 3),
        llm_latency_ms=round(result.llm_latency_ms, 3),
        attempts=result.attempts,
        citation_count=len(result.citations),
        error_code=result.error.code if result.error is not None else None,
    )


def sign_event(signed: SignedReply, *, salt: bytes) -> AuditEvent:
    """Build the audit event of a signature (edit metrics and disclosure decision included).

    Args:
        signed: The signed reply.
        salt: Salt for the patient-id hash.

    Returns:
        The event (kind ``sign``).
    """
    m = signed.metrics
    edit: dict[str, float | int | bool] = {
        "edit_distance": m.edit_distance,
        "edit_distance_ratio": round(m.edit_distance_ratio, 6),
        "rouge1_precision": round(m.rouge1.precision, 6),
        "rouge1_recall": round(m.rouge1.recall, 6),
        "rouge1_f1": round(m.rouge1.f1, 6),
        "words_added": m.words_added,
        "words_removed": m.words_removed,
        "draft_chars": m.draft_chars,
        "final_chars": m.final_chars,
        "draft_words": m.draft_words,
        "final_words": m.final_words,
        "unchanged": m.unchanged,
    }
    return AuditEvent(
        kind="sign",
        occurred_at=signed.signed_at,
        draft_audit_id=signed.draft_audit_id,
        action_audit_id=signed.audit_id,
        message_id=signed.message_id,
        patient_hash=_patient_hash(signed.patient_id, salt),
        status=signed.draft_status,
        urgency=signed.urgency.value if signed.urgency is not None else None,
        intent=signed.intent.value if signed.intent is not None else None,
        flags=signed.flag_codes,
        clinician_id=signed.clinician_id,
        started_blank=signed.started_blank,
        used_draft=signed.used_draft,
        acknowledged_flags=signed.acknowledged_flags,
        disclosure_included=signed.disclosure.included,
        disclosure_policy=signed.disclosure.policy.value,
        disclosure_reason=signed.disclosure.reason,
        disclosure_in_text=signed.disclosure.in_final_text,
        edit=edit,
        seconds_to_sign=signed.seconds_to_sign,
        seconds_since_draft=signed.seconds_since_draft,
    )


def discard_event(record: DiscardRecord, *, salt: bytes) -> AuditEvent:
    """Build the audit event of a discarded draft.

    Args:
        record: The discard record.
        salt: Salt for the patient-id hash.

    Returns:
        The event (kind ``discard``).
    """
    return AuditEvent(
        kind="discard",
        occurred_at=record.discarded_at,
        draft_audit_id=record.draft_audit_id,
        action_audit_id=record.audit_id,
        message_id=record.message_id,
        patient_hash=_patient_hash(record.patient_id, salt),
        status=record.draft_status,
        urgency=record.urgency.value if record.urgency is not None else None,
        intent=record.intent.value if record.intent is not None else None,
        flags=record.flag_codes,
        clinician_id=record.clinician_id,
        discard_reason=record.reason,
    )


# --------------------------------------------------------------------------- sinks


class InMemoryAuditSink:
    """Keeps events in a list (tests, notebooks). Thread-safe.

    Example:
        >>> sink = InMemoryAuditSink()
        >>> sink.events
        []
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[AuditEvent] = []
        self._closed = False

    @property
    def events(self) -> list[AuditEvent]:
        """A copy of the events recorded so far, in order."""
        with self._lock:
            return list(self._events)

    def record(self, event: AuditEvent) -> None:
        """Append the event.

        Raises:
            AuditError: the sink is closed.
        """
        with self._lock:
            if self._closed:
                raise AuditError("audit sink is closed")
            self._events.append(event)

    def close(self) -> None:
        """Refuse further events (the recorded ones stay readable)."""
        with self._lock:
            self._closed = True

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


class JSONLAuditSink:
    """Append-only JSON-lines audit file, durable per event, rotated by size.

    Each :meth:`record` writes one line, flushes it and fsyncs the file before returning, under a
    lock, so events from many threads never interleave and a crash loses at most the event being
    written. The file is only ever opened for appending.

    Rotation: when a write would take the file past ``max_bytes``, it is renamed ``<name>.1`` (older
    files shift to ``.2``, ``.3`` ...) and a new file is started. With ``backups=None`` (the default)
    no rotated file is ever deleted — retention is a policy decision for the deployment, not the
    library; with ``backups=N`` only the N newest rotated files are kept.

    One process only: two processes appending to the same file need an external lock or separate files
    (e.g. one per worker: ``audit-{pid}.jsonl``).

    Args:
        path: The audit file (parent directories are created).
        max_bytes: Rotate before a write would exceed this size (0: never rotate).
        backups: How many rotated files to keep (None: keep all).
        fsync: Call ``os.fsync`` after every event (default True; turn off only where the filesystem
            or a journal already guarantees durability).

    Example:
        >>> with JSONLAuditSink(tmp_path / "audit.jsonl") as sink:  # doctest: +SKIP
        ...     sink.record(draft_event(result, salt=salt))
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = 0,
        backups: int | None = None,
        fsync: bool = True,
    ) -> None:
        if max_bytes < 0:
            raise ConfigurationError("max_bytes must be >= 0")
        if backups is not None and backups < 0:
            raise ConfigurationError("backups must be >= 0 or None")
        self._path = Path(path)
        self._max_bytes = max_bytes
        self._backups = backups
        self._fsync = fsync
        self._lock = threading.Lock()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file: Any = self._open()
        except OSError as exc:
            raise AuditError(f"cannot open audit file {self._path.name}") from exc
        self._size = self._path.stat().st_size

    @property
    def path(self) -> Path:
        """The current audit file."""
        return self._path

    def _open(self) -> Any:
        # Binary append: O_APPEND makes every write land at the end even if something else appended.
        return self._path.open("ab")

    def record(self, event: AuditEvent) -> None:
        """Append one event durably.

        Raises:
            AuditError: the sink is closed or the write/fsync failed.
        """
        line = (event.to_json() + "\n").encode("utf-8")
        with self._lock:
            if self._file is None:
                raise AuditError("audit sink is closed")
            try:
                if self._max_bytes and self._size > 0 and self._size + len(line) > self._max_bytes:
                    self._rotate()
                self._file.write(line)
                # flush() loops over partial raw writes; fsync then makes the line durable.
                self._file.flush()
                if self._fsync:
                    os.fsync(self._file.fileno())
            except OSError as exc:
                raise AuditError(f"cannot write audit event {event.event_id}") from exc
            self._size += len(line)

    def _rotate(self) -> None:
        self._file.close()
        self._file = None
        existing = self._rotated_indices()
        if self._backups is not None:
            for index in sorted(i for i in existing if i >= self._backups):
                self._rotated(index).unlink()
            existing = [i for i in existing if i < self._backups]
        if self._backups != 0:
            # Shift from the oldest down so no rename overwrites a file not yet moved.
            for index in sorted(existing, reverse=True):
                self._rotated(index).replace(self._rotated(index + 1))
            self._path.replace(self._rotated(1))
        else:
            self._path.unlink()
        self._file = self._open()
        self._size = 0
        logger.info("audit file rotated")

    def _rotated(self, index: int) -> Path:
        return self._path.with_name(f"{self._path.name}.{index}")

    def _rotated_indices(self) -> list[int]:
        prefix = self._path.name + "."
        out = []
        for p in self._path.parent.glob(self._path.name + ".*"):
            suffix = p.name[len(prefix) :]
            if suffix.isdigit():
                out.append(int(suffix))
        return out

    def close(self) -> None:
        """Close the file; later :meth:`record` calls raise :class:`AuditError`."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> JSONLAuditSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JSONLAuditSink(path={self._path.name!r}, max_bytes={self._max_bytes})"
