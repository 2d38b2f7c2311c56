"""The statistical second screen: parity with scikit-learn, and how it joins the rule-based screen.

Behaviour tests use a rules directory copy with a tiny hand-made ``screen_model.json`` so they do not
depend on learned weights; only the parity test reads the packaged model.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft import Drafter, InMemoryChart
from replydraft import triage as triage_mod
from replydraft._triage_model import (
    SCREEN_MODEL_FILE,
    URGENT_MODEL_FILE,
    NgramCache,
    char_wb_ngrams,
    load_screen_model,
    parse_screen_model,
    share_vocabulary,
    word_ngrams,
)
from replydraft._triage_text import normalize
from replydraft.errors import ConfigurationError
from replydraft.models import ChartContext, PatientDemographics, Urgency
from replydraft.testing import FakeLLM
from replydraft.triage import TriageRules, emergency_reasons_text, load_rules, reason_labels, screen

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "replydraft" / "triage_rules"
FIXTURES = Path(__file__).parent / "fixtures"
REASON = "emergency.statistical_screen"
URGENT_REASON = "urgent.statistical_screen"
LABELS = {"en": "worrying wording (test screen)", "es": "palabras preocupantes (filtro de prueba)"}

# Made-up trigger words that no red-flag rule knows, so only the hand-made model can react to them.
TRIGGER = "zorblax"


def _rows(name: str) -> list[dict[str, Any]]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _model_doc(*, coef: float = 4.0, intercept: float = -2.0, threshold: float = 0.6) -> dict[str, Any]:
    """A two-vectorizer model: the word ``zorblax`` pushes towards emergency, nothing else does.

    With one in-vocabulary feature the L2-normalised value is 1, so P = sigmoid(coef + intercept) for
    a message containing it and sigmoid(intercept) otherwise.
    """
    return {
        "version": "test",
        "reason": REASON,
        "labels": LABELS,
        "threshold": threshold,
        "intercept": intercept,
        "vectorizers": [
            {
                "analyzer": "word",
                "ngram_range": [1, 2],
                "sublinear_tf": True,
                "features": [[TRIGGER, 2.0, coef], ["hello", 1.5, 0.0]],
            },
            {
                "analyzer": "char_wb",
                "ngram_range": [3, 5],
                "sublinear_tf": True,
                "features": [[" q ", 1.0, 0.0]],
            },
        ],
    }


def copy_rules(
    target: Path, model_file: str, doc: dict[str, Any] | str | None, also: Sequence[str] = ()
) -> Path:
    """The packaged rule files (and ``also``) copied to ``target``, with ``doc`` as ``model_file``
    (raw text, a JSON document, or None for no such file)."""
    for name in ("redflags.json", "context.json", "intents.json", *also):
        shutil.copy(RULES / name, target / name)
    path = target / model_file
    if doc is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return target


@pytest.fixture
def rules_dir(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the packaged rule files, with (or without) a hand-made screen model."""

    def make(doc: dict[str, Any] | str | None = None) -> Path:
        return copy_rules(tmp_path, SCREEN_MODEL_FILE, doc)

    return make


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# ----------------------------------------------------------------------------- parity with scikit-learn


@pytest.mark.parametrize(
    ("model_file", "parity_file", "level"),
    [
        (SCREEN_MODEL_FILE, "triage_screen_parity.json", "emergency"),
        (URGENT_MODEL_FILE, "triage_urgent_parity.json", "urgent"),
    ],
)
def test_packaged_model_reproduces_scikit_learn_on_every_dev_message(
    model_file: str, parity_file: str, level: str
) -> None:
    parity = json.loads((FIXTURES / parity_file).read_text(encoding="utf-8"))
    model_bytes = (RULES / model_file).read_bytes()
    # the parity file is written with the model: a retrained model without a new parity file is stale
    assert parity["model_sha256"] == hashlib.sha256(model_bytes).hexdigest()
    model = load_screen_model(RULES, level=level, name=model_file)
    assert model is not None and model.level == level
    dev = _rows("triage_dev.jsonl")
    assert set(parity["probabilities"]) == {r["id"] for r in dev}
    worst = max(abs(model.probability(normalize(r["text"])) - parity["probabilities"][r["id"]]) for r in dev)
    assert worst < 1e-6


