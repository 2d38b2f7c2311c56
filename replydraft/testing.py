"""Public test doubles: fake LLM clients that record what they were sent.

Use them in your own tests instead of a real endpoint::

    from replydraft import Drafter, InMemoryChart
    from replydraft.testing import FakeLLM

    llm = FakeLLM()
    llm.enqueue_reply("Hi [PATIENT_NAME_1], your refill request was received.")
    drafter = Drafter(llm=llm, chart=InMemoryChart({...}))
    result = drafter.draft("Need a refill of lisinopril", patient_id="p1")
    assert "lisinopril" in llm.history[0].payload_text()
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .llm import LLMRequest, LLMResponse
from .models import TokenUsage

__all__ = [
    "AsyncFakeLLM",
    "AsyncFunctionLLM",
    "FakeLLM",
    "FunctionLLM",
    "reply_json",
]

DEFAULT_REPLY = "Thank you for your message. Your care team will review it and reply soon."

Scripted = str | LLMResponse | BaseException


def reply_json(reply: str, citations: Sequence[str] = (), **extra: Any) -> str:
    """Build the JSON a well-behaved model returns for the draft schema.

    Args:
        reply: The draft text (use placeholders such as ``[PATIENT_NAME_1]``).
        citations: Citation ids the model claims to use.
        **extra: Further schema fields.

    Returns:
        The JSON string.
    """
    return json.dumps({"reply": reply, "citations": list(citations), **extra})


class _Script:
    """Shared queue + history logic of the sync and async fakes."""

    def __init__(self, model: str, default: str | None) -> None:
        self._model = model
        self._default = default
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self.history: list[LLMRequest] = []
        """Every request received, in order."""

    @property
    def model(self) -> str:
        """The fake model's name."""
        return self._model

    def enqueue(self, *items: Scripted) -> None:
        """Queue raw contents, full responses, or exceptions to raise, in order."""
        with self._lock:
            self._queue.extend(items)

    def enqueue_reply(self, reply: str, citations: Sequence[str] = (), **extra: Any) -> None:
        """Queue a valid structured reply (see :func:`reply_json`)."""
        self.enqueue(reply_json(reply, citations, **extra))

    def _next(self, request: LLMRequest) -> LLMResponse:
        with self._lock:
            self.history.append(request)
            item: Scripted | None = self._queue.popleft() if self._queue else None
        if item is None:
            if self._default is None:
                raise AssertionError("FakeLLM: no scripted response left")
            item = reply_json(self._default)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, LLMResponse):
            return item
        prompt_tokens = sum(len(m.content.split()) for m in request.messages)
        return LLMResponse(
            content=item,
            model=self._model,
            usage=TokenUsage(prompt_tokens=prompt_tokens, completion_tokens=len(item.split())),
            finish_reason="stop",
        )


class FakeLLM(_Script):
    """A synchronous fake :class:`~replydraft.llm.LLMClient` with a script and a history.

    Args:
        model: Name it reports.
        default: Reply used when the script is empty (``None``: raise instead).
    """

    def __init__(self, model: str = "fake-model", default: str | None = DEFAULT_REPLY) -> None:
        super().__init__(model, default)

    def complete(self, request: LLMRequest) -> LLMResponse:
        """Return the next scripted response and record the request."""
        return self._next(request)


class AsyncFakeLLM(_Script):
    """The async twin of :class:`FakeLLM`."""

    def __init__(self, model: str = "fake-model", default: str | None = DEFAULT_REPLY) -> None:
        super().__init__(model, default)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Return the next scripted response and record the request."""
        return self._next(request)


class FunctionLLM:
    """A synchronous client whose reply is computed by a function of the request.

    Args:
        fn: Called with each request; returns the raw content or a full response.
        model: Name it reports.
    """

    def __init__(self, fn: Callable[[LLMRequest], str | LLMResponse], model: str = "function-model"):
        self._fn = fn
        self._model = model
        self.history: list[LLMRequest] = []

    @property
    def model(self) -> str:
        """The fake model's name."""
        return self._model

    def complete(self, request: LLMRequest) -> LLMResponse:
        """Call the function and wrap its result."""
        self.history.append(request)
        out = self._fn(request)
        if isinstance(out, LLMResponse):
            return out
        return LLMResponse(content=out, model=self._model, finish_reason="stop")


class AsyncFunctionLLM:
    """The async twin of :class:`FunctionLLM` (the function may be sync or async)."""

    def __init__(
        self,
        fn: Callable[[LLMRequest], str | LLMResponse | Awaitable[str | LLMResponse]],
        model: str = "function-model",
    ):
        self._fn = fn
        self._model = model
        self.history: list[LLMRequest] = []

    @property
    def model(self) -> str:
        """The fake model's name."""
        return self._model

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Call the function (awaiting it if needed) and wrap its result."""
        self.history.append(request)
        out = self._fn(request)
        if not isinstance(out, (str, LLMResponse)):
            out = await out
        if isinstance(out, LLMResponse):
            return out
        return LLMResponse(content=out, model=self._model, finish_reason="stop")
