"""Recall floors on the dev fixtures: a regression net, not the score (benchmarks/deid.py reports that)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replydraft.deid import Deidentifier, KnownIdentifiers

FIXTURES = Path(__file__).parent / "fixtures"


def _recall(rows: list[dict[str, Any]], d: Deidentifier, use_chart: bool) -> tuple[float, float, float]:
    caught = total = known_caught = known_total = tp = n_pred = 0
    for row in rows:
        text = row["text"]
        known = KnownIdentifiers.from_mapping(row["chart"]) if use_chart and row.get("chart") else None
        r = d.deidentify(text, known=known)
        mask = [False] * len(text)
        for s in r.spans:
            mask[s.start : s.end] = [True] * (s.end - s.start)
        gold = [False] * len(text)
        for g in row["spans"]:
            gold[g["start"] : g["end"]] = [True] * (g["end"] - g["start"])
        for s in r.spans:
            n_pred += 1
            tp += any(gold[s.start : s.end])
        names = {p.casefold() for p in (known.patient_name_parts() if known else ())}
        for g in row["spans"]:
            if g["type"] == "PROVIDER":
                continue
            ok = sum(mask[g["start"] : g["end"]]) * 2 >= g["end"] - g["start"]
            total += 1
            caught += ok
            if text[g["start"] : g["end"]].casefold() in names:
                known_total += 1
                known_caught += ok
    return caught / total, (known_caught / known_total if known_total else 1.0), tp / max(n_pred, 1)


@pytest.fixture(scope="module")
def d() -> Deidentifier:
    return Deidentifier()


@pytest.mark.parametrize(
    ("fixture", "use_chart", "floor"),
    [
        # the targets on the template set; the hand-written floors sit just under the measured 0.997
        ("deid_dev.jsonl", True, 0.995),
        ("deid_dev.jsonl", False, 0.985),
        ("deid_handwritten_dev.jsonl", True, 0.99),
        ("deid_handwritten_dev.jsonl", False, 0.99),
        # written blind, then its miss categories fixed (0.997 / 0.995 measured)
        ("deid_handwritten_blind.jsonl", True, 0.99),
        ("deid_handwritten_blind.jsonl", False, 0.99),
    ],
)
def test_recall_floor(d: Deidentifier, fixture: str, use_chart: bool, floor: float) -> None:
    rows = [json.loads(x) for x in (FIXTURES / fixture).read_text(encoding="utf-8").splitlines() if x.strip()]
    recall, known_recall, precision = _recall(rows, d, use_chart)
    assert recall >= floor
    assert precision >= 0.93
    if use_chart:
        # every chart name written in the text is caught
        assert known_recall == 1.0
