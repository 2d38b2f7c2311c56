"""The statistical intent classifier: parity with scikit-learn, and how it joins the intent patterns.

Behaviour tests use a rules directory copy with a tiny hand-made ``intent_model.json`` so they do not
depend on learned weights; only the parity test reads the packaged model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_triage_model import copy_rules

from replydraft._triage_model import INTENT_MODEL_FILE, load_intent_model, parse_intent_model
from replydraft._triage_text import normalize
from replydraft.errors import ConfigurationError
from replydraft.models import Intent
from replydraft.triage import load_rules, screen

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "replydraft" / "triage_rules"
FIXTURES = Path(__file__).parent / "fixtures"
KNOWN = frozenset(i.value for i in Intent)
TRIGGER = "zorblax"  # a made-up word the hand-made model reads as a billing question


def _rows(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _model_doc(*, weight: float = 6.0, min_probability: float = 0.5) -> dict[str, Any]:
    """Three classes; ``zorblax`` pushes towards billing, ``hello`` towards other, nothing else counts.

    With one in-vocabulary feature its L2-normalised value is 1, so the decision values are the
    intercepts plus that feature's coefficients.
    """
    return {
        "version": "test",
        "classes": ["billing", "other", "symptom"],
        "intercepts": [0.0, 0.0, 0.5],
        "min_probability": min_probability,
        "vectorizers": [
            {
                "analyzer": "word",
                "ngram_range": [1, 2],
                "sublinear_tf": True,
                "features": [[TRIGGER, 2.0, [weight, 0.0, 0.0]], ["hello", 1.0, [0.0, 3.0, 0.0]]],
            },
            {
                "analyzer": "char_wb",
                "ngram_range": [3, 5],
                "sublinear_tf": True,
                "features": [[" q ", 1.0, [0.0, 0.0, 0.0]]],
            },
        ],
    }


@pytest.fixture
def rules_dir(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the packaged rule files (screen included), with (or without) a hand-made intent model."""

    def make(doc: dict[str, Any] | str | None = None) -> Path:
        return copy_rules(tmp_path, INTENT_MODEL_FILE, doc, also=("screen_model.json",))

    return make


def _softmax(z: list[float]) -> list[float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    return [x / sum(e) for x in e]


def test_packaged_model_reproduces_scikit_learn_on_every_dev_message() -> None:
    parity = json.loads((FIXTURES / "triage_intent_parity.json").read_text(encoding="utf-8"))
    model_bytes = (RULES / INTENT_MODEL_FILE).read_bytes()
    # the parity file is written with the model: a retrained model without a new parity file is stale
    assert parity["model_sha256"] == hashlib.sha256(model_bytes).hexdigest()
    model = load_intent_model(RULES, KNOWN)
    assert model is not None
    assert set(model.classes) == KNOWN
    dev = _rows("triage_dev.jsonl")
    assert set(parity["probabilities"]) == {r["id"] for r in dev}
    worst = 0.0
    for r in dev:
        mine = model.probabilities(normalize(r["text"]))
        assert mine is not None
        expected = parity["probabilities"][r["id"]]
        worst = max(worst, max(abs(mine[c] - expected[c]) for c in model.classes))
    assert worst < 1e-6


def test_probabilities_are_the_softmax_of_intercepts_plus_coefficients() -> None:
    model = parse_intent_model(_model_doc(weight=6.0), KNOWN)
    probs = model.probabilities(f"a {TRIGGER} question")
    assert probs is not None
    expected = _softmax([6.0, 0.0, 0.5])
    assert [probs[c] for c in model.classes] == pytest.approx(expected, abs=1e-12)
    # a word seen twice still normalises to one feature of value 1
    assert model.probabilities(f"{TRIGGER} {TRIGGER}") == pytest.approx(probs, abs=1e-12)
    assert model.predict(f"a {TRIGGER} question") == "billing"


def test_no_known_ngram_or_an_unsure_model_leaves_the_patterns_to_decide(
    rules_dir: Callable[..., Path],
) -> None:
    model = parse_intent_model(_model_doc(), KNOWN)
    assert model.probabilities("nothing known here at all") is None
    assert model.predict("😀😀") is None
    unsure = parse_intent_model(_model_doc(weight=0.1, min_probability=0.9), KNOWN)
    assert unsure.predict(TRIGGER) is None
    # through the screen: the hand-made model names billing for its word, the patterns decide the rest
    rules = load_rules(rules_dir(_model_doc()))
    assert screen(f"i have a {TRIGGER} about my bill", rules=rules).intent is Intent.BILLING
    assert screen(f"please refill my lisinopril {TRIGGER}", rules=rules).intent is Intent.BILLING
    assert screen("please refill my lisinopril", rules=rules).intent is Intent.REFILL


def test_the_model_never_touches_urgency(rules_dir: Callable[..., Path]) -> None:
    with_model = load_rules(rules_dir(_model_doc()))
    without = dataclasses.replace(with_model, intent_model=None)
    for text in [r["text"] for r in _rows("triage_dev.jsonl")]:
        a, b = screen(f"{text} {TRIGGER}", rules=with_model), screen(f"{text} {TRIGGER}", rules=without)
        assert (a.urgency, a.reasons) == (b.urgency, b.reasons)


def test_rules_directory_without_an_intent_model_uses_the_patterns(rules_dir: Callable[..., Path]) -> None:
    rules = load_rules(rules_dir(None))
    assert rules.intent_model is None
    assert screen("can you refill my lisinopril", rules=rules).intent is Intent.REFILL
    assert load_rules().intent_model is not None  # the packaged rules carry one


def _edit(**changes: Any) -> dict[str, Any]:
    doc = _model_doc()
    doc.update(changes)
    return doc


def _feature(row: list[Any]) -> dict[str, Any]:
    doc = _model_doc()
    doc["vectorizers"][0]["features"] = [row]
    return doc


@pytest.mark.parametrize(
    "doc",
    [
        "{not json",
        "[1, 2, 3]",
        _edit(classes=["billing", "other", "complaint"]),  # not an intent
        _edit(classes=["billing", "billing", "symptom"]),
        _edit(classes=["billing"]),
        _edit(intercepts=[0.0, 0.0]),
        _edit(intercepts=[0.0, float("inf"), 0.0]),
        _edit(min_probability=1.0),
        _edit(min_probability="sure"),
        _edit(vectorizers=[]),
        _feature([TRIGGER, 2.0, [1.0, 2.0]]),  # one coefficient short
        _feature([TRIGGER, 2.0, 1.0]),  # a number where a list per class is due
        _feature([TRIGGER, -1.0, [1.0, 2.0, 3.0]]),
        {k: v for k, v in _model_doc().items() if k != "classes"},
    ],
)
def test_malformed_intent_model_is_a_configuration_error(
    rules_dir: Callable[..., Path], doc: dict[str, Any] | str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_rules(rules_dir(doc))
    assert INTENT_MODEL_FILE in str(info.value)  # the message names the file, never any content


def test_vocabulary_stays_out_of_reprs() -> None:
    assert TRIGGER not in repr(parse_intent_model(_model_doc(), KNOWN))
