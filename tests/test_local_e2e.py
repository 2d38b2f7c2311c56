"""End-to-end: the real in-process llama.cpp server with SmolLM2, through the real OpenAI client path.

Protocol, not content (SmolLM2's text is nonsense): valid structured output, usage, timeouts, auth,
shutdown. Skipped when the SmolLM2 file is not in the cache; under CI (env ``CI`` set) that is a failure,
because CI fetches it first with ``replydraft model fetch smollm2``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from replydraft.errors import LLMAuthenticationError, LLMConnectionError, LLMTimeoutError
from replydraft.llm import ChatMessage, LLMRequest
from replydraft.local import TEST_MODEL, LocalModelServer, cached_model_path, is_demo_model_name
from replydraft.openai_client import OpenAIClient

pytestmark = pytest.mark.e2e

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reply": {"type": "string", "maxLength": 200},
        "citations": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3},
    },
    "required": ["reply", "citations"],
    "additionalProperties": False,
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run `replydraft model fetch {TEST_MODEL}` before the tests)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalModelServer]:
    if cached_model_path(TEST_MODEL) is None:
        _unavailable(f"{TEST_MODEL} is not in the model cache: run `replydraft model fetch {TEST_MODEL}`")
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        _unavailable("xllamacpp is not installed: pip install 'replydraft[local]'")
    # One thread: on a busy 2-core machine two llama.cpp threads wait on each other's barriers and
    # generation slows ~10x; one thread degrades gracefully (measured: 15 vs 1.5 tokens/s at load 9).
    with LocalModelServer(TEST_MODEL, ctx_size=1024, threads=1) as srv:
        yield srv


def draft_request(max_tokens: int = 300) -> LLMRequest:
    return LLMRequest(
        messages=(
            ChatMessage(role="system", content="You draft short replies. Answer with a JSON object."),
            ChatMessage(
                role="user", content="Hello, I am almost out of my blood pressure pills. Can I get more?"
            ),
        ),
        json_schema=SCHEMA,
        max_tokens=max_tokens,  # above what the schema's maxLength allows, so the JSON can close
        temperature=0.0,
        seed=1,
    )


def assert_valid(content: str) -> None:
    data = json.loads(content)
    assert set(data) == {"reply", "citations"}
    assert isinstance(data["reply"], str) and len(data["reply"]) <= 200
    assert isinstance(data["citations"], list) and len(data["citations"]) <= 3
    assert all(isinstance(c, str) and len(c) <= 12 for c in data["citations"])


def test_server_is_loopback_and_flagged_demo(server: LocalModelServer) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.base_url.endswith("/v1")
    assert server.is_demo
    assert server.model_sha256 is not None


def test_structured_output_sync(server: LocalModelServer) -> None:
    with server.client() as llm:
        resp = llm.complete(draft_request())
        assert llm.structured_mode == "json_schema"  # llama.cpp accepts json_schema: no fallback
    assert resp.finish_reason == "stop"
    assert_valid(resp.content)
    assert resp.usage.prompt_tokens > 0 and resp.usage.completion_tokens > 0
    assert is_demo_model_name(resp.model)
    assert resp.request_id


def test_structured_output_async(server: LocalModelServer) -> None:
    async def run() -> None:
        async with server.async_client() as llm:
            results = await asyncio.gather(llm.complete(draft_request()), llm.complete(draft_request()))
        for resp in results:
            assert resp.finish_reason == "stop"
            assert_valid(resp.content)
            assert resp.usage.completion_tokens > 0

    asyncio.run(run())


def test_truncation_is_reported_as_length(server: LocalModelServer) -> None:
    with server.client() as llm:
        resp = llm.complete(draft_request(max_tokens=3))
    assert resp.finish_reason == "length"
    assert resp.usage.completion_tokens == 3


def test_wrong_api_key_is_rejected(server: LocalModelServer) -> None:
    with OpenAIClient(server.model_name, base_url=server.base_url, api_key="wrong") as llm:  # noqa: SIM117
        with pytest.raises(LLMAuthenticationError):
            llm.complete(draft_request(max_tokens=5))


def test_timeout_maps_to_llm_timeout_error(server: LocalModelServer) -> None:
    with server.client(timeout=0.05, max_retries=0) as llm, pytest.raises(LLMTimeoutError):
        llm.complete(draft_request(max_tokens=300))


def test_stopped_server_refuses_connections(server: LocalModelServer) -> None:
    path = server.model_path
    assert path is not None
    other = LocalModelServer(path, ctx_size=512, threads=1)
    with other:
        llm = other.client(max_retries=0)
        assert other.is_demo  # a cached registry file by path is still recognised
    assert not other.running
    with llm, pytest.raises(LLMConnectionError):
        llm.complete(draft_request(max_tokens=5))


def test_local_clients_wait_long_and_do_not_retry(server: LocalModelServer) -> None:
    with server.client() as llm, server.client(timeout=5.0, max_retries=2) as custom:
        assert (llm._client.timeout, llm._client.max_retries) == (600.0, 0)
        assert (custom._client.timeout, custom._client.max_retries) == (5.0, 2)
