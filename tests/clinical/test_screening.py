"""The patient self-check: every threshold edge, three-valued logic, red-flag precedence."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinefx.clinical import sources
from spinefx.clinical.screening import (
    EMERGENCY_FLAGS,
    QUESTION_TEXT,
    TODAY_FROM_NRS,
    URGENT_FLAGS,
    Outcome,
    RedFlags,
    ScreeningInput,
    ScreeningResult,
    screen,
)
from spinefx.errors import InputError
from spinefx.validation import parse_input

ALL_FLAGS = (*EMERGENCY_FLAGS, *URGENT_FLAGS)
NO_FLAGS = dict.fromkeys(ALL_FLAGS, False)

# A 58-year-old with sudden sharp pain NRS 9 on day 4, osteoporosis not known, no steroid
# tablets, and (unlike the reference patient's fall) no minor-trauma start, so the pain terms
# are tested alone.
REFERENCE: dict[str, Any] = {
    "age": 58,
    "onset": "sudden",
    "pain_nrs": 9,
    "pain_quality": "sharp",
    "pain_days": 4,
    "osteoporosis": None,
    "minor_trauma": False,
    "steroids": False,
    "red_flags": NO_FLAGS,
}


def run(**changes: Any) -> ScreeningResult:
    return screen(parse_input(ScreeningInput, {**REFERENCE, **changes}))


def status(result: ScreeningResult, criterion_id: str) -> str:
    return next(c.status.value for c in result.criteria if c.id == criterion_id)


def test_reference_patient_is_a_possible_vcf_with_no_unanswered_flags() -> None:
    result = run()
    assert result.outcome is Outcome.POSSIBLE_VCF
    assert result.unanswered_red_flags == ()
    assert status(result, "osteoporosis") == "unknown"
    assert status(result, "age-over-50-or-osteoporosis") == "met"


@pytest.mark.parametrize(
    ("field", "value", "criterion_id", "expected_status", "expected_outcome"),
    [
        # pain 9/10 at 58: a term that fails the checklist still leaves the concern met
        ("pain_days", 3, "pain-over-3-days", "not-met", "see-doctor"),
        ("pain_days", 3.01, "pain-over-3-days", "met", "possible-vcf"),
        ("pain_days", 0, "pain-over-3-days", "not-met", "see-doctor"),
        ("pain_nrs", 6, "severe-pain", "not-met", "see-doctor"),
        ("pain_nrs", 7, "severe-pain", "met", "possible-vcf"),
        ("pain_nrs", 10, "severe-pain", "met", "possible-vcf"),
        ("age", 50, "age-over-50", "not-met", "not-indicated"),
        ("age", 51, "age-over-50", "met", "possible-vcf"),
        ("onset", "gradual", "sudden-onset", "not-met", "see-doctor"),
        ("onset", "sudden", "sudden-onset", "met", "possible-vcf"),
        ("pain_quality", "sharp", "sharp-pain", "met", "possible-vcf"),
        ("pain_quality", "dull", "sharp-pain", "not-met", "see-doctor"),
        ("pain_quality", "aching", "sharp-pain", "not-met", "see-doctor"),
        ("pain_quality", "burning", "sharp-pain", "not-met", "see-doctor"),
    ],
)
def test_each_rule_term_at_its_edge(
    field: str, value: Any, criterion_id: str, expected_status: str, expected_outcome: str
) -> None:
    # osteoporosis answered "no", so the age edge alone decides the OR branch
    result = run(osteoporosis=False, **{field: value})
    assert status(result, criterion_id) == expected_status
    assert result.outcome.value == expected_outcome


# --- The concern: (age > 50 or osteoporosis) and (pain >= 7 or > 3 days) ----------------------


@pytest.mark.parametrize(
    ("age", "osteoporosis", "pain_nrs", "pain_days", "concern", "outcome"),
    [
        # the age term at its edge (pain severe, short)
        (50, False, 7, 2, "not-met", "not-indicated"),
        (51, False, 7, 2, "met", "see-doctor"),
        (50, True, 7, 2, "met", "see-doctor"),
        (50, None, 7, 2, "unknown", "incomplete"),
        (None, False, 7, 2, "unknown", "incomplete"),
        # the pain term at its edge (age 80, short)
        (80, False, 6, 2, "not-met", "not-indicated"),
        (80, False, 7, 2, "met", "see-doctor"),
        (80, False, None, 2, "unknown", "incomplete"),
        # the days term at its edge (age 80, mild pain)
        (80, False, 3, 3, "not-met", "not-indicated"),
        (80, False, 3, 3.01, "met", "see-doctor"),
        (80, False, 3, None, "unknown", "incomplete"),
        # either pain term is enough; one known-false term needs the other known too
        (80, False, None, 4, "met", "see-doctor"),
        (80, False, 9, None, "met", "see-doctor"),
        (80, False, None, None, "unknown", "incomplete"),
        # a false first term makes the risk-factor branch false; the other branches need the
        # pain known
        (40, False, None, None, "unknown", "incomplete"),
        (40, False, 3, 3, "not-met", "not-indicated"),
        (40, False, 10, 14, "not-met", "not-indicated"),
        (40, False, 10, 14.01, "met", "see-doctor"),
    ],
)
def test_the_concern_at_each_edge_of_its_terms(
    age: int | None,
    osteoporosis: bool | None,
    pain_nrs: int | None,
    pain_days: float | None,
    concern: str,
    outcome: str,
) -> None:
    # aching pain of gradual onset: the checklist itself is not met, so the concern decides
    result = run(
        age=age,
        osteoporosis=osteoporosis,
        pain_nrs=pain_nrs,
        pain_days=pain_days,
        onset="gradual",
        pain_quality="aching",
    )
    assert status(result, "concern") == concern
    assert result.outcome.value == outcome


def test_an_80_year_old_with_osteoporosis_and_aching_9_of_10_pain_should_see_a_doctor() -> None:
    result = run(age=80, osteoporosis=True, pain_quality="aching", pain_nrs=9)
    assert result.outcome is Outcome.SEE_DOCTOR
    assert "see a doctor" in result.next_steps[0]


def test_sudden_sharp_9_of_10_pain_on_day_2_should_see_a_doctor() -> None:
    result = run(pain_days=2)
    assert status(result, "pain-over-3-days") == "not-met"
    assert result.outcome is Outcome.SEE_DOCTOR


def test_not_indicated_says_what_was_looked_for_and_that_it_cannot_rule_out_a_fracture() -> None:
    result = run(age=40, osteoporosis=False, pain_nrs=5, pain_days=2)
    assert result.outcome is Outcome.NOT_INDICATED
    first, anyway = result.next_steps[:2]
    assert "looked for" in first
    assert "cannot rule out a fracture" in first
    assert "gets worse" in anyway
    assert "week or two" in anyway
    assert "warning signs" in anyway


def test_incomplete_with_a_true_concern_says_to_see_a_doctor_anyway() -> None:
    # checklist unknown (onset not answered), concern met: incomplete, but not silent
    result = run(onset=None)
    assert result.outcome is Outcome.INCOMPLETE
    assert status(result, "concern") == "met"
    assert any("Whatever the other answers" in step for step in result.next_steps)
    assert result.action == "See a doctor today."  # 9 of 10
    assert run(onset=None, pain_nrs=7).action == (
        "See a doctor within the next few days, and answer the remaining questions."
    )
    calm = run(onset=None, age=40, osteoporosis=False, pain_nrs=5, pain_days=2)
    assert not any("Whatever the other answers" in step for step in calm.next_steps)


def test_a_false_term_decides_the_rule_but_not_indicated_needs_the_concern_known_false() -> None:
    result = screen(ScreeningInput(onset="gradual", red_flags=RedFlags(**NO_FLAGS)))
    assert status(result, "severe-pain") == "unknown"
    assert status(result, "concern") == "unknown"
    assert result.outcome is Outcome.INCOMPLETE
    young = screen(
        ScreeningInput(
            onset="gradual",
            age=40,
            osteoporosis=False,
            steroids=False,
            pain_nrs=5,
            pain_days=2,
            red_flags=RedFlags(**NO_FLAGS),
        )
    )
    assert young.outcome is Outcome.NOT_INDICATED


def test_nothing_answered_is_incomplete_and_lists_every_flag_as_unanswered() -> None:
    result = screen(ScreeningInput())
    assert result.outcome is Outcome.INCOMPLETE
    assert result.unanswered_red_flags == ALL_FLAGS
    assert {c.status.value for c in result.criteria} == {"unknown"}


def test_red_flags_null_means_all_unanswered_never_no() -> None:
    result = run(red_flags=None)
    assert result.outcome is Outcome.POSSIBLE_VCF
    assert result.unanswered_red_flags == ALL_FLAGS
    assert all(status(result, f"red-flag:{name}") == "unknown" for name in ALL_FLAGS)


def test_unanswered_red_flags_lists_exactly_the_null_and_absent_ones() -> None:
    result = run(red_flags={"saddle_numbness": False, "fever": None, "night_pain": False})
    expected = tuple(n for n in ALL_FLAGS if n not in ("saddle_numbness", "night_pain"))
    assert result.unanswered_red_flags == expected


def test_possible_vcf_with_unanswered_flags_says_so() -> None:
    answered = run().next_steps
    unanswered = run(red_flags={}).next_steps
    assert len(unanswered) == len(answered) + 1
    assert "not answered" in unanswered[-1]


@pytest.mark.parametrize("flag", EMERGENCY_FLAGS)
def test_each_emergency_flag_alone_gives_emergency(flag: str) -> None:
    result = run(red_flags={**NO_FLAGS, flag: True})
    assert result.outcome is Outcome.EMERGENCY
    assert status(result, f"red-flag:{flag}") == "met"
    assert "911" in result.next_steps[0]


@pytest.mark.parametrize("flag", URGENT_FLAGS)
def test_each_urgent_flag_alone_gives_urgent(flag: str) -> None:
    result = run(red_flags={**NO_FLAGS, flag: True})
    assert result.outcome is Outcome.URGENT
    assert status(result, f"red-flag:{flag}") == "met"
    assert "today" in result.next_steps[0]


@pytest.mark.parametrize("emergency", EMERGENCY_FLAGS)
@pytest.mark.parametrize("urgent", URGENT_FLAGS)
def test_emergency_outranks_urgent(emergency: str, urgent: str) -> None:
    assert run(red_flags={emergency: True, urgent: True}).outcome is Outcome.EMERGENCY


def test_red_flags_outrank_a_rule_that_is_not_met() -> None:
    assert run(onset="gradual", red_flags={"fever": True}).outcome is Outcome.URGENT


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_has_next_steps_that_never_diagnose(outcome: Outcome) -> None:
    inputs = {
        Outcome.EMERGENCY: {"red_flags": {"leg_weakness": True}},
        Outcome.URGENT: {"red_flags": {"fever": True}},
        Outcome.POSSIBLE_VCF: {},
        Outcome.SEE_DOCTOR: {"pain_nrs": 2},
        Outcome.NOT_INDICATED: {"age": 40, "osteoporosis": False, "pain_nrs": 5},
        Outcome.INCOMPLETE: {"pain_nrs": None},
    }
    result = run(**inputs[outcome])
    assert result.outcome is outcome
    assert result.next_steps
    text = " ".join(result.next_steps).lower()
    assert "you have a fracture" not in text
    assert "you have osteoporosis" not in text


def test_criteria_cite_the_seed_rule_and_the_red_flag_guidelines() -> None:
    result = run()
    for c in result.criteria:
        if c.id.startswith("red-flag:"):
            assert sources.RED_FLAGS_AHCPR in c.source
            assert sources.RED_FLAGS_NHS_WALES in c.source
        elif c.id in ("concern", "minor-trauma", "steroids", "risk-factor", "concern-risk-factor"):
            assert c.source == sources.SCREENING_CONCERN
        elif c.id in ("age-under-20", "concern-under-20"):
            assert sources.RED_FLAGS_AHCPR in c.source
        elif c.id in ("severe-pain-over-14-days", "pain-over-42-days"):
            assert c.source == sources.SCREENING_PERSISTENT_PAIN
        else:
            assert c.source == sources.SEED_SCREENING_RULE


def test_json_output_has_exactly_the_documented_shape() -> None:
    data = run().model_dump(mode="json")
    assert list(data) == [
        "outcome",
        "action",
        "headline",
        "criteria",
        "unanswered_red_flags",
        "to_answer",
        "next_steps",
    ]
    assert data["outcome"] == "possible-vcf"
    assert [c["id"] for c in data["criteria"]] == [
        "sudden-onset",
        "severe-pain",
        "sharp-pain",
        "pain-over-3-days",
        "age-over-50",
        "osteoporosis",
        "age-over-50-or-osteoporosis",
        "minor-trauma",
        "steroids",
        "risk-factor",
        "concern-risk-factor",
        "age-under-20",
        "concern-under-20",
        "severe-pain-over-14-days",
        "pain-over-42-days",
        "concern",
        *(f"red-flag:{name}" for name in ALL_FLAGS),
    ]
    assert set(data["criteria"][0]) == {"id", "status", "source"}
    assert data["unanswered_red_flags"] == []
    assert all(isinstance(step, str) for step in data["next_steps"])


def test_flag_tuples_cover_the_red_flags_model_and_every_question_has_text() -> None:
    assert set(ALL_FLAGS) == set(RedFlags.model_fields)
    assert len(ALL_FLAGS) == len(set(ALL_FLAGS))
    questions = set(ScreeningInput.model_fields) - {"red_flags"} | set(ALL_FLAGS)
    assert set(QUESTION_TEXT) == questions
    assert all(text.strip() for text in QUESTION_TEXT.values())


# --- Input errors name the field and what is allowed -----------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "allowed"),
    [
        ({"age": 130}, "age", "an integer from 18 to 120, or null"),
        ({"age": 17}, "age", "an integer from 18 to 120, or null"),
        ({"age": "58"}, "age", "an integer from 18 to 120, or null"),
        ({"age": True}, "age", "an integer from 18 to 120, or null"),
        ({"age": 58.5}, "age", "an integer from 18 to 120, or null"),
        ({"pain_nrs": 11}, "pain_nrs", "an integer from 0 to 10, or null"),
        ({"pain_nrs": -1}, "pain_nrs", "an integer from 0 to 10, or null"),
        ({"pain_days": -0.5}, "pain_days", "a number >= 0, or null"),
        ({"pain_days": "4"}, "pain_days", "a number >= 0, or null"),
        ({"pain_days": True}, "pain_days", "a number >= 0, or null"),
        ({"onset": "slow"}, "onset", 'one of "sudden", "gradual", or null'),
        (
            {"pain_quality": "stabbing"},
            "pain_quality",
            'one of "sharp", "dull", "aching", "burning", or null',
        ),
        ({"osteoporosis": "yes"}, "osteoporosis", "true or false, or null"),
        ({"osteoporosis": 1}, "osteoporosis", "true or false, or null"),
        ({"red_flags": {"fever": "no"}}, "red_flags.fever", "true or false, or null"),
    ],
)
def test_bad_values_are_input_errors_naming_the_field(
    data: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(InputError) as info:
        parse_input(ScreeningInput, data)
    assert info.value.field == field
    assert info.value.allowed == allowed


@pytest.mark.parametrize(
    ("data", "field"),
    [({"sex": "female"}, "sex"), ({"red_flags": {"headache": True}}, "red_flags.headache")],
)
def test_unknown_fields_are_input_errors(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_input(ScreeningInput, data)
    assert info.value.field == field
    assert info.value.allowed.startswith("no such field")


def test_the_checklist_is_called_a_checklist_not_a_validated_rule() -> None:
    assert "not a validated decision rule" in sources.SEED_SCREENING_RULE
    assert "patient-education page" in sources.SEED_SCREENING_RULE
    assert "NRS in 24 h >= 7" in sources.SEED_SCREENING_RULE
    assert "more than 72 h" in sources.SEED_SCREENING_RULE


def test_the_questions_ask_for_the_worst_pain_and_define_major_trauma() -> None:
    assert "worst" in QUESTION_TEXT["pain_nrs"]
    assert "24 hours" in QUESTION_TEXT["pain_nrs"]
    assert "when you move" in QUESTION_TEXT["pain_nrs"]
    trauma = QUESTION_TEXT["major_trauma"]
    assert "car crash" in trauma
    assert "higher than standing height" in trauma
    assert "from knee height, does not count" in trauma


def test_the_new_red_flags_route_as_the_corrections_say() -> None:
    assert "aortic" in EMERGENCY_FLAGS
    assert "recent_infection" in URGENT_FLAGS
    assert "tearing" in QUESTION_TEXT["aortic"]
    assert "pulsing lump" in QUESTION_TEXT["aortic"]
    assert "fainted" in QUESTION_TEXT["aortic"]
    assert "urine" in QUESTION_TEXT["recent_infection"]


def test_json_numbers_are_accepted_for_pain_days() -> None:
    assert parse_input(ScreeningInput, {"pain_days": 4}).pain_days == 4.0
    assert parse_input(ScreeningInput, {"pain_days": 3.5}).pain_days == 3.5


# --- Properties -------------------------------------------------------------------------------

answers = st.one_of(st.none(), st.booleans())
any_input = st.builds(
    dict,
    age=st.one_of(st.none(), st.integers(18, 120)),
    onset=st.sampled_from([None, "sudden", "gradual"]),
    pain_nrs=st.one_of(st.none(), st.integers(0, 10)),
    pain_quality=st.sampled_from([None, "sharp", "dull", "aching", "burning"]),
    pain_days=st.one_of(st.none(), st.floats(0, 1000)),
    osteoporosis=answers,
    minor_trauma=answers,
    steroids=answers,
    red_flags=st.one_of(st.none(), st.fixed_dictionaries({n: answers for n in ALL_FLAGS})),
)


@given(any_input, st.sampled_from(EMERGENCY_FLAGS))
def test_a_true_emergency_flag_always_gives_emergency(data: dict[str, Any], flag: str) -> None:
    data["red_flags"] = {**(data["red_flags"] or {}), flag: True}
    assert screen(parse_input(ScreeningInput, data)).outcome is Outcome.EMERGENCY


@given(any_input, st.sampled_from(URGENT_FLAGS))
def test_a_true_urgent_flag_without_emergency_flags_gives_urgent(
    data: dict[str, Any], flag: str
) -> None:
    flags = {**(data["red_flags"] or {}), flag: True}
    for name in EMERGENCY_FLAGS:  # answered or not, but never true
        flags[name] = None if flags.get(name) is None else False
    data["red_flags"] = flags
    assert screen(parse_input(ScreeningInput, data)).outcome is Outcome.URGENT


@given(any_input)
def test_not_indicated_needs_every_red_flag_answered_no(data: dict[str, Any]) -> None:
    result = screen(parse_input(ScreeningInput, data))
    if result.outcome is Outcome.NOT_INDICATED:
        assert result.unanswered_red_flags == ()
        assert all(status(result, f"red-flag:{n}") == "not-met" for n in ALL_FLAGS)
        assert result.to_answer == ()


@given(any_input)
def test_to_answer_lists_only_unanswered_questions_and_is_empty_for_an_emergency(
    data: dict[str, Any],
) -> None:
    result = screen(parse_input(ScreeningInput, data))
    if result.outcome is Outcome.EMERGENCY:
        assert result.to_answer == ()
    for name in result.to_answer:
        if name.startswith("red_flags."):
            assert name.removeprefix("red_flags.") in result.unanswered_red_flags
        else:
            assert data[name] is None
    if result.outcome is Outcome.INCOMPLETE:
        assert result.to_answer  # always something to answer


@given(any_input)
def test_not_indicated_never_goes_to_an_older_or_osteoporotic_person_in_real_pain(
    data: dict[str, Any],
) -> None:
    result = screen(parse_input(ScreeningInput, data))
    at_risk = (data["age"] is not None and data["age"] > 50) or data["osteoporosis"] is True
    days = data["pain_days"]
    in_pain = (data["pain_nrs"] is not None and data["pain_nrs"] >= 7) or (
        days is not None and days > 3
    )
    if at_risk and in_pain:
        assert result.outcome is not Outcome.NOT_INDICATED
        assert status(result, "concern") == "met"


@given(any_input)
def test_not_indicated_only_when_the_concern_is_known_false(data: dict[str, Any]) -> None:
    result = screen(parse_input(ScreeningInput, data))
    if result.outcome is Outcome.NOT_INDICATED:
        assert status(result, "concern") == "not-met"


@given(any_input)
def test_criteria_always_include_every_red_flag(data: dict[str, Any]) -> None:
    ids = [c.id for c in screen(parse_input(ScreeningInput, data)).criteria]
    assert [i for i in ids if i.startswith("red-flag:")] == [f"red-flag:{n}" for n in ALL_FLAGS]


def test_the_documented_example_matches_the_code() -> None:
    page = Path(__file__).parents[2] / "docs" / "rules" / "screening.md"
    example_input, example_output = re.findall(r"```json\n(.*?)\n```", page.read_text(), re.S)
    result = screen(parse_input(ScreeningInput, json.loads(example_input)))
    assert result.model_dump(mode="json") == json.loads(example_output)


# --- Issue 20: the safety net's four branches, minor trauma, steroids, "today" ----------------

ANSWERED_NO = {"minor_trauma": False, "steroids": False, "red_flags": NO_FLAGS}


def answer(**fields: Any) -> ScreeningResult:
    return screen(parse_input(ScreeningInput, fields))


def test_issue_20_a_30_year_old_with_10_of_10_pain_for_60_days_sees_a_doctor_today() -> None:
    result = answer(age=30, osteoporosis=False, pain_nrs=10, pain_days=60)
    assert result.outcome is Outcome.SEE_DOCTOR
    assert result.action == "See a doctor today."
    assert status(result, "pain-over-42-days") == "met"
    assert status(result, "severe-pain-over-14-days") == "met"
    assert any("today" in step for step in result.next_steps)
    assert result.unanswered_red_flags == ALL_FLAGS  # and says they are unanswered
    assert "not answered" in result.next_steps[-1]


def test_issue_20_a_45_year_old_with_unanswered_questions_is_never_not_indicated() -> None:
    result = answer(age=45, osteoporosis=False, pain_nrs=9, pain_days=4)
    assert result.outcome is Outcome.INCOMPLETE
    assert "week or two" not in " ".join(result.next_steps)
    assert result.to_answer[0] == "steroids"  # the only non-flag answer that could change it
    assert "red_flags.fever" in result.to_answer
    answered = answer(age=45, osteoporosis=False, pain_nrs=9, pain_days=4, **ANSWERED_NO)
    assert answered.outcome is Outcome.NOT_INDICATED
    steroids = answer(
        age=45, osteoporosis=False, pain_nrs=9, pain_days=4, **{**ANSWERED_NO, "steroids": True}
    )
    assert (steroids.outcome, steroids.action) == (Outcome.SEE_DOCTOR, "See a doctor today.")


@pytest.mark.parametrize(
    ("fields", "branch"),
    [
        ({"age": 19, "pain_nrs": 10, "pain_days": 14}, "concern-under-20"),
        ({"age": 40, "pain_nrs": 10, "pain_days": 60}, "pain-over-42-days"),
        (
            {"age": 85, "osteoporosis": True, "pain_nrs": 4, "minor_trauma": True},
            "concern-risk-factor",
        ),
    ],
)
def test_issue_20_the_cases_that_were_not_indicated_see_a_doctor(
    fields: dict[str, Any], branch: str
) -> None:
    base = {"onset": "gradual", "pain_quality": "aching", "osteoporosis": False, "pain_days": 1}
    result = answer(**{**base, **ANSWERED_NO, **fields})
    assert result.outcome is Outcome.SEE_DOCTOR
    assert status(result, branch) == "met"


@pytest.mark.parametrize(
    ("age", "osteoporosis", "steroids", "pain_nrs", "pain_days", "minor_trauma", "outcome"),
    [
        # the risk-factor branch: age, osteoporosis or steroids; with severe, lasting or trauma
        (51, False, False, 3, 1, True, "see-doctor"),
        (50, False, False, 3, 1, True, "not-indicated"),
        (50, True, False, 3, 1, True, "see-doctor"),
        (50, False, True, 3, 1, True, "see-doctor"),
        (50, False, None, 3, 1, True, "incomplete"),
        (51, False, False, 3, 1, False, "not-indicated"),
        (51, False, False, 3, 1, None, "incomplete"),
        (51, False, False, 7, 1, False, "see-doctor"),
        (51, False, False, 3, 3.01, False, "see-doctor"),
        # the under-20 branch (AHCPR red-flag age): 19 and 20 at the edges of NRS and days
        (19, False, False, 7, 1, False, "see-doctor"),
        (19, False, False, 6, 1, False, "not-indicated"),
        (19, False, False, 3, 3.01, False, "see-doctor"),
        (19, False, False, 3, 3, False, "not-indicated"),
        (20, False, False, 9, 3, False, "not-indicated"),
        (20, False, False, 6, 3.01, False, "not-indicated"),
        # severe pain for more than 14 days, at any age
        (35, False, False, 7, 14.01, False, "see-doctor"),
        (35, False, False, 7, 14, False, "not-indicated"),
        (35, False, False, 6, 30, False, "not-indicated"),
        # any pain for more than 42 days
        (35, False, False, 0, 42.01, False, "see-doctor"),
        (35, False, False, 0, 42, False, "not-indicated"),
        (35, False, False, None, 42.01, False, "see-doctor"),
        (35, False, False, None, 42, False, "incomplete"),
    ],
)
def test_the_concern_branches_at_every_edge(
    age: int,
    osteoporosis: bool | None,
    steroids: bool | None,
    pain_nrs: int | None,
    pain_days: float,
    minor_trauma: bool | None,
    outcome: str,
) -> None:
    result = answer(
        age=age,
        osteoporosis=osteoporosis,
        steroids=steroids,
        pain_nrs=pain_nrs,
        pain_days=pain_days,
        minor_trauma=minor_trauma,
        onset="gradual",
        pain_quality="aching",
        red_flags=NO_FLAGS,
    )
    assert result.outcome.value == outcome


@pytest.mark.parametrize("flag", ALL_FLAGS)
def test_one_unanswered_red_flag_turns_not_indicated_into_incomplete_naming_it(flag: str) -> None:
    fields = {"age": 35, "osteoporosis": False, "pain_nrs": 3, "pain_days": 1, **ANSWERED_NO}
    assert answer(**fields).outcome is Outcome.NOT_INDICATED
    result = answer(**{**fields, "red_flags": {**NO_FLAGS, flag: None}})
    assert result.outcome is Outcome.INCOMPLETE
    assert result.to_answer == (f"red_flags.{flag}",)
    assert result.unanswered_red_flags == (flag,)


@pytest.mark.parametrize(
    ("pain_nrs", "action"),
    [
        (TODAY_FROM_NRS - 1, "See a doctor within the next few days."),
        (TODAY_FROM_NRS, "See a doctor today."),
        (10, "See a doctor today."),
    ],
)
def test_see_doctor_scales_with_the_pain(pain_nrs: int, action: str) -> None:
    result = run(pain_days=2, pain_nrs=pain_nrs)  # the checklist fails on days: see-doctor
    assert result.outcome is Outcome.SEE_DOCTOR
    assert result.action == action
    today = any("today" in step for step in result.next_steps)
    assert today is (pain_nrs >= TODAY_FROM_NRS)


def test_minor_trauma_and_steroids_are_asked_in_plain_words() -> None:
    assert "sneezed" in QUESTION_TEXT["minor_trauma"]
    assert "standing height or lower" in QUESTION_TEXT["minor_trauma"]
    assert "prednisone" in QUESTION_TEXT["steroids"]
    assert "3 months" in QUESTION_TEXT["steroids"]


def test_an_incomplete_result_whose_concern_is_met_leads_with_seeing_a_doctor() -> None:
    result = answer(age=19, pain_nrs=10, pain_days=14)  # osteoporosis not answered
    assert result.outcome is Outcome.INCOMPLETE  # possible-vcf or see-doctor: not yet known
    assert result.action == "See a doctor today."
    assert result.headline.startswith("Your answers are already reason enough to see a doctor")
    assert "osteoporosis" in result.to_answer