def test_packaged_rules_carry_both_screens_with_both_labels() -> None:
    rules = load_rules()
    for model, reason in ((rules.screen_model, REASON), (rules.urgent_model, URGENT_REASON)):
        assert model is not None
        assert model.reason == reason
        assert model.labels["en"] and model.labels["es"]
        assert 0.0 < model.threshold <= model.threshold_without_concepts < 1.0


def test_ngrams_follow_scikit_learn_rules_by_hand() -> None:
    # single-character tokens are not words for (?u)\b\w\w+\b; bigrams join with one space
    assert word_ngrams("a bc de", 1, 2) == ["bc", "de", "bc de"]
    # a padded word no longer than n is counted once, and no longer n-grams are taken from it
    assert sorted(char_wb_ngrams("a  bc", 3, 5)) == sorted([" a ", " bc", "bc ", " bc "])
    assert sorted(char_wb_ngrams("abcd", 3, 4)) == sorted(
        [" ab", "abc", "bcd", "cd ", " abc", "abcd", "bcd "]
    )
    # a padded word shorter than the smallest n is still counted once, whole
    assert sorted(char_wb_ngrams("a bcd", 4, 5)) == sorted([" a ", " bcd", "bcd ", " bcd "])


_TRICKY = [
    "",
    "a",
    "ab",
    "i  cant   breathe\n\nhelp",
    "x y z 1 22 333",
    "niño  bebé",
    "tab\tsep\u00a0nbsp\u2003emsp",
    "emoji 😀😀 ok",
]


def _assert_ngrams_match_scikit_learn(text: str, char_ranges: tuple[tuple[int, int], ...]) -> None:
    text_mod = pytest.importorskip("sklearn.feature_extraction.text")  # the dev extra installs it
    norm = normalize(text)
    word = text_mod.TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    assert word_ngrams(norm.lower(), 1, 2) == word(norm)
    for lo, hi in char_ranges:
        char = text_mod.TfidfVectorizer(analyzer="char_wb", ngram_range=(lo, hi)).build_analyzer()
        # the same multiset (the order of n-grams does not enter the counts)
        assert Counter(char_wb_ngrams(norm.lower(), lo, hi)) == Counter(char(norm))


@pytest.mark.parametrize("text", _TRICKY + [r["text"] for r in _rows("triage_dev.jsonl")[:40]])
def test_ngrams_match_scikit_learn_analyzers(text: str) -> None:
    # (4, 6) puts short words below the smallest n, the one branch (3, 5) rarely reaches
    _assert_ngrams_match_scikit_learn(text, ((3, 5), (4, 6)))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_ngrams_match_scikit_learn_on_arbitrary_text(text: str) -> None:
    _assert_ngrams_match_scikit_learn(text, ((3, 5),))


# ----------------------------------------------------------------------------- the screen with a model


def test_screen_escalates_when_the_model_says_so_and_the_rules_do_not(rules_dir: Callable[..., Path]) -> None:
    rules = load_rules(rules_dir(_model_doc()))
    text = f"hello, can i get a refill of my {TRIGGER} please"
    without = screen(text, rules=load_rules(rules_dir(None)))
    assert without.urgency is Urgency.ROUTINE
    t = screen(text, rules=rules)
    assert t.urgency is Urgency.EMERGENCY
    assert t.reasons == (REASON,)
    # intent and language are the rules' business and do not change
    assert (t.intent, t.language) == (without.intent, without.language)


def test_probability_is_the_logistic_of_coefficient_plus_intercept(rules_dir: Callable[..., Path]) -> None:
    model = load_rules(rules_dir(_model_doc(coef=3.0, intercept=-2.0))).screen_model
    assert model is not None
    assert model.probability(TRIGGER) == pytest.approx(_sigmoid(1.0))
    # repeated: sublinear tf changes the raw weight, but the L2 norm of a one-feature vector is still 1
    assert model.probability(f"{TRIGGER} {TRIGGER} {TRIGGER}") == pytest.approx(_sigmoid(1.0))
    assert model.probability("nothing known here") == pytest.approx(_sigmoid(-2.0))
    # two features: x = (idf * tf weights) / norm, dot with the coefficients
    both = model.probability(f"hello {TRIGGER}")
    assert both == pytest.approx(_sigmoid(-2.0 + 3.0 * 2.0 / math.hypot(2.0, 1.5)))


