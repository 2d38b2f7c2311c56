"""KnownIdentifiers: what the chart already knows about the sender, for matching and the egress guard."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replydraft.models import ChartContext

__all__ = ["KnownIdentifiers", "dob_forms", "known_value_hits", "parse_date_value"]

Hit = tuple[int, int, str]

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def _tuple(value: Iterable[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def parse_date_value(value: date | datetime | str | None) -> date | None:
    """Parse a DOB given as a date or an ISO / US-style string; None when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = value.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", s)
        if m:
            y = int(m[3])
            if y < 100:
                y += 1900 if y > 30 else 2000
            return date(y, int(m[1]), int(m[2]))
    except ValueError:
        return None
    return None


def dob_forms(d: date) -> tuple[str, ...]:
    """Written forms of a date, lower-cased, as a guard needle set (numeric and spelled)."""
    mon = _MONTHS[d.month - 1]
    y, m, dd = d.year, d.month, d.day
    yy = f"{y % 100:02d}"
    forms = {
        f"{y}-{m:02d}-{dd:02d}",
        f"{m}/{dd}/{y}",
        f"{m:02d}/{dd:02d}/{y}",
        f"{m}/{dd}/{yy}",
        f"{m:02d}/{dd:02d}/{yy}",
        f"{m}-{dd}-{y}",
        f"{m:02d}-{dd:02d}-{y}",
        f"{m}.{dd}.{y}",
        f"{dd}.{m}.{y}",
        f"{dd:02d}.{m:02d}.{y}",
        f"{dd}/{m}/{y}",
        f"{mon} {dd} {y}",
        f"{mon} {dd}, {y}",
        f"{dd} {mon} {y}",
        f"{mon[:3]} {dd} {y}",
        f"{mon[:3]} {dd}, {y}",
        f"{dd} {mon[:3]} {y}",
        f"{mon[:3]}. {dd}, {y}",
    }
    return tuple(sorted(forms))


