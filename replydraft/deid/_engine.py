"""Deidentifier: runs every recognizer, resolves overlaps, applies the allow-list, fills the vault."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from replydraft.deid._gazetteer import gazetteers
from replydraft.deid._known import KnownIdentifiers, known_value_hits
from replydraft.deid._names import (
    _DETERMINER_BEFORE,
    _PERSON_NEXT,
    EPONYM_RES,
    MEDICAL_END,
    NameFinder,
    fold,
    tokenize,
)
from replydraft.deid._patterns import find_structured
from replydraft.deid._vault import _LOOSE_PLACEHOLDER_RE, PlaceholderVault
from replydraft.errors import ConfigurationError, DeidentificationError, InvalidMessageError

__all__ = ["DeidResult", "DeidSpan", "Deidentifier"]

log = logging.getLogger(__name__)

Hit = tuple[int, int, str]

# When spans overlap they are merged into one; the merged span takes the highest-ranked type.
_RANK = {
    "LITERAL": 100,
    "PATIENT_NAME": 90,
    "EMAIL": 80,
    "URL": 78,
    "SSN": 76,
    "PHONE": 74,
    "IP_ADDRESS": 72,
    "ID": 70,
    "ADDRESS": 60,
    "DATE": 55,
    "AGE": 54,
    "PROVIDER": 50,
    "NAME": 45,
    "ZIP": 40,
    "LOCATION": 35,
    "EMPLOYER": 31,
    "ORGANIZATION": 30,
}
# internal types reported under a public one ("EMPLOYER": an organisation named by an employment cue,
# which the allow-list of chains must not drop: "I work at Walmart" identifies the writer)
_REPORTED = {"PATIENT_NAME": "NAME", "EMPLOYER": "ORGANIZATION"}
_NAME_TYPES = frozenset({"PATIENT_NAME", "NAME", "PROVIDER", "LOCATION", "ORGANIZATION"})
_MAX_LEN = 100_000


@dataclass(frozen=True)
class DeidSpan:
    """One replaced stretch of the original text.

    Attributes:
        start: Offset of the first character in the ORIGINAL text.
        end: Offset one past the last character in the ORIGINAL text.
        entity_type: ``NAME`` (the patient's own name too), ``PROVIDER``, ``DATE``, ``AGE``, ``PHONE``,
            ``EMAIL``, ``URL``, ``IP_ADDRESS``, ``SSN``, ``ID``, ``ADDRESS``, ``LOCATION``, ``ZIP``,
            ``ORGANIZATION`` or ``LITERAL`` (placeholder-shaped text the writer typed, escaped).
        placeholder: The placeholder that replaced it, e.g. ``[PATIENT_NAME_1]``.
    """

    start: int
    end: int
    entity_type: str
    placeholder: str


@dataclass(frozen=True)
class DeidResult:
    """The de-identified text, what was replaced, and the vault that reverses it.

    The vault is PHI: it is excluded from ``repr`` and refuses pickling.

    Attributes:
        text: The text with placeholders.
        spans: Replaced spans, in order, with offsets into the original text.
        vault: The placeholder vault used (shared across calls when one was passed in).
    """

    text: str = field(repr=False)
    spans: tuple[DeidSpan, ...]
    vault: PlaceholderVault = field(repr=False)

    def reidentify(self, draft_text: str) -> str:
        """Restore the originals in ``draft_text`` (same as ``self.vault.reidentify``)."""
        return self.vault.reidentify(draft_text)

    def _repr_html_(self) -> str:
        """Notebook display: the de-identified text with typed placeholders highlighted (no originals)."""
        from .._html import render_deid_result

        return render_deid_result(self)


class Deidentifier:
    """Replace PHI in portal messages and chart lines with typed, numbered, reversible placeholders.

    Construction is cheap; Presidio, the word lists and the drug lexicon load on first use. One
    instance is safe to share across threads.

    Example:
        >>> d = Deidentifier()
        >>> r = d.deidentify("Hi Dr. Okafor, this is Maria, call 608-555-0118",
        ...                  known=KnownIdentifiers(names=["Maria Lopez"]))
        >>> r.text
        'Hi Dr. [PROVIDER_1], this is [PATIENT_NAME_1], call [PHONE_1]'
        >>> r.reidentify("Hello [PATIENT_NAME_1]")
        'Hello Maria'

    Args:
        redact_providers: Replace clinicians' and staff names with ``[PROVIDER_n]`` (default). They are
            not Safe-Harbor identifiers, but they narrow down who the patient is.
        use_presidio: Run Presidio's pattern recognizers (default). Off only for experiments.
        spacy_model: Name or path of an installed spaCy model to add its NER (optional; never needed and
            never downloaded).
    """

    def __init__(
        self,
        *,
        redact_providers: bool = True,
        use_presidio: bool = True,
        spacy_model: str | None = None,
    ) -> None:
        if spacy_model is not None and not isinstance(spacy_model, str):
            raise ConfigurationError("spacy_model must be a model name or a path")
        self.redact_providers = redact_providers
        self.use_presidio = use_presidio
        self.spacy_model = spacy_model
        self._lock = threading.Lock()
        self._names: NameFinder | None = None
        self._drugs: Any = None
        self._presidio: Any = None
        self._nlp: Any = None

    def __repr__(self) -> str:
        return (
            f"Deidentifier(redact_providers={self.redact_providers}, use_presidio={self.use_presidio}, "
            f"spacy_model={self.spacy_model!r})"
        )

    # ------------------------------------------------------------------ lazy parts

    def _load(self) -> NameFinder:
        if self._names is None:
            with self._lock:
                if self._names is None:
                    from replydraft._drugs import drug_lexicon

                    self._drugs = drug_lexicon()
                    if self.use_presidio:
                        from replydraft.deid._presidio import PresidioPatterns

                        presidio = PresidioPatterns()
                        try:
                            presidio.engine()
                        except Exception as exc:  # pragma: no cover - depends on the installed presidio
                            raise DeidentificationError("could not build the Presidio analyzer") from exc
                        self._presidio = presidio
                    if self.spacy_model is not None:
                        self._nlp = _load_spacy(self.spacy_model)
                    self._names = NameFinder(gazetteers(), self._drugs)
        return self._names

    def warm_up(self) -> None:
        """Load everything now (Presidio, word lists, drug lexicon) instead of on the first message."""
        self._load()

    # ------------------------------------------------------------------ main

    def deidentify(
        self,
        text: str,
        known: KnownIdentifiers | None = None,
        vault: PlaceholderVault | None = None,
    ) -> DeidResult:
        """Replace PHI in ``text`` with placeholders.

        Args:
            text: A portal message or a rendered chart line.
            known: What the chart knows about the sender (matched even when misspelt or re-formatted).
            vault: The request's vault; pass the same one for the message and every chart line so the same
                value gets the same placeholder. A new one is made when None.

        Returns:
            The de-identified text, the replaced spans and the vault.

        Raises:
            InvalidMessageError: ``text`` is not a string or is absurdly long.
            DeidentificationError: a recognizer failed (nothing is returned half-done).
        """
        if not isinstance(text, str):
            raise InvalidMessageError("text to de-identify must be a str", reason="not_text")
        if len(text) > _MAX_LEN:
            raise InvalidMessageError("text to de-identify is too long", reason="too_long", length=len(text))
        if vault is None:
            vault = PlaceholderVault()
        if not text:
            return DeidResult(text="", spans=(), vault=vault)
        names = self._load()
        try:
            merged = self._spans(text, known, names)
        except (InvalidMessageError, DeidentificationError):
            raise
        except Exception as exc:
            raise DeidentificationError(f"a recognizer failed ({type(exc).__name__})") from exc

        out: list[str] = []
        spans: list[DeidSpan] = []
        pos = 0
        for start, end, kind in merged:
            if kind == "PROVIDER" and not self.redact_providers:
                continue
            ph = vault.add(_REPORTED.get(kind, kind) if kind == "EMPLOYER" else kind, text[start:end])
            out.append(text[pos:start])
            out.append(ph)
            pos = end
            spans.append(DeidSpan(start, end, _REPORTED.get(kind, kind), ph))
        out.append(text[pos:])
        log.debug("deidentified %d chars: %d spans", len(text), len(spans))
        return DeidResult(text="".join(out), spans=tuple(spans), vault=vault)

    def _spans(self, text: str, known: KnownIdentifiers | None, names: NameFinder) -> list[Hit]:
        toks, mode = tokenize(text)
        hits: list[Hit] = []
        for m in _LOOSE_PLACEHOLDER_RE.finditer(text):
            hits.append((m.start(), m.end(), "LITERAL"))
        hits.extend(find_structured(text))
        if self._presidio is not None:
            hits.extend(self._presidio.find(text))
        hits.extend(known_value_hits(text, known))
        name_hits = list(names.find(text, toks, mode, known))
        if self._nlp is not None:
            name_hits.extend(_spacy_hits(self._nlp, text))

        # allow-list: drug names and eponymous conditions are never names, places or organisations
        # (token by token: DrugLexicon.find scans every 1-4-gram of the message and cost 12 % of the time;
        # a name-like hit made only of drug words is dropped, and so is one whose whole text is a drug)
        allowed: list[tuple[int, int]] = [(t.start, t.end) for t in toks if names._is_drug(t.low)]
        # pets are not people ("my cat Gus", "our dog Bella")
        allowed.extend((m.start(1), m.end(1)) for m in _PET.finditer(text))
        for rx in EPONYM_RES:
            allowed.extend((m.start(), m.end()) for m in rx.finditer(text))

        def is_allowed(s: int, e: int) -> bool:
            if any(a <= s and e <= b for a, b in allowed):
                return True
            surface = text[s:e].casefold()
            if surface in self._drugs and surface not in names.name_not_drug:
                return True
            # multi-word brands around the hit: "Dr. Scholl's", "Tylenol PM", "Advair Diskus"
            pm = _PREV_WORD.search(text[max(0, s - 12) : s].casefold())
            after = text[e : e + 16].casefold()
            poss = _POSS.match(after)
            p = poss.group(0) if poss else ""
            nm = _NEXT_WORD.match(after, len(p))
            prevs = ("", pm.group(0)) if pm else ("",)
            nexts = {"", p, p + (nm.group(0) if nm else "")}
            for before in prevs:
                for nxt in nexts:
                    cand = f"{before}{surface}{nxt}".strip()
                    if cand != surface and cand in self._drugs:
                        return True
            words = _WORDS.findall(text, s, e)
            return bool(words) and all(names._is_drug(fold(w)) for w in words)

        for s, e, kind in name_hits:
            if kind != "PATIENT_NAME" and is_allowed(s, e):
                continue
            hits.append((s, e, kind))
        hits = [
            h for h in hits if not (h[2] in _NAME_TYPES and h[2] != "PATIENT_NAME" and is_allowed(h[0], h[1]))
        ]

        # a name found once is redacted wherever else it occurs ("Max Day ... Max")
        hits.extend(self._propagate(text, toks, mode, hits, names))
        # a month word inside a name ("Im June Sweet") is the name, not a date: keep the name's type
        person = [(s, e) for s, e, kind in hits if kind in ("PATIENT_NAME", "NAME")]
        hits = [
            h
            for h in hits
            if not (
                h[2] == "DATE"
                and text[h[0] : h[1]].isalpha()
                and any(s <= h[0] and h[1] <= e and e - s > h[1] - h[0] for s, e in person)
            )
        ]
        return _merge(text, hits)

    def _propagate(
        self, text: str, toks: list[Any], mode: str, hits: list[Hit], names: NameFinder
    ) -> list[Hit]:
        """Names found once, found everywhere: repeats, nicknames that prefix them, and coordinated names."""
        surfaces: dict[str, str] = {}
        common = names.gaz.common
        out: list[Hit] = []
        for s, e, kind in hits:
            if kind in ("PATIENT_NAME", "NAME", "PROVIDER"):
                for part in re.findall(r"[^\W\d_][\w'’-]*", text[s:e]):
                    low = fold(part)
                    if len(low) >= 2 and (low not in common or kind == "PATIENT_NAME"):
                        surfaces.setdefault(low, kind)
                if mode == "normal":
                    # "Ruth and Sol", "Ife (4/18/2016) and Bisi": a capitalised word coordinated with a name
                    m = _AND_NEXT.match(text, e)
                    if m is not None and _coordinated_ok(m.group(1), names):
                        out.append((m.start(1), m.end(1), "NAME" if kind == "PATIENT_NAME" else kind))
                    m2 = _AND_PREV.search(text, max(0, s - 30), s)
                    if m2 is not None and _coordinated_ok(m2.group(1), names):
                        out.append((m2.start(1), m2.end(1), "NAME" if kind == "PATIENT_NAME" else kind))
        # a name of two or more words, found once, is that name wherever it recurs, in any case and even
        # when its words are everyday words ("Royal Hardy ... - Royal Hardy", "major arroyo ... major arroyo")
        phrases: dict[str, set[tuple[str, ...]]] = {}  # first word -> whole names
        # words of a full name that are also everyday words ("Will Harrington ... Will got his shot"): the
        # name only where they recur capitalised, since that full name was found in this message
        word_parts: dict[str, str] = {}
        full_parts: set[str] = set()  # of these, the ones seen inside a full name: also sentence-initially
        first_seen: dict[str, int] = {}  # where each was first found
        any_case: dict[str, int] = {}  # word-names of any found name, for lower-case and ALL-CAPS recurrences
        by_start = {t.start: t for t in toks}
        for s, e, kind in hits:
            if kind in ("PATIENT_NAME", "NAME", "PROVIDER"):
                words = _WORDS.findall(text, s, e)
                parts = tuple(fold(w) for w in words)
                if len(parts) >= 2 and kind != "PROVIDER":
                    phrases.setdefault(parts[0], set()).add(parts)
                # a word-name alone counts when found capitalised mid-sentence by a layout rule ("my daughter
                # Grace has a fever. Grace also ...": the gazetteer never tags an everyday word alone)
                single = (
                    len(parts) == 1
                    and kind == "NAME"
                    and (tok := by_start.get(s)) is not None
                    and tok.cap
                    and not tok.initial
                )
                if kind in ("PATIENT_NAME", "NAME"):
                    # in any case: "my bf hunter has the flu. hunter's mom said" (checked below: a person's
                    # verb or a possessive after it, no determiner before it)
                    for w, low in zip(words, parts, strict=True):
                        # in ordinary text only a name the writer left in lower case recurs in lower case
                        # ("Summer's tremor ... since summer started")
                        if (
                            len(low) >= 3
                            and low in common
                            and not names._is_drug(low)
                            and (mode != "normal" or w.islower())
                        ):
                            any_case.setdefault(low, s)
                if (len(parts) >= 2 or single) and mode == "normal":
                    for w, low in zip(words, parts, strict=True):
                        if (
                            len(low) >= 3
                            and w[0].isupper()
                            and not w.isupper()
                            and low in common
                            # "Sarah Kaiser ... insurance is Kaiser": a brand stays a brand elsewhere
                            and not names._is_drug(low)
                        ):
                            word_parts.setdefault(low, "NAME" if kind == "PATIENT_NAME" else kind)
                            if not single:
                                full_parts.add(low)
                            first_seen[low] = min(first_seen.get(low, s), s)
        for k, t in enumerate(toks):
            for parts in phrases.get(t.low, ()):
                span = toks[k : k + len(parts)]
                if tuple(x.low for x in span) == parts and all(
                    text[a.end : b.start] == " " for a, b in pairwise(span)
                ):
                    out.append((span[0].start, span[-1].end, "NAME"))
        for t in toks:
            # "faith is 4", "GRACE IS BETTER": an un-capitalised recurrence of a word-name found in this
            # message is the person when a person's verb or a possessive follows and no determiner precedes
            if (
                t.low in any_case
                and (mode != "normal" or not (t.cap or t.upper))
                and _PERSON_NEXT.match(text, t.end) is not None
                and _DETERMINER_BEFORE.search(text, max(0, t.start - 12), t.start) is None
                and _PREP_BEFORE.search(text, max(0, t.start - 10), t.start) is None
            ):
                out.append((t.start, t.end, "NAME"))
        if word_parts:
            for t in toks:
                found_kind = word_parts.get(t.low)
                if found_kind is None or not t.cap or t.low in surfaces:
                    continue
                # "Autumn is always rough ... my daughter Autumn": a word-name seen alone counts at a
                # sentence start only once the writer has introduced the person ("my son Jack ... Jack is
                # worse"); before that the capital says nothing
                if t.initial and t.low not in full_parts and t.start < first_seen[t.low]:
                    continue
                # "Will he need another?": a sentence-initial modal or verb before a pronoun is no name
                if t.initial and _NOT_NAME_NEXT.match(text, t.end):
                    continue
                out.append((t.start, t.end, found_kind))
        if not surfaces:
            return out
        long_names = [n for n in surfaces if len(n) >= 5]
        for t in toks:
            found = surfaces.get(t.low)
            if found is None and (t.cap or mode != "normal") and len(t.low) >= 3 and t.low not in _COORD_STOP:
                # "Walt" after "Walter", "Kate" after "Katherine"
                for n in long_names:
                    if n.startswith(t.low) and len(n) - len(t.low) <= 4 and n not in common:
                        out.append((t.start, t.end, surfaces[n]))
                        break
                continue
            if found is None:
                continue
            if t.low in common and not (mode == "normal" and t.cap and not t.initial):
                continue
            out.append((t.start, t.end, found))
        return out


_PREP_BEFORE = re.compile(
    r"\b(?:since|in|during|until|till|by|of|for|all|last|next|at|on|from)\s+$", re.IGNORECASE
)
_NOT_NAME_NEXT = re.compile(
    r"\s+(?:he|she|it|they|you|i|we|the|this|that|these|those|my|your|his|her|their|our|me|him|us|them|"
    r"there|a|an|be|not|any|some|all|to)\b",
    re.IGNORECASE,
)
_PREV_WORD = re.compile(r"[\w.'’-]+\s+$")
_POSS = re.compile(r"'s|’s")
_NEXT_WORD = re.compile(r"\s+[\w'’-]+")
_WORDS = re.compile(r"[^\W\d_][\w'’-]*")
_PET = re.compile(
    r"\b(?:my|our|his|her|their|the|a)\s+(?:\w+\s+)?(?:cat|dog|puppy|pup|kitten|kitty|pet|horse|pony|bird|parrot|"
    r"hamster|rabbit|bunny|guinea\s+pig|lab|labrador|retriever|poodle|beagle|terrier|collie|shepherd)\s+"
    r"([A-Z][a-z]+)\b"
)
_ORG_LEAD = frozenset({"his", "her", "our", "their", "my", "the", "a", "an", "your", "its", "this", "that"})


def _org_ok(surface: str, names: NameFinder) -> bool:
    """An organisation needs one word that is not an everyday word ("His school", "Member Services")."""
    words = [fold(w).strip(".,&'") for w in surface.split()]
    words = [w for w in words if w and w not in _ORG_LEAD]
    if any(MEDICAL_END.search(w) and w not in names.gaz.last for w in words):
        return False  # "Otitis media"
    return any(w not in names.gaz.common for w in words[:-1] or words)


_AND_NEXT = re.compile(r"(?:\s*\([^()\n]{1,20}\))?,?\s+(?:and|&|or)\s+([A-Z][a-z][\w'’-]*)")
_AND_PREV = re.compile(r"\b([A-Z][a-z][\w'’-]*)(?:\s*\([^()\n]{1,20}\))?,?\s+(?:and|&)\s+$")


def _coordinated_ok(word: str, names: NameFinder) -> bool:
    low = fold(word).removesuffix("'s").removesuffix("’s")
    g = names.gaz
    if low in _COORD_STOP or names._is_drug(low):
        return False
    return (
        low in g.first
        or (low not in g.common and low not in g.dictionary)
        or (low in g.last and low not in g.common)
    )


_COORD_STOP = frozenset(
    {
        "i",
        "me",
        "my",
        "the",
        "a",
        "an",
        "mom",
        "dad",
        "doctor",
        "dr",
        "nurse",
        "then",
        "also",
        "thanks",
        "thank",
    }
)


def _merge(text: str, hits: list[Hit]) -> list[Hit]:
    """Union of overlapping spans (trimmed of spaces and punctuation), each with its best-ranked type."""
    cleaned: list[Hit] = []
    for s, e, kind in hits:
        while s < e and (text[s].isspace() or text[s] in ",;:()\"'"):
            s += 1
        while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:()\"'!?"):
            e -= 1
        if e > s:
            cleaned.append((s, e, kind))
    cleaned.sort(key=lambda h: (h[0], -h[1]))
    merged: list[Hit] = []
    for s, e, kind in cleaned:
        if merged and s < merged[-1][1]:
            ps, pe, pk = merged[-1]
            if kind == "LITERAL" or pk == "LITERAL":
                # escaped placeholder text stays exactly itself
                if pk == "LITERAL":
                    continue
                merged[-1] = (s, e, kind)
                continue
            best = kind if _RANK.get(kind, 0) > _RANK.get(pk, 0) else pk
            merged[-1] = (ps, max(pe, e), best)
        else:
            merged.append((s, e, kind))
    return merged


def _load_spacy(model: str) -> Any:
    try:
        import spacy

        return spacy.load(model, disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])
    except Exception as exc:
        raise ConfigurationError(
            "the spaCy model given as spacy_model could not be loaded; install it first, or pass "
            "spacy_model=None (the default needs no model)"
        ) from exc


_SPACY_MAP = {
    "PERSON": "NAME",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "ADDRESS",
    "ORG": "ORGANIZATION",
    "DATE": "DATE",
}
_DURATION = re.compile(
    r"\b(?:days?|weeks?|months?|years?|hours?|minutes?|ago|today|yesterday|tomorrow|"
    r"tonight|morning|evening|night|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)


def _spacy_hits(nlp: Any, text: str) -> list[Hit]:
    out: list[Hit] = []
    for ent in nlp(text).ents:
        kind = _SPACY_MAP.get(ent.label_)
        if kind is None or (kind == "DATE" and _DURATION.search(ent.text)):
            continue
        out.append((ent.start_char, ent.end_char, kind))
    return out
