"""Frozen settings for the drafter, with named defaults. Nothing here reads the environment."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .safety import SafetyConfig

__all__ = [
    "DEFAULT_CHART_TOKEN_BUDGET",
    "DEFAULT_MAX_MESSAGE_CHARS",
    "DEFAULT_MAX_REASKS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_REPLY_MAX_CHARS",
    "DEFAULT_TEMPERATURE",
    "DrafterConfig",
]

DEFAULT_MAX_MESSAGE_CHARS = 20_000
"""Longer messages are refused (after the emergency screen has read all of them)."""
DEFAULT_MAX_REASKS = 2
"""How many times the model is asked again after invalid or truncated output."""
DEFAULT_MAX_TOKENS = 700
"""Output token cap per call; above the reply's character cap so JSON is never cut mid-string."""
DEFAULT_REPLY_MAX_CHARS = 1200
"""``maxLength`` of the reply string in the output schema."""
DEFAULT_TEMPERATURE = 0.2
"""Low temperature: drafts should be predictable."""
DEFAULT_CHART_TOKEN_BUDGET = 1500
"""Prompt tokens of chart context at most."""


@dataclass(frozen=True)
class DrafterConfig:
    """Settings of a :class:`~replydraft.Drafter`. Use :meth:`with_options` to derive a changed copy.

    Example:
        >>> cfg = DrafterConfig().with_options(max_reasks=1)
        >>> cfg.max_reasks
        1
    """

    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    """Messages longer than this get :class:`~replydraft.errors.InvalidMessageError` (unless emergency)."""
    max_reasks: int = DEFAULT_MAX_REASKS
    """Re-asks after invalid model output (0 disables)."""
    max_tokens: int = DEFAULT_MAX_TOKENS
    """Output token cap per model call."""
    reply_max_chars: int = DEFAULT_REPLY_MAX_CHARS
    """Character cap on the reply in the output schema."""
    temperature: float = DEFAULT_TEMPERATURE
    """Sampling temperature."""
    seed: int | None = None
    """Sampling seed, where the endpoint supports it."""
    chart_token_budget: int = DEFAULT_CHART_TOKEN_BUDGET
    """Token budget for chart facts in the prompt."""
    redact_providers: bool = True
    """Replace clinicians' and staff names with ``[PROVIDER_n]`` before the model sees them."""
    default_language: str = "en"
    """Language used when neither the message nor the chart says."""
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    """Output checks: reading grade, length, AI-disclosure footer."""

    def __post_init__(self) -> None:
        from .errors import ConfigurationError

        if self.max_message_chars <= 0 or self.max_tokens <= 0 or self.reply_max_chars <= 0:
            raise ConfigurationError("max_message_chars, max_tokens and reply_max_chars must be positive")
        if self.max_reasks < 0:
            raise ConfigurationError("max_reasks must be >= 0")
        if self.chart_token_budget < 0:
            raise ConfigurationError("chart_token_budget must be >= 0")

    def with_options(self, **changes: Any) -> DrafterConfig:
        """Return a copy with the given fields changed."""
        return dataclasses.replace(self, **changes)
