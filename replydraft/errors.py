"""The replydraft error tree.

Every public failure is a :class:`ReplyDraftError`. Errors carry ids, codes and counts, never message
text, draft text or identifiers: exceptions end up in error trackers and logs. Clinical outcomes (an
emergency triage, a failed safety check) are *not* errors: they are data on the
:class:`~replydraft.models.DraftResult`.

::

    ReplyDraftError
    ├── ConfigurationError            misuse at construction (wrong adapter kind, bad option)
    ├── InvalidMessageError           empty/oversized/non-text/NUL/surrogate input
    ├── PromptError                   a template is missing, fails to render, or misses a variable
    ├── DeidentificationError         the de-identifier failed
    │   └── PHILeakError              the egress guard found an identifier in an outgoing payload
    ├── ChartError                    the chart source failed
    │   ├── PatientNotFoundError      no such patient (HTTP 404 / unknown id)
    │   ├── ChartAuthError            authentication or authorisation failed (401/403, token endpoint)
    │   ├── ChartTimeoutError         the chart server did not answer in time
    │   ├── ChartServerError          the server answered with an error (OperationOutcome, 5xx)
    │   └── ChartDataError            a bundle/resource could not be read at all
    ├── LLMError                      the language-model call failed
    │   ├── LLMConnectionError        could not reach the endpoint
    │   ├── LLMTimeoutError           the endpoint did not answer in time
    │   ├── LLMRateLimitError         429 after the SDK's own retries
    │   ├── LLMAuthenticationError    401/403 from the endpoint
    │   ├── LLMStatusError            any other non-2xx status
    │   └── LLMOutputError            invalid or truncated output after the bounded re-asks
    ├── LocalModelError               the in-process model server or a model file
    │   ├── ModelNotFoundError        no model file in the cache or at the given path
    │   └── ModelIntegrityError       sha256 mismatch: the file is not the one we pinned
    ├── ReviewError                   a physician's sign/discard was not valid
    │   ├── AlreadyFinalizedError     signed or discarded twice
    │   ├── EmptyReplyError           signing with empty text
    │   └── AcknowledgementRequiredError  signing an escalation/blocking flags without acknowledging
    └── AuditError                    the audit sink could not record an event
"""

from __future__ import annotations

__all__ = [
    "AcknowledgementRequiredError",
    "AlreadyFinalizedError",
    "AuditError",
    "ChartAuthError",
    "ChartDataError",
    "ChartError",
    "ChartServerError",
    "ChartTimeoutError",
    "ConfigurationError",
    "DeidentificationError",
    "EmptyReplyError",
    "InvalidMessageError",
    "LLMAuthenticationError",
    "LLMConnectionError",
    "LLMError",
    "LLMOutputError",
    "LLMRateLimitError",
    "LLMStatusError",
    "LLMTimeoutError",
    "LocalModelError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "PHILeakError",
    "PatientNotFoundError",
    "PromptError",
    "ReplyDraftError",
    "ReviewError",
]


class ReplyDraftError(Exception):
    """Base class of every error raised by replydraft.

    Attributes:
        code: A short machine-readable code (stable across releases).
    """

    code: str = "replydraft_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def retryable(self) -> bool:
        """Whether trying the same call again later may succeed."""
        return False


class ConfigurationError(ReplyDraftError):
    """The library was configured or wired incorrectly (a programming error, not bad data)."""

    code = "configuration"


