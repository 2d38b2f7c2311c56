"""Sign and discard: typed errors, once-only, edit metrics against hand-computed values, disclosure."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replydraft.audit import InMemoryAuditSink
from replydraft.errors import (
    AcknowledgementRequiredError,
    AlreadyFinalizedError,
    AuditError,
    ConfigurationError,
    EmptyReplyError,
    ReviewError,
)
from replydraft.models import DraftResult, Flag, Intent, Triage, Urgency
from replydraft.review import (
    DEFAULT_AI_DISCLAIMER,
    DiscardReason,
    DisclosureConfig,
    DisclosurePolicy,
    edit_metrics,
    finalized_state,
    rouge1,
    tokenize_words,
)

SALT = b"s" * 32
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def make_result(
    body: str = "Your potassium is normal.",
    *,
    status: str = "drafted",
    flags: tuple[Flag, ...] = (),
    urgency: Urgency = Urgency.ROUTINE,
) -> DraftResult:
    return DraftResult(
        message_id="m-1",
        patient_id="pat-9",
        status=status,  # type: ignore[arg-type]
        body=body,
        deidentified_body=body,
        triage=Triage(urgency=urgency, intent=Intent.RESULTS),
        flags=flags,
        created_at=T0,
    )


# --------------------------------------------------------------------------- metrics, hand-computed


def test_tokenize_lowercases_and_keeps_accented_letters() -> None:
    assert tokenize_words("Mañana, Dr. O'Neil!") == ["mañana", "dr", "o", "neil"]


def test_rouge1_hand_computed() -> None:
    # candidate: the(2) cat sat on mat = 6 tokens; reference: the(1) cat is on the(2nd) mat ... see below
    cand = "the cat sat on the mat"
    ref = "the cat is on the red mat today"
    # overlap: the x2, cat, on, mat = 5; |cand| = 6, |ref| = 8
    r = rouge1(cand, ref)
    assert r.precision == pytest.approx(5 / 6)
    assert r.recall == pytest.approx(5 / 8)
    assert r.f1 == pytest.approx(2 * (5 / 6) * (5 / 8) / (5 / 6 + 5 / 8))


def test_rouge1_clips_repeated_words() -> None:
    r = rouge1("yes yes yes yes", "yes no")
    assert r.precision == pytest.approx(1 / 4)
    assert r.recall == pytest.approx(1 / 2)


def test_rouge1_empty_side_is_zero() -> None:
    assert rouge1("", "anything").f1 == 0.0
    assert rouge1("anything", "").precision == 0.0


def test_edit_metrics_hand_computed() -> None:
    m = edit_metrics("Your potassium is normal.", "Your potassium is high.")
    # "normal" -> "high": 4 substitutions + 2 deletions = 6; longest string 25 chars
    assert m.edit_distance == 6
    assert m.draft_chars == 25
    assert m.final_chars == 23
    assert m.edit_distance_ratio == pytest.approx(6 / 25)
    assert (m.words_added, m.words_removed) == (1, 1)
    assert m.rouge1.precision == pytest.approx(3 / 4)
    assert m.rouge1.recall == pytest.approx(3 / 4)
    assert not m.unchanged


def test_edit_metrics_insertion_only_and_unchanged() -> None:
    m = edit_metrics("Call us.", "Please call us today.")
    # word alignment: [call us] kept, "please" and "today" inserted
    assert (m.words_added, m.words_removed) == (2, 0)
    assert m.rouge1.precision == 1.0
    assert m.rouge1.recall == pytest.approx(2 / 4)
    same = edit_metrics("  Same text. ", "Same text.")
    assert same.unchanged and same.edit_distance == 0 and same.edit_distance_ratio == 0.0


def test_edit_metrics_both_empty() -> None:
    m = edit_metrics("", "")
    assert m.edit_distance_ratio == 0.0 and m.rouge1.f1 == 0.0


# --------------------------------------------------------------------------- sign


def test_sign_returns_immutable_signed_reply_with_metrics_and_times() -> None:
    r = make_result()
    signed = r.sign(
        "dr-1",
        "Your potassium is high.",
        opened_at=T0 + timedelta(minutes=5),
        reviewed_at=T0 + timedelta(minutes=7, seconds=30),
    )
    assert signed.draft_audit_id == r.audit_id
    assert signed.metrics.edit_distance == 6
    assert signed.used_draft and not signed.started_blank
    assert signed.seconds_to_sign == 150.0
    assert signed.seconds_since_draft == 450.0
    assert signed.urgency is Urgency.ROUTINE
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type is an implementation detail
        signed.final_text = "changed"  # type: ignore[misc]
    assert finalized_state(r) == "signed"


def test_repr_hides_text() -> None:
    signed = make_result("Dear Maria Lopez").sign("dr-1", "Dear Maria Lopez, see you")
    assert "Maria" not in repr(signed)
    assert "pat-9" not in repr(signed)


def test_signing_twice_raises_even_through_a_copy() -> None:
    r = make_result()
    r.sign("dr-1", "ok")
    with pytest.raises(AlreadyFinalizedError):
        r.sign("dr-1", "ok again")
    with pytest.raises(AlreadyFinalizedError):
        r.model_copy().sign("dr-2", "ok")
    with pytest.raises(AlreadyFinalizedError):
        r.discard(DiscardReason.OTHER)


def test_discard_then_sign_raises() -> None:
    r = make_result()
    record = r.discard("inaccurate", clinician_id="dr-1")
    assert record.reason == "inaccurate"
    assert finalized_state(r) == "discarded"
    with pytest.raises(AlreadyFinalizedError):
        r.sign("dr-1", "text")


def test_concurrent_signing_only_one_wins() -> None:
    r = make_result()
    wins: list[str] = []
    losses: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            r.sign(f"dr-{i}", "text")
            wins.append(f"dr-{i}")
        except AlreadyFinalizedError as exc:
            losses.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 7


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_raises(text: str) -> None:
    r = make_result()
    with pytest.raises(EmptyReplyError):
        r.sign("dr-1", text)
    assert finalized_state(r) is None  # a refused signature does not finalize


def test_missing_clinician_raises() -> None:
    with pytest.raises(ReviewError):
        make_result().sign("  ", "text")


def test_escalation_needs_acknowledgement() -> None:
    r = make_result(
        "Call 911.",
        status="escalated",
        urgency=Urgency.EMERGENCY,
        flags=(Flag(code="emergency_escalation", severity="blocking", message="Emergency."),),
    )
    with pytest.raises(AcknowledgementRequiredError) as info:
        r.sign("dr-1", "Please call 911 now.")
    assert "emergency_escalation" in str(info.value)
    assert finalized_state(r) is None
    signed = r.sign("dr-1", "Please call 911 now.", acknowledge=True)
    assert signed.acknowledged and signed.acknowledged_flags == ("emergency_escalation",)


def test_escalated_without_flags_still_needs_acknowledgement() -> None:
    r = make_result(status="escalated", urgency=Urgency.EMERGENCY)
    with pytest.raises(AcknowledgementRequiredError):
        r.sign("dr-1", "text")


def test_blocking_flag_needs_acknowledgement_warning_does_not() -> None:
    blocking = make_result(flags=(Flag(code="unsupported_dose", severity="blocking"),))
    with pytest.raises(AcknowledgementRequiredError):
        blocking.sign("dr-1", "text")
    warned = make_result(flags=(Flag(code="reading_grade", severity="warning"),))
    signed = warned.sign("dr-1", "text")
    assert not signed.acknowledged and signed.flag_codes == ("reading_grade",)


def test_started_blank_is_not_used_and_needs_no_disclaimer() -> None:
    signed = make_result().sign("dr-1", "I wrote this myself.", started_blank=True, disclosure="always")
    assert not signed.used_draft
    assert signed.disclosure.reason == "no_ai_content" and not signed.disclosure.included
    assert signed.outgoing_text == "I wrote this myself."


def test_failed_draft_with_empty_body_counts_as_blank() -> None:
    signed = make_result("", status="failed").sign("dr-1", "Written from scratch.")
    assert not signed.used_draft


# --------------------------------------------------------------------------- disclosure


def test_default_policy_omits_disclaimer_for_licensed_reviewer() -> None:
    signed = make_result().sign("dr-1", "Reviewed reply.")
    assert signed.disclosure.policy is DisclosurePolicy.OMIT_WHEN_REVIEWED
    assert not signed.disclosure.included
    assert signed.disclosure.reason == "licensed_clinician_reviewed"
    assert signed.outgoing_text == "Reviewed reply."


def test_unlicensed_reviewer_gets_disclaimer() -> None:
    signed = make_result().sign("ma-7", "Reviewed reply.", clinician_licensed=False)
    assert signed.disclosure.included and signed.disclosure.reason == "reviewer_not_licensed"
    assert signed.outgoing_text.endswith(DEFAULT_AI_DISCLAIMER)


def test_always_policy_with_custom_text() -> None:
    cfg = DisclosureConfig(policy=DisclosurePolicy.ALWAYS, text="AI helped write this.")
    signed = make_result().sign("dr-1", "Reply.", disclosure=cfg)
    assert signed.disclosure.included and signed.disclosure.reason == "policy_always"
    assert signed.outgoing_text == "Reply.\n\nAI helped write this."


def test_unknown_policy_is_a_review_error() -> None:
    r = make_result()
    with pytest.raises(ReviewError):
        r.sign("dr-1", "Reply.", disclosure="sometimes")
    assert finalized_state(r) is None


# --------------------------------------------------------------------------- timestamps


def test_naive_and_aware_timestamps_refused() -> None:
    with pytest.raises(ReviewError):
        make_result().sign("dr-1", "x", opened_at=datetime(2026, 3, 2, 9, 0), reviewed_at=T0)


def test_signing_before_opening_refused() -> None:
    with pytest.raises(ReviewError):
        make_result().sign("dr-1", "x", opened_at=T0 + timedelta(hours=1), reviewed_at=T0)


def test_default_reviewed_at_is_now_utc() -> None:
    before = datetime.now(timezone.utc)
    signed = make_result().sign("dr-1", "x")
    assert before <= signed.signed_at <= datetime.now(timezone.utc)
    assert signed.seconds_to_sign is None


# --------------------------------------------------------------------------- discard reasons


def test_discard_accepts_enum_and_custom_codes() -> None:
    assert make_result().discard(DiscardReason.NEEDS_VISIT).reason == "needs_visit"
    assert make_result().discard("org.too_long").reason == "org.too_long"


@pytest.mark.parametrize("reason", ["Patient Maria Lopez was upset", "", "UNSAFE", "a" * 65])
def test_discard_refuses_free_text_without_echoing_it(reason: str) -> None:
    r = make_result()
    with pytest.raises(ReviewError) as info:
        r.discard(reason)
    if reason:
        assert reason not in str(info.value)
    assert finalized_state(r) is None


# --------------------------------------------------------------------------- with an audit sink


def test_sign_and_discard_record_events() -> None:
    sink = InMemoryAuditSink()
    a, b = make_result(), make_result()
    signed = a.sign("dr-1", "Your potassium is high.", audit=sink, audit_salt=SALT)
    b.discard("unsafe", clinician_id="dr-2", audit=sink, audit_salt=SALT)
    kinds = [e.kind for e in sink.events]
    assert kinds == ["sign", "discard"]
    assert sink.events[0].action_audit_id == signed.audit_id
    assert sink.events[0].edit is not None and sink.events[0].edit["edit_distance"] == 6
    assert sink.events[1].discard_reason == "unsafe"


def test_failed_audit_write_rolls_back_the_signature() -> None:
    sink = InMemoryAuditSink()
    sink.close()
    r = make_result()
    with pytest.raises(AuditError):
        r.sign("dr-1", "text", audit=sink, audit_salt=SALT)
    assert finalized_state(r) is None
    r.sign("dr-1", "text")  # can be signed once the audit problem is fixed


def test_audit_without_salt_is_a_configuration_error() -> None:
    r = make_result()
    with pytest.raises(ConfigurationError):
        r.sign("dr-1", "text", audit=InMemoryAuditSink())
    assert finalized_state(r) is None


# --------------------------------------------------------------------------- properties

_texts = st.text(alphabet=st.sampled_from(list("ab cñ.,\n")), max_size=40)


@given(_texts, _texts)
def test_metric_invariants(draft: str, final: str) -> None:
    m = edit_metrics(draft, final)
    assert 0.0 <= m.edit_distance_ratio <= 1.0
    assert m.words_added - m.words_removed == m.final_words - m.draft_words
    assert m.unchanged == (m.edit_distance == 0)
    r, back = rouge1(draft, final), rouge1(final, draft)
    assert r.precision == pytest.approx(back.recall) and r.recall == pytest.approx(back.precision)
    assert 0.0 <= r.f1 <= 1.0


def test_draft_result_methods_mirror_the_review_functions() -> None:
    import inspect

    from replydraft import review

    def params(fn: object, drop: set[str]) -> list[tuple[str, object]]:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
        return [(n, p.default) for n, p in sig.parameters.items() if n not in drop]

    assert params(DraftResult.sign, {"self"}) == params(review.sign, {"result", "now"})
    assert params(DraftResult.discard, {"self"}) == params(review.discard, {"result", "now"})


def test_kept_drafter_footer_is_detected_and_never_doubled() -> None:
    from replydraft.safety import DEFAULT_DISCLOSURE

    body = "Your refill was sent.\n\n" + DEFAULT_DISCLOSURE["en"]
    kept = make_result(body).sign("dr-1", body.replace("\n\n", "\n"))  # whitespace may change
    assert kept.disclosure.in_final_text and not kept.disclosure.included
    assert kept.outgoing_text == kept.final_text  # the exemption never strips the clinician's text
    always = make_result(body).sign("dr-1", body, disclosure="always")
    assert always.disclosure.included and always.disclosure.in_final_text
    assert always.outgoing_text.count(DEFAULT_DISCLOSURE["en"]) == 1
    removed = make_result(body).sign("dr-1", "Your refill was sent.", disclosure="always")
    assert not removed.disclosure.in_final_text
    assert removed.outgoing_text == "Your refill was sent.\n\n" + DEFAULT_DISCLOSURE["en"]


def test_disclaimer_follows_the_message_language() -> None:
    from replydraft.safety import DEFAULT_DISCLOSURE

    result = DraftResult(
        message_id="m-es",
        body="Su receta fue enviada.",
        triage=Triage(urgency=Urgency.ROUTINE, intent=Intent.REFILL, language="es"),
        created_at=T0,
    )
    signed = result.sign("dr-1", "Su receta fue enviada a la farmacia.", clinician_licensed=False)
    assert signed.disclosure.text == DEFAULT_DISCLOSURE["es"]
