"""Notebook display: HTML renderers behind ``_repr_html_`` of drafts, de-identified text and signed replies.

Every piece of text is passed through :func:`html.escape` (model output and patient text are untrusted:
a message containing ``<script>`` must display as text). By default a draft is shown as the model saw
and wrote it, with placeholders highlighted; the re-identified text appears only with ``show_phi=True``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import DraftResult
    from .review import SignedReply

__all__ = [
    "PLACEHOLDER_RE",
    "render_deid_result",
    "render_deidentified",
    "render_diff",
    "render_draft_result",
    "render_signed_reply",
]

PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z0-9_]*\]")
"""Placeholders such as ``[PATIENT_NAME_1]`` or ``[DATE_2]``."""

_CSS = """
<style>
.replydraft{font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:13px;line-height:1.45;
  border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;max-width:900px}
.replydraft h4{margin:8px 0 4px;font-size:13px;color:#57606a;text-transform:uppercase;letter-spacing:.03em}
.replydraft .rd-badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;
  font-size:12px;margin-right:4px;color:#fff}
.replydraft .rd-emergency{background:#cf222e}.replydraft .rd-urgent{background:#bf8700}
.replydraft .rd-routine{background:#1a7f37}.replydraft .rd-neutral{background:#6e7781}
.replydraft .rd-failed{background:#24292f}
.replydraft .rd-text{white-space:pre-wrap;background:#f6f8fa;border-radius:4px;padding:6px 8px}
.replydraft .rd-ph{background:#ddf4ff;color:#0550ae;border-radius:3px;padding:0 2px;font-family:monospace}
.replydraft .rd-flag-blocking{color:#cf222e;font-weight:600}.replydraft .rd-flag-warning{color:#9a6700}
.replydraft .rd-flag-info{color:#57606a}
.replydraft del{background:#ffebe9;color:#82071e}.replydraft ins{background:#dafbe1;color:#116329;
  text-decoration:none}
.replydraft table{border-collapse:collapse}.replydraft td,.replydraft th{padding:2px 8px;text-align:left;
  border-bottom:1px solid #eaeef2}
.replydraft .rd-meta{color:#57606a;font-size:12px}
</style>
"""


def _badge(text: str, kind: str) -> str:
    return f'<span class="rd-badge rd-{escape(kind)}">{escape(text)}</span>'


class _DeidLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def spans(self) -> Sequence[Any]: ...

    def reidentify(self, draft_text: str) -> str: ...


def render_deid_result(result: _DeidLike, *, show_originals: bool = False) -> str:
    """Render a :class:`~replydraft.deid.DeidResult`: the de-identified text, placeholders highlighted.

    Each placeholder's tooltip names its entity type. The originals are shown only with
    ``show_originals=True`` (a placeholder -> original table, via the result's vault).

    Args:
        result: Anything with ``text``, ``spans`` (items with ``placeholder`` and ``entity_type``) and
            ``reidentify(text)``.
        show_originals: Also list what each placeholder stands for. Off by default: notebooks get
            shared.

    Returns:
        A self-contained HTML fragment.
    """
    kinds: dict[str, str] = {}
    for span in result.spans:
        kinds.setdefault(str(span.placeholder), str(span.entity_type))
    marks = [
        (m.start(), m.end(), kinds.get(m.group(0), m.group(0)[1:-1]))
        for m in PLACEHOLDER_RE.finditer(result.text)
    ]
    counts: dict[str, int] = {}
    for kind in kinds.values():
        counts[kind] = counts.get(kind, 0) + 1
    summary = ", ".join(f"{escape(k)} {n}" for k, n in sorted(counts.items())) or "nothing found"
    parts = [
        _CSS,
        '<div class="replydraft rd-deid">',
        _badge("DE-IDENTIFIED", "neutral"),
        f'<span class="rd-meta">{len(kinds)} placeholder(s): {summary}</span>',
        render_deidentified(result.text, marks),
    ]
    if show_originals and kinds:
        rows = [(ph, f"{kind}: {result.reidentify(ph)}") for ph, kind in kinds.items()]
        parts.append("<h4>Originals (PHI)</h4>" + _table(rows))
    parts.append("</div>")
    return "".join(parts)


def render_deidentified(text: str, spans: Iterable[tuple[int, int, str]] | None = None) -> str:
    """Render de-identified text with its placeholders highlighted.

    Args:
        text: De-identified text (contains placeholders, never the original identifiers).
        spans: Optional ``(start, end, label)`` offsets into ``text`` to highlight (e.g. the
            placeholders a de-identifier inserted); without them every ``[UPPER_CASE_N]`` token is
            highlighted.

    Returns:
        An HTML fragment (a ``<div>``); every character of ``text`` is escaped.
    """
    if spans is None:
        marks = [(m.start(), m.end(), m.group(0)[1:-1]) for m in PLACEHOLDER_RE.finditer(text)]
    else:
        marks = sorted((s, e, label) for s, e, label in spans if 0 <= s < e <= len(text))
    parts: list[str] = []
    pos = 0
    for start, end, label in marks:
        if start < pos:  # overlapping spans: keep the first
            continue
        parts.append(escape(text[pos:start]))
        parts.append(f'<span class="rd-ph" title="{escape(label)}">{escape(text[start:end])}</span>')
        pos = end
    parts.append(escape(text[pos:]))
    return f'<div class="rd-text">{"".join(parts)}</div>'


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def render_diff(before: str, after: str) -> str:
    """Word-level diff of two texts: deletions in ``<del>``, insertions in ``<ins>``.

    Args:
        before: The original (the draft).
        after: The edited text (what was signed).

    Returns:
        An HTML fragment; all text is escaped.
    """
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if tag in ("replace", "delete"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if tag in ("replace", "insert"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return f'<div class="rd-text rd-diff">{"".join(out)}</div>'


def _table(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def render_draft_result(result: DraftResult, *, show_phi: bool = False) -> str:
    """Render a draft for a notebook: triage badge, flags, citations, de-identified message and draft.

    Args:
        result: The draft.
        show_phi: Also show the re-identified draft (``result.body``). Off by default: notebooks get
            shared, screenshotted and committed.

    Returns:
        A self-contained HTML fragment.
    """
    t = result.triage
    status_kind = {"escalated": "emergency", "failed": "failed"}.get(result.status, "neutral")
    head = [
        _badge(t.urgency.value.upper(), t.urgency.value),
        _badge(t.intent.value, "neutral"),
        _badge(result.status, status_kind),
    ]
    meta = (
        f"message {escape(result.message_id)} · model {escape(result.model or '—')} · "
        f"{result.usage.prompt_tokens}+{result.usage.completion_tokens} tokens · "
        f"{result.latency_ms:.0f} ms · attempts {result.attempts}"
    )
    parts = [_CSS, '<div class="replydraft rd-draft">', "".join(head), f'<div class="rd-meta">{meta}</div>']
    if result.error is not None:
        parts.append(
            f"<h4>Error</h4><div>{escape(result.error.type)} ({escape(result.error.code)}): "
            f"{escape(result.error.message)}</div>"
        )
    parts.append(f"<h4>Flags ({len(result.flags)})</h4>")
    if result.flags:
        items = "".join(
            f'<li class="rd-flag-{escape(f.severity)}"><code>{escape(f.code)}</code> '
            f"[{escape(f.severity)}]{' ×' + str(f.count) if f.count else ''}: {escape(f.message)}</li>"
            for f in result.flags
        )
        parts.append(f"<ul>{items}</ul>")
    else:
        parts.append("<div class='rd-meta'>none</div>")
    if t.reasons:
        parts.append("<h4>Triage rules</h4>" + ", ".join(f"<code>{escape(r)}</code>" for r in t.reasons))
    parts.append(f"<h4>Citations ({len(result.citations)})</h4>")
    if result.citations:
        rows = "".join(
            f"<tr><td><code>{escape(c.id)}</code></td><td>{escape(c.label)}</td>"
            f"<td>{'cited by model' if c.cited_by_model else 'context'}</td></tr>"
            for c in result.citations
        )
        parts.append(f"<table>{rows}</table>")
    if result.deidentified_message:
        parts.append("<h4>Message as sent to the model</h4>")
        parts.append(render_deidentified(result.deidentified_message))
    parts.append("<h4>Draft (de-identified)</h4>")
    parts.append(render_deidentified(result.deidentified_body or ""))
    if show_phi and result.body:
        parts.append("<h4>Draft (re-identified)</h4>")
        parts.append(f'<div class="rd-text">{escape(result.body)}</div>')
    parts.append("<div class='rd-meta'>Requires review: a clinician edits and signs every draft.</div>")
    parts.append("</div>")
    return "".join(parts)


def render_signed_reply(signed: SignedReply) -> str:
    """Render a signed reply: edit metrics, disclosure decision and the draft-vs-final diff.

    Args:
        signed: The signed reply.

    Returns:
        A self-contained HTML fragment.
    """
    m = signed.metrics
    head = _badge("SIGNED", "routine")
    if signed.urgency is not None:
        head += _badge(signed.urgency.value.upper(), signed.urgency.value)
    head += _badge("used draft" if signed.used_draft else "started blank", "neutral")
    rows = [
        ("clinician", signed.clinician_id),
        ("signed at", signed.signed_at.isoformat(timespec="seconds")),
        ("edit distance ratio", f"{m.edit_distance_ratio:.3f} ({m.edit_distance} chars)"),
        (
            "ROUGE-1 draft→final",
            f"P {m.rouge1.precision:.3f} · R {m.rouge1.recall:.3f} · F1 {m.rouge1.f1:.3f}",
        ),
        ("words added / removed", f"{m.words_added} / {m.words_removed}"),
        ("unchanged", "yes" if m.unchanged else "no"),
        (
            "AI disclaimer",
            f"{'included' if signed.disclosure.included else 'omitted'} "
            f"({signed.disclosure.reason}, policy {signed.disclosure.policy.value})",
        ),
    ]
    if signed.seconds_to_sign is not None:
        rows.append(("time to sign", f"{signed.seconds_to_sign:.0f} s"))
    if signed.acknowledged_flags:
        rows.append(("acknowledged", ", ".join(signed.acknowledged_flags)))
    return "".join(
        [
            _CSS,
            '<div class="replydraft rd-signed">',
            head,
            _table(rows),
            "<h4>Draft → signed text</h4>",
            render_diff(signed.draft_text, signed.final_text),
            "</div>",
        ]
    )
