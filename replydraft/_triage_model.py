"""The statistical second screen: pure-Python inference for a TF-IDF + logistic-regression model.

Why a second screen at all: the rules in ``triage_rules/*.json`` are precise, but on messages nobody
tuned them on their first-pass emergency recall was 0.71-0.89. A bag-of-n-grams model trained on every
labelled fixture generalises differently (it has seen many ways of saying "something is very wrong") and,
used only to *raise* urgency to emergency, lifted blind-set recall at no cost in routine specificity.

Why pure Python rather than scikit-learn at run time: scikit-learn (plus numpy and scipy) would be a heavy
dependency for a dot product over a few hundred features, and importing it costs far more than the 2 ms
budget. ``scripts/train_triage_screen.py`` trains with scikit-learn and exports the fitted vocabulary, idf
weights and coefficients to ``triage_rules/screen_model.json``; this module reproduces scikit-learn's
featurisation exactly (``TfidfVectorizer`` defaults apart from the exported options):

* preprocessing: ``str.lower()`` (the text is already ``_triage_text.normalize``-d; lowering again is what
  scikit-learn does and costs nothing);
* ``word`` analyzer: tokens ``(?u)\\b\\w\\w+\\b``, n-grams joined by one space;
* ``char_wb`` analyzer: as ``VectorizerMixin._char_wb_ngrams`` — each whitespace-separated word padded
  with one space each side, n-grams inside it, and a padded word no longer than ``n`` counted once (and no
  longer n-grams taken from it);
* term frequency ``1 + ln(tf)`` (``sublinear_tf``), times idf, L2-normalised per vectorizer over the
  vocabulary features (out-of-vocabulary n-grams are dropped before the norm, as in scikit-learn);
* the two vectors concatenated (``make_union``), dotted with the coefficients, plus the intercept,
  through the logistic function.

``tests/fixtures/triage_screen_parity.json`` holds scikit-learn's probabilities for the dev set; the
test suite checks this module against them to 1e-6.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from replydraft.errors import ConfigurationError

__all__ = [
    "INTENT_MODEL_FILE",
    "SCREEN_MODEL_FILE",
    "URGENT_MODEL_FILE",
    "IntentModel",
    "ScreenModel",
    "load_intent_model",
    "load_screen_model",
    "share_vocabulary",
]

SCREEN_MODEL_FILE = "screen_model.json"
URGENT_MODEL_FILE = "urgent_model.json"
INTENT_MODEL_FILE = "intent_model.json"

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def word_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Word n-grams as scikit-learn's ``_word_ngrams`` (no stop words), in its order."""
    tokens = _TOKEN.findall(text)
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(tokens) + 1)):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside word boundaries: the multiset scikit-learn's ``_char_wb_ngrams`` makes.

    scikit-learn first collapses whitespace runs (``\\s\\s+`` -> one space) and then calls ``split()``;
    ``\\s`` and ``split()`` use the same Unicode whitespace (checked over every code point), so
    ``split()`` alone gives the same words. Its short-word rule ("a padded word no longer than n is
    counted once, and no longer n-grams are taken from it") gives exactly the plain sliding window
    (a window as long as the word yields the word once, a longer one nothing), except for a padded
    word shorter than the smallest n: that is counted once, whole. One comprehension over all words and
    sizes keeps this cheap; the n-grams come out in another order than scikit-learn's, which does not
    change the counts.
    """
    padded = [f" {word} " for word in text.split()]
    sizes = range(lo, hi + 1)
    out = [w[i : i + n] for w in padded for n in sizes for i in range(len(w) - n + 1)]
    out.extend(w for w in padded if len(w) < lo)
    return out


# a term's in-vocabulary count, the squared norm of the tf-idf vector, and the (term, tf weight - 1)
# surplus of terms seen more than once
_Counts = tuple[Counter[str], float, list[tuple[str, float]]]


class NgramCache:
    """One message's n-grams, and their counts per vocabulary, shared by the models of one screen.

    ``triage.screen`` makes one per call (nothing is kept between messages): the intent model and the
    screens reuse the n-grams, and the emergency and urgent screens, whose vocabularies are the same
    object (see :func:`share_vocabulary`), reuse the counts and the vector norm too.
    """

    __slots__ = ("counts", "grams")

    def __init__(self) -> None:
        self.grams: dict[tuple[str, int, int], list[str]] = {}
        self.counts: dict[tuple[int, str, int, int, bool], _Counts] = {}


@dataclass(frozen=True)
class _Vectorizer:
    analyzer: str
    lo: int
    hi: int
    sublinear_tf: bool
    # term -> (idf * coefficient per class) and term -> idf ** 2: with tf = 1 (most n-grams) a term adds
    # exactly these to the dot products and the squared norm, so the sums run in C (map, zip, sum)
    idf_coefs: Mapping[str, tuple[float, ...]] = field(repr=False)
    idf_sq: Mapping[str, float] = field(repr=False)
    n_classes: int = 1

    def ngrams(self, text: str, cache: NgramCache | None = None) -> list[str]:
        key = (self.analyzer, self.lo, self.hi)
        if cache is not None and key in cache.grams:
            return cache.grams[key]
        if self.analyzer == "word":
            grams = word_ngrams(text, self.lo, self.hi)
        else:
            grams = char_wb_ngrams(text, self.lo, self.hi)
        if cache is not None:
            cache.grams[key] = grams
        return grams

    def _counts(self, text: str, cache: NgramCache | None) -> _Counts:
        """In-vocabulary term counts, squared norm and surplus for ``text`` (memoised per vocabulary)."""
        key = (id(self.idf_sq), self.analyzer, self.lo, self.hi, self.sublinear_tf)
        if cache is not None and key in cache.counts:
            return cache.counts[key]
        idf_sq = self.idf_sq
        # out-of-vocabulary n-grams are dropped before counting (they are not in the vector at all)
        counts = Counter(filter(idf_sq.__contains__, self.ngrams(text, cache)))
        sq = sum(map(idf_sq.__getitem__, counts))
        # a term seen tf > 1 times weighs f = 1 + ln(tf) (sublinear) or tf: add the (f - 1) surplus
        surplus: list[tuple[str, float]] = []
        for term, tf in counts.items():
            if tf > 1:
                f = 1.0 + math.log(tf) if self.sublinear_tf else float(tf)
                surplus.append((term, f - 1.0))
                sq += (f * f - 1.0) * idf_sq[term]
        result = (counts, sq, surplus)
        if cache is not None:
            cache.counts[key] = result
        return result

    def scores(self, text: str, cache: NgramCache | None = None) -> list[float]:
        """Per class, this vectorizer's share of the decision value: (L2-normalised tf-idf) . coefficients.

        All zeros when no n-gram of the text is in the vocabulary.
        """
        counts, sq, surplus = self._counts(text, cache)
        # an empty vector stays empty (scikit-learn's normalize leaves zero rows alone)
        if sq <= 0.0:
            return [0.0] * self.n_classes
        weights = self.idf_coefs
        # one lookup per term, then the per-class columns summed in C
        dots = [sum(column) for column in zip(*map(weights.__getitem__, counts), strict=True)]
        for term, extra in surplus:
            dots = [d + extra * w for d, w in zip(dots, weights[term], strict=True)]
        norm = math.sqrt(sq)
        return [d / norm for d in dots]

    def score(self, text: str, cache: NgramCache | None = None) -> float:
        """The single-class share of the decision value (the emergency screen)."""
        return self.scores(text, cache)[0]


@dataclass(frozen=True)
class ScreenModel:
    """A loaded statistical screen (see the module docstring): the emergency or the urgent screen.

    Both are the same kind of binary model: the emergency screen's target is ``urgency == emergency``
    (``screen_model.json``), the urgent screen's ``urgency != routine`` (``urgent_model.json``). The
    level a model raises a message to is its reason id's prefix.

    Attributes:
        version: The model file's version string.
        reason: The reason id it adds to ``Triage.reasons`` when it escalates (``emergency.…`` or
            ``urgent.…``).
        threshold: Probability from which a message is escalated to the model's level.
        intercept: Logistic-regression intercept.
        threshold_without_concepts: The (higher) threshold for a message in which the rules found no
            clinical concept at all: on such text, typically short, a few n-grams decide the
            probability alone (a plain refill question once scored 0.67).
        labels: Plain-language reason by language (``en``, ``es``); never patient text.
        vectorizers: The fitted vectorizers, in the order their features were concatenated.
    """

    version: str
    reason: str
    threshold: float
    intercept: float
    labels: Mapping[str, str]
    vectorizers: tuple[_Vectorizer, ...] = field(repr=False)
    threshold_without_concepts: float = 0.8

    @property
    def level(self) -> str:
        """The urgency this model raises a message to: ``emergency`` or ``urgent``."""
        return self.reason.split(".", 1)[0]

    def probability(self, text: str, cache: NgramCache | None = None) -> float:
        """P(target) for already-normalised text (``_triage_text.normalize``).

        ``cache``: n-grams already made for this text (see :data:`NgramCache`); filled as a side effect.
        """
        lowered = text.lower()
        z = self.intercept + sum(v.score(lowered, cache) for v in self.vectorizers)
        # the logistic function without overflow for large |z|
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def escalates(
        self, text: str, *, rules_found_concepts: bool = True, cache: NgramCache | None = None
    ) -> bool:
        """Whether the model's probability reaches the threshold for this normalised text.

        Args:
            text: Normalised message text.
            rules_found_concepts: Whether the red-flag rules affirmed any concept in the message; when
                they found none, ``threshold_without_concepts`` applies.
        """
        threshold = self.threshold if rules_found_concepts else self.threshold_without_concepts
        return self.probability(text, cache) >= threshold


def share_vocabulary(model: ScreenModel, other: ScreenModel) -> ScreenModel:
    """``other`` with each vectorizer's vocabulary replaced by ``model``'s equal one, where they are equal.

    The emergency and urgent screens are fitted on the same texts with the same vectorizer options, so
    their vocabularies and idf weights are identical; one shared mapping lets a screen call count a
    message's n-grams once for both (:class:`NgramCache` memoises per vocabulary object) and keeps one
    copy in memory.
    """
    if len(model.vectorizers) != len(other.vectorizers):
        return other
    shared = tuple(
        dataclasses.replace(b, idf_sq=a.idf_sq)
        if (a.analyzer, a.lo, a.hi, a.sublinear_tf) == (b.analyzer, b.lo, b.hi, b.sublinear_tf)
        and a.idf_sq == b.idf_sq
        else b
        for a, b in zip(model.vectorizers, other.vectorizers, strict=True)
    )
    return dataclasses.replace(other, vectorizers=shared)


def _parse_vectorizer(spec: Mapping[str, Any], n_classes: int = 1) -> _Vectorizer:
    analyzer = str(spec["analyzer"])
    if analyzer not in ("word", "char_wb"):
        raise ValueError("unknown analyzer")
    lo, hi = (int(x) for x in spec["ngram_range"])
    if not 1 <= lo <= hi:
        raise ValueError("bad ngram_range")
    if analyzer == "word" and spec.get("token_pattern", _TOKEN.pattern) != _TOKEN.pattern:
        raise ValueError("unsupported token_pattern")
    if not spec.get("lowercase", True) or spec.get("norm", "l2") != "l2":
        raise ValueError("unsupported vectorizer options")
    idf_coefs: dict[str, tuple[float, ...]] = {}
    idf_sq: dict[str, float] = {}
    for term, idf, coef in spec["features"]:
        if not isinstance(term, str):
            raise TypeError("feature term must be a string")
        # one coefficient per class: a number for the single-class screen, a list for the intents
        coefs = [float(coef)] if n_classes == 1 else [float(c) for c in coef]
        idf = float(idf)
        if len(coefs) != n_classes or not (
            math.isfinite(idf) and idf > 0 and all(math.isfinite(c) for c in coefs)
        ):
            raise ValueError("bad weight")
        idf_coefs[term] = tuple(idf * c for c in coefs)
        idf_sq[term] = idf * idf
    return _Vectorizer(analyzer, lo, hi, bool(spec["sublinear_tf"]), idf_coefs, idf_sq, n_classes)


def parse_screen_model(
    data: Mapping[str, Any], *, level: str = "emergency", name: str = SCREEN_MODEL_FILE
) -> ScreenModel:
    """Build a :class:`ScreenModel` from the decoded JSON (raises ConfigurationError if malformed).

    Args:
        data: The decoded model file.
        level: The level the model must raise to (its reason id's prefix): ``emergency`` or ``urgent``.
        name: The file name, for the error message.
    """
    try:
        labels = {str(k): str(v) for k, v in dict(data["labels"]).items()}
        if not (labels.get("en") and labels.get("es")):
            raise ValueError("labels need en and es")
        model = ScreenModel(
            version=str(data["version"]),
            reason=str(data["reason"]),
            threshold=float(data["threshold"]),
            intercept=float(data["intercept"]),
            labels=labels,
            vectorizers=tuple(_parse_vectorizer(v) for v in data["vectorizers"]),
            threshold_without_concepts=float(data.get("threshold_without_concepts", data["threshold"])),
        )
        if not model.vectorizers or not 0.0 < model.threshold < 1.0 or not math.isfinite(model.intercept):
            raise ValueError("bad threshold, intercept or vectorizers")
        if not model.threshold <= model.threshold_without_concepts < 1.0:
            raise ValueError("threshold_without_concepts must lie between threshold and 1")
        if model.level != level or model.reason == f"{level}.":
            raise ValueError(f"the screen's reason must be an {level} reason id")
        return model
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"triage {name} is malformed") from exc


def load_screen_model(
    directory: Any, *, level: str = "emergency", name: str = SCREEN_MODEL_FILE
) -> ScreenModel | None:
    """Load a statistical screen from a rules directory; None when the directory has no such file.

    Args:
        directory: A ``pathlib.Path`` or ``importlib.resources`` Traversable (the rules directory).
        level: ``emergency`` (``screen_model.json``) or ``urgent`` (``urgent_model.json``).
        name: The file to read.

    Raises:
        ConfigurationError: The file exists but cannot be read or is malformed.
    """
    data = _read_model(directory, name)
    return None if data is None else parse_screen_model(data, level=level, name=name)


def _read_model(directory: Any, name: str) -> dict[str, Any] | None:
    """A model file's decoded JSON object; None when the directory has no such file."""
    path = directory.joinpath(name)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"triage {name} could not be read") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"triage {name} is not a JSON object")
    return data


