"""Relevance selection: the few chart facts a reply needs, within a token budget (pure, no I/O).

:func:`select_context` turns a :class:`~replydraft.models.ChartContext` into a short list of
one-line facts, each with the citation id (``ResourceType/id``) of the resource it came from. Dates are
rendered relative to ``now`` ("3 weeks ago", "in 5 days"); patient names, dates of birth, MRNs and
addresses never appear in a fact (the age does, capped at "90+" as HIPAA Safe Harbor requires).

Priority order (highest first). Facts are added in this order while they fit the budget; the first
fact that does not fit, and every fact after it, is recorded in ``dropped``:

1. the patient line (age, sex, "no allergies recorded" when there are none);
2. allergies, always, active ones first;
3. the intent's primary facts:

   * refill: the requested active medications (brand or generic, fuzzy match) with dose, last fill,
     refills and prescriber, then the monitoring labs their drug classes need, latest value each
     (ACE inhibitors/ARBs -> potassium, creatinine, eGFR; metformin -> A1c, eGFR; statins -> lipids,
     ALT; warfarin -> INR; levothyroxine -> TSH ...). No match: every active medication;
   * results: the latest value of each lab the message asks about (name or topic, e.g. "kidney",
     "cholesterol"), with range and flag, then the value before it (the trend); nothing named: the
     latest lab draw, abnormal results first;
   * symptom: active problems, active medications, the latest vital signs, recent encounters;
   * scheduling: upcoming appointments, then the last encounter;
   * forms, billing, other: active problems and medications;

4. secondary context: other active medications, then active problems (refill); active problems,
   then medications (results); abnormal recent labs (symptom); active problems (scheduling).

Labs a drug needs or a message asks about that the chart lacks are listed in ``missing_labs``; drugs
the message names that are not on the active list, in ``unmatched_drugs``.

Token counts use :func:`estimate_tokens`, a deliberately pessimistic character-class estimate (see its
docstring): it over-counts, so the real prompt stays within the budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from rapidfuzz import fuzz

from replydraft._drugs import drug_lexicon
from replydraft.models import (
    Allergy,
    Appointment,
    ChartContext,
    Encounter,
    Intent,
    Medication,
    Observation,
    Problem,
)

from ._knowledge import _STOP_WORDS, _WORD, DRUG_CLASSES, LABS, TOPICS

__all__ = ["DEFAULT_TOKEN_BUDGET", "SelectedContext", "SelectedFact", "estimate_tokens", "select_context"]

DEFAULT_TOKEN_BUDGET = 1500
"""Prompt tokens of chart context, by :func:`estimate_tokens`."""

_RECENT_ENCOUNTERS = 3
_MAX_VITALS = 6
_MAX_ABNORMAL = 5
_FUZZY_MIN = 85


# --------------------------------------------------------------------------- output types


@dataclass(frozen=True)
class SelectedFact:
    """One chart fact for the prompt."""

    citation_id: str
    """``ResourceType/id`` of the source resource."""
    section: str
    """patient | allergies | medications | labs | vitals | problems | appointments | encounters."""
    text: str
    """One line, dates relative to ``now``; never the patient's name, DOB, MRN or address."""

    def as_prompt_line(self) -> str:
        """``[citation_id] section: text`` (the exact line the token estimate counts)."""
        return f"[{self.citation_id}] {self.section}: {self.text}"


@dataclass(frozen=True)
class SelectedContext:
    """What relevance selection chose, in priority order.

    Attributes:
        facts: The facts that fit the budget, highest priority first.
        dropped: Citation ids of relevant facts cut by the budget, in priority order.
        token_estimate: :func:`estimate_tokens` of the prompt lines (one newline each).
        token_budget: The budget applied.
        intent: The intent the selection was made for.
        unmatched_drugs: Drugs the message names (lexicon canonical names) that match no active
            medication (a refill of something not on the list: the reviewer should know).
        missing_labs: Monitoring labs the requested drugs need that the chart does not hold (refill),
            or labs the message asks about that it does not hold (results), e.g. ``("inr",)``.
    """

    facts: tuple[SelectedFact, ...]
    dropped: tuple[str, ...] = ()
    token_estimate: int = 0
    token_budget: int = DEFAULT_TOKEN_BUDGET
    intent: Intent = Intent.OTHER
    unmatched_drugs: tuple[str, ...] = field(default=())
    missing_labs: tuple[str, ...] = field(default=())

    @property
    def citation_ids(self) -> tuple[str, ...]:
        """Citation ids of the selected facts, in order."""
        return tuple(f.citation_id for f in self.facts)

    def as_prompt_lines(self) -> tuple[str, ...]:
        """One ``[citation_id] section: text`` line per fact."""
        return tuple(f.as_prompt_line() for f in self.facts)

    def section(self, name: str) -> tuple[SelectedFact, ...]:
        """The facts of one section, in order."""
        return tuple(f for f in self.facts if f.section == name)


