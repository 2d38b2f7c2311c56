"""Wire tests of the OpenAI-compatible clients: real SDK, fake transport (httpx2.MockTransport)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx2
import openai
import pytest

from replydraft.errors import (
    ConfigurationError,
    LLMAuthenticationError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMStatusError,
    LLMTimeoutError,
)
from replydraft.llm import AsyncLLMClient, ChatMessage, LLMClient, LLMRequest
from replydraft.openai_client import AsyncOpenAIClient, OpenAIClient

SECRET = "Jane Roe-Example MRN 88-1234567 lisinopril"  # synthetic; must never appear in an error
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"reply": {"type": "string", "maxLength": 200}},
    "required": ["reply"],
    "additionalProperties": False,
}

Handler = Callable[[httpx2.Request], httpx2.Response]


def request(schema: dict[str, Any] | None = SCHEMA, **kw: Any) -> LLMRequest:
    return LLMRequest(
        messages=(
            ChatMessage(role="system", content="Answer in JSON."),
            ChatMessage(role="user", content=SECRET),
        ),
        json_schema=schema,
        **kw,
    )


def completion(
    content: str | None = '{"reply": "ok"}',
    *,
    finish_reason: str = "stop",
    usage: dict[str, int] | None = None,
    model: str = "served-model",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }
    if usage is not None:
        body["usage"] = {**usage, "total_tokens": sum(usage.values())}
    return body


def error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> httpx2.Response:
    return httpx2.Response(
        status,
        json={"error": {"message": message, "type": "invalid_request_error", "code": code, "param": None}},
        headers=headers,
    )


class Recorder:
    """A MockTransport handler that records every request body and answers from a function."""

    def __init__(self, answer: Callable[[dict[str, Any], int], httpx2.Response]) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx2.Headers] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, req: httpx2.Request) -> httpx2.Response:
        body = json.loads(req.content)
        with self._lock:
            self.bodies.append(body)
            self.headers.append(req.headers)
            self.paths.append(req.url.path)
            n = len(self.bodies)
        return self.answer(body, n)

    async def handle_async(self, req: httpx2.Request) -> httpx2.Response:
        await req.aread()
        return self(req)


def ok(**kw: Any) -> Callable[[dict[str, Any], int], httpx2.Response]:
    return lambda _body, _n: httpx2.Response(200, json=completion(**kw), headers={"x-request-id": "req_42"})


def make_client(mode: str, rec: Recorder, **kw: Any) -> Callable[[LLMRequest], Any]:
    """A ``complete`` callable over the sync or the async client, both on the same recorder."""
    kw.setdefault("api_key", "sk-test")
    kw.setdefault("base_url", "http://llm.invalid/v1")
    if mode == "sync":
        client = OpenAIClient(
            "my-model", http_client=httpx2.Client(transport=httpx2.MockTransport(rec)), **kw
        )
        return client.complete
    aclient = AsyncOpenAIClient(
        "my-model", http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(rec.handle_async)), **kw
    )

    def run(req: LLMRequest) -> Any:
        return asyncio.run(aclient.complete(req))

    run.client = aclient  # type: ignore[attr-defined]
    return run


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the SDK's retry back-off instead of sleeping (sync: time.sleep, async: anyio.sleep)."""
    recorded: list[float] = []

    def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    async def fake_asleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(time, "sleep", fake_sleep)
    monkeypatch.setattr(anyio, "sleep", fake_asleep)
    return recorded


# ------------------------------------------------------------------------------------------ request shape


