"""The self-contained HTML evaluation report: inline SVG plots, no network, no text of any message.

Hand-written SVG rather than matplotlib: five plot kinds (bars, histogram, heatmap) are ~150 lines,
while matplotlib would add ~40 MB of dependencies and a font cache for the same pictures. A
Content-Security-Policy forbids every external fetch, so an opened report cannot phone home.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from typing import Any

__all__ = ["render_report", "render_report_body", "svg_bars", "svg_heatmap", "svg_histogram"]

_FONT = "font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:11px"
_BLUE = "#0969da"


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.2g}" if abs(v) < 1 else f"{v:.1f}"


def _svg_open(plot: str, width: int, height: int, label: str, n: int) -> str:
    return (
        f'<svg class="plot" data-plot="{escape(plot)}" data-n="{n}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" style="{_FONT}"><title>{escape(label)}</title>'
    )


def svg_bars(
    plot: str,
    items: Sequence[tuple[str, float]],
    *,
    label: str,
    value_max: float = 1.0,
    percent: bool = True,
    notes: Sequence[str] | None = None,
) -> str:
    """Horizontal bar chart: one bar per ``(label, value)``.

    Args:
        plot: ``data-plot`` id of the SVG.
        items: Bars, top to bottom.
        label: Accessible title.
        value_max: Value of a full-width bar.
        percent: Print values as percentages.
        notes: Optional text after each value (e.g. ``"7/9"``).
    """
    row, left, width = 22, 150, 300
    height = max(1, len(items)) * row + 10
    parts = [_svg_open(plot, left + width + 110, height, label, len(items))]
    for i, (name, value) in enumerate(items):
        y = 5 + i * row
        w = 0.0 if value_max <= 0 else max(0.0, min(1.0, value / value_max)) * width
        text = f"{value:.0%}" if percent else _fmt(value)
        if notes is not None:
            text += f" ({notes[i]})"
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(name)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{_BLUE}">'
            f"<title>{escape(name)}: {escape(text)}</title></rect>"
            f'<text x="{left + w + 5:.1f}" y="{y + 14}">{escape(text)}</text>'
        )
    if not items:
        parts.append(f'<text x="{left}" y="18">none</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(
    plot: str, values: Sequence[float], *, label: str, x_label: str, bins: int | None = None
) -> str:
    """Histogram of ``values`` with equal-width bins.

    Args:
        plot: ``data-plot`` id of the SVG.
        values: The numbers.
        label: Accessible title.
        x_label: Axis label.
        bins: Bin count (default: about sqrt(n), between 4 and 12).
    """
    width, height, left, bottom, top = 420, 190, 36, 34, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    parts = [_svg_open(plot, width, height, label, len(values))]
    if not values:
        parts.append(f'<text x="{left}" y="{top + 20}">no data</text></svg>')
        return "".join(parts)
    lo, hi = min(values), max(values)
    k = bins or max(4, min(12, math.ceil(math.sqrt(len(values)))))
    if hi == lo:
        lo, hi, k = lo - 0.5, hi + 0.5, 1
    step = (hi - lo) / k
    counts = [0] * k
    for v in values:
        counts[min(k - 1, int((v - lo) / step))] += 1
    peak = max(counts)
    bar_w = plot_w / k
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        x = left + i * bar_w
        a, b = lo + i * step, lo + (i + 1) * step
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="{_BLUE}"><title>{_fmt(a)}–{_fmt(b)}: {c}</title></rect>'
        )
    base = top + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#57606a"/>')
    parts.append(f'<text x="{left}" y="{base + 13}" text-anchor="start">{_fmt(lo)}</text>')
    parts.append(f'<text x="{left + plot_w}" y="{base + 13}" text-anchor="end">{_fmt(hi)}</text>')
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{base + 28}" text-anchor="middle">{escape(x_label)}</text>'
    )
    parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 4}" y="{base}" text-anchor="end">0</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_heatmap(
    plot: str,
    rows: Sequence[str],
    cols: Sequence[str],
    counts: Mapping[str, Mapping[str, int]],
    *,
    label: str,
) -> str:
    """Confusion-matrix heatmap: rows expected, columns predicted; shade by share of the row.

    Cells below the diagonal of a severity ordering (predicted less severe than expected, i.e. rows
    and columns listed most severe first and the cell right of the diagonal) get a red outline.
    """
    cell, left, top = 64, 96, 40
    width, height = left + cell * len(cols) + 10, top + cell * len(rows) + 10
    total = sum(counts.get(r, {}).get(c, 0) for r in rows for c in cols)
    parts = [_svg_open(plot, width, height, label, total)]
    parts.append(f'<text x="{left + cell * len(cols) / 2}" y="12" text-anchor="middle">predicted</text>')
    for j, c in enumerate(cols):
        parts.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top - 8}" text-anchor="middle">{escape(c)}</text>'
        )
    for i, r in enumerate(rows):
        row_total = sum(counts.get(r, {}).get(c, 0) for c in cols)
        parts.append(
            f'<text x="{left - 6}" y="{top + i * cell + cell / 2 + 4}" text-anchor="end">{escape(r)}</text>'
        )
        for j, c in enumerate(cols):
            n = counts.get(r, {}).get(c, 0)
            share = n / row_total if row_total else 0.0
            fill = f"rgba(9,105,218,{0.08 + 0.82 * share:.2f})" if n else "#f6f8fa"
            stroke = ' stroke="#cf222e" stroke-width="2"' if j > i and n else ' stroke="#d0d7de"'
            ink = "#fff" if share > 0.55 else "#24292f"
            x, y = left + j * cell, top + i * cell
            parts.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="{fill}"{stroke}>'
                f"<title>expected {escape(r)}, predicted {escape(c)}: {n}</title></rect>"
                f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" text-anchor="middle" fill="{ink}" '
                f'style="font-size:14px;font-weight:600">{n}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
.rd-report{font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#24292f;max-width:1100px}
.rd-report h2{font-size:16px;margin-top:28px;border-bottom:1px solid #d0d7de}
.rd-report .cards{display:flex;gap:12px;flex-wrap:wrap}
.rd-report .card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:120px}
.rd-report .card b{display:block;font-size:20px}.rd-report .muted{color:#57606a;font-size:12px}
.rd-report table{border-collapse:collapse;font-size:12px}
.rd-report td,.rd-report th{padding:3px 8px;border-bottom:1px solid #eaeef2;text-align:left}
.rd-report .bad{color:#cf222e;font-weight:600}.rd-report .plots{display:flex;gap:24px;flex-wrap:wrap}
"""

