"""Deterministic red-flag screen and intent rules: no LLM, no network, well under 2 ms a message.

The screen runs on the patient's raw text before anything else, so an emergency is found whatever the
model later does. The rules are data, not code (``replydraft/triage_rules/*.json``, versioned):

* ``redflags.json`` — clinical *concepts* (regexes in English and Spanish, slang included) and *rules*
  that combine concepts into an ``emergency`` or ``urgent`` reason (``emergency.infant_fever`` fires on
  ``infant_young`` + ``fever``).
* ``context.json`` — ConText triggers: a concept mention that is negated ("no chest pain"), historical
  ("had chest pain last year, cardiology cleared it"), hypothetical ("what would sepsis look like") or
  about someone outside the household ("a friend had a stroke") does not count. Symptoms of a
  dependent (child, parent, spouse) do count.
* ``intents.json`` — weighted keywords for the seven intents.
* ``screen_model.json`` (optional) — a statistical second screen (``_triage_model``): after the rules, a
  message they did not call an emergency becomes one (reason ``emergency.statistical_screen``) when a
  TF-IDF + logistic-regression model trained on the labelled fixtures is confident enough. It only ever
  raises urgency; the rules' first-pass emergency recall on unseen messages (0.71-0.89) is why it exists.
* ``urgent_model.json`` (optional) — the same kind of model with the target "urgent or worse": a message
  still routine after the rules and the emergency screen becomes urgent (reason
  ``urgent.statistical_screen``) when it is confident enough. The rules' first-pass urgent recall on unseen
  messages (about 0.78) is why it exists.
* ``intent_model.json`` (optional) — a statistical intent classifier (multinomial logistic regression over
  the same kind of n-grams) that names the request; the weighted intent patterns decide when it is unsure
  or absent. Out of fold it was right more often than the patterns on held-out sets (0.90 vs about 0.85).

Example:
    >>> from replydraft.triage import screen
    >>> t = screen("can you refill my inhaler? also my chest has been tight since this morning")
    >>> t.urgency.value, t.intent.value, t.reasons
    ('emergency', 'refill', ('emergency.chest_pain',))
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from replydraft._triage_model import (
    URGENT_MODEL_FILE,
    IntentModel,
    NgramCache,
    ScreenModel,
    load_intent_model,
    load_screen_model,
    share_vocabulary,
)
from replydraft._triage_text import Modifier, Segment, modifiers_in_scope, normalize, segments
from replydraft.errors import ConfigurationError, InvalidMessageError
from replydraft.models import Intent, Triage, Urgency

__all__ = [
    "RULES_VERSION",
    "RedFlagRule",
    "TriageRules",
    "detect_language",
    "emergency_reasons_text",
    "load_rules",
    "reason_labels",
    "screen",
]

logger = logging.getLogger(__name__)

RULES_VERSION = "2026.11.27"
"""Version of the packaged rule files this module was written against."""

_MACRO = re.compile(r"\{([A-Z_]+)\}")
_WORDS = re.compile(r"[a-z]{2,}")
_STRONG = 3.0  # intent-pattern weight from which a hit in the opening decides the intent


@dataclass(frozen=True)
class RedFlagRule:
    """One red-flag rule: a level and the concepts that must be present.

    Attributes:
        id: Stable rule id, e.g. ``"emergency.chest_pain"`` (what ``Triage.reasons`` carries).
        level: ``emergency`` or ``urgent``.
        all: Concepts that must all be present.
        any: Concepts of which at least one must be present (empty: no such condition).
        none: Concepts whose presence stops the rule (e.g. snoring for "stops breathing" in an adult);
            use sparingly, for a well-described benign reading of the same words.
        unless: Danger signs that keep the rule firing even when a ``none`` concept is present (the
            benign reading does not explain them).
        labels: Plain-language reason by language (``en``, ``es``), never patient text.
    """

    id: str
    level: Urgency
    all: tuple[str, ...]
    any: tuple[str, ...]
    labels: Mapping[str, str]
    none: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class _ModifierTrigger:
    category: str
    pattern: re.Pattern[str]
    direction: str
    max_words: int
    gate: frozenset[str] | None = None
    after_comma: bool = False


@dataclass(frozen=True)
class _IntentPattern:
    intent: Intent
    pattern: re.Pattern[str]
    weight: float
    gate: frozenset[str] | None = None


@dataclass(frozen=True)
class TriageRules:
    """The compiled rule set (loaded once from the packaged JSON files, or from a directory you pass).

    Attributes:
        version: The rule files' version string.
        concepts: Compiled concept regexes by name.
        gates: Per concept, literals one of which a match must start with (None: always run the regex).
        rules: Red-flag rules, emergencies first.
        triggers: ConText triggers.
        terminators: ConText scope terminators by category.
        list_closers: Per category, the words that close a list its forward triggers open ("no fever,
            chills or cough": the commas do not end the negation).
        overrides: Per category, a regex that cancels the category when it follows the mention in the
            same sentence ("had chest pain last year but now it's back").
        intent_patterns: Weighted intent regexes.
        intent_priority: Tie-break order of intents.
        opening_chars: How many leading characters count as the opening of the message.
        opening_multiplier: Weight multiplier for intent hits in the opening.
        symptom_from_concepts: Symptom-intent weight added per red-flag concept found.
        screen_model: The statistical second screen (``screen_model.json``), or None when the rules
            directory has none.
        urgent_model: The statistical urgent screen (``urgent_model.json``), or None: without it only
            the rules make a message urgent.
        intent_model: The statistical intent classifier (``intent_model.json``), or None: the weighted
            intent patterns then decide alone.
        gate_automaton: An Aho-Corasick automaton over every gate literal, so one pass over a message
            tells which gates are open (None: test each literal with ``in``).
        gate_owners: Per gate literal, the concepts it opens; with the automaton's literals this gives
            every concept whose regex can match, in one set union.
        ungated: Concepts without a gate (always possible).
    """

    version: str
    concepts: Mapping[str, re.Pattern[str]]
    gates: Mapping[str, frozenset[str] | None]
    rules: tuple[RedFlagRule, ...]
    triggers: tuple[_ModifierTrigger, ...]
    terminators: Mapping[str, re.Pattern[str]]
    overrides: Mapping[str, re.Pattern[str]]
    intent_patterns: tuple[_IntentPattern, ...]
    intent_priority: tuple[Intent, ...]
    opening_chars: int
    opening_multiplier: float
    symptom_from_concepts: float
    screen_model: ScreenModel | None = None
    intent_model: IntentModel | None = None
    urgent_model: ScreenModel | None = None
    gate_automaton: Any = None
    list_closers: Mapping[str, re.Pattern[str]] = dataclasses.field(default_factory=dict)
    gate_owners: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)
    ungated: frozenset[str] = frozenset()


def _gate_owners(gates: Mapping[str, frozenset[str] | None]) -> dict[str, frozenset[str]]:
    owners: dict[str, set[str]] = {}
    for name, gate in gates.items():
        for literal in gate or ():
            owners.setdefault(literal, set()).add(name)
    return {literal: frozenset(names) for literal, names in owners.items()}


def _gate_automaton(gates: Sequence[frozenset[str] | None]) -> Any:
    """Build one Aho-Corasick automaton over all gate literals (pyahocorasick, C).

    Why: a typical message looks at ~160 concepts; testing each concept's gate literals with ``in`` cost
    ~2,000 Python-level steps per message and was the screen's hottest line. The automaton reports every
    literal present, overlapping ones included, in a single pass.
    """
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for literal in {lit for gate in gates if gate for lit in gate}:
        automaton.add_word(literal, literal)
    if len(automaton):
        automaton.make_automaton()
        return automaton
    return None


_META = set("\\()[]{}|?*+.^$")


def _leading_literal(alt: str) -> str:
    """The literal characters an alternative must start with ('' when it can start with anything else)."""
    out: list[str] = []
    for i, ch in enumerate(alt):
        if ch in _META:
            if ch in "?*{" and out:
                out.pop()  # the last literal character is optional
            break
        out.append(ch)
        if i + 1 < len(alt) and alt[i + 1] in "?*{":
            out.pop()
            break
    return "".join(out)


def _structural(pattern: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """The characters of ``pattern`` from ``start`` that are neither escaped nor inside a ``[...]`` class.

    Yields ``(-1, "")`` and stops when a class never closes, so callers can give up on the pattern.
    """
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                yield -1, ""
                return
            i = j + 1
            continue
        yield i, ch
        i += 1


def _split_top(body: str) -> list[str] | None:
    """Split a group body on its top-level ``|`` (None when the brackets do not balance)."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in _structural(body):
        if i < 0:
            return None
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts if depth == 0 else None


def _group_end(pattern: str, start: int) -> int:
    """Index of the ``)`` closing the group that opens at ``pattern[start]`` (-1 if unbalanced)."""
    depth = 0
    for i, ch in _structural(pattern, start):
        if i < 0:
            return -1
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _optional_after(pattern: str, i: int) -> bool:
    """Whether the atom ending just before ``pattern[i]`` may be skipped (``?``, ``*``, ``{0,``)."""
    return i < len(pattern) and (pattern[i] in "?*" or pattern.startswith("{0", i))


def _after_quantifier(pattern: str, i: int) -> int:
    """Index just past the ``?``, ``*`` or ``{0,n}`` at ``pattern[i]`` and any lazy or possessive mark."""
    if pattern[i] in "?*":
        j = i + 1
    else:
        close = pattern.find("}", i)
        if close < 0:
            return -1
        j = close + 1
    return j + 1 if j < len(pattern) and pattern[j] in "?+" else j


_CLASS = re.compile(r"\[([^\]\\^]{1,12})\]")


def _pattern_gate(pattern: str) -> frozenset[str] | None:
    r"""Literal strings one of which any match of ``pattern`` must start with, or None if unknown.

    A concept whose every pattern starts with known literals is only run when one of those literals
    occurs in the message, and then only where one starts (the Aho-Corasick pass finds both). This
    skips most of the ~390 concept regexes for a typical message. Zero-width prefixes (``\b``,
    lookarounds) are skipped; a leading group contributes the union of its branches, and an optional one
    (``(?:can )?barely``) its branches and the literals of what follows it; a small character class its
    characters; anything else optional or unknown gives None, and the concept always runs, so the gate
    can never hide a match.
    """
    top = _split_top(pattern)
    if top is None:
        return None
    if len(top) > 1:
        return _concept_gate(top)
    i = 0
    while True:
        if pattern.startswith("\\b", i):
            i += 2
        elif pattern.startswith(("(?<!", "(?<=", "(?!", "(?="), i):
            end = _group_end(pattern, i)
            if end < 0:
                return None
            i = end + 1
        else:
            break
    rest = pattern[i:]
    if rest.startswith("(?:"):
        end = _group_end(rest, 0)
        if end < 0:
            return None
        inner = _pattern_gate(rest[3:end])
        if not _optional_after(rest, end + 1):
            return inner
        # an optional leading group ("(?:can )?barely"): a match starts with the group or, when the group
        # is skipped, with what follows it
        after = _after_quantifier(rest, end + 1)
        if inner is None or after < 0:
            return None
        tail = _pattern_gate(rest[after:])
        return None if tail is None else inner | tail
    if rest.startswith("\\d"):
        return None if _optional_after(rest, 2) else frozenset("0123456789")
    m = _CLASS.match(rest)
    if m:
        if _optional_after(rest, m.end()):
            return None
        chars: set[str] = set()
        body = m.group(1)
        j = 0
        while j < len(body):
            if j + 2 < len(body) and body[j + 1] == "-":
                chars.update(chr(c) for c in range(ord(body[j]), ord(body[j + 2]) + 1))
                j += 3
            else:
                chars.add(body[j])
                j += 1
        return frozenset(chars) if all(c.isalnum() for c in chars) else None
    if rest.startswith("\\(") and not _optional_after(rest, 2):
        return frozenset({"("})
    lit = _leading_literal(rest)
    return frozenset({lit}) if lit else None


def _concept_gate(patterns: list[str]) -> frozenset[str] | None:
    gate: set[str] = set()
    for p in patterns:
        g = _pattern_gate(p)
        if g is None:
            return None
        gate |= g
    return frozenset(gate)


def _read_json(directory: Any, name: str) -> dict[str, Any]:
    try:
        raw = directory.joinpath(name).read_text(encoding="utf-8")
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"triage rule file {name} could not be read") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"triage rule file {name} is not a JSON object")
    return data


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigurationError(f"invalid regex in triage rules ({where})") from exc


