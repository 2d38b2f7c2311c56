"""Drafter and AsyncDrafter: thin I/O shells over the pure steps in ``_pipeline.py``.

Both twins have identical signatures and behaviour; neither wraps the other.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from . import _pipeline as P
from . import errors
from .audit import AuditSink, check_salt, draft_event
from .chart import AsyncChartSource, ChartSource
from .config import DrafterConfig
from .deid import Deidentifier
from .llm import AsyncLLMClient, LLMClient, LLMRequest, LLMResponse
from .models import ChartContext, DraftResult, Flag, PortalMessage, Triage, Urgency
from .prompts import PromptLibrary

__all__ = ["AsyncDrafter", "Drafter"]

log = logging.getLogger("replydraft")

MessageInput = str | PortalMessage


class _Failure(Exception):
    """Carries the original error plus what was learnt before it (the triage), for batch results."""

    def __init__(self, exc: BaseException, triage: Triage | None, message: object, started: float) -> None:
        super().__init__(type(exc).__name__)
        self.exc = exc
        self.triage = triage
        self.message = message
        self.started = started

    def to_result(self, patient_id: str | None) -> DraftResult:
        result = P.failed(
            self.message, patient_id, self.exc, latency_ms=(time.perf_counter() - self.started) * 1000.0
        )
        if self.triage is not None:
            flags = result.flags
            if self.triage.urgency is not Urgency.ROUTINE:
                flags = (
                    *flags,
                    Flag(
                        code="emergency_escalation"
                        if self.triage.urgency is Urgency.EMERGENCY
                        else "same_day_callback",
                        severity="blocking",
                        message=f"Screened {self.triage.urgency.value}: handle without a draft.",
                    ),
                )
            result = result.model_copy(update={"triage": self.triage, "flags": flags})
        return result


@dataclass(frozen=True)
class _FetchChart:
    """I/O the steps ask the shell for: read a patient's chart."""

    patient_id: str


@dataclass(frozen=True)
class _CallLLM:
    """I/O the steps ask the shell for: send one request to the model."""

    request: LLMRequest


# The whole draft as one generator: it yields the I/O it needs and receives the answer (or the exception,
# thrown back in at the yield). The sync and async shells only perform the I/O, so the two twins cannot
# drift apart in behaviour.
Steps = Generator[_FetchChart | _CallLLM, Any, DraftResult]


