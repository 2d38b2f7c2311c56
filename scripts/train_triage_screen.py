"""Train the triage screen's statistical models (emergency screen and intent classifier); export as JSON.

The model: TF-IDF (word 1-2-grams, min_df=2 + char_wb 3-5-grams, min_df=3; sublinear tf; each
L2-normalised; concatenated with ``make_union``) + ``LogisticRegression(C=2, class_weight="balanced")``,
binary target ``urgency == "emergency"``, trained on every ``tests/fixtures/triage_*.jsonl`` (texts
passed through ``replydraft._triage_text.normalize``, as the screen sees them). The run-time side
(``replydraft/_triage_model.py``) is pure Python, so scikit-learn is needed only here.

Writes:
    replydraft/triage_rules/screen_model.json   vocabulary, idf, coefficients, intercept, threshold,
                                                 reason labels, and an ``about`` block (training files
                                                 with sha256 and counts, parameters, a leave-one-file-out
                                                 cross-validation table)
    tests/fixtures/triage_screen_parity.json     scikit-learn's P(emergency) for every dev message
    replydraft/triage_rules/urgent_model.json   the urgent screen: the same pipeline with the target
                                                 ``urgency != "routine"`` (urgent or worse), its own
                                                 thresholds and a leave-one-file-out table
    tests/fixtures/triage_urgent_parity.json     scikit-learn's P(urgent or worse) for every dev message
    replydraft/triage_rules/intent_model.json   the intent classifier: TF-IDF (word 1-2-grams, at most
                                                 5,000 + char_wb 3-5-grams, at most 8,000) +
                                                 multinomial ``LogisticRegression(C=10)`` on ``intent``;
                                                 its ``about`` holds a leave-one-file-out table over the
                                                 blind held-out sets against the intent patterns
    tests/fixtures/triage_intent_parity.json     scikit-learn's P(intent) for every dev message

Deterministic: same fixtures and scikit-learn version, same bytes.

Run: .venv/bin/pip install -e '.[train]'
     .venv/bin/python scripts/train_triage_screen.py
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline, make_union  # noqa: E402

from replydraft._triage_model import (  # noqa: E402
    SCREEN_MODEL_FILE,
    URGENT_MODEL_FILE,
    parse_intent_model,
    parse_screen_model,
)
from replydraft._triage_text import normalize  # noqa: E402
from replydraft.models import Intent  # noqa: E402
from replydraft.triage import _Concepts, _fired_rules, load_rules, screen  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
RULES_DIR = ROOT / "replydraft" / "triage_rules"
OUT_MODEL = RULES_DIR / SCREEN_MODEL_FILE
OUT_PARITY = FIXTURES / "triage_screen_parity.json"
PARITY_SET = "triage_dev.jsonl"

MODEL_VERSION = "2026.11.27"
REASON = "emergency.statistical_screen"
THRESHOLD = 0.6  # chosen on a blind set: the best emergency recall that cost no routine specificity
# for a message in which the rules affirmed no concept at all (typically short): a few n-grams then decide
# the probability alone; a plain "question about my lisinopril refill and my blood pressure readings"
# scored 0.67
THRESHOLD_WITHOUT_CONCEPTS = 0.8
C = 2.0
WORD = {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2}
CHAR = {"analyzer": "char_wb", "ngram_range": (3, 5), "min_df": 3}
LABELS = {
    "en": "wording that often goes with emergencies (statistical screen, no specific rule matched)",
    "es": "palabras que suelen acompañar a una emergencia (filtro estadístico, ninguna regla específica)",
}
PARITY_TOLERANCE = 1e-6

OUT_URGENT = RULES_DIR / URGENT_MODEL_FILE
OUT_URGENT_PARITY = FIXTURES / "triage_urgent_parity.json"
URGENT_REASON = "urgent.statistical_screen"
# chosen from the sweep this script prints and from the first measurements of blind sets 36-61 (the rules
# and emergency screen as they were when each set arrived, this model out of fold): see
# triage_rules/README.md
URGENT_THRESHOLD = 0.6
URGENT_THRESHOLD_WITHOUT_CONCEPTS = 0.8
URGENT_LABELS = {
    "en": (
        "wording that often goes with problems needing a same-day answer "
        "(statistical screen, no specific rule matched)"
    ),
    "es": (
        "palabras que suelen acompañar a problemas que necesitan respuesta el mismo día "
        "(filtro estadístico, ninguna regla específica)"
    ),
}

OUT_INTENT = RULES_DIR / "intent_model.json"
OUT_INTENT_PARITY = FIXTURES / "triage_intent_parity.json"
INTENT_C = 10.0
INTENT_WORD = {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2, "max_features": 5000}
INTENT_CHAR = {"analyzer": "char_wb", "ngram_range": (3, 5), "min_df": 3, "max_features": 8000}
# below this top-class probability the intent patterns decide (chosen from the sweep this script prints)
INTENT_MIN_PROBABILITY = 0.5
# the intent cross-validation holds out each blind set from this one on (each written unseen, then
# used for tuning the patterns: their first measurements are in triage_fixtures.README.md)
INTENT_CV_FIRST = 36


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_model() -> Pipeline:
    """The untrained pipeline (the same for the final fit and every cross-validation fold)."""
    return make_pipeline(
        make_union(
            TfidfVectorizer(sublinear_tf=True, **WORD),
            TfidfVectorizer(sublinear_tf=True, **CHAR),
        ),
        LogisticRegression(C=C, class_weight="balanced", max_iter=3000),
    )


def _fit(texts: Sequence[str], labels: Sequence[bool]) -> Pipeline:
    return build_model().fit(list(texts), list(labels))


def _proba(model: Pipeline, texts: Sequence[str]) -> list[float]:
    return [float(p) for p in model.predict_proba(list(texts))[:, 1]]


# (gold, rules-only urgency, out-of-fold probability, the rules affirmed a concept) for every message
fold_probs: list[tuple[str, str, float, bool]] = []


def _threshold(th: float, rules_found_concepts: bool, without: float = THRESHOLD_WITHOUT_CONCEPTS) -> float:
    """A screen's threshold for one message, as ``ScreenModel.escalates`` applies it."""
    return th if rules_found_concepts else max(th, without)