@dataclass(frozen=True, repr=False)
class KnownIdentifiers:
    """Identifiers the chart already holds for the sender: matched in text and blocked at egress.

    Every field is optional. Values are PHI: ``repr`` shows only counts.

    Example:
        >>> known = KnownIdentifiers(names=["Maria Lopez"], mrn="7975432", nicknames=["Mari"])
        >>> known
        KnownIdentifiers(names=1, mrn=1, nicknames=1)

    Attributes:
        names: The patient's full names (official first).
        given_names: Given names (the first is the preferred one for addressing the patient).
        family_names: Family names.
        nicknames: Nicknames and short forms.
        dob: Date of birth (a ``date`` or an ISO / ``MM/DD/YYYY`` string).
        mrn: Medical record number.
        phones: Phone numbers in any format.
        emails: Email addresses.
        addresses: Address lines (street, city, state, ZIP).
        member_ids: Insurance member ids and other identifiers (SSN, licence ...).
        contacts: Names of proxies, relatives and contacts on file.
        providers: Names of clinicians named in the chart.
    """

    names: tuple[str, ...] = ()
    given_names: tuple[str, ...] = ()
    family_names: tuple[str, ...] = ()
    nicknames: tuple[str, ...] = ()
    dob: date | str | None = None
    mrn: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    _dob_date: date | None = field(default=None, init=False, compare=False)

    def __init__(
        self,
        names: Iterable[str] | str | None = None,
        *,
        given_names: Iterable[str] | str | None = None,
        family_names: Iterable[str] | str | None = None,
        nicknames: Iterable[str] | str | None = None,
        dob: date | str | None = None,
        mrn: str | int | None = None,
        phones: Iterable[str] | str | None = None,
        emails: Iterable[str] | str | None = None,
        addresses: Iterable[str] | str | None = None,
        member_ids: Iterable[str] | str | None = None,
        contacts: Iterable[str] | str | None = None,
        providers: Iterable[str] | str | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "names", _tuple(names))
        set_(self, "given_names", _tuple(given_names))
        set_(self, "family_names", _tuple(family_names))
        set_(self, "nicknames", _tuple(nicknames))
        set_(self, "dob", dob)
        set_(self, "mrn", str(mrn).strip() if mrn is not None and str(mrn).strip() else None)
        set_(self, "phones", _tuple(phones))
        set_(self, "emails", _tuple(emails))
        set_(self, "addresses", _tuple(addresses))
        set_(self, "member_ids", _tuple(member_ids))
        set_(self, "contacts", _tuple(contacts))
        set_(self, "providers", _tuple(providers))
        set_(self, "_dob_date", parse_date_value(dob))

    def replace(self, **changes: Any) -> KnownIdentifiers:
        """A copy with some fields changed, e.g. ``known.replace(contacts=[*known.contacts, sender])``."""
        fields: dict[str, Any] = {
            "names": self.names,
            "given_names": self.given_names,
            "family_names": self.family_names,
            "nicknames": self.nicknames,
            "dob": self.dob,
            "mrn": self.mrn,
            "phones": self.phones,
            "emails": self.emails,
            "addresses": self.addresses,
            "member_ids": self.member_ids,
            "contacts": self.contacts,
            "providers": self.providers,
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"unknown KnownIdentifiers fields: {sorted(unknown)}")
        fields.update(changes)
        names = fields.pop("names")
        return KnownIdentifiers(names, **fields)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> KnownIdentifiers:
        """Same as :meth:`replace`, for code written against pydantic models."""
        return self.replace(**(update or {}))

    @property
    def dob_date(self) -> date | None:
        """The date of birth as a ``date`` (None when absent or unreadable)."""
        return self._dob_date

    @property
    def preferred_given_name(self) -> str | None:
        """The name to address the patient by: first given name, else the first word of the first name."""
        if self.given_names:
            return self.given_names[0].split()[0]
        if self.names:
            first = self.names[0]
            if "," in first:  # "Lopez, Maria"
                rest = first.split(",", 1)[1].split()
                if rest:
                    return rest[0]
            return first.split()[0]
        if self.nicknames:
            return self.nicknames[0]
        return None

    def patient_name_parts(self) -> tuple[str, ...]:
        """Every full name and name word of the patient (names, given, family, nicknames)."""
        out: list[str] = []
        for n in (*self.names, *self.given_names, *self.family_names, *self.nicknames):
            out.append(n)
            out.extend(p for p in re.split(r"[\s,]+", n) if p)
        return tuple(dict.fromkeys(p.strip(".") for p in out if p.strip(".")))

    def is_empty(self) -> bool:
        """True when nothing is known."""
        return not any(
            (
                self.names,
                self.given_names,
                self.family_names,
                self.nicknames,
                self.dob,
                self.mrn,
                self.phones,
                self.emails,
                self.addresses,
                self.member_ids,
                self.contacts,
                self.providers,
            )
        )

    def __repr__(self) -> str:
        counts = []
        for name in (
            "names",
            "given_names",
            "family_names",
            "nicknames",
            "phones",
            "emails",
            "addresses",
            "member_ids",
            "contacts",
            "providers",
        ):
            n = len(getattr(self, name))
            if n:
                counts.append(f"{name}={n}")
        if self.dob is not None:
            counts.insert(1, "dob=1")
        if self.mrn:
            counts.insert(1, "mrn=1")
        return f"KnownIdentifiers({', '.join(counts)})"

    __str__ = __repr__

    @classmethod
    def from_chart(cls, ctx: ChartContext) -> KnownIdentifiers:
        """Build from a chart: the patient's demographics plus the clinicians the chart names.

        Args:
            ctx: The chart context (``replydraft.models.ChartContext``).

        Returns:
            The known identifiers; clinicians (prescribers, appointment practitioners) become ``providers``.
        """
        p = ctx.patient
        providers: list[str] = []
        for med in ctx.medications:
            if med.prescriber:
                providers.append(med.prescriber)
        for appt in ctx.appointments:
            if appt.practitioner:
                providers.append(appt.practitioner)
        return cls(
            names=p.names,
            given_names=p.given_names,
            family_names=p.family_names,
            dob=p.birth_date,
            mrn=p.mrn,
            phones=p.phones,
            emails=p.emails,
            addresses=p.addresses,
            member_ids=p.identifiers,
            contacts=p.contacts,
            providers=tuple(dict.fromkeys(providers)),
        )

    @classmethod
    def from_mapping(cls, chart: dict[str, Any]) -> KnownIdentifiers:
        """Build from a plain dict such as a dev-set ``chart`` field (``first_name``, ``names`` ...)."""
        names = list(_tuple(chart.get("names")))
        given = _tuple(chart.get("first_name"))
        family = _tuple(chart.get("last_name"))
        if given or family:
            names.insert(0, " ".join((*given, *family)))
        return cls(
            names=names,
            given_names=given,
            family_names=family,
            nicknames=chart.get("nicknames"),
            dob=chart.get("dob"),
            mrn=chart.get("mrn"),
            phones=chart.get("phones"),
            emails=chart.get("emails"),
            addresses=chart.get("addresses"),
            member_ids=chart.get("member_ids"),
            contacts=chart.get("contacts"),
            providers=chart.get("providers"),
        )


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