class _Base:
    """Construction and the steps shared by both twins."""

    def __init__(
        self,
        llm: Any,
        chart: Any = None,
        *,
        config: DrafterConfig | None = None,
        deidentifier: Deidentifier | None = None,
        prompt_dir: str | Path | None = None,
        audit: AuditSink | None = None,
        audit_salt: bytes | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if llm is None or not hasattr(llm, "complete"):
            raise errors.ConfigurationError("llm must be an LLM client with a complete(request) method")
        if chart is not None and not hasattr(chart, "get_context"):
            raise errors.ConfigurationError("chart must have a get_context(patient_id) method")
        if audit is not None and not hasattr(audit, "record"):
            raise errors.ConfigurationError("audit must be an AuditSink with a record(event) method")
        self.llm = llm
        self.chart = chart
        self.config = config or DrafterConfig()
        self.deidentifier = deidentifier or Deidentifier(redact_providers=self.config.redact_providers)
        self.prompts = PromptLibrary(prompt_dir)
        if audit_salt is not None:
            check_salt(audit_salt)  # fail at construction, not at the first draft
        self.audit = audit
        # a per-process random salt keeps audit hashes unlinkable across runs unless the caller pins one
        self.audit_salt = audit_salt if audit_salt is not None else secrets.token_bytes(32)
        self._now = now or (lambda: datetime.now(timezone.utc))

    # pure helpers -------------------------------------------------------------------------

    def _intake(self, message: MessageInput, patient_id: str | None) -> P.Intake:
        return P.intake(message, patient_id, self.config, self._now())

    def _model_name(self, responses: Sequence[LLMResponse]) -> str:
        if responses and responses[-1].model:
            return responses[-1].model
        return str(getattr(self.llm, "model", "unknown"))

    def _record(self, result: DraftResult) -> DraftResult:
        if self.audit is not None:
            try:
                self.audit.record(draft_event(result, salt=self.audit_salt))
            except errors.AuditError:
                raise
            except Exception as exc:
                raise errors.AuditError("could not record the audit event") from exc
        log.debug(
            "draft id=%s status=%s urgency=%s intent=%s flags=%d latency_ms=%.1f",
            result.message_id,
            result.status,
            result.triage.urgency.value,
            result.triage.intent.value,
            len(result.flags),
            result.latency_ms,
        )
        return result

    def _steps(self, message: MessageInput, patient_id: str | None) -> Steps:
        started = time.perf_counter()
        triage: Triage | None = None
        try:
            timer = P.Timer()
            with timer.stage("intake"):
                intake = self._intake(message, patient_id)
            msg = intake.message
            with timer.stage("triage"):
                triage = P.run_triage(msg)
            if triage.urgency is Urgency.EMERGENCY:
                # an emergency is never held up by a chart problem: escalate without the chart
                ctx: ChartContext | None = None
                chart_flags: tuple[Flag, ...] = ()
                if self.chart is not None and msg.patient_id:
                    try:
                        with timer.stage("chart"):
                            ctx = yield _FetchChart(msg.patient_id)
                        chart_flags = _chart_flags(ctx)
                    except errors.ChartError as exc:
                        chart_flags = (
                            Flag(
                                code="chart_unavailable",
                                severity="warning",
                                message=f"Chart not read: {exc.code}.",
                            ),
                        )
                result = P.escalate(
                    msg,
                    triage,
                    ctx,
                    intake_flags=intake.flags,
                    chart_flags=chart_flags,
                    prompts=self.prompts,
                    config=self.config,
                    timer=timer,
                )
                return self._record(result)
            P.reject_too_long(intake, self.config)
            ctx = None
            if self.chart is not None and msg.patient_id:
                with timer.stage("chart"):
                    ctx = yield _FetchChart(msg.patient_id)
            prepared = P.prepare(
                msg,
                triage,
                ctx,
                deidentifier=self.deidentifier,
                prompts=self.prompts,
                config=self.config,
                timer=timer,
            )
            responses: list[LLMResponse] = []
            output: P.DraftOutput | None = None
            request = prepared.request
            try:
                for attempt in Retrying(**_retrying_kwargs(self.config)):
                    with attempt:
                        # the last line of defence, immediately before anything leaves the process
                        prepared.guard.check(request.payload_text())
                        with timer.stage("llm"):
                            response = yield _CallLLM(request)
                        responses.append(response)
                        try:
                            output = P.parse_output(response)
                        except P.InvalidOutput as bad:
                            request = P.reask_request(prepared, bad, self.prompts, self.config)
                            raise
            except P.InvalidOutput as bad:
                raise P.output_error(bad, len(responses)) from None
            assert output is not None
            result = P.finish(
                prepared,
                output,
                responses,
                intake_flags=intake.flags,
                chart_flags=_chart_flags(ctx),
                config=self.config,
                timer=timer,
                model=self._model_name(responses),
            )
            return self._record(result)
        except Exception as exc:
            raise _Failure(exc, triage, message, started) from exc

    def _record_failure(self, failure: _Failure) -> DraftResult:
        result = failure.to_result(None)
        try:
            return self._record(result)
        except errors.ReplyDraftError:
            # the audit sink itself failed: still return the failed result, never lose the message
            flag = Flag(code="audit_failed", severity="blocking", message="The audit event was not recorded.")
            return result.model_copy(update={"flags": (*result.flags, flag)})


def _chart_flags(ctx: ChartContext | None) -> tuple[Flag, ...]:
    return ctx.flags if ctx is not None else ()


def _retrying_kwargs(config: DrafterConfig) -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(config.max_reasks + 1),
        "retry": retry_if_exception_type(P.InvalidOutput),
        "reraise": True,
    }


