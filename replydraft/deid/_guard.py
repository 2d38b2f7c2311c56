"""EgressGuard: the last line of defence, run on the complete payload right before an LLM request.

It does not trust the recognizers: it looks for every original in the vault and every identifier the
chart knows, after normalising case, whitespace and punctuation, and for digit identifiers (phones,
DOB, MRN, member ids) in digit-only form across separators.
"""

from __future__ import annotations

import logging
import re

from replydraft.deid._known import KnownIdentifiers, dob_forms
from replydraft.deid._vault import PlaceholderVault
from replydraft.errors import PHILeakError

__all__ = ["EgressGuard"]

log = logging.getLogger(__name__)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# digit runs that may be broken by separators: "608 555-0118", "(608)555.0118", "02/14/1958"
_DIGIT_RUN = re.compile(r"\d(?:[\d\s().\-/]*\d)?")
_MIN_TEXT = 3


def _norm(text: str) -> str:
    """Lower-case, every run of non-alphanumerics to one space, padded so word bounds are ' x '."""
    return " " + _NON_ALNUM.sub(" ", text.casefold()).strip() + " "


class EgressGuard:
    """Raise :class:`~replydraft.errors.PHILeakError` when an outgoing payload contains an identifier.

    Example:
        >>> guard = EgressGuard(vault, known)
        >>> guard.check(request_text)  # raises PHILeakError(kinds=("PHONE",), count=1) on a leak

    Args:
        vault: The request's placeholder vault (its originals are searched for).
        known: The chart's known identifiers, searched for even where no recognizer found them.
        common_words: Words never searched for on their own (a patient called "Day" must not block every
            payload saying "once a day"); full names containing them still are. Defaults to the packaged list.
    """

    def __init__(
        self,
        vault: PlaceholderVault | None,
        known: KnownIdentifiers | None = None,
        *,
        common_words: frozenset[str] | None = None,
    ) -> None:
        if common_words is None:
            from replydraft.deid._gazetteer import gazetteers

            common_words = gazetteers().common
        self._text_needles: dict[str, str] = {}
        self._digit_needles: dict[str, str] = {}
        if vault is not None:
            for kind, original in vault.originals():
                if kind == "TEXT":  # escaped placeholder-shaped text the patient typed: not PHI
                    continue
                self._add(kind, original, common_words, from_vault=True)
        if known is not None:
            self._add_known(known, common_words)

    # ------------------------------------------------------------------ needles

    def _add(self, kind: str, value: str, common: frozenset[str], *, from_vault: bool = False) -> None:
        value = value.strip()
        digits = re.sub(r"\D", "", value)
        letters = re.sub(r"[^A-Za-z]", "", value)
        if kind in ("PHONE", "MRN", "ID", "SSN", "DOB", "ZIP") or (len(digits) >= 4 and not letters):
            if len(digits) >= 4:
                self._digit_needles.setdefault(digits, kind)
                if kind == "PHONE" and len(digits) == 11 and digits.startswith("1"):
                    self._digit_needles.setdefault(digits[1:], kind)
            if not letters:
                return
        norm = _norm(value)
        core = norm.strip()
        if len(core) < _MIN_TEXT:
            return
        if " " not in core and core in common:
            # a single common word ("hope", "day", "monday"): too ambiguous to block on its own
            return
        if from_vault and kind in ("DATE", "AGE") and len(core) < 5:
            return
        self._text_needles.setdefault(norm, kind)

    def _add_known(self, known: KnownIdentifiers, common: frozenset[str]) -> None:
        for n in known.names:
            self._add("NAME", n, common)
            # "Lopez, Maria" and "Maria Lopez" both
            parts = [p for p in re.split(r"[\s,]+", n) if p]
            # "Lopez, Maria" too, unless both parts are everyday words ("Max Day" -> "a day, max 4")
            if len(parts) >= 2 and not (parts[0].lower() in common and parts[-1].lower() in common):
                self._add("NAME", f"{parts[-1]} {parts[0]}", common)
        for n in known.patient_name_parts():
            self._add("NAME", n, common)
        for n in known.contacts:
            self._add("NAME", n, common)
            for p in n.split():
                self._add("NAME", p, common)
        if known.dob_date is not None:
            for form in dob_forms(known.dob_date):
                self._add("DOB", form, common)
            d = known.dob_date
            for digits in (
                f"{d.month:02d}{d.day:02d}{d.year}",
                f"{d.year}{d.month:02d}{d.day:02d}",
                f"{d.month}{d.day}{d.year}",
            ):
                self._digit_needles.setdefault(digits, "DOB")
        elif isinstance(known.dob, str):
            self._add("DOB", known.dob, common)
        if known.mrn:
            self._add("MRN", known.mrn, common)
            if re.search(r"[A-Za-z]", known.mrn):
                self._add("MRN", known.mrn, frozenset())
        for p in known.phones:
            self._add("PHONE", p, common)
        for e in known.emails:
            self._add("EMAIL", e, common)
            local = e.split("@", 1)[0]
            if len(local) >= 4:
                self._add("EMAIL", local, common)
        for a in known.addresses:
            self._add("ADDRESS", a.split(",")[0], common)
            self._add("ADDRESS", a, common)
        for m in known.member_ids:
            self._add("ID", m, common)
            if re.search(r"[A-Za-z]", m):
                self._text_needles.setdefault(_norm(m), "ID")

    # ------------------------------------------------------------------ checking

    def find(self, payload: str) -> list[str]:
        """The kinds of identifier found in ``payload``, one entry per distinct needle found."""
        found: list[str] = []
        norm = _norm(payload)
        for needle, kind in self._text_needles.items():
            if needle in norm:
                found.append(kind)
        if self._digit_needles:
            runs = [re.sub(r"\D", "", m.group(0)) for m in _DIGIT_RUN.finditer(payload)]
            for needle, kind in self._digit_needles.items():
                if any(needle in r for r in runs):
                    found.append(kind)
        return found

    def check(self, payload: str) -> None:
        """Raise when ``payload`` contains any original or known identifier; return None when clean.

        Raises:
            PHILeakError: with ``kinds`` (sorted, distinct) and ``count``; its message has no PHI.
        """
        found = self.find(payload)
        if found:
            kinds = tuple(sorted(set(found)))
            log.warning("egress guard blocked a payload: %d identifier(s) of kinds %s", len(found), kinds)
            raise PHILeakError(
                f"blocked an LLM request: {len(found)} identifier(s) in the payload ({', '.join(kinds)})",
                kinds=kinds,
                count=len(found),
            )

    def __repr__(self) -> str:
        return f"<EgressGuard needles={len(self._text_needles) + len(self._digit_needles)} (redacted)>"
