"""Person names: chart-aware fuzzy matching, message-layout rules and gazetteers with a common-word guard.

Why rules and word lists rather than a statistical model: no spaCy model may be downloaded here (nor,
often, in hospitals), and portal messages are short, informal and often lower-case or ALL CAPS, where
capitalisation-trained NER is weakest. Layout (greetings, sign-offs, "my son X", "Dr X") and the chart
carry most of the signal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from replydraft.deid._gazetteer import Gazetteers
from replydraft.deid._known import KnownIdentifiers, dob_forms

__all__ = ["EPONYM_RES", "MEDICAL_END", "NameFinder", "Token", "fold", "known_value_hits", "tokenize"]


def _words(text: str) -> frozenset[str]:
    """A word list written as text (reads better than a list literal)."""
    return frozenset(text.split())


Hit = tuple[int, int, str]

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
    for suf in ("'s", "’s", "'", "’"):
        if text.endswith(suf) and len(text) > len(suf) + 1:
            return text[: -len(suf)]
    return text


def tokenize(text: str) -> tuple[list[Token], str]:
    """Word tokens and the message's case mode: ``normal``, ``lower`` or ``caps``."""
    raw = list(_WORD.finditer(text))
    alpha = [m.group(0) for m in raw if len(m.group(0)) > 1]
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
        stripped = _strip_possessive(w) if w[-1] in "s'’" else w
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


