"""The ChartSource protocols: what the drafters need from a chart."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from replydraft.models import ChartContext

__all__ = ["AsyncChartSource", "ChartSource"]


@runtime_checkable
class ChartSource(Protocol):
    """Anything that returns a patient's chart context synchronously.

    Implementations may also define ``close()`` and a class attribute ``blocking_io = True`` when
    ``get_context`` waits on the network (the AsyncDrafter refuses those and runs other sync sources,
    such as :class:`InMemoryChart`, in a worker thread).

    Example:
        >>> class MyChart:
        ...     def get_context(self, patient_id: str) -> ChartContext: ...
    """

    def get_context(self, patient_id: str) -> ChartContext:
        """Return the chart context of one patient.

        Raises:
            PatientNotFoundError: No such patient.
            ChartError: Any other failure to read the chart.
        """
        ...


@runtime_checkable
class AsyncChartSource(Protocol):
    """Anything that returns a patient's chart context from a coroutine (see :class:`ChartSource`)."""

    async def get_context(self, patient_id: str) -> ChartContext:
        """Return the chart context of one patient.

        Raises:
            PatientNotFoundError: No such patient.
            ChartError: Any other failure to read the chart.
        """
        ...