def load_rules(directory: Any = None) -> TriageRules:
    """Load and compile the rule files.

    Args:
        directory: A ``pathlib.Path`` or ``importlib.resources`` Traversable holding ``redflags.json``,
            ``context.json`` and ``intents.json``, and optionally ``screen_model.json`` (without it there
            is no statistical screen), ``urgent_model.json`` (without it only the rules make a message
            urgent) and ``intent_model.json`` (without it the intent patterns decide alone); defaults
            to the packaged ``triage_rules``.

    Returns:
        The compiled rules.

    Raises:
        ConfigurationError: A file is missing or malformed, a regex does not compile, a rule names
            an unknown concept, or one of the model files is present but malformed.
    """
    if directory is None:
        directory = resources.files("replydraft").joinpath("triage_rules")
    red = _read_json(directory, "redflags.json")
    ctx = _read_json(directory, "context.json")
    ints = _read_json(directory, "intents.json")
    screen_model = load_screen_model(directory)
    urgent_model = load_screen_model(directory, level="urgent", name=URGENT_MODEL_FILE)
    if screen_model is not None and urgent_model is not None:
        urgent_model = share_vocabulary(screen_model, urgent_model)
    intent_model = load_intent_model(directory, frozenset(i.value for i in Intent))
    try:
        macros: dict[str, str] = dict(red.get("macros", {}))

        def expand(p: str) -> str:
            return _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), p)

        concepts = {
            name: _compile("|".join(f"(?:{expand(p)})" for p in pats), f"concept {name}")
            for name, pats in red["concepts"].items()
        }
        gates = {name: _concept_gate([expand(p) for p in pats]) for name, pats in red["concepts"].items()}
        rules: list[RedFlagRule] = []
        for r in red["rules"]:
            rule = RedFlagRule(
                id=str(r["id"]),
                level=Urgency(r["level"]),
                all=tuple(r.get("all", ())),
                any=tuple(r.get("any", ())),
                labels=dict(r["label"]),
                none=tuple(r.get("none", ())),
                unless=tuple(r.get("unless", ())),
            )
            unknown = [c for c in (*rule.all, *rule.any, *rule.none, *rule.unless) if c not in concepts]
            if unknown or not (rule.all or rule.any):
                raise ConfigurationError(f"triage rule {rule.id} names unknown or no concepts")
            rules.append(rule)
        rules.sort(key=lambda x: -x.level.rank)
        # check gated (cheap, usually absent) concepts before ungated ones: all()/any() short-circuit
        rules = [
            dataclasses.replace(
                rule,
                all=tuple(sorted(rule.all, key=lambda c: gates[c] is None)),
                any=tuple(sorted(rule.any, key=lambda c: gates[c] is None)),
            )
            for rule in rules
        ]
        triggers: list[_ModifierTrigger] = []
        terminators: dict[str, re.Pattern[str]] = {}
        list_closers: dict[str, re.Pattern[str]] = {}
        for cat, spec in ctx["categories"].items():
            terminators[cat] = _compile(spec["terminators"], f"terminators {cat}")
            if "list_closer" in spec:
                list_closers[cat] = _compile(spec["list_closer"], f"list closer {cat}")
            for t in spec["triggers"]:
                triggers.append(
                    _ModifierTrigger(
                        category=cat,
                        pattern=_compile(t["pattern"], f"trigger {cat}"),
                        direction=t["direction"],
                        max_words=int(t.get("max_words", spec["max_words"])),
                        gate=_pattern_gate(t["pattern"]),
                        after_comma=bool(t.get("after_comma", False)),
                    )
                )
        overrides = {
            cat: _compile(pat, f"override {cat}")
            for cat, pat in ctx.get("overrides", {}).items()
            if cat != "about"
        }
        intent_patterns = tuple(
            _IntentPattern(
                Intent(name),
                _compile(p["pattern"], f"intent {name}"),
                float(p["weight"]),
                _pattern_gate(p["pattern"]),
            )
            for name, pats in ints["intents"].items()
            for p in pats
        )
        return TriageRules(
            version=str(red.get("version", "")),
            concepts=concepts,
            gates=gates,
            rules=tuple(rules),
            triggers=tuple(triggers),
            terminators=terminators,
            list_closers=list_closers,
            overrides=overrides,
            intent_patterns=intent_patterns,
            intent_priority=tuple(Intent(i) for i in ints["priority"]),
            opening_chars=int(ints["opening_chars"]),
            opening_multiplier=float(ints["opening_multiplier"]),
            symptom_from_concepts=float(ints["symptom_from_concepts"]),
            screen_model=screen_model,
            intent_model=intent_model,
            urgent_model=urgent_model,
            gate_automaton=_gate_automaton(
                [*gates.values(), *(ip.gate for ip in intent_patterns), *(t.gate for t in triggers)]
            ),
            gate_owners=_gate_owners(gates),
            ungated=frozenset(name for name, gate in gates.items() if gate is None),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError("triage rule files are malformed") from exc


_lock = threading.Lock()
_rules: TriageRules | None = None


def _default_rules() -> TriageRules:
    global _rules
    if _rules is None:
        with _lock:
            if _rules is None:
                _rules = load_rules()
    return _rules


# --------------------------------------------------------------------------- language

_ES_WORDS = re.compile(
    r"\b(?:el|la|los|las|de|del|que|y|en|un|una|mi|mis|es|esta|estoy|tiene|tengo|por|para|con|se|le|"
    r"me|muy|pero|hace|desde|hoy|ayer|puede|necesito|gracias|cita|dolor|fiebre|nino|nina|hijo|hija|"
    r"esposo|esposa|mama|papa|bebe|cuanto|cuesta|pastillas|usted|cuando|donde|porque|como|ya|no se)\b"
)
_EN_WORDS = re.compile(
    r"\b(?:the|and|is|my|i|im|it|to|of|in|for|you|have|has|with|this|that|can|was|on|be|me|he|she|"
    r"his|her|since|yesterday|today|now|please|thanks|need|get|what|should|just|like|not|are)\b"
)


def detect_language(text: str) -> str:
    """Guess ``"es"`` or ``"en"`` from function-word counts (normalised or raw text).

    Spanglish goes to whichever language has more function words; ties go to English.
    """
    norm = normalize(text) if any(c.isupper() or ord(c) > 127 for c in text[:2000]) else text
    es = len(_ES_WORDS.findall(norm))
    en = len(_EN_WORDS.findall(norm))
    return "es" if es > en else "en"


# --------------------------------------------------------------------------- the screen


def _find_modifiers(
    rules: TriageRules, text: str, starts_of: Mapping[str, list[int]] | None
) -> list[Modifier]:
    mods: list[Modifier] = []
    for trig in rules.triggers:
        for m in _gated_matches(trig.pattern, trig.gate, text, starts_of):
            mods.append(
                Modifier(trig.category, trig.direction, m.start(), m.end(), trig.max_words, trig.after_comma)
            )
    mods.sort(key=lambda x: x.start)
    return mods


class _Concepts:
    """Concept lookups for one message, evaluated lazily and memoised.

    Lazy because most concepts only matter in combination ("infant_illness" is looked at only when
    "infant_young" was found), which keeps a typical message well under the 2 ms budget.
    """

    def __init__(self, rules: TriageRules, text: str) -> None:
        self.rules = rules
        self.text = text
        self.sents: list[Segment] = segments(text)
        self.starts = [s.start for s in self.sents]
        self.memo: dict[str, bool] = {}
        self.benign_memo: dict[str, bool] = {}
        automaton = rules.gate_automaton
        self.present: set[str] | None = None
        # where each gate literal starts (every occurrence, overlapping ones included)
        self.starts_of: dict[str, list[int]] = {}
        if automaton is not None:
            starts_of = self.starts_of
            for end, lit in automaton.iter(text):
                starts_of.setdefault(lit, []).append(end - len(lit) + 1)
            self.present = set(starts_of)
        # concepts whose gate is open (their regex may match); None without an automaton
        self.possible: frozenset[str] | set[str] | None = None
        if self.present is not None:
            owners = rules.gate_owners
            self.possible = rules.ungated.union(*(owners.get(lit, ()) for lit in self.present))
        self.mods = _find_modifiers(rules, text, self.starts_of if automaton is not None else None)
        self.mod_starts = [m.start for m in self.mods]

    def has(self, name: str) -> bool:
        found = self.memo.get(name)
        if found is None:
            found = self.memo[name] = self._affirmed(name)
        return found

    def found(self) -> set[str]:
        return {name for name, hit in self.memo.items() if hit}

    def has_benign(self, name: str) -> bool:
        """For a rule's ``none`` concept (a benign reading): affirmed, or affirmed but for history.

        A benign reading told in the past tense is still the benign reading: "it stopped after 5 min
        and hasn't come back" keeps "stopped after 5 min" although "hasn't come back" marks it past.
        """
        if self.has(name):
            return True
        found = self.benign_memo.get(name)
        if found is None:
            found = self.benign_memo[name] = self._affirmed(name, ignore=_BENIGN_IGNORES)
        return found

    def _matches(self, name: str) -> Iterator[re.Match[str]]:
        """The matches ``finditer`` would give for concept ``name`` (see :func:`_gated_matches`)."""
        starts_of = self.starts_of if self.present is not None else None
        return _gated_matches(self.rules.concepts[name], self.rules.gates.get(name), self.text, starts_of)

    def _affirmed(self, name: str, ignore: frozenset[str] = frozenset()) -> bool:
        """Whether ``name`` has at least one mention that no ConText modifier (but ``ignore``) covers."""
        rules, text = self.rules, self.text
        if self.possible is not None:
            if name not in self.possible:
                return False
        else:
            gate = rules.gates.get(name)
            if gate is not None and not any(lit in text for lit in gate):
                return False
        for m in self._matches(name):
            if m.end() == m.start():
                continue
            idx = bisect.bisect_right(self.starts, m.start()) - 1
            sent = self.sents[idx] if idx >= 0 else Segment(0, len(text))
            lo = bisect.bisect_left(self.mod_starts, sent.start)
            hi = bisect.bisect_right(self.mod_starts, sent.end)
            cats = (
                modifiers_in_scope(
                    text, (m.start(), m.end()), sent, self.mods[lo:hi], rules.terminators, rules.list_closers
                )
                if lo < hi
                else set()
            )
            for cat in list(cats):
                override = rules.overrides.get(cat)
                if cat in ignore or (override is not None and override.search(text, m.end(), sent.end)):
                    cats.discard(cat)
            if not cats:
                return True
        return False


_BENIGN_IGNORES = frozenset({"historical"})
# above this many candidate places one regex scan is cheaper than a Python-level match per place
_MAX_PLACES = 32


def _gated_matches(
    pattern: re.Pattern[str],
    gate: frozenset[str] | None,
    text: str,
    starts_of: Mapping[str, list[int]] | None,
) -> Iterator[re.Match[str]]:
    r"""The matches ``pattern.finditer(text)`` gives, found faster when the pattern has a gate.

    A gated pattern's match can only start where one of its gate literals starts (see
    :func:`_pattern_gate`), and the Aho-Corasick pass has already found those places (``starts_of``:
    literal -> start offsets; None without an automaton). Trying the regex at each of them, left to
    right and skipping places inside the last match, gives exactly ``finditer``'s matches
    (``match(text, pos)`` sees the whole text, so ``\b`` and lookbehinds behave as in a scan) without
    the regex engine walking every other position: Python's ``re`` cannot skip ahead on its own when a
    pattern starts with ``\b`` or a lookbehind, and most do. Many places (a gate of common letters, a
    long paste) fall back to the scan; no place means no match.
    """
    if gate is None or starts_of is None:
        return pattern.finditer(text)
    places = [pos for lit in gate & starts_of.keys() for pos in starts_of[lit]]
    if len(places) > _MAX_PLACES:
        return pattern.finditer(text)
    places.sort()
    return _matches_at(pattern, text, places)


def _matches_at(pattern: re.Pattern[str], text: str, places: list[int]) -> Iterator[re.Match[str]]:
    """``pattern``'s non-overlapping matches starting at ``places`` (sorted), as ``finditer`` gives them."""
    end = 0
    for pos in places:
        if pos < end:
            continue  # inside the previous match: finditer resumes after it
        m = pattern.match(text, pos)
        if m is not None:
            yield m
            end = max(m.end(), pos + 1)


def _fired_rules(rules: TriageRules, concepts: _Concepts) -> list[RedFlagRule]:
    possible = concepts.possible
    return [
        r
        for r in rules.rules
        # skipping a rule whose first required concept cannot match changes nothing (has() would say
        # False without running a regex) but saves most of the per-rule Python work
        if not (possible is not None and r.all and r.all[0] not in possible)
        and all(concepts.has(c) for c in r.all)
        and (not r.any or any(concepts.has(c) for c in r.any))
        and not (any(concepts.has_benign(c) for c in r.none) and not any(concepts.has(c) for c in r.unless))
    ]


def _opening_end(rules: TriageRules, text: str) -> int:
    """End of the opening: the first sentence, at least 60 and at most ``opening_chars`` characters."""
    first = next(iter(segments(text)), Segment(0, len(text)))
    return max(60, min(first.end, rules.opening_chars))


def _classify_intent(
    rules: TriageRules, text: str, concepts: set[str], present: set[str] | None = None
) -> Intent:
    scores: dict[Intent, float] = dict.fromkeys(Intent, 0.0)
    strong_opening: set[Intent] = set()
    opening = _opening_end(rules, text)
    for ip in rules.intent_patterns:
        if ip.gate is not None and present is not None and ip.gate.isdisjoint(present):
            continue  # none of the literals a match must start with occurs in the text
        for m in ip.pattern.finditer(text):
            in_opening = m.start() < opening
            scores[ip.intent] += ip.weight * (rules.opening_multiplier if in_opening else 1.0)
            # A strong keyword in the opening names the request even when a symptom follows ("refill my
            # inhaler. also my chest hurts" is a refill with an emergency, not a symptom message).
            if in_opening and ip.weight >= _STRONG and ip.intent is not Intent.SYMPTOM:
                strong_opening.add(ip.intent)
    scores[Intent.SYMPTOM] += rules.symptom_from_concepts * len(concepts)
    candidates = strong_opening or set(Intent)
    best = max(scores[i] for i in candidates)
    if best <= 0:
        # nothing administrative matched: a portal message with no recognisable request is almost
        # always a health question ("should we worry?"), and a clinician reads it either way; an empty or
        # emoji-only message is not
        return Intent.SYMPTOM if len(_WORDS.findall(text)) >= 3 else Intent.OTHER
    for intent in rules.intent_priority:
        if intent in candidates and scores[intent] == best:
            return intent
    return Intent.OTHER  # pragma: no cover - priority lists every intent


def screen(text: str, *, rules: TriageRules | None = None) -> Triage:
    """Screen a portal message for red flags and classify its intent.

    Deterministic, no LLM, no network. The whole text is screened, however long: a red flag at the end
    of a 60,000-character paste is found. Template syntax, HTML, control characters and lone surrogates
    are plain characters here.

    Args:
        text: The message as the patient wrote it (raw, before de-identification).
        rules: Rules to use instead of the packaged ones (see :func:`load_rules`).

    Returns:
        The triage: urgency (the most severe rule that fired, raised to emergency or urgent when the
        statistical emergency or urgent screen says so), intent, the ids of the rules that fired and of
        the screens that raised it (never patient text) and the language (``en`` or ``es``).

    Raises:
        InvalidMessageError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise InvalidMessageError("message text must be a string", reason="not_text")
    r = rules or _default_rules()
    norm = normalize(text)
    concepts = _Concepts(r, norm)
    fired = _fired_rules(r, concepts)
    urgency = fired[0].level if fired else Urgency.ROUTINE
    found = concepts.found()
    ngrams = NgramCache()  # the intent model and the screens share one message's n-grams
    guess = r.intent_model.predict(norm, ngrams) if r.intent_model is not None else None
    intent = Intent(guess) if guess is not None else _classify_intent(r, norm, found, concepts.present)
    reasons = tuple(dict.fromkeys(f.id for f in fired))
    # the statistical screens only raise: the emergency screen is skipped when the rules already found
    # an emergency, the urgent screen unless the message is still routine
    for model, level in ((r.screen_model, Urgency.EMERGENCY), (r.urgent_model, Urgency.URGENT)):
        if (
            model is not None
            and urgency.rank < level.rank
            and model.escalates(norm, rules_found_concepts=bool(found), cache=ngrams)
        ):
            urgency = level
            reasons = (model.reason, *reasons)
    logger.debug("triage: urgency=%s intent=%s rules=%d", urgency.value, intent.value, len(reasons))
    return Triage(urgency=urgency, intent=intent, reasons=reasons, language=detect_language(norm))


def reason_labels(
    reasons: Sequence[str], language: str = "en", *, rules: TriageRules | None = None
) -> list[str]:
    """Plain-language labels for rule ids (unknown ids are skipped), in ``language`` (``en``/``es``)."""
    r = rules or _default_rules()
    by_id: dict[str, Mapping[str, str]] = {rule.id: rule.labels for rule in r.rules}
    for model in (r.screen_model, r.urgent_model):
        if model is not None:
            by_id[model.reason] = model.labels
    lang = "es" if language.startswith("es") else "en"
    out: list[str] = []
    for rid in reasons:
        labels = by_id.get(rid)
        if labels is not None:
            label = labels.get(lang) or labels.get("en", "")
            if label and label not in out:
                out.append(label)
    return out


def emergency_reasons_text(
    triage: Triage, language: str | None = None, *, rules: TriageRules | None = None
) -> str:
    """The reasons for an emergency as one plain phrase for the safety-reply template.

    Only emergency-level reasons are used (urgent ones are dropped when any emergency fired). The text
    comes from rule metadata, never from the patient's message.

    Args:
        triage: The screen's verdict.
        language: ``en`` or ``es``; defaults to ``triage.language``.
        rules: The rules the triage came from (default: the packaged ones), for their labels.

    Returns:
        E.g. ``"chest pain or pressure and severe trouble breathing"``; empty when no rule fired.
    """
    lang = "es" if (language or triage.language).startswith("es") else "en"
    emergency = [x for x in triage.reasons if x.startswith("emergency.")]
    labels = reason_labels(emergency or list(triage.reasons), lang, rules=rules)
    if not labels:
        return ""
    conj = " y " if lang == "es" else " and "
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + conj + labels[-1]