@dataclass(frozen=True)
class IntentModel:
    """The statistical intent classifier: multinomial logistic regression over TF-IDF n-grams.

    Trained like the screen (``scripts/train_triage_screen.py``, scikit-learn at training time only) on
    every labelled fixture's ``intent``. Out of fold on held-out sets it names the request more often
    than the weighted intent patterns (see ``about`` in ``intent_model.json``); the patterns stay as the
    deterministic fallback for text the model has no n-gram for (emoji only) and for its unsure answers.

    Attributes:
        version: The model file's version string.
        classes: The intent values, in the order of the coefficients.
        intercepts: One intercept per class.
        min_probability: Below this top-class probability the pattern classifier's intent is kept.
        vectorizers: The fitted vectorizers, in the order their features were concatenated.
    """

    version: str
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    min_probability: float
    vectorizers: tuple[_Vectorizer, ...] = field(repr=False)

    def probabilities(self, text: str, cache: NgramCache | None = None) -> dict[str, float] | None:
        """P(intent) per class for normalised text; None when no n-gram is in the vocabulary."""
        lowered = text.lower()
        z = list(self.intercepts)
        empty = True
        for vec in self.vectorizers:
            part = vec.scores(lowered, cache)
            if any(part):
                empty = False
            z = [a + b for a, b in zip(z, part, strict=True)]
        if empty:
            return None
        top = max(z)  # softmax without overflow
        exps = [math.exp(v - top) for v in z]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def predict(self, text: str, cache: NgramCache | None = None) -> str | None:
        """The most probable intent, or None when unsure (below ``min_probability``) or out of vocabulary."""
        probs = self.probabilities(text, cache)
        if probs is None:
            return None
        best = max(self.classes, key=probs.__getitem__)
        return best if probs[best] >= self.min_probability else None


