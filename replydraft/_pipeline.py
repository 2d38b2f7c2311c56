"""Pure steps shared by the sync and async drafters.

message -> triage -> de-identify -> chart context -> prompt -> LLM -> output checks -> re-identify -> result

The shells in ``drafter.py`` do only I/O (chart fetch, LLM call, audit write); everything else is here, so
both twins behave identically.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import errors
from .chart import SelectedContext, select_context
from .config import DrafterConfig
from .deid import Deidentifier, EgressGuard, KnownIdentifiers, PlaceholderVault
from .llm import ChatMessage, LLMRequest, LLMResponse
from .models import (
    ChartContext,
    Citation,
    DraftResult,
    ErrorInfo,
    Flag,
    Intent,
    PortalMessage,
    ThreadMessage,
    TokenUsage,
    Triage,
    Urgency,
)
from .prompts import PromptLibrary, RenderedTemplate
from .safety import check_draft, disclosure_footer, emergency_reasons_text, urgent_note
from .triage import screen

log = logging.getLogger("replydraft")

_SURROGATE = re.compile("[\ud800-\udfff]")
_DELIMITER = re.compile(r"<\s*(/?)\s*patient_message", re.IGNORECASE)


# --------------------------------------------------------------------------- input


@dataclass
class Timer:
    """Collects per-stage wall time in milliseconds."""

    stages: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + (time.perf_counter() - t0) * 1000.0

    def total_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0


@dataclass
class Intake:
    """A validated message and what was done to make it safe to process."""

    message: PortalMessage
    flags: list[Flag]
    too_long: bool


def _sanitize(text: str) -> tuple[str, list[Flag]]:
    flags: list[Flag] = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        flags.append(
            Flag(
                code="input_nul_removed",
                severity="info",
                message="NUL characters were removed from the message.",
            )
        )
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
        flags.append(
            Flag(
                code="input_invalid_unicode",
                severity="info",
                message="Invalid (unpaired surrogate) characters were replaced in the message.",
            )
        )
    return text, flags


def intake(
    message: str | PortalMessage, patient_id: str | None, config: DrafterConfig, now: datetime
) -> Intake:
    """Validate and normalise the input. Raises InvalidMessageError for what cannot be processed."""
    if isinstance(message, PortalMessage):
        msg = message
        if patient_id is not None and msg.patient_id not in (None, patient_id):
            raise errors.InvalidMessageError(
                "patient_id argument differs from the message's patient_id", reason="patient_id_conflict"
            )
    elif isinstance(message, str):
        msg = PortalMessage(text=message, patient_id=patient_id)
    else:
        raise errors.InvalidMessageError(
            f"message must be str or PortalMessage, not {type(message).__name__}", reason="not_text"
        )
    if patient_id is not None and msg.patient_id is None:
        msg = msg.model_copy(update={"patient_id": patient_id})
    if msg.patient_id is not None and (not isinstance(msg.patient_id, str) or not msg.patient_id.strip()):
        raise errors.InvalidMessageError("patient_id must be a non-empty string", reason="bad_patient_id")
    text, flags = _sanitize(msg.text)
    if not text.strip():
        raise errors.InvalidMessageError("message text is empty", reason="empty", length=len(msg.text))
    thread = []
    for t in msg.thread:
        clean, _ = _sanitize(t.text)
        thread.append(ThreadMessage(text=clean, from_patient=t.from_patient, sent_at=t.sent_at))
    msg = msg.model_copy(
        update={"text": text, "thread": tuple(thread), "received_at": msg.received_at or now}
    )
    return Intake(message=msg, flags=flags, too_long=len(text) > config.max_message_chars)


def reject_too_long(intake_: Intake, config: DrafterConfig) -> None:
    """Refuse a message over the size limit (called only once the screen found no emergency)."""
    if intake_.too_long:
        raise errors.InvalidMessageError(
            f"message is longer than {config.max_message_chars} characters",
            reason="too_long",
            length=len(intake_.message.text),
        )


def run_triage(msg: PortalMessage) -> Triage:
    """The deterministic screen over the whole new message (never truncated).

    Earlier thread messages are not screened: the care team has already seen them, and re-escalating an
    old, handled red flag on every follow-up would train reviewers to ignore the escalation flag.
    """
    return screen(msg.text)


# --------------------------------------------------------------------------- prepare


class DraftOutput(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="ignore")

    reply: str = Field(min_length=1)
    citations: list[str] = Field(default_factory=list)
    urgency: Literal["routine", "urgent", "emergency"] = "routine"


def output_schema(config: DrafterConfig) -> dict[str, Any]:
    """JSON schema sent as ``response_format``; string lengths bounded so small models stop in time."""
    return {
        "type": "object",
        "properties": {
            "reply": {"type": "string", "minLength": 1, "maxLength": config.reply_max_chars},
            "citations": {
                "type": "array",
                "items": {"type": "string", "maxLength": 80},
                "maxItems": 12,
            },
            "urgency": {"type": "string", "enum": ["routine", "urgent", "emergency"]},
        },
        "required": ["reply", "citations", "urgency"],
        "additionalProperties": False,
    }


@dataclass
class Prepared:
    """Everything needed to call the model and to finish the result."""

    message: PortalMessage
    triage: Triage
    vault: PlaceholderVault
    known: KnownIdentifiers
    deid_message: str
    facts: list[tuple[str, str]]
    selected: SelectedContext | None
    system: RenderedTemplate
    user: RenderedTemplate
    request: LLMRequest
    guard: EgressGuard
    flags: list[Flag]
    language: str


def _neutralise_delimiters(text: str) -> str:
    # a patient cannot close the <patient_message> block early and smuggle text outside it
    return _DELIMITER.sub(lambda m: "\u2039" + m.group(1) + "patient_message", text)


def known_identifiers(msg: PortalMessage, ctx: ChartContext | None) -> KnownIdentifiers:
    """The identifiers the de-identifier and the egress guard must know about."""
    known = KnownIdentifiers.from_chart(ctx) if ctx is not None else KnownIdentifiers()
    if msg.sender:
        # a proxy who signs the message (a parent, a spouse) is an identifier too
        known = known.replace(contacts=[*known.contacts, msg.sender])
    return known


def chart_language(ctx: ChartContext | None, triage: Triage, config: DrafterConfig) -> str:
    """Reply language: the message's own language when it is not English, else the chart's preference."""
    if triage.language and triage.language != "en":
        return triage.language
    if ctx is not None and ctx.patient.language:
        return ctx.patient.language.split("-")[0].lower()
    return triage.language or config.default_language


def prepare(
    msg: PortalMessage,
    triage: Triage,
    ctx: ChartContext | None,
    *,
    deidentifier: Deidentifier,
    prompts: PromptLibrary,
    config: DrafterConfig,
    timer: Timer,
) -> Prepared:
    """De-identify the message and the chosen chart facts, render the prompt, build the request."""
    now = msg.received_at or datetime.now(timezone.utc)
    flags: list[Flag] = []
    with timer.stage("deid"):
        known = known_identifiers(msg, ctx)
        vault = PlaceholderVault()
        deid_message = deidentifier.deidentify(msg.text, known=known, vault=vault).text
        thread = [
            {
                "from_patient": t.from_patient,
                "text": _neutralise_delimiters(
                    deidentifier.deidentify(t.text, known=known, vault=vault).text
                ),
            }
            for t in msg.thread
        ]
    selected: SelectedContext | None = None
    facts: list[tuple[str, str]] = []
    if ctx is not None:
        with timer.stage("select"):
            selected = select_context(
                ctx, intent=triage.intent, text=msg.text, now=now, token_budget=config.chart_token_budget
            )
        with timer.stage("deid"):
            for fact in selected.facts:
                facts.append(
                    (fact.citation_id, deidentifier.deidentify(fact.text, known=known, vault=vault).text)
                )
        if selected.unmatched_drugs and triage.intent is Intent.REFILL:
            flags.append(
                Flag(
                    code="refill_not_on_med_list",
                    severity="warning",
                    message="The message asks about a medicine that is not on the active medication list.",
                    count=len(selected.unmatched_drugs),
                )
            )
        if selected.missing_labs:
            flags.append(
                Flag(
                    code="monitoring_lab_missing",
                    severity="info",
                    message="A lab this medicine needs, or a result asked about, is not in the chart.",
                    count=len(selected.missing_labs),
                )
            )
        if selected.dropped:
            flags.append(
                Flag(
                    code="chart_facts_dropped",
                    severity="info",
                    message="Some chart facts did not fit the prompt's token budget.",
                    count=len(selected.dropped),
                )
            )
    with timer.stage("deid"):
        patient_name = vault.patient_name_placeholder(known) or ""
    language = chart_language(ctx, triage, config)
    with timer.stage("prompt"):
        system = prompts.render("draft.system", patient_name=patient_name, max_words=config.safety.max_words)
        user = prompts.render(
            f"{triage.intent.value}.user",
            message=_neutralise_delimiters(deid_message),
            thread=thread,
            facts=[{"id": cid, "text": text} for cid, text in facts],
            urgency=triage.urgency.value,
            intent=triage.intent.value,
            language=language,
            patient_name=patient_name,
            max_words=config.safety.max_words,
        )
        request = LLMRequest(
            messages=(
                ChatMessage(role="system", content=system.text),
                ChatMessage(role="user", content=user.text),
            ),
            json_schema=output_schema(config),
            schema_name="draft_reply",
            max_tokens=config.max_tokens,
            temperature=config.temperature,
            seed=config.seed,
        )
    return Prepared(
        message=msg,
        triage=triage,
        vault=vault,
        known=known,
        deid_message=deid_message,
        facts=facts,
        selected=selected,
        system=system,
        user=user,
        request=request,
        guard=EgressGuard(vault, known),
        flags=flags,
        language=language,
    )


# --------------------------------------------------------------------------- model output


class InvalidOutput(Exception):
    """The model's output cannot be used; the drafter asks again (bounded)."""

    def __init__(self, reason: str, response: LLMResponse) -> None:
        super().__init__(reason)
        self.reason = reason
        self.response = response