# words that are never names on their own, whatever a gazetteer says
_STOP = _words(
    """
    i im i'm ive i've id i'd ill i'll me my mine we us our you your he him his she her they them their it
    its a an the and or but so if of in on at to for from by with about as into than then that this these
    those dr doctor doc nurse np pa rn md do mr mrs ms miss mx sir madam maam ma'am dear hi hello hey
    thanks thank thx ty regards sincerely best cheers love god bless team staff office clinic hospital
    pharmacy everyone all there mom mum dad mother father son daughter wife husband sister brother
    grandma grandpa aunt uncle baby kid kids boss monday tuesday wednesday thursday friday saturday
    sunday mon tue tues wed thu thur thurs fri sat sun today tomorrow yesterday tonight morning afternoon
    evening night week weekend month year january february march april may june july august september
    october november december jan feb mar apr jun jul aug sep sept oct nov dec christmas easter
    thanksgiving halloween yes no not ok okay please pls plz sorry just also still really very been being
    have has had was were is are am be would could should can cant can't dont don't didnt didn't doesnt
    isnt wasnt wont won't lol idk btw fyi asap appt meds rx er icu ob gyn obgyn pcp pt ot er urgent care
    mychart portal covid flu hmo ppo medicare medicaid english spanish american mexican chinese thai
    indian african asian latino hispanic jesus lord christ bible church amen insurance dept department
    mondays tuesdays wednesdays thursdays fridays saturdays sundays fax tel ph esq sr jr ii iii iv pharmd
    mrn hr grp pcn bin ncpdp dos ssn dob rx mbi npi dea billing scheduling records triage admin forwarded
    subject re fw fwd sent wrote cc bcc attn
    center centre medical health services unit floor room
    """
)
_TITLES_PROVIDER = (
    r"dr|doctor|doc|nurse|np|pa|pa-c|rn|lpn|cna|pharmacist|therapist|midwife|physio|dentist|surgeon|"
    r"counselor|counsellor|chaplain|dietitian|dietician|nurse practitioner|physician assistant|"
    r"provider|prof|professor|coordinator|scheduler|receptionist|tech|technician|aide|case manager|"
    r"social worker|sw|nurse navigator|navigator|cardiologist|oncologist|neurologist|dermatologist|"
    r"rheumatologist|endocrinologist|urologist|psychiatrist|psychologist|podiatrist|optometrist|"
    r"ophthalmologist|pediatrician|gastroenterologist|pulmonologist|nephrologist|surgeon|ob|obgyn|ob-gyn|"
    r"pcp|gp|hospitalist|anesthesiologist|radiologist|audiologist|chiropractor|physical therapist|pt|ot"
)
_TITLES_PERSON = (
    r"mr|mrs|ms|miss|mx|sgt|officer|coach|pastor|rev|reverend|father|fr|sister|brother|judge|attorney|lawyer|"
    r"teacher|principal|agent|adjuster|caseworker|rep"
)
_KIN = (
    r"son|daughter|wife|husband|partner|spouse|mom|mother|mum|dad|father|brother|sister|grandson|granddaughter|"
    r"grandma|grandmother|grandpa|grandfather|granny|nana|papa|aunt|auntie|uncle|niece|nephew|cousin|friend|"
    r"neighbor|neighbour|boyfriend|girlfriend|fiance|fiancee|fiancé|caregiver|carer|roommate|kid|child|baby|"
    r"boss|coworker|co-worker|stepson|stepdaughter|stepmom|stepdad|twin|sibling|granddad|in-law|"
    r"mother-in-law|father-in-law|sister-in-law|brother-in-law|son-in-law|daughter-in-law|ex|ex-wife|"
    r"ex-husband|toddler|infant|newborn|grandchild|grandkid|godson|goddaughter|guardian|sitter|babysitter|"
    r"nanny|aide|supervisor|manager|landlord|pastor|sponsor|buddy|bestie|colleague|classmate|teammate|"
    r"youngest|oldest|eldest|little one|other half|hubby|bf|gf|bff|wifey|sis|bro|mil|fil|ex|"
    r"foster (?:son|daughter|child)|"
    r"ward|client|resident|student|coach|trainer|tutor|housemate|flatmate|carpool|running buddy"
)
_PROVIDER_CTX = re.compile(
    rf"(?:^|(?<=[^\w]))(?:{_TITLES_PROVIDER})\.?\s+(?:(?:is|was)\s+)?(?=\S)", re.IGNORECASE
)
_PERSON_TITLE_CTX = re.compile(rf"\b(?:{_TITLES_PERSON})\.?\s+(?=\S)", re.IGNORECASE)
_KIN_CTX = re.compile(
    rf"\b(?:my|our|his|her|their|your|the|a)\s+(?:(?:little|older|younger|big|baby|adult|late|ex|step|"
    rf"twin|\d+[- ]?(?:yo|y/o|year[- ]old|month[- ]old))\s+)?(?:{_KIN})s?(?:'s)?\s*,?\s+"
    r"(?:(?:is|was|named|called)\s+)?(?=\S)",
    re.IGNORECASE,
)
# "Member: ANTOINE R DUBOIS", "Dad: Samir Haddad", "manager is Teresa Blackwood", "boss is Rich"
_LABEL_CTX = re.compile(
    rf"\b(?:member|patient|pt|name|subscriber|insured|policy\s*holder|parent|guardian|"
    rf"guarantor|responsible\s+party|account\s+holder|cardholder|beneficiary|dependent|"
    rf"child|student|employee|emergency\s+contact|contact|spouse|caregiver|proxy|{_KIN})\s*(?:name)?\s*:\s*(?=\S)"
    rf"|\b(?:{_KIN}|contact|manager|rep|representative|adjuster|caseworker|coordinator|supervisor|advocate|"
    rf"teacher|principal|landlord|sponsor|attorney|lawyer)\s+(?:is|was|named|called)\s+(?=\S)",
    re.IGNORECASE,
)
_SELF_CTX = re.compile(
    r"\b(?:this\s+is|it'?s|it\s+is|i\s+am|i'?m|im|my\s+name\s+is|name'?s|name\s+is|named|called|call\s+me|"
    r"signed|sign(?:ed)?\s+by|from|ask\s+for|speak\s+(?:to|with)|talk(?:ed)?\s+(?:to|with)|spoke\s+(?:to|with)|"
    r"per|cc|attn|attention|contact|reach|tell|told|asked|and\s+me|me\s+and|with|for|patient|pt|re)\b[,:]?\s+(?=\S)",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"(?:^|\n)\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening|day)|greetings|attn|to|yo|hiya|morning|"
    r"afternoon|evening|howdy)\b[ ,!]*(?:(?:dr|doctor|doc|nurse|np|pa)\.?\s+)?(?=\S)",
    re.IGNORECASE,
)
_SIGNOFF = re.compile(
    r"(?:^|[\n.!?]\s*|\s)(?:thanks(?:\s+(?:so\s+much|again|a\s+lot|in\s+advance))?|thank\s+you(?:\s+(?:so\s+much|again|"
    r"in\s+advance))?|thx|ty|best(?:\s+regards|\s+wishes)?|regards|kind\s+regards|warm\s+regards|sincerely|"
    r"cheers|love|blessings|god\s+bless|take\s+care|respectfully|warmly|gratefully|appreciate\s+it|"
    r"yours(?:\s+truly)?|v/r|xo|xoxo)\s*[,!.:]*\s+(?=\S)|(?:^|(?<=\s))(?:-+|–|—|~)\s*(?=[^\W\d_])",
    re.IGNORECASE,
)
# month/weekday words that are also given names (Thu, Jun, May, June, April): a chart name wins
_CALENDAR_NAMES = _words("thu jun may june april august jan sat sun mon tue wed fri dec")
_REAL_DRUG_NAMES = frozenset({"allegra", "tobi"})
# after "my son" / a title the next word is a name unless it is one of these
_SLOT_STOP = _words(
    """
    will may can might must shall should would could is was has had have does did do just also and who whos
    who's said says got gets needs wants started keeps the a an to in on at for with of from about as but or
    so that this been being went came seems seemed still really already again too here there now then has
    had having getting needs need needed wanted takes took take is's isn't wasn't doesn't didn't hasn't
    age aged turned turning who's
    """
)
_AND_ME = re.compile(r"(?:^|(?<=[\s,(]))([^\W\d_][\w'’-]*)\s+(?:and|&)\s+(?:i|me)\b(?!')", re.IGNORECASE)
_ME_AND = re.compile(r"\b(?:me|myself)\s+(?:and|&)\s+(?=\S)", re.IGNORECASE)
_PAREN_KIN = re.compile(rf"([^\W\d_][\w'’-]*)\s*\((?:my|our|his|her|the)\s+(?:{_KIN})\)", re.IGNORECASE)
_PLACE_CUE = re.compile(
    r"\b(?:in|to|from|near|visiting|outside|around|of|at|into|toward|towards|through|via)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_PLACE_CUE_STRONG = re.compile(
    r"\b(?:live|lives|living|lived|moved|moving|move|staying|stays|visiting|trip|travell?ing|drove|driving|flew|"
    r"flying|relocated|relocating|born|raised|grew\s+up)\s+(?:\w+\s+)?(?:in|to|at|from|near)\s+$",
    re.IGNORECASE,
)
_TRAILING_ZIP = re.compile(r",?[ \t]+(\d{5}(?:-\d{4})?)\b")
_ORG_TAIL = _words(
    """
    healthcare health insurance mutual apothecary pharmacy clinic hospital imaging medical labs lab scripts
    services financial bank group associates partners university college school church center centre
    inc llc corp company motors foundation institute network systems care
    """
)
_SAINT = re.compile(r"\b(?:st|saint|ste)\.?\s+$", re.IGNORECASE)
_ID_FOLLOWS = re.compile(
    r"(?<=[^\W\d_])[ \t,]*\n?[ \t]*(?:\(?\b(?:dob|d\.o\.b\.?|mrn#?|date\s+of\s+birth|born|birthdate)\b|"
    r"\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b|\(mrn)",
    re.IGNORECASE,
)
_TAIL = re.compile(r"(?<=[.!?;:)\n])[ \t]*((?:[^\W\d_][\w'’-]*[ \t]*){1,3})(?=\n|$)")
_VOCATIVE = re.compile(r"(?:^|\n)[ \t>]*([A-Z][a-z]+),[ \t]+[a-z]")
_POSSESSIVE = re.compile(r"\b([A-Z][a-z]+)(?:'s|’s)\b")
_OTHER_SCRIPT = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff\u0600-\u06ff\u0e00-\u0e7f]+"
)
_HERE = re.compile(
    r"(?:^|\n)\s*([^\W\d_][\w'’-]*)\s+here\b(?!\s+(?:is|are|was|and|in|at|to|for|with))", re.IGNORECASE
)
_ME_COMMA = re.compile(r"\b(?:that'?s|thats|it'?s|its|this\s+is)\s+me\s*[,:-]\s*(?=\S)", re.IGNORECASE)
_CREDENTIAL = re.compile(
    r",?\s+(?:MD|M\.D\.|DO|D\.O\.|RN|NP|FNP|FNP-C|APRN|PA|PA-C|LPN|CNM|DPM|PharmD|DDS|DMD|LCSW|PhD|CRNA|BSN|MSN)\b"
)
_PARTICLES = _words(
    """
    van von de del della di da la le bin ibn al el abu st mac mc dos das du ter ten
    """
)
_EPONYM = re.compile(
    r"\b(?:parkinson|crohn|alzheimer|hashimoto|graves|addison|cushing|raynaud|sjogren|sjögren|tourette|"
    r"huntington|lou\s+gehrig|gehrig|asperger|lyme|guillain|barré|hodgkin|non-hodgkin|meniere|ménière|"
    r"epstein|kawasaki|paget|osgood|schlatter|marfan|ehlers|danlos|barrett|dupuytren|heimlich|pap|apgar|"
    r"foley|holter|epley|valsalva|babinski|achilles|buerger|behcet|behçet|kaposi|legionnaire|munchausen|"
    r"peyronie|reye|klinefelter|wernicke|korsakoff|whipple|zollinger|kegel|heberden|bouchard|scheuermann|"
    r"perthes|quervain|hirschsprung|nissen|lasik|mohs|doppler|cesarean|caesarean|braxton|hicks|charcot|"
    r"tinel|phalen|covid|medicare|medicaid|epipen|dexcom|omnipod|fitbit|cpap|bipap|mychart|down\s+syndrome|"
    r"bell'?s\s+palsy|baker'?s\s+cyst|tay[- ]sachs|stevens[- ]johnson|guillain[- ]barr[eé])"
    r"(?:'s|’s|s'|s)?(?=\W|$)",
    re.IGNORECASE,
)
# any capitalised word followed by a disease word is an eponym ("Wilson's disease", "Still's disease")
_EPONYM_FOLLOW = re.compile(
    r"\b[A-Za-z][\w-]*(?:'s|’s|s'|s)?\s+(?:disease|syndrome|palsy|cyst|esophagus|contracture|phenomenon|"
    r"maneuver|manoeuvre|neuroma|ulcer|neuralgia|thyroiditis|lymphoma|sarcoma|ataxia|anomaly)\b",
    re.IGNORECASE,
)
EPONYM_RES = (_EPONYM, _EPONYM_FOLLOW)
# a capitalised word that ends like a medical term is not a surname
_MEDICAL_END = re.compile(
    r"(?:itis|osis|emia|aemia|ectomy|otomy|ostomy|ology|ologist|gram|graphy|scopy|pathy|plasty|algia|"
    r"oma|uria|penia|cytosis|trophy|plegia|sclerosis|azole|mab|nib|pril|sartan|olol|"
    r"statin|dipine|cillin|mycin|cycline|floxacin|vir|tide|gliptin|gliflozin|parin|xaban|zepam|zolam|"
    r"oxetine|triptan|profen|codone|morphone|"
    # word endings that are adjectives and nouns, not surnames ("Automated", "Glomerular", "Immunologic")
    r"ated|ized|ised|ic|ical|ular|ogic|ive|ory|tion|sion|ment|ness|ity|ism|ous|able|ible|ency|ance|ence)$",
    re.IGNORECASE,
)
MEDICAL_END = _MEDICAL_END


