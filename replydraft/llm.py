"""LLM client Protocols and the request/response types every client speaks.

Any object with a ``complete(request) -> LLMResponse`` method (and a ``model`` attribute) is an
:class:`LLMClient`; the async twin has ``async def complete``. The OpenAI-compatible implementations live
in :mod:`replydraft.openai_client`; test fakes in :mod:`replydraft.testing`.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from .models import TokenUsage

__all__ = [
    "AsyncLLMClient",
    "ChatMessage",
    "LLMClient",
    "LLMRequest",
    "LLMResponse",
]


class ChatMessage(BaseModel):
    """One chat message of a request."""

    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    """Who says it."""
    content: str = Field(repr=False)
    """The (de-identified) text."""


class LLMRequest(BaseModel):
    """A chat-completion request, provider-neutral.

    Attributes are what the egress guard scans: the complete outgoing payload is
    :meth:`payload_text`.
    """

    model_config = ConfigDict(frozen=True)

    messages: tuple[ChatMessage, ...]
    """The conversation, system prompt first."""
    json_schema: dict[str, Any] | None = None
    """JSON schema the reply must follow (sent as ``response_format`` json_schema where supported)."""
    schema_name: str = "draft_reply"
    """Name of the schema (OpenAI requires one)."""
    max_tokens: int = 600
    """Upper bound on output tokens."""
    temperature: float = 0.2
    """Sampling temperature."""
    seed: int | None = None
    """Sampling seed, where the endpoint supports one."""

    def payload_text(self) -> str:
        """Every string that will leave the process, joined: what the egress guard scans."""
        import json

        parts = [m.content for m in self.messages]
        if self.json_schema is not None:
            parts.append(json.dumps(self.json_schema, ensure_ascii=False))
        parts.append(self.schema_name)
        return "\n".join(parts)


class LLMResponse(BaseModel):
    """What came back from one chat-completion call."""

    model_config = ConfigDict(frozen=True)

    content: str = Field(repr=False)
    """The raw text the model produced (de-identified: it only ever saw placeholders)."""
    model: str
    """Model name the endpoint reports."""
    usage: TokenUsage = TokenUsage()
    """Token counts."""
    finish_reason: str | None = None
    """``stop``, ``length`` (truncated), ``content_filter`` ..."""
    latency_ms: float = 0.0
    """Wall time of the call in milliseconds."""
    request_id: str | None = None
    """Provider request id, where sent."""


@runtime_checkable
class LLMClient(Protocol):
    """A synchronous chat-completion client.

    Implementations own transport retries (the openai SDK retries 408/409/429/5xx); the drafter owns
    only the "output invalid -> ask again" loop.
    """

    @property
    def model(self) -> str:
        """Name of the model requests go to."""
        ...

    def complete(self, request: LLMRequest) -> LLMResponse:
        """Send one request and return the response.

        Raises:
            replydraft.errors.LLMError: on any transport or status failure.
        """
        ...


@runtime_checkable
class AsyncLLMClient(Protocol):
    """The async twin of :class:`LLMClient`."""

    @property
    def model(self) -> str:
        """Name of the model requests go to."""
        ...

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Send one request and return the response.

        Raises:
            replydraft.errors.LLMError: on any transport or status failure.
        """
        ...