def test_no_escalation_below_the_threshold(rules_dir: Callable[..., Path]) -> None:
    # P = sigmoid(4 - 2) = 0.881: escalates at 0.85, not at 0.9
    text = f"my {TRIGGER} question"
    assert screen(text, rules=load_rules(rules_dir(_model_doc(threshold=0.85)))).urgency is Urgency.EMERGENCY
    t = screen(text, rules=load_rules(rules_dir(_model_doc(threshold=0.9))))
    assert t.urgency is Urgency.ROUTINE
    assert REASON not in t.reasons


def test_the_screen_only_raises_and_keeps_rule_reasons(rules_dir: Callable[..., Path]) -> None:
    rules = load_rules(rules_dir(_model_doc()))
    # the rules' own emergency stands alone: the model is not consulted
    t = screen(f"my chest is crushing and i cant breathe {TRIGGER}", rules=rules)
    assert t.urgency is Urgency.EMERGENCY and REASON not in t.reasons and t.reasons
    # an urgent verdict is raised, and the urgent rule stays on record after the statistical reason
    urgent_text = "my son has had a fever of 102 since yesterday, drinking fine"
    base = screen(urgent_text, rules=rules)
    assert base.urgency is Urgency.URGENT
    raised = screen(f"{urgent_text} {TRIGGER}", rules=rules)
    assert raised.urgency is Urgency.EMERGENCY
    assert raised.reasons == (REASON, *base.reasons)
    # a model that never reaches the threshold changes nothing
    quiet = load_rules(rules_dir(_model_doc(coef=-5.0)))
    unchanged = screen(f"{urgent_text} {TRIGGER}", rules=quiet)
    assert (unchanged.urgency, unchanged.reasons) == (base.urgency, base.reasons)


def test_reason_labels_and_emergency_text_for_the_statistical_reason(rules_dir: Callable[..., Path]) -> None:
    rules = load_rules(rules_dir(_model_doc()))
    t = screen(f"{TRIGGER} since this morning", rules=rules)
    assert reason_labels(t.reasons, "en", rules=rules) == [LABELS["en"]]
    assert reason_labels(t.reasons, "es", rules=rules) == [LABELS["es"]]
    assert emergency_reasons_text(t, "en", rules=rules) == LABELS["en"]
    assert emergency_reasons_text(t, "es", rules=rules) == LABELS["es"]
    # the labels are fixed text: nothing of the message is copied into them
    assert all(TRIGGER not in label for label in LABELS.values())


def test_packaged_labels_are_known_for_the_packaged_reason() -> None:
    model = load_rules().screen_model
    assert model is not None
    assert reason_labels([REASON], "es") == [model.labels["es"]]
    assert reason_labels([REASON, "emergency.seizure"], "en") == [model.labels["en"], "a seizure"]


def test_rules_directory_without_a_model_has_no_statistical_screen(rules_dir: Callable[..., Path]) -> None:
    rules = load_rules(rules_dir(None))
    assert rules.screen_model is None
    t = screen(f"{TRIGGER} " * 5, rules=rules)
    assert t.urgency is Urgency.ROUTINE and t.reasons == ()
    assert reason_labels([REASON], "en", rules=rules) == []
    assert screen("my chest is crushing and i cant breathe", rules=rules).urgency is Urgency.EMERGENCY


def _without(key: str) -> dict[str, Any]:
    doc = _model_doc()
    del doc[key]
    return doc


def _edit(**changes: Any) -> dict[str, Any]:
    doc = _model_doc()
    doc.update(changes)
    return doc


def _vec(index: int, **changes: Any) -> dict[str, Any]:
    doc = _model_doc()
    doc["vectorizers"][index].update(changes)
    return doc