def test_outgoing_json_carries_model_messages_schema_and_limits(mode: str) -> None:
    rec = Recorder(ok(usage={"prompt_tokens": 31, "completion_tokens": 12}))
    complete = make_client(mode, rec)
    resp = complete(request(max_tokens=333, temperature=0.0, seed=7, schema_name="draft_reply"))

    (body,) = rec.bodies
    assert rec.paths == ["/v1/chat/completions"]
    assert rec.headers[0]["authorization"] == "Bearer sk-test"
    assert body["model"] == "my-model"
    assert body["messages"] == [
        {"role": "system", "content": "Answer in JSON."},
        {"role": "user", "content": SECRET},
    ]
    assert body["max_tokens"] == 333
    assert body["temperature"] == 0.0
    assert body["seed"] == 7
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "draft_reply", "schema": SCHEMA, "strict": True},
    }
    assert "stream" not in body or body["stream"] is False

    assert resp.content == '{"reply": "ok"}'
    assert resp.model == "served-model"
    assert resp.finish_reason == "stop"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (31, 12)
    assert resp.request_id == "req_42"
    assert resp.latency_ms >= 0.0


def test_no_schema_means_no_response_format_and_no_seed(mode: str) -> None:
    rec = Recorder(ok())
    make_client(mode, rec)(request(schema=None))
    assert "response_format" not in rec.bodies[0]
    assert "seed" not in rec.bodies[0]


def test_truncation_usage_and_missing_fields_are_reported(mode: str) -> None:
    rec = Recorder(
        lambda _b, _n: httpx2.Response(200, json=completion('{"reply": "cut sh', finish_reason="length"))
    )
    resp = make_client(mode, rec)(request())
    assert resp.finish_reason == "length"
    assert resp.usage.total_tokens == 0  # the server sent no usage
    assert resp.request_id == "chatcmpl-abc123"  # no x-request-id header: the completion id stands in

    rec2 = Recorder(
        lambda _b, _n: httpx2.Response(
            200, json=completion(None, usage={"prompt_tokens": 5, "completion_tokens": 0})
        )
    )
    resp2 = make_client(mode, rec2)(request())
    assert resp2.content == ""
    assert resp2.usage.prompt_tokens == 5


# ------------------------------------------------------------------------------------------ fallback


def _reject_formats(*rejected: str) -> Callable[[dict[str, Any], int], httpx2.Response]:
    def answer(body: dict[str, Any], _n: int) -> httpx2.Response:
        kind = body.get("response_format", {}).get("type", "none")
        if kind in rejected:
            # like many servers, the error echoes part of the request
            return error(400, f"response_format type {kind} is not supported (prompt: {SECRET})")
        return httpx2.Response(200, json=completion())

    return answer


def test_json_schema_rejection_falls_back_to_json_mode_and_remembers(mode: str) -> None:
    rec = Recorder(_reject_formats("json_schema"))
    complete = make_client(mode, rec)

    resp = complete(request())
    assert resp.content == '{"reply": "ok"}'
    assert [b["response_format"]["type"] for b in rec.bodies] == ["json_schema", "json_object"]

    complete(request())  # later calls go straight to JSON mode
    assert [b["response_format"]["type"] for b in rec.bodies] == ["json_schema", "json_object", "json_object"]


def test_json_mode_rejection_falls_back_to_plain_completion(mode: str) -> None:
    rec = Recorder(_reject_formats("json_schema", "json_object"))
    complete = make_client(mode, rec)
    complete(request())
    assert [b.get("response_format", {}).get("type", "none") for b in rec.bodies] == [
        "json_schema",
        "json_object",
        "none",
    ]
    complete(request())
    assert "response_format" not in rec.bodies[-1]
    assert len(rec.bodies) == 4


def test_structured_state_is_visible_and_per_instance() -> None:
    rec = Recorder(_reject_formats("json_schema"))
    a = OpenAIClient("m", api_key="k", http_client=httpx2.Client(transport=httpx2.MockTransport(rec)))
    b = OpenAIClient("m", api_key="k", http_client=httpx2.Client(transport=httpx2.MockTransport(rec)))
    assert a.structured_mode == "json_schema"
    a.complete(request())
    assert a.structured_mode == "json_object"
    assert b.structured_mode == "json_schema"


def test_explicit_json_schema_mode_never_falls_back(mode: str) -> None:
    rec = Recorder(_reject_formats("json_schema"))
    with pytest.raises(LLMStatusError) as info:
        make_client(mode, rec, structured="json_schema")(request())
    assert info.value.status_code == 400
    assert len(rec.bodies) == 1


