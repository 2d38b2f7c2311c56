"""InMemoryChart: chart contexts held in a dict (tests, notebooks, callers with their own EHR code)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from replydraft.errors import ChartDataError, PatientNotFoundError
from replydraft.models import ChartContext

__all__ = ["InMemoryChart"]


class InMemoryChart:
    """A :class:`~replydraft.chart.ChartSource` over ready-made contexts.

    Example:
        >>> chart = InMemoryChart([ChartContext(patient=PatientDemographics(id="p1"))])
        >>> chart.get_context("p1").patient.id
        'p1'

    Args:
        contexts: A mapping ``patient_id -> ChartContext`` (or a plain dict in ChartContext's shape),
            or an iterable of ChartContext / plain dicts keyed by their ``patient.id``.

    Raises:
        ChartDataError: A plain dict does not validate as a ChartContext.
    """

    blocking_io = False

    def __init__(
        self,
        contexts: Mapping[str, ChartContext | Mapping[str, Any]] | Iterable[ChartContext | Mapping[str, Any]],
    ) -> None:
        self._contexts: dict[str, ChartContext] = {}
        if isinstance(contexts, Mapping):
            for pid, value in contexts.items():
                self._contexts[str(pid)] = _coerce(value)
        else:
            for value in contexts:
                ctx = _coerce(value)
                self._contexts[ctx.patient.id] = ctx

    @property
    def patient_ids(self) -> tuple[str, ...]:
        """The ids of the patients held."""
        return tuple(self._contexts)

    def get_context(self, patient_id: str) -> ChartContext:
        """Return the stored context.

        Raises:
            PatientNotFoundError: No context for this id.
        """
        try:
            return self._contexts[patient_id]
        except KeyError as exc:
            raise PatientNotFoundError(
                "no chart context for this patient id", resource_type="Patient"
            ) from exc


def _coerce(value: ChartContext | Mapping[str, Any]) -> ChartContext:
    if isinstance(value, ChartContext):
        return value
    try:
        return ChartContext.model_validate(dict(value))
    except ValidationError as exc:
        # not chained: pydantic's message quotes the input (names, dates of birth), and a chained cause
        # lands in error trackers; the count and the field locations are all a developer needs
        locations = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise ChartDataError(
            f"a chart context dict is invalid ({exc.error_count()} errors at {', '.join(locations)})"
        ) from None