_JSON_BLOCK = re.compile(r"\{.*\}", re.DOTALL)


def parse_output(response: LLMResponse) -> DraftOutput:
    """Validate one response. Raises InvalidOutput (truncated, invalid JSON, wrong shape, empty)."""
    if response.finish_reason == "length":
        raise InvalidOutput("truncated", response)
    content = response.content.strip()
    if not content:
        raise InvalidOutput("empty", response)
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        # servers without JSON mode sometimes wrap the object in prose or a code fence
        match = _JSON_BLOCK.search(content)
        if match is None:
            raise InvalidOutput("invalid_json", response) from None
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            raise InvalidOutput("invalid_json", response) from None
    try:
        out = DraftOutput.model_validate(data)
    except ValidationError:
        raise InvalidOutput("schema", response) from None
    if not out.reply.strip():
        raise InvalidOutput("empty", response)
    return out


_REASK_REASONS = {
    "truncated": "it was cut off before the end",
    "invalid_json": "it was not valid JSON",
    "schema": "it did not have the required fields",
    "empty": "the reply was empty",
}


def reask_request(
    prepared: Prepared, failure: InvalidOutput, prompts: PromptLibrary, config: DrafterConfig
) -> LLMRequest:
    """The original conversation plus the bad answer and a short correction request."""
    reask = prompts.render(
        "reask.user",
        reason=_REASK_REASONS.get(failure.reason, failure.reason),
        max_chars=config.reply_max_chars,
    )
    previous = failure.response.content[: config.reply_max_chars * 2]
    messages = list(prepared.request.messages)
    if previous.strip():
        messages.append(ChatMessage(role="assistant", content=previous))
    messages.append(ChatMessage(role="user", content=reask.text))
    return prepared.request.model_copy(update={"messages": tuple(messages)})