# --------------------------------------------------------------------------- token estimate

_PIECE = re.compile(r"[A-Za-z]+|\d|[^\sA-Za-z\d]")


def estimate_tokens(text: str) -> int:
    """A cheap, pessimistic token count for BPE tokenizers.

    Letters count one token per 4 characters of each word (rounded up), every digit one token (Llama,
    SmolLM2 and Qwen split numbers into single digits), every other non-space character one token. On
    chart lines (drug names, LOINC names, UUID citation ids) this over-counts GPT-style tokenizers and
    matches digit-splitting ones within a few per cent (figures in ``benchmarks/chart.py``).

    Args:
        text: Any text.

    Returns:
        The estimated number of tokens.
    """
    total = 0
    for piece in _PIECE.findall(text):
        total += math.ceil(len(piece) / 4) if piece[0].isalpha() else 1
    return total


# --------------------------------------------------------------------------- rendering


def relative(when: datetime | date | None, now: datetime) -> str:
    """Render ``when`` relative to ``now``: "today", "3 weeks ago", "in 5 days", "2 years ago"."""
    if when is None:
        return "date unknown"
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    days = (_aware(now).date() - when.astimezone(_aware(now).tzinfo).date()).days
    future = days < 0
    n = abs(days)
    if n == 0:
        return "today"
    if n == 1:
        return "tomorrow" if future else "yesterday"
    if n < 14:
        amount = f"{n} days"
    elif n < 60:
        amount = f"{n // 7} weeks"
    elif n < 730:
        amount = f"{n // 30} months"
    else:
        amount = f"{n // 365} years"
    return f"in {amount}" if future else f"{amount} ago"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _age(birth: date | None, now: datetime) -> str | None:
    if birth is None:
        return None
    today = _aware(now).date()
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if years < 0:
        return None
    # HIPAA Safe Harbor: ages over 89 are identifiers; aggregate them
    return "90+" if years >= 90 else str(years)


def _patient_line(ctx: ChartContext, now: datetime) -> str:
    bits: list[str] = []
    age = _age(ctx.patient.birth_date, now)
    sex = ctx.patient.gender if ctx.patient.gender in ("male", "female") else None
    if age and sex:
        bits.append(f"{age}-year-old {sex}")
    elif age:
        bits.append(f"age {age}")
    elif sex:
        bits.append(sex)
    if not ctx.allergies:
        bits.append("no allergies recorded")
    return "; ".join(bits) or "demographics not recorded"


def _allergy_line(a: Allergy) -> str:
    extra: list[str] = []
    if a.clinical_status and a.clinical_status != "active":
        extra.append(a.clinical_status)
    if a.verification_status and a.verification_status not in ("confirmed",):
        extra.append(a.verification_status)
    if a.criticality == "high":
        extra.append("high criticality")
    if a.reactions:
        extra.append("reaction: " + ", ".join(a.reactions[:3]))
    return a.substance + (f" ({'; '.join(extra)})" if extra else "")


def _med_line(m: Medication, now: datetime) -> str:
    bits = [m.name]
    if m.dosage:
        bits.append(m.dosage)
    if m.last_fill:
        bits.append(f"last filled {relative(m.last_fill, now)}")
    if m.refills_remaining is not None:
        bits.append(f"{m.refills_remaining} refills left")
    if m.authored_on:
        bits.append(f"ordered {relative(m.authored_on, now)}")
    if m.prescriber:
        bits.append(f"prescriber {m.prescriber}")
    return "; ".join(bits)


def _obs_line(o: Observation, now: datetime) -> str:
    detail: list[str] = []
    if o.interpretation:
        detail.append(o.interpretation)
    if o.reference_range:
        detail.append(f"ref {o.reference_range}")
    value = o.value or "no value"
    return (
        f"{o.name} {value}"
        + (f" ({'; '.join(detail)})" if detail else "")
        + f", {relative(o.effective, now)}"
    )


