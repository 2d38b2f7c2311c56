"""FHIRBundleChart validates a patient's resources once per minute of "now", not on every draft."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from replydraft import FHIRBundleChart

CHARTS = Path(__file__).resolve().parent.parent / "examples" / "charts"
MILAN = "8adf7251-257f-4b45-8ef5-0a6b3b9fe0ef"


def test_same_minute_reuses_the_context_and_a_new_minute_rebuilds_it() -> None:
    clock = [datetime(2026, 11, 20, 9, 0, 5, tzinfo=timezone.utc)]
    chart = FHIRBundleChart(CHARTS, now=lambda: clock[0])
    first = chart.get_context(MILAN)
    clock[0] += timedelta(seconds=30)
    assert chart.get_context(MILAN) is first
    clock[0] += timedelta(minutes=1)
    again = chart.get_context(MILAN)
    assert again is not first
    assert again == first  # nothing time-dependent changed in this chart