def output_error(failure: InvalidOutput, attempts: int) -> errors.LLMOutputError:
    """The typed error once the re-asks are used up."""
    return errors.LLMOutputError(
        f"model output unusable after {attempts} attempt(s): {failure.reason}",
        attempts=attempts,
        reason=failure.reason,
    )


# --------------------------------------------------------------------------- finish


def _demo_flag(model: str) -> Flag | None:
    from .local import is_demo_model_name

    if is_demo_model_name(model):
        return Flag(
            code="demo_model",
            severity="warning",
            message="Drafted by a small local demo model: not for clinical use.",
        )
    return None


def finish(
    prepared: Prepared,
    output: DraftOutput,
    responses: list[LLMResponse],
    *,
    intake_flags: list[Flag],
    chart_flags: tuple[Flag, ...],
    config: DrafterConfig,
    timer: Timer,
    model: str,
) -> DraftResult:
    """Check the draft, re-identify it, and assemble the result."""
    triage = prepared.triage
    flags: list[Flag] = [*intake_flags, *chart_flags, *prepared.flags]
    llm_urgency = Urgency(output.urgency)
    if llm_urgency.rank > triage.urgency.rank:
        # the model may raise urgency, never lower the screen's verdict
        triage = triage.model_copy(
            update={
                "urgency": llm_urgency,
                "reasons": (*triage.reasons, f"llm.raised_to_{llm_urgency.value}"),
            }
        )
        flags.append(
            Flag(
                code="llm_raised_urgency",
                severity="blocking" if llm_urgency is Urgency.EMERGENCY else "warning",
                message=(
                    f"The model read this message as {llm_urgency.value}; the rule screen did not. "
                    "Review urgently."
                ),
            )
        )
    deid_body = output.reply.strip()
    with timer.stage("checks"):
        flags.extend(
            check_draft(
                deid_body,
                message=prepared.deid_message,
                facts=[text for _, text in prepared.facts],
                placeholders=prepared.vault.placeholders,
                system_prompt=prepared.system.text,
                triage=triage,
                config=config.safety,
            )
        )
    provided = {cid for cid, _ in prepared.facts}
    cited = [c for c in dict.fromkeys(output.citations)]
    unknown_cites = [c for c in cited if c not in provided]
    if unknown_cites:
        flags.append(
            Flag(
                code="invalid_citation",
                severity="warning",
                message="The model cited chart facts it was not given.",
                count=len(unknown_cites),
            )
        )
    citations = tuple(
        Citation(id=cid, label=text, cited_by_model=cid in cited) for cid, text in prepared.facts
    )
    with timer.stage("reid"):
        body = prepared.vault.reidentify(deid_body)
        parts = [body]
        if triage.urgency is Urgency.URGENT:
            parts.append(urgent_note(prepared.language))
            flags.append(
                Flag(
                    code="same_day_callback",
                    severity="warning",
                    message="Screened urgent: the patient should be called back today.",
                )
            )
        footer = disclosure_footer(triage, config.safety, prepared.language)
        if footer:
            parts.append(footer)
        body = "\n\n".join(p for p in parts if p)
    demo = _demo_flag(model)
    if demo is not None:
        flags.append(demo)
    usage = TokenUsage()
    for r in responses:
        usage = usage + r.usage
    return DraftResult(
        message_id=prepared.message.id,
        patient_id=prepared.message.patient_id,
        status="drafted",
        body=body,
        deidentified_body=deid_body,
        deidentified_message=prepared.deid_message,
        triage=triage,
        citations=citations,
        flags=tuple(_dedupe(flags)),
        prompt_name=prepared.user.name,
        prompt_sha256=prepared.user.sha256,
        prompt_hashes={**prepared.system.hashes, **prepared.user.hashes},
        model=model,
        usage=usage,
        latency_ms=timer.total_ms(),
        llm_latency_ms=timer.stages.get("llm", 0.0),
        stage_ms=dict(timer.stages),
        attempts=len(responses),
    )