@dataclass
class _KnownName:
    kind: str  # PATIENT_NAME | NAME | PROVIDER
    common: bool


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
            return level == "strong" and (low in g.first or low in g.last)
        if low in g.first or low in g.last:
            return True
        return level != "weak" and not self._word(low) and len(low) >= 3

    def _extend(
        self, toks: list[Token], i: int, text: str, mode: str, max_words: int = 3, strong: bool = False
    ) -> int:
        """Index one past the last token of a name starting at token i (initials, particles, surnames)."""
        j = i + 1
        while j < len(toks) and j - i < max_words:
            prev, tok = toks[j - 1], toks[j]
            gap = text[prev.end : tok.start]
            if prev.end != toks[j - 1].start + len(toks[j - 1].text):
                break
            # allow a middle initial "Maria T. Lopez" and a nickname in parens
            if (
                not re.fullmatch(r"\s|\s?[A-Z]\.\s|\.?\s|\s\(|\)\s|\s+|\s[\"“]|[\"”]\s", gap) or "\n" in gap
            ) and not re.fullmatch(r"\s+[A-Z]\.\s+", gap):
                break
            if text[prev.start : prev.start + len(prev.text) + 2].endswith(("'s", "’s")):
                break
            if (
                (tok.low in _PARTICLES or (len(tok.text) == 1 and tok.text.isalpha()))
                and j + 1 < len(toks)
                and ("\n" not in text[tok.end : toks[j + 1].start])
            ):
                j += 1  # "van", "de", a middle initial "T" / "F."
                continue
            if self._never_name(tok):
                break
            g = self.gaz
            if mode == "normal":
                if not (tok.cap or (tok.upper and len(tok.low) > 1)):
                    break
                if tok.low in g.common and tok.low not in g.last:
                    break
            else:
                if tok.low in _SLOT_STOP:
                    break
                if (tok.low in g.common or (tok.low in g.dictionary and tok.low not in g.last)) and not (
                    strong and tok.low in g.last
                ):
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

        def slot(pos: int, kind: str, level: str, max_words: int = 3) -> Iterator[Hit]:
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
            if tok.low in _STOP and tok.low not in ("mary",):
                return
            if not self._nameish(tok, mode, level=level) and tok.low not in known_names:
                # "this is anjali sharma": an unknown word followed by a surname is a name too
                nxt = toks[k + 1] if k + 1 < len(toks) else None
                if not (
                    nxt is not None
                    and text[tok.end : nxt.start] == " "
                    and not self._word(tok.low)
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
            yield from slot(m.end(), "NAME", "strong")
        for m in _SELF_CTX.finditer(text):
            yield from slot(m.end(), "NAME", "weak")
        for m in _ID_FOLLOWS.finditer(text):
            # "Jade Clark DOB 9-28-2008", "HOLLY SWEET 320-448-2073": the words right before an identifier
            yield from self._name_before(text, toks, mode, m.start(), by_start)
        for m in _LABEL_CTX.finditer(text):
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
            yield from slot(m.end(), "PROVIDER", "normal")
        for m in _SIGNOFF.finditer(text):
            # a sign-off followed by at most three words before the line ends: those words are a name
            nl = text.find("\n", m.end())
            rest = text[m.end() : nl if nl >= 0 else len(text)]
            closing = len(rest.split()) <= 3 and not re.search(r"[.!?]\s*\S", rest)
            yield from slot(m.end(), "NAME", "strong" if closing else "normal")
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
            # an everyday word is a name here only as a first name ("call 608-..." is a verb)
            return tok.low not in g.common or tok.low in g.first

        first = None
        k = end_k
        while k >= 0 and end_k - k < 3:
            tok = toks[k]
            # "HOLLY SWEET 320-...": a word-surname right after a first name is accepted too
            if not ok(tok) and not (
                k == end_k
                and k > 0
                and tok.low in g.last
                and self._nameish(tok, mode, level="strong")
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
            # a signature is never the first line (a chart fact line such as "Prediabetes" is one line)
            if li == 0 or not body or len(body) > 60:
                continue
            words = [t for t in toks if start <= t.start < start + len(line)]
            if not 1 <= len(words) <= 4:
                continue
            rest = re.sub(r"[\w'’.-]+", "", body)
            if rest.strip(" ,()") != "":
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
        while k < n:
            hit = 0
            if toks[k].low not in firsts:
                k += 1
                continue
            for size in (3, 2, 1):
                if k + size > n:
                    continue
                span = toks[k : k + size]
                if any(text[a.end : b.start] not in (" ", "-") for a, b in pairwise(span)):
                    continue
                phrase = " ".join(t.low for t in span)
                if phrase not in g.places:
                    continue
                before = max(0, span[0].start - 30)
                cue = _PLACE_CUE.search(text, before, span[0].start) is not None
                strong_cue = _PLACE_CUE_STRONG.search(text, before, span[0].start) is not None
                capital = all(t.cap or t.upper for t in span) and mode == "normal"
                common = size == 1 and (span[0].low in g.common or span[0].low in _STOP)
                if self._is_drug(phrase) or span[0].low in _STOP:
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
                        yield (tok.start, tok.end, "NAME")
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
                        and (nxt.low in g.last or nxt.low not in g.dictionary)
                    ):
                        yield (nxt.start, nxt.end, "NAME")

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


def known_value_hits(text: str, known: KnownIdentifiers | None) -> Iterator[Hit]:
    """Chart-known non-name identifiers however written: digits across separators, emails, DOB, addresses."""
    if known is None:
        return
    digit_needles: dict[str, str] = {}
    if known.mrn:
        d = re.sub(r"\D", "", known.mrn)
        if len(d) >= 4:
            digit_needles[d] = "ID"
            digit_needles.setdefault(d.lstrip("0") or d, "ID")
    for p in known.phones:
        d = re.sub(r"\D", "", p)
        if len(d) == 11 and d.startswith("1"):
            d = d[1:]
        if len(d) >= 7:
            digit_needles[d] = "PHONE"
            digit_needles.setdefault(d[-7:], "PHONE")
    for member_id in known.member_ids:
        d = re.sub(r"\D", "", member_id)
        if len(d) >= 5:
            digit_needles[d] = "ID"
    dob = known.dob_date
    if dob is not None:
        for f in (
            f"{dob.month:02d}{dob.day:02d}{dob.year}",
            f"{dob.month}{dob.day}{dob.year}",
            f"{dob.month:02d}{dob.day:02d}{dob.year % 100:02d}",
            f"{dob.year}{dob.month:02d}{dob.day:02d}",
        ):
            digit_needles.setdefault(f, "DATE")
    if digit_needles:
        for m in re.finditer(r"\d(?:[\d\s().\-/]*\d)?", text):
            digits = re.sub(r"\D", "", m.group(0))
            for needle, kind in digit_needles.items():
                if needle == digits or (len(needle) >= 7 and needle in digits):
                    yield (m.start(), m.end(), kind)
                    break
    low = text.casefold()
    for e in known.emails:
        for m in re.finditer(re.escape(e.casefold()), low):
            yield (m.start(), m.end(), "EMAIL")
    if dob is not None:
        for form in dob_forms(dob):
            pat = re.escape(form).replace(r"\ ", r"\s*").replace(",", ",?")
            for m in re.finditer(rf"(?<![\w/]){pat}(?![\w/])", low):
                yield (m.start(), m.end(), "DATE")
    for a in known.addresses:
        for part in a.split(","):
            part = part.strip()
            if len(part) >= 5 and re.search(r"[A-Za-z]", part):
                for m in re.finditer(r"(?<!\w)" + re.escape(part.casefold()) + r"(?!\w)", low):
                    yield (m.start(), m.end(), "ADDRESS")
            elif re.fullmatch(r"\d{5}(?:-\d{4})?", part):
                for m in re.finditer(rf"(?<!\d){part}(?!\d)", text):
                    yield (m.start(), m.end(), "ZIP")
        # "WI 53703" in the last part
        for z in re.findall(r"\b\d{5}\b", a):
            for m in re.finditer(rf"(?<!\d){z}(?!\d)", text):
                yield (m.start(), m.end(), "ZIP")