def _rules_found_concepts(text: str, rules: Any) -> bool:
    """Whether the rules affirmed any concept in the message (what ``screen`` passes to the model)."""
    concepts = _Concepts(rules, normalize(text))
    _fired_rules(rules, concepts)
    return bool(concepts.found())


def _lofo_table(
    scored: Sequence[tuple[str, list[dict[str, Any]], list[float]]],
    threshold: float,
    groups: Sequence[tuple[str, str, Callable[[dict[str, Any]], bool]]],
) -> list[dict[str, Any]]:
    """A screen's leave-one-file-out table: per file, then pooled, each group's size and hit rate.

    ``scored``: (file, rows, out-of-fold probabilities); ``groups``: (name, rate key, membership test).
    A hit is a probability >= ``threshold`` (the model alone).
    """
    table: list[dict[str, Any]] = []
    pooled = {name: [0, 0] for name, _, _ in groups}
    for name, rows, probs in scored:
        row: dict[str, Any] = {"file": name, "messages": len(rows)}
        for group, key, in_group in groups:
            hits = [p >= threshold for r, p in zip(rows, probs, strict=True) if in_group(r)]
            pooled[group][0] += sum(hits)
            pooled[group][1] += len(hits)
            row[group] = len(hits)
            row[key] = round(sum(hits) / len(hits), 3) if hits else None
        table.append(row)
    total: dict[str, Any] = {"file": "pooled", "messages": sum(len(rows) for _, rows, _ in scored)}
    for group, key, _ in groups:
        total[group] = pooled[group][1]
        total[key] = round(pooled[group][0] / pooled[group][1], 3)
    table.append(total)
    return table