class Drafter(_Base):
    """Drafts replies to portal messages, synchronously.

    Args:
        llm: An :class:`~replydraft.llm.LLMClient` (e.g. :class:`~replydraft.OpenAIClient`).
        chart: A :class:`~replydraft.chart.ChartSource` (``InMemoryChart``, ``FHIRBundleChart``,
            ``FHIRChart``), or None to draft without chart context.
        config: Settings; defaults to :class:`~replydraft.config.DrafterConfig`.
        deidentifier: A configured :class:`~replydraft.deid.Deidentifier` (default: pattern and
            chart-aware rules, no spaCy model).
        prompt_dir: A folder of templates overriding the packaged ones by name.
        audit: An :class:`~replydraft.audit.AuditSink` receiving one event per draft.
        audit_salt: Salt for the audit trail's patient-id hash (default: random per process).
        now: Clock used when a message has no ``received_at`` (inject for reproducible tests).

    The drafter closes ``llm`` and ``chart`` (when they have ``close()``) on :meth:`close`.

    Example:
        >>> from replydraft import Drafter, InMemoryChart, OpenAIClient
        >>> drafter = Drafter(llm=OpenAIClient(model="gpt-4o-mini"), chart=InMemoryChart({...}))
        >>> result = drafter.draft("Can I get a refill of my lisinopril?", patient_id="p1")
        >>> result.body, result.triage.urgency, result.flags
    """

    def __init__(
        self,
        llm: LLMClient,
        chart: ChartSource | None = None,
        *,
        config: DrafterConfig | None = None,
        deidentifier: Deidentifier | None = None,
        prompt_dir: str | Path | None = None,
        audit: AuditSink | None = None,
        audit_salt: bytes | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if inspect.iscoroutinefunction(getattr(llm, "complete", None)):
            raise errors.ConfigurationError(
                "Drafter needs a synchronous LLM client; use AsyncDrafter with an async client "
                "(e.g. AsyncOpenAIClient), or OpenAIClient here"
            )
        if chart is not None and inspect.iscoroutinefunction(getattr(chart, "get_context", None)):
            raise errors.ConfigurationError(
                "Drafter needs a synchronous chart source; use AsyncDrafter with an async chart "
                "(e.g. AsyncFHIRChart), or FHIRChart here"
            )
        super().__init__(
            llm,
            chart,
            config=config,
            deidentifier=deidentifier,
            prompt_dir=prompt_dir,
            audit=audit,
            audit_salt=audit_salt,
            now=now,
        )

    def draft(self, message: str | PortalMessage, patient_id: str | None = None) -> DraftResult:
        """Draft a reply to one message.

        Args:
            message: The message text, or a :class:`~replydraft.models.PortalMessage`.
            patient_id: The chart id of the patient (overrides nothing set on a PortalMessage).

        Returns:
            A :class:`~replydraft.models.DraftResult`. An emergency is a result with status
            ``escalated`` (no model call), not an exception.

        Raises:
            replydraft.errors.InvalidMessageError: the input cannot be processed.
            replydraft.errors.ChartError: the chart could not be read.
            replydraft.errors.PHILeakError: the egress guard stopped a request.
            replydraft.errors.LLMError: the model call failed or its output stayed invalid.
        """
        try:
            return self._draft(message, patient_id)
        except _Failure as failure:
            self._record_failure(failure)  # the audit trail has one event per draft, failed ones too
            raise failure.exc from failure.exc.__cause__

    def draft_many(
        self, messages: Iterable[str | PortalMessage], *, concurrency: int = 8
    ) -> list[DraftResult]:
        """Draft many messages with bounded concurrency; order preserved, failures become results.

        Args:
            messages: Texts or :class:`~replydraft.models.PortalMessage` objects.
            concurrency: How many drafts run at once (threads).

        Returns:
            One result per message, in input order; a failed one has ``status == "failed"`` and
            ``error`` set, and keeps the triage when the screen ran.
        """
        if concurrency < 1:
            raise errors.ConfigurationError("concurrency must be >= 1")
        items = list(messages)

        def one(item: MessageInput) -> DraftResult:
            try:
                return self._draft(item, None)
            except _Failure as failure:
                return self._record_failure(failure)

        with ThreadPoolExecutor(max_workers=min(concurrency, max(1, len(items)))) as pool:
            return list(pool.map(one, items))

    def _draft(self, message: MessageInput, patient_id: str | None) -> DraftResult:
        steps = self._steps(message, patient_id)
        reply: Any = None
        error: Exception | None = None
        while True:
            try:
                op = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as done:
                result: DraftResult = done.value
                return result
            reply, error = None, None
            try:
                if isinstance(op, _FetchChart):
                    reply = self.chart.get_context(op.patient_id)
                else:
                    reply = self.llm.complete(op.request)
            except Exception as exc:  # handed back to the steps, which decide (escalation survives it)
                error = exc

    def close(self) -> None:
        """Close the LLM client, the chart source and the audit sink, where they can be closed."""
        for part in (self.llm, self.chart, self.audit):
            closer = getattr(part, "close", None)
            if callable(closer) and not inspect.iscoroutinefunction(closer):
                closer()

    def __enter__(self) -> Drafter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncDrafter(_Base):
    """Drafts replies to portal messages, asynchronously. The twin of :class:`Drafter`.

    Args:
        llm: An :class:`~replydraft.llm.AsyncLLMClient` (e.g. :class:`~replydraft.AsyncOpenAIClient`).
        chart: An :class:`~replydraft.chart.AsyncChartSource` (``AsyncFHIRChart``), or an in-process
            sync source (``InMemoryChart``, ``FHIRBundleChart``), which runs in a worker thread. A
            network-bound sync source (``FHIRChart``) is refused: use its async twin.
        config: Settings; defaults to :class:`~replydraft.config.DrafterConfig`.
        deidentifier: A configured :class:`~replydraft.deid.Deidentifier`.
        prompt_dir: A folder of templates overriding the packaged ones by name.
        audit: An :class:`~replydraft.audit.AuditSink` receiving one event per draft.
        audit_salt: Salt for the audit trail's patient-id hash (default: random per process).
        now: Clock used when a message has no ``received_at``.

    Example:
        >>> async with AsyncDrafter(llm=AsyncOpenAIClient(model="gpt-4o-mini"), chart=chart) as d:
        ...     results = await d.draft_many(messages, concurrency=16)
    """

    def __init__(
        self,
        llm: AsyncLLMClient,
        chart: AsyncChartSource | ChartSource | None = None,
        *,
        config: DrafterConfig | None = None,
        deidentifier: Deidentifier | None = None,
        prompt_dir: str | Path | None = None,
        audit: AuditSink | None = None,
        audit_salt: bytes | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not inspect.iscoroutinefunction(getattr(llm, "complete", None)):
            raise errors.ConfigurationError(
                "AsyncDrafter needs an async LLM client (e.g. AsyncOpenAIClient); "
                "use Drafter with a synchronous client"
            )
        if (
            chart is not None
            and getattr(chart, "blocking_io", False)
            and not inspect.iscoroutinefunction(getattr(chart, "get_context", None))
        ):
            raise errors.ConfigurationError(
                f"{type(chart).__name__} does blocking network I/O; use its async twin "
                "(e.g. AsyncFHIRChart) with AsyncDrafter"
            )
        super().__init__(
            llm,
            chart,
            config=config,
            deidentifier=deidentifier,
            prompt_dir=prompt_dir,
            audit=audit,
            audit_salt=audit_salt,
            now=now,
        )

    async def draft(self, message: str | PortalMessage, patient_id: str | None = None) -> DraftResult:
        """Draft a reply to one message (see :meth:`Drafter.draft`)."""
        try:
            return await self._draft(message, patient_id)
        except _Failure as failure:
            self._record_failure(failure)  # the audit trail has one event per draft, failed ones too
            raise failure.exc from failure.exc.__cause__

    async def draft_many(
        self, messages: Iterable[str | PortalMessage], *, concurrency: int = 8
    ) -> list[DraftResult]:
        """Draft many messages with bounded concurrency (see :meth:`Drafter.draft_many`)."""
        if concurrency < 1:
            raise errors.ConfigurationError("concurrency must be >= 1")
        semaphore = asyncio.Semaphore(concurrency)

        async def one(item: MessageInput) -> DraftResult:
            async with semaphore:
                try:
                    return await self._draft(item, None)
                except _Failure as failure:
                    return self._record_failure(failure)

        return list(await asyncio.gather(*(one(m) for m in messages)))

    async def _get_context(self, patient_id: str) -> ChartContext:
        get = self.chart.get_context
        if inspect.iscoroutinefunction(get):
            ctx: ChartContext = await get(patient_id)
            return ctx
        # in-process sources (bundle files, memory) may still parse for a while: keep the loop free
        return await asyncio.to_thread(get, patient_id)

    async def _draft(self, message: MessageInput, patient_id: str | None) -> DraftResult:
        steps = self._steps(message, patient_id)
        reply: Any = None
        error: Exception | None = None
        while True:
            try:
                op = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as done:
                result: DraftResult = done.value
                return result
            reply, error = None, None
            try:
                if isinstance(op, _FetchChart):
                    reply = await self._get_context(op.patient_id)
                else:
                    reply = await self.llm.complete(op.request)
            except Exception as exc:  # handed back to the steps, which decide (escalation survives it)
                error = exc

    async def aclose(self) -> None:
        """Close the LLM client, the chart source and the audit sink, where they can be closed."""
        for part in (self.llm, self.chart, self.audit):
            for name in ("aclose", "close"):
                closer = getattr(part, name, None)
                if callable(closer):
                    out = closer()
                    if inspect.isawaitable(out):
                        await out
                    break

    async def __aenter__(self) -> AsyncDrafter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