def escalate(
    msg: PortalMessage,
    triage: Triage,
    ctx: ChartContext | None,
    *,
    intake_flags: list[Flag],
    chart_flags: tuple[Flag, ...],
    prompts: PromptLibrary,
    config: DrafterConfig,
    timer: Timer,
) -> DraftResult:
    """The emergency path: no model, a templated safety reply and an escalation flag."""
    language = chart_language(ctx, triage, config)
    template = f"emergency.reply.{language}"
    if not prompts.exists(template):
        language, template = "en", "emergency.reply.en"
    patient_name = ""
    if ctx is not None and ctx.patient.given_names:
        patient_name = ctx.patient.given_names[0]
    with timer.stage("prompt"):
        rendered = prompts.render(
            template,
            patient_name=patient_name,
            reasons_text=emergency_reasons_text(triage, language),
        )
    flags = [
        Flag(
            code="emergency_escalation",
            severity="blocking",
            message="Red flags for an emergency: route to a clinician now. No AI draft was written.",
        ),
        *intake_flags,
        *chart_flags,
    ]
    return DraftResult(
        message_id=msg.id,
        patient_id=msg.patient_id,
        status="escalated",
        body=rendered.text,
        deidentified_body="",
        deidentified_message="",
        triage=triage,
        flags=tuple(_dedupe(flags)),
        prompt_name=rendered.name,
        prompt_sha256=rendered.sha256,
        prompt_hashes=dict(rendered.hashes),
        model=None,
        latency_ms=timer.total_ms(),
        stage_ms=dict(timer.stages),
        attempts=0,
    )


def failed(
    message: object, patient_id: str | None, exc: BaseException, *, latency_ms: float = 0.0
) -> DraftResult:
    """A failed result for batch runs: the message is never lost, and the reason is typed."""
    if isinstance(message, PortalMessage):
        message_id, pid = message.id, message.patient_id or patient_id
    else:
        message_id, pid = PortalMessage.model_fields["id"].get_default(call_default_factory=True), patient_id
    if isinstance(exc, errors.ReplyDraftError):
        info = ErrorInfo(type=type(exc).__name__, code=exc.code, message=str(exc), retryable=exc.retryable)
    else:
        # an unexpected exception's text may quote data: keep only its type
        info = ErrorInfo(type=type(exc).__name__, code="internal", message="unexpected internal error")
    return DraftResult(
        message_id=str(message_id),
        patient_id=pid,
        status="failed",
        triage=Triage(urgency=Urgency.ROUTINE, intent=Intent.OTHER, reasons=("failed",)),
        flags=(Flag(code="draft_failed", severity="blocking", message=f"No draft: {info.code}."),),
        error=info,
        latency_ms=latency_ms,
    )


def _dedupe(flags: list[Flag]) -> list[Flag]:
    seen: set[tuple[str, str]] = set()
    out: list[Flag] = []
    for f in flags:
        key = (f.code, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