def test_explicit_json_object_mode_sends_json_mode(mode: str) -> None:
    rec = Recorder(ok())
    make_client(mode, rec, structured="json_object")(request())
    assert rec.bodies[0]["response_format"] == {"type": "json_object"}


def test_unrelated_400_is_not_a_fallback(mode: str) -> None:
    rec = Recorder(
        lambda _b, _n: error(400, "maximum context length exceeded", code="context_length_exceeded")
    )
    with pytest.raises(LLMStatusError) as info:
        make_client(mode, rec)(request())
    assert len(rec.bodies) == 1
    assert info.value.status_code == 400
    assert "context_length_exceeded" in str(info.value)


def test_fallback_is_thread_safe() -> None:
    rec = Recorder(_reject_formats("json_schema"))
    client = OpenAIClient("m", api_key="k", http_client=httpx2.Client(transport=httpx2.MockTransport(rec)))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _i: client.complete(request()), range(16)))
    assert all(r.content == '{"reply": "ok"}' for r in results)
    assert client.structured_mode == "json_object"
    kinds = [b["response_format"]["type"] for b in rec.bodies]
    assert kinds.count("json_object") == 16  # every call succeeded in JSON mode exactly once
    assert kinds[-1] == "json_object"


# ------------------------------------------------------------------------------------------ errors


def _assert_clean(err: LLMError) -> None:
    text = f"{err} {err!r} {err.args}"
    for fragment in ("Jane", "Roe", "88-1234567", "lisinopril", "Answer in JSON"):
        assert fragment not in text


def test_bad_request_maps_to_status_error_without_echoing_the_body(mode: str) -> None:
    rec = Recorder(
        lambda _b, _n: error(
            400,
            f"invalid value in message: {SECRET}",
            code="invalid_value",
            headers={"x-request-id": "req_9"},
        )
    )
    with pytest.raises(LLMStatusError) as info:
        make_client(mode, rec)(request(schema=None))
    err = info.value
    assert err.status_code == 400
    assert err.request_id == "req_9"
    assert "invalid_value" in str(err) and "req_9" in str(err)
    assert isinstance(err.__cause__, openai.BadRequestError)
    assert not err.retryable
    _assert_clean(err)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_map_to_authentication_error(mode: str, status: int) -> None:
    rec = Recorder(lambda _b, _n: error(status, f"bad key for {SECRET}", code="invalid_api_key"))
    with pytest.raises(LLMAuthenticationError) as info:
        make_client(mode, rec)(request())
    assert info.value.status_code == status
    assert len(rec.bodies) == 1  # never retried
    _assert_clean(info.value)


def test_rate_limit_honours_retry_after_then_gives_up(mode: str, sleeps: list[float]) -> None:
    rec = Recorder(
        lambda _b, _n: error(
            429, f"slow down {SECRET}", code="rate_limit_exceeded", headers={"retry-after": "2"}
        )
    )
    with pytest.raises(LLMRateLimitError) as info:
        make_client(mode, rec, max_retries=2)(request())
    assert len(rec.bodies) == 3  # 1 + max_retries, then stop
    assert sleeps == [2.0, 2.0]  # the server's Retry-After, not the SDK's own back-off
    assert info.value.status_code == 429
    assert info.value.retryable
    assert isinstance(info.value.__cause__, openai.RateLimitError)
    _assert_clean(info.value)


def test_rate_limit_then_success_is_transparent(mode: str, sleeps: list[float]) -> None:
    def answer(_b: dict[str, Any], n: int) -> httpx2.Response:
        if n == 1:
            return error(429, "slow down", headers={"retry-after-ms": "250"})
        return httpx2.Response(200, json=completion())

    rec = Recorder(answer)
    resp = make_client(mode, rec)(request())
    assert resp.content == '{"reply": "ok"}'
    assert len(rec.bodies) == 2
    assert sleeps == [0.25]