@pytest.mark.parametrize(
    "doc",
    [
        "{not json",
        "[1, 2, 3]",
        _without("vectorizers"),
        _without("labels"),
        _without("threshold"),
        _edit(threshold=1.5),
        _edit(threshold_without_concepts=0.5),
        _edit(threshold_without_concepts=1.0),
        _edit(threshold="high"),
        _edit(intercept=float("nan")),
        _edit(labels={"en": "only english"}),
        _edit(reason="routine.statistical"),
        _edit(vectorizers=[]),
        _vec(0, analyzer="char"),
        _vec(0, ngram_range=[2, 1]),
        _vec(0, features=[["word", 1.0]]),
        _vec(1, features=[[3, 1.0, 1.0]]),
        _vec(0, token_pattern=r"\w+"),
    ],
)
def test_malformed_model_is_a_configuration_error(
    rules_dir: Callable[..., Path], doc: dict[str, Any] | str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_rules(rules_dir(doc))
    # the message names the file, never any content
    assert SCREEN_MODEL_FILE in str(info.value)


def test_parse_accepts_the_hand_made_model() -> None:
    model = parse_screen_model(_model_doc())
    assert model.reason == REASON and len(model.vectorizers) == 2
    assert TRIGGER not in repr(model)  # the vocabulary stays out of reprs and logs


def test_a_message_without_any_rule_concept_needs_the_higher_threshold(
    rules_dir: Callable[..., Path],
) -> None:
    # P = sigmoid(4 - 2) = 0.88 for any message with the trigger word: above 0.6, below 0.9
    doc = _model_doc()
    doc["threshold_without_concepts"] = 0.9
    rules = load_rules(rules_dir(doc))
    assert screen(f"hello doctor, {TRIGGER} since this morning", rules=rules).urgency is Urgency.ROUTINE
    # the same probability escalates once the rules found something clinical (here an urgent fever)
    with_concept = screen(f"hello doctor, {TRIGGER} and a fever of 101 since this morning", rules=rules)
    assert with_concept.urgency is Urgency.EMERGENCY and with_concept.reasons[0] == REASON
    # a model file without the field keeps one threshold for every message
    assert parse_screen_model(_model_doc()).threshold_without_concepts == 0.6


def test_the_packaged_screen_leaves_a_plain_refill_question_alone() -> None:
    text = "I have a question about my lisinopril refill and my blood pressure readings."
    assert screen(text).urgency is Urgency.ROUTINE


# ----------------------------------------------------------------------------- end to end


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "hello doctor, {t} since this morning"),
        ("es", "hola doctora, tengo {t} desde ayer y no se que hacer"),
    ],
)
def test_emergency_reply_is_built_for_a_statistical_escalation(
    rules_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, language: str, text: str
) -> None:
    rules: TriageRules = load_rules(rules_dir(_model_doc()))
    monkeypatch.setattr(triage_mod, "_rules", rules)  # the drafter screens with the default rules
    fake = FakeLLM()
    patient = PatientDemographics(id="p1", names=("Ana Ruiz",), given_names=("Ana",), family_names=("Ruiz",))
    drafter = Drafter(
        llm=fake,
        chart=InMemoryChart({"p1": ChartContext(patient=patient)}),
        now=lambda: datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc),
    )
    result = drafter.draft(text.format(t=TRIGGER), patient_id="p1")
    assert fake.history == []
    assert result.status == "escalated"
    assert result.triage.urgency is Urgency.EMERGENCY and result.triage.reasons == (REASON,)
    assert result.has_flag("emergency_escalation")
    assert "911" in result.body
    assert LABELS[language] in result.body
    assert TRIGGER not in result.body


# ----------------------------------------------------------------------------- the urgent screen

URGENT_LABELS = {"en": "same-day wording (test screen)", "es": "palabras de mismo día (filtro de prueba)"}
# a second made-up word, which only the hand-made urgent model knows
URGENT_TRIGGER = "quendrix"


def _urgent_doc(**changes: Any) -> dict[str, Any]:
    doc = _model_doc()
    doc["vectorizers"][0]["features"] = [[URGENT_TRIGGER, 2.0, 4.0], ["hello", 1.5, 0.0]]
    doc.update({"reason": URGENT_REASON, "labels": URGENT_LABELS, **changes})
    return doc


