"""Word lists (names, places, common words), loaded once and lazily from ``deid/data``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources

__all__ = ["Gazetteers", "gazetteers", "words"]


@dataclass(frozen=True)
class Gazetteers:
    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]
    dictionary: frozenset[str]
    places: frozenset[str]
    states: frozenset[str]
    allow: frozenset[str]
    world: frozenset[str] = frozenset()  # cities outside the US: matched only after a place cue


def words(text: str) -> frozenset[str]:
    """A word list written as text (reads better than a list literal)."""
    return frozenset(text.split())


def _read(name: str) -> frozenset[str]:
    raw = resources.files("replydraft.deid").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return frozenset(w for w in raw.splitlines() if w and not w.startswith("#"))


_lock = threading.Lock()
_cache: Gazetteers | None = None


def gazetteers() -> Gazetteers:
    global _cache
    if _cache is None:
        with _lock:
            if _cache is None:
                _cache = Gazetteers(
                    first=_read("first_names.txt"),
                    last=_read("last_names.txt"),
                    common=_read("common_words.txt"),
                    dictionary=_read("dictionary_words.txt"),
                    places=_read("us_places.txt"),
                    states=_read("us_states.txt"),
                    allow=_read("allow_terms.txt"),
                    world=_read("world_places.txt"),
                )
    return _cache
