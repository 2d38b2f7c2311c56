"""De-identification: reversible, typed placeholders for PHI, and an egress guard before every LLM call.

::

    from replydraft.deid import Deidentifier, KnownIdentifiers, PlaceholderVault, EgressGuard

    d = Deidentifier()                    # cheap; Presidio and word lists load on first use
    vault = PlaceholderVault()            # one per request: message and chart lines share it
    known = KnownIdentifiers(names=["Maria Lopez"], mrn="7975432")
    r = d.deidentify(message_text, known=known, vault=vault)
    EgressGuard(vault, known).check(payload)   # raises PHILeakError before anything leaves
    vault.reidentify(draft)                    # exact originals back; unknown placeholders untouched

How it finds PHI (no spaCy model needed): Presidio's pattern recognizers (with its US health
recognizers), our own context-anchored patterns (dates in written forms, ages >= 90, phones, e-mails,
URLs, IPs, SSNs, ids, addresses), the chart's own identifiers matched case- and typo-tolerantly,
names from message layout (greetings, sign-offs, "my son X", "Dr X"), public-domain name and place
gazetteers with a common-word guard, and an allow-list of drug names and eponymous conditions.
"""

from __future__ import annotations

from replydraft.deid._engine import Deidentifier, DeidResult, DeidSpan
from replydraft.deid._guard import EgressGuard
from replydraft.deid._known import KnownIdentifiers
from replydraft.deid._vault import PlaceholderVault

__all__ = ["DeidResult", "DeidSpan", "Deidentifier", "EgressGuard", "KnownIdentifiers", "PlaceholderVault"]