class InvalidMessageError(ReplyDraftError, ValueError):
    """The portal message cannot be processed (empty, too long, not text, NUL bytes, surrogates).

    Attributes:
        reason: Machine-readable reason, e.g. ``"empty"``, ``"too_long"``, ``"nul_byte"``.
        length: The message length in characters, where known.
    """

    code = "invalid_message"

    def __init__(self, message: str, *, reason: str, length: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.length = length


class PromptError(ReplyDraftError):
    """A prompt template is missing, invalid, or references an undefined variable.

    Attributes:
        template: The template name (never the rendered text).
    """

    code = "prompt"

    def __init__(self, message: str, *, template: str | None = None) -> None:
        super().__init__(message)
        self.template = template


class DeidentificationError(ReplyDraftError):
    """De-identification failed; nothing was sent."""

    code = "deidentification"


class PHILeakError(DeidentificationError):
    """The egress guard found an identifier in an outgoing LLM payload; the request was not sent.

    Attributes:
        kinds: The kinds of identifier found (e.g. ``("NAME", "PHONE")``), never the values.
        count: How many occurrences were found.
    """

    code = "phi_leak"

    def __init__(self, message: str, *, kinds: tuple[str, ...] = (), count: int = 0) -> None:
        super().__init__(message)
        self.kinds = kinds
        self.count = count


class ChartError(ReplyDraftError):
    """The chart source failed.

    Attributes:
        status_code: The HTTP status where one applies.
        issue_codes: FHIR OperationOutcome ``issue.code`` values, where the server sent them.
        resource_type: The FHIR resource type being read, where known.
    """

    code = "chart"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        issue_codes: tuple[str, ...] = (),
        resource_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.issue_codes = issue_codes
        self.resource_type = resource_type


class PatientNotFoundError(ChartError):
    """The chart has no patient with the given id."""

    code = "patient_not_found"


class ChartAuthError(ChartError):
    """Authentication or authorisation with the chart server failed."""

    code = "chart_auth"


class ChartTimeoutError(ChartError):
    """The chart server did not answer in time."""

    code = "chart_timeout"

    @property
    def retryable(self) -> bool:  # noqa: D102 - documented on the base class
        return True


class ChartServerError(ChartError):
    """The chart server answered with an error status or an OperationOutcome."""

    code = "chart_server"

    @property
    def retryable(self) -> bool:  # noqa: D102 - documented on the base class
        return self.status_code is None or self.status_code >= 500


class ChartDataError(ChartError):
    """A chart file or resource could not be read at all."""

    code = "chart_data"


class LLMError(ReplyDraftError):
    """The language-model call failed.

    Attributes:
        status_code: HTTP status where one applies.
        request_id: The provider's request id, where it sent one.
    """

    code = "llm"

    def __init__(
        self, message: str, *, status_code: int | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id


class LLMConnectionError(LLMError):
    """The LLM endpoint could not be reached."""

    code = "llm_connection"

    @property
    def retryable(self) -> bool:  # noqa: D102 - documented on the base class
        return True


class LLMTimeoutError(LLMConnectionError):
    """The LLM endpoint did not answer in time."""

    code = "llm_timeout"


class LLMRateLimitError(LLMError):
    """The endpoint kept answering 429 after the SDK's own retries."""

    code = "llm_rate_limit"

    @property
    def retryable(self) -> bool:  # noqa: D102 - documented on the base class
        return True


class LLMAuthenticationError(LLMError):
    """The endpoint rejected the credentials (401/403)."""

    code = "llm_auth"


class LLMStatusError(LLMError):
    """The endpoint answered with another non-2xx status."""

    code = "llm_status"

    @property
    def retryable(self) -> bool:  # noqa: D102 - documented on the base class
        return self.status_code is not None and self.status_code >= 500


class LLMOutputError(LLMError):
    """The model's output stayed invalid (bad JSON, wrong schema, truncated) after bounded re-asks.

    Attributes:
        attempts: How many times the model was asked.
        reason: Machine-readable reason of the last failure (``"invalid_json"``, ``"schema"``,
            ``"truncated"``, ``"empty"``).
    """

    code = "llm_output"

    def __init__(self, message: str, *, attempts: int, reason: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.reason = reason


class LocalModelError(ReplyDraftError):
    """The in-process local model server or a model file failed."""

    code = "local_model"


class ModelNotFoundError(LocalModelError):
    """The model file is not in the cache or at the given path (fetch it explicitly)."""

    code = "model_not_found"


class ModelIntegrityError(LocalModelError):
    """A model file's sha256 does not match the pinned value; it was not loaded."""

    code = "model_integrity"


class ReviewError(ReplyDraftError):
    """A physician's sign or discard action was not valid."""

    code = "review"


class AlreadyFinalizedError(ReviewError):
    """The draft was already signed or discarded."""

    code = "already_finalized"


class EmptyReplyError(ReviewError):
    """The final text to sign is empty."""

    code = "empty_reply"


class AcknowledgementRequiredError(ReviewError):
    """Signing an escalation or a draft with blocking flags needs an explicit acknowledgement."""

    code = "acknowledgement_required"


class AuditError(ReplyDraftError):
    """The audit sink could not record an event."""

    code = "audit"
