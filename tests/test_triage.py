"""Table tests for the deterministic red-flag screen and intent rules (all messages synthetic)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft import triage
from replydraft._triage_text import normalize
from replydraft.errors import ConfigurationError, InvalidMessageError
from replydraft.models import Intent, Triage, Urgency
from replydraft.triage import (
    TriageRules,
    detect_language,
    emergency_reasons_text,
    load_rules,
    reason_labels,
    screen,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        # slang and plain-language descriptions of red flags
        ("feels like an elephant is sitting on my chest and im sweaty", Urgency.EMERGENCY),
        ("my ticker is doing something weird and my chest hurts", Urgency.EMERGENCY),
        ("cant catch my breath even sitting on the couch", Urgency.EMERGENCY),
        ("my husbands face is drooping on one side and hes slurring", Urgency.EMERGENCY),
        ("i took a whole bottle of my sleeping pills", Urgency.EMERGENCY),
        ("my 4 week old has a temp of 100.6", Urgency.EMERGENCY),
        ("Mi esposo tiene dolor de pecho y le falta el aire", Urgency.EMERGENCY),
        ("Mi bebé se pone azul cuando come", Urgency.EMERGENCY),
        # dependents' symptoms count
        ("my daughter is wheezing after eating peanuts and her lips are swelling", Urgency.EMERGENCY),
        # negation
        ("no chest pain, no shortness of breath, just want my statin refilled", Urgency.ROUTINE),
        ("No tengo fiebre ni dolor de pecho, solo necesito mi receta", Urgency.ROUTINE),
        # pseudo-negations (NegEx) do not hide a red flag
        ("not sure whats going on but my chest hurts", Urgency.EMERGENCY),
        ("i dont know why, i cant breathe right now", Urgency.EMERGENCY),
        ("no relief from the inhaler, cant breathe", Urgency.EMERGENCY),
        # resolved / past events
        ("had chest pain last year, cardiology cleared it. need my annual physical", Urgency.ROUTINE),
        (
            "i overdosed 6 years ago and have been in recovery since. need my suboxone renewed",
            Urgency.ROUTINE,
        ),
        # hypotheticals and someone outside the household
        ("what would a stroke look like so i know when to worry", Urgency.ROUTINE),
        ("a friend of mine had a heart attack at 45, should i get checked? i feel fine", Urgency.ROUTINE),
        # the story flips: past event, but it is back now
        ("had chest pain last year but now its back and crushing", Urgency.EMERGENCY),
        # urgent, not emergency
        ("my son has had a fever of 102 since yesterday, drinking fine", Urgency.URGENT),
        ("bp is 186/112 this morning, no headache, no vision changes", Urgency.URGENT),
        ("started a new antibiotic and now have an itchy rash, breathing fine", Urgency.URGENT),
        # routine
        ("can i get a superbill for my last visit", Urgency.ROUTINE),
        ("i am confused about my bill from july", Urgency.ROUTINE),
    ],
)
def test_urgency_table(text: str, urgency: Urgency) -> None:
    assert screen(text).urgency is urgency


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("can you refill my lisinopril", Intent.REFILL),
        ("what do my cholesterol results mean", Intent.RESULTS),
        ("i need to reschedule my appointment on friday", Intent.SCHEDULING),
        ("can you fill out my fmla form", Intent.FORMS),
        ("why was i billed twice for the same visit", Intent.BILLING),
        ("please update my phone number", Intent.OTHER),
        ("i have a sore throat and a cough", Intent.SYMPTOM),
        # an emergency buried after an admin request keeps the admin intent
        ("can you refill my inhaler. also my chest is tight since this morning", Intent.REFILL),
    ],
)
def test_intent_table(text: str, intent: Intent) -> None:
    assert screen(text).intent is intent


def test_buried_emergency_escalates_and_keeps_reason_ids() -> None:
    t = screen("need my dmv form signed. also my chest is squeezing right now and i feel clammy")
    assert t.urgency is Urgency.EMERGENCY
    assert t.intent is Intent.FORMS
    assert "emergency.chest_pain" in t.reasons
    assert all(r.startswith(("emergency.", "urgent.")) for r in t.reasons)


def test_reasons_never_contain_patient_text() -> None:
    secret = "zanzibarquux"
    t = screen(f"my chest hurts and im {secret} and my lips are blue")
    assert t.urgency is Urgency.EMERGENCY
    assert not any(secret in r for r in t.reasons)
    assert secret not in repr(t)


def test_sixty_thousand_char_paste_with_emergency_at_the_end() -> None:
    text = "i wanted to share my food diary with you. " * 1500 + "and right now i cant breathe"
    assert len(text) > 60_000
    t = screen(text)
    assert t.urgency is Urgency.EMERGENCY
    assert "emergency.breathing" in t.reasons


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x00chest pain\x00",
        "\ud800\udfff lone surrogates \udc00",
        "😀😀😀🙏",
        "مرحبا، أحتاج إلى موعد",
        "<script>alert('x')</script><b>refill</b>",
        "{{ config }} {% for x in y %}{{ x }}{% endfor %}",
        "[NAME_1] says [PATIENT_NAME_2] needs a refill",
        "\u202eevil rtl override\u202c",
        "a" * 100_000,
    ],
)
def test_hostile_input_never_crashes(text: str) -> None:
    t = screen(text)
    assert isinstance(t, Triage)
    assert t.language in ("en", "es")


def test_nul_bytes_do_not_hide_an_emergency() -> None:
    assert screen("my chest\x00 hurts\x00 a lot").urgency is Urgency.EMERGENCY


def test_non_string_input_is_a_typed_error() -> None:
    with pytest.raises(InvalidMessageError):
        screen(b"chest pain")  # type: ignore[arg-type]


def test_language_detection() -> None:
    assert detect_language("Necesito una cita para mi hija") == "es"
    assert detect_language("I need an appointment for my daughter") == "en"
    assert screen("Mi niño tiene fiebre desde ayer").language == "es"


def test_emergency_reasons_text_uses_rule_labels_in_both_languages() -> None:
    t = screen("my chest hurts and i cant breathe")
    en = emergency_reasons_text(t, "en")
    es = emergency_reasons_text(t, "es")
    assert "chest" in en and " and " in en
    assert "pecho" in es and " y " in es
    assert emergency_reasons_text(screen("can i get a refill")) == ""


def test_reason_labels_skip_unknown_ids() -> None:
    assert reason_labels(["nope.unknown", "emergency.seizure"], "en") == ["a seizure"]


def test_every_rule_has_both_labels() -> None:
    rules = load_rules()
    for rule in rules.rules:
        assert rule.labels.get("en") and rule.labels.get("es"), rule.id


def test_malformed_rules_are_a_configuration_error(tmp_path: Path) -> None:
    src = Path(__file__).parents[1] / "replydraft" / "triage_rules"
    for name in ("context.json", "intents.json"):
        (tmp_path / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    red = json.loads((src / "redflags.json").read_text(encoding="utf-8"))
    red["rules"].append(
        {"id": "emergency.bad", "level": "emergency", "all": ["no_such_concept"], "label": {}}
    )
    (tmp_path / "redflags.json").write_text(json.dumps(red), encoding="utf-8")
    with pytest.raises(ConfigurationError):
        load_rules(tmp_path)
    (tmp_path / "redflags.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError):
        load_rules(tmp_path)


def _rows(name: str) -> list[dict[str, str]]:
    path = FIXTURES / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(
    "fixture",
    [
        "triage_dev.jsonl",
        "triage_heldout.jsonl",
        "triage_heldout2.jsonl",
        "triage_heldout3.jsonl",
        "triage_heldout4.jsonl",
        "triage_heldout11.jsonl",
        "triage_heldout12.jsonl",
        "triage_heldout13.jsonl",
        "triage_heldout14.jsonl",
        "triage_heldout15.jsonl",
        "triage_heldout16.jsonl",
        "triage_heldout17.jsonl",
        "triage_heldout18.jsonl",
        "triage_heldout19.jsonl",
        "triage_heldout20.jsonl",
        "triage_heldout21.jsonl",
        "triage_heldout22.jsonl",
        "triage_heldout23.jsonl",
        "triage_heldout24.jsonl",
        "triage_heldout25.jsonl",
        "triage_heldout26.jsonl",
        "triage_heldout27.jsonl",
        "triage_heldout28.jsonl",
        "triage_heldout29.jsonl",
        "triage_heldout30.jsonl",
        "triage_heldout31.jsonl",
        "triage_heldout32.jsonl",
        "triage_heldout33.jsonl",
        "triage_heldout34.jsonl",
        "triage_heldout35.jsonl",
        "triage_heldout36.jsonl",
        "triage_heldout37.jsonl",
        "triage_heldout38.jsonl",
        "triage_heldout39.jsonl",
        "triage_heldout40.jsonl",
        "triage_heldout41.jsonl",
        "triage_heldout42.jsonl",
        "triage_heldout43.jsonl",
        "triage_heldout44.jsonl",
        "triage_heldout45.jsonl",
        "triage_heldout46.jsonl",
        "triage_heldout47.jsonl",
        "triage_heldout48.jsonl",
        "triage_heldout49.jsonl",
        "triage_heldout50.jsonl",
        "triage_heldout51.jsonl",
        "triage_heldout52.jsonl",
        "triage_heldout53.jsonl",
        "triage_heldout54.jsonl",
        "triage_heldout55.jsonl",
        "triage_heldout56.jsonl",
        "triage_heldout57.jsonl",
        "triage_heldout58.jsonl",
        "triage_heldout59.jsonl",
        "triage_heldout60.jsonl",
        "triage_heldout61.jsonl",
        "triage_heldout62.jsonl",
        "triage_heldout63.jsonl",
        "triage_heldout64.jsonl",
        "triage_heldout65.jsonl",
        "triage_heldout66.jsonl",
        "triage_heldout67.jsonl",
        "triage_heldout68.jsonl",
        "triage_heldout69.jsonl",
        "triage_heldout70.jsonl",
        "triage_heldout71.jsonl",
        "triage_heldout72.jsonl",
        "triage_heldout73.jsonl",
        "triage_heldout74.jsonl",
        "triage_heldout75.jsonl",
        "triage_heldout76.jsonl",
        "triage_heldout77.jsonl",
        "triage_heldout78.jsonl",
        "triage_heldout79.jsonl",
        "triage_heldout80.jsonl",
        "triage_heldout81.jsonl",
        "triage_heldout82.jsonl",
        "triage_heldout83.jsonl",
        "triage_heldout84.jsonl",
        "triage_heldout85.jsonl",
        "triage_heldout86.jsonl",
        "triage_heldout87.jsonl",
        "triage_heldout88.jsonl",
        "triage_heldout89.jsonl",
        "triage_heldout90.jsonl",
        "triage_heldout91.jsonl",
        "triage_heldout92.jsonl",
        "triage_heldout93.jsonl",
        "triage_heldout94.jsonl",
        "triage_heldout95.jsonl",
        "triage_heldout96.jsonl",
        "triage_heldout97.jsonl",
        "triage_heldout98.jsonl",
        "triage_heldout99.jsonl",
        "triage_heldout100.jsonl",
        "triage_heldout101.jsonl",
        "triage_heldout102.jsonl",
        "triage_heldout103.jsonl",
        "triage_heldout104.jsonl",
        "triage_heldout105.jsonl",
        "triage_heldout106.jsonl",
        "triage_heldout107.jsonl",
        "triage_heldout108.jsonl",
        "triage_heldout109.jsonl",
        "triage_heldout110.jsonl",
        "triage_heldout111.jsonl",
        "triage_heldout112.jsonl",
        "triage_heldout113.jsonl",
        "triage_heldout114.jsonl",
        "triage_heldout115.jsonl",
        "triage_heldout116.jsonl",
    ],
)
def test_no_emergency_is_missed_on_the_labelled_sets(fixture: str) -> None:
    missed = [
        r["id"]
        for r in _rows(fixture)
        if r["urgency"] == "emergency" and screen(r["text"]).urgency.value != "emergency"
    ]
    assert missed == []


@pytest.mark.parametrize(
    "fixture",
    [
        "triage_dev.jsonl",
        "triage_heldout.jsonl",
        "triage_heldout2.jsonl",
        "triage_heldout3.jsonl",
        "triage_heldout4.jsonl",
    ],
)
def test_quality_floors_on_the_labelled_sets(fixture: str) -> None:
    rows = _rows(fixture)
    preds = [screen(r["text"]) for r in rows]
    urgent = [(r, p) for r, p in zip(rows, preds, strict=True) if r["urgency"] == "urgent"]
    routine = [(r, p) for r, p in zip(rows, preds, strict=True) if r["urgency"] == "routine"]
    assert sum(p.urgency.rank >= 1 for _, p in urgent) / len(urgent) >= 0.95
    assert sum(p.urgency is Urgency.ROUTINE for _, p in routine) / len(routine) >= 0.90
    assert sum(p.intent.value == r["intent"] for r, p in zip(rows, preds, strict=True)) / len(rows) >= 0.85


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=600))
def test_screen_never_crashes_on_arbitrary_text(text: str) -> None:
    t = screen(text)
    assert t.urgency in Urgency and t.intent in Intent


@settings(max_examples=40, deadline=None)
@given(prefix=st.text(max_size=300), suffix=st.text(max_size=300))
def test_an_affirmed_emergency_survives_surrounding_noise(prefix: str, suffix: str) -> None:
    # sentence breaks around the red flag keep modifiers in the noise from reaching it
    t = screen(f"{prefix}.\n my chest is crushing and i cant breathe.\n{suffix}")
    assert t.urgency is Urgency.EMERGENCY


def _all_fixture_texts() -> list[str]:
    return [r["text"] for f in sorted(FIXTURES.glob("triage_*.jsonl")) for r in _rows(f.name)]


def _ungated(rules: TriageRules) -> TriageRules:
    """The same rules with every prefix gate removed: each concept, trigger and intent regex always runs."""
    return dataclasses.replace(
        rules,
        gates=dict.fromkeys(rules.gates),
        gate_owners={},
        ungated=frozenset(rules.gates),
        gate_automaton=None,
        triggers=tuple(dataclasses.replace(t, gate=None) for t in rules.triggers),
        intent_patterns=tuple(dataclasses.replace(p, gate=None) for p in rules.intent_patterns),
    )


def test_prefix_gates_never_change_a_verdict() -> None:
    rules = load_rules()
    ungated = _ungated(rules)
    # the fallback without the Aho-Corasick automaton tests each gate literal with `in`
    no_automaton = dataclasses.replace(rules, gate_automaton=None)
    assert any(g is not None for g in rules.gates.values())
    assert any(t.gate is not None for t in rules.triggers)
    for i, text in enumerate(_all_fixture_texts()):
        expected = screen(text, rules=ungated)
        assert screen(text, rules=rules) == expected
        if i % 4 == 0:  # the slower fallback on a quarter of the texts
            assert screen(text, rules=no_automaton) == expected


def test_matching_at_gate_places_finds_exactly_what_a_full_scan_finds() -> None:
    # a gated concept's regex is tried only where one of its gate literals starts; every match, its
    # span and the skipping of places inside an earlier match must be finditer's
    rules = load_rules()
    texts = [normalize(t) for t in _all_fixture_texts()[::12]]
    texts += [
        normalize("refill please. " * 4000 + "crushing chest pain now"),  # many places: the scan
        "no no no fever fever since since saturday, fever of 101 since then, no fever since friday",
    ]
    compared = 0
    for text in texts:
        concepts = triage._Concepts(rules, text)
        for name, pattern in rules.concepts.items():
            expected = [m.span() for m in pattern.finditer(text)]
            assert [m.span() for m in concepts._matches(name)] == expected, name
            compared += bool(expected) and rules.gates[name] is not None
        # the ConText triggers go through the same place matching
        scanned = sorted(
            (t.category, m.start(), m.end()) for t in rules.triggers for m in t.pattern.finditer(text)
        )
        assert sorted((m.category, m.start, m.end) for m in concepts.mods) == scanned
    assert compared > 1000  # gated concepts with matches were compared, not only empty lists


_VOCAB = sorted({w for t in _all_fixture_texts() for w in t.lower().split()})


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=40))
def test_prefix_gates_agree_with_full_scan_on_shuffled_words(words: list[str]) -> None:
    rules = load_rules()
    ungated = _ungated(rules)
    text = " ".join(words)
    assert screen(text, rules=rules) == screen(text, rules=ungated)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # sweating with breathlessness or left-arm pain reads as cardiac, even if called "heartburn"
        ("indigestion after shoveling, now im drenched in sweat and cant take a deep breath", "emergency"),
        ("broke out in a cold sweat and my left arm hurts, probably nothing", "emergency"),
        # a stated overdose plan needs no word like "suicide"
        ("i have a month of my oxy left and tonight im going to take them all", "emergency"),
        ("been stashing my xanax for weeks and i feel hopeless", "emergency"),
        # collapse during exercise
        ("my daughter collapsed during soccer practice, she came to after a minute", "emergency"),
        # Celsius fever in a young infant, Spanish
        ("mi nena tiene 6 semanas y tiene 38,5 rectal", "emergency"),
        # urgent, not emergency
        ("im 30 weeks pregnant and it burns when i pee", "urgent"),
        ("my eye hurts a lot and the light bothers it, i wear contacts", "urgent"),
        ("spilled boiling water on my forearm, there is a blister the size of an egg", "urgent"),
        ("had my baby 4 weeks ago and i cry every day, i feel like a bad mom", "urgent"),
        ("ran out of my suboxone 2 days ago and im achy and yawning nonstop", "urgent"),
        ("my 4 year old pushed a pea up his nose and we cant get it out", "urgent"),
        # figurative or past: routine
        ("i overdosed on pizza this weekend, is my cholesterol going to be bad", "routine"),
        ("my shoulder seized up at the gym, its stiff today. ice or heat?", "routine"),
        ("she had a seizure with a fever when she was 2, none since. is she due for her shots", "routine"),
    ],
)
def test_general_red_flag_categories_and_figurative_use(text: str, level: str) -> None:
    t = screen(text)
    if level == "urgent":
        # an urgent rule must fire; the statistical second screen may still raise the level
        assert t.urgency is not Urgency.ROUTINE
        assert any(r.startswith("urgent.") for r in t.reasons)
    else:
        assert t.urgency.value == level


def _rules_dir(tmp_path: Path, red: dict[str, object]) -> Path:
    """A rules directory: the packaged context and intents with ``red`` as redflags.json."""
    src = Path(__file__).resolve().parent.parent / "replydraft" / "triage_rules"
    for name in ("context.json", "intents.json"):
        (tmp_path / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "redflags.json").write_text(json.dumps(red), encoding="utf-8")
    return tmp_path


def test_a_none_concept_stops_its_rule(tmp_path: Path) -> None:
    red = {
        "version": "t",
        "macros": {},
        "concepts": {"stops_breathing": ["\\bstops breathing\\b"], "snoring": ["\\bsnor\\w*"]},
        "rules": [
            {
                "id": "emergency.breathing",
                "level": "emergency",
                "all": ["stops_breathing"],
                "none": ["snoring"],
                "label": {"en": "x", "es": "x"},
            }
        ],
    }
    rules = load_rules(_rules_dir(tmp_path, red))
    assert screen("he stops breathing", rules=rules).urgency is Urgency.EMERGENCY
    assert screen("he snores and stops breathing", rules=rules).urgency is Urgency.ROUTINE
    red["rules"][0]["none"] = ["no_such_concept"]
    with pytest.raises(ConfigurationError):
        load_rules(_rules_dir(tmp_path, red))


@pytest.mark.parametrize(
    ("text", "emergency"),
    [
        ("I have a 3 week old with a fever of 101 and I'm breastfeeding, what do I do", True),
        ("breastfeeding my 3 week old, now i have a fever of 101 and my left breast is red and sore", False),
        ("my 6 week old felt warm, rectal temp 99.5, eating fine. is that a fever?", False),
        ("my 6 week old had rectal temp 99.5 this morning and 100.6 now", True),
        ("i have a fever of 101 and my 5 week old now feels hot too", True),
    ],
)
def test_infant_fever_is_the_infants_and_in_fever_range(text: str, emergency: bool) -> None:
    assert (screen(text).urgency is Urgency.EMERGENCY) is emergency


@pytest.mark.parametrize(
    ("text", "emergency"),
    [
        # benign readings stop an emergency rule ...
        ("asthma flaring, albuterol every 4 hrs, chest feels tight but i can talk in full sentences", False),
        ("grinding metal without goggles, something in my eye, red and watering", False),
        ("im so confused by this bill, why was i charged twice", False),
        ("worst sore throat ever, one side, cant open my mouth all the way, voice sounds weird", False),
        # ... but never when the dangerous reading is also written
        ("i have asthma but this is different, crushing pressure in my chest going down my left arm", True),
        ("grinding metal and now theres a piece sticking out of my eye and blood", True),
        ("my mom is suddenly really confused and doesnt know where she is", True),
        ("had a sore throat all week and now his face is drooping on one side and his arm is weak", True),
    ],
)
def test_benign_readings_stop_rules_only_without_danger_signs(text: str, emergency: bool) -> None:
    assert (screen(text).urgency is Urgency.EMERGENCY) is emergency


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("after the dentist my lip and half my face stayed numb for hours, back to normal now", "routine"),
        ("after the dentist this morning his face is drooping on one side and his arm is weak", "emergency"),
        ("the pharmacist asked an odd question about my refill", "routine"),
        ("found a bat in the kids bedroom this morning, no bite marks that we can see", "urgent"),
        ("painful swollen lump near my tailbone getting bigger for 3 days, hurts to sit", "urgent"),
    ],
)
def test_more_general_categories(text: str, level: str) -> None:
    t = screen(text)
    if level == "urgent":
        assert t.urgency is not Urgency.ROUTINE and any(r.startswith("urgent.") for r in t.reasons)
    else:
        assert t.urgency.value == level


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # "since then" dates an onset: the symptom is still going on
        ("hiked on sunday and since then my right calf is swollen and tender", "urgent.possible_blood_clot"),
        ("the clinic texted that my inr yesterday afternoon was 5.1, no bleeding", "urgent.inr_high"),
        ("anoche me mordio el gato de mi hermana en el dedo", "urgent.animal_bite"),
        ("the spot on my arm is red, warm and sore", "urgent.spreading_infection"),
        (
            "i traced the edge with a marker last night and the redness is past it now",
            "urgent.spreading_infection",
        ),
        (
            "on humalog, readings 320 to 380 since tuesday and they wont come down",
            "urgent.high_sugar_not_coming_down",
        ),
        ("on my new beta blocker my heart rate runs 48 and i feel woozy", "urgent.slow_heart_rate"),
        ("eight watery bowel movements since this morning", "urgent.bloody_or_severe_diarrhea"),
        ("labs posted: creatinine 2.1, my usual is 1.1", "urgent.creatinine_jump"),
    ],
)
def test_urgent_same_day_categories(text: str, rule: str) -> None:
    t = screen(text)
    assert rule in t.reasons
    assert t.urgency is not Urgency.ROUTINE


@pytest.mark.parametrize(
    "text",
    [
        # the same words without the danger: no urgent rule
        ("had a swollen calf after surgery in 2019, no problems since then"),
        ("my inr was 2.6, right in range"),
        ("my resting heart rate is 48, i run marathons and feel great"),
        ("creatinine 1.1, same as usual"),
        ("er visit in may for chest pain, they said it was just a pulled muscle, fine since"),
    ],
)
def test_same_day_categories_stay_quiet_without_the_danger(text: str) -> None:
    t = screen(text)
    rule_reasons = [r for r in t.reasons if r != "emergency.statistical_screen"]
    assert rule_reasons == []


def test_stockpiled_pills_with_a_chosen_day_is_an_emergency() -> None:
    t = screen(
        "refill my lisinopril please. i saved up around 40 of my old percocet tablets"
        " and picked friday as the day"
    )
    assert t.urgency is Urgency.EMERGENCY
    assert "emergency.stockpiled_pills_with_intent" in t.reasons


_RULES_ONLY = dataclasses.replace(load_rules(), screen_model=None, urgent_model=None)
_PATTERNS_ONLY = dataclasses.replace(load_rules(), intent_model=None)


@pytest.mark.parametrize(
    "text",
    [
        "my 13 year old woke up with awful pain in his left testicle and it looks higher than the right one",
        "our 8 month old has screaming fits where she pulls her knees up, then goes floppy and sleepy",
        "toddler had a diaper with red jelly looking poop and keeps crying in waves",
        "my sister had her baby last week and now says the baby is not really hers and has to go away",
        "flu last month, now my legs are getting weak and its harder to take a deep breath",
        "my right foot went cold and pale an hour ago, i cant wiggle my toes and it hurts a lot",
        "all three of us have headaches and feel sick since we started running the space heater",
        "my 3 yo took a swig of drain cleaner from under the sink and is drooling",
        "gave birth 5 days ago, now a headache that tylenol isnt touching and i am seeing sparkly spots",
        "second dose of the new antibiotic and now hives everywhere and my lips are swelling",
        "my husband cant understand anything i say and cant see out of the left side, started an hour ago",
        "the pistol is out of the safe and loaded. i made my peace with it",
        "cut my wrist on a broken window and blood is spurting out with every heartbeat",
        "my chest feels like it is being ripped apart straight through to my back",
        "she is 90, fell, and her left leg looks shorter and the foot is turned out",
        "fell off his bike and hit his head, now one pupil is bigger than the other",
        "dad says his words keep coming out jumbled and he keeps dropping his cup with his right hand",
        "flew back from tokyo, calf swollen, cant walk to the kitchen without stopping to catch my breath",
    ],
)
def test_general_emergency_categories_are_caught_by_the_rules_alone(text: str) -> None:
    t = screen(text, rules=_RULES_ONLY)
    assert t.urgency is Urgency.EMERGENCY
    assert all(r != "emergency.statistical_screen" for r in t.reasons)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("seizure free for two years on lamotrigine, refill please", "routine"),
        ("three days after my knee scope, the swelling is going down nicely", "routine"),
        ("thinking about cutting back on drinking, 2 glasses of wine a night, no shakes", "routine"),
        ("my daughter is 9 days old and looks a bit yellow, nursing well with lots of wet diapers", "urgent"),
        ("my 2 week old looks yellow and is so sleepy we cant wake him to feed", "emergency"),
        ("my 6 yo is drinking water all day and getting up to pee every night", "urgent"),
        ("tiny purple dots on my shins since yesterday and my gums bleed when i brush", "urgent"),
        ("my 3 week old has yellow goop in her eye that keeps coming back", "urgent"),
    ],
)
def test_benign_readings_and_same_day_newborn_and_child_categories(text: str, level: str) -> None:
    assert screen(text, rules=_RULES_ONLY).urgency.value == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        (
            "ten days on allopurinol, my skin is peeling in sheets and there are sores inside my mouth",
            "emergency",
        ),
        ("i have made up my plan, i am going to use the pills i saved on sunday", "emergency"),
        (
            "what is the difference between a panic attack and a heart attack? i am fine, just curious",
            "routine",
        ),
        ("my sleep medicine is not working anymore, can we try another", "routine"),
        ("my defibrillator fired once this afternoon, i feel ok now", "urgent"),
        ("the arm with my port is swollen and tight since this morning", "urgent"),
        ("my right eye hurts when i move it and everything looks washed out", "urgent"),
        ("out of my sinemet tmrw and the pharmacy cant fill it", "urgent"),
        ("lithium level 1.6 on the portal, feel ok", "urgent"),
        ("the ulcer on my heel started draining and smells bad", "urgent"),
    ],
)
def test_categories_from_the_specialty_and_texting_rounds(text: str, level: str) -> None:
    assert screen(text, rules=_RULES_ONLY).urgency.value == level


def test_an_unless_concept_keeps_a_stopped_rule_firing(tmp_path: Path) -> None:
    red = {
        "version": "t",
        "macros": {},
        "concepts": {
            "stops_breathing": ["\\bstops breathing\\b"],
            "snoring": ["\\bsnor\\w*"],
            "blue": ["\\bblue\\b"],
        },
        "rules": [
            {
                "id": "emergency.breathing",
                "level": "emergency",
                "all": ["stops_breathing"],
                "none": ["snoring"],
                "unless": ["blue"],
                "label": {"en": "x", "es": "x"},
            }
        ],
    }
    rules = load_rules(_rules_dir(tmp_path, red))
    assert screen("he snores and stops breathing", rules=rules).urgency is Urgency.ROUTINE
    assert screen("he snores and stops breathing and turns blue", rules=rules).urgency is Urgency.EMERGENCY
    # the danger sign is read with ConText like any concept: a negated one does not re-enable the rule
    assert screen("he snores and stops breathing, he is not blue", rules=rules).urgency is Urgency.ROUTINE
    red["rules"][0]["unless"] = ["no_such_concept"]
    with pytest.raises(ConfigurationError):
        load_rules(_rules_dir(tmp_path, red))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        (
            "my dad (80) is a little more confused since yesterday and his pee smells strong, no fever",
            "urgent",
        ),
        (
            "my dad (80) is more confused since yesterday, his pee smells strong and now hes seeing things",
            "emergency",
        ),
        (
            "my dad (80) is more confused and his pee smells, and his face is drooping on the left",
            "emergency",
        ),
        ("started iron last week and my stool is black, feel fine", "routine"),
        ("on iron but my stool is black and sticky like tar and i feel lightheaded", "emergency"),
        ("nosebleed this morning, stopped after 5 minutes of pinching", "routine"),
        ("nosebleed for 40 minutes now and it wont stop", "emergency"),
        ("my eye is swollen shut from poison ivy, breathing fine", "urgent"),
    ],
)
def test_benign_readings_with_and_without_their_danger_signs(text: str, level: str) -> None:
    assert screen(text, rules=_RULES_ONLY).urgency.value == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("this morning i cant see anything out of my right eye, it went dark. no pain", "emergency"),
        ("fever 102.8, shaky, and my bp cuff says 82/48", "emergency"),
        ("ran out of my paxil 3 days ago, dizzy with brain zaps", "urgent"),
        ("tengo 32 semanas y me pica mucho en las plantas de los pies", "urgent"),
        ("passed some blood after my hemorrhoid banding yesterday", "urgent"),
        ("my 7 yo has been limping for a week, no injury we know of", "urgent"),
        ("out of my lamotrigine tomorrow, the last time i missed a dose i had a seizure", "urgent"),
    ],
)
def test_categories_from_the_inbox_and_paediatric_rounds(text: str, level: str) -> None:
    assert screen(text, rules=_RULES_ONLY).urgency.value == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("on xarelto, tripped on the stairs and bruised my knee, did not hit my head", "urgent"),
        ("on xarelto, tripped on the stairs and hit my head, now i threw up", "emergency"),
        ("on warfarin, nosebleed this morning and another at lunch, both stopped after 10 min", "urgent"),
        ("on warfarin, cut my finger and it is still bleeding after an hour", "emergency"),
        ("my eliquis runs out tomorrow and the pharmacy is closed", "urgent"),
        ("on crestor and climbing the stairs is hard now, my thighs ache", "urgent"),
        ("my xanax ran out 3 days ago and i am shaking and sweating", "urgent"),
        ("need my yellow fever shot before my trip", "routine"),
    ],
)
def test_categories_from_the_older_adult_and_working_age_rounds(text: str, level: str) -> None:
    assert screen(text, rules=_RULES_ONLY).urgency.value == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("my husband has heart failure and gained 4 pounds, ankles puffy", "urgent"),
        ("gained 4 pounds over the holidays, any diet tips", "routine"),
        ("had a panic attack yesterday, chest was tight for a few minutes then it passed", "routine"),
        ("panic attack, chest tight, it passed but now the pressure is back and in my jaw", "emergency"),
        ("sugars 330 to 370 since yesterday and the ketone strip shows trace", "urgent"),
        ("the cat scratched my hand playing, no redness", "routine"),
        ("a stray cat scratched my ankle at the bus stop", "urgent"),
        ("sharp pain in my lower right belly since this morning", "urgent"),
        ("took my insulin twice tonight by accident", "urgent"),
    ],
)
def test_categories_from_the_second_batch_and_boundary_rounds(text: str, level: str) -> None:
    assert screen(text, rules=_RULES_ONLY).urgency.value == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("took about 16 tylenol pills yesterday for my back, feel fine today", "emergency"),
        ("can you update her seizure action plan for school", "routine"),
        ("the bump on his head is turning purple, he is playing normally", "routine"),
        ("he hit his head and now his lips are turning blue", "emergency"),
        ("took my multivitamin twice, is that a problem", "routine"),
        ("my 2 year old got into the gummy vitamins with iron and ate a bunch", "emergency"),
        ("positive pregnancy test and i have a mirena", "urgent"),
        ("i think i have shingles, burning band of blisters on my side", "urgent"),
        ("a coworker has shingles, should i worry", "routine"),
    ],
)
def test_categories_from_the_adversarial_and_admin_rounds(text: str, level: str) -> None:
    assert screen(text, rules=_RULES_ONLY).urgency.value == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # a closed negation list negates every item, whatever its commas
        ("bp was 184/108 twice this week. no headache, chest pain or blurry vision", "urgent"),
        ("no fever, chills, chest pain, or trouble breathing, just a stuffy nose", "routine"),
        ("no tengo fiebre, dolor de pecho ni falta de aire, solo tos", "routine"),
        # an open enumeration is not a list: the comma still ends the negation
        ("no appetite, chest pain since noon and sweating", "emergency"),
        # a list closed by an idiom is not closed ("or so")
        ("no fever, crushing chest pain for an hour or so", "emergency"),
    ],
)
def test_negation_lists(text: str, level: str) -> None:
    assert _rules_only_screen(text).urgency.value == level


def _rules_only_screen(text: str) -> Triage:
    return screen(text, rules=_RULES_ONLY)


@pytest.mark.parametrize(
    ("item", "covered"),
    [("fever", True), ("chills", True), ("cough", True), ("sleepy", False)],
)
def test_in_closed_list_covers_only_the_lists_items(item: str, covered: bool) -> None:
    from replydraft._triage_text import in_closed_list

    rules = load_rules()
    text = "no fever, chills or cough but very sleepy"
    start = text.index(item)
    span = (start, start + len(item))
    assert (
        in_closed_list(text, 2, span, len(text), rules.terminators["negated"], rules.list_closers["negated"])
        is covered
    )


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # a clot in the lung found on a scan, or with breathlessness
        ("scan results in the portal say pulmonary embolism, nobody has called me yet", "emergency"),
        ("they said i might have a blood clot in my lungs and my chest hurts when i breathe", "emergency"),
        ("had a pulmonary embolism in 2019, doing fine on eliquis, ok to fly next month?", "routine"),
        # a clot in the leg with new breathlessness
        ("ultrasound showed a dvt in my calf yesterday and tonight im short of breath", "emergency"),
        # COPD flares
        ("my emphysema is acting up, coughing up more yellow sputum than usual", "urgent"),
        ("copd worse since friday and i need my albuterol every 2 or 3 hours", "urgent"),
        # a remote past without a count of years
        ("i thought about suicide years ago, long past that now. ok to start a new job?", "routine"),
        # nausea in early pregnancy is ordinary; vomiting is not
        ("12 weeks pregnant, some nausea in the mornings, is unisom ok", "routine"),
        ("8 weeks pregnant and throwing up since yesterday", "urgent"),
        # poor intake
        ("radiation to my throat has it so sore i can hardly swallow water today", "urgent"),
    ],
)
def test_second_half_categories(text: str, level: str) -> None:
    assert _rules_only_screen(text).urgency.value == level


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("is the clinic open on the day after christmas", Intent.OTHER),
        ("do you have an interprete for my dad's visit", Intent.OTHER),
        ("please push my mri from the 3rd to the 10th", Intent.SCHEDULING),
        ("could i get two months of my levothyroxine before my trip", Intent.REFILL),
        # a fyi after a refill request keeps the refill
        ("refill metformin please. fyi my sugars have been fine", Intent.REFILL),
    ],
)
def test_more_intents(text: str, intent: Intent) -> None:
    # the intent patterns themselves (the statistical intent model decides first when it is sure)
    assert screen(text, rules=_PATTERNS_ONLY).intent is intent


_THIRD_ROUND: list[tuple[str, str]] = [
    # repeating oneself is mild confusion; with urine signs in an older parent it stays urgent
    ("grandma keeps repeating the same questions since sunday and her urine is cloudy", "urgent"),
    ("my husband has been more forgetful over the past two years, nothing sudden", "routine"),
    # appendicitis in other words
    ("belly pain started at his belly button and moved to the lower right, fever 101", "emergency"),
    # a finger bent the wrong way
    ("caught my pinky in the door, its bent at a weird angle and swelling", "urgent"),
    # coughing with swallowing and a new fever in a frail parent
    ("dad chokes on thin liquids lately and now he has a fever of 100.9", "urgent"),
    # "since then" ends a historical scope
    ("had pneumonia in march and since then she coughs when she drinks, now a gurgly cough", "urgent"),
    # "not drinking a ton" is not poor intake
    ("he wets the bed but is not drinking a ton at night, any tips", "routine"),
    # a resolution in the next clause
    ("she had 102 on saturday but it's long gone, can she go to camp", "routine"),
    # clot risk after a joint replacement
    ("post-op day 6 from my hip replacement and suddenly short of breath", "emergency"),
    # the patient's own shingles
    ("can you refill the cream for my shingles, it still burns", "urgent"),
    # severity words need a symptom; Spanish order
    ("the traffic was terrible so i missed my appointment, can i rebook", "routine"),
    ("tengo un dolor de oido insoportable desde anoche", "urgent"),
    # itching of the palms late in pregnancy
    ("32 weeks pregnant and itching like mad on my palms at night", "urgent"),
]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my son's coach needs a note clearing him to play after his concussion healed", Intent.FORMS),
        ("the pathology report from my biopsy is in, what does it mean", Intent.RESULTS),
        ("what's the next available with dr lee", Intent.SCHEDULING),
        ("we are thinking about palliative care for grandpa, how does it work", Intent.OTHER),
        # Spanish requests as US patients word them
        ("la aseguranza no me pago la vacuna, la pueden volver a mandar?", Intent.BILLING),
        ("cuanto me cobrarian una consulta sin seguro?", Intent.BILLING),
        ("vi en el portal que ya estan los examenes de la tiroides", Intent.RESULTS),
        ("el ultrasonido del higado de mi papa dice 'higado graso', que es eso?", Intent.RESULTS),
        ("para que sepan, a mi mama la operaron de la cadera y ya esta en la casa", Intent.OTHER),
        ("cambie de numero de telefono, anotenlo por favor", Intent.OTHER),
        ("necesito un referido para el dermatologo, tengo una mancha", Intent.SCHEDULING),
        ("quiero cancelar las citas de los ninos del jueves", Intent.SCHEDULING),
        ("me pueden dar el certificado de vacunas de la nena para el colegio?", Intent.FORMS),
    ],
)
def test_third_round_intents(text: str, intent: Intent) -> None:
    # the intent patterns themselves (the statistical intent model decides first when it is sure)
    assert screen(text, rules=_PATTERNS_ONLY).intent is intent


_FOURTH_ROUND: list[tuple[str, str]] = [
    ("lower back pain since monday and now i cant lift my toes on the left", "urgent"),
    ("on lamictal, went up to 100mg last week, now a red rash on my chest", "urgent"),
    # a meter reading corrected by a recheck
    ("cgm said 52 but i rechecked with a fingerstick and it was 104, feel totally normal", "routine"),
    # stridor only when crying is croup to see today, not an emergency
    ("croupy cough, she only makes the squeaky noise when shes crying, fine when calm", "urgent"),
    # lip swelling with the airway said to be fine is same-day; with a swollen tongue it is not
    ("on lisinopril and my lower lip is puffy today, breathing fine, throat fine", "urgent"),
    ("on lisinopril and my lip is swollen and now my tongue feels thick", "emergency"),
    # a chronic baseline after a comma
    ("need my handicap placard renewed, i get short of breath walking far, same as always", "routine"),
    ("mi hija tuvo fiebre el lunes pero ya se le quito, puede ir a la escuela?", "routine"),
    # already evaluated
    ("the pediatrician did an xray after he swallowed a coin and said it will pass", "routine"),
    # a baseline value's month is not a history marker
    ("creatinine came back 2.4 (it was 1.1 in june), should i stop my ibuprofen?", "urgent"),
    ("mom is more confused than her usual and it burns when she pees, no fever", "urgent"),
]


_FIFTH_ROUND: list[tuple[str, str]] = [
    # "today or tomorrow" asks for a visit; it is not a chosen time
    ("can someone see me today or tomorrow, everyone is better off without me, no plan", "urgent"),
    # heavy daily drinking, stopped, with early withdrawal
    ("i drank like 12 beers a day and quit two days ago, now shaky and sweating", "urgent"),
    ("tengo la pierna derecha hinchada, caliente y me duele mucho desde ayer", "urgent"),
    # a fall with a wrist that will not grip
    ("fell off the ladder this morning, my wrist is swollen and i cant grip anything", "urgent"),
    # gum bleeding when brushing on warfarin is same-day; heavy bleeding is not
    ("on warfarin, gums bleed a little when i brush, nothing else", "urgent"),
    ("on warfarin and my nose has been gushing blood for 30 minutes", "emergency"),
    # a recent possible HIV exposure
    ("condom slipped off yesterday with someone new, should i get pep?", "urgent"),
    # purging with palpitations
    ("ive been throwing up after meals on purpose and now my heart is fluttering", "urgent"),
    # a high creatinine with NSAIDs
    ("my creatinine is 2.6 now and ive been taking aleve every day for my knee", "urgent"),
    # stitches already out
    ("got my stitches out last week, the cut looks great, need a note for gym class", "routine"),
]


_SIXTH_ROUND: list[tuple[str, str]] = [
    ("burning on my forehead then blisters came up by my left eyebrow this morning", "urgent"),
    # a stable, months-long pattern is not a new change
    ("for the past several months mom gets more confused in the evenings, the same as always", "routine"),
    ("ive been out of my xarelto for 3 days because of the insurance", "urgent"),
    ("since starting it last week i have a red itchy rash on my back, the allopurinol i mean", "urgent"),
    ("mi mama tiene el ojo izquierdo rojo y le molesta mucho la luz desde ayer", "urgent"),
    ("tengo epoc. hace dos dias tengo flema amarilla y mas tos", "urgent"),
    ("my husband keeps seeing people in the backyard that aren't there since his new pill", "urgent"),
    ("grandpa says he wishes he wouldn't wake up some days, no plan, he'd never do anything", "urgent"),
    # a benign reading told in the past tense still stops the emergency rule
    ("on eliquis, dad had a nosebleed today. stopped after 5 min and hasnt come back", "urgent"),
]


_SEVENTH_ROUND: list[tuple[str, str]] = [
    # passive wishes to be gone: "without me" is not a negation, "keep thinking" is not history
    ("for the past month i keep feeling everyone would be better off without me. no plan", "urgent"),
    ("honestly it would be easier for everyone if i was gone. i would never act on it", "urgent"),
    # self-injury told by a parent; a grooming or kitchen cut is not self-injury
    ("saw scratches on my sons thighs, he says it helps when he is upset. he is not suicidal", "urgent"),
    ("my nails are too thick to cut myself anymore, can i see podiatry", "routine"),
    ("i cut myself chopping onions, small cut, stopped bleeding with pressure", "routine"),
    # saddle numbness and unnoticed incontinence in plain words
    ("since last night he cant feel anything down there, wet the bed and didnt notice", "emergency"),
    # an implanted defibrillator that keeps firing
    ("my icd has gone off twice this morning", "emergency"),
    ("my defibrillator went off once yesterday while mowing, i feel fine now", "urgent"),
    ("pulse has been 118 all afternoon just sitting on the couch", "urgent"),
    ("i have adrenal insufficiency and the stomach flu, cant keep my hydrocortisone down", "urgent"),
    ("fell off the ladder, he cant put no weight on his right foot", "urgent"),
    ("the scale in your lobby has been broken for months fyi", "routine"),
    ("had a cardiac cath through the wrist tuesday, now theres a painful lump at the wrist", "urgent"),
    ("working nights my body is confused, i sleep at 4am", "routine"),
    ("sorry, sent that last message by mistake", "routine"),
    ("i took my evening pills by mistake this morning", "urgent"),
]


_EIGHTH_ROUND: list[tuple[str, str]] = [
    # a negator between the body part and the swelling word: "lips not swollen"
    ("stung by a wasp on the hand, hand is puffy, lips not swollen, breathing ok", "routine"),
    ("after the bee sting her lips are getting swollen and her voice sounds funny", "emergency"),
    # a negative ketone reading is a negation
    ("sugar 380 today and thirsty all the time, urine ketones show negative", "urgent"),
    # a low sugar that came back up on its own, and a fever that is gone
    ("he was 65 before lunch, had juice and it went up to 120. all good now", "routine"),
    ("she ran 101 on monday but no fever since tuesday night, can she go back to daycare", "routine"),
    ("our daughter had a fever all weekend. it broke this morning, shes eating again", "routine"),
    ("the fever broke yesterday but tonight its back up to 102.5", "urgent"),
    # atrial fibrillation with a fast rate; a rescue inhaler every few hours told with "it"
    ("i have a fib and my pulse ox says heart rate 135 since noon, otherwise ok", "urgent"),
    ("need a new albuterol, ive been taking it every 2-3 hours since the weekend", "urgent"),
    ("been cutting again since the breakup. i dont want to die", "urgent"),
]


_NINTH_ROUND: list[tuple[str, str]] = [
    # a resolution clause after a comma covers what came before it ...
    ("in the spring i had thoughts of ending it all, but thats well behind me now", "routine"),
    ("she was using her inhaler every 2 hours overnight, but thats all behind us now", "routine"),
    # ... while a comma without such a clause still ends a historical scope
    ("last year i had thoughts of ending it, and lately they are creeping back", "urgent"),
    # frostbite is urgent, not cyanosis; a blue face still is an emergency
    ("his toes went white and waxy sledding, after warming up they are purple with blisters", "urgent"),
    ("his lips turned blue and hes breathing funny after sledding", "emergency"),
    ("had a fever of 101 last weekend with the flu, temp has been normal for 5 days", "routine"),
    # an odd bill is not an odd person
    ("the lab charged us twice which seems odd, can you check", "routine"),
    ("since this morning dad seems odd and keeps mixing up words", "emergency"),
]


_TENTH_ROUND: list[tuple[str, str]] = [
    # a past event "this weekend" is not the timing of a plan; a future one still is
    ("drank again this weekend after a year sober and i keep wishing i were dead. no plan", "urgent"),
    ("some days i feel like i might as well just die", "urgent"),
    ("i want to kill myself and i will do it this weekend", "emergency"),
    ("we shared a needle at a party two nights ago and he just told me he has hep c", "urgent"),
    # a toddler who will not use an arm after being pulled by the hand is not a stroke
    ("my 2 yo yanked away from me while i was holding his hand, now he wont use his right arm", "urgent"),
    ("mi bebe tiene 2 semanas y le doy pecho. tuve fiebre de 101 anoche y el seno esta rojo", "urgent"),
]


_ELEVENTH_ROUND: list[tuple[str, str]] = [
    # no bowel movement for a few days, but the usual pattern with a soft belly
    ("dad has not pooped in 4 days. thats normal for him, belly soft and he is eating", "routine"),
    ("she hasnt pooped in 5 days and her belly is swollen hard and she keeps throwing up", "emergency"),
    # a duration is not a baby's age
    ("we will be away for 2 months in the fall, can i get extra inhalers", "routine"),
    ("my 2 month old rolled off the bed and fell on the floor", "urgent"),
    # questions about warning signs are hypothetical
    ("mom just started warfarin. what bleeding signs mean we should call?", "routine"),
    ("please tell me when to call 911 for his asthma, he is fine today", "routine"),
    # long-standing evening confusion is not new confusion; a sudden change is
    ("grandma always gets confused in the evenings, can her visit be in the morning", "routine"),
    ("grandma gets confused in the evenings but since yesterday she doesnt know who i am", "emergency"),
]


_TWELFTH_ROUND: list[tuple[str, str]] = [
    ("sugar 360 since yesterday and peeing a lot, urine ketone strip negative", "urgent"),
    ("nursing my 5 week old, left breast red and sore, and i had chills and 101.2 overnight", "urgent"),
    ("if he runs a fever after the 2 month shots what do we give him", "routine"),
    # a long sentence about a remote time is still history
    ("four years ago in my divorce i was in a very bad place and had thoughts of suicide", "routine"),
    ("day 5 of this migraine, same as my usual ones but it wont break", "urgent"),
    ("the migraine started yesterday and the maxalt did nothing at all", "urgent"),
]


_THIRTEENTH_ROUND: list[tuple[str, str]] = [
    # a firearm in hand with words of farewell
    ("im sitting here holding my husbands rifle. i want you all to know it isnt your fault", "emergency"),
    ("i keep a pistol in my nightstand for safety, do you need that for my records?", "routine"),
    # an older person's fall with a shortened or outturned leg, also in Spanish
    ("mi mama se cayo y su pierna izquierda esta mas corta, no la puede mover", "emergency"),
    # an age after the oximeter's name is not an oxygen level
    ("mom checks her oxygen every day, she is 84 and it stays 95-96", "routine"),
    ("resting heart rate has been 120ish at rest since thursday", "urgent"),
    ("newborn night feeds are brutal, any tips before i start hallucinating", "routine"),
    ("charged twice for the inr check on 11/2", "routine"),
    ("had my afib ablation two weeks ago, watch says 70s and steady", "routine"),
    # a smartwatch alarm that a real oximeter does not confirm
    ("watch said oxygen 85 at night but the pulse oximeter reads 97 all day, feel fine", "routine"),
    ("watch said oxygen 85 at night, pulse oximeter reads 97, but now my lips are blue", "emergency"),
    # a stated low baseline (COPD) makes a reading just below it urgent; far below it, an emergency
    ("copd flare, pulse ox 89 and my usual is 91. coughing green stuff", "urgent"),
    ("copd flare, pulse ox 84 and my usual is 91", "emergency"),
    ("copd flare, pulse ox 89 and my usual is 91, cant catch my breath", "emergency"),
    ("oxygen is 89 this morning", "emergency"),
    ("weighing daily for my chf, feet more swollen and shoes are tight", "urgent"),
    ("my calcium came back 12.6 on the labs from tuesday, is that bad?", "urgent"),
    ("home from the hospital, the pharmacy says they have no prescription for his antibiotic", "urgent"),
]


_FOURTEENTH_ROUND: list[tuple[str, str]] = [
    # a toddler swung by the hands who will not use an arm (nursemaid's elbow) is not a stroke
    ("we swung the 3 year old between us by his hands, now he wont use his right arm", "urgent"),
    ("my husband suddenly cant move his right arm and his face is drooping", "emergency"),
    # a seizure told as a past event, "seizure free" and "back to his usual self"
    ("thanks for your help when he had a seizure in may. seizure free since the new dose", "routine"),
    ("he had a seizure at school in may and just had another one that wont stop", "emergency"),
    ("we took sam to the er saturday for croup, got a steroid and hes back to his old self", "routine"),
    ("we took sam to the er saturday for croup but now hes struggling to breathe again", "emergency"),
]


_FIFTEENTH_ROUND: list[tuple[str, str]] = [
    # intent stated with a firearm in reach, without the word suicide
    ("the rifle is in my car and im doing it tonight. please cancel my appointments", "emergency"),
    ("my tongue grew to twice its normal size overnight, talking is getting hard", "emergency"),
    ("caught my thumb with the grease gun at work, small hole, now its swollen and white", "emergency"),
    # a nosebleed on a blood thinner that pressure stops (and that comes back) is same-day;
    # one that will not stop is an emergency
    ("on xarelto, nosebleed today, held pressure 15 min and it stopped, then came back", "urgent"),
    ("on xarelto, nosebleed for 40 minutes and pressure is not stopping it", "emergency"),
    # questions and warnings are not events
    ("if i ever have to use the epipen on her and she gets better, should we still call 911", "routine"),
    ("my doctor said missing sleep can trigger seizures, can i get a note for day shifts", "routine"),
]


_SIXTEENTH_ROUND: list[tuple[str, str]] = [
    ("the table saw got me, the tip of my thumb is hanging off and wont stop bleeding", "emergency"),
    ("my son's finger is partly cut off from the car door", "emergency"),
    ("the bandage on my finger came off in the shower, can i just use a bandaid?", "routine"),
    # a medicine's purpose and a past pattern are not a seizure now; the supply gap is same-day
    ("i take lamotrigine for seizures and the pharmacy wont fill it, one more dose left", "urgent"),
    ("my daughter had a seizure an hour ago and she is still not waking up properly", "emergency"),
    # rewarmed fingers whose feeling came back; fingers that stay white are still an emergency
    ("fingers went white and numb shoveling snow, warmed them up and the feeling came back", "urgent"),
    ("fingers went white and numb shoveling snow, warmed them up but they are still white", "emergency"),
    ("something flew in my eye grinding metal, feels gritty, cant see anything in the mirror", "urgent"),
    ("my 3 year old has a fever of 102 and is not eating much, he is playing and drinking", "urgent"),
]


_SEVENTEENTH_ROUND: list[tuple[str, str]] = [
    ("close my account, i wont need it after tonight. the engine is running in the garage", "emergency"),
    ("siento que no vale la pena seguir viviendo, no tengo plan, me pueden llamar hoy?", "urgent"),
    # a payment plan is not a suicide plan; a past attempt told as history is not a crisis
    ("i still think about suicide some days. can i get a payment plan for my bill?", "urgent"),
    ("i told the insurer about a prior suicide attempt, they want a statement from you", "routine"),
    ("ecg in the portal says qtc 540, im on methadone. feel fine", "urgent"),
    ("6 months clean and used fentanyl last night, tolerance is gone. can i restart suboxone", "urgent"),
]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # "a year / a month ago" opening a clause tells a past event ...
        ("A year ago I took a whole bottle of pills and ended up in the ICU. Therapy helped", "routine"),
        ("thank you all. a month ago i overdosed and you saved me, clean since", "routine"),
        # ... but a medicine stopped then is still stopped, and "since ... a month ago" is ongoing
        ("A month ago he stopped his lithium and now he hasnt slept in 4 nights, spending it all", "urgent"),
        ("since i went up on atorvastatin a month ago my thighs ache, cant get up off the floor", "urgent"),
        ("i overdosed an hour ago and feel really sleepy", "emergency"),
    ],
)
def test_a_year_or_month_ago_opening_a_clause_is_history(text: str, level: str) -> None:
    assert _rules_only_screen(text).urgency.value == level


_EIGHTEENTH_ROUND: list[tuple[str, str]] = [
    # protocol-coverage rounds: gaps a telephone-triage protocol book names
    ("since last night my bottom and between my legs feel numb, back killing me, legs weak", "emergency"),
    ("legs heavy and weak, began in feet, now my thighs, hard to take a full deep breath", "emergency"),
    ("my 2 yo had a coin battery in her mouth and now its gone, she must have swallowed it", "emergency"),
    ("toes frostbitten hunting, soaked in warm water an hour and they still look white", "emergency"),
    ("fingers got frostbite skiing, warmed them up and now they are pink and tingly", "urgent"),
    ("got some rust remover with hydrofluoric acid on my fingers, the pain is unreal", "emergency"),
    ("got shocked by a 220 outlet fixing the dryer, my heart keeps fluttering since", "emergency"),
    ("i was shocked by the bill for my last visit, can someone explain it", "routine"),
    ("a week after her tonsillectomy there is blood in her mouth again", "emergency"),
    ("i think i took 30 units of novolog instead of my lantus at bedtime", "emergency"),
    ("mi hijo mordio una capsula de detergente y esta tosiendo mucho", "emergency"),
    ("croup is worse, the whistly noise happens even when shes sitting still, ribs suck in", "emergency"),
    ("peak flow is in the red zone on his action plan even after albuterol", "emergency"),
    ("he keeps stopping between words to breathe", "emergency"),
    ("30 weeks pregnant and bleeding bright red, soaked a pad already", "emergency"),
    ("there's a hair wrapped tight around his toe and it's really swollen", "emergency"),
    ("found a hair wrapped around her toe, got it off and the toe looks fine now", "routine"),
    ("my 4 year old has a fever of 104 and refuses to stand on her left leg", "emergency"),
    ("cant pee since this morning, bladder feels like its going to burst, pain 8/10", "emergency"),
    ("newborn spitting up after every feed and the last two were bright green", "emergency"),
    ("she threw up once, it was green jello she ate", "routine"),
    # benign readings: constipation with gas, a phone number, a crushed nail, something read about
    ("started iron pills and havent pooped in 3 days, passing gas fine, no pain", "routine"),
    ("what's the poison control number? want it on the fridge", "routine"),
    ("slammed my finger in the door last week, the nail is purple, does it need to come off?", "routine"),
    ("read about dry drowning, my kid swallowed some pool water but is totally fine", "routine"),
    ("can i bring my dog to my visit? he is trained to alert for my seizures", "routine"),
    ("mi mama esta mas confundida desde ayer, a ratos no sabe donde esta, y le arde al orinar", "urgent"),
    ("i take keppra and tonight is my last pill, please send it, dont want to have a seizure", "urgent"),
    ("copd acting up, more winded doing dishes. sat 90-91, my normal is 93. can talk fine", "urgent"),
]


_NINETEENTH_ROUND: list[tuple[str, str]] = [
    # rare-but-deadly protocol topics
    ("my toddler got into grandpas pain patch, hes breathing but i cant really wake him", "emergency"),
    ("on linezolid and zoloft, legs keep jerking on their own, temp 102, heart racing", "emergency"),
    ("i have addisons, threw up my hydrocortisone twice today and im so dizzy i cant stand", "emergency"),
    ("i have addisons and a stomach bug, can i double my hydrocortisone? otherwise feel ok", "urgent"),
    ("dad has afib and has had horrible belly pain all afternoon, 10 out of 10", "emergency"),
    ("My left leg went cold and kind of white this afternoon. It's numb now and it hurts", "emergency"),
    ("mi esposo fumigo con insecticida y ahora tiene mucha baba y le brincan los musculos", "emergency"),
    ("got bit on the hand by a snake while stacking wood, hand is puffy", "emergency"),
    ("got stung by a scorpion yesterday, hurt for an hour, totally fine now", "routine"),
    ("baby is 10 days old. ive had a headache tylenol wont touch, seeing sparkly spots", "emergency"),
    ("mi hijo de 2 anos se comio varias vitaminas con hierro y esta vomitando", "emergency"),
    ("mi bebe de 8 meses llora fuerte a ratos y encoge las piernitas, vomito dos veces", "emergency"),
    ("mom is type 1, meter says 32 and she wont really answer me", "emergency"),
    # the same-day line, and what is not on it
    ("mi nino de 4 anos tiene 3 dias con fiebre y tos, esta jugando", "urgent"),
    ("sons roommate has meningococcal meningitis. school says close contacts need antibiotics", "urgent"),
    ("ultimamente pienso que seria mejor no despertar, no tengo plan", "urgent"),
    ("missed 2 pills this week and we had sex w/o a condom, can you send ella today", "urgent"),
    ("is plan b safe to keep in my purse just in case?", "routine"),
    ("mi azucar esta en 380 aunque me pongo la insulina, tengo mucha sed", "urgent"),
    ("my husband gets winded walking across big parking lots, can you do the placard form", "routine"),
    ("fever of 102 and ear pain at the weekend, on amoxicillin, today shes fever free", "routine"),
    ("a few floaters for years, no flashes or curtain", "routine"),
]


_TWENTIETH_ROUND: list[tuple[str, str]] = [
    # Spanish as written in US portals, and subtle twists on common complaints
    (
        "tengo guardadas las pastillas de mi esposo y esta noche me las voy a tomar. "
        "ya les escribi cartas a mis hijos",
        "emergency",
    ),
    ("I have my dad's pistol and I'm done tonight. thank you for everything", "emergency"),
    ("mi bebe de 8 meses tiene diarrea, la mollera hundida y esta como un trapito", "emergency"),
    ("la planta electrica esta en el garage y todos tenemos dolor de cabeza y mareo", "emergency"),
    ("comi camarones y se me esta hinchando la bemba, siento la garganta cerrada", "emergency"),
    ("siento un peso en el pecho que se me corre al brazo y estoy sudando frio", "emergency"),
    ("tengo un dolor de muela terrible y se me hincho la cara, puedo tragar y respirar bien", "urgent"),
    ("necesito refill del albuterol, se me acabo y me silba el pecho", "urgent"),
    ("me salieron ampollitas en la frente. el ojo de ese lado lo tengo rojo y lloroso", "urgent"),
    ("se quedo sin su levetiracetam para las convulsiones, solo le queda la pastilla de hoy", "urgent"),
    ("dolor en el costado que baja a la ingle y la orina un poco rosada", "urgent"),
    ("sciatica, cant really feel the toilet paper when i wipe, leaked pee without noticing", "emergency"),
    ("on eliquis, woke with a pounding headache, threw up twice, cant keep my eyes open", "emergency"),
    ("his left testicle hurts and he threw up this morning", "emergency"),
    (
        "fever of 102, little purple dots on his legs, pressed a glass on them, they didnt fade",
        "emergency",
    ),
    ("mi papa tiene la pierna derecha, la tiene fria y blanca y no la siente", "emergency"),
    ("back pain and a throbbing in my belly like a second heartbeat when i lie down", "emergency"),
    (
        "face numb like after the dentist and the room is spinning, i keep falling to the left",
        "emergency",
    ),
    ("the dentist numbed my face for a filling and it's still numb 3 hours later", "routine"),
    ("had a tumble this morning, neck is sore and both hands are tingly and clumsy since", "emergency"),
    ("shaking chills last night and my bp is 84/50 this morning", "emergency"),
]


_TWENTY_FIRST_ROUND: list[tuple[str, str]] = [
    # Spanish as US patients write it (Caribbean and South American usage, protocol topics)
    ("mi hijita tiene 5 semana y le tome la temperatura: 100.6", "emergency"),
    ("mi bebe tiene 3 dias con fiebre de 101", "urgent"),  # three days of fever, not a 3-day-old
    (
        "desde ayer siento dormida la entrepierna y las dos piernas flojas, me dolia la espalda",
        "emergency",
    ),
    ("me hice pipi encima sin darme cuenta y tengo la espalda baja fatal", "emergency"),
    (
        "con la pistola de grasa del taller se me disparo en la mano, es un puntito pero se hincha",
        "emergency",
    ),
    ("el viernes me las trago todas y ya", "emergency"),
    ("no quiero ser una carga para nadie y tengo guardadas las pastillas para dormir", "emergency"),
    ("de repente se me oscurecio el ojo derecho y sigo sin ver nada con ese ojo", "emergency"),
    ("mi mama se doblo el pie bajando la escalera y no puede pisar", "urgent"),
    ("la fistula del brazo no tiene el zumbido desde esta manana", "urgent"),
    ("veo destellos de luz y un monton de moscas flotando en el ojo izquierdo", "urgent"),
    ("my wifes eyes have turned yellow over the weekend and her pee is dark", "urgent"),
    # a coughing-fit illness with the breath back between fits; blue lips or a young infant still are
    (
        "my 10 year old has whooping cough fits where he cant catch his breath, fine in between fits",
        "urgent",
    ),
    ("coughing fits, she cant catch her breath and her lips turn blue, fine in between", "emergency"),
    ("my 6 week old has coughing fits where he cant catch his breath, fine between fits", "emergency"),
    ("a mi abuela se le torcio la boca y habla enredado desde hace media hora", "emergency"),
    (
        "tengo la lengua y el labio de arriba bien hinchadisimos desde que tome la pastilla nueva",
        "emergency",
    ),
    ("mi papa tiene fibrilacion y desde la tarde tiene un dolor de barriga horrible", "emergency"),
    ("mi nieta de 9 meses con diarrea, la mollera se le ve bien hundida y esta flojita", "emergency"),
    ("mi hijo de 3 tiene tos y se le hunde la piel entre las costillas", "emergency"),
    ("se golpeo la cabeza jugando y ahora cuesta despertarlo", "emergency"),
    ("mi hijo de 2 años agarró el pastillero de la abuela y se comió una pastilla", "emergency"),
    ("mi esposo se trago su pastilla de la presion con jugo, hay problema?", "routine"),
    ("me tome una pastilla de tylenol para el dolor de panza y ya me siento mejor", "routine"),
    # history, hypotheticals and documents told in Spanish
    ("mi papa no puede caminar mucho por la artritis, quiero pedir una andadera", "routine"),
    ("mi hija tuvo fiebre el viernes pero no ha tenido mas desde el sabado, esta jugando", "routine"),
    ("he had a fever on monday but hasnt had one since, eating fine", "routine"),
    ("mi esposo estuvo en emergencia el martes porque se desmayo del calor, ya esta bien", "routine"),
    ("el perro me mordio hace un mes y ya sano, cuanto cuesta la vacuna", "routine"),
    ("si algun dia a mi bebe le da fiebre alta, a que hospital vamos?", "routine"),
    ("necesito el plan de convulsiones firmado para la escuela de mi hija", "routine"),
    ("la convulsion que tuvo en marzo no le ha vuelto a dar, necesito la cita de seguimiento", "routine"),
]


_TWENTY_SECOND_ROUND: list[tuple[str, str]] = [
    # Spanish as written by farm, construction and restaurant workers and their families
    ("mi suegro dice que le duele el pecho muy fuerte y esta sudando", "emergency"),
    ("el azucar no me marca numero, el aparato nomas dice HI, y vomite dos veces", "emergency"),
    ("a mi esposo le dio una descarga en el trabajo y ahora siente el corazon disparejo", "emergency"),
    ("se cayo del andamio y no siente las piernas", "emergency"),
    ("dejamos el calenton prendido toda la noche y todos amanecimos con dolor de cabeza", "emergency"),
    ("mis hijos estan muy dormidos y no los puedo despertar", "emergency"),
    ("mi niño de 2 no quiere usar el brazo desde que lo jale de la mano", "urgent"),
    ("me entro una basurita en el ojo con la pulidora y me arde", "urgent"),
    ("la creatinina me salio en 2.4 y tomo ibuprofeno todos los dias", "urgent"),
    ("mi mama se resbalo en la cocina y anda cojeando", "urgent"),
    ("se me metio cemento en las botas y tengo ampollas en las piernas", "urgent"),
    ("me clave un clavo en el pie y ahora esta rojo", "urgent"),
    ("estoy vomitando todo, lo devuelvo hasta el agua y solo he orinado una vez hoy", "urgent"),
    ("a veces pienso que ojala ya no despertara", "urgent"),
    ("con el humo se me puso mal el asma, uso el albuterol cada 3 horas", "urgent"),
    ("se le acaba el levetiracetam manana y le dan convulsiones si no se lo toma", "urgent"),
    ("me torci el tobillo, se hincho y esta morado, no puedo apoyar el pie", "urgent"),
    ("mi nieto se trago un chicle, le pasa algo?", "routine"),
    ("tengo asma, uso el albuterol y siento el pecho apretado cuando hace frio", "routine"),
    # subtle twists and imitation rounds in English
    ("fever of 102 and her neck is too stiff to bend", "emergency"),
    ("i was cleaning the oven and the spray got in my eye, it burns and looks cloudy", "emergency"),
    ("numb when I wipe and both legs feel heavy since my back went out", "emergency"),
    ("ive saved up enough of my trazodone and i feel hopeless", "emergency"),
    ("my 4 yo wont put her full weight on her left leg since this morning", "urgent"),
    ("my son gets seizures if he misses his keppra and he runs out tomorrow", "urgent"),
    (
        "my daughter has had a nosebleed that has not stopped in almost an hour even pinching it",
        "emergency",
    ),
    (
        "fell off the step stool and landed on my left side on the railing, now my shoulder hurts",
        "emergency",
    ),
    ("the camp form needs a line that the counselors can give his epipen", "routine"),
]


_TWENTY_THIRD_ROUND: list[tuple[str, str]] = [
    # the last round of the session, measured with the retrained models (all Spanish, two imitations)
    ("comi mariscos y se me esta cerrando la garganta y tengo la voz ronca", "emergency"),
    ("mi hija se tomo como 25 tylenol extra fuerte hace dos horas", "emergency"),
    (
        "mi abuela de repente no ve nada del lado izquierdo y se le esta durmiendo la pierna izquierda",
        "emergency",
    ),
    (
        "ive been saving up the extras for months, after the holidays im done, i have it all worked out",
        "emergency",
    ),
    (
        "mi hijo tiene dolor de panza que empezo en el ombligo y ahora le duele abajo del lado derecho"
        " y vomito",
        "emergency",
    ),
    ("type 1, i have maybe 1 day left of insulin and the pharmacy needs a new script", "urgent"),
    ("soy diabetica tipo 1 y solo me queda insulina para hoy", "urgent"),
    ("a veces siento que seria mejor dormirme y no despertar, no tengo ningun plan", "urgent"),
    ("mi hija se esta cortando los brazos con una navajita", "urgent"),
    ("tengo epoc y estoy sacando flema y ahora es verde", "urgent"),
    ("creo que es la piedra del rinon otra vez, el dolor va y viene", "urgent"),
    ("mi esposo ronca muy fuerte, necesito un estudio del sueño", "routine"),
]


_TWENTY_FOURTH_ROUND: list[tuple[str, str]] = [
    # someone else's overdose told while it is happening (not a story about them)
    ("my roommate says she swallowed like 30 advil about an hour ago, what do we do", "emergency"),
    ("mi compañera de cuarto tuvo una sobredosis de pastillas hace media hora, que hago", "emergency"),
    ("my coworker overdosed two years ago and it scared me, can we talk about my own meds", "routine"),
    # a kidney test that jumped, told in Spanish with the old value after "y"
    ("la creatinina me salio 2.3 y el año pasado estaba en 0.9, tomo naproxeno diario", "urgent"),
    ("la creatinina de mi mama subio de 1.0 a 2.2 despues del diuretico nuevo", "urgent"),
    # sets 102-106 (two imitations, all Spanish, subtle twists, the same-day line)
    ("i have a jar of my husbands oxycodone saved and im going to take them all on sunday", "emergency"),
    (
        "we had our baby boy 6 days ago, my head has pounded all day and tylenol isnt touching it",
        "emergency",
    ),
    (
        "my delivery was 9 days ago and i keep seeing zigzag lights, bp was 170/110 at the pharmacy",
        "emergency",
    ),
    (
        "got dizzy and sweaty with heartburn while shoveling snow and the sweat is still pouring off me",
        "emergency",
    ),
    ("my son is 14 and says it hurts down there, the left side is swollen since lunch", "emergency"),
    ("mid sneeze something popped in my chest and now i cant get a full breath in", "emergency"),
    (
        "my inner thighs and butt feel numb and i cant feel the toilet paper, back has been killing me",
        "emergency",
    ),
    ("the headache went from nothing to the worst of my life while i was at the gym", "emergency"),
    ("the space heater has been on all night and all 3 of us have headaches and feel sick", "emergency"),
    ("my brother said hes going to drive his truck off the bridge tonight", "emergency"),
    ("dad gave me his passwords and said i wont have to worry about him much longer", "emergency"),
    (
        "the ultrasound report says findings consistent with acute appendicitis, nobody called me",
        "emergency",
    ),
    ("a mi hijo le salio apendicitis en el ultrasonido y lo mandaron a la casa", "emergency"),
    ("my 4 yo tipped a mug of boiling water, her neck and chest are blistered and peeling", "emergency"),
    ("cut my hand on a mower blade and the blood pulses out every time i lift the towel", "emergency"),
    ("mi mama toma insulina y el aparato marca 35, esta dice cosas sin sentido", "emergency"),
    (
        "empezo alrededor del ombligo y ahora le duele abajo a la derecha, tiene fiebre y vomito",
        "emergency",
    ),
    (
        "had an epidural last week and now get a headache every time i sit up, it goes away lying flat",
        "urgent",
    ),
    ("my beta hcg was 2200 and the ultrasound didnt see a sac", "urgent"),
    ("se le acaba el levetiracetam (keppra) pasado manana y la aseguranza no lo autoriza", "urgent"),
    ("tengo 30 semanas de embarazo y me arde cuando orino", "urgent"),
    ("le duele el costado y creo que son las piedras otra vez", "urgent"),
    ("mi hija piso un clavo en la obra y tiene el pie hinchado", "urgent"),
    ("se cayo del columpio y no la quiere mover, la muñeca esta hinchada", "urgent"),
    ("my kidney function went from 0.9 to 2.4 since starting the new water pill", "urgent"),
    ("my insulin pump died this morning and i need a backup lantus script", "urgent"),
    (
        "2 weeks out from having my daughter, i cry most of the day, more than baby blues",
        "urgent",
    ),
    (
        "grandpa is a little more forgetful and his urine smells strong, it burns when he pees",
        "urgent",
    ),
    ("my afib app says 124 since breakfast, no chest pain", "urgent"),
    ("the incisions from my gallbladder surgery are leaking yellow stuff and warm", "urgent"),
    ("ketones negative, very thirsty, peeing a lot, sugar 290", "urgent"),
    (
        "she slipped on the ice and hit her head on the step but seems fine now, she is not on thinners",
        "routine",
    ),
    ("the copier at the front desk was broken so they could not scan my card", "routine"),
    ("my chest hurts when i press on it after the pushup challenge, no shortness of breath", "routine"),
    ("what kind of belly pain means go to the er? just curious after my cousins surgery", "routine"),
    # sets 107-110 (two imitations, all Spanish, protocol coverage)
    ("my 15 yo says his right nut started killing him out of nowhere an hour ago", "emergency"),
    ("mi hermano le dijo a su amigo que se va a tomar todas las pastillas de mi abuela", "emergency"),
    ("mi papa toma warfarina, se pego en la cabeza y hoy me pregunto tres veces que dia es", "emergency"),
    ("de repente se me durmio la cara del lado derecho y mi hija dice que hablo chistoso", "emergency"),
    ("for my back ive been taking tylenol every 2 hours around the clock for 4 days", "emergency"),
    ("grandma was in her cold apartment all night and she is not really making sense", "emergency"),
    ("hago popo negra desde ayer y casi me desmayo cuando me levante", "emergency"),
    ("diabetic, the boil on my thigh now has a purple black patch spreading and fever 101", "emergency"),
    ("we have all been throwing up and dizzy since we lit the old gas heater", "emergency"),
    (
        "after my long flight my calf is swollen and its hard to catch my breath on the stairs",
        "emergency",
    ),
    (
        "my legs got weak after the flu, now my hands too, and breathing is a little harder today",
        "emergency",
    ),
    ("the grease gun went off against my right index finger, now its pale and swollen", "emergency"),
    ("got hit with 480 at work, my chest is fluttering and my hand is numb", "emergency"),
    ("mi mama se cayo y le duele la cadera, casi no puede caminar", "urgent"),
    ("creatinine 2.1?? last time it was 0.9, started lisinopril", "urgent"),
    ("since they upped my carvedilol my pulse is 48 and im very tired", "urgent"),
    ("broke my last humalog vial, no insulin for tonight, please call in a new one", "urgent"),
    ("me cayo algo en el ojo cortando fierro, me llora mucho", "urgent"),
    ("me entro un clavo de la clavadora en el dedo", "urgent"),
    ("el dedo gordo del pie esta rojo y caliente, creo que es la gota", "urgent"),
    ("al nino lo mordio el chucho de la vecina en la pierna", "urgent"),
    ("tengo 32 semanas y el bebe se mueve mucho menos desde ayer", "urgent"),
    ("le pusieron una inyeccion de penicilina y ahora tiene ronchas en todo el cuerpo", "urgent"),
    ("there is a red line going up my arm from the splinter", "urgent"),
    ("im on chemo and my mouth is full of sores, hard to drink anything", "urgent"),
    ("pushed a bobby pin too far in my ear and now it sounds muffled", "urgent"),
    ("ok so im confused. why did the lab bill me separately from the visit?", "routine"),
    (
        "my daughter had a seizure with a fever two years ago and has been fine since, what would we do",
        "routine",
    ),
    ("se le esta acabando el keppra, ella tiene convulsiones y no quiero que le den", "urgent"),
    ("cuando llamo el interprete se corta y no entiendo nada", "routine"),
    ("mi hijo se quebro el pie jugando, ya esta bien, le quitaron el yeso en junio", "routine"),
    ("my urine was red after the beet smoothie, normal again now", "routine"),
    ("where should we put the carbon monoxide detectors in a new house?", "routine"),
    ("food gets stuck between my teeth on the left, need a dentist", "routine"),
    ("the penny he swallowed came out in his diaper today", "routine"),
    (
        "the er gave me epi for the peanut reaction and i was fine in a couple hours, now the bill",
        "routine",
    ),
    (
        "my fingers were white after skiing but after warming up they turned pink and feel normal",
        "routine",
    ),
]

_TWENTY_FIFTH_ROUND: list[tuple[str, str]] = [
    # sets 111-114, the first measured with the models retrained on sets 96-110
    ("tengo 28 semanas y estoy sangrando mucho, llene una toalla en media hora", "emergency"),
    (
        "ive been keeping the old ones and with this refill ill have enough, im tired of being a burden",
        "emergency",
    ),
    ("mi hermano dice que se va a matar y saco la pistola del carro", "emergency"),
    ("el bebe no ha mojado el panal desde anoche y esta muy aguadito", "emergency"),
    ("found grandpa in the cold garage, thermometer says 92.8 and his skin is ice cold", "emergency"),
    ("she turns 2 months next week and had 100.6 rectal tonight", "emergency"),
    ("got a positive test last week, now sharp pain low on the right and i almost fainted", "emergency"),
    ("my toddler took a sip of the lamp oil and keeps coughing", "emergency"),
    ("took his glipizide by mistake, her meter, its 45, and she is spacey", "emergency"),
    ("insurance denied my insulin and i have 1 day left in the pen", "urgent"),
    ("el seguro no aprueba la insulina y solo me queda para la dosis de la noche", "urgent"),
    ("la creatinina salio 2.5, en enero tenia 1.0", "urgent"),
    ("o2 is 89 on my 2 liters, usually 91-92, talking fine", "urgent"),
    ("mi papa tiene epoc y se ahoga mas cuando camina, la flema esta verde", "urgent"),
    ("my c-section incision is red and draining, the baby is 10 days old, my temp was 100.8", "urgent"),
    ("out of her keppra since monday, she had one of her usual seizures and is back to herself", "urgent"),
    ("el ombligo del bebe tiene una costrita amarilla pero no huele", "routine"),
    (
        "what temperature counts as a fever for a newborn? just want to know before she comes home",
        "routine",
    ),  # the brand "ella" is emergency contraception; the Spanish pronoun "ella" is not
    ("the condom slipped last night, can you call in ella for me", "urgent"),
    ("no usamos condon anoche, me pueden mandar la pastilla del dia siguiente", "urgent"),
]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        *_THIRD_ROUND,
        *_FOURTH_ROUND,
        *_FIFTH_ROUND,
        *_SIXTH_ROUND,
        *_SEVENTH_ROUND,
        *_EIGHTH_ROUND,
        *_NINTH_ROUND,
        *_TENTH_ROUND,
        *_ELEVENTH_ROUND,
        *_TWELFTH_ROUND,
        *_THIRTEENTH_ROUND,
        *_FOURTEENTH_ROUND,
        *_FIFTEENTH_ROUND,
        *_SIXTEENTH_ROUND,
        *_SEVENTEENTH_ROUND,
        *_EIGHTEENTH_ROUND,
        *_NINETEENTH_ROUND,
        *_TWENTIETH_ROUND,
        *_TWENTY_FIRST_ROUND,
        *_TWENTY_SECOND_ROUND,
        *_TWENTY_THIRD_ROUND,
        *_TWENTY_FOURTH_ROUND,
        *_TWENTY_FIFTH_ROUND,
    ],
)
def test_categories_from_the_numbered_rounds(text: str, level: str) -> None:
    """What each blind round taught, reworded rather than copied from the sets (one list per round above)."""
    assert _rules_only_screen(text).urgency.value == level


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mi mama dice que ella tiene dolor de pecho", False),
        ("ella no quiere comer y tiene fiebre", False),
        ("soy la hermana de ana, ella dio a luz hace 10 dias", False),
        ("can you send ella to my pharmacy", True),
        ("is ella better than plan b", True),
    ],
)
def test_the_spanish_pronoun_ella_is_not_the_emergency_contraceptive(text: str, expected: bool) -> None:
    concepts = triage._Concepts(load_rules(), normalize(text))
    assert concepts.has("emergency_contraception") is expected