def _problem_line(p: Problem, now: datetime) -> str:
    status = "" if p.clinical_status in (None, "active") else f" ({p.clinical_status})"
    onset = f", onset {relative(p.onset, now)}" if p.onset else ""
    return f"{p.name}{status}{onset}"


def _appt_line(a: Appointment, now: datetime) -> str:
    bits = [a.description or "appointment", relative(a.start, now)]
    if a.status and a.status != "booked":
        bits.append(a.status)
    if a.practitioner:
        bits.append(f"with {a.practitioner}")
    return ", ".join(bits)


def _encounter_line(e: Encounter, now: datetime) -> str:
    reason = f" for {e.reason}" if e.reason else ""
    return f"{e.type or 'visit'}{reason}, {relative(e.start, now)}"


# --------------------------------------------------------------------------- matching


def _lab_key(o: Observation) -> str | None:
    name = o.name.lower()
    for key, (codes, patterns) in LABS.items():
        if (o.code and o.code in codes) or name.startswith(patterns):
            return key
    return None


def _latest_by_test(observations: Iterable[Observation]) -> list[Observation]:
    """The newest observation of each test (observations are newest first)."""
    seen: set[str] = set()
    out: list[Observation] = []
    for o in observations:
        key = o.code or o.name.lower()
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 5 and w not in _STOP_WORDS}


def _drug_names(text: str) -> set[str]:
    return {m.canonical.lower() for m in drug_lexicon().find(text)}


def _med_names(m: Medication) -> set[str]:
    return _drug_names(m.name) | {w for w in _WORD.findall(m.name.lower()) if w not in _STOP_WORDS}


def _fuzzy_hit(words: set[str], candidates: Iterable[str]) -> bool:
    cands = [c for c in candidates if len(c) >= 5]
    return any(fuzz.ratio(w, c) >= _FUZZY_MIN for w in words for c in cands)


def _match_meds(meds: Sequence[Medication], text: str) -> tuple[list[Medication], tuple[str, ...]]:
    asked = _drug_names(text)
    words = _words(text)
    matched: list[Medication] = []
    covered: set[str] = set()
    for m in meds:
        names = _med_names(m)
        if asked & names or _fuzzy_hit(words, names):
            matched.append(m)
            covered |= names
    unmatched = tuple(sorted(a for a in asked if a not in covered and not _fuzzy_hit({a}, covered)))
    return matched, unmatched


def _asked_labs(text: str, labs: Sequence[Observation]) -> set[str]:
    lowered = text.lower()
    keys: set[str] = set()
    for topic, lab_keys in TOPICS.items():
        if re.search(rf"\b{re.escape(topic)}\b", lowered):
            keys.update(lab_keys)
    words = _words(text)
    for o in labs:
        first = o.name.lower().split(" ")[0].strip("[],()")
        key = _lab_key(o)
        if key and len(first) >= 5 and _fuzzy_hit(words, [first]):
            keys.add(key)
    return keys


def _newest_first(problems: Iterable[Problem]) -> list[Problem]:
    floor = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(problems, key=lambda p: _aware(p.onset) if p.onset else floor, reverse=True)


def _active_first(allergies: Iterable[Allergy]) -> list[Allergy]:
    return sorted(allergies, key=lambda a: 0 if a.clinical_status in (None, "active") else 1)


# --------------------------------------------------------------------------- selection


