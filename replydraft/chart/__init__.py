"""Chart context: where a draft's facts come from.

Sources (pass any of them to the drafters):

* :class:`InMemoryChart` - ready-made :class:`~replydraft.models.ChartContext` objects or dicts;
* :class:`FHIRBundleChart` - FHIR R4 Bundle files (Synthea exports, US Core samples);
* :class:`FHIRChart` / :class:`AsyncFHIRChart` - a FHIR R4 REST server, with :class:`SMARTBackendAuth`
  or :class:`BearerAuth`.

Any object with ``get_context(patient_id) -> ChartContext`` is a :class:`ChartSource` (``async def``:
an :class:`AsyncChartSource`). :func:`select_context` then picks the few facts a reply needs, each with a
citation id, within a token budget.

Example:
    >>> chart = FHIRBundleChart("examples/charts/", now=datetime(2021, 6, 1, tzinfo=timezone.utc))
    >>> ctx = chart.get_context(chart.patient_ids[0])
    >>> picked = select_context(ctx, intent=Intent.REFILL, text="refill my metformin please", now=now)
    >>> picked.as_prompt_lines()[0]
    '[Patient/...] patient: 49-year-old male'
"""

from __future__ import annotations

from ._auth import BearerAuth, ChartAuth, SMARTBackendAuth
from ._bundle import FHIRBundleChart
from ._memory import InMemoryChart
from ._protocols import AsyncChartSource, ChartSource
from ._rest import AsyncFHIRChart, FHIRChart
from .relevance import (
    DEFAULT_TOKEN_BUDGET,
    SelectedContext,
    SelectedFact,
    estimate_tokens,
    select_context,
)

__all__ = [
    "DEFAULT_TOKEN_BUDGET",
    "AsyncChartSource",
    "AsyncFHIRChart",
    "BearerAuth",
    "ChartAuth",
    "ChartSource",
    "FHIRBundleChart",
    "FHIRChart",
    "InMemoryChart",
    "SMARTBackendAuth",
    "SelectedContext",
    "SelectedFact",
    "estimate_tokens",
    "select_context",
]