def cross_validate(
    files: dict[str, list[dict[str, Any]]],
) -> tuple[list[dict[str, Any]], list[tuple[str, list[str], list[str], list[str]]]]:
    """Leave one fixture file out: train on the others, score the held-out file at the threshold.

    Returns the table (model alone, for the model file) and, per file, gold / rules-only /
    rules-then-screen urgencies (printed only: the rules were tuned on most of these files, and the
    model file must not change when the rules do).
    """
    rules_only = dataclasses.replace(load_rules(), screen_model=None)
    combined: list[tuple[str, list[str], list[str], list[str]]] = []
    fold_probs.clear()
    scored: list[tuple[str, list[dict[str, Any]], list[float]]] = []
    for name, rows in files.items():
        train = [r for other, rs in files.items() if other != name for r in rs]
        model = _fit([normalize(r["text"]) for r in train], [r["urgency"] == "emergency" for r in train])
        probs = _proba(model, [normalize(r["text"]) for r in rows])
        gold = [r["urgency"] for r in rows]
        by_rules = [screen(r["text"], rules=rules_only).urgency.value for r in rows]
        found = [_rules_found_concepts(r["text"], rules_only) for r in rows]
        both = [
            "emergency" if p >= _threshold(THRESHOLD, f) else u
            for u, p, f in zip(by_rules, probs, found, strict=True)
        ]
        combined.append((name, gold, by_rules, both))
        fold_probs.extend(zip(gold, by_rules, probs, found, strict=True))
        scored.append((name, rows, probs))
    groups = tuple(
        (level, key, lambda r, level=level: r["urgency"] == level)
        for level, key in (
            ("emergency", "emergency_recall"),
            ("routine", "routine_false_escalation"),
            ("urgent", "urgent_to_emergency"),
        )
    )
    return _lofo_table(scored, THRESHOLD, groups), combined


def _print_combined(combined: list[tuple[str, list[str], list[str], list[str]]]) -> None:
    print("\nrules alone vs rules then screen (fold model; rules as they are now, tuned on most files)")
    print(f"{'file':<26}{'em recall':>18}{'routine spec':>18}{'urgent->em':>16}")

    def share(gold: list[str], pred: list[str], level: str, want: str, same: bool) -> str:
        pairs = [(g, p) for g, p in zip(gold, pred, strict=True) if g == level]
        if not pairs:
            return "-"
        return f"{sum((p == want) == same for _, p in pairs) / len(pairs):.3f}"

    for name, gold, rules, both in combined:
        cols = [
            f"{share(gold, rules, lvl, want, True)} -> {share(gold, both, lvl, want, True)}"
            for lvl, want in (("emergency", "emergency"), ("routine", "routine"), ("urgent", "emergency"))
        ]
        print(f"{name:<26}{cols[0]:>18}{cols[1]:>18}{cols[2]:>16}")
    gold_all = [g for _, gold, _, _ in combined for g in gold]
    rules_all = [u for _, _, rules, _ in combined for u in rules]
    both_all = [u for _, _, _, both in combined for u in both]
    cols = [
        f"{share(gold_all, rules_all, lvl, want, True)} -> {share(gold_all, both_all, lvl, want, True)}"
        for lvl, want in (("emergency", "emergency"), ("routine", "routine"), ("urgent", "emergency"))
    ]
    print(f"{'pooled':<26}{cols[0]:>18}{cols[1]:>18}{cols[2]:>16}")
    print(
        "\nthreshold sweep, pooled out-of-fold (model alone | rules then screen, with "
        f"threshold_without_concepts {THRESHOLD_WITHOUT_CONCEPTS} where the rules found no concept)"
    )
    print(
        f"{'threshold':>9}{'em recall':>11}{'routine->em':>13}{'urgent->em':>12}"
        f"{'| rules+screen em recall':>26}{'urgent->em':>12}"
    )
    for th in (0.5, 0.6, 0.7, 0.8, 0.9):

        def rate(level: str, th: float = th) -> float:
            ps = [p for g, _, p, _ in fold_probs if g == level]
            return sum(p >= th for p in ps) / len(ps)

        def both(level: str, th: float = th) -> float:
            rows = [(u, p, f) for g, u, p, f in fold_probs if g == level]
            return sum(u == "emergency" or p >= _threshold(th, f) for u, p, f in rows) / len(rows)

        print(
            f"{th:>9.1f}{rate('emergency'):>11.3f}{rate('routine'):>13.3f}{rate('urgent'):>12.3f}"
            f"{both('emergency'):>26.3f}{both('urgent'):>12.3f}"
        )


