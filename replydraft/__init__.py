"""replydraft: draft replies to patient-portal messages for a physician to edit and sign.

message -> triage -> de-identify -> chart context -> prompt -> LLM -> output checks -> re-identify
-> DraftResult

Nothing is ever sent to a patient by this library, and nothing identifying leaves the process toward a
model. Public names are imported lazily, so ``import replydraft`` stays fast (the openai SDK alone takes
about a second to import).

Example:
    >>> from replydraft import Drafter, FHIRBundleChart, OpenAIClient
    >>> drafter = Drafter(llm=OpenAIClient(model="gpt-4o-mini"), chart=FHIRBundleChart("bundle.json"))
    >>> result = drafter.draft("I'm almost out of my lisinopril", patient_id="example")
    >>> result.body, result.triage.urgency, result.flags
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

# the library never configures logging; applications do
logging.getLogger("replydraft").addHandler(logging.NullHandler())

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .audit import AuditEvent, AuditSink, InMemoryAuditSink, JSONLAuditSink
    from .chart import (
        AsyncChartSource,
        AsyncFHIRChart,
        BearerAuth,
        ChartSource,
        FHIRBundleChart,
        FHIRChart,
        InMemoryChart,
        SMARTBackendAuth,
    )
    from .config import DrafterConfig
    from .deid import Deidentifier, DeidResult, KnownIdentifiers
    from .drafter import AsyncDrafter, Drafter
    from .evaluate import EvalRun, aevaluate, evaluate
    from .llm import AsyncLLMClient, LLMClient
    from .local import LocalModelServer
    from .models import (
        ChartContext,
        Citation,
        DraftResult,
        Flag,
        Intent,
        PortalMessage,
        Triage,
        Urgency,
    )
    from .openai_client import AsyncOpenAIClient, OpenAIClient
    from .review import SignedReply
    from .safety import SafetyConfig
    from .triage import screen

__all__ = [
    "AsyncChartSource",
    "AsyncDrafter",
    "AsyncFHIRChart",
    "AsyncLLMClient",
    "AsyncOpenAIClient",
    "AuditEvent",
    "AuditSink",
    "BearerAuth",
    "ChartContext",
    "ChartSource",
    "Citation",
    "DeidResult",
    "Deidentifier",
    "DraftResult",
    "Drafter",
    "DrafterConfig",
    "EvalRun",
    "FHIRBundleChart",
    "FHIRChart",
    "Flag",
    "InMemoryAuditSink",
    "InMemoryChart",
    "Intent",
    "JSONLAuditSink",
    "KnownIdentifiers",
    "LLMClient",
    "LocalModelServer",
    "OpenAIClient",
    "PortalMessage",
    "SMARTBackendAuth",
    "SafetyConfig",
    "SignedReply",
    "Triage",
    "Urgency",
    "aevaluate",
    "evaluate",
    "screen",
]

_WHERE = {
    "AuditEvent": "audit",
    "BearerAuth": "chart",
    "SMARTBackendAuth": "chart",
    "DeidResult": "deid",
    "aevaluate": "evaluate",
    "LocalModelServer": "local",
    "AuditSink": "audit",
    "InMemoryAuditSink": "audit",
    "JSONLAuditSink": "audit",
    "AsyncChartSource": "chart",
    "AsyncFHIRChart": "chart",
    "ChartSource": "chart",
    "FHIRBundleChart": "chart",
    "FHIRChart": "chart",
    "InMemoryChart": "chart",
    "DrafterConfig": "config",
    "Deidentifier": "deid",
    "KnownIdentifiers": "deid",
    "AsyncDrafter": "drafter",
    "Drafter": "drafter",
    "EvalRun": "evaluate",
    "evaluate": "evaluate",
    "AsyncLLMClient": "llm",
    "LLMClient": "llm",
    "ChartContext": "models",
    "Citation": "models",
    "DraftResult": "models",
    "Flag": "models",
    "Intent": "models",
    "PortalMessage": "models",
    "Triage": "models",
    "Urgency": "models",
    "AsyncOpenAIClient": "openai_client",
    "OpenAIClient": "openai_client",
    "SignedReply": "review",
    "SafetyConfig": "safety",
    "screen": "triage",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'replydraft' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
