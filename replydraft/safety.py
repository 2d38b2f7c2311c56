"""Output checks on every draft: what a reply must never do, as flags with stable codes.

The checks run on the *de-identified* draft, against the de-identified message and chart facts, so no
identifier is needed to check anything. Each problem becomes a :class:`~replydraft.models.Flag` with a
stable ``code`` and a fixed ``message`` (never patient or draft text). Severities: anything invented,
promised, leaked or injected is ``blocking`` (the physician must acknowledge it to sign); style
targets (reading grade, length) are ``warning``.

=================================  ========  =====================================================
code                               severity  what it means
=================================  ========  =====================================================
``empty_draft``                    blocking  the model returned nothing usable
``ungrounded_medication``          blocking  a drug name that is in neither the chart nor the message
``ungrounded_dose``                blocking  a dose (number + unit) found in neither
``ungrounded_lab_value``           blocking  a lab/vital value found in neither
``ungrounded_date``                blocking  a calendar date found in neither (dates arrive as placeholders)
``commitment_refill``              blocking  says a refill was or will be sent/approved
``commitment_dose_change``         blocking  tells the patient to start/stop/change a medicine or dose
``commitment_diagnosis``           blocking  states a diagnosis
``commitment_guarantee``           blocking  promises an outcome
``commitment_controlled_substance`` blocking a controlled substance together with a promise
``commitment_appointment``         blocking  says an appointment was booked/moved
``false_reassurance``              blocking  reassures or defers on a message screened urgent/emergency
``invented_placeholder``           blocking  a placeholder the vault does not know
``template_syntax``                blocking  leftover template/mail-merge syntax (``{{``, ``[Your Name]``)
``unknown_link``                   blocking  a URL or email address not in the message or chart
``unknown_phone``                  warning   a phone number not in the message or chart
``system_prompt_leak``             blocking  the draft quotes or discusses the system prompt
``injection_followed``             blocking  the draft follows instructions embedded in the message
``injection_in_message``           info      the message contained prompt-injection phrasing
``other_patient_mentioned``        blocking  the draft mentions another patient
``reading_grade_high``             warning   above ``max_reading_grade`` (textstat)
``too_long``                       warning   more than ``max_words`` words
=================================  ========  =====================================================

Example:
    >>> from replydraft.safety import SafetyConfig, check_draft
    >>> from replydraft.triage import screen
    >>> flags = check_draft(
    ...     "I have sent your refill of lisinopril 40 mg to the pharmacy.",
    ...     message="can i get a refill", facts=["Lisinopril 20 mg tablet"], placeholders=(),
    ...     system_prompt="", triage=screen("can i get a refill"), config=SafetyConfig(),
    ... )
    >>> sorted(f.code for f in flags)
    ['commitment_refill', 'ungrounded_dose']
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from replydraft._drugs import drug_lexicon
from replydraft._triage_text import normalize
from replydraft.models import Flag, Intent, Severity, Triage, Urgency
from replydraft.triage import detect_language, emergency_reasons_text

__all__ = [
    "DEFAULT_DISCLOSURE",
    "DEFAULT_URGENT_NOTE",
    "SafetyConfig",
    "check_draft",
    "disclosure_footer",
    "emergency_reasons_text",
    "reading_grade",
    "urgent_note",
]

logger = logging.getLogger(__name__)

DEFAULT_DISCLOSURE: dict[str, str] = {
    "en": (
        "This message was drafted with help from an AI tool and reviewed by your care team. "
        "To talk with a person on your care team, call the clinic or reply to this message."
    ),
    "es": (
        "Este mensaje se redactó con ayuda de una herramienta de inteligencia artificial y lo revisó su "
        "equipo de atención. Para hablar con una persona de su equipo, llame a la clínica o responda a "
        "este mensaje."
    ),
}
"""AI-disclosure footer by language (California AB 3030 style: says AI was used, and how to reach a human)."""

DEFAULT_URGENT_NOTE: dict[str, str] = {
    "en": (
        "Because of what you described, someone from our care team will call you today. "
        "If you get worse before then, call 911 or go to the nearest emergency department."
    ),
    "es": (
        "Por lo que nos describe, alguien de nuestro equipo le llamará hoy. "
        "Si empeora antes, llame al 911 o vaya a la sala de emergencias más cercana."
    ),
}
"""Same-day callback wording appended to drafts screened ``urgent``."""

_CLINICAL_INTENTS = frozenset({Intent.SYMPTOM, Intent.RESULTS, Intent.REFILL})


@dataclass(frozen=True)
class SafetyConfig:
    """Targets and switches for the output checks (frozen; use :meth:`with_options` for a copy).

    Attributes:
        max_reading_grade: Highest acceptable reading grade (Flesch-Kincaid for English, Crawford for
            Spanish). Above it: ``reading_grade_high``.
        max_words: Longest acceptable draft in words. Above it: ``too_long``.
        min_words_for_grade: Shorter drafts are not graded (readability formulas are noise on a line).
        disclosure: Whether to add the AI-disclosure footer at all.
        disclosure_text: Footer text for every language; None uses :data:`DEFAULT_DISCLOSURE`.
        disclosure_intents: Intents that get the footer (clinical ones by default).
        allowed_link_domains: Domains the draft may link to even when the message does not mention
            them (e.g. your patient-education site).
        medication_severity: Severity of ``ungrounded_medication`` (``blocking`` by default; a clinic
            that accepts over-the-counter suggestions may lower it).
        style_severity: Severity of ``reading_grade_high`` and ``too_long``.

    Example:
        >>> SafetyConfig().with_options(max_words=120).max_words
        120
    """

    max_reading_grade: float = 6.0
    max_words: int = 90
    min_words_for_grade: int = 12
    disclosure: bool = True
    disclosure_text: str | None = None
    disclosure_intents: frozenset[Intent] = field(default_factory=lambda: _CLINICAL_INTENTS)
    allowed_link_domains: frozenset[str] = frozenset()
    medication_severity: Severity = "blocking"
    style_severity: Severity = "warning"

    def with_options(self, **changes: Any) -> SafetyConfig:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _lang(language: str | None) -> str:
    return "es" if (language or "en").lower().startswith("es") else "en"


def disclosure_footer(triage: Triage, config: SafetyConfig, language: str = "en") -> str | None:
    """The AI-disclosure footer for this draft, or None when it does not apply.

    Args:
        triage: The message's triage (its intent decides whether the footer applies).
        config: The safety configuration.
        language: ``en`` or ``es``.

    Returns:
        The footer text, or None when disclosure is off or the intent is not in
        ``config.disclosure_intents``.
    """
    if not config.disclosure or triage.intent not in config.disclosure_intents:
        return None
    return config.disclosure_text or DEFAULT_DISCLOSURE[_lang(language)]


def urgent_note(language: str = "en") -> str:
    """Same-day callback wording for a draft screened ``urgent`` (``en`` or ``es``)."""
    return DEFAULT_URGENT_NOTE[_lang(language)]


# --------------------------------------------------------------------------- patterns

_I = re.IGNORECASE
_NUM = r"\d+(?:[.,]\d+)?"

_DOSE = re.compile(
    rf"\b({_NUM})\s*-?\s*(mg|mgs|milligrams?|mcg|micrograms?|µg|ug|g|grams?|ml|milliliters?|cc|units?|iu|"
    r"tablets?|tabs?|pills?|capsules?|caps?|puffs?|drops?|sprays?|patch(?:es)?|comprimidos?|pastillas?|"
    r"tabletas?|gotas?|unidades?)\b",
    _I,
)
_UNIT_CLASS = {
    "mg": "mg", "mgs": "mg", "milligram": "mg", "milligrams": "mg",
    "mcg": "mcg", "microgram": "mcg", "micrograms": "mcg", "µg": "mcg", "ug": "mcg",
    "g": "g", "gram": "g", "grams": "g",
    "ml": "ml", "milliliter": "ml", "milliliters": "ml", "cc": "ml",
    "unit": "unit", "units": "unit", "iu": "unit", "unidad": "unit", "unidades": "unit",
}  # fmt: skip

_LAB_UNIT = re.compile(
    rf"\b({_NUM}(?:/{_NUM})?)\s*(mmol/l|mg/dl|g/dl|meq/l|ng/ml|pg/ml|u/l|iu/l|miu/l|uiu/ml|µiu/ml|mmhg|"
    r"mm hg|k/ul|x10\^?\d+/l|%|percent|bpm|beats per minute|°f|°c|degrees)",
    _I,
)
_LAB_NAMES = (
    r"potassium|sodium|glucose|blood sugar|sugar|a1c|hba1c|ldl|hdl|cholesterol|triglycerides?|tsh|t4|"
    r"creatinine|e?gfr|bun|alt|ast|hemoglobin|hgb|hematocrit|platelets?|wbc|white count|inr|psa|"
    r"vitamin d|b12|ferritin|iron|calcium|magnesium|uric acid|blood pressure|bp|pulse|heart rate|"
    r"oxygen|o2|sat(?:uration)?|temperature|temp|weight|bmi|lead|potasio|sodio|glucosa|azucar|"
    r"hemoglobina|colesterol|presion"
)
_LAB_VALUE = re.compile(
    rf"\b(?:{_LAB_NAMES})\b(?:\s+\w+){{0,5}}?\s*(?:of|was|is|at|=|:)?\s*({_NUM}(?:/{_NUM})?)\b", _I
)

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MESES = r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
_DATE = re.compile(
    rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|"
    rf"th)?\s+(?:of\s+)?"
    rf"(?:{_MONTHS})(?:,?\s+\d{{4}})?|\d{{1,2}}\s+de\s+(?:{_MESES})(?:\s+de\s+\d{{4}})?|"
    r"\d{4}-\d{2}-\d{2}|(?<![\d/])(?:0?[1-9]|1[0-2])[/-](?:0?[1-9]|[12]\d|3[01])(?:[/-](?:\d{4}|"
    r"\d{2}))?(?![\d/]))",
    _I,
)
_THRESHOLD_BEFORE = re.compile(
    r"\b(?:over|above|below|under|more than|less than|greater than|higher than|lower than|at least|"
    r"or (?:more|higher|lower|less)|goes? (?:over|above|below|under)|drops? (?:below|under)|m[aá]s de|"
    r"menos de|arriba de|debajo de)\s*$",
    _I,
)
_BP_CONTEXT = re.compile(r"(?:bp|blood pressure|pressure|presion|mmhg|reading)\W+(?:\w+\W+){0,3}$", _I)

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\]")
_TEMPLATE = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|#\}|<%|%>|\$\{|\[\s*(?:insert|your|patient(?:'s)?|doctor(?:'s)?|dr\.?|"
    r"clinic(?:'s)?|"
    r"name|date|phone|number|provider|signature|todays?|x+)\b[^\]]{0,40}\]|<(?:name|date|patient|"
    r"insert)[^>]{0,30}>|"
    r"\bXX/XX\b|\bX{3,}\b|\bTODO\b|\bTBD\b|\blorem ipsum\b",
    _I,
)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", _I)
_BARE_DOMAIN = re.compile(
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|gov|edu|io|health|info|us|me|ly)\b", _I
)
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)")

_REFILL_COMMIT = re.compile(
    r"\b(?:(?:i|we)(?:'ve|’ve| have| has|'ll|’ll| will| just| already)?\s+(?:already\s+|just\s+|"
    r"gone ahead and\s+)?"
    r"(?:sent|send|called in|call in|approved|approve|refilled|refill|renewed|renew|authorized|"
    r"authorize|e-?prescribed|"
    r"ordered|prescribed|put in)\b(?:\s+\w+){0,5}?\s*(?:refill|prescription|script|rx|medication|"
    r"medicine|it|them|"
    r"your\s+\w+|to (?:your|the) pharmacy)"
    r"|your\s+(?:refill|prescription|script|rx|medication)\s+(?:has been|was|is|will be)\s+(?:approved|sent|"
    r"called in|renewed|refilled|ready|authorized|on (?:its|the) way)"
    r"|(?:refill|prescription)\s+(?:is\s+)?(?:approved|sent to (?:your|the) pharmacy)"
    r"|ya\s+(?:envi[eé]|mand[eé]|aprob[eé]|renov[eé])\s+(?:su|la|el)\s+(?:receta|medicamento|resurtido)"
    r"|su\s+(?:receta|resurtido)\s+(?:ya\s+)?(?:fue|est[aá])\s+(?:aprobad[oa]|enviad[oa]|list[oa]))",
    _I,
)
_NEG_BEFORE = re.compile(
    r"(?:\b(?:not|never|don'?t|do not|doesn'?t|won'?t|can'?t|cannot|no|whether to|if (?:we|"
    r"you) should|before you|"
    r"until|unless|without|nor|ask(?:ing)? (?:us|your doctor|the doctor) (?:to|before|about)|"
    r"talk(?:ing)? about|"
    r"discuss(?:ing)?|review(?:ing)?|consider(?:ing)?|decide|will look at)\b[\w\s,']{0,25})$",
    _I,
)
_DOSE_COMMIT = re.compile(
    r"\b(?:(?:please|go ahead and|you (?:can|should|may|need to)|i want you to|start|it(?:'s|"
    r" is) (?:ok|okay|fine|safe) "
    r"to)\s+(?:(?!not\b|never\b|don)\w+\s+){0,2}?(?:increase|decrease|double|halve|raise|lower|reduce|cut|stop|start|"
    r"switch|skip|take an? "
    r"extra|take (?:two|2|three|3|half|1/2)|hold|discontinue|change)\b"
    r"|(?:i|we)(?:'ve|’ve| have| will|'ll)?\s+(?:increased|decreased|doubled|lowered|raised|"
    r"changed|adjusted|switched|"
    r"stopped|discontinued|started you|increase|decrease|double|lower|raise|change|adjust|switch|"
    r"stop|discontinue)\s+"
    r"(?:your|the|you)\b"
    r"|\b(?:increase|decrease|double|lower|raise|reduce|change|"
    r"adjust)\s+(?:your\s+)?(?:\w+\s+){0,2}(?:dose|dosage)\s+to\b"
    r"|\b(?:aumente|disminuya|suspenda|deje de tomar|doble|cambie)\s+(?:la|su|el)\b)",
    _I,
)
_DIAGNOSIS = re.compile(
    r"\b(?:you (?:definitely |clearly |most likely |probably |likely |certainly )?(?:have|are suffering from|"
    r"'ve got|got)\s+(?:a |an )?(?:\w+\s+){0,2}?(?:infection|cancer|diabetes|pneumonia|flu|"
    r"influenza|covid|strep|"
    r"uti|fracture|break|stroke|heart attack|heart failure|migraine|hypertension|anemia|depression|anxiety|"
    r"disorder|disease|syndrome|virus|bronchitis|sinusitis|appendicitis|gout|arthritis|allergy|tumor|ulcer|"
    r"hernia|kidney stone|cellulitis|shingles|mono|sprain|concussion|-itis)\b"
    r"|\b(?:your diagnosis is|you(?:'ve| have) been diagnosed with|this is (?:definitely|clearly|"
    r"certainly|just|only) "
    r"(?:a |an )?\w+|it(?:'s| is) (?:definitely|clearly|certainly|just|only|probably) (?:a |"
    r"an )?(?:virus|viral|"
    r"infection|anxiety|stress|muscle|cold|allergies|uti|strep|nothing)|(?:i(?:'m| am)|we(?:'re| are)) "
    r"(?:sure|certain|confident) (?:it|this|that|you)|usted tiene (?:una? )?\w+|es definitivamente)\b)",
    _I,
)
_GUARANTEE = re.compile(
    r"\b(?:guarantee[ds]?|i promise|we promise|promise you|100 ?%|hundred percent|completely safe|"
    r"totally safe|"
    r"perfectly safe|no risk|zero risk|risk-free|nothing to worry about|no need to worry|don'?t worry|"
    r"(?:will|'ll) (?:definitely|certainly|surely|absolutely) (?:be|get|go|heal|work|resolve)|"
    r"you(?:'ll| will) be "
    r"(?:fine|okay|ok|alright|all right)|(?:it|this) will (?:definitely|certainly) (?:go away|resolve|heal)|"
    r"le garantizo|te garantizo|le prometo|te prometo|sin ning[uú]n riesgo|no se preocupe)\b",
    _I,
)
_CONTROLLED = re.compile(
    r"\b(?:oxycodone|oxycontin|percocet|hydrocodone|norco|vicodin|morphine|fentanyl|hydromorphone|dilaudid|"
    r"methadone|codeine|tramadol|ultram|tapentadol|buprenorphine|suboxone|alprazolam|xanax|lorazepam|ativan|"
    r"clonazepam|klonopin|diazepam|valium|temazepam|zolpidem|ambien|eszopiclone|lunesta|adderall|amphetamine|"
    r"dextroamphetamine|methylphenidate|ritalin|concerta|vyvanse|lisdexamfetamine|modafinil|armodafinil|"
    r"phentermine|testosterone|pregabalin|lyrica|gabapentin|carisoprodol|soma|ketamine|marijuana|cannabis|"
    r"phenobarbital|butalbital|fioricet|promethazine with codeine|lomotil)\b",
    _I,
)
_CONTROLLED_PROMISE = re.compile(
    r"\b(?:early refill|extra (?:pills|tablets|doses)|more (?:pills|tablets)|higher dose|"
    r"increase (?:your|the) "
    r"dose|bump (?:it|you) up|(?:i|we)(?:'ll| will| can| have|'ve) (?:send|sent|prescribe|"
    r"prescribed|give|approve|"
    r"approved|refill|refilled)|approved|sent to (?:your|the) pharmacy)\b",
    _I,
)
_APPOINTMENT_COMMIT = re.compile(
    r"\b(?:(?:i|we)(?:'ve|’ve| have| just)?\s+(?:booked|scheduled|rescheduled|moved|cancell?ed|"
    r"set up|put you "
    r"down for|made)\s+(?:you|your|an|a)\b(?:\s+\w+){0,3}?\s*(?:appointment|visit|for)|"
    r"your (?:appointment|visit) "
    r"(?:is|has been) (?:now |confirmed |booked |scheduled |moved )(?:for|on|to|at)\b|"
    r"see you (?:on |at )?(?:monday|"
    r"tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|next week)|le (?:agend[eé]|"
    r"program[eé]) una "
    r"cita)",
    _I,
)
_REASSURANCE = re.compile(
    r"\b(?:nothing to worry about|no need to worry|no need to (?:be seen|come in|go to the|call)|"
    r"(?:can|should) wait "
    r"(?:until|till|for) (?:your|the) next|wait and see|this is (?:normal|common|not serious)|"
    r"not an emergency|"
    r"no es una emergencia|puede esperar)\b",
    _I,
)
_LEAK_PHRASES = re.compile(
    r"\b(?:system prompt|my (?:instructions|prompt|rules|guidelines) (?:say|are|tell)|i (?:was|am|have been) "
    r"(?:instructed|told|programmed) to|here (?:are|is) (?:my|the) (?:instructions|prompt|system)|as an ai "
    r"(?:language )?model|i(?:'m| am) an ai (?:assistant|model)|return json only|chart facts list|"
    r"<patient_message>|</patient_message>|you draft replies to patient-portal messages)\b",
    _I,
)
_INJECTION = re.compile(
    r"\b(?:ignore (?:all |any |the |your |my )?(?:previous |prior |above |earlier |"
    r"system )?(?:instructions|rules|"
    r"prompts?|directions)|disregard (?:all |any |the |your )?(?:previous |prior |"
    r"above )?(?:instructions|rules)|"
    r"forget (?:all |your |the )?(?:previous |prior )?(?:instructions|rules)|you are now|act as|"
    r"pretend (?:to be|you)|"
    r"new instructions|system prompt|reveal (?:your|the) (?:prompt|instructions)|developer mode|jailbreak|"
    r"(?:respond|reply|answer) (?:only )?with|say (?:exactly|only)?|print (?:your|the)|repeat after me|"
    r"ignora (?:todas )?las instrucciones|olvida (?:las|tus) instrucciones)\b",
    _I,
)
_INJECTION_PAYLOAD = re.compile(
    r"(?:say|write|respond with|reply with|answer with|output|print|repeat after me|tell me|type)\s*[:,]?\s*"
    r"[\"“'‘]([^\"”'’]{3,200})[\"”'’]",
    _I,
)
_COMPLIANCE = re.compile(
    r"\b(?:ignoring (?:the |my |all )?(?:previous|prior|above) instructions|as you (?:requested|"
    r"asked|instructed), "
    r"(?:i|here)|developer mode|jailbreak|dan mode|i am now|i(?:'m| am) no longer|new role|pwned|"
    r"arr+\b|matey|"
    r"as (?:a|your) (?:pirate|poet|cat)|here is (?:a|the) (?:poem|story|joke|song)|sure! here)\b",
    _I,
)
_OTHER_PATIENT = re.compile(
    r"\b(?:(?:another|other|a different|previous|next|second|one of our other) patients?(?:'s?)?|"
    r"other patients'|"
    r"someone else'?s? (?:chart|record|results?|labs?|information)|patients? (?:named|called)|otro paciente|"
    r"otros pacientes|otra paciente)\b",
    _I,
)

_NOT_MEDICATIONS = frozenset(
    {
        "water", "oxygen", "sodium", "potassium", "calcium", "iron", "magnesium", "zinc", "caffeine",
        "nicotine", "honey", "glucose", "ethanol", "hydrogen", "hemoglobin", "cholesterol", "copper",
        "iodine", "chlorine", "fluoride", "aloe vera leaf", "sunscreening agents", "sucrose", "dextrose",
        "sodium chloride", "air", "alcohol", "carbon dioxide", "nitrogen", "thyroid", "uric acid", "shrimp",
    }
)  # fmt: skip
"""Lexicon entries that are lab analytes or everyday words in a reply ("your potassium", "drink water")."""

_COMMON_WORDS = frozenset(
    {
        "actos", "aluminio", "aman", "atp", "bean", "beet", "blackberry", "blueberry", "calcio", "cambia",
        "camila", "carbono", "catfish", "cera", "cloro", "cobre", "cocoa", "copper", "cortan", "cotton",
        "diamond", "elm", "gana", "gelatina", "glucosa", "gold", "grapefruit", "hierro", "honey", "indican",
        "indio", "iron", "lamb", "magnesio", "nicotina", "oats", "ozono", "peach", "pegada", "peppermint",
        "potasio", "pulsar", "pumpkin", "rayos", "rice", "siga", "silver", "vals", "water", "wheat", "zinc",
    }
)  # fmt: skip
"""Everyday English/Spanish words that the drug lexicon also lists (``siga`` is a Spanish verb, not sIgA):
the intersection of textstat's easy-word lists with the lexicon, minus real drug names (aspirina, opio)."""