_PAGE_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#24292f}
h1{font-size:22px;margin-bottom:4px}.muted{color:#57606a;font-size:12px}
"""

# Counts the plots the browser actually laid out (non-zero size) and says so at the bottom of the
# page: a quick visual check, and what the headless-browser test reads.
_SELF_CHECK = """
<script>
document.addEventListener("DOMContentLoaded", function () {
  var ok = 0, svgs = document.querySelectorAll("svg.plot");
  svgs.forEach(function (s) {
    var r = s.getBoundingClientRect(), marks = s.querySelectorAll("rect").length;
    s.setAttribute("data-rendered", r.width > 0 && r.height > 0 ? "yes" : "no");
    s.setAttribute("data-marks", String(marks));
    if (r.width > 0 && r.height > 0) ok += 1;
  });
  var rows = document.querySelectorAll("#records-table tbody tr").length;
  var el = document.getElementById("self-check");
  el.textContent = ok + " of " + svgs.length + " plots rendered, " + rows + " message rows";
  document.body.setAttribute("data-plots-rendered", String(ok));
});
</script>
"""


def _pct(v: Any) -> str:
    return "—" if v is None else f"{v:.0%}"


def _card(title: str, value: str, note: str = "") -> str:
    return (
        f'<div class="card"><span class="muted">{escape(title)}</span><b>{escape(value)}</b>'
        f'<span class="muted">{escape(note)}</span></div>'
    )


def _cell(v: Any) -> str:
    if v is None:
        return "<td>—</td>"
    if isinstance(v, bool):
        return f"<td>{'yes' if v else 'no'}</td>"
    if isinstance(v, float):
        return f"<td>{v:.3g}</td>"
    if isinstance(v, list):
        return f"<td>{escape(', '.join(str(x) for x in v))}</td>"
    return f"<td>{escape(str(v))}</td>"


_RECORD_COLUMNS = (
    ("id", "id"),
    ("status", "status"),
    ("expected_urgency", "expected urgency"),
    ("urgency", "urgency"),
    ("expected_intent", "expected intent"),
    ("intent", "intent"),
    ("flags", "flags"),
    ("draft_chars", "chars"),
    ("reading_grade", "grade"),
    ("rouge1_f1", "ROUGE-1 F1 vs ref"),
    ("edit_distance_ratio", "edit dist. vs ref"),
    ("latency_ms", "latency ms"),
    ("error_code", "error"),
)


def render_report_body(
    records: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], *, standalone: bool = True
) -> str:
    """The report's content (a ``<div>``): also what ``EvalRun._repr_html_`` shows in a notebook."""
    from .evaluate import flatten
    from .models import Intent, Urgency

    u, it = summary["urgency"], summary["intent"]
    status = summary["status"]
    n = summary["n"]
    parts = ['<div class="rd-report">']
    if not standalone:
        parts.append(f"<style>{_CSS}</style>")
    parts.append('<div class="cards">')
    parts.append(
        _card("messages", str(n), f"{status.get('failed', 0)} failed, {status.get('escalated', 0)} escalated")
    )
    parts.append(_card("urgency accuracy", _pct(u["accuracy"]), f"{u['labelled']} labelled"))
    parts.append(
        _card("emergency recall", _pct(u["emergency_recall"]), f"{u['under_triaged']} under-triaged")
    )
    parts.append(_card("intent accuracy", _pct(it["accuracy"]), f"{it['labelled']} labelled"))
    parts.append(_card("blocking flags", _pct(summary["blocking_rate"]), "of drafts"))
    ref = summary["reference"]
    if ref["n"]:
        parts.append(
            _card("ROUGE-1 F1 vs reference", f"{ref['rouge1_f1']['mean']:.2f}", f"mean of {ref['n']}")
        )
    parts.append("</div>")

    levels = [x.value for x in sorted(Urgency, key=lambda x: -x.rank)]
    parts.append("<h2>Urgency: expected vs predicted</h2>")
    parts.append(
        '<p class="muted">Rows: labelled urgency; columns: the screen\'s verdict. Red outline: '
        "under-triage (predicted less urgent than labelled).</p>"
    )
    parts.append(
        svg_heatmap("urgency-confusion", levels, levels, u["confusion"], label="Urgency confusion matrix")
    )

    parts.append("<h2>Intent accuracy</h2>")
    by = it["by_intent"]
    order = [i.value for i in Intent if i.value in by]
    parts.append(
        svg_bars(
            "intent-accuracy",
            [(k, by[k]["accuracy"]) for k in order],
            label="Intent accuracy",
            notes=[f"{by[k]['correct']}/{by[k]['n']}" for k in order],
        )
    )

    parts.append("<h2>Flag rates by code</h2>")
    flags = summary["flags"]
    parts.append(
        svg_bars(
            "flag-rates",
            list(flags.items()),
            label="Share of drafts with each flag",
            notes=[str(round(v * n)) for v in flags.values()],
        )
    )

    drafted = [r for r in records if r.get("status") != "failed"]
    parts.append("<h2>Drafts</h2><div class='plots'>")
    parts.append(
        svg_histogram(
            "draft-length",
            [float(r["draft_chars"]) for r in drafted if r.get("draft_chars")],
            label="Draft length distribution",
            x_label="draft length (characters)",
        )
    )
    parts.append(
        svg_histogram(
            "reading-grade",
            [float(r["reading_grade"]) for r in drafted if r.get("reading_grade") is not None],
            label="Reading grade distribution",
            x_label="Flesch-Kincaid grade",
        )
    )
    parts.append("</div>")

    with_ref = [r for r in records if r.get("rouge1_f1") is not None]
    if with_ref:
        parts.append("<h2>Against the reference replies</h2><div class='plots'>")
        parts.append(
            svg_histogram(
                "rouge-reference",
                [float(r["rouge1_f1"]) for r in with_ref],
                label="ROUGE-1 F1 of draft vs reference",
                x_label="ROUGE-1 F1 (1 = same words)",
            )
        )
        parts.append(
            svg_histogram(
                "edit-reference",
                [float(r["edit_distance_ratio"]) for r in with_ref],
                label="Edit distance of draft to reference",
                x_label="edit distance ratio (0 = identical)",
            )
        )
        parts.append("</div>")

    parts.append("<h2>Messages</h2>")
    parts.append('<p class="muted">Codes and numbers only: the drafts are in results.jsonl.</p>')
    head = "".join(f"<th>{escape(t)}</th>" for _, t in _RECORD_COLUMNS)
    body = []
    for r in records:
        cls = ' class="bad"' if r.get("urgency_match") is False or r.get("status") == "failed" else ""
        body.append(f"<tr{cls}>" + "".join(_cell(r.get(k)) for k, _ in _RECORD_COLUMNS) + "</tr>")
    parts.append(
        f'<table id="records-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )

    parts.append("<h2>All metrics</h2>")
    rows = "".join(f"<tr><th>{escape(k)}</th>{_cell(v)}</tr>" for k, v in flatten(summary))
    parts.append(f'<table id="summary-table"><tbody>{rows}</tbody></table>')
    parts.append("</div>")
    return "".join(parts)


def render_report(records: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> str:
    """The whole ``report.html`` page."""
    models = sorted({str(r["model"]) for r in records if r.get("model")})
    prompts = sorted(
        {
            f"{r['prompt_name']} {str(r['prompt_sha256'])[:12]}"
            for r in records
            if r.get("prompt_name") and r.get("prompt_sha256")
        }
    )
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        # No network: styles and scripts inline only, images only as data: URIs.
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>replydraft evaluation</title><style>{_PAGE_CSS}{_CSS}</style></head><body>"
        "<h1>replydraft evaluation</h1>"
        f"<p class='muted'>generated {escape(generated)} · model {escape(', '.join(models) or '—')} · "
        f"prompts {escape('; '.join(prompts) or '—')}</p>"
        "<p class='muted'>Drafts are for a clinician to edit and sign; these numbers describe the pipeline, "
        "not clinical safety.</p>"
        f"{render_report_body(records, summary)}"
        "<p class='muted' id='self-check'>plots not checked (scripts disabled)</p>"
        f"{_SELF_CHECK}</body></html>"
    )