@pytest.fixture
def urgent_dir(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the packaged rule files with a hand-made urgent model (and optionally an emergency one)."""

    def make(doc: dict[str, Any] | str | None = "default", screen_doc: dict[str, Any] | None = None) -> Path:
        copy_rules(tmp_path, URGENT_MODEL_FILE, _urgent_doc() if doc == "default" else doc)
        if screen_doc is not None:
            (tmp_path / SCREEN_MODEL_FILE).write_text(json.dumps(screen_doc), encoding="utf-8")
        return tmp_path

    return make


def test_the_urgent_screen_raises_a_routine_message_to_urgent(urgent_dir: Callable[..., Path]) -> None:
    rules = load_rules(urgent_dir())
    assert rules.urgent_model is not None and rules.urgent_model.level == "urgent"
    assert rules.screen_model is None
    text = f"hello, my {URGENT_TRIGGER} has been bothering me and a mild headache"
    t = screen(text, rules=rules)
    assert t.urgency is Urgency.URGENT
    assert t.reasons[0] == URGENT_REASON
    assert screen(text.replace(URGENT_TRIGGER, "knee"), rules=rules).urgency is Urgency.ROUTINE
    # without the model file the same message is left to the rules
    plain = load_rules(urgent_dir(None))
    assert plain.urgent_model is None
    assert screen(text, rules=plain).urgency is Urgency.ROUTINE


def test_the_urgent_screen_needs_the_higher_threshold_without_a_concept(
    urgent_dir: Callable[..., Path],
) -> None:
    # P = sigmoid(4 - 2) = 0.88: above 0.6, below 0.9
    rules = load_rules(urgent_dir(_urgent_doc(threshold_without_concepts=0.9)))
    assert screen(f"hello, {URGENT_TRIGGER} again", rules=rules).urgency is Urgency.ROUTINE
    with_concept = screen(f"hello, {URGENT_TRIGGER} and a mild headache", rules=rules)
    assert with_concept.urgency is Urgency.URGENT and with_concept.reasons[0] == URGENT_REASON


def test_the_urgent_screen_leaves_urgent_and_emergency_verdicts_alone(
    urgent_dir: Callable[..., Path],
) -> None:
    rules = load_rules(urgent_dir())
    urgent_text = "my son has had a fever of 102 since yesterday, drinking fine"
    base = screen(urgent_text, rules=rules)
    assert base.urgency is Urgency.URGENT and URGENT_REASON not in base.reasons
    with_word = screen(f"{urgent_text} {URGENT_TRIGGER}", rules=rules)
    assert (with_word.urgency, with_word.reasons) == (base.urgency, base.reasons)
    emergency = screen(f"my chest is crushing and i cant breathe {URGENT_TRIGGER}", rules=rules)
    assert emergency.urgency is Urgency.EMERGENCY and URGENT_REASON not in emergency.reasons


def test_the_emergency_screen_goes_first_and_the_urgent_screen_then_has_nothing_to_do(
    urgent_dir: Callable[..., Path],
) -> None:
    rules = load_rules(urgent_dir(screen_doc=_model_doc()))
    both = screen(f"hello {TRIGGER} and {URGENT_TRIGGER} since this morning", rules=rules)
    assert both.urgency is Urgency.EMERGENCY and both.reasons == (REASON,)
    only_urgent = screen(f"hello {URGENT_TRIGGER} and a mild headache", rules=rules)
    assert only_urgent.urgency is Urgency.URGENT and only_urgent.reasons[0] == URGENT_REASON


def test_urgent_screen_labels_are_reason_labels_but_not_emergency_text(
    urgent_dir: Callable[..., Path],
) -> None:
    rules = load_rules(urgent_dir())
    t = screen(f"hello, {URGENT_TRIGGER} and a mild headache", rules=rules)
    assert reason_labels([URGENT_REASON], "en", rules=rules) == [URGENT_LABELS["en"]]
    assert reason_labels([URGENT_REASON], "es", rules=rules) == [URGENT_LABELS["es"]]
    assert URGENT_LABELS["en"] in reason_labels(t.reasons, "en", rules=rules)
    assert reason_labels([URGENT_REASON], "en", rules=load_rules(urgent_dir(None))) == []
    assert load_rules().urgent_model is not None
    assert reason_labels([URGENT_REASON], "en") == [load_rules().urgent_model.labels["en"]]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("model_file", "doc"),
    [
        # each screen's reason must name its own level: an urgent file cannot escalate to emergency
        (URGENT_MODEL_FILE, _model_doc()),
        (SCREEN_MODEL_FILE, _urgent_doc()),
        (URGENT_MODEL_FILE, _urgent_doc(reason="urgent.")),
        (URGENT_MODEL_FILE, _urgent_doc(threshold=0.0)),
        (URGENT_MODEL_FILE, "{not json"),
    ],
)
def test_a_screen_file_with_the_wrong_level_or_shape_is_a_configuration_error(
    tmp_path: Path, model_file: str, doc: dict[str, Any] | str
) -> None:
    copy_rules(tmp_path, model_file, doc)
    with pytest.raises(ConfigurationError) as info:
        load_rules(tmp_path)
    assert model_file in str(info.value)


def test_an_urgent_statistical_verdict_drafts_with_a_same_day_callback(
    urgent_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules: TriageRules = load_rules(urgent_dir())
    monkeypatch.setattr(triage_mod, "_rules", rules)
    fake = FakeLLM()
    patient = PatientDemographics(id="p1", names=("Ana Ruiz",), given_names=("Ana",), family_names=("Ruiz",))
    drafter = Drafter(
        llm=fake,
        chart=InMemoryChart({"p1": ChartContext(patient=patient)}),
        now=lambda: datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc),
    )
    result = drafter.draft(f"hello, my {URGENT_TRIGGER} and a mild headache since today", patient_id="p1")
    # urgent is not an emergency: the model drafts, and the backend is told to call back today
    assert len(fake.history) == 1
    assert result.triage.urgency is Urgency.URGENT and result.triage.reasons[0] == URGENT_REASON
    assert result.has_flag("same_day_callback")
    assert not result.has_flag("emergency_escalation")


def test_the_packaged_screens_share_one_vocabulary_and_count_a_message_once() -> None:
    rules = load_rules()
    em, urg = rules.screen_model, rules.urgent_model
    assert em is not None and urg is not None
    assert all(a.idf_sq is b.idf_sq for a, b in zip(em.vectorizers, urg.vectorizers, strict=True))
    for r in _rows("triage_dev.jsonl")[:60]:
        norm = normalize(r["text"])
        cache = NgramCache()
        shared = (em.probability(norm, cache), urg.probability(norm, cache))
        assert shared == (em.probability(norm), urg.probability(norm))
        # one count per vectorizer for both models, not one per model
        assert len(cache.counts) == len(em.vectorizers)


def test_share_vocabulary_only_shares_equal_vocabularies() -> None:
    em = parse_screen_model(_model_doc())
    other_words = parse_screen_model(_urgent_doc(), level="urgent")
    kept = share_vocabulary(em, other_words)
    # the word vocabularies differ (another trigger word): not shared; the char ones are equal: shared
    assert kept.vectorizers[0].idf_sq is not em.vectorizers[0].idf_sq
    assert kept.vectorizers[1].idf_sq is em.vectorizers[1].idf_sq
    same_words = _urgent_doc()
    same_words["vectorizers"][0]["features"] = [[TRIGGER, 2.0, -1.0], ["hello", 1.5, 0.5]]
    shared = share_vocabulary(em, parse_screen_model(same_words, level="urgent"))
    assert shared.vectorizers[0].idf_sq is em.vectorizers[0].idf_sq
    # sharing changes where the weights live, not the model: its own coefficients still decide
    assert shared.probability(f"hello {TRIGGER}") == pytest.approx(
        _sigmoid(-2.0 + (2.0 * -1.0 + 1.5 * 0.5) / math.hypot(2.0, 1.5))
    )


def test_a_rules_benign_reading_stops_that_rule_but_not_the_urgent_screen(
    urgent_dir: Callable[..., Path],
) -> None:
    # the hypoglycaemia rule's benign reading (a mild low that came back up) explains only its own words;
    # the urgent screen still reads the whole message (decision and evidence: triage_rules/README.md)
    rules = load_rules(urgent_dir())
    low = "my sugar dropped to 65 this morning, had juice and it came back up to 110 within 15 minutes"
    assert screen(low, rules=rules).urgency is Urgency.ROUTINE
    assert screen(low.replace("came back up to 110", "is still 65"), rules=rules).reasons == (
        "urgent.hypoglycemia",
    )
    raised = screen(f"hello, {low}. also my {URGENT_TRIGGER} is worse", rules=rules)
    assert raised.urgency is Urgency.URGENT and raised.reasons == (URGENT_REASON,)