def test_server_error_is_retried_by_the_sdk_only(mode: str, sleeps: list[float]) -> None:
    rec = Recorder(lambda _b, _n: error(500, f"boom while handling {SECRET}"))
    with pytest.raises(LLMStatusError) as info:
        make_client(mode, rec, max_retries=1)(request())
    assert len(rec.bodies) == 2
    assert len(sleeps) == 1
    assert info.value.status_code == 500
    assert info.value.retryable
    _assert_clean(info.value)


def test_timeout_maps_to_timeout_error(mode: str, sleeps: list[float]) -> None:
    calls: list[int] = []

    def answer(_b: dict[str, Any], n: int) -> httpx2.Response:
        calls.append(n)
        raise httpx2.ReadTimeout("timed out")

    with pytest.raises(LLMTimeoutError) as info:
        make_client(mode, Recorder(answer), max_retries=1)(request())
    assert len(calls) == 2
    assert isinstance(info.value.__cause__, openai.APITimeoutError)
    assert info.value.retryable
    _assert_clean(info.value)


def test_connection_failure_maps_to_connection_error(mode: str, sleeps: list[float]) -> None:
    def answer(_b: dict[str, Any], _n: int) -> httpx2.Response:
        raise httpx2.ConnectError("refused")

    with pytest.raises(LLMConnectionError) as info:
        make_client(mode, Recorder(answer), max_retries=0)(request())
    assert not isinstance(info.value, LLMTimeoutError)
    assert isinstance(info.value.__cause__, openai.APIConnectionError)


# ------------------------------------------------------------------------------------------ construction


def test_protocols_are_satisfied() -> None:
    sync = OpenAIClient("m", api_key="k")
    asyn = AsyncOpenAIClient("m", api_key="k")
    assert isinstance(sync, LLMClient)
    assert isinstance(asyn, AsyncLLMClient)
    assert sync.model == asyn.model == "m"


def test_missing_api_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIClient("m")
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        AsyncOpenAIClient("m")


def test_env_vars_are_read_by_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env.invalid/v1")
    rec = Recorder(ok())
    client = OpenAIClient("m", http_client=httpx2.Client(transport=httpx2.MockTransport(rec)))
    client.complete(request())
    assert rec.headers[0]["authorization"] == "Bearer sk-env"
    assert "env.invalid" in repr(client)


def test_conflicting_options_are_rejected() -> None:
    sdk = openai.OpenAI(api_key="k")
    with pytest.raises(ConfigurationError):
        OpenAIClient("m", client=sdk, base_url="http://x.invalid/v1")
    with pytest.raises(ConfigurationError):
        OpenAIClient("m", client=openai.AsyncOpenAI(api_key="k"))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        AsyncOpenAIClient("m", client=sdk)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        OpenAIClient("", api_key="k")
    with pytest.raises(ConfigurationError):
        OpenAIClient("m", api_key="k", structured="xml")  # type: ignore[arg-type]


def test_injected_client_is_used_and_left_open() -> None:
    rec = Recorder(ok())
    sdk = openai.OpenAI(
        api_key="k",
        base_url="http://azure.invalid/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(rec)),
    )
    with OpenAIClient("deployment-1", client=sdk) as client:
        client.complete(request())
    assert rec.bodies[0]["model"] == "deployment-1"
    assert not sdk.is_closed()
    sdk.close()


def test_owned_client_is_closed() -> None:
    client = OpenAIClient(
        "m", api_key="k", http_client=httpx2.Client(transport=httpx2.MockTransport(Recorder(ok())))
    )
    with client:
        pass
    assert client._client.is_closed()


async def test_async_client_in_a_running_loop() -> None:
    rec = Recorder(_reject_formats("json_schema"))
    async with AsyncOpenAIClient(
        "m", api_key="k", http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(rec.handle_async))
    ) as client:
        results = await asyncio.gather(*(client.complete(request()) for _ in range(4)))
        assert all(r.content == '{"reply": "ok"}' for r in results)
        assert client.structured_mode == "json_object"
    assert client._client.is_closed()
