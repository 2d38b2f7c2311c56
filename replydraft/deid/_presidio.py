"""Presidio's pattern recognizers, built offline and imported lazily (``import presidio_analyzer`` ~1.5 s).

What we take from Presidio: its recognizer registry and pattern recognizers (email, IP, credit
card, IBAN, SSN/ITIN, and the US health recognizers that are off by default: member ids, MBI, NPI, claim,
prior-auth, prescription and referral numbers, medical licence, passport, driver's licence, bank account).
Its URL and phone recognizers are left out: the URL regex of every TLD cost 5 ms a message and the
phonenumbers parser 1.5 ms; our own patterns cover both (100 % phone and URL recall on the dev sets).
What we change: an explicit no-op NLP engine (the default wants to download ``en_core_web_lg``), the
e-mail validator's tldextract forced to its bundled suffix list (the default fetches one on first use),
no decision-process logging, and the stream handler Presidio attaches at import removed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["PresidioPatterns"]

# Presidio entity -> our entity type. Results under the score floor are dropped (weak patterns such as the
# driver's licence one match ordinary words).
_TYPE_MAP = {
    "EMAIL_ADDRESS": ("EMAIL", 0.0),
    "IP_ADDRESS": ("IP_ADDRESS", 0.0),
    "URL": ("URL", 0.5),
    "PHONE_NUMBER": ("PHONE", 0.4),
    "CREDIT_CARD": ("ID", 0.3),
    "IBAN_CODE": ("ID", 0.3),
    "US_SSN": ("SSN", 0.3),
    "US_ITIN": ("ID", 0.3),
    "US_DRIVER_LICENSE": ("ID", 0.5),
    "US_PASSPORT": ("ID", 0.3),
    "US_BANK_NUMBER": ("ID", 0.3),
    "MEDICAL_LICENSE": ("ID", 0.3),
    "US_NPI": ("ID", 0.3),
    "US_MBI": ("ID", 0.3),
    "US_HEALTH_INSURANCE_MEMBER_ID": ("ID", 0.3),
    "US_CLAIM_NUMBER": ("ID", 0.3),
    "US_PRESCRIPTION_NUMBER": ("ID", 0.3),
    "US_PRIOR_AUTHORIZATION_NUMBER": ("ID", 0.3),
    "US_REFERRAL_NUMBER": ("ID", 0.3),
    "US_PROVIDER_TAX_ID": ("ID", 0.3),
}


class PresidioPatterns:
    """A Presidio ``AnalyzerEngine`` with pattern recognizers only, built on first use (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: Any = None
        self._artifacts: Any = None
        self._patterns: list[tuple[Any, float, Any]] = []
        self._other: list[Any] = []

    def _build(self) -> Any:
        import presidio_analyzer
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
        )
        from presidio_analyzer.predefined_recognizers.country_specific import us

        # Presidio attaches a StreamHandler to "decision_process" at import; we never log decisions, and a
        # library must not print. Remove the handler it added (only that one).
        dp = logging.getLogger("decision_process")
        for h in list(dp.handlers):
            if getattr(presidio_analyzer, "ch", None) is h:
                dp.removeHandler(h)

        # suffix_list_urls=() makes tldextract use the snapshot bundled with it: no network, ever.
        offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        offline("example.com")  # build its suffix trie now, not on the first message with an e-mail

        class _OfflineEmailRecognizer(EmailRecognizer):
            def validate_result(self, pattern_text: str) -> bool:
                return bool(offline(pattern_text).fqdn)

        registry = RecognizerRegistry(supported_languages=["en"])
        recognizers = [
            _OfflineEmailRecognizer(),
            IpRecognizer(),
            CreditCardRecognizer(),
            IbanRecognizer(),
            us.UsSsnRecognizer(),
            us.UsItinRecognizer(),
            us.UsLicenseRecognizer(),
            us.UsPassportRecognizer(),
            us.UsBankRecognizer(),
            us.MedicalLicenseRecognizer(),
            us.UsNpiRecognizer(),
            us.UsMbiRecognizer(),
            us.UsHealthInsuranceMemberIdRecognizer(),
            us.UsClaimNumberRecognizer(),
            us.UsPrescriptionNumberRecognizer(),
            us.UsPriorAuthorizationNumberRecognizer(),
            us.UsReferralNumberRecognizer(),
        ]
        for r in recognizers:
            registry.add_recognizer(r)
        nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
        nlp.load()
        engine = AnalyzerEngine(
            registry=registry,
            nlp_engine=nlp,
            supported_languages=["en"],
            log_decision_process=False,
            default_score_threshold=0,
        )
        self._artifacts = nlp.process_text("", "en")
        self._compile(engine)
        return engine

    def engine(self) -> Any:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._build()
        return self._engine

    def _compile(self, engine: Any) -> None:
        """Each pattern recognizer's patterns, compiled once, with the recognizer for its validators."""
        import regex  # type: ignore[import-untyped]  # presidio compiles its patterns with it; no stubs
        from presidio_analyzer import PatternRecognizer

        self._patterns = []
        self._other = []
        for rec in engine.registry.recognizers:
            # recognizers that override analyze() (IBAN) run through it; plain pattern recognizers are driven
            # directly: PatternRecognizer.analyze builds an explanation object and a timestamp per pattern
            # and per match, which cost more than the regexes themselves
            if type(rec).analyze is PatternRecognizer.analyze and rec.patterns:
                for pattern in rec.patterns:
                    compiled = regex.compile(pattern.regex, flags=rec.global_regex_flags)
                    self._patterns.append((compiled, pattern.score, rec))
            else:
                self._other.append(rec)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Presidio hits mapped to our entity types, with the same validation Presidio applies."""
        self.engine()
        out: list[tuple[int, int, str]] = []
        for compiled, base_score, rec in self._patterns:
            mapped = _TYPE_MAP.get(rec.supported_entities[0])
            if mapped is None:
                continue
            for m in compiled.finditer(text):
                if m.start() == m.end():
                    continue
                surface = m.group()
                score = base_score
                valid = rec.validate_result(surface)
                if valid is not None:
                    score = 1.0 if valid else 0.0
                if rec.invalidate_result(surface):
                    score = 0.0
                if score > 0.0 and score >= mapped[1]:
                    out.append((m.start(), m.end(), mapped[0]))
        for rec in self._other:
            for r in rec.analyze(text, entities=rec.supported_entities, nlp_artifacts=self._artifacts) or ():
                mapped = _TYPE_MAP.get(r.entity_type)
                if mapped is not None and r.score >= mapped[1]:
                    out.append((r.start, r.end, mapped[0]))
        return out
