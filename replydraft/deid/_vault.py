"""PlaceholderVault: the reversible map from typed, numbered placeholders to the original text.

The vault holds PHI, so it refuses every way out of the process except :meth:`reidentify`: no repr of
its contents, no pickling, no copying, no JSON or pydantic serialization.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from replydraft.errors import DeidentificationError

if TYPE_CHECKING:
    from replydraft.deid._known import KnownIdentifiers

__all__ = ["PLACEHOLDER_RE", "PlaceholderVault"]

# What a placeholder looks like: "[NAME_1]", "[PATIENT_NAME_2]", tolerant of what models do to them
# ("[ name_1 ]", "[Name_1]") when looking for invented ones.
PLACEHOLDER_RE = re.compile(r"\[([A-Z][A-Z_]*?)_(\d+)\]")
_LOOSE_PLACEHOLDER_RE = re.compile(r"\[\s*([A-Za-z][A-Za-z_]*?)_(\d+)\s*\]")

# Placeholder prefix per entity type; unknown types fall back to their own name.
_PREFIX = {
    "NAME": "NAME",
    "PATIENT_NAME": "PATIENT_NAME",
    "PROVIDER": "PROVIDER",
    "DATE": "DATE",
    "AGE": "AGE",
    "PHONE": "PHONE",
    "EMAIL": "EMAIL",
    "URL": "URL",
    "IP_ADDRESS": "IP_ADDRESS",
    "SSN": "SSN",
    "ADDRESS": "ADDRESS",
    "LOCATION": "LOCATION",
    "ZIP": "ZIP",
    "ID": "ID",
    "MRN": "MRN",
    "ORGANIZATION": "ORGANIZATION",
    "LITERAL": "TEXT",
}


class PlaceholderVault:
    """Maps placeholders to originals within one request (message and chart lines share one vault).

    The same original text of the same kind always gets the same placeholder. Placeholders are typed
    and numbered per type (``[NAME_1]``, ``[DATE_2]``); the patient's own name is ``[PATIENT_NAME_n]``.

    Example:
        >>> vault = PlaceholderVault()
        >>> ph = vault.add("NAME", "Rosa")
        >>> ph
        '[NAME_1]'
        >>> vault.reidentify(f"Hi {ph}")
        'Hi Rosa'
    """

    __slots__ = ("__weakref__", "_by_key", "_counters", "_lock", "_originals")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_key: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counters: dict[str, int] = {}

    # ------------------------------------------------------------------ building

    def add(self, entity_type: str, original: str) -> str:
        """Return the placeholder for ``original`` of this type, registering it on first sight."""
        prefix = _PREFIX.get(entity_type, re.sub(r"[^A-Z_]", "", entity_type.upper()) or "PHI")
        key = (prefix, original)
        with self._lock:
            ph = self._by_key.get(key)
            if ph is None:
                n = self._counters.get(prefix, 0) + 1
                self._counters[prefix] = n
                ph = f"[{prefix}_{n}]"
                self._by_key[key] = ph
                self._originals[ph] = original
            return ph

    def lookup(self, entity_type: str, original: str) -> str | None:
        """The placeholder already assigned to this original, or None."""
        prefix = _PREFIX.get(entity_type, entity_type)
        with self._lock:
            return self._by_key.get((prefix, original))

    def patient_name_placeholder(self, known: KnownIdentifiers | None) -> str | None:
        """Placeholder for the patient's preferred given name, registering it when the text never had it.

        A prompt can then say "address the patient as [PATIENT_NAME_1]" and re-identification restores
        the name. Returns None when nothing is known.
        """
        if known is None:
            return None
        name = known.preferred_given_name
        if not name:
            return None
        with self._lock:
            for (prefix, original), ph in self._by_key.items():
                if prefix == "PATIENT_NAME" and original == name:
                    return ph
            # prefer a casing the text used ("maria" -> still the chart's spelling for the salutation)
            return self.add("PATIENT_NAME", name)

    # ------------------------------------------------------------------ reading

    @property
    def placeholders(self) -> frozenset[str]:
        """Every placeholder this vault knows."""
        with self._lock:
            return frozenset(self._originals)

    def originals(self) -> tuple[tuple[str, str], ...]:
        """``(entity_type_prefix, original)`` pairs, for the egress guard only (PHI: never log these)."""
        with self._lock:
            return tuple(self._by_key)

    def __len__(self) -> int:
        return len(self._originals)

    def __contains__(self, placeholder: object) -> bool:
        return isinstance(placeholder, str) and placeholder in self._originals

    def reidentify(self, text: str) -> str:
        """Replace every placeholder this vault knows with its exact original, in one pass.

        One pass matters: a restored original that itself looks like a placeholder is never expanded again.
        Placeholders the vault does not know are left as they are (see :meth:`unknown_placeholders`).
        """
        with self._lock:
            originals = dict(self._originals)

        def sub(m: re.Match[str]) -> str:
            return originals.get(m.group(0), m.group(0))

        return PLACEHOLDER_RE.sub(sub, text)

    def unknown_placeholders(self, text: str) -> list[str]:
        """Placeholder-shaped tokens in ``text`` that this vault did not issue (the model invented them)."""
        with self._lock:
            known = set(self._originals)
        out: list[str] = []
        for m in _LOOSE_PLACEHOLDER_RE.finditer(text):
            if m.group(0) not in known and m.group(0) not in out:
                out.append(m.group(0))
        return out

    def merge_from(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Register ``(entity_type, original)`` pairs (used to pre-seed a vault)."""
        for entity_type, original in pairs:
            self.add(entity_type, original)

    # ------------------------------------------------------------------ no way out

    def __repr__(self) -> str:
        return f"<PlaceholderVault entries={len(self._originals)} (redacted)>"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise DeidentificationError("PlaceholderVault holds PHI and cannot be pickled or copied")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise DeidentificationError("PlaceholderVault holds PHI and cannot be pickled or copied")

    def __copy__(self) -> NoReturn:
        raise DeidentificationError("PlaceholderVault holds PHI and cannot be copied")

    def __deepcopy__(self, memo: Any) -> NoReturn:
        raise DeidentificationError("PlaceholderVault holds PHI and cannot be copied")

    def __getstate__(self) -> NoReturn:
        raise DeidentificationError("PlaceholderVault holds PHI and cannot be serialized")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> NoReturn:
        raise DeidentificationError("PlaceholderVault holds PHI and cannot be a pydantic field")
