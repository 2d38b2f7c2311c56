"""Word tokens with the facts the name rules need (case, sentence position, digits), and case folding."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = ["Token", "fold", "tokenize"]

_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")


class Token(NamedTuple):  # a NamedTuple: built ~20 times per message, 4x cheaper than a frozen dataclass
    start: int
    end: int
    text: str
    low: str  # folded: lower-case, accents stripped, possessive removed
    cap: bool  # Capitalised (first upper, not all caps) - or any token when the message has no case signal
    upper: bool
    initial: bool  # first word of a sentence or line
    digit: bool  # contains a digit ("A1c"): never a name


def fold(s: str) -> str:
    """Lower-case and strip accents (Lucía -> lucia) so chart and text spellings meet."""
    if s.isascii():
        return s.lower()
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(c for c in s if not unicodedata.combining(c)).replace("’", "'")


def _strip_possessive(text: str) -> str:
    for suf in ("'s", "’s", "'S", "’S", "'", "’"):
        if text.endswith(suf) and len(text) > len(suf) + 1:
            return text[: -len(suf)]
    return text


def tokenize(text: str) -> tuple[list[Token], str]:
    """Word tokens and the message's case mode: ``normal``, ``lower`` or ``caps``."""
    raw = list(_WORD.finditer(text))
    # words with digits (member IDs "TB1161939", "G742960") carry no case signal: counted, they made an
    # all-lower-case message look normally capitalised
    alpha = [w for m in raw if len(w := m.group(0)) > 1 and not any(c.isdigit() for c in w)]
    n = max(len(alpha), 1)
    n_upper = sum(1 for w in alpha if w.isupper())
    n_cap = sum(1 for w in alpha if w[0].isupper())
    mode = "normal"
    if n_upper / n > 0.6:
        mode = "caps"
    elif n_cap / n < 0.04 or (n_cap <= 1 and n >= 8):
        mode = "lower"
    toks: list[Token] = []
    for m in raw:
        w = m.group(0)
        stripped = _strip_possessive(w) if w[-1] in "sS'’" else w  # "ART'S" too
        start = m.start()
        j = start - 1
        while j >= 0 and text[j] in _SKIP_BEFORE:
            j -= 1
        initial = j < 0 or text[j] in ".!?\n:;"
        upper = len(stripped) > 1 and stripped.isupper()
        cap = stripped[0].isupper() and not upper if mode == "normal" else True
        low = fold(stripped)
        toks.append(
            Token(
                start,
                start + len(stripped),
                stripped,
                low,
                cap,
                upper,
                initial,
                not low.isalpha() and any(c.isdigit() for c in low),
            )
        )
    return toks, mode


# characters skipped when looking for what precedes a word (spaces, quotes, bullets, dashes)
_SKIP_BEFORE = frozenset(" \t\"'(*-–—•>")