def select_context(
    ctx: ChartContext,
    *,
    intent: Intent,
    text: str,
    now: datetime,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
) -> SelectedContext:
    """Choose the chart facts a reply to this message needs, in priority order, within a budget.

    Args:
        ctx: The patient's chart context.
        intent: The message's intent (from triage).
        text: The message text (only used for matching drug and lab names; never copied into facts).
        now: Reference time for relative dates (the message's ``received_at``).
        token_budget: Maximum :func:`estimate_tokens` of the prompt lines.

    Returns:
        The selection (see the module docstring for the priority order).
    """
    now = _aware(now)
    pid = f"Patient/{ctx.patient.id}"
    ranked: list[SelectedFact] = [SelectedFact(pid, "patient", _patient_line(ctx, now))]
    ranked += [
        SelectedFact(a.citation_id, "allergies", _allergy_line(a)) for a in _active_first(ctx.allergies)
    ]

    def meds(items: Iterable[Medication]) -> list[SelectedFact]:
        return [SelectedFact(m.citation_id, "medications", _med_line(m, now)) for m in items]

    def obs(items: Iterable[Observation]) -> list[SelectedFact]:
        return [
            SelectedFact(o.citation_id, "labs" if o.category == "laboratory" else "vitals", _obs_line(o, now))
            for o in items
        ]

    def problems() -> list[SelectedFact]:
        # newest onset first: a recent diagnosis is likelier to bear on today's message than a 30-year one
        ordered = _newest_first(ctx.problems)
        return [SelectedFact(p.citation_id, "problems", _problem_line(p, now)) for p in ordered]

    def encounters(n: int) -> list[SelectedFact]:
        return [
            SelectedFact(e.citation_id, "encounters", _encounter_line(e, now)) for e in ctx.encounters[:n]
        ]

    unmatched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    latest_labs = _latest_by_test(ctx.labs)
    if intent is Intent.REFILL:
        matched, unmatched = _match_meds(ctx.medications, text)
        primary = matched or list(ctx.medications)
        ranked += meds(primary)
        needed: list[str] = []
        for m in primary:
            names = _med_names(m)
            for cls in DRUG_CLASSES:
                if cls.covers(names):
                    needed += [lab for lab in cls.labs if lab not in needed]
        by_key: dict[str, Observation] = {}
        for o in latest_labs:
            key = _lab_key(o)
            if key in needed and key not in by_key:
                by_key[key] = o
        ranked += obs(by_key[k] for k in needed if k in by_key)
        missing = tuple(k for k in needed if k not in by_key)
        ranked += meds(m for m in ctx.medications if m not in primary)
        ranked += problems()
    elif intent is Intent.RESULTS:
        asked = _asked_labs(text, ctx.observations)
        pool = _latest_by_test(ctx.observations)
        chosen = [o for o in pool if _lab_key(o) in asked]
        found = {_lab_key(o) for o in chosen}
        missing = tuple(sorted(k for k in asked if k not in found))
        # the value before the latest, per test asked about: the trend is part of the answer
        previous = [
            next(
                (
                    p
                    for p in ctx.observations
                    if (p.code or p.name.lower()) == (o.code or o.name.lower())
                    and p.citation_id != o.citation_id
                ),
                None,
            )
            for o in chosen
        ]
        if not chosen and ctx.labs:
            newest_day = ctx.labs[0].effective.date() if ctx.labs[0].effective else None
            chosen = [o for o in latest_labs if (o.effective.date() if o.effective else None) == newest_day]
            # abnormal results first: those are what the patient's question is likeliest about
            chosen.sort(key=lambda o: 0 if o.interpretation not in (None, "N") else 1)
        ranked += obs(chosen)
        ranked += obs(p for p in previous if p is not None)
        ranked += problems()
        ranked += meds(ctx.medications)
    elif intent is Intent.SYMPTOM:
        ranked += problems()
        ranked += meds(ctx.medications)
        ranked += obs(_latest_by_test(ctx.vitals)[:_MAX_VITALS])
        ranked += encounters(_RECENT_ENCOUNTERS)
        ranked += obs([o for o in latest_labs if o.interpretation not in (None, "N")][:_MAX_ABNORMAL])
    elif intent is Intent.SCHEDULING:
        ranked += [SelectedFact(a.citation_id, "appointments", _appt_line(a, now)) for a in ctx.appointments]
        ranked += encounters(1)
        ranked += problems()
    else:
        ranked += problems()
        ranked += meds(ctx.medications)

    return _fit(ranked, budget=token_budget, intent=intent, unmatched=unmatched, missing=missing)


def _fit(
    ranked: Sequence[SelectedFact],
    *,
    budget: int,
    intent: Intent,
    unmatched: tuple[str, ...],
    missing: tuple[str, ...],
) -> SelectedContext:
    kept: list[SelectedFact] = []
    dropped: list[str] = []
    seen: set[str] = set()
    used = 0
    full = False
    for fact in ranked:
        if fact.citation_id in seen:
            continue
        seen.add(fact.citation_id)
        # one fact, one line: chart free text (dosage instructions, names) may hold newlines or tabs
        fact = SelectedFact(fact.citation_id, fact.section, " ".join(fact.text.split()))
        cost = estimate_tokens(fact.as_prompt_line()) + 1  # + the newline
        if full or used + cost > budget:
            # strict priority: once a fact does not fit, nothing below it jumps the queue
            full = True
            dropped.append(fact.citation_id)
            continue
        kept.append(fact)
        used += cost
    return SelectedContext(
        facts=tuple(kept),
        dropped=tuple(dropped),
        token_estimate=used,
        token_budget=budget,
        intent=intent,
        unmatched_drugs=unmatched,
        missing_labs=missing,
    )
