"""OpenAI-compatible chat-completion clients (sync and async) over the official ``openai`` SDK.

One implementation serves OpenAI, Azure OpenAI (inject an ``openai.AzureOpenAI`` client), vLLM, Ollama,
llama.cpp and the in-process :class:`replydraft.local.LocalModelServer`: anything that speaks
``POST /v1/chat/completions``.

Responsibilities, and what is deliberately *not* here:

* Structured output: a request with a ``json_schema`` is sent as ``response_format`` json_schema
  (``strict``). Servers that reject that (HTTP 400/422 naming ``response_format``/``json_schema``) are
  asked again in JSON mode, then without ``response_format``; the downgrade is remembered per client.
* Transport retries belong to the SDK (408/409/429/5xx, ``Retry-After`` honoured, ``max_retries``,
  ``timeout``). There is no second retry layer here; the drafter owns only "output invalid -> ask again".
* Every SDK failure becomes a :mod:`replydraft.errors` error, chained. SDK messages can echo the request
  body, so they are never copied: an error carries the status, a sanitised error code and the request id.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import openai

from .errors import (
    ConfigurationError,
    LLMAuthenticationError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMStatusError,
    LLMTimeoutError,
)
from .llm import LLMRequest, LLMResponse
from .models import TokenUsage

if TYPE_CHECKING:
    import httpx2
    from openai.types.chat import ChatCompletion
    from typing_extensions import Self

__all__ = ["AsyncOpenAIClient", "OpenAIClient", "StructuredMode"]

logger = logging.getLogger(__name__)

StructuredMode = Literal["auto", "json_schema", "json_object"]
"""How a request with a JSON schema is sent (see :class:`OpenAIClient`)."""

_Level = Literal["json_schema", "json_object", "none"]
_LEVELS: tuple[_Level, ...] = ("json_schema", "json_object", "none")

# Words an endpoint uses when it does not support a response_format variant. Matched case-insensitively
# against the error body; the body itself is never copied anywhere (it may echo the request).
_UNSUPPORTED_HINTS = re.compile(
    r"response_format|json_schema|json_object|structured|not supported|unsupported|not implemented",
    re.IGNORECASE,
)
# Error codes and request ids are copied into our messages only if they look like identifiers.
_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_.:\-]{1,80}$")


def _safe(value: object) -> str | None:
    if isinstance(value, str) and _SAFE_TOKEN.match(value):
        return value
    return None


class _ClientCore:
    """State and pure steps shared by the sync and async clients (no I/O here)."""

    def __init__(self, model: str, structured: StructuredMode) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ConfigurationError("model must be a non-empty string")
        if structured not in ("auto", "json_schema", "json_object"):
            raise ConfigurationError("structured must be 'auto', 'json_schema' or 'json_object'")
        self._model = model
        self._structured: StructuredMode = structured
        self._lock = threading.Lock()
        self._level: _Level = "json_object" if structured == "json_object" else "json_schema"

    @property
    def model(self) -> str:
        """Name of the model requests go to (the Azure *deployment* name for Azure OpenAI)."""
        return self._model

    @property
    def structured_mode(self) -> _Level:
        """How schema requests are currently sent: ``json_schema``, ``json_object`` or ``none``.

        Starts at ``json_schema`` (``json_object`` when constructed with ``structured="json_object"``)
        and only moves down, when the endpoint rejects the current form.
        """
        with self._lock:
            return self._level

    def _current_level(self) -> _Level:
        with self._lock:
            return self._level

    def _downgrade(self, rejected: _Level) -> _Level | None:
        """Record that ``rejected`` is unsupported; return the level to try next, or None to give up."""
        if self._structured != "auto" or rejected == "none":
            return None
        nxt = _LEVELS[_LEVELS.index(rejected) + 1]
        with self._lock:
            # Another thread may already have downgraded further: never move back up.
            if _LEVELS.index(self._level) < _LEVELS.index(nxt):
                self._level = nxt
                logger.info("endpoint rejected response_format=%s; using %s from now on", rejected, nxt)
            return self._level

    def _kwargs(self, request: LLMRequest, level: _Level) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.json_schema is not None:
            if level == "json_schema":
                kwargs["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {
                        "name": request.schema_name,
                        "schema": request.json_schema,
                        "strict": True,
                    },
                }
            elif level == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
        return kwargs

    def _parse(self, completion: ChatCompletion, started: float) -> LLMResponse:
        latency_ms = (time.perf_counter() - started) * 1000.0
        content = ""
        finish_reason: str | None = None
        if completion.choices:
            choice = completion.choices[0]
            content = choice.message.content or ""
            finish_reason = choice.finish_reason
        usage = TokenUsage()
        if completion.usage is not None:
            usage = TokenUsage(
                prompt_tokens=completion.usage.prompt_tokens or 0,
                completion_tokens=completion.usage.completion_tokens or 0,
            )
        request_id = _safe(getattr(completion, "_request_id", None)) or _safe(completion.id)
        logger.debug(
            "completion request_id=%s finish=%s prompt_tokens=%d completion_tokens=%d latency_ms=%.0f",
            request_id,
            finish_reason,
            usage.prompt_tokens,
            usage.completion_tokens,
            latency_ms,
        )
        return LLMResponse(
            content=content,
            model=completion.model or self._model,
            usage=usage,
            finish_reason=finish_reason,
            latency_ms=latency_ms,
            request_id=request_id,
        )


def _rejects_format(exc: openai.APIStatusError, request: LLMRequest) -> bool:
    """Whether ``exc`` says the endpoint does not support the response_format we sent."""
    if request.json_schema is None or exc.status_code not in (400, 422):
        return False
    # The SDK's message embeds the raw body when it is not JSON; the parsed body covers the rest.
    text = f"{exc.message} {exc.body!r}"
    return bool(_UNSUPPORTED_HINTS.search(text))


def _map_error(exc: openai.OpenAIError) -> LLMError:
    """Translate an SDK exception into the replydraft tree, without copying its (body-echoing) message."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeoutError("the LLM endpoint did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        return LLMConnectionError("could not connect to the LLM endpoint")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        request_id = _safe(exc.request_id)
        code = _safe(exc.code)
        detail = f"HTTP {status}"
        if code:
            detail += f", code={code}"
        if request_id:
            detail += f", request_id={request_id}"
        if isinstance(exc, openai.RateLimitError):
            return LLMRateLimitError(
                f"the LLM endpoint kept rate-limiting after the SDK's retries ({detail})",
                status_code=status,
                request_id=request_id,
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMAuthenticationError(
                f"the LLM endpoint rejected the credentials ({detail})",
                status_code=status,
                request_id=request_id,
            )
        return LLMStatusError(
            f"the LLM endpoint answered with an error ({detail})", status_code=status, request_id=request_id
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return LLMStatusError(
            f"the LLM endpoint sent a response that does not parse (HTTP {exc.status_code})",
            status_code=exc.status_code,
        )
    return LLMError(f"the LLM call failed ({type(exc).__name__})")


def _build_check(
    client: object | None,
    base_url: str | None,
    api_key: str | None,
    http_client: object | None,
    organization: str | None,
    default_headers: Mapping[str, str] | None,
) -> None:
    if client is not None and any(
        v is not None for v in (base_url, api_key, http_client, organization, default_headers)
    ):
        raise ConfigurationError(
            "pass either client= (a configured openai client) or base_url/api_key/http_client/"
            "organization/default_headers, not both"
        )


def _construction_error(exc: openai.OpenAIError) -> ConfigurationError:
    # The SDK's only construction failure is a missing credential; its message names the env var.
    return ConfigurationError(
        "the openai SDK could not be configured: pass api_key=... or set OPENAI_API_KEY "
        "(local servers such as vLLM, Ollama or llama.cpp accept any non-empty string)"
    )


_SDK = TypeVar("_SDK", openai.OpenAI, openai.AsyncOpenAI)


def _sdk_client(
    sdk: type[_SDK],
    wrong: type[openai.OpenAI | openai.AsyncOpenAI],
    wrong_message: str,
    client: _SDK | None,
    *,
    base_url: str | None,
    api_key: str | None,
    timeout: float,
    max_retries: int,
    http_client: Any,
    organization: str | None,
    default_headers: Mapping[str, str] | None,
) -> tuple[_SDK, bool]:
    """The SDK client both twins wrap, and whether the wrapper owns (and so closes) it."""
    _build_check(client, base_url, api_key, http_client, organization, default_headers)
    if client is not None:
        if isinstance(client, wrong):
            raise ConfigurationError(wrong_message)
        return client, False
    try:
        made = sdk(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            organization=organization,
            default_headers=default_headers,
        )
    except openai.OpenAIError as exc:
        raise _construction_error(exc) from exc
    return made, True


class OpenAIClient(_ClientCore):
    """Synchronous client for any OpenAI-compatible chat-completion endpoint.

    Example::

        from replydraft import OpenAIClient
        from replydraft.llm import ChatMessage, LLMRequest

        with OpenAIClient("gpt-4o-mini") as llm:          # reads OPENAI_API_KEY
            reply = llm.complete(LLMRequest(messages=(ChatMessage(role="user", content="Hi"),)))

        local = OpenAIClient("qwen2.5", base_url="http://127.0.0.1:8080/v1", api_key="none")

    Azure OpenAI: build the SDK client yourself and inject it; ``model`` is the deployment name::

        azure = openai.AzureOpenAI(azure_endpoint=..., api_version="2024-10-21", api_key=...)
        llm = OpenAIClient("my-gpt4o-deployment", client=azure)

    Args:
        model: Model name (deployment name on Azure; the served alias on vLLM/Ollama/llama.cpp).
        base_url: Endpoint root including ``/v1``. When None, the SDK reads ``OPENAI_BASE_URL``, then
            uses ``https://api.openai.com/v1``.
        api_key: API key. When None, the SDK reads ``OPENAI_API_KEY``; construction fails with
            :class:`~replydraft.errors.ConfigurationError` if neither is set. Local servers accept any
            non-empty string.
        timeout: Seconds per HTTP attempt (the SDK's ``timeout``).
        max_retries: Transport retries the SDK makes on connection errors, 408/409/429/5xx, honouring
            ``Retry-After``. There is no other retry layer.
        client: A ready ``openai.OpenAI`` (or ``openai.AzureOpenAI``) client, used as configured: then
            ``timeout``/``max_retries`` are ignored and ``base_url``/``api_key``/``http_client``/
            ``organization``/``default_headers`` must not be given.
        http_client: An ``httpx2.Client`` for the SDK to use (proxies, mTLS, ``httpx2.MockTransport`` in
            tests).
        structured: ``"auto"`` (default) sends ``response_format`` json_schema and, if the endpoint
            rejects it, falls back to JSON mode and then to no ``response_format`` (remembered for this
            client; validate the content yourself). ``"json_schema"`` or ``"json_object"`` use only
            that form and never fall back.
        organization: OpenAI organization id (the SDK reads ``OPENAI_ORG_ID`` when None).
        default_headers: Extra headers sent with every request.

    Raises:
        ConfigurationError: conflicting options or no API key.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        client: openai.OpenAI | None = None,
        http_client: httpx2.Client | None = None,
        structured: StructuredMode = "auto",
        organization: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(model, structured)
        self._client, self._owns_client = _sdk_client(
            openai.OpenAI,
            openai.AsyncOpenAI,
            "OpenAIClient needs openai.OpenAI; use AsyncOpenAIClient",
            client,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            organization=organization,
            default_headers=default_headers,
        )

    def __repr__(self) -> str:
        return f"OpenAIClient(model={self._model!r}, base_url={str(self._client.base_url)!r})"

    def complete(self, request: LLMRequest) -> LLMResponse:
        """Send one chat-completion request.

        Args:
            request: The de-identified request.

        Returns:
            The content, ``finish_reason`` (``"length"`` means truncated), usage, latency and request id.

        Raises:
            LLMTimeoutError: no answer within ``timeout`` (after the SDK's retries).
            LLMConnectionError: the endpoint could not be reached.
            LLMRateLimitError: still HTTP 429 after the SDK's retries.
            LLMAuthenticationError: HTTP 401/403.
            LLMStatusError: any other non-2xx status.
        """
        level = self._current_level()
        while True:
            started = time.perf_counter()
            try:
                completion = self._client.chat.completions.create(**self._kwargs(request, level))
            except openai.APIStatusError as exc:
                if _rejects_format(exc, request):
                    nxt = self._downgrade(level)
                    if nxt is not None and nxt != level:
                        level = nxt
                        continue
                raise _map_error(exc) from exc
            except openai.OpenAIError as exc:
                raise _map_error(exc) from exc
            return self._parse(completion, started)

    def close(self) -> None:
        """Close the SDK client if this object created it (an injected client stays open)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncOpenAIClient(_ClientCore):
    """Asynchronous twin of :class:`OpenAIClient` over ``openai.AsyncOpenAI``; same arguments and rules.

    Example::

        async with AsyncOpenAIClient("gpt-4o-mini") as llm:
            reply = await llm.complete(request)

    Azure OpenAI: inject ``openai.AsyncAzureOpenAI(...)`` as ``client=``; ``model`` is the deployment.

    Args:
        model: Model name (deployment name on Azure; the served alias on vLLM/Ollama/llama.cpp).
        base_url: Endpoint root including ``/v1``. When None, the SDK reads ``OPENAI_BASE_URL``, then
            uses ``https://api.openai.com/v1``.
        api_key: API key. When None, the SDK reads ``OPENAI_API_KEY``; construction fails with
            :class:`~replydraft.errors.ConfigurationError` if neither is set.
        timeout: Seconds per HTTP attempt.
        max_retries: Transport retries the SDK makes (connection errors, 408/409/429/5xx, ``Retry-After``).
        client: A ready ``openai.AsyncOpenAI`` (or ``openai.AsyncAzureOpenAI``) client, used as
            configured (``timeout``/``max_retries`` ignored; connection options must not be given).
        http_client: An ``httpx2.AsyncClient`` for the SDK to use.
        structured: ``"auto"``, ``"json_schema"`` or ``"json_object"`` (see :class:`OpenAIClient`).
        organization: OpenAI organization id (the SDK reads ``OPENAI_ORG_ID`` when None).
        default_headers: Extra headers sent with every request.

    Raises:
        ConfigurationError: conflicting options or no API key.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        client: openai.AsyncOpenAI | None = None,
        http_client: httpx2.AsyncClient | None = None,
        structured: StructuredMode = "auto",
        organization: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(model, structured)
        self._client, self._owns_client = _sdk_client(
            openai.AsyncOpenAI,
            openai.OpenAI,
            "AsyncOpenAIClient needs openai.AsyncOpenAI; use OpenAIClient",
            client,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            organization=organization,
            default_headers=default_headers,
        )

    def __repr__(self) -> str:
        return f"AsyncOpenAIClient(model={self._model!r}, base_url={str(self._client.base_url)!r})"

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Send one chat-completion request (see :meth:`OpenAIClient.complete`).

        Args:
            request: The de-identified request.

        Returns:
            The content, ``finish_reason``, usage, latency and request id.

        Raises:
            LLMError: the matching subclass, as for :meth:`OpenAIClient.complete`.
        """
        level = self._current_level()
        while True:
            started = time.perf_counter()
            try:
                completion = await self._client.chat.completions.create(**self._kwargs(request, level))
            except openai.APIStatusError as exc:
                if _rejects_format(exc, request):
                    nxt = self._downgrade(level)
                    if nxt is not None and nxt != level:
                        level = nxt
                        continue
                raise _map_error(exc) from exc
            except openai.OpenAIError as exc:
                raise _map_error(exc) from exc
            return self._parse(completion, started)

    async def aclose(self) -> None:
        """Close the SDK client if this object created it (an injected client stays open)."""
        if self._owns_client:
            await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
