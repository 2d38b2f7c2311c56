"""Drug-name lexicon shared by de-identification (allow-list) and the grounding check.

The table comes from the drug-named-entity-recognition package (MIT), exported to
``data/drugs.tsv`` by ``scripts/build_drug_lexicon.py`` (see the file header). It is loaded once, lazily.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib import resources

__all__ = ["DrugLexicon", "DrugMention", "drug_lexicon"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-']*")
_MAX_NGRAM = 4


@dataclass(frozen=True)
class DrugMention:
    """A drug name found in text."""

    start: int
    end: int
    surface: str
    canonical: str


class DrugLexicon:
    """Maps every known variant (generic, brand, foreign spelling) to its canonical generic name."""

    def __init__(self, variant_to_canonical: dict[str, str]) -> None:
        self.variant_to_canonical = variant_to_canonical

    def canonical(self, name: str) -> str | None:
        """The canonical generic name for a variant, or None when unknown (case-insensitive)."""
        return self.variant_to_canonical.get(name.strip().lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self.variant_to_canonical

    def find(self, text: str) -> list[DrugMention]:
        """Find drug names in text, longest match first, non-overlapping."""
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        out: list[DrugMention] = []
        i = 0
        while i < len(words):
            hit: DrugMention | None = None
            for n in range(min(_MAX_NGRAM, len(words) - i), 0, -1):
                start, end = words[i][0], words[i + n - 1][1]
                surface = text[start:end]
                canon = self.variant_to_canonical.get(surface.lower())
                if canon is not None:
                    hit = DrugMention(start, end, surface, canon)
                    i += n
                    break
            if hit is None:
                i += 1
            else:
                out.append(hit)
        return out


_lock = threading.Lock()
_lexicon: DrugLexicon | None = None


def drug_lexicon() -> DrugLexicon:
    """Return the shared lexicon, loading it on first use (~0.2 s, 107k variants)."""
    global _lexicon
    if _lexicon is None:
        with _lock:
            if _lexicon is None:
                table: dict[str, str] = {}
                raw = resources.files("replydraft").joinpath("data/drugs.tsv").read_text(encoding="utf-8")
                for line in raw.splitlines():
                    if not line or line.startswith("#"):
                        continue
                    canonical, _, variants = line.partition("\t")
                    table.setdefault(canonical, canonical)
                    for v in variants.split("|"):
                        if v:
                            table.setdefault(v, canonical)
                _lexicon = DrugLexicon(table)
    return _lexicon
