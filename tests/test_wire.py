"""Wire-level acceptance: the real OpenAI client path over an httpx2 MockTransport.

What the server receives must contain no identifier from the message or the chart, and the draft that comes
back is re-identified (the patient's real name where the model used the name placeholder).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Any

import httpx2
import openai
import pytest

from replydraft import AsyncDrafter, AsyncOpenAIClient, Drafter, InMemoryChart, OpenAIClient
from replydraft.models import ChartContext, Medication, Observation, PatientDemographics

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
CONTEXT = ChartContext(
    patient=PatientDemographics(
        id="pt-42",
        names=("Oluwaseun Adeyemi-Hart",),
        given_names=("Oluwaseun",),
        family_names=("Adeyemi-Hart",),
        birth_date=date(1958, 2, 14),
        phones=("(608) 555-0177",),
        mrn="00731842",
        addresses=("77 Quarry Ridge Ln, Verona, WI 53593",),
    ),
    medications=(
        Medication(
            citation_id="MedicationRequest/rx1",
            name="Metformin 500 MG Oral Tablet",
            dosage="1 tablet twice daily",
            prescriber="Priya Raman",
        ),
    ),
    observations=(
        Observation(
            citation_id="Observation/a1c",
            name="Hemoglobin A1c",
            category="laboratory",
            value="7.9 %",
            numeric_value=7.9,
            unit="%",
            reference_range="4.0-5.6 %",
            interpretation="H",
            effective=datetime(2026, 11, 1, tzinfo=timezone.utc),
        ),
    ),
)
MESSAGE = (
    "hi dr raman its oluwaseun adeyemi-hart, dob 02/14/1958, mrn 00731842. my metformin is almost gone, "
    "can you refill it? call 608.555.0177 if needed"
)
SECRETS = [
    "oluwaseun",
    "adeyemi",
    "02/14/1958",
    "1958-02-14",
    "00731842",
    "608.555.0177",
    "6085550177",
    "555-0177",
    "raman",
    "quarry ridge",
]


def completion(content: str, *, prompt_tokens: int = 321, completion_tokens: int = 45) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "served-model",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class Server:
    """Records every request body and answers like a model that uses the name placeholder."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        system = body["messages"][0]["content"]
        placeholder = re.search(r"Address the patient as (\[[A-Z_]+_\d+\])", system)
        assert placeholder is not None
        reply = {
            "reply": f"Hi {placeholder.group(1)}, we received your metformin refill request. "
            "Your care team will review it.",
            "citations": ["MedicationRequest/rx1"],
            "urgency": "routine",
        }
        return httpx2.Response(200, json=completion(json.dumps(reply)))


def test_sync_wire_no_identifier_leaves_and_body_is_reidentified() -> None:
    server = Server()
    sdk = openai.OpenAI(
        api_key="test",
        base_url="http://llm.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(server)),
    )
    drafter = Drafter(
        llm=OpenAIClient(model="served-model", client=sdk),
        chart=InMemoryChart({"pt-42": CONTEXT}),
        now=lambda: NOW,
    )
    result = drafter.draft(MESSAGE, patient_id="pt-42")

    assert result.body.startswith("Hi Oluwaseun,")
    assert result.model == "served-model"
    assert result.usage.prompt_tokens == 321 and result.usage.completion_tokens == 45
    assert len(server.bodies) == 1
    sent = json.dumps(server.bodies[0]).lower()
    for value in SECRETS:
        assert value not in sent, value
    body = server.bodies[0]
    assert body["model"] == "served-model"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["reply", "citations", "urgency"]
    assert "metformin" in sent and "7.9" in sent  # the clinical facts do go


async def test_async_wire_no_identifier_leaves() -> None:
    server = Server()
    sdk = openai.AsyncOpenAI(
        api_key="test",
        base_url="http://llm.test/v1",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(server)),
    )
    async with AsyncDrafter(
        llm=AsyncOpenAIClient(model="served-model", client=sdk),
        chart=InMemoryChart({"pt-42": CONTEXT}),
        now=lambda: NOW,
    ) as drafter:
        result = await drafter.draft(MESSAGE, patient_id="pt-42")
    assert result.body.startswith("Hi Oluwaseun,")
    sent = json.dumps(server.bodies).lower()
    for value in SECRETS:
        assert value not in sent, value


def test_guard_stops_a_request_carrying_a_known_identifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the recognizers miss an identifier the chart knows, the guard refuses to send at all."""
    from replydraft import errors

    server = Server()
    sdk = openai.OpenAI(
        api_key="test",
        base_url="http://llm.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(server)),
    )
    drafter = Drafter(
        llm=OpenAIClient(model="served-model", client=sdk),
        chart=InMemoryChart({"pt-42": CONTEXT}),
        now=lambda: NOW,
    )

    def total_miss(text: str, known: Any = None, vault: Any = None) -> Any:
        return _Passthrough(text, vault)

    monkeypatch.setattr(drafter.deidentifier, "deidentify", total_miss)
    with pytest.raises(errors.PHILeakError) as info:
        drafter.draft(MESSAGE, patient_id="pt-42")
    assert server.bodies == []
    assert "oluwaseun" not in str(info.value).lower() and "00731842" not in str(info.value)


class _Passthrough:
    """A de-identification result that changed nothing (a total recognizer miss)."""

    def __init__(self, text: str, vault: Any) -> None:
        self.text = text
        self.vault = vault
        self.spans = ()