def _provenance(
    paths: Sequence[Path], files: dict[str, list[dict[str, Any]]], *, emergencies: bool
) -> dict[str, Any]:
    """The ``trained_with`` and ``training_files`` blocks of a model's ``about``."""
    rows: list[dict[str, Any]] = []
    for p in paths:
        row: dict[str, Any] = {
            "file": p.name,
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            "messages": len(files[p.name]),
        }
        if emergencies:
            row["emergencies"] = sum(r["urgency"] == "emergency" for r in files[p.name])
        rows.append(row)
    return {
        "trained_with": {
            "scikit-learn": importlib.metadata.version("scikit-learn"),
            "python": ".".join(str(x) for x in sys.version_info[:3]),
        },
        "training_files": rows,
    }


def _screen_about(
    what: str,
    target: str,
    head: dict[str, Any],
    columns: dict[str, str],
    table: list[dict[str, Any]],
    paths: Sequence[Path],
    files: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """A screen's ``about``: what it does, provenance, parameters, thresholds, cross-validation table.

    The emergency and urgent screens are the same pipeline and differ only in ``target``, thresholds
    (``head``) and the table's columns.
    """
    return {
        "what": what,
        **_provenance(paths, files, emergencies=True),
        "params": {
            "text": "replydraft._triage_text.normalize, then str.lower (TfidfVectorizer default)",
            "target": target,
            "word": {**WORD, "ngram_range": list(WORD["ngram_range"]), "sublinear_tf": True},
            "char_wb": {**CHAR, "ngram_range": list(CHAR["ngram_range"]), "sublinear_tf": True},
            "union": "make_union(word, char_wb), each L2-normalised",
            "logistic_regression": {"C": C, "class_weight": "balanced", "max_iter": 3000, "solver": "lbfgs"},
        },
        "threshold": head["threshold"],
        "threshold_without_concepts": head["threshold_without_concepts"],
        "cross_validation": {
            "method": "leave one fixture file out; model alone, at the threshold",
            "columns": columns,
            "table": table,
        },
    }


def _round(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


def _vectorizer_specs(
    model: Pipeline, coefficient: Callable[[int], Any], digits: int
) -> list[dict[str, Any]]:
    """Each fitted vectorizer's options and features: [term, idf, coefficient(s) of its column]."""
    union, lr = model.steps[0][1], model.steps[1][1]
    specs: list[dict[str, Any]] = []
    offset = 0
    for _, vec in union.transformer_list:
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        features = [
            [t, _round(float(vec.idf_[i]), digits), coefficient(offset + i)] for i, t in enumerate(terms)
        ]
        offset += len(terms)
        specs.append(
            {
                "analyzer": vec.analyzer,
                "ngram_range": list(vec.ngram_range),
                "token_pattern": vec.token_pattern,
                "lowercase": vec.lowercase,
                "sublinear_tf": vec.sublinear_tf,
                "norm": vec.norm,
                "features": features,
            }
        )
    assert offset == lr.coef_.shape[1]
    return specs


def export(model: Pipeline, about: dict[str, Any], digits: int, head: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: every vocabulary entry with its idf and coefficient (nothing pruned).

    ``head``: the screen's ``reason``, ``labels``, ``threshold`` and ``threshold_without_concepts``.
    """
    lr = model.steps[1][1]
    vectorizers = _vectorizer_specs(model, lambda column: _round(float(lr.coef_[0][column]), digits), digits)
    return {
        "version": MODEL_VERSION,
        "about": about,
        **head,
        "intercept": _round(float(lr.intercept_[0]), digits),
        "vectorizers": vectorizers,
    }


def write_screen(
    model: Pipeline,
    about: dict[str, Any],
    head: dict[str, Any],
    texts: Sequence[str],
    out_model: Path,
    out_parity: Path,
    target: str,
) -> None:
    """Export a fitted screen with the fewest digits that reproduce scikit-learn, and its parity file."""
    level = head["reason"].split(".", 1)[0]
    all_probs = _proba(model, texts)
    for digits in (7, 9, 12, 17):
        doc = export(model, about, digits, head)
        screen_model = parse_screen_model(doc, level=level, name=out_model.name)
        worst = max(abs(screen_model.probability(t) - p) for t, p in zip(texts, all_probs, strict=True))
        print(f"\nfloats at {digits} significant digits: max |pure Python - scikit-learn| = {worst:.2e}")
        if worst < PARITY_TOLERANCE / 4:  # margin for messages the check has not seen
            break
    else:
        raise SystemExit("pure-Python inference does not reproduce scikit-learn")
    text = dumps(doc)
    out_model.write_text(text, encoding="utf-8")
    sizes = ", ".join(f"{v['analyzer']} {len(v['features'])}" for v in doc["vectorizers"])
    print(f"wrote {out_model.relative_to(ROOT)} ({len(text.encode()):,} bytes; features: {sizes})")
    dev = _rows(FIXTURES / PARITY_SET)
    dev_probs = _proba(model, [normalize(r["text"]) for r in dev])
    parity = {
        "about": (
            f"scikit-learn's {target} for every message of {PARITY_SET}, from the model fitted by "
            f"scripts/train_triage_screen.py (written together with {out_model.name})."
        ),
        "model_version": MODEL_VERSION,
        "model_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "probabilities": {r["id"]: p for r, p in zip(dev, dev_probs, strict=True)},
    }
    out_parity.write_text(json.dumps(parity, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out_parity.relative_to(ROOT)} ({len(dev)} messages)")


def dumps(doc: dict[str, Any]) -> str:
    """JSON with one feature per line: diffable in review, and no indentation bytes per number."""
    head = {k: v for k, v in doc.items() if k != "vectorizers"}
    lines = json.dumps(head, indent=2, ensure_ascii=False)[:-2].splitlines()
    lines[-1] += ","
    lines.append('  "vectorizers": [')
    for vi, vec in enumerate(doc["vectorizers"]):
        spec = {k: v for k, v in vec.items() if k != "features"}
        lines.append("    " + json.dumps(spec, ensure_ascii=False)[:-1] + ', "features": [')
        feats = vec["features"]
        for fi, f in enumerate(feats):
            lines.append("      " + json.dumps(f, ensure_ascii=False) + ("," if fi < len(feats) - 1 else ""))
        lines.append("    ]}" + ("," if vi < len(doc["vectorizers"]) - 1 else ""))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == doc
    return text


def cross_validate_urgent(files: dict[str, list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[float]]:
    """Leave one fixture file out for the urgent screen; the table (model alone) and every fold probability.

    The probabilities come in the order of ``fold_probs`` (files, then rows), so the caller can combine
    them with the emergency screen's.
    """
    fold: list[float] = []
    scored: list[tuple[str, list[dict[str, Any]], list[float]]] = []
    for name, rows in files.items():
        train = [r for other, rs in files.items() if other != name for r in rs]
        model = _fit([normalize(r["text"]) for r in train], [r["urgency"] != "routine" for r in train])
        probs = _proba(model, [normalize(r["text"]) for r in rows])
        fold.extend(probs)
        scored.append((name, rows, probs))
    groups: tuple[tuple[str, str, Callable[[dict[str, Any]], bool]], ...] = (
        ("urgent_or_worse", "recall", lambda r: r["urgency"] != "routine"),
        ("routine", "routine_false_escalation", lambda r: r["urgency"] == "routine"),
    )
    return _lofo_table(scored, URGENT_THRESHOLD, groups), fold


def _print_urgent_sweep(fold: Sequence[float]) -> None:
    """Rules, then the emergency screen, then the urgent screen, all out of fold, pooled, per threshold."""
    print(
        "\nurgent screen after the rules and the emergency screen, pooled out of fold "
        "(rules tuned on most files, so their share is flattered)"
    )
    print(
        f"{'threshold':>9}{'without concepts':>18}{'urgent exact':>14}{'>= urgent':>11}{'routine spec':>14}"
    )
    for th in (None, 0.5, 0.6, 0.7, 0.8):
        withouts = (0.0, URGENT_THRESHOLD_WITHOUT_CONCEPTS) if th is not None else (0.0,)
        for without in withouts:
            out: list[tuple[str, str]] = []
            for (gold, rules, p_em, found), p_u in zip(fold_probs, fold, strict=True):
                urgency = rules
                if urgency != "emergency" and p_em >= _threshold(THRESHOLD, found):
                    urgency = "emergency"
                if th is not None and urgency == "routine" and p_u >= _threshold(th, found, without):
                    urgency = "urgent"
                out.append((gold, urgency))

            def share(level: str, wanted: tuple[str, ...], out: list[tuple[str, str]] = out) -> float:
                preds = [u for g, u in out if g == level]
                return sum(u in wanted for u in preds) / len(preds)

            label = "-" if th is None else f"{th:.1f}"
            print(
                f"{label:>9}{(without or '-'):>18}{share('urgent', ('urgent',)):>14.3f}"
                f"{share('urgent', ('urgent', 'emergency')):>11.3f}{share('routine', ('routine',)):>14.3f}"
            )


def train_urgent(files: dict[str, list[dict[str, Any]]], paths: list[Path]) -> None:
    """Cross-validate, fit and export the urgent screen (target: urgent or worse)."""
    rows = [r for rs in files.values() for r in rs]
    texts = [normalize(r["text"]) for r in rows]
    cv, fold = cross_validate_urgent(files)
    print(f"\nurgent screen: leave-one-file-out at threshold {URGENT_THRESHOLD} (model alone)")
    print(f"{'file':<26}{'n':>5}{'>=urg':>7}{'recall':>9}{'routine->urg':>14}")
    for row in cv:
        print(
            f"{row['file']:<26}{row['messages']:>5}{row['urgent_or_worse']:>7}"
            f"{_fmt(row['recall']):>9}{_fmt(row['routine_false_escalation']):>14}"
        )
    _print_urgent_sweep(fold)
    model = _fit(texts, [r["urgency"] != "routine" for r in rows])
    what = (
        "Statistical urgent screen for replydraft.triage: after the rules and the emergency screen, a "
        f"message still routine becomes urgent (reason {URGENT_REASON}) when this model's P(urgent or "
        "worse) >= threshold (threshold_without_concepts when the rules affirmed no concept at all). "
        "It only ever raises urgency. Regenerate with scripts/train_triage_screen.py; never edit by hand."
    )
    columns = {
        "recall": "share of urgent or emergency messages with P >= threshold",
        "routine_false_escalation": "share of routine messages with P >= threshold",
    }
    head = {
        "reason": URGENT_REASON,
        "labels": URGENT_LABELS,
        "threshold": URGENT_THRESHOLD,
        "threshold_without_concepts": URGENT_THRESHOLD_WITHOUT_CONCEPTS,
    }
    about = _screen_about(what, "urgency != 'routine'", head, columns, cv, paths, files)
    write_screen(model, about, head, texts, OUT_URGENT, OUT_URGENT_PARITY, "P(urgent or worse)")


def build_intent_model() -> Pipeline:
    """The untrained intent pipeline (the same for the final fit and every cross-validation fold)."""
    return make_pipeline(
        make_union(
            TfidfVectorizer(sublinear_tf=True, **INTENT_WORD),
            TfidfVectorizer(sublinear_tf=True, **INTENT_CHAR),
        ),
        LogisticRegression(C=INTENT_C, max_iter=3000),
    )


def _heldout_number(name: str) -> int:
    digits = name.removeprefix("triage_heldout").removesuffix(".jsonl")
    return int(digits) if digits.isdigit() else -1


def cross_validate_intent(files: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Hold out each blind set >= INTENT_CV_FIRST; compare the model with the intent patterns on it.

    The patterns were tuned on these sets after their first measurement, so their figure here flatters
    them; the model's is out of fold.
    """
    patterns_only = dataclasses.replace(load_rules(), intent_model=None)
    held = [n for n in files if _heldout_number(n) >= INTENT_CV_FIRST]
    sweep = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7)
    table: list[dict[str, Any]] = []
    right = {"model": 0, "patterns": 0, **{f"model_or_patterns_{t}": 0 for t in sweep}}
    total = 0
    for name in held:
        train = [r for other, rs in files.items() if other != name for r in rs]
        model = build_intent_model().fit([normalize(r["text"]) for r in train], [r["intent"] for r in train])
        rows = files[name]
        probs = model.predict_proba([normalize(r["text"]) for r in rows])
        classes = [str(c) for c in model.classes_]
        by_patterns = [screen(r["text"], rules=patterns_only).intent.value for r in rows]
        gold = [r["intent"] for r in rows]
        best = [max(range(len(classes)), key=lambda i, p=p: p[i]) for p in probs]
        model_right = sum(classes[b] == g for b, g in zip(best, gold, strict=True))
        patterns_right = sum(p == g for p, g in zip(by_patterns, gold, strict=True))
        right["model"] += model_right
        right["patterns"] += patterns_right
        for t in sweep:
            right[f"model_or_patterns_{t}"] += sum(
                (classes[b] if p[b] >= t else pat) == g
                for b, p, pat, g in zip(best, probs, by_patterns, gold, strict=True)
            )
        total += len(rows)
        table.append(
            {
                "file": name,
                "messages": len(rows),
                "model": round(model_right / len(rows), 3),
                "patterns_tuned": round(patterns_right / len(rows), 3),
            }
        )
    return {
        "method": (
            f"leave one blind held-out set (heldout{INTENT_CV_FIRST} on) out; accuracy of the model alone, "
            "of the intent patterns (tuned on these sets, so flattered), and of the model where its top "
            "probability >= t, else the patterns"
        ),
        "table": table,
        "pooled": {k: round(v / total, 4) for k, v in right.items()},
        "messages": total,
    }


def export_intent(model: Pipeline, about: dict[str, Any], digits: int) -> dict[str, Any]:
    """The intent JSON document: every vocabulary entry with its idf and one coefficient per class."""
    lr = model.steps[1][1]
    vectorizers = _vectorizer_specs(
        model, lambda column: [_round(float(c), digits) for c in lr.coef_[:, column]], digits
    )
    return {
        "version": MODEL_VERSION,
        "about": about,
        "classes": [str(c) for c in lr.classes_],
        "min_probability": INTENT_MIN_PROBABILITY,
        "intercepts": [_round(float(b), digits) for b in lr.intercept_],
        "vectorizers": vectorizers,
    }


def train_intent(files: dict[str, list[dict[str, Any]]], paths: list[Path]) -> None:
    """Cross-validate, fit and export the intent classifier, checked against scikit-learn."""
    rows = [r for rs in files.values() for r in rs]
    texts = [normalize(r["text"]) for r in rows]
    cv = cross_validate_intent(files)
    print(f"\nintent: leave one blind set out ({cv['messages']} messages)")
    for row in cv["table"]:
        print(
            f"{row['file']:<26} model {row['model']:.3f}   patterns (tuned on it) {row['patterns_tuned']:.3f}"
        )
    for key, value in cv["pooled"].items():
        print(f"  pooled {key:<28} {value:.4f}")
    model = build_intent_model().fit(texts, [r["intent"] for r in rows])
    about = {
        "what": (
            "Statistical intent classifier for replydraft.triage: names the request (one of the seven "
            "intents); when its top probability is below min_probability, or the message has no known "
            "n-gram, the weighted intent patterns (intents.json) decide. Regenerate with "
            "scripts/train_triage_screen.py; never edit by hand."
        ),
        **_provenance(paths, files, emergencies=False),
        "params": {
            "text": "replydraft._triage_text.normalize, then str.lower (TfidfVectorizer default)",
            "target": "intent",
            "word": {**INTENT_WORD, "ngram_range": list(INTENT_WORD["ngram_range"]), "sublinear_tf": True},
            "char_wb": {**INTENT_CHAR, "ngram_range": list(INTENT_CHAR["ngram_range"]), "sublinear_tf": True},
            "union": "make_union(word, char_wb), each L2-normalised",
            "logistic_regression": {
                "C": INTENT_C,
                "max_iter": 3000,
                "solver": "lbfgs",
                "multi_class": "multinomial",
            },
        },
        "cross_validation": cv,
    }
    known = frozenset(i.value for i in Intent)
    all_probs = model.predict_proba(texts)
    classes = [str(c) for c in model.classes_]
    for digits in (7, 9, 12, 17):
        doc = export_intent(model, about, digits)
        intent_model = parse_intent_model(doc, known)
        worst = 0.0
        for t, p in zip(texts, all_probs, strict=True):
            mine = intent_model.probabilities(t) or {}
            worst = max(worst, max(abs(mine.get(c, 0.0) - float(q)) for c, q in zip(classes, p, strict=True)))
        print(f"intent floats at {digits} significant digits: max |pure Python - scikit-learn| = {worst:.2e}")
        if worst < PARITY_TOLERANCE / 4:
            break
    else:
        raise SystemExit("pure-Python intent inference does not reproduce scikit-learn")
    text = dumps(doc)
    OUT_INTENT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT_INTENT.relative_to(ROOT)} ({len(text.encode()):,} bytes)")
    dev = _rows(FIXTURES / PARITY_SET)
    dev_probs = model.predict_proba([normalize(r["text"]) for r in dev])
    parity = {
        "about": (
            f"scikit-learn's P(intent) for every message of {PARITY_SET}, from the model fitted by "
            "scripts/train_triage_screen.py (written together with intent_model.json)."
        ),
        "model_version": MODEL_VERSION,
        "model_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "probabilities": {
            r["id"]: {c: float(q) for c, q in zip(classes, p, strict=True)}
            for r, p in zip(dev, dev_probs, strict=True)
        },
    }
    OUT_INTENT_PARITY.write_text(json.dumps(parity, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT_INTENT_PARITY.relative_to(ROOT)} ({len(dev)} messages)")


def main() -> int:
    """Train, cross-validate, export, and check the pure-Python inference against scikit-learn."""
    paths = sorted(FIXTURES.glob("triage_*.jsonl"))
    files = {p.name: _rows(p) for p in paths}
    rows = [r for rs in files.values() for r in rs]
    texts = [normalize(r["text"]) for r in rows]
    labels = [r["urgency"] == "emergency" for r in rows]
    print(f"training on {len(rows)} messages from {len(files)} files ({sum(labels)} emergencies)")

    cv, combined = cross_validate(files)
    print(f"\nleave-one-file-out at threshold {THRESHOLD} (model alone)")
    print(f"{'file':<26}{'n':>5}{'em':>5}{'em recall':>11}{'routine->em':>13}{'urgent->em':>12}")
    for row in cv:
        print(
            f"{row['file']:<26}{row['messages']:>5}{row['emergency']:>5}"
            f"{_fmt(row['emergency_recall']):>11}{_fmt(row['routine_false_escalation']):>13}"
            f"{_fmt(row['urgent_to_emergency']):>12}"
        )

    _print_combined(combined)

    model = _fit(texts, labels)
    what = (
        "Statistical second screen for replydraft.triage: after the rules, a message the rules did not "
        f"call an emergency becomes one (reason {REASON}) when this model's P(emergency) >= threshold "
        "(threshold_without_concepts when the rules affirmed no concept at all). "
        "It only ever raises urgency. Regenerate with scripts/train_triage_screen.py; never edit by hand."
    )
    columns = {
        "emergency_recall": "share of emergencies with P >= threshold",
        "routine_false_escalation": "share of routine messages with P >= threshold",
        "urgent_to_emergency": "share of urgent messages with P >= threshold",
    }
    head = {
        "reason": REASON,
        "labels": LABELS,
        "threshold": THRESHOLD,
        "threshold_without_concepts": THRESHOLD_WITHOUT_CONCEPTS,
    }
    about = _screen_about(what, "urgency == 'emergency'", head, columns, cv, paths, files)
    write_screen(model, about, head, texts, OUT_MODEL, OUT_PARITY, "P(emergency)")
    train_urgent(files, paths)
    if "--screen-only" not in sys.argv:
        train_intent(files, paths)
    return 0


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
