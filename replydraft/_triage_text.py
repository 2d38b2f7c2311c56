"""Text plumbing for the triage screen: normalisation, clause splitting and ConText-style modifiers.

Why not medspaCy's ConText or negspacy: measured here (medspacy 1.3.1 on ``spacy.blank("en")`` with
PyRuSH sentence splitting and ConText, 10 target rules, the 207 dev messages) it costs 5.1 ms a message,
over the 2 ms budget before any red-flag matching; medspacy 1.3.1 pins spaCy 3.7.5 (the project has
3.8); PyRuSH logs every sentence decision at DEBUG through loguru; its trigger lists are English-only;
and its default rules did not mark "had a stroke last year" as historical. negspacy needs a spaCy NER
model for its entities, and no spaCy model may be downloaded. So this module implements the same
algorithm (ConText, Harkema et al. 2009): trigger terms with a direction, a scope that ends at a
terminator, categories negated / historical / hypothetical / other-person / thing, NegEx
pseudo-triggers; the terms themselves are data (``triage_rules/context.json``), in English and Spanish.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Modifier", "Segment", "in_closed_list", "modifiers_in_scope", "normalize", "segments"]

# Control characters (NUL included) and lone surrogates become spaces so that offsets stay meaningful
# and nothing downstream (regex, JSON, logging) chokes on them.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_APOSTROPHES = re.compile(r"['’‘`´]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "¿": " ", "¡": " "})
_SPACES = re.compile(r"[ \t\r\f\v]+")


def normalize(text: str) -> str:
    """Lower-case, accent-folded, apostrophe-free text that the rule patterns are written against.

    ``can't`` becomes ``cant`` and ``está`` becomes ``esta``, so one pattern covers the ways people
    type on a phone. Lone surrogates, NUL and other control characters become spaces. Nothing is
    truncated: the whole message is screened whatever its length.
    """
    text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_QUOTES)
    text = _APOSTROPHES.sub("", text).lower()
    return _SPACES.sub(" ", text)


@dataclass(frozen=True)
class Segment:
    """A clause of the normalised text: the unit a modifier's scope cannot cross."""

    start: int
    end: int


# Sentence ends, semicolons, line breaks, and the conjunctions/adverbs that flip the story
# ("had chest pain last year, ... but now it's back"). ConText calls these terminators.
_SENTENCE_END = re.compile(r"(?:[.!?;]+(?=\s|$)|\n+|\s[-–—]{1,2}\s)")


def sentences(text: str) -> Iterator[Segment]:
    """Split normalised text into sentences (offsets into ``text``)."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            yield Segment(start, m.start())
        start = m.end()
    if start < len(text):
        yield Segment(start, len(text))


def segments(text: str) -> list[Segment]:
    """Sentences of ``text``; kept as a list because every concept is looked up against them."""
    return list(sentences(text))


@dataclass(frozen=True)
class Modifier:
    """A ConText trigger found in the text.

    Attributes:
        category: ``negated``, ``historical``, ``hypothetical``, ``other_person`` or ``thing`` (said of
            an object, not the body).
        direction: ``forward`` (applies to what follows), ``backward`` or ``bidirectional``.
        start: Offset of the trigger in the normalised text.
        end: End offset of the trigger.
        max_words: How many words the scope may reach.
        after_comma: A backward trigger that opens its own clause after a comma ("had dark thoughts,
            but that's long behind me"): the comma right before it does not end its scope.
    """

    category: str
    direction: str
    start: int
    end: int
    max_words: int
    after_comma: bool = False


_WORD = re.compile(r"\S+")


def _before_clause_comma(text: str, a: int, b: int) -> int:
    """``b`` moved back over the spaces and the one comma that end the gap ``text[a:b]``, if any."""
    while b > a and text[b - 1].isspace():
        b -= 1
    return b - 1 if b > a and text[b - 1] == "," else b


def _words_between(text: str, a: int, b: int) -> int:
    return len(_WORD.findall(text, a, b)) if b > a else 0


_LIST_ITEM_WORDS = 4
_LIST_ITEMS = 6


def in_closed_list(
    text: str,
    start: int,
    span: tuple[int, int],
    end: int,
    terminator: re.Pattern[str],
    closer: re.Pattern[str],
) -> bool:
    """Whether ``span`` is an item of a closed list that starts at ``start`` ("no fever, chills or cough").

    The list runs from ``start`` to the first terminator that is not a comma (or ``end``); it is closed
    when a closer ("or", "nor", "ni", "o") joins its last item, and every item has at most four words.
    An open enumeration ("no appetite, chest pain since noon") is not a list: its comma still ends the
    modifier's scope.
    """
    stop = end
    for m in terminator.finditer(text, start, end):
        if m.group(0) != ",":
            stop = m.start()
            break
    s, e = span
    if e > stop:
        return False
    close = closer.search(text, start, stop)
    if close is None:
        return False
    items = text[start : close.start()].split(",")
    last = text[close.end() : stop].split(",", 1)[0]
    if len(items) > _LIST_ITEMS or any(len(i.split()) > _LIST_ITEM_WORDS for i in (*items, last)):
        return False
    return s < close.start() or e <= close.end() + len(last)


def modifiers_in_scope(
    text: str,
    span: tuple[int, int],
    sentence: Segment,
    modifiers: Iterable[Modifier],
    terminators: Mapping[str, re.Pattern[str]],
    list_closers: Mapping[str, re.Pattern[str]] | None = None,
) -> set[str]:
    """Return the categories of the modifiers whose scope covers ``span``.

    A modifier applies when it sits in the same sentence, on its side of the span (by direction), no
    terminator lies between them, and the gap is at most ``max_words`` words. A forward modifier of a
    category with a list closer also covers every item of a closed list it opens ("no headache, chest
    pain or vision changes"), whatever the commas and the list's length (see :func:`in_closed_list`).
    """
    found: set[str] = set()
    s, e = span
    for mod in modifiers:
        if mod.start < sentence.start or mod.end > sentence.end:
            continue
        if mod.end <= s and mod.direction in ("forward", "bidirectional"):
            gap_start, gap_end = mod.end, s
        elif mod.start >= e and mod.direction in ("backward", "bidirectional"):
            gap_start, gap_end = e, mod.start
            if mod.after_comma:
                gap_end = _before_clause_comma(text, gap_start, gap_end)
        else:
            continue
        term = terminators.get(mod.category)
        if term is not None and term.search(text, gap_start, gap_end):
            closer = list_closers.get(mod.category) if list_closers else None
            if (
                closer is not None
                and gap_start == mod.end
                and in_closed_list(text, mod.end, span, sentence.end, term, closer)
            ):
                found.add(mod.category)
            continue
        if _words_between(text, gap_start, gap_end) > mod.max_words:
            continue
        found.add(mod.category)
    return found
