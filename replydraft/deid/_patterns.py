"""Regular-expression recognizers for structured PHI: dates, ages >= 90, phones, emails, URLs, IPs, SSNs,
context-anchored identifiers, street addresses, city/state/ZIP lines and organisations.

Each recognizer yields ``(start, end, entity_type)``; overlap resolution happens in ``_engine``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["find_structured"]


def _words(text: str) -> frozenset[str]:
    """A word list written as text (reads better than a list literal)."""
    return frozenset(text.split())


Hit = tuple[int, int, str]

_I = re.IGNORECASE

# ----------------------------------------------------------------------------------------- dates

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_FULL_MONTH_SAFE = r"(?:january|february|april|june|july|august|september|october|november|december)"
_DAYNUM = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_ORD_WORD = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[- ](?:first|second|"
    r"third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|thirty[- ]first)"
)
_DAY = rf"(?:{_DAYNUM}|{_ORD_WORD})"
_TENS = (
    r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
)
# years as written or spoken: "1982", "'82", "nineteen eighty two", "two thousand three"
_YEAR = (
    rf"(?:'?\d{{2}}|\d{{4}}|(?:nineteen|twenty)[- ](?:oh[- ]\w+|{_TENS})|two[- ]thousand(?:[- ](?:and[- ])?"
    rf"(?:{_TENS}|one|two|three|four|five|six|seven|eight|nine))?)"
)
_RANGE = rf"(?:\s*(?:-|–|—|to|through|thru|and)\s*{_DAY})?"

_DATE_PATTERNS = [
    # numeric: 3/9/25, 03-09-2025, 2025-03-09, 3.9.2025
    re.compile(
        r"(?<![\d/.-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})|\d{1,2}\.\d{1,2}\.\d{4})(?![\d/])"
    ),
    # month name + day (+ range) (+ year): "Sept 9th", "March 9-13, 2025", "Jan. 5 2024", "March the 3rd"
    re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}\b{_RANGE}(?:,?\s+(?:of\s+)?{_YEAR}\b)?", _I),
    # day + month (+ year): "9 March 2025", "the 5th of May", "fifth of june"
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR}\b)?(?![a-z])", _I),
    # month + year: "October 2025", "oct '24"
    re.compile(rf"\b{_MONTH}\s*,?\s+(?:\d{{4}}|'\d{{2}})\b", _I),
    # bare full month names other than the ambiguous "may"/"march"
    re.compile(rf"\b{_FULL_MONTH_SAFE}\b", _I),
    # holidays
    re.compile(
        r"\b(?:christmas(?:\s+(?:eve|day))?|xmas|thanksgiving(?:\s+day)?|new\s+year'?s(?:\s+(?:eve|day))?|"
        r"easter(?:\s+sunday)?|halloween|valentine'?s(?:\s+day)?|independence\s+day|"
        r"(?:fourth|4th)\s+of\s+july|memorial\s+day|labor\s+day|labour\s+day|veterans'?\s+day|mlk\s+day|"
        r"martin\s+luther\s+king\s+day|presidents'?\s+day|mother'?s\s+day|father'?s\s+day|juneteenth|"
        r"hanukkah|chanukah|passover|yom\s+kippur|rosh\s+hashanah|diwali|eid(?:\s+al[- ]\w+)?|kwanzaa|"
        r"t[eế]t|lunar\s+new\s+year|chinese\s+new\s+year|good\s+friday|ash\s+wednesday|"
        r"st\.?\s+patrick'?s\s+day|columbus\s+day|boxing\s+day|cinco\s+de\s+mayo)\b",
        _I,
    ),
]
# "March"/"May" only after a date-like preposition ("may" is a verb, "march" too)
_MARCH_MAY = re.compile(
    r"\b(?:in|since|until|till|by|of|during|early|late|mid|last|next|this|before|after|from|around)"
    r"[ -]+(march|may)\b",
    _I,
)
# dates of birth written with spaces ("DOB 03 15 1994") and Spanish dates ("17 de marzo")
_DOB_CUE = r"\b(?:dob|d\.o\.b\.?|born|birth(?:day|date)?|date\s+of\s+birth)(?:\s+(?:is|was|on))?"
_DOB_SPACED = re.compile(rf"{_DOB_CUE}\W{{0,6}}(\d{{1,2}} \d{{1,2}} (?:\d{{4}}|\d{{2}}))\b", _I)
# a date of birth spoken as numbers ("date of birth four fifteen two thousand", "dob is one two three eighty")
_NUM_WORD = (
    r"(?:oh|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    rf"thousand|{_ORD_WORD})"
)
_DOB_SPOKEN = re.compile(rf"{_DOB_CUE}\W{{0,6}}((?:{_NUM_WORD}[- ,]+){{2,7}}{_NUM_WORD})\b", _I)
# "on the fourteenth", "since the third.": a spelled day of the month, where nothing follows it that makes it
# a count ("the third time", "the first one")
_ORD_WORD_CTX = re.compile(
    rf"\b(?:on|since|by|until|till|before|after|starting|for)\s+the\s+({_ORD_WORD})"
    r"(?=\s*(?:[.,;!?)]|$|\s+(?:at|and|or|when|if|so|but|i|we|he|she|please|instead)\b))",
    _I,
)
_ES_DATE = re.compile(
    r"\b\d{1,2}\s+de\s+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|sept?iembre|setiembre|octubre|"
    r"noviembre|diciembre)(?:\s+(?:de|del)\s+\d{4})?\b",
    _I,
)
# m/d without a year: dates unless they are a fraction ("1/2 tablet") or a blood pressure
_MD = re.compile(
    r"(?<![\d/.-])(\d{1,2})/(\d{1,2})(?![\d/]|\s*(?:tab|pill|cap|dose|cup|mg|ml|of\b|strength))", _I
)
_FRACTIONS = {"1/2", "1/3", "2/3", "1/4", "3/4", "1/8", "3/8", "1/5", "1/6"}
# m-d with a dash only after a date-like word ("on 3-22"): "2-3 times" is a range
_MD_DASH = re.compile(
    r"\b(?:on|since|by|from|after|before|until|til|till|of|dated|appt|appointment|visit|due|thru|through|"
    r"starting|effective|injury|dos|date|for|around|week of|4|us|born|placed|seen|done|paid|mailed|sent)\s+"
    r"((?:0?[1-9]|1[0-2])[-/](?:[12]\d|3[01]|0?[1-9]))\b(?![-/.]\d)",
    _I,
)
# "appointment on 24.03": day.month (or month.day) without a year, only after a word that introduces a date
_DM_DOT = re.compile(
    r"\b(?:on|since|by|from|until|till|before|after|due|dated)\s+((?:[0-2]\d|3[01])\.(?:0[1-9]|1[0-2])|"
    r"(?:0[1-9]|1[0-2])\.(?:[0-2]\d|3[01]))\b(?![.,]\d|\s*(?:mg|mcg|ml|kg|lbs?|%|units?|°|degrees|f\b|c\b))",
    _I,
)
# month/year "10/2025"
_MY = re.compile(r"(?<![\d/.-])(0?[1-9]|1[0-2])/(\d{4})(?![\d/])")
# "on the 3rd", "since the 14th": the ordinal only
_ORDINAL_CTX = re.compile(
    r"\b(?:on|since|by|until|till|before|after|from|the|around|starting|through)\s+(?:the\s+)?"
    r"((?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))\b(?!\s*(?:grade|floor|time|dose|shot|opinion|trimester|"
    r"round|cycle|day|week|month|year|attempt|visit|child|kid|baby|place|birthday|street|st\b|ave|avenue|"
    r"percentile|period|try|one|injection|infusion|treatment|session|fl\b))",
    _I,
)
_ORD_RANGE = re.compile(
    r"\b(\d{1,2}(?:st|nd|rd|th))\s*(?:-|–|to|through|thru)\s*(\d{1,2}(?:st|nd|rd|th))\b", _I
)
_BIRTHDAY_ORD = re.compile(r"\b((?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))\s+birthday", _I)
# MMDD / MMDDYYYY used as passwords or PINs are dates of birth in disguise
_PIN_DATE = re.compile(
    r"\b(?:password|passcode|pin|code|birth\s*(?:month|day|date)|birthday|bday|month\s+and\s+day)\b\D{0,40}?"
    r"\b((?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])(?:\d{2}|\d{4})?)\b",
    _I,
)
# "0412 (my birth month and day)": the cue after the number
_PIN_DATE_AFTER = re.compile(
    r"\b((?:0[1-9]|1[0-2])(?:[0-2]\d|3[01]))\b[ \t]*[(,-]?[ \t]*(?:which\s+is\s+|is\s+|=\s*)?"
    r"(?:my|his|her|our|their)\s+"
    r"(?:birth\s*(?:month\s+and\s+day|day|date)|bday|birthday|dob)",
    _I,
)
# a bare abbreviated month after a word that makes it a time: "end of Sept", "by mid Oct", "since dec"
# (the month is found first and the words before it checked after: one alternation anchored at every word
# cost as much as all the other date patterns)
_ABBR_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?(?![\w'’-])", _I)
_ABBR_MONTH_CUE = re.compile(
    r"\b(?:(?:end|middle|beginning|start|rest|first\s+week|last\s+week|second\s+week)\s+of|mid|early|late)"
    r"[ -]+$",
    _I,
)
# "in Mar" / "by Jan" may be a name ("signed by Jan"): those two months need one of the cues above
_ABBR_MONTH_CUE_WEAK = re.compile(
    r"\b(?:since|until|till|by|in|before|after|last|next|this|through|thru|around|during|from|week\s+of|"
    r"the\s+\w+\s+of)[ ]+$",
    _I,
)

# ----------------------------------------------------------------------------------------- ages >= 90

_NUM90 = r"(?:9\d|1[01]\d)"
_SPELLED90 = (
    r"(?:ninety(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
    r"(?:a|one)\s+hundred(?:\s+(?:and\s+)?(?:one|two|three|four|five|six|seven|eight|nine|ten))?)"
)
_AGE_PATTERNS = [
    re.compile(
        rf"\b({_NUM90}|{_SPELLED90})(?=\s*(?:-|\s)?\s*(?:years?|yrs?|y/?o\b|yo\b|year-old|-year|y[a-z]{{1,5}}\s+old))",
        _I,
    ),
    # "my grandma Ana Ruiz (93)": a bare 90-119 in parentheses after a word is an age
    re.compile(rf"(?<=[A-Za-z] \()({_NUM90})(?=\))"),
    re.compile(
        rf"(?:\b(?:age|aged|is|turned|turning|turns|was|be|being|he's|she's|who's|am|i'm|im|now|almost|nearly|both|"
        rf"shes|hes|whos|are|were)"
        rf"\s+)({_NUM90}|{_SPELLED90})\b(?!\s*(?:%|percent|mg|lbs?|pounds|kg|degrees|°|bpm|minutes|mins|mm|ml|over|/))",
        _I,
    ),
    re.compile(rf"\b({_NUM90})(?:st|nd|rd|th)\s+birthday", _I),
    re.compile(rf"\b({_SPELLED90})(?:th|st|nd|rd)?\s+birthday", _I),
]

# ----------------------------------------------------------------------------------------- contact

_EXT = r"(?:\s*,?\s*(?:x|ext\.?|extension)\s*\d{1,6})?"
_PHONE = re.compile(
    rf"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{{3}}\)\s*-?\s*|\d{{3}}[\s.-]?)\d{{3}}[\s.-]?\d{{4}}"
    rf"(?![\d-]){_EXT}",
    _I,
)
_PHONE7 = re.compile(r"(?<![\w/.-])\d{3}[-.]\d{4}(?![\d-])")
_PHONE7_CTX = re.compile(
    r"\b(?:cell|phone|mobile|home|work|call|text|fax|number|tel|ph|line|landline|whatsapp|#)\W{0,6}"
    r"(\d{3}[ .-]\d{4})\b(?!\s*(?:mg|ml))",
    _I,
)
# 7 digits in two groups ("555 0163", "555.0163") are a phone number after a cue a few words before them
# ("call me at", "my cell is"), or closing the message with only a short sign-off after them
_PHONE7_ANY = re.compile(
    r"(?<![\w/.-])\d{3}[ .-]\d{4}(?![\w/-]|\.\d|\s*(?:mg|mcg|ml|units?|iu|steps|lbs?|kg|cal|calories|%))", _I
)
# "555 0163 is my cell", "555 0163 (home)"
_PHONE7_CUE_AFTER = re.compile(
    r"[ \t]*[(,-]?[ \t]*(?:is\s+(?:my|the|his|her|our|their)\s+)?"
    r"(?:cell|home|work|mobile|phone|landline|number)\b",
    _I,
)
_PHONE7_CUE = re.compile(
    r"\b(?:cell|phone|mobile|home|work|call|text|fax|number|tel|ph|line|landline|whatsapp|reach(?:ed)?|"
    r"contact(?:ed)?|dial|callback|call\s*back)\b"
    r"(?:[ \t]+(?:me|us|him|her|them|at|on|is|was|back|number|#|no\.?|my|cell|phone|be|can|best|"
    r"mobile|anytime|any\s+time)|[ \t]*[:#-]){0,4}[ \t]*$",
    _I,
)
# ten digits in an irregular grouping: "608 555 01 70", "608.555.0.170"
_PHONE_GROUPED = re.compile(
    r"(?<![\w/.-])\(?[2-9]\d{2}\)?[ .-]\d{3}[ .-](?:\d{2}[ .-]\d{2}|\d[ .-]\d{3}|\d{3}[ .-]\d)"
    r"(?![\w/-]|[ .-]\d)"
)
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,6}(?![\d-])")
_EXT_ONLY = re.compile(r"\b(?:x|ext\.?|extension)\s*\d{3,6}\b", _I)
_DIGIT_WORD = r"(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine)"
_SPELLED_PHONE = re.compile(rf"\b{_DIGIT_WORD}(?:[\s,-]+{_DIGIT_WORD}){{6,}}\b", _I)
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_EMAIL_OBF = re.compile(
    r"\b[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\s+at\s+)\s*[\w-]+(?:\s*(?:\(dot\)|\[dot\]|\{dot\}|\s+dot\s+|\.)\s*[\w-]+)*?"
    r"\s*(?:\(dot\)|\[dot\]|\{dot\}|\s+dot\s+|\.)\s*(?:com|org|net|edu|gov|us|io|co|info)\b",
    _I,
)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", _I)
_BARE_DOMAIN = re.compile(
    r"(?<![@\w.])(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|io|us|info|health|app|ly|me)(?:/[^\s<>\"')\]]*)?(?![\w@])",
    _I,
)
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.]\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-f]{1,4}:){2,7}(?::|[0-9a-f]{1,4})(?:[0-9a-f:]*)(?![\w:])", _I)

# ----------------------------------------------------------------------------------------- ids

_SSN = re.compile(r"(?<![\d-])\d{3}[- ]\d{2}[- ]\d{4}(?![\d-])")
_SSN_CTX = re.compile(
    r"\b(?:ssn|ss#|social security|social)\b(?:\s*(?:number|no\.?|#|card))?\D{0,30}?"
    r"(?:ending in|ends in|last (?:4|four)(?: digits)?(?: (?:is|are))?|xxx-xx-|\*{3}-?\*{2}-?)?[:#\s]*"
    r"(\d{9}|\d{4})\b",
    _I,
)
_ID_KEYWORDS = (
    r"mrn|medical record(?: number| no\.?| #)?|chart (?:number|no\.?|#)|patient id|pt id|"
    r"member(?:ship)?(?: id)?|"
    r"subscriber(?: id)?|policy|group|grp|id|account|acct|a/c|invoice|statement|bill(?:ing)?|rx|script|"
    r"prescription|order|confirmation|conf|claim|case|ticket|reference|ref|authori[sz]ation|auth|pa|"
    r"licen[sc]e|dl|plate|tag|vin|serial|s/n|sn|device|pump|meter|badge|employee|emp|student|passport|"
    r"tracking|username|user name|user id|login|handle|medicare|medicaid|mbi|insurance|card|"
    r"ending in|ends in|last (?:4|four)(?: digits)?|juror|permit|certificate|visa|voucher|file|record|"
    r"registration|benefit|beneficiary|ssi|cin|enrollment|enrolment|appeal|docket|receipt|transaction|"
    r"number|no\.|ending|ends|check|cheque|report|participant|fsa|hsa|hra|hicn|npi|dea|member\s+number|"
    r"routing|tracking|confirmation|ref(?:erence)?|locker|room\s+key|pin"
)
_ID_CTX = re.compile(
    rf"(?:\b(?:{_ID_KEYWORDS})|#)(?:\s*(?:number|num|no\.?|#|id|code))?(?:\s*(?:is|was|are|of|:|=|-|#|in))*"
    r"(?:(?:\s+(?:there|here|on\s+file|at\s+\w+|with\s+\w+|for\s+\w+|now|still|ending\s+in))"
    r"|(?:\s+[a-z']{1,6}){1,4}?\s+(?:is|was|are|:))?"
    r"(?:\s*(?:is|was|are|:|#))*\s*"
    r"((?:[A-Za-z]{1,3}[ -]?)?\d{1,6}(?:[ -]\d{2,6}){1,4}(?![\d-])"
    r"|(?=[\w.-]*\d)[A-Za-z0-9][\w.-]{2,}[A-Za-z0-9]|\d{3,})\b"
    r"(?!\s*(?:mg|mcg|ml|units?|tabs?|tablets?|pills?|days?|weeks?|months?|years?|hours?|minutes?|lbs?|%))",
    _I,
)
# parcel tracking numbers: UPS "1Z 999 AA1 01 2345 6784", USPS 20-22 digits, FedEx 12-15, spaces allowed
_UPS = re.compile(r"\b1Z(?:[ -]?[0-9A-Z]){16}\b", _I)
_TRACKING = re.compile(
    r"\btracking\b[^\d\n]{0,30}?((?:\d[ -]?){11,21}\d)(?![\d-])",
    _I,
)
_HANDLE = re.compile(
    r"\b(?:username|user\s*name|user\s*id|login|handle|insta|instagram|twitter|tiktok|snap(?:chat)?|gamertag)"
    r"(?:\s+(?:is|was|:))?\s*[:]?\s*(@?[\w.]{3,})",
    _I,
)
_AT_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z][\w.]{2,}[A-Za-z0-9_]")
# digits read out one by one: "7 7 1 2 0 9 4 4 3"
_SPACED_DIGITS = re.compile(r"(?<![\d.])\d(?: \d){4,}(?![\d.])")
_ALNUM_ID = re.compile(r"\b(?=[A-Z0-9-]*\d[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{5,}\b")
_LONG_NUM = re.compile(
    r"(?<![\w.,/-])\d{5,}(?![\w.,/])(?!\s*(?:mg|mcg|ml|steps|units|iu|calories|cal|lbs?|k\b))", _I
)
_VIN = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}\b", _I)
_PLATE = re.compile(
    r"\b(?:plate|tag|license plate|tags)\b(?:\s*(?:number|no\.?|#))?(?:\s*(?:is|was|:))?\s*"
    r"[\"“]?([A-Z0-9]{2,4}[- ]?[A-Z0-9]{2,5})\b",
    _I,
)
# ids that aren't PHI however they look: lab names and common codes
_NOT_ID = re.compile(
    r"^(?:covid-?19|a1c|hba1c|b12|b6|d3|k2|ldl|hdl|cpt|icd-?10|h1n1|sars-cov-2|mmr|tdap|dtap|hpv|ms|t2|t1)$",
    _I,
)

# ----------------------------------------------------------------------------------------- places

_SUFFIX = (
    r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|drive|dr|lane|ln|way|court|ct|place|pl|terrace|ter|"
    r"circle|cir|highway|hwy|parkway|pkwy|trail|trl|square|sq|pike|alley|crossing|xing|"
    r"ridge|cove|cv|crescent|plaza|commons|landing|heights|hts|grove)"
)
_UNIT = (
    r"(?:\s*,?\s*(?:apt|apartment|unit|suite|ste|#|room|rm|lot|bldg|building|fl|floor|space|spc)\.?\s*#?\s*"
    r"[A-Za-z0-9-]+)?"
)
_STREET = re.compile(
    rf"(?<![:.,/\d])\b\d{{1,6}}[A-Za-z]?(?:-\d+)?\s+(?:(?:[NSEW]|NE|NW|SE|SW|north|south|east|west|n\.|s\.|e\.|w\.)\s+)?"
    rf"(?:[A-Za-z0-9][\w'.-]*[ \t]+){{0,4}}?{_SUFFIX}\b\.?(?:[ \t]+(?:[NSEW]|NE|NW|SE|SW)\b\.?)?{_UNIT}",
    _I,
)
_STREET_BARE = re.compile(
    r"\b(?:on|off|at|near|by|of|to|from|and|past) ((?!the\b|a\b|my\b|this\b|that\b|your\b|our\b|main\b)"
    r"(?:[A-Z][\w'.-]*\s+){1,2}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|"
    r"Parkway|Pkwy|Highway|Hwy|Pike|Trail|Circle|Cir|Terrace|Place|Pl)\b\.?)(?!\s+[A-Z][a-z])",
)
_STREET_BARE_ANYCASE = re.compile(
    r"\b(?:on|off|at|near|to|from|past)\s+((?!(?:the|a|an|my|your|his|her|our|their|this|that|any|every|see|call|"
    r"main|same|right|wrong|long|whole|one|other|its|no|half|some|each|which|what|either|another|dirt|open|"
    r"back|side|front|high|express|toll|the)\b)[a-z]{3,}(?:\s+(?!(?:the|a|my|its|way)\b)[a-z]{2,})?\s+"
    r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|pkwy|parkway|hwy|highway|trl|trail|"
    # "we live on bayou way" (and "on its way", "on the way" are not streets: see the words refused above)
    r"cir|circle|ter|terrace|pl|way)\b\.?)",
    _I,
)
# a street used as a modifier: "the Mineral Point Rd clinic", "the mineral point rd walgreens"
_STREET_MODIFIER = re.compile(
    r"\bthe[ \t]+((?:[A-Z][\w'.-]*[ \t]+){1,3}(?:St|Street|Rd|Road|Ave|Avenue|Blvd|Boulevard|Dr|Drive|Ln|"
    r"Lane|Way|Pkwy|Parkway|Hwy|Highway|Pike|Trail|Ct|Court)\b\.?)"
    r"(?=[ \t]+[a-z]|[ \t]+(?:CVS|Walgreens|Walmart|Target|Kroger|Costco|Clinic|Office|Location|Pharmacy|"
    r"Urgent|Hospital|Lab|Branch|Campus|Store)\b)"
    r"|\bthe[ \t]+((?:[a-z][\w'-]*[ \t]+){1,2}(?:st|rd|ave|blvd|dr|ln|pkwy|hwy)\.?)"
    r"(?=[ \t]+(?:clinic|office|location|pharmacy|walgreens|cvs|store|branch|campus|lab|one|urgent)\b)"
)
# a street named only by its name, after a shop or site: "the CVS on Gammon", "the clinic off University"
_SHOP_ON = re.compile(
    r"\b(?:CVS|Walgreens|Walmart|Target|Kroger|Costco|Meijer|Publix|Safeway|Aldi|Starbucks|pharmacy|clinic|store|"
    r"office|location|branch|lab|hospital|library|church|station)[ \t]+(?:on|off)[ \t]+"
    r"((?!(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Medicare|Medicaid|MyChart|"
    r"Epic|Facebook|Zoom|Google|Amazon|Christmas|Easter|Thanksgiving|Call|Hold|Record|File|Site|Vacation|Break|"
    r"Leave|Duty|Saturday|Sunday|Monday|Tuesday|Wednesday|Thursday|Friday)s?\b)"
    r"[A-Z][a-z][\w'’-]*(?:[ \t]+[A-Z][a-z][\w'’-]*)?)"
)
# directions instead of an address: "the blue house on Elm past the Lutheran church"
_DESCRIBED_PLACE = re.compile(
    r"\b(?:(?:the|a)\s+)?(?:[a-z]+\s+){0,2}(?:house|home|trailer|farmhouse|duplex|cabin|building|farm)\s+(?:on|off)\s+"
    r"(?!(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b)"
    r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
    r"(?:\s+(?:past|near|behind|across\s+from|next\s+to|by|after|before|at\s+the\s+end\s+of)\s+[^,.;:!?\n]{2,40})?"
)
# a crossing: "the crash was at Fish Hatchery & McKee", "corner of Park and Main"
_INTERSECTION = re.compile(
    r"\b(?:(?:at|on|near)\s+((?:[A-Z][\w'.-]*\s+){0,2}[A-Z][\w'.-]*\s+&\s+(?:[A-Z][\w'.-]*)(?:\s+[A-Z][\w'.-]*)?)|"
    r"(?i:corner|intersection)\s+of\s+((?:[A-Z][\w'.-]*\s+){0,2}[A-Z][\w'.-]*\s+(?:&|and)\s+[A-Z][\w'.-]*"
    r"(?:\s+[A-Z][\w'.-]*)?))"
)
_TITLE_AFTER = re.compile(r"\.?\s+[A-Z][a-z]")
_CITY_AFTER_STREET = re.compile(
    r",[ \t]*((?:[A-Z][A-Za-z'.-]+|[A-Z]{2,})(?:[ \t]+(?:[A-Z][A-Za-z'.-]+|[A-Z]{2,})){0,2})"
    r"(?=[ \t]*(?:[.,;\n)]|$|\d{5}))"
)
_NOT_CITY = _words("apt apartment unit suite ste room rm lot bldg building floor fl po box usa us thanks")
_UNIT_ONLY = re.compile(r"\b(?:apt|apartment|unit|suite|ste|room|rm)\.?\s*#?\s*\d+[A-Za-z]?\b", _I)
_PO_BOX = re.compile(r"\b(?:p\.?\s*o\.?\s*box|post office box|box)\s+#?\d+\b", _I)
_RURAL = re.compile(r"\b(?:rr|rural route|hc|star route)\s*#?\s*\d+(?:\s*,?\s*box\s*\d+)?\b", _I)
_ROUTE = re.compile(
    r"\b(?:hwy|highway|route|rte|interstate|county road|county rd|state road|sr|cr)\s*-?\s*\d{1,4}[A-Z]?\b"
    r"|\bI-\d{1,3}\b",
    _I,
)
_STATES = (
    r"AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
    r"OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
# "Madison, WI 53703", "waco, tx 93362-9275": a state code and a ZIP are distinctive in any case; the
# city is the one or two words before them on the same line (found by hand: a leading optional group
# made this regex try every position)
_ST_ZIP = re.compile(rf"\b({_STATES})\.?,?[ \t]+(\d{{5}}(?:-\d{{4}})?)\b", _I)
_CITY_BEFORE = re.compile(r"([A-Za-z][A-Za-z.'-]*(?:[ \t]+[A-Z][A-Za-z.'-]*)?),?[ \t]*$")
_CITY_BEFORE_CAP = re.compile(r"((?:[A-Z][A-Za-z.'-]*[ \t]+)?[A-Z][A-Za-z.'-]*),?[ \t]*$")
_CITY_ST = re.compile(rf"\b((?:[A-Z][a-zA-Z.'-]+\s+){{0,2}}[A-Z][a-zA-Z.'-]+),\s+({_STATES})\b(?!\s*\d)")
_STATE_WORDS = frozenset({"PA", "MD", "ME", "OR", "IN", "OK", "HI", "OH", "DE", "ID", "LA", "MA", "CO", "AL"})
# "Waukesha WI" alone on an address line (no ZIP): a city and a state code
_CITY_ST_LINE = re.compile(
    rf"(?m)^[ \t>]*((?:[A-Z][a-zA-Z.'-]+[ \t]+){{0,2}}[A-Z][a-zA-Z.'-]+),?[ \t]+({_STATES})\.?[ \t]*$"
)
_ZIP_CTX = re.compile(r"\b(?:zip|zip code|zipcode|postal code)\b\D{0,12}?(\d{5}(?:-\d{4})?)\b", _I)
_COUNTY = re.compile(r"\b(?:[A-Z][a-z]+\s+){1,2}(?:County|Parish|Township|Borough)\b")

_ORG_SUFFIX = (
    r"(?:Elementary(?:\s+School)?|Middle\s+School|High\s+School|School|Academy|College|University|Daycare|"
    r"Day\s+Care|Preschool|Pre-K|Montessori|Church|Inc\.?|LLC|L\.L\.C\.|Corp\.?|Corporation|Company|Co\.|"
    r"Foods|Logistics|Manufacturing|Industries|Construction|Nursing\s+Home|Assisted\s+Living|Senior\s+Living|"
    r"Memory\s+Care|Manor|Group\s+Home|Day\s+Program|Camp|Club|YMCA|Plumbing|Electric|Farms?|Bakery|Motors|"
    r"Landscaping|Services|Solutions|Systems|Enterprises|Partners|Associates|Law|Realty|Diner|Cafe|Café|"
    r"Restaurant|Salon|Gym|Fitness|Dental(?!\s+(?:work|cleaning))|Center|Centre|Home|Village|Gardens|Estates|"
    r"Lodge|Ministries|Temple|Mosque|Synagogue|Warehouse|Factory|Mill|Mills|Bank|Credit\s+Union|Trucking|Transport|"
    r"Pizzeria|Pizza|Tire|Tires|Studio|Studios|Agency|LLP|LTD|PLLC|Residential|Adoption|Mgmt\.?|Management|"
    r"Property|Properties|Holdings|Group|Clinic\s+of\s+\w+|Brewing|Brewery|Market|Grocery|Hardware|Garage|"
    r"Roofing|Painting|Cleaning|Consulting|Design|Marketing|Labs|Technologies|Tech|Software|Staffing|"
    r"Architects|Engineering|Engineers|Attorneys|Accounting|Builders|Contractors|Insurance\s+Agency|Printing)"
)
# small businesses and care homes named in signatures and stories; capitalised as written (never in an
# ALL-CAPS sentence: "IS IT OK TO GET A TATTOO")
_ORG_SUFFIX_TITLE = (
    r"(?:Residence|Residences|Yoga|Pilates|Boutique|Florist|Flowers|Deli|Coffee|Roasters|Grill|Kitchen|Tavern|Pub|"
    r"Spa|Barbershop|Barbers|Auto|Autobody|Repair|Supply|Outfitters|Bookstore|Books|Nursery|Greenhouse|Winery|"
    r"Vineyards?|Creamery|Dairy|Lumber|Carpentry|Masonry|Welding|Photography|Tattoo|Dance|Karate|Kennels?|"
    r"Grooming|Veterinary|Hospice|Rehab|Catering|Cleaners|Laundromat|Bistro|Tailors?|Jewelers|Hair)"
)
# "Our Lady of Lourdes Manor", "Stone & Birch Yoga": capitalised words, "&" / "of (the)" between them
_ORG = re.compile(
    # (a word ending a sentence, "Milwaukee. Our Lady ...", is not part of the name)
    rf"\b(?:[A-Z][\w&'.-]*(?<![a-z]{{3}}\.)\s+(?:(?:&|of|of\s+the)\s+)?){{1,4}}"
    rf"(?:(?i:{_ORG_SUFFIX})|{_ORG_SUFFIX_TITLE})(?![\w-])"
)
_ORG_KIND_ONLY = re.compile(rf"(?i:{_ORG_SUFFIX})")
# "Maple & Vine", "Hart & Sons Roofing": two capitalised words joined by "&" name a firm (or two people)
_AMP_ORG = re.compile(r"\b[A-Z][a-z][\w'’-]*[ \t]+&[ \t]+[A-Z][a-z][\w'’-]*(?:[ \t]+[A-Z][a-z][\w'’-]*){0,2}")
# a signature's title line: "Owner, Maple & Vine", "Office Manager at Hartwell Foods"
_TITLE_LINE = re.compile(
    r"(?m)^[ \t>]*(?:(?:Co-?)?[Oo]wner|(?:Co-?)?[Ff]ounder|President|Vice\s+President|CEO|CFO|COO|Partner|"
    r"Proprietor|Principal|Administrator|Director|Manager|Supervisor|"
    r"(?:[A-Z][a-z]+[ \t]+){1,2}(?:Manager|Director|Coordinator|Supervisor|Specialist|Assistant|Lead|Officer|"
    r"Administrator))[ \t]*(?:,|at|of|@|-|–|—|\|)[ \t]*"
    r"((?:The[ \t]+)?[A-Z][\w'’.&-]*(?:[ \t]+(?:&|of|and|the|[A-Z][\w'’.&-]*))*)[ \t]*$"
)
_ORG_PREFIX = re.compile(
    r"\b(?:Camp|Club|Team|Troop|Scout\s+Troop|Pack)\s+(?:[A-Z][\w'-]*\s*){1,3}"
    # "Our Lady of Guadalupe", "Our Lady of the Lake Regional": a parish, school, hospital or home
    r"|\bOur\s+Lady\s+of\s+(?:the\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,3}"
)
# "His daycare (Little Sprouts on Atwood)", "her school, Ridgeview Prep,": a name beside the kind of place
_ORG_APPOS = re.compile(
    r"\b(?i:daycare|day\s+care|preschool|school|camp|employer|company|church|gym|club|agency|firm|academy)"
    r"[ \t]*(?:\(|,[ \t]*|:[ \t]*|—[ \t]*|–[ \t]*|-[ \t]+)"
    r"((?!(?:I|Mr|Mrs|Ms|Miss|Dr|Coach|The|But|And|So|Then|Please|He|She|They|We|It|My|His|Her|Our|Their|"
    r"Which|Who|That|This|Is|Was)\b)[A-Z][\w&'.-]*(?:[ \t]+(?:&[ \t]+)?[A-Z][\w&'.-]*){0,4})"
)
_WORK_AT = re.compile(
    r"\b(?:work(?:s|ed|ing)?\s+(?:at|for)|employed\s+(?:at|by)|employer\s+(?:is|was)|job\s+at|shift\s+at|"
    r"teach(?:es|ing)?\s+at|attends|goes\s+to|enrolled\s+at|lives\s+at|living\s+at|moved\s+into)\s+"
    # a word ending a sentence ("Residence. I work ...") ends the name; "St. Mary's" does not
    r"((?:the\s+)?(?:[A-Z][\w&'.-]*)(?:(?<![a-z]{3}\.)\s+(?:of\s+|&\s+)?[A-Z][\w&'.-]*){0,4})"
)
# chains, agencies and care sites are not labelled as PHI (and hold names that look like surnames)
_NOT_ORG_WORDS = _words(
    """
    walgreens cvs walmart costco target kroger rite aid amazon medicare medicaid mychart epic the my a
    his her our their your its this that
    hospital clinic pharmacy urgent care er emergency va kaiser aetna cigna humana anthem bcbs blue cross
    shield optum express scripts caremark unitedhealthcare united healthcare social security
    """
)


_CAPS_FUNCTION = _words(
    """
    is was are were be been am on in at to for with from by of the a an and or but my his her our their your
    its this that me i we he she they it not no so if as up down out call please need needs
    """
)
_EMPLOYER_CUE = re.compile(
    r"\b(?:employer(?:\s+(?:is|was))?|employed\s+(?:at|by)|work(?:s|ed|ing)?\s+(?:at|for)|job\s+at|"
    r"shift\s+at|hired\s+(?:at|by)|fired\s+from|laid\s+off\s+from|quit|starts?\s+at|starting\s+at|"
    r"started\s+at|interning\s+at|intern\s+at|volunteers?\s+at|work\s+line\s+is\s+[\d() .-]{7,20}\s+at)"
    r"[:,]?\s+(?:the\s+)?",
    _I,
)
_AFTER_EMPLOYER = re.compile(
    r"\s+(?:on|in|since|and|but|for|as|saying|next|hr|until|till|because|so|from|last|this|today|yesterday|"
    r"please|pls|to|who|which|that|said|says|wants|needs)\b",
    _I,
)
_CAPWORD = re.compile(r"[A-Z][\w&'.-]*")
_LOWWORD = re.compile(r"[a-z][\w&'-]*")
_NOT_EMPLOYER = _words(
    """
    a an my our his her their home school night nights days weekends the this that it from and or but so
    today tomorrow now again still
    """
)


def _employer(text: str) -> Iterator[Hit]:
    """The employer after a cue: a run of capitalised words, or one lower-case word ("at pfizer")."""
    for m in _EMPLOYER_CUE.finditer(text):
        pos = m.end()
        cm = _CAPWORD.match(text, pos)
        if cm is not None:
            end = cm.end()
            for _ in range(3):
                nxt = re.compile(r"[ \t]+(?:&[ \t]+)?[A-Z][\w&'.-]*").match(text, end)
                if nxt is None:
                    break
                end = nxt.end()
            if text[pos:end].lower() not in _NOT_EMPLOYER:
                yield (pos, end, "EMPLOYER")
            continue
        lm = _LOWWORD.match(text, pos)
        if lm is not None and lm.group(0) not in _NOT_EMPLOYER and len(lm.group(0)) > 2:
            # one or two lower-case words, then punctuation or a word that ends the name ("at walmart on")
            end = lm.end()
            for _ in range(2):
                if text[end : end + 1] in (".", ",", ";", "\n", "") or _AFTER_EMPLOYER.match(text, end):
                    yield (pos, end, "EMPLOYER")
                    break
                nxt = re.compile(r"[ \t]+[a-z][\w&'-]*").match(text, end)
                if nxt is None:
                    break
                end = nxt.end()


def _groups(m: re.Match[str], group: int, kind: str) -> Hit:
    return (m.start(group), m.end(group), kind)


def find_structured(text: str) -> Iterator[Hit]:
    """Every structured-PHI hit in ``text`` (may overlap; resolved later)."""
    for pat in _DATE_PATTERNS:
        for m in pat.finditer(text):
            yield (m.start(), m.end(), "DATE")
    for m in _MD.finditer(text):
        mo, dd = int(m[1]), int(m[2])
        if 1 <= mo <= 12 and 1 <= dd <= 31 and m.group(0) not in _FRACTIONS:
            yield (m.start(), m.end(), "DATE")
    for m in _DOB_SPACED.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _DOB_SPOKEN.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _ORD_WORD_CTX.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _ES_DATE.finditer(text):
        yield (m.start(), m.end(), "DATE")
    for m in _MD_DASH.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _MARCH_MAY.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _DM_DOT.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _MY.finditer(text):
        yield (m.start(), m.end(), "DATE")
    for m in _ORDINAL_CTX.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _ORD_RANGE.finditer(text):
        yield _groups(m, 1, "DATE")
        yield _groups(m, 2, "DATE")
    for m in _PIN_DATE.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _PIN_DATE_AFTER.finditer(text):
        yield _groups(m, 1, "DATE")
    for m in _ABBR_MONTH.finditer(text):
        s = m.start()
        if _ABBR_MONTH_CUE.search(text, max(0, s - 25), s) or (
            m.group(0)[:3].lower() not in ("jan", "mar")
            and _ABBR_MONTH_CUE_WEAK.search(text, max(0, s - 20), s)
        ):
            yield (s, m.end(), "DATE")
    for pat in _AGE_PATTERNS:
        for m in pat.finditer(text):
            yield _groups(m, 1, "AGE")

    for m in _EMAIL.finditer(text):
        yield (m.start(), m.end(), "EMAIL")
    for m in _EMAIL_OBF.finditer(text):
        yield (m.start(), m.end(), "EMAIL")
    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?":
            end -= 1
        yield (m.start(), end, "URL")
    for m in _BARE_DOMAIN.finditer(text):
        yield (m.start(), m.end(), "URL")
    for m in _IPV4.finditer(text):
        yield (m.start(), m.end(), "IP_ADDRESS")
    for m in _IPV6.finditer(text):
        ip = m.group(0)
        if (ip.count(":") >= 3 or "::" in ip) and re.search(r"[0-9]", ip) and re.search(r"[a-f]|::", ip, _I):
            yield (m.start(), m.end(), "IP_ADDRESS")
    for m in _PHONE.finditer(text):
        yield (m.start(), m.end(), "PHONE")
    for m in _PHONE7.finditer(text):
        yield (m.start(), m.end(), "PHONE")
    for m in _PHONE7_CTX.finditer(text):
        yield _groups(m, 1, "PHONE")
    for m in _PHONE7_ANY.finditer(text):
        s = m.start()
        rest = text[m.end() :]
        if (
            _PHONE7_CUE.search(text, max(0, s - 50), s)
            or _PHONE7_CUE_AFTER.match(text, m.end())
            or (
                " " in m.group(0)
                and text[s - 1 : s] not in (":", ",")
                and len(rest) <= 40
                and not any(c.isdigit() for c in rest)
            )
        ):
            yield (s, m.end(), "PHONE")
    for m in _PHONE_GROUPED.finditer(text):
        yield (m.start(), m.end(), "PHONE")
    for m in _PHONE_INTL.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) >= 8:
            yield (m.start(), m.end(), "PHONE")
    for m in _EXT_ONLY.finditer(text):
        yield (m.start(), m.end(), "PHONE")
    for m in _SPELLED_PHONE.finditer(text):
        yield (m.start(), m.end(), "PHONE")

    for m in _SSN.finditer(text):
        yield (m.start(), m.end(), "SSN")
    for m in _SSN_CTX.finditer(text):
        yield _groups(m, 1, "SSN")
    for m in _ID_CTX.finditer(text):
        tok = m.group(1)
        if _NOT_ID.match(tok) or re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", tok, _I):
            continue
        if sum(c.isdigit() for c in tok) >= 3 or (re.search(r"\d", tok) and re.search(r"[A-Za-z]", tok)):
            yield _groups(m, 1, "ID")
    for m in _UPS.finditer(text):
        yield (m.start(), m.end(), "ID")
    for m in _TRACKING.finditer(text):
        yield _groups(m, 1, "ID")
    for m in _HANDLE.finditer(text):
        if m.group(1).lower() not in ("is", "was", "the", "and"):
            yield _groups(m, 1, "ID")
    for m in _AT_HANDLE.finditer(text):
        yield (m.start(), m.end(), "ID")
    for m in _SPACED_DIGITS.finditer(text):
        yield (m.start(), m.end(), "ID")
    for m in _ALNUM_ID.finditer(text):
        if not _NOT_ID.match(m.group(0)):
            yield (m.start(), m.end(), "ID")
    for m in _LONG_NUM.finditer(text):
        yield (m.start(), m.end(), "ID")
    for m in _VIN.finditer(text):
        yield (m.start(), m.end(), "ID")
    for m in _PLATE.finditer(text):
        if re.search(r"\d", m.group(1)) or m.group(1).isupper():
            yield _groups(m, 1, "ID")

    for m in _STREET.finditer(text):
        # "2:15 today with Dr. Farouk" is a time and a title, not "15 ... Dr."
        if text[m.start() - 1 : m.start()] in (":", ".", ",") and m.start() > 0:
            continue
        yield (m.start(), m.end(), "ADDRESS")
        cm = _CITY_AFTER_STREET.match(text, m.end())
        if cm is not None and cm.group(1).lower() not in _NOT_CITY:
            # "77 RIVER RD, SPRING GREEN.": the words after the street line are its town
            yield _groups(cm, 1, "LOCATION")
    for m in _STREET_BARE.finditer(text):
        if not (_TITLE_AFTER.match(text, m.end(1)) and re.search(r"\bdr\.?$", m.group(1), _I)):
            yield _groups(m, 1, "ADDRESS")
    for m in _STREET_BARE_ANYCASE.finditer(text):
        if not (_TITLE_AFTER.match(text, m.end(1)) and re.search(r"\bdr\.?$", m.group(1), _I)):
            yield _groups(m, 1, "ADDRESS")
    for m in _STREET_MODIFIER.finditer(text):
        g = 1 if m.group(1) else 2
        if not (g == 1 and re.search(r"\bDr\.?$", m.group(1)) and _TITLE_AFTER.match(text, m.end(1))):
            yield _groups(m, g, "ADDRESS")
    for m in _SHOP_ON.finditer(text):
        yield _groups(m, 1, "ADDRESS")
    for m in _DESCRIBED_PLACE.finditer(text):
        yield (m.start(), m.end(), "ADDRESS")
    for m in _INTERSECTION.finditer(text):
        g = 1 if m.group(1) else 2
        yield _groups(m, g, "ADDRESS")
    for m in _UNIT_ONLY.finditer(text):
        yield (m.start(), m.end(), "ADDRESS")
    for m in _PO_BOX.finditer(text):
        yield (m.start(), m.end(), "ADDRESS")
    for m in _RURAL.finditer(text):
        yield (m.start(), m.end(), "ADDRESS")
    for m in _ROUTE.finditer(text):
        yield (m.start(), m.end(), "ADDRESS")
    for m in _ST_ZIP.finditer(text):
        if m.group(1).isupper() or text[m.start(1) - 2 : m.start(1)].strip() in (",", ""):
            yield _groups(m, 1, "LOCATION")
            yield _groups(m, 2, "ZIP")
            line_start = text.rfind("\n", 0, m.start()) + 1
            before = text[max(line_start, m.start() - 40) : m.start()]
            cm = _CITY_BEFORE_CAP.search(before) or _CITY_BEFORE.search(before)
            if cm is not None and cm.group(1).lower() not in ("in", "at", "to", "from", "of", "the"):
                offset = m.start() - len(before)
                yield (offset + cm.start(1), offset + cm.end(1), "LOCATION")
    for m in _CITY_ST.finditer(text):
        if m.group(2) in _STATE_WORDS:  # "Nguyen, PA-C", "Lee, MD": credentials, not states
            continue
        yield _groups(m, 1, "LOCATION")
        yield _groups(m, 2, "LOCATION")
    for m in _CITY_ST_LINE.finditer(text):
        yield _groups(m, 1, "LOCATION")
        yield _groups(m, 2, "LOCATION")
    for m in _ZIP_CTX.finditer(text):
        yield _groups(m, 1, "ZIP")
    for m in _COUNTY.finditer(text):
        yield (m.start(), m.end(), "LOCATION")

    yield from _employer(text)
    for m in _ORG_PREFIX.finditer(text):
        yield (m.start(), m.end(), "ORGANIZATION")
    for m in _ORG.finditer(text):
        o_start, o_end = m.start(), m.end()
        words = m.group(0).split()
        # drop leading function words and chains ("the", "CVS")
        while words and words[0].lower() in _NOT_ORG_WORDS:
            o_start = text.index(words[0], o_start) + len(words[0])
            while o_start < o_end and text[o_start].isspace():
                o_start += 1
            words = words[1:]
        if m.group(0).isupper():
            # ALL-CAPS text makes every word look capitalised: "HARRIS IS ON THE SCHOOL" is a sentence, so
            # the name starts after its last function word
            cut = max((i for i, w in enumerate(words) if w.lower() in _CAPS_FUNCTION), default=-1)
            if cut >= 0:
                for w in words[: cut + 1]:
                    o_start = text.index(w, o_start) + len(w)
                while o_start < o_end and text[o_start].isspace():
                    o_start += 1
                words = words[cut + 1 :]
                if _ORG_KIND_ONLY.fullmatch(text, o_start, o_end):
                    continue  # "THE NURSING HOME": the kind alone names no one
        if len(words) >= 2:
            yield (o_start, o_end, "ORGANIZATION")
    for m in _AMP_ORG.finditer(text):
        words = [w.lower() for w in m.group(0).split() if w != "&"]
        if not any(w in _NOT_ORG_WORDS for w in words):
            yield (m.start(), m.end(), "ORGANIZATION")
    for m in _TITLE_LINE.finditer(text):
        yield _groups(m, 1, "ORGANIZATION")
    for m in _ORG_APPOS.finditer(text):
        words = m.group(1).split()
        if not all(w.lower().strip(".,") in _NOT_ORG_WORDS for w in words):
            yield _groups(m, 1, "ORGANIZATION")
    for m in _WORK_AT.finditer(text):
        org = m.group(1)
        words = org.split()
        if words and words[0].lower() == "the":
            words = words[1:]
        if words and not all(w.lower().strip(".,") in _NOT_ORG_WORDS for w in words):
            yield (m.start(1) + (4 if org.lower().startswith("the ") else 0), m.end(1), "ORGANIZATION")