def parse_intent_model(data: Mapping[str, Any], known: frozenset[str]) -> IntentModel:
    """Build an :class:`IntentModel` from decoded JSON; ``known``: the valid intent values."""
    try:
        classes = tuple(str(c) for c in data["classes"])
        if len(classes) < 2 or len(set(classes)) != len(classes) or not set(classes) <= known:
            raise ValueError("classes must be distinct known intents")
        intercepts = tuple(float(b) for b in data["intercepts"])
        model = IntentModel(
            version=str(data["version"]),
            classes=classes,
            intercepts=intercepts,
            min_probability=float(data["min_probability"]),
            vectorizers=tuple(_parse_vectorizer(v, len(classes)) for v in data["vectorizers"]),
        )
        if len(intercepts) != len(classes) or not all(math.isfinite(b) for b in intercepts):
            raise ValueError("one finite intercept per class")
        if not model.vectorizers or not 0.0 <= model.min_probability < 1.0:
            raise ValueError("bad vectorizers or min_probability")
        return model
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"triage {INTENT_MODEL_FILE} is malformed") from exc


def load_intent_model(directory: Any, known: frozenset[str]) -> IntentModel | None:
    """Load ``intent_model.json`` from a rules directory; None when the directory has none.

    Raises:
        ConfigurationError: The file exists but cannot be read or is malformed.
    """
    data = _read_model(directory, INTENT_MODEL_FILE)
    return None if data is None else parse_intent_model(data, known)
