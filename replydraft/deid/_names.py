"""Person names: chart-aware fuzzy matching, message-layout rules and gazetteers with a common-word guard.

Why rules and word lists rather than a statistical model: no spaCy model may be downloaded here (nor,
often, in hospitals), and portal messages are short, informal and often lower-case or ALL CAPS, where
capitalisation-trained NER is weakest. Layout (greetings, sign-offs, "my son X", "Dr X") and the chart
carry most of the signal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz.distance import Levenshtein

from replydraft.deid._cues import (
    _ADVERB_NAMES,
    _AND_ME,
    _CALENDAR_NAMES,
    _CREDENTIAL,
    _GREETING,
    _HERE,
    _ID_FOLLOWS,
    _KIN_BARE,
    _KIN_CTX,
    _LABEL_CTX,
    _ME_AND,
    _ME_COMMA,
    _MEDICAL_END,
    _NAME_LABEL,
    _ORG_TAIL,
    _OTHER_SCRIPT,
    _PAREN_KIN,
    _PARTICLES,
    _PERSON_TITLE_CTX,
    _PLACE_CUE,
    _PLACE_CUE_STRONG,
    _POSSESSIVE,
    _PROVIDER_CTX,
    _REAL_DRUG_NAMES,
    _SAINT,
    _SELF_CTX,
    _SIGNOFF,
    _SLOT_STOP,
    _STOP,
    _STOP_NAMES,
    _STREET_WORDS,
    _TAIL,
    _TRAILING_STATE,
    _TRAILING_ZIP,
    _VOCATIVE,
    EPONYM_RES,
    MEDICAL_END,
)
from replydraft.deid._gazetteer import Gazetteers
from replydraft.deid._known import KnownIdentifiers
from replydraft.deid._tokens import Token, fold, tokenize

__all__ = ["EPONYM_RES", "MEDICAL_END", "NameFinder", "Token", "fold", "tokenize"]


Hit = tuple[int, int, str]


@dataclass
class _KnownName:
    kind: str  # PATIENT_NAME | NAME | PROVIDER
    common: bool


_LOWER_ORG = re.compile(
    r"\b((?:[a-z][\w'.-]*[ \t]+){1,3})(?:daycare|day[ \t]+care|preschool|academy|montessori|elementary|elem|"
    r"(?:middle|high)[ \t]+school|inc|llc|corp)\b"
)
_ORG_LEAD = frozenset(
    {"the", "a", "an", "my", "his", "her", "our", "their", "your", "at", "to", "from", "new", "old"}
)
# a message's opening: an optional greeting line, then the self-introduction ("hi its kayla", "yo this is")
_INTRO = re.compile(
    r"\A\s*(?:(?:hi|hello|hey|yo|hiya|good\s+(?:morning|afternoon|evening))\b[ \t,!.]*(?:\n\s*)?)?"
    r"(?:it'?s|it\s+is|this\s+is|i'?m|im|i\s+am|my\s+name\s+is)[ \t,:]*\Z",
    re.IGNORECASE,
)
_SUBJECT_VERB = re.compile(
    r"(?:^|(?<=[\s(]))([^\W\d_][\w'’-]*)\s+(?:says|said|asked|told|texted|thinks|has\s+been|has\s+had|is\s+having|"
    r"was\s+born|woke\s+up|keeps)\b",
    re.IGNORECASE,
)
_DETERMINER_BEFORE = re.compile(
    r"\b(?:the|a|an|my|your|his|her|our|their|this|that|its|every|each|no|any)\s+$", re.IGNORECASE
)
# four or more single letters in a row, space-separated: a spelled name or address
_SPELLED = re.compile(r"(?<![\w.'’-])(?:[A-Za-z] ){3,}[A-Za-z](?![\w.@'’-])")
_NEW_TOPIC = re.compile(
    r"[ \t,]+(?:also|ps|p\.s\.|btw|oh\s+and|and\s+also|one\s+more\s+thing)\b", re.IGNORECASE
)
_TITLE_END = re.compile(r"\b(?:dr|doctor|doc|nurse|np|pa)\.?\s*$", re.IGNORECASE)
_VERB_SUFFIXES = (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""))
# what follows a person's name: a verb, "and", "who", a possessive or the end of the clause
_PERSON_NEXT = re.compile(
    r"(?:'s\b|’s\b|\s*(?:[,.!?;:)]|$)|\s+(?:is|was|has|had|and|who|will|needs?|wants?|says|said|got|gets|can|"
    r"could|would|should|did|does|just|also|keeps|kept|started|tested|turned|went|came|called|took|takes|"
    r"thinks|told|asked|saw|seems|fell|broke|hurt|woke|drove|drives|brought|brings|picked|picks|gave|gives|"
    r"stayed|lives|works|goes|loves|likes|felt|feels|noticed|found|helped|tried|tries|might|must|"
    r"can'?t|won'?t|doesn'?t|didn'?t|isn'?t|wasn'?t|threw|ate|ran|slept|spoke|wrote|began|bit|hit|cut|"
    r"[a-z]{3,}ed|is\s+\d+|had\s+a|has\s+a|\(\d)\b)",
    re.IGNORECASE,
)
_SELF_INTRO = re.compile(r"this\s+is|it'?s|it\s+is|i\s+am|i'?m|im|my\s+name\s+is", re.IGNORECASE)
_SHOP_ON_LOWER = re.compile(
    r"\b(?:cvs|walgreens|walmart|target|kroger|costco|pharmacy|clinic|store|location|branch|office)[ \t]+"
    r"(?:on|off)[ \t]+([a-z][a-z'-]{2,})(?:[ \t]+([a-z][a-z'-]+))?"
)
_SHOP_ON_LOWER_HINT = re.compile(r"\b(?:on|off)[ \t]+[a-z]")
_IS_WAS_END = re.compile(r"\b(?:is|was)\s*$", re.IGNORECASE)
_NAME_IS = re.compile(r"(?:my\s+)?name'?s?\s+is\b|name'?s\b|call\s+me\b", re.IGNORECASE)
_ABBREV_DOT = frozenset({"jr", "sr", "st", "ste", "mr", "mrs", "ms", "dr", "mt", "ft", "rev", "sgt", "capt"})
_QUOTED_NICK = re.compile(r"[ \t]+[\"“'‘][A-Za-z](?:\.?[A-Za-z]){0,3}\.?[\"”'’][ \t]+")
_DAY_AFTER = re.compile(r"\s*,?\s*\d{1,2}(?:st|nd|rd|th)?\b(?![/.-]?\d{3})")


def _camel(word: str) -> bool:
    """LibreView, CoverMyMeds, WhatsApp: brands, not people (McDonald, DeShawn, LaToya excepted)."""
    return (
        re.search(r"[a-z][A-Z]", word) is not None
        and re.match(r"(?:Mc|Mac|De|La|Le|Di|Da|Du|Van|O')[A-Z]", word) is None
    )


class NameFinder:
    """Finds person names (and chart-known identifiers) in one message."""

    def __init__(self, gaz: Gazetteers, drug_names: object) -> None:
        self.gaz = gaz
        self.drugs = drug_names  # supports ``in`` (replydraft._drugs.DrugLexicon)
        # first names that the drug lexicon also lists (Amber, Rosemary, Sage): people far more often
        self._drug_cache: dict[str, bool] = {}
        self._place_firsts = frozenset(p.split()[0] for p in gaz.places if p)
        self._world_firsts = frozenset(p.split()[0] for p in gaz.world if p)
        self.name_not_drug = frozenset(w for w in gaz.first if w in drug_names) - _REAL_DRUG_NAMES  # type: ignore[operator]

    # ------------------------------------------------------------------ helpers

    def _word(self, low: str) -> bool:
        """An English dictionary word, inflections included ("texted", "records", "swallowed")."""
        d = self.gaz.dictionary
        if low in d:
            return True
        for suf, rep in (
            ("ies", "y"),
            ("ied", "y"),
            ("es", ""),
            ("s", ""),
            ("ed", ""),
            ("ed", "e"),
            ("ing", ""),
            ("ing", "e"),
            ("er", ""),
            ("ers", ""),
            ("ly", ""),
            ("'s", ""),
        ):
            if low.endswith(suf) and len(low) - len(suf) >= 3 and low[: -len(suf)] + rep in d:
                return True
        return False

    def _verb_form(self, low: str) -> bool:
        """A dictionary word or its -s/-ed/-ing form ("shows", "texted"); unlike ``_word``, "-er" is not
        stripped, which would make surnames such as "Sener" words."""
        d = self.gaz.dictionary
        if low in d:
            return True
        for suf, rep in _VERB_SUFFIXES:
            if low.endswith(suf) and len(low) - len(suf) >= 3 and low[: -len(suf)] + rep in d:
                return True
        return False

    def _is_drug(self, low: str) -> bool:
        # memoised: the lexicon's own lookup normalises its argument each time, and the same words recur
        hit = self._drug_cache.get(low)
        if hit is None:
            hit = low in self.gaz.allow or (low in self.drugs and low not in self.name_not_drug)  # type: ignore[operator]
            if len(self._drug_cache) > 100_000:
                self._drug_cache.clear()
            self._drug_cache[low] = hit
        return hit

    def _never_name(self, tok: Token) -> bool:
        return tok.digit or tok.low in _STOP or len(tok.low) < 2 or self._is_drug(tok.low)

    def _nameish(self, tok: Token, mode: str, *, level: str) -> bool:
        """Could this token be (part of) a name in a slot the layout says holds a name?

        ``level`` is how strongly the layout says so: ``strong`` after "my son" or a title, ``normal`` after
        a greeting or sign-off, ``weak`` after "this is" / "for" (which precede ordinary words as often).
        """
        if self._never_name(tok):
            return False
        if (
            level == "strong"
            and tok.low in _SLOT_STOP
            and not (mode == "normal" and tok.cap and not tok.initial)
        ):
            # "my son will be seen" vs "my son Will has a rash": only the capital tells them apart
            return False
        low = tok.low
        g = self.gaz
        if mode == "normal":
            if tok.cap or tok.upper:
                # capitalised words in a name slot: names unless they are common words (then they must be
                # in a name list too: "Thanks, Will" is a name, "Thanks, Much" is not)
                if low in g.common or self._word(low):
                    return low in g.first if level == "weak" else (low in g.first or low in g.last)
                return True
            if level == "weak":
                return False
            # people capitalise names in ordinary text: a lower-case word here is a name only when a name
            # list says so and it is no word ("my dad sees", "my toddler swallowed")
            return level != "weak" and low in g.first and low not in g.common and not self._word(low)
        # lower / caps: no case signal
        if low in _SLOT_STOP:
            return False
        if low in g.common:
            # "my baby girl is doing great": an everyday -ing/-ed word is no surname here
            return level == "strong" and (
                low in g.first or (low in g.last and not low.endswith(("ing", "ed")))
            )
        if low in g.first or low in g.last:
            return True
        return level != "weak" and not self._word(low) and len(low) >= 3

    def _extend(
        self, toks: list[Token], i: int, text: str, mode: str, max_words: int = 3, strong: bool = False
    ) -> int:
        """Index one past the last token of a name starting at token i (initials, particles, surnames)."""
        j = i + 1
        n_words = 1  # initials and particles do not count: "EARL T. PICKERING" is a two-word name
        while j < len(toks) and n_words < max_words:
            prev, tok = toks[j - 1], toks[j]
            gap = text[prev.end : tok.start]
            qm = _QUOTED_NICK.match(text, prev.end)
            if qm is not None:
                # 'Terrence "T.J." Baptiste': skip a quoted nickname of initials to the surname
                nxt_j = next((x for x in range(j, min(j + 6, len(toks))) if toks[x].start == qm.end()), None)
                if nxt_j is not None and (toks[nxt_j].cap or toks[nxt_j].upper or mode != "normal"):
                    j = nxt_j
                    prev, tok = toks[j - 1], toks[j]
                    gap = " "
            if prev.end != toks[j - 1].start + len(toks[j - 1].text):
                break
            # allow a middle initial "Maria T. Lopez" and a nickname in parens
            if (
                not re.fullmatch(r"\s|\s?[A-Z]\.\s|\.?\s|\s\(|\)\s|\s+|\s[\"“]|[\"”]\s", gap) or "\n" in gap
            ) and not re.fullmatch(r"\s+[A-Z]\.\s+", gap):
                break
            if text[prev.start : prev.start + len(prev.text) + 2].endswith(("'s", "’s")):
                break
            if gap.startswith(".") and len(prev.text) > 2 and prev.low not in _ABBREV_DOT:
                break  # "my uncle Ray. Ray has COPD": a full stop after a word ends the sentence
            if (
                (tok.low in _PARTICLES or (len(tok.text) == 1 and tok.text.isalpha()))
                and j + 1 < len(toks)
                and ("\n" not in text[tok.end : toks[j + 1].start])
            ):
                j += 1  # "van", "de", a middle initial "T" / "F."
                continue
            n_words += 1
            g = self.gaz
            if self._never_name(tok):
                # "my sister Sarah Kaiser": a brand on the allow-list (not a drug) that is also a surname,
                # capitalised right after a first name in a name slot, is the surname
                if not (
                    strong
                    and mode == "normal"
                    and tok.cap
                    and tok.low in g.allow
                    and tok.low in g.last
                    and prev.low in g.first
                    and not tok.digit
                ):
                    break
                j += 1
                continue
            if mode == "normal":
                if not (tok.cap or (tok.upper and len(tok.low) > 1)):
                    break
                if tok.low in g.common and tok.low not in g.last:
                    break
            else:
                if tok.low in _SLOT_STOP:
                    break
                # "for randy cherry": right after a first name that is no everyday word, a surname that is
                # also a word still belongs to the name
                after_first = j == i + 1 and prev.low in g.first and prev.low not in g.common
                # ("a guy named rocky helped": an inflected word, "helped", is no surname either)
                if (
                    tok.low in g.common
                    or ((tok.low in g.dictionary or self._verb_form(tok.low)) and tok.low not in g.last)
                ) and not ((strong or after_first) and tok.low in g.last):
                    break
            j += 1
        return j

    # ------------------------------------------------------------------ main

    def find(self, text: str, toks: list[Token], mode: str, known: KnownIdentifiers | None) -> Iterator[Hit]:
        """Yield name hits (entity types PATIENT_NAME, NAME, PROVIDER) and chart-known identifier hits."""
        by_start = {t.start: k for k, t in enumerate(toks)}
        known_names = self._known_names(known)

        def tok_at(pos: int) -> int | None:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            k = by_start.get(pos)
            if k is None and pos < len(text) and text[pos] in "\"'(":
                k = by_start.get(pos + 1)
            return k

        def slot(pos: int, kind: str, level: str, max_words: int = 3, kin: bool = False) -> Iterator[Hit]:
            k = tok_at(pos)
            if k is None:
                return
            tok = toks[k]
            if (
                len(tok.text) == 1
                and tok.text.isalpha()
                and k + 1 < len(toks)
                and text[tok.end : tok.end + 2] == ". "
            ):
                # "— S. Ostrowski", "— m. sato": an initial, then the surname
                after = toks[k + 1]
                if self._nameish(after, mode, level="normal") or not self._word(after.low):
                    j = self._extend(toks, k + 1, text, mode, max_words, strong=level == "strong")
                    yield (tok.start, toks[j - 1].end, kind)
                return
            # "my coworker Ty", "my daughter May has": a stop word that is a given name, capitalised
            # mid-sentence right after a role word
            stop_name = kin and mode == "normal" and tok.cap and not tok.initial and tok.low in _STOP_NAMES
            if tok.low in _STOP and tok.low not in ("mary",) and not stop_name:
                return
            if kin and mode != "normal" and tok.low in self.gaz.common and tok.low not in self.gaz.first:
                # after "my son" comes a first name: an everyday word that is only a surname ("my sons lead
                # level") is the word
                return
            if (
                not stop_name
                and not self._nameish(tok, mode, level=level)
                and tok.low not in known_names
                and not (kin and self._lower_kin_name(text, toks, k, mode))
            ):
                # "this is anjali sharma": an unknown word followed by a surname is a name too
                nxt = toks[k + 1] if k + 1 < len(toks) else None
                # "this is major arroyo": a first name that is also a word, followed by a surname that is
                # no word, is a name too
                if not (
                    nxt is not None
                    and text[tok.end : nxt.start] == " "
                    and (
                        not self._word(tok.low)
                        or (tok.low in self.gaz.first and nxt.low not in self.gaz.dictionary)
                    )
                    and not self._never_name(tok)
                    and tok.low not in _SLOT_STOP
                    and nxt.low in self.gaz.last
                    and nxt.low not in self.gaz.common
                ):
                    return
            j = self._extend(toks, k, text, mode, max_words, strong=level == "strong")
            yield (tok.start, toks[j - 1].end, kind)

        # 1. chart-known names (exact and fuzzy)
        if known_names:
            yield from self._match_known(toks, mode, known_names)
        # 2. layout
        for m in _PROVIDER_CTX.finditer(text):
            # a title in lower-case text ("dr chen-whitaker"): the next word is a name unless common
            yield from slot(m.end(), "PROVIDER", "strong")
        for m in _PERSON_TITLE_CTX.finditer(text):
            yield from slot(m.end(), "NAME", "strong")
        for m in _KIN_CTX.finditer(text):
            if _IS_WAS_END.search(m.group(0)):
                # "the guy is young", "my friend was able to": an everyday word after "is"/"was" in lower
                # case describes the person
                k = tok_at(m.end())
                if k is not None and toks[k].low in self.gaz.common and (mode != "normal" or not toks[k].cap):
                    continue
            yield from slot(m.end(), "NAME", "strong", kin=True)
        for m in _KIN_BARE.finditer(text):
            # only opening a sentence or line ("Baby grace is ...", "> Resident Terrence ...")
            before = text[max(0, m.start() - 8) : m.start()].rstrip(" \t>*-")
            if (
                m.start() == 0
                or not before
                or before[-1] in ".!?\n"
                or (m.start() <= 8 and not before.strip(" \t>*-"))
            ):
                # without a determiner the role word may be a plain subject ("dad fell off a ladder"): the
                # slot is strong only for a first name that a person's verb follows ("baby grace is ...")
                k = tok_at(m.end())
                strong = (
                    k is not None
                    and toks[k].low in self.gaz.first
                    and _PERSON_NEXT.match(text, toks[k].end) is not None
                )
                yield from slot(m.end(), "NAME", "strong" if strong else "normal", kin=True)
        for m in _SELF_CTX.finditer(text):
            k = tok_at(m.end())
            if (
                k is not None
                and _NAME_IS.match(m.group(0)) is not None
                and toks[k].low in self.gaz.first
                and not self._is_drug(toks[k].low)
                and (mode != "normal" or toks[k].cap or toks[k].upper)
            ):
                # "MY NAME IS WILL", "call me Hope": whatever first name follows is the writer's
                j = self._extend(toks, k, text, mode, 3, strong=True)
                yield (toks[k].start, toks[j - 1].end, "NAME")
                continue
            if (
                k is not None
                and _INTRO.search(text, 0, m.end()) is not None
                and self._first_name_word(toks[k])
                and (mode != "normal" or toks[k].cap or toks[k].upper)
            ):
                # "hi its chase, ...", "yo this is hope": introducing oneself at the top of a message, a
                # first name is the writer's even when it is also a word
                yield from slot(m.end(), "NAME", "strong", max_words=2)
                continue
            pair_end = (
                self._name_pair(text, toks, k, mode) if k is not None and _SELF_INTRO.match(m.group(0)) else 0
            )
            if k is not None and pair_end:
                # "... THIS IS EARL T. PICKERING.": introducing oneself anywhere with a first name and a
                # surname from the name lists
                yield (toks[k].start, toks[pair_end - 1].end, "NAME")
                continue
            yield from slot(m.end(), "NAME", "weak")
        for m in _SUBJECT_VERB.finditer(text):
            # "autumn says i snore", "CRYSTAL HAS BEEN WHEEZING": a first name as the subject of a verb
            # that needs a person; "the bill says" / "my rose has" are things (a determiner before them)
            k = tok_at(m.start(1))
            if (
                k is not None
                and self._first_name_word(toks[k])
                and (mode != "normal" or toks[k].cap or toks[k].upper)
                # a capital at a sentence start says nothing: "Kit says collect by 3/9"
                and not (mode == "normal" and toks[k].initial and toks[k].low in self.gaz.common)
                and not _DETERMINER_BEFORE.search(text, max(0, m.start(1) - 12), m.start(1))
            ):
                yield (toks[k].start, toks[k].end, "NAME")
        for m in _ID_FOLLOWS.finditer(text):
            # "Jade Clark DOB 9-28-2008", "HOLLY SWEET 320-448-2073": the words right before an identifier
            yield from self._name_before(text, toks, mode, m.start(), by_start)
        for m in _LABEL_CTX.finditer(text):
            if mode != "normal" and _IS_WAS_END.search(m.group(0)):
                # "the person was able to help", "the guy is young": without capitals an everyday word after
                # "is"/"was" is what the person is like, not a name
                k = tok_at(m.end())
                if k is not None and toks[k].low in self.gaz.common:
                    continue
            yield from slot(m.end(), "NAME", "strong")
        for m in _NAME_LABEL.finditer(text):
            yield from slot(m.end(), "NAME", "strong")
        for m in _VOCATIVE.finditer(text):
            # "Ray, please ask ..." / "> Bill, thanks": a first name opening a line, then a comma
            k = tok_at(m.start(1))
            if k is not None and toks[k].low in self.gaz.first and not self._never_name(toks[k]):
                yield (toks[k].start, toks[k].end, "NAME")
        for m in _POSSESSIVE.finditer(text):
            # "Sterling's birthday": a capitalised first name with a possessive is a person
            k = tok_at(m.start(1))
            if (
                k is not None
                and mode == "normal"
                and toks[k].cap
                and toks[k].low in self.gaz.first
                and not self._never_name(toks[k])
            ):
                yield (toks[k].start, toks[k].end, "NAME")
        other = [t for t in toks if _OTHER_SCRIPT.search(t.text)]
        if other and len(other) * 4 < len(toks):
            # a name written in another script inside Latin text ("Wang Xiuying (王秀英)")
            for t in other:
                yield (t.start, t.end, "NAME")
        for m in _AND_ME.finditer(text):
            # "Somchai and I", "me and paolo": a person by construction
            yield from slot(m.start(1), "NAME", "strong", max_words=1)
        for m in _ME_AND.finditer(text):
            yield from slot(m.end(), "NAME", "normal")
        for m in _PAREN_KIN.finditer(text):
            # "Destiny (my wife) has ...": walk back over the name
            k = tok_at(m.start(1))
            if k is not None and self._nameish(toks[k], mode, level="strong"):
                first = k
                if (
                    k > 0
                    and text[toks[k - 1].end : toks[k].start] == " "
                    and self._nameish(toks[k - 1], mode, level="normal")
                ):
                    first = k - 1
                yield (toks[first].start, toks[k].end, "NAME")
        for m in _GREETING.finditer(text):
            # the addressee of a portal message is the care team
            if m.start() > 0 and text[m.start()] != "\n":
                continue
            k = tok_at(m.end())
            if (
                k is not None
                and not _TITLE_END.search(m.group(0))
                and toks[k].low in self.gaz.common
                and toks[k].low not in self.gaz.first
            ):
                # "Hey Need a telehealth visit", "Hi, Mail order keeps...": an everyday word after a bare
                # greeting starts the sentence; only a first name ("Hi Grace") is the addressee
                continue
            # a greeting in a quoted reply ("> Hi Faith, your results ...") is the clinic writing to the
            # patient
            quoted = m.group(0).lstrip().startswith(">")
            yield from slot(m.end(), "NAME" if quoted else "PROVIDER", "normal")
        for m in _SIGNOFF.finditer(text):
            # a sign-off followed by at most three words before the line ends: those words are a name
            nl = text.find("\n", m.end())
            rest = text[m.end() : nl if nl >= 0 else len(text)]
            closing = len(rest.split()) <= 3 and not re.search(r"[.!?]\s*\S", rest)
            yield from slot(m.end(), "NAME", "strong" if closing else "normal")
            k = tok_at(m.end())
            if (
                closing
                and k is not None
                and toks[k].low in _CALENDAR_NAMES
                and (toks[k].cap or toks[k].upper)
                and not re.search(r"\d", rest)
            ):
                # "Thanks, May": a month closing a message with no day after it is the writer's name
                yield (toks[k].start, toks[k].end, "NAME")
            if not closing and k is not None and self._first_name_word(toks[k]):
                # run-on messages: "thanks major also why was i charged", "thank you - hunter case also is
                # dr rivers ...": a first name (and a surname) right before a new topic is the writer's
                j = k + 1
                if j < len(toks) and toks[j].low in self.gaz.last and _NEW_TOPIC.match(text, toks[j].end):
                    j += 1
                if _NEW_TOPIC.match(text, toks[j - 1].end):
                    yield (toks[k].start, toks[j - 1].end, "NAME")
        for m in _TAIL.finditer(text):
            # "... please update it. yui tanaka": a short run of words closing a line after a full stop
            words = [t for t in toks if m.start(1) <= t.start < m.end(1)]
            if words and all(
                self._nameish(t, mode, level="normal") or (i > 0 and t.low in self.gaz.last)
                for i, t in enumerate(words)
            ):
                yield (words[0].start, words[-1].end, "NAME")
        for m in _HERE.finditer(text):
            # "major here." opening a line: the writer introducing themselves (a word-name is still a name)
            k = by_start.get(m.start(1))
            if k is not None and self._nameish(toks[k], mode, level="strong"):
                yield (toks[k].start, toks[k].end, "NAME")
        for m in _ME_COMMA.finditer(text):
            # "that's me, Rich." / "it's me, lily"
            yield from slot(m.end(), "NAME", "strong", max_words=2)
        for m in _CREDENTIAL.finditer(text):
            # "Jane Roe, NP": walk back over the name
            k = None
            for idx in range(len(toks) - 1, -1, -1):
                if toks[idx].end <= m.start():
                    k = idx
                    break
            if k is not None and (toks[k].cap or toks[k].upper) and not self._never_name(toks[k]):
                s = k
                while (
                    s > 0
                    and k - s < 2
                    and (toks[s - 1].cap or toks[s - 1].upper)
                    and not self._never_name(toks[s - 1])
                    and "\n" not in text[toks[s - 1].end : toks[s].start]
                ):
                    s -= 1
                yield (toks[s].start, toks[k].end, "PROVIDER")
        yield from self._calendar_names(text, toks, mode)
        yield from self._lower_orgs(text)
        yield from self._shop_on_lower(text, mode)
        yield from self._spelled(text)
        yield from self._signature_lines(text, toks, mode)
        yield from self._places(text, toks, mode)
        # 3. gazetteers and unknown capitalised words
        yield from self._gazetteer(text, toks, mode)

    def _name_before(
        self, text: str, toks: list[Token], mode: str, pos: int, by_start: dict[int, int]
    ) -> Iterator[Hit]:
        end_k = None
        for idx in range(len(toks) - 1, -1, -1):
            if toks[idx].end <= pos:
                end_k = idx
                break
        if end_k is None or not re.fullmatch(r"[ \t,:(\-–—]*\n?[ \t]*", text[toks[end_k].end : pos]):
            return
        g = self.gaz

        def ok(tok: Token) -> bool:
            if not self._nameish(tok, mode, level="strong") or (
                mode == "normal" and not (tok.cap or tok.upper)
            ):
                return False
            # an everyday word is a name here only as a first name ("call 608-..." is a verb; "caller id
            # shows 770-..." in lower-case text)
            if mode != "normal" and tok.low not in g.first and self._verb_form(tok.low):
                return False
            return tok.low not in g.common or tok.low in g.first

        first = None
        k = end_k
        while k >= 0 and end_k - k < 3:
            tok = toks[k]
            # "HOLLY SWEET 320-...", "Destiny Love dob": a word-surname (even a sign-off word) right after a
            # first name is accepted too
            if not ok(tok) and not (
                k == end_k
                and k > 0
                and tok.low in g.last
                and (
                    self._nameish(tok, mode, level="strong")
                    or (
                        tok.low in _STOP
                        and len(tok.low) >= 3
                        and tok.low not in _SLOT_STOP
                        and not self._is_drug(tok.low)
                        and (mode != "normal" or tok.cap or tok.upper)
                    )
                )
                and toks[k - 1].low in g.first
                and ok(toks[k - 1])
                and text[toks[k - 1].end : tok.start] == " "
            ):
                break
            first = k
            if k == 0 or not re.fullmatch(r"[ \t]+|,[ \t]*", text[toks[k - 1].end : tok.start]):
                break
            if tok.initial:
                break
            k -= 1
        if first is not None:
            yield (toks[first].start, toks[end_k].end, "NAME")

    def _signature_lines(self, text: str, toks: list[Token], mode: str) -> Iterator[Hit]:
        """Short lines made only of name-like words: signature blocks, "Gloria Petrakis" on its own line."""
        pos = 0
        lines = text.split("\n")
        for li, line in enumerate(lines):
            start = pos
            pos += len(line) + 1
            body = line.strip().strip("-–—~*>").strip()
            # a signature is never the first line (a chart fact line such as "Prediabetes" is one line), and
            # a line with digits is an instruction or a contact line ("Call 608-555-0118 - Maria"), whose
            # name the sign-off and identifier rules find
            if li == 0 or not body or len(body) > 60 or any(c.isdigit() for c in body):
                continue
            words = [t for t in toks if start <= t.start < start + len(line)]
            if not 1 <= len(words) <= 4:
                continue
            rest = re.sub(r"[\w'’.-]+", "", body)
            if rest.strip(' ,()"“”') != "":  # 'GERALD "GERRY" MCALLISTER': a nickname in quotes
                continue
            if any(self._never_name(t) for t in words):
                continue
            g = self.gaz
            ok = True
            for t in words:
                if mode == "normal" and not (t.cap or t.upper):
                    ok = False
                    break
                if t.low in g.common and t.low not in g.first and t.low not in g.last:
                    ok = False
                    break
                if (
                    mode != "normal"
                    and t.low in g.dictionary
                    and t.low not in g.first
                    and t.low not in g.last
                ):
                    ok = False
                    break
            if not ok:
                continue
            # a lone word line must look like a first name (not "Thanks" / "Tylenol")
            if len(words) == 1 and words[0].low not in g.first and words[0].low in g.dictionary:
                continue
            kind = "PROVIDER" if li == 0 and body.endswith(",") else "NAME"
            yield (words[0].start, words[-1].end, kind)

    def _places(self, text: str, toks: list[Token], mode: str) -> Iterator[Hit]:
        """Cities and counties from the place gazetteer: capitalised, or after "in/to/from" in any case."""
        g = self.gaz
        n = len(toks)
        k = 0
        firsts = self._place_firsts
        world_firsts = self._world_firsts
        while k < n:
            hit = 0
            # in ordinary text a city abroad is written with a capital: lower-case words skip those lookups
            if toks[k].low not in firsts and not (toks[k].cap and toks[k].low in world_firsts):
                k += 1
                continue
            for size in (3, 2, 1):
                if k + size > n:
                    continue
                span = toks[k : k + size]
                if any(text[a.end : b.start] not in (" ", "-") for a, b in pairwise(span)):
                    continue
                phrase = " ".join(t.low for t in span)
                world = phrase not in g.places
                if world and phrase not in g.world:
                    continue
                before = max(0, span[0].start - 30)
                cue = _PLACE_CUE.search(text, before, span[0].start) is not None
                strong_cue = _PLACE_CUE_STRONG.search(text, before, span[0].start) is not None
                capital = all(t.cap or t.upper for t in span) and mode == "normal"
                common = size == 1 and (span[0].low in g.common or span[0].low in _STOP)
                if self._is_drug(phrase) or span[0].low in _STOP:
                    continue
                if world:
                    # "visiting family in Thunder Bay", "moved to Kelowna": a city abroad only after a place
                    # cue, written with capitals, and never a single everyday word ("in Bath", "to Nice")
                    # (ALL-CAPS and lower-case text carry no capital: there a cue and a city of two or
                    # more words, or one that is no English word, will do: "VISITING OUR SON IN THUNDER BAY")
                    if (
                        (cue or strong_cue)
                        and (capital or mode != "normal")
                        and not common
                        and (size > 1 or not self._word(span[0].low))
                    ):
                        hit = size
                        break
                    continue
                if strong_cue and span[0].low not in _SLOT_STOP:
                    # "lives alone in lafayette", "moved to mesa": a place even when it is also a word
                    hit = size
                    break
                if (capital and (size > 1 or cue or not common) and not (span[0].initial and common)) or (
                    cue and (size > 1 or not common)
                ):
                    hit = size
                    break
            if hit:
                end = toks[k + hit - 1].end
                yield (toks[k].start, end, "LOCATION")
                sm = _TRAILING_STATE.match(text, end)
                if sm is not None:
                    g_ = 1 if sm.group(1) else 2
                    yield (sm.start(g_), sm.end(g_), "LOCATION")
                    end = sm.end()
                zm = _TRAILING_ZIP.match(text, end)
                if zm is not None:
                    yield (zm.start(1), zm.end(1), "ZIP")
                k += hit
            else:
                k += 1

    def _gazetteer(self, text: str, toks: list[Token], mode: str) -> Iterator[Hit]:
        g = self.gaz
        n = len(toks)
        for k, tok in enumerate(toks):
            low = tok.low
            if self._never_name(tok) or (
                _MEDICAL_END.search(low) and low not in g.first and low not in g.last
            ):
                continue
            nxt0 = toks[k + 1] if k + 1 < n else None
            if nxt0 is not None and nxt0.low in _ORG_TAIL and text[tok.end : nxt0.start] == " ":
                continue  # "Molina Healthcare", "Bellweather Apothecary": organisations, not people
            if _SAINT.search(text, max(0, tok.start - 7), tok.start):
                continue  # "St. Mary's": a hospital or church
            if low in g.states and low not in g.first:
                continue  # "(Wisconsin)": a state alone identifies no one (Georgia may be a name)
            if mode == "normal":
                if not tok.cap or _camel(tok.text):
                    continue
                in_first, in_last = low in g.first, low in g.last
                common = low in g.common
                nxt = toks[k + 1] if k + 1 < n else None
                pair = (
                    nxt is not None
                    and nxt.cap
                    and not self._never_name(nxt)
                    and text[tok.end : nxt.start] == " "
                    and (nxt.low in g.last or nxt.low not in g.dictionary)
                    and nxt.low not in g.common
                )
                # "Will Harrington", "Grace Abernathy": a first name that is also a word, then a surname that
                # is no word, is one full name (whose first name then counts wherever it recurs)
                word_pair = (
                    in_first
                    and common
                    and pair
                    and nxt is not None
                    and nxt.low in g.last
                    and not self._word(nxt.low)
                    and not _MEDICAL_END.search(nxt.low)
                )
                if word_pair and nxt is not None:
                    yield (tok.start, nxt.end, "NAME")
                    continue
                if tok.initial:
                    # sentence-initial capitals say nothing: need a rare name or a first+last pair
                    if (
                        (in_first and not common and low not in g.dictionary)
                        or (in_first and pair and not common)
                        or (low not in g.dictionary and not in_first and not common and pair)
                    ):
                        yield (tok.start, tok.end, "NAME")
                    continue
                if common and not (in_first and pair):
                    continue
                if in_first or in_last or not self._word(low):
                    if low in g.places and not in_first:
                        yield (tok.start, tok.end, "LOCATION")
                    else:
                        end = tok.end
                        if in_first and not common and self._surname_next(text, toks, k):
                            # "Tony Sweet", "Vinny Bell": the capitalised surname is part of the name
                            # even when it is also an everyday word
                            end = toks[k + 1].end
                        yield (tok.start, end, "NAME")
            else:
                if low in g.common or len(low) < 3:
                    continue
                in_first = low in g.first
                nxt = toks[k + 1] if k + 1 < n else None
                if in_first and not self._word(low):
                    yield (tok.start, tok.end, "NAME")
                    if (
                        nxt is not None
                        and text[tok.end : nxt.start] == " "
                        and not self._never_name(nxt)
                        and nxt.low not in g.common
                        and nxt.low not in _SLOT_STOP
                        # "valentina says": an inflected word ("says", "texted") is no surname
                        and (nxt.low in g.last or not self._word(nxt.low))
                    ):
                        yield (nxt.start, nxt.end, "NAME")

    def _name_pair(self, text: str, toks: list[Token], k: int, mode: str) -> int:
        """Index one past a first name + surname from the lists at token k ("EARL T. PICKERING"), or 0.

        Both may also be words; then a middle initial between them must say it is a name ("this is grant
        money", "THIS IS MAJOR NEWS" are not).
        """
        a = toks[k]
        j = k + 1
        initial = False
        if (
            j + 1 < len(toks)
            and len(toks[j].text) == 1
            and toks[j].text.isalpha()
            and re.fullmatch(r" [A-Za-z]\.? ", text[a.end : toks[j + 1].start]) is not None
        ):
            j += 1
            initial = True
        if j >= len(toks) or (not initial and text[a.end : toks[j].start] != " "):
            return 0
        b = toks[j]
        if mode == "normal" and not ((a.cap or a.upper) and (b.cap or b.upper)):
            return 0
        g = self.gaz
        ok = (
            self._first_name_word(a)
            and b.low in g.last
            and len(b.low) >= 3
            and not self._never_name(b)
            and b.low not in _SLOT_STOP
            and not _MEDICAL_END.search(b.low)
            and (initial or a.low not in g.common or b.low not in g.common)
        )
        return j + 1 if ok else 0

    def _lower_kin_name(self, text: str, toks: list[Token], k: int, mode: str) -> bool:
        """A lower-case first name right after a role word in ordinary text ("my husband bill has ...").

        People often leave names in lower case even when the rest is capitalised. After a role word a
        first name that is also a word (bill, grace) is the person when what follows fits a person: a
        verb, "and", "who", a possessive or the end of the clause ("my son even has" is no name).
        """
        tok = toks[k]
        if mode != "normal" or tok.cap or tok.upper or len(tok.low) < 3:
            return False
        if tok.low not in self.gaz.first or tok.low in _SLOT_STOP or tok.low in _ADVERB_NAMES:
            return False
        if self._never_name(tok):
            return False
        return _PERSON_NEXT.match(text, tok.end) is not None

    def _first_name_word(self, tok: Token) -> bool:
        """A first name, even one that is also a word (Chase, Hope), but never a stop or slot word."""
        return (
            tok.low in self.gaz.first
            and not self._never_name(tok)
            and tok.low not in _SLOT_STOP
            and len(tok.low) >= 3
        )

    def _spelled(self, text: str) -> Iterator[Hit]:
        """A name or address spelled letter by letter: "it's K W E S I", "h p r i c e"."""
        for m in _SPELLED.finditer(text):
            yield (m.start(), m.end(), "NAME")

    def _shop_on_lower(self, text: str, mode: str) -> Iterator[Hit]:
        """A street named after a shop or site in lower-case text: "the cvs on gammon", "clinic off odana rd".

        (The capitalised form is a pattern in ``_patterns``.) The street's first word must be no everyday
        word, stop word or drug ("the pharmacy on monday", "the clinic on file", "the one on eliquis" stay).
        """
        if mode == "normal" and not _SHOP_ON_LOWER_HINT.search(text):
            return
        for m in _SHOP_ON_LOWER.finditer(text):
            first = fold(m.group(1))
            if first in _STOP or self._is_drug(first) or first in self.gaz.common:
                continue
            end = m.end(1)
            if m.group(2) and (fold(m.group(2)) in _STREET_WORDS or not self._word(fold(m.group(2)))):
                end = m.end(2)
            yield (m.start(1), end, "ADDRESS")

    def _lower_orgs(self, text: str) -> Iterator[Hit]:
        """Schools, daycares and firms in lower case: "the little oaks daycare", "st. ambrose academy".

        The capitalised forms are found by pattern (``_patterns``); in lower case a name is told from an
        ordinary phrase ("her new daycare", "my high school") by one word that is no everyday word.
        """
        g = self.gaz
        for m in _LOWER_ORG.finditer(text):
            words = m.group(1).split()
            while words and (fold(words[0]) in _ORG_LEAD or fold(words[0]) in _STOP):
                words = words[1:]
            if not words:
                continue
            lows = [fold(w).strip(".'").removesuffix("'s") for w in words]
            if any(w in _STOP or self._is_drug(w) for w in lows):
                continue
            # one word must be a name or no everyday word ("st. ambrose", "little oaks")
            if all((w in g.common or w in g.dictionary) and w not in g.first for w in lows):
                continue
            start = m.start(1) + m.group(1).index(words[0])
            yield (start, m.end(), "ORGANIZATION")

    def _surname_next(self, text: str, toks: list[Token], k: int) -> bool:
        """Is the token after ``k`` a capitalised surname (not an organisation's or street's first word)?"""
        if k + 1 >= len(toks):
            return False
        nxt = toks[k + 1]
        if not (nxt.cap or nxt.upper) or text[toks[k].end : nxt.start] != " " or nxt.low not in self.gaz.last:
            return False
        if self._never_name(nxt) or nxt.low in _SLOT_STOP or _MEDICAL_END.search(nxt.low):
            return False
        after = toks[k + 2] if k + 2 < len(toks) else None
        # "Jordan Valley Hospital", "Grant Park Ave": the pair names a place or an organisation
        return not (
            after is not None
            and text[nxt.end : after.start] == " "
            and (after.low in _ORG_TAIL or after.low in _STREET_WORDS)
        )

    def _calendar_names(self, text: str, toks: list[Token], mode: str) -> Iterator[Hit]:
        """Month and weekday words that are given names, before a surname: "June Sweet", "Thu Huynh"."""
        if mode == "lower":
            return
        g = self.gaz
        for k, tok in enumerate(toks[:-1]):
            if tok.low not in _CALENDAR_NAMES or not (tok.cap or tok.upper):
                continue
            nxt = toks[k + 1]
            if (
                text[tok.end : nxt.start] == " "
                and (nxt.cap or nxt.upper)
                and (nxt.low in g.last or not self._word(nxt.low))
                and not self._never_name(nxt)
                and nxt.low not in _CALENDAR_NAMES
                and nxt.low not in _SLOT_STOP
                # "June 5th" and "Sat 3/4" are dates: a digit right after the pair says so
                and not _DAY_AFTER.match(text, nxt.end)
            ):
                yield (tok.start, nxt.end, "NAME")

    # ------------------------------------------------------------------ the chart

    def _known_names(self, known: KnownIdentifiers | None) -> dict[str, _KnownName]:
        out: dict[str, _KnownName] = {}
        if known is None:
            return out
        common = self.gaz.common

        def add(name: str, kind: str) -> None:
            for part in re.split(r"[\s,()\"]+", name):
                p = fold(part.strip(".'’"))
                if len(p) < 2 or p in _PARTICLES or (p in _STOP and p not in _CALENDAR_NAMES):
                    continue
                if kind == "PATIENT_NAME" or p not in out:
                    out[p] = _KnownName(kind, p in common)
                # hyphenated surnames: each half is also the name ("Kimura-Fields" -> "Kimura")
                if "-" in p:
                    for half in p.split("-"):
                        if len(half) >= 3 and half not in out:
                            out[half] = _KnownName(kind, half in common)

        for n in known.providers:
            add(n, "PROVIDER")
        for n in known.contacts:
            add(n, "NAME")
        for n in known.patient_name_parts():
            add(n, "PATIENT_NAME")
        return out

    def _match_known(self, toks: list[Token], mode: str, known: dict[str, _KnownName]) -> Iterator[Hit]:
        choices = [k for k, v in known.items() if len(k) >= 4]
        hits: list[tuple[int, str, bool]] = []  # (token index, kind, ambiguous)
        for k, tok in enumerate(toks):
            low = tok.low
            kn = known.get(low)
            if (
                kn is None
                and len(low) >= 4
                and low not in self.gaz.common
                and not self._is_drug(low)
                and low not in _STOP
            ):
                # typos: one edit for short names, two for long ones; nicknames as prefixes ("Walt")
                best: str | None = None
                for c in choices:
                    limit = 1 if len(c) < 8 else 2
                    if (
                        abs(len(c) - len(low)) <= limit
                        and Levenshtein.distance(low, c, score_cutoff=limit) <= limit
                    ):
                        if mode != "normal" and low in self.gaz.dictionary:
                            continue
                        best = c
                        break
                    if (
                        (tok.cap or mode != "normal")
                        and len(low) >= 3
                        and c.startswith(low)
                        and len(c) - len(low) <= 3
                        and low in self.gaz.first
                    ):
                        best = c
                        break
                if best is not None:
                    kn = known[best]
            if kn is None:
                continue
            ambiguous = kn.common or low in self.gaz.common or low in _STOP
            hits.append((k, kn.kind, ambiguous))
        idx = {h[0] for h in hits}
        for k, kind, ambiguous in hits:
            tok = toks[k]
            if ambiguous:
                # a chart name that is also a word ("Hope", "Day"): needs a capital mid-sentence or a
                # neighbouring known name
                neighbour = (k - 1 in idx) or (k + 1 in idx)
                if not (neighbour or (mode == "normal" and tok.cap and not tok.initial)):
                    continue
            yield (tok.start, tok.end, kind)
