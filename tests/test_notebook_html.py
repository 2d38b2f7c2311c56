"""Notebook display: escaping, placeholder highlighting, no PHI unless asked, draft-vs-final diff."""

from __future__ import annotations

from typing import ClassVar

from replydraft._html import render_deidentified, render_diff, render_draft_result
from replydraft.models import Citation, DraftResult, ErrorInfo, Flag, Intent, Triage, Urgency


def make_result(**kw: object) -> DraftResult:
    base: dict[str, object] = {
        "message_id": "m-1",
        "patient_id": "pat-9",
        "body": "Hi Maria Lopez, your potassium is 5.3.",
        "deidentified_body": "Hi [PATIENT_NAME_1], your potassium is 5.3.",
        "deidentified_message": "Is my potassium ok? <b>[PATIENT_NAME_1]</b> [PHONE_1]",
        "triage": Triage(urgency=Urgency.URGENT, intent=Intent.RESULTS, reasons=("results.lab",)),
        "flags": (
            Flag(code="unsupported_value", severity="blocking", message="A value is not in the chart."),
        ),
        "citations": (Citation(id="Observation/k1", label="Potassium 5.3 mmol/L (H)", cited_by_model=True),),
        "model": "fake-model",
    }
    base.update(kw)
    return DraftResult(**base)  # type: ignore[arg-type]


def test_draft_html_shows_badge_flags_citations_and_placeholders() -> None:
    html = make_result()._repr_html_()
    assert 'class="rd-badge rd-urgent"' in html and "URGENT" in html
    assert "<code>unsupported_value</code>" in html and "A value is not in the chart." in html
    assert "rd-flag-blocking" in html
    assert "Observation/k1" in html and "Potassium 5.3 mmol/L (H)" in html and "cited by model" in html
    assert '<span class="rd-ph" title="PATIENT_NAME_1">[PATIENT_NAME_1]</span>' in html
    assert '<span class="rd-ph" title="PHONE_1">[PHONE_1]</span>' in html
    assert "results.lab" in html


def test_draft_html_never_shows_reidentified_text_unless_asked() -> None:
    result = make_result()
    assert "Maria" not in result._repr_html_()
    assert "Maria Lopez" in render_draft_result(result, show_phi=True)


def test_draft_html_escapes_everything() -> None:
    result = make_result(
        message_id="<img src=x onerror=alert(1)>",
        deidentified_body="<script>alert('x')</script> [DATE_1]",
        flags=(Flag(code="<x>", message="<b>bold</b>"),),
        citations=(Citation(id="Obs/<1>", label="<i>label</i>"),),
    )
    html = result._repr_html_()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>bold</b>" not in html and "<i>label</i>" not in html
    # the message's own "<b>" is shown as text, not markup
    assert "&lt;b&gt;" in html


def test_failed_and_escalated_render() -> None:
    failed = make_result(
        status="failed",
        body="",
        deidentified_body="",
        error=ErrorInfo(type="LLMTimeoutError", code="llm_timeout", message="The model did not answer."),
    )
    html = failed._repr_html_()
    assert "LLMTimeoutError" in html and "llm_timeout" in html and "rd-failed" in html
    escalated = make_result(
        status="escalated", triage=Triage(urgency=Urgency.EMERGENCY, intent=Intent.SYMPTOM)
    )
    assert "rd-emergency" in escalated._repr_html_()


def test_render_deidentified_with_explicit_spans_and_overlaps() -> None:
    text = "Call [PHONE_1] about <x>"
    html = render_deidentified(text, spans=[(5, 14, "PHONE"), (6, 9, "OVERLAP"), (99, 120, "OUT_OF_RANGE")])
    assert html.count('class="rd-ph"') == 1
    assert 'title="PHONE">[PHONE_1]</span>' in html and "&lt;x&gt;" in html


def test_render_diff_marks_insertions_and_deletions() -> None:
    html = render_diff("Your potassium is normal.", "Your potassium is <high>.")
    assert "<del>normal</del>" in html and "<ins>&lt;high&gt;</ins>" in html
    assert "Your potassium is " in html


def test_signed_reply_html_has_metrics_disclosure_and_diff() -> None:
    signed = make_result(flags=()).sign("dr-1", "Hi Maria Lopez, your potassium is a bit high at 5.3.")
    html = signed._repr_html_()
    assert "SIGNED" in html and "dr-1" in html
    assert "edit distance ratio" in html and "ROUGE-1" in html
    assert "licensed_clinician_reviewed" in html
    assert "<ins>" in html and "a bit high at" in html


class _Span:
    def __init__(self, placeholder: str, entity_type: str) -> None:
        self.placeholder = placeholder
        self.entity_type = entity_type


class _Deid:
    text = "Hi [PROVIDER_1], this is [PATIENT_NAME_1] <call> [PHONE_1]"
    spans = (
        _Span("[PROVIDER_1]", "PROVIDER"),
        _Span("[PATIENT_NAME_1]", "NAME"),
        _Span("[PHONE_1]", "PHONE"),
    )
    _originals: ClassVar[dict[str, str]] = {
        "[PROVIDER_1]": "Okafor",
        "[PATIENT_NAME_1]": "Maria",
        "[PHONE_1]": "608-555-0118",
    }

    def reidentify(self, draft_text: str) -> str:
        for ph, orig in self._originals.items():
            draft_text = draft_text.replace(ph, orig)
        return draft_text


def test_deid_result_html_highlights_placeholders_and_hides_originals() -> None:
    from replydraft._html import render_deid_result

    html = render_deid_result(_Deid())
    assert '<span class="rd-ph" title="NAME">[PATIENT_NAME_1]</span>' in html
    assert '<span class="rd-ph" title="PHONE">[PHONE_1]</span>' in html
    assert "NAME 1, PHONE 1, PROVIDER 1" in html and "&lt;call&gt;" in html
    for original in ("Okafor", "Maria", "608-555-0118"):
        assert original not in html
    shown = render_deid_result(_Deid(), show_originals=True)
    assert "NAME: Maria" in shown and "PHONE: 608-555-0118" in shown


def test_deid_result_html_with_the_real_deidentifier() -> None:
    from replydraft._html import render_deid_result
    from replydraft.deid import Deidentifier, KnownIdentifiers

    r = Deidentifier().deidentify(
        "Hi, this is Maria Lopez, call me at 608-555-0118", known=KnownIdentifiers(names=["Maria Lopez"])
    )
    html = render_deid_result(r)
    assert "Lopez" not in html and "608-555-0118" not in html
    assert html.count('class="rd-ph"') == len({s.placeholder for s in r.spans}) >= 2