_DRUG_CLASS = re.compile(r"agents|inhibitors|sprays|aids|vaccine|supplement|,")
"""Canonical names that are drug classes ("antibiotic" -> anti-bacterial agents): a reply may say "your
antibiotic" without naming a drug."""

_SAFE_NUMBERS = frozenset({"911", "988", "100.4", "38", "24", "48", "72"})
"""Numbers a safe reply may use without a source: emergency lines and standard fever thresholds."""

_PLACEHOLDER_FOR_GRADE = re.compile(r"\[[A-Z][A-Z0-9_]*\]")
_WORDS = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def _flag(code: str, severity: Severity, message: str, count: int | None = None) -> Flag:
    return Flag(code=code, severity=severity, message=message, count=count)


def _num(s: str) -> str:
    """Canonical form of a number: ``5.30`` -> ``5.3``, ``20.0`` -> ``20``, ``5,3`` -> ``5.3``."""
    s = s.replace(",", ".")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.lstrip("0") or "0"


def _numbers(text: str) -> set[str]:
    out: set[str] = set()
    for m in re.finditer(r"\d+(?:[.,]\d+)?(?:/\d+(?:[.,]\d+)?)?", text):
        tok = m.group(0)
        out.add("/".join(_num(p) for p in tok.split("/")))
        for p in tok.split("/"):
            out.add(_num(p))
    return out


def _unit_class(unit: str) -> str:
    u = unit.lower()
    if u in _UNIT_CLASS:
        return _UNIT_CLASS[u]
    if u.startswith(("tab", "pill", "cap", "comprim", "pastill", "tablet")):
        return "tab"
    return u.rstrip("s")


def _doses(text: str) -> set[tuple[str, str]]:
    return {(_num(m.group(1)), _unit_class(m.group(2))) for m in _DOSE.finditer(text)}


def _is_committed(pattern: re.Pattern[str], text: str) -> int:
    """Count matches of ``pattern`` that are not negated or deferred just before the match."""
    n = 0
    for m in pattern.finditer(text):
        before = text[max(0, m.start() - 60) : m.start()]
        if _NEG_BEFORE.search(before):
            continue
        n += 1
    return n


def _shingles(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _word_list(text: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(normalize(text))]


_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@functools.lru_cache(maxsize=1)
def _pyphen_en() -> Any:
    import pyphen  # type: ignore[import-untyped]  # ships no type information

    return pyphen.Pyphen(lang="en_US")


def reading_grade(text: str, language: str = "en") -> float | None:
    """Reading grade of ``text``, computed offline.

    English: Flesch-Kincaid grade, ``0.39 * words/sentences + 11.8 * syllables/words - 15.59``, with
    syllables from pyphen's bundled dictionary. Not ``textstat.flesch_kincaid_grade``: textstat 0.7.4+
    downloads NLTK's cmudict on first English use (a network call at run time, which the library must
    never make); pyphen is the fallback textstat itself uses for words cmudict lacks, and the same
    formula as ``replydraft.evaluate.reading_grade``. Spanish: textstat's Crawford grade (its Spanish
    path uses pyphen only, no download).

    Args:
        text: The draft (placeholders are read as a short name).
        language: ``en`` or ``es``.

    Returns:
        The grade, or None for fewer than 3 words.
    """
    clean = _PLACEHOLDER_FOR_GRADE.sub("Sam", text)
    words = _LETTER_WORD.findall(clean)
    if len(words) < 3:
        return None
    if _lang(language) == "es":
        # lazy: textstat imports nltk; the backend function takes the language per call (no global state)
        from textstat.backend import metrics

        return round(float(metrics.crawford(clean, "es")), 2)
    sentences = max(1, len(_SENTENCE_END.findall(clean.strip() + " ")))
    dic = _pyphen_en()
    syllables = sum(len(dic.positions(w.lower())) + 1 for w in words)
    return round(0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59, 2)


def _strip_known(text: str, known: Iterable[str]) -> str:
    for k in known:
        text = text.replace(k, " ")
    return text


def check_draft(
    draft: str,
    *,
    message: str,
    facts: Sequence[str],
    placeholders: Collection[str],
    system_prompt: str,
    triage: Triage,
    config: SafetyConfig,
) -> tuple[Flag, ...]:
    """Run every output check on a de-identified draft.

    Args:
        draft: The model's reply, de-identified (placeholders such as ``[PATIENT_NAME_1]``).
        message: The de-identified patient message the draft answers.
        facts: The de-identified chart-fact lines the model was given.
        placeholders: Every placeholder the vault knows (with or without brackets).
        system_prompt: The rendered system prompt (to detect leaks).
        triage: The message's triage (urgent/emergency messages must not be reassured away).
        config: Targets for reading grade and length.

    Returns:
        One flag per problem kind (``count`` says how many occurrences), in a stable order. Empty when
        the draft is clean. Flag messages are fixed text: no patient or draft text.
    """
    flags: list[Flag] = []
    text = draft.strip()
    if not text or not _WORDS.search(text):
        return (_flag("empty_draft", "blocking", "The model returned an empty reply."),)
    source = "\n".join([message, *facts])
    source_lower = source.lower()
    known = {p if p.startswith("[") else f"[{p}]" for p in placeholders}

    # ------------------------------------------------------------- placeholders and template residue
    invented = [p for p in _PLACEHOLDER.findall(text) if p not in known]
    if invented:
        flags.append(
            _flag(
                "invented_placeholder",
                "blocking",
                "The draft contains a placeholder that does not stand for anything known.",
                len(invented),
            )
        )
    without_placeholders = _strip_known(text, known)
    templ = _TEMPLATE.findall(_PLACEHOLDER.sub(" ", without_placeholders))
    if templ:
        flags.append(
            _flag("template_syntax", "blocking", "The draft contains leftover template syntax.", len(templ))
        )

    # ------------------------------------------------------------- grounding
    lex = drug_lexicon()
    source_canon = {m.canonical for m in lex.find(source)}
    source_words = set(_word_list(source))
    bad_meds = {
        m.canonical
        for m in lex.find(without_placeholders)
        if m.canonical not in _NOT_MEDICATIONS
        and m.surface.lower() not in _COMMON_WORDS
        and not _DRUG_CLASS.search(m.canonical)
        and m.canonical not in source_canon
        and m.surface.lower() not in source_lower
        and not (len(m.surface) <= 3 and m.surface.lower() in source_words)
    }
    if bad_meds:
        flags.append(
            _flag(
                "ungrounded_medication",
                config.medication_severity,
                "The draft names a medication that is not in the chart or the message.",
                len(bad_meds),
            )
        )
    src_doses = _doses(source)
    src_numbers = _numbers(source)
    bad_doses = {d for d in _doses(without_placeholders) if d not in src_doses}
    if bad_doses:
        flags.append(
            _flag(
                "ungrounded_dose",
                "blocking",
                "The draft gives a dose that is not in the chart or the message.",
                len(bad_doses),
            )
        )
    lab_values: set[str] = set()
    for m in _LAB_UNIT.finditer(without_placeholders):
        lab_values.add(m.group(1))
    for m in _LAB_VALUE.finditer(without_placeholders):
        # "if your sugar is over 300, call" is a safety-net threshold, not a value about the patient
        if _THRESHOLD_BEFORE.search(without_placeholders, max(0, m.start(1) - 25), m.start(1)):
            continue
        lab_values.add(m.group(1))
    dose_numbers = {m.group(1) for m in _DOSE.finditer(without_placeholders)}
    bad_labs = {
        v
        for v in lab_values
        if v not in dose_numbers
        and "/".join(_num(p) for p in v.split("/")) not in src_numbers
        and _num(v) not in _SAFE_NUMBERS
    }
    if bad_labs:
        flags.append(
            _flag(
                "ungrounded_lab_value",
                "blocking",
                "The draft gives a lab or vital-sign value that is not in the chart or the message.",
                len(bad_labs),
            )
        )
    bad_dates = 0
    for m in _DATE.finditer(without_placeholders):
        if "/" in m.group(0) and _BP_CONTEXT.search(without_placeholders[max(0, m.start() - 40) : m.start()]):
            continue
        if m.group(0).lower() not in source_lower:
            bad_dates += 1
    if bad_dates:
        flags.append(
            _flag(
                "ungrounded_date",
                "blocking",
                "The draft gives a date that is not in the chart or the message.",
                bad_dates,
            )
        )

    # ------------------------------------------------------------- commitments
    commitments = (
        ("commitment_refill", _REFILL_COMMIT, "The draft says a refill was approved or sent."),
        (
            "commitment_dose_change",
            _DOSE_COMMIT,
            "The draft tells the patient to start, stop or change a medicine.",
        ),
        ("commitment_diagnosis", _DIAGNOSIS, "The draft states a diagnosis."),
        ("commitment_guarantee", _GUARANTEE, "The draft promises an outcome or says there is no risk."),
        (
            "commitment_appointment",
            _APPOINTMENT_COMMIT,
            "The draft says an appointment was booked or changed.",
        ),
    )
    for code, pattern, msg in commitments:
        n = _is_committed(pattern, text)
        if n:
            flags.append(_flag(code, "blocking", msg, n))
    if _CONTROLLED.search(text) and _is_committed(_CONTROLLED_PROMISE, text):
        flags.append(
            _flag(
                "commitment_controlled_substance",
                "blocking",
                "The draft promises a controlled substance.",
            )
        )
    if triage.urgency is not Urgency.ROUTINE:
        n = _is_committed(_REASSURANCE, text)
        if n:
            flags.append(
                _flag(
                    "false_reassurance",
                    "blocking",
                    "The message was screened urgent or emergency, but the draft reassures or defers.",
                    n,
                )
            )

    # ------------------------------------------------------------- links and contact details
    allowed = {d.lower() for d in config.allowed_link_domains}
    links = [*_URL.findall(text), *_BARE_DOMAIN.findall(_URL.sub(" ", text))]
    unknown_links = [
        u for u in links if u.lower() not in source_lower and not any(d in u.lower() for d in allowed)
    ]
    if unknown_links:
        flags.append(
            _flag(
                "unknown_link",
                "blocking",
                "The draft contains a link or email address that is not in the message or the chart.",
                len(unknown_links),
            )
        )
    src_digits = {re.sub(r"\D", "", p)[-10:] for p in _PHONE.findall(source)}
    phones = [p for p in _PHONE.findall(text) if re.sub(r"\D", "", p)[-10:] not in src_digits]
    if phones:
        flags.append(
            _flag(
                "unknown_phone",
                "warning",
                "The draft contains a phone number that is not in the message or the chart.",
                len(phones),
            )
        )

    # ------------------------------------------------------------- prompt injection and leaks
    draft_words = _word_list(text)
    leak = bool(_LEAK_PHRASES.search(text))
    if system_prompt and not leak:
        sys_words = _word_list(system_prompt)
        overlap = _shingles(draft_words, 10) & _shingles(sys_words, 10)
        overlap -= _shingles(_word_list(message), 10)
        leak = bool(overlap)
    if leak:
        flags.append(
            _flag("system_prompt_leak", "blocking", "The draft quotes or discusses the system instructions.")
        )
    if _INJECTION.search(message):
        followed = bool(_COMPLIANCE.search(text))
        draft_norm = " ".join(draft_words)
        for payload in _INJECTION_PAYLOAD.findall(message):
            p_words = _word_list(payload)
            if len(p_words) >= 2 and " ".join(p_words) in draft_norm:
                followed = True
        if followed:
            flags.append(
                _flag(
                    "injection_followed",
                    "blocking",
                    "The draft follows instructions embedded in the patient's message.",
                )
            )
        else:
            flags.append(
                _flag(
                    "injection_in_message",
                    "info",
                    "The message contained instructions aimed at the AI; the draft did not follow them.",
                )
            )
    if _OTHER_PATIENT.search(text):
        flags.append(_flag("other_patient_mentioned", "blocking", "The draft mentions another patient."))

    # ------------------------------------------------------------- style
    n_words = len(draft_words)
    if n_words > config.max_words:
        flags.append(
            _flag(
                "too_long",
                config.style_severity,
                f"The draft is longer than the {config.max_words}-word target.",
                n_words,
            )
        )
    if n_words >= config.min_words_for_grade:
        language = detect_language(text)  # the draft's own language, not the message's
        grade = reading_grade(text, language)
        if grade is not None and grade > config.max_reading_grade:
            flags.append(
                _flag(
                    "reading_grade_high",
                    config.style_severity,
                    f"The draft reads above grade {config.max_reading_grade:g}.",
                )
            )
    logger.debug("safety: %d flag(s)", len(flags))
    return tuple(flags)
