"""Vertebral morphometry: Genant grade edges, deformity type, crush reference, SDI, input errors."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinefx.clinical.morphometry import (
    EXPECTED_HP_MM,
    GENANT_GRADE_LABELS,
    NORMATIVE_SOURCE,
    NOT_ASSESSED_REASON,
    GradingInput,
    GradingResult,
    VertebraGrade,
    grade,
    grade_from_loss_pct,
    headline,
    intact_levels,
)
from spinefx.clinical.spine import SDI_LEVELS, Level
from spinefx.errors import InputError
from spinefx.validation import parse_input


def v(level: str, ha: float, hm: float, hp: float) -> dict[str, Any]:
    return {"level": level, "ha": ha, "hm": hm, "hp": hp}


def box(level: str, hp: float) -> dict[str, Any]:
    """A vertebra with three equal heights (no wedge, no biconcavity)."""
    return v(level, hp, hp, hp)


def normal(level: str, scale: float = 1.0) -> dict[str, Any]:
    """An intact vertebra of the normative size for its level, times ``scale``."""
    return box(level, EXPECTED_HP_MM[Level(level)] * scale)


def run(*vertebrae: dict[str, Any]) -> GradingResult:
    return grade(parse_input(GradingInput, {"vertebrae": list(vertebrae)}))


def at(result: GradingResult, level: str) -> VertebraGrade:
    return next(g for g in result.vertebrae if g.level == level)


def levels(items: tuple[Level, ...]) -> tuple[str, ...]:
    return tuple(level.value for level in items)


# --- Grade edges ------------------------------------------------------------------------------

EDGES = [
    (0.0, 0),
    (19.99, 0),
    (20.0, 1),
    (24.99, 1),
    (25.0, 2),
    (40.0, 2),
    (40.01, 3),
    (100.0, 3),
]


@pytest.mark.parametrize(("pct", "expected"), EDGES)
def test_grade_from_loss_pct_at_every_edge(pct: float, expected: int) -> None:
    assert grade_from_loss_pct(pct) == expected


@pytest.mark.parametrize(("pct", "expected"), [(19.999999999999996, 1), (40.000000000000004, 2)])
def test_float_noise_at_an_edge_is_rounded_away(pct: float, expected: int) -> None:
    assert grade_from_loss_pct(pct) == expected


@pytest.mark.parametrize("pct", [float("nan"), float("inf")])
def test_grade_from_loss_pct_rejects_non_finite_values(pct: float) -> None:
    with pytest.raises(ValueError):
        grade_from_loss_pct(pct)


def between_normal_neighbours(ha: float, hm: float, hp: float) -> GradingResult:
    """L2 between an L1 and an L3 whose posterior heights are exactly what L2's predicts."""
    scale = hp / EXPECTED_HP_MM[Level.L2]
    return run(normal("L1", scale), v("L2", ha, hm, hp), normal("L3", scale))


@pytest.mark.parametrize(
    ("ha", "hp", "expected"),
    [
        (40.005, 50.0, 0),  # 19.99 %
        (40.0, 50.0, 1),  # 20 %
        (20.0, 25.0, 1),  # 20 %; 1 - 20/25 is 0.19999999999999996 in floats
        (37.505, 50.0, 1),  # 24.99 %
        (37.5, 50.0, 2),  # 25 %
        (21.0, 28.0, 2),  # 25 %
        (30.0, 50.0, 2),  # 40 %
        (18.0, 30.0, 2),  # 40 %
        (29.995, 50.0, 3),  # 40.01 %
    ],
)
def test_grade_edges_from_real_heights(ha: float, hp: float, expected: int) -> None:
    g = at(between_normal_neighbours(ha, hp, hp), "L2")
    assert (g.grade, g.crush_assessed, g.losses.crush) == (expected, True, 0.0)


@pytest.mark.parametrize("pct", [20, 25, 40])
def test_exact_edges_land_right_for_every_posterior_height_in_tenths(pct: int) -> None:
    expected = grade_from_loss_pct(pct)
    for tenths in range(50, 801):
        hp = Decimal(tenths) / 10
        ha = hp * (100 - pct) / 100
        g = at(run(v("L2", float(ha), float(hp), float(hp))), "L2")
        # alone, L2's crush is not assessed; the wedge grade stands (a lower bound)
        assert g.grade == expected, (float(ha), float(hp))


def test_labels_name_every_grade() -> None:
    assert GENANT_GRADE_LABELS == {0: "normal", 1: "mild", 2: "moderate", 3: "severe"}


# --- Types and losses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("l2", "expected_type"),
    [
        (v("L2", 18.0, 26.0, 27.0), "wedge"),
        (v("L2", 26.0, 18.0, 27.0), "biconcave"),
        (box("L2", 18.225), "crush"),  # 25 % below the 24.3 mm its neighbours predict
        (v("L2", 20.0, 20.0, 27.0), "wedge"),  # wedge and biconcave tie: wedge
        (v("L2", 18.225, 13.66875, 18.225), "biconcave"),  # 25 % biconcave ties 25 % crush
        (v("L2", 13.66875, 18.225, 18.225), "wedge"),  # wedge ties crush: wedge
        (box("L2", 24.3), None),  # grade 0 has no type
    ],
)
def test_type_is_the_largest_loss_with_ties_to_wedge_then_biconcave(
    l2: dict[str, Any], expected_type: str | None
) -> None:
    assert at(run(normal("L1"), l2, normal("L3")), "L2").type == expected_type


def test_reference_l2_between_normal_neighbours() -> None:
    result = run(normal("L1"), v("L2", 18.0, 21.0, 27.0), normal("L3"))
    l2 = at(result, "L2")
    assert (l2.grade, l2.type, l2.height_loss_pct) == (2, "wedge", 33.3)
    assert l2.losses.model_dump() == {"wedge": 33.3, "biconcave": 22.2, "crush": 0.0}


# --- The crush reference: intact neighbours, carried by the normative table -------------------


# Kunkel 2011, Table 2, VBHP (mm), T1-T12; L1-L5 filled from Panjabi 1992, Table 2 (VBHp).
PUBLISHED_HP_MM = {
    "T1": 15.28,
    "T2": 16.11,
    "T3": 17.41,
    "T4": 18.15,
    "T5": 17.33,
    "T6": 18.22,
    "T7": 18.67,
    "T8": 20.05,
    "T9": 20.25,
    "T10": 20.35,
    "T11": 22.67,
    "T12": 23.12,
    "L1": 23.8,
    "L2": 24.3,
    "L3": 23.8,
    "L4": 24.1,
    "L5": 22.9,
}


def test_the_normative_table_is_the_published_one_for_every_level() -> None:
    assert {level.value: mm for level, mm in EXPECTED_HP_MM.items()} == PUBLISHED_HP_MM
    assert "Kunkel" in NORMATIVE_SOURCE and "Table 2" in NORMATIVE_SOURCE
    assert "L1-L5 filled from Panjabi" in NORMATIVE_SOURCE
    assert "provisional" not in NORMATIVE_SOURCE
    # posterior height grows by about a third from T4 to L4 (18.15 -> 24.1 mm)
    assert EXPECTED_HP_MM[Level.L4] / EXPECTED_HP_MM[Level.T4] == pytest.approx(1.328, abs=0.001)


def test_crush_carries_each_neighbour_to_the_level_and_averages_the_sides() -> None:
    # L1 30 and L3 26 predict 30 x 24.3/23.8 = 30.63 and 26 x 24.3/23.8 = 26.55 for L2: 28.59
    result = run(box("L1", 30.0), box("L2", 20.0), box("L3", 26.0))
    l2 = at(result, "L2")
    assert (l2.losses.crush, l2.grade, l2.type) == (30.0, 2, "crush")
    assert levels(l2.crush_reference) == ("L1", "L3")


def test_an_end_of_segment_crush_is_judged_from_the_intact_levels_on_one_side() -> None:
    result = run(normal("T12"), normal("L1"), box("L2", 16.0))
    l2 = at(result, "L2")
    assert levels(l2.crush_reference) == ("L1",)
    assert (l2.grade, l2.type, l2.losses.crush) == (2, "crush", 34.2)


def test_issue_20_t11_crushed_beside_a_biconcave_t10_is_grade_3() -> None:
    # T10 is biconcave (its middle height 33 % down) but its posterior wall stands: a reference
    result = run(v("T10", 28.4, 19.2, 28.6), v("T11", 12.3, 12.0, 12.7))
    t11 = at(result, "T11")
    assert (t11.grade, t11.type, levels(t11.crush_reference)) == (3, "crush", ("T10",))
    t10 = at(result, "T10")  # nothing intact to judge T10's own posterior height against
    assert (t10.grade, t10.type, t10.crush_assessed) == (2, "biconcave", False)
    assert "lower bound" in t10.not_assessed
    assert result.sdi == 5


def test_a_crush_between_a_wedge_and_a_biconcave_neighbour_is_found() -> None:
    # T7 wedge, T8 crushed 30 %, T9 biconcave: both neighbours keep their posterior height
    t7 = v("T7", 14.0, 18.67, 18.67)
    t8 = box("T8", 20.05 * 0.7)
    t9 = v("T9", 20.25, 14.0, 20.25)
    result = run(t7, t8, t9)
    assert (at(result, "T8").grade, at(result, "T8").type) == (2, "crush")
    assert at(result, "T8").losses.crush == pytest.approx(30.0, abs=0.2)
    assert levels(at(result, "T8").crush_reference) == ("T7", "T9")
    assert (at(result, "T7").type, at(result, "T9").type) == ("wedge", "biconcave")


def test_issue_20_a_run_of_five_crushed_levels_is_found_between_intact_ones() -> None:
    run_levels = ("T11", "T12", "L1", "L2", "L3")
    result = run(box("T10", 25.0), *(box(lv, 17.0) for lv in run_levels), box("L4", 28.0))
    for level in run_levels:
        g = at(result, level)
        assert g.grade is not None and g.grade >= 2, (level, g.grade)
        assert levels(g.crush_reference) == ("T10", "L4")
    assert [at(result, lv).grade for lv in run_levels] == [2, 2, 3, 3, 3]
    assert (at(result, "T10").grade, at(result, "L4").grade) == (0, 0)
    assert intact_levels(
        parse_input(
            GradingInput,
            {
                "vertebrae": [
                    box("T10", 25.0),
                    *(box(lv, 17.0) for lv in run_levels),
                    box("L4", 28.0),
                ]
            },
        ).vertebrae
    ) == {Level.T10, Level.L4}


@pytest.mark.parametrize(
    ("l2_hp", "expected_grade", "l2_is_intact"),
    [
        # L2 against normal L1 and L3 (normative size): the 20 % crush edge
        (24.3 * 0.8, 1, False),
        (24.3 * 0.8 + 0.01, 0, True),
        (24.3 * 0.75, 2, False),
        (24.3 * 0.6, 2, False),
        (24.3 * 0.6 - 0.01, 3, False),
    ],
)
def test_the_crush_edges_and_who_stays_a_reference(
    l2_hp: float, expected_grade: int, l2_is_intact: bool
) -> None:
    vertebrae = [normal("L1"), box("L2", l2_hp), normal("L3")]
    result = run(*vertebrae)
    assert at(result, "L2").grade == expected_grade
    intact = intact_levels(parse_input(GradingInput, {"vertebrae": vertebrae}).vertebrae)
    assert (Level.L2 in intact) is l2_is_intact
    # L1's nearest intact level below is L2 when L2 is intact, else L3: never a crushed L2
    expected_refs = ("L2",) if l2_is_intact else ("L3",)
    assert levels(at(result, "L1").crush_reference) == expected_refs


def test_two_adjacent_crushed_levels_do_not_hide_each_other() -> None:
    result = run(normal("T12"), normal("L1", 0.65), normal("L2", 0.65), normal("L3"))
    for level in ("L1", "L2"):
        g = at(result, level)
        assert (g.grade, g.type, g.losses.crush) == (2, "crush", 35.0)
        assert levels(g.crush_reference) == ("T12", "L3")
    for level in ("T12", "L3"):  # each judged against the other, past the crushed pair
        g = at(result, level)
        assert (g.grade, g.crush_assessed, g.losses.crush) == (0, True, 0.0)


def test_a_lone_level_without_deformity_has_no_grade_never_0() -> None:
    result = run(box("L2", 18.0))
    g = at(result, "L2")
    assert (g.grade, g.type, g.crush_assessed, g.losses.crush) == (None, None, False, None)
    assert "not graded" in g.not_assessed
    assert result.ungraded_levels == (Level.L2,)
    assert result.sdi is None and "L2" in result.sdi_reason


def test_a_lone_wedged_level_keeps_its_wedge_grade_as_a_lower_bound() -> None:
    g = at(run(v("L2", 18.0, 26.0, 27.0)), "L2")
    assert (g.grade, g.type, g.crush_assessed) == (2, "wedge", False)
    assert "lower bound" in g.not_assessed


def test_t12_and_l1_are_neighbours() -> None:
    result = run(normal("T12", 0.8), normal("L1"))
    assert at(result, "T12").losses.crush == 20.0
    assert (at(result, "T12").grade, at(result, "T12").type) == (1, "crush")


def test_negative_losses_count_as_zero() -> None:
    result = run(normal("L1", 0.95), v("L2", 30.0, 32.0, 28.0))
    l2 = at(result, "L2")
    assert l2.losses.model_dump() == {"wedge": 0.0, "biconcave": 0.0, "crush": 0.0}
    assert (l2.grade, l2.type, l2.height_loss_pct) == (0, None, 0.0)


def test_vertebrae_come_back_in_spine_order() -> None:
    result = run(normal("L3"), normal("T12"), normal("L1"))
    assert [g.level for g in result.vertebrae] == [Level.T12, Level.L1, Level.L3]


def test_each_vertebra_lists_its_three_criteria_with_their_sources() -> None:
    result = run(normal("L1"), v("L2", 18.0, 26.0, 27.0))
    by_id = {c.id: c for c in at(result, "L2").criteria}
    assert {k: c.status.value for k, c in by_id.items()} == {
        "wedge-loss-20": "met",
        "biconcave-loss-20": "not-met",
        "crush-loss-20": "not-met",
    }
    assert "Genant" in by_id["wedge-loss-20"].source
    assert "posterior vertebral height" in by_id["crush-loss-20"].source
    lone = {c.id: c.status.value for c in at(run(box("L2", 20.0)), "L2").criteria}
    assert lone["crush-loss-20"] == "unknown"


# --- Headline -----------------------------------------------------------------------------------


def test_headline_never_says_no_fracture_while_a_level_is_not_graded() -> None:
    text = headline(run(box("L2", 27.0)))
    assert "No fracture" not in text and "L2" in text and "not ruled out" in text
    assert headline(run(normal("L1"), normal("L2"))) == (
        "No fracture graded: every level is grade 0."
    )
    assert headline(run(normal("L1"), v("L2", 18.0, 21.0, 27.0), normal("L3"))) == (
        "Vertebral fracture graded: L2 grade 2 (moderate wedge)."
    )


# --- SDI -------------------------------------------------------------------------------------


def test_sdi_sums_grades_over_t4_to_l4_only() -> None:
    severe = {"ha": 10.0, "hm": 28.0, "hp": 28.0}  # 64 % wedge: grade 3
    names = ["T1", "T3", "T4", "T12", "L4", "L5"]
    result = run(*(v(level, **severe) for level in names))
    assert all(g.grade == 3 for g in result.vertebrae)
    assert result.sdi == 9  # T4, T12, L4
    assert levels(result.sdi_levels) == ("T4", "T12", "L4")


def test_sdi_is_null_with_the_reason_while_a_t4_to_l4_level_has_no_grade() -> None:
    # T4 (no deformity, nothing intact to compare it with beside a crushed T5) has no grade
    result = run(normal("T4"), normal("T5", 0.5))
    assert at(result, "T5").grade == 3
    assert at(result, "T4").grade is None
    assert result.sdi is None
    assert result.sdi_reason.startswith("T4 not graded (crush not assessed")


def test_an_ungraded_level_outside_t4_to_l4_leaves_the_sdi_alone() -> None:
    result = run(normal("L4"), normal("L5", 0.5))
    assert at(result, "L4").grade is None  # no intact vertebra beside it: L5 is crushed
    assert result.sdi is None  # L4 is an SDI level
    result = run(normal("T2"), normal("T3", 0.5), normal("T4", 0.5))
    assert at(result, "T2").grade is None  # T2 is outside T4-L4
    assert (result.sdi, result.ungraded_levels) == (3, (Level.T2,))


def test_no_sdi_level_measured_gives_zero_and_an_empty_list() -> None:
    result = run(v("L5", 10.0, 28.0, 28.0))
    assert (result.sdi, result.sdi_levels) == (0, ())


def test_sdi_levels_are_the_thirteen_from_t4_to_l4() -> None:
    assert (SDI_LEVELS[0], SDI_LEVELS[-1]) == (Level.T4, Level.L4)
    assert len(SDI_LEVELS) == 13


def test_json_output_has_exactly_the_documented_shape() -> None:
    data = run(v("L2", 18.0, 21.0, 27.0)).model_dump(mode="json")
    criteria = data["vertebrae"][0].pop("criteria")
    assert [c["id"] for c in criteria] == ["wedge-loss-20", "biconcave-loss-20", "crush-loss-20"]
    assert data == {
        "vertebrae": [
            {
                "level": "L2",
                "grade": 2,
                "type": "wedge",
                "height_loss_pct": 33.3,
                "losses": {"wedge": 33.3, "biconcave": 22.2, "crush": None},
                "crush_assessed": False,
                "crush_reference": [],
                "graded_from": "heights",
                "not_assessed": NOT_ASSESSED_REASON + "; grade 2 is a lower bound",
            }
        ],
        "sdi": 2,
        "sdi_levels": ["L2"],
        "sdi_reason": None,
        "ungraded_levels": [],
        "entered_levels": [],
    }


# --- Input errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vertebra", "field", "allowed"),
    [
        (v("C5", 20.0, 20.0, 20.0), "vertebrae[0].level", "one of "),
        (v("L2", 0, 20.0, 20.0), "vertebrae[0].ha", "a number > 0 and <= 80"),
        (v("L2", 20.0, 80.01, 20.0), "vertebrae[0].hm", "a number > 0 and <= 80"),
        (v("L2", 20.0, 20.0, -1), "vertebrae[0].hp", "a number > 0 and <= 80"),
        (v("L2", "20", 20.0, 20.0), "vertebrae[0].ha", "a number > 0 and <= 80"),
        (v("L2", True, 20.0, 20.0), "vertebrae[0].ha", "a number > 0 and <= 80"),
        ({"level": "L2", "ha": 20.0, "hm": 20.0}, "vertebrae[0].hp", "a number > 0 and <= 80"),
        ({**v("L2", 20.0, 20.0, 20.0), "ht": 3}, "vertebrae[0].ht", "no such field"),
    ],
)
def test_bad_vertebra_is_an_input_error_naming_the_field(
    vertebra: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(InputError) as info:
        parse_input(GradingInput, {"vertebrae": [vertebra]})
    assert info.value.field == field
    assert info.value.allowed.startswith(allowed)
    assert len(info.value.problems) == 1


def test_c5_error_lists_the_allowed_levels() -> None:
    with pytest.raises(InputError) as info:
        parse_input(GradingInput, {"vertebrae": [v("C5", 20.0, 20.0, 20.0)]})
    assert '"T1"' in info.value.allowed
    assert '"L5"' in info.value.allowed


def test_a_height_of_exactly_80_is_allowed() -> None:
    result = run(v("L1", 80, 80, 80), v("L2", 80, 80, 80))
    assert [g.grade for g in result.vertebrae] == [0, 0]


@pytest.mark.parametrize(
    "data", [{"vertebrae": []}, {}, {"vertebrae": None}, {"vertebrae": [], "entered": []}]
)
def test_at_least_one_vertebra(data: dict[str, Any]) -> None:
    with pytest.raises(InputError) as info:
        parse_input(GradingInput, data)
    assert info.value.field == "vertebrae"


def test_a_duplicate_level_error_names_vertebrae_and_says_why() -> None:
    with pytest.raises(InputError) as info:
        parse_input(GradingInput, {"vertebrae": [normal("L2"), normal("L2")]})
    assert info.value.field == "vertebrae"
    assert info.value.value == "L2"
    assert info.value.allowed == "each level at most once"


# --- Property ----------------------------------------------------------------------------------

heights = st.floats(min_value=0.1, max_value=80.0, allow_nan=False)


@given(hp=heights, first=heights, second=heights, which=st.sampled_from(["ha", "hm"]))
def test_grade_never_falls_as_the_anterior_or_middle_height_shrinks(
    hp: float, first: float, second: float, which: str
) -> None:
    taller, shorter = max(first, second), min(first, second)

    def grade_with(height: float) -> int:
        heights = {"ha": hp, "hm": hp, which: height}
        graded = run(v("L2", heights["ha"], heights["hm"], hp)).vertebrae[0].grade
        return -1 if graded is None else graded  # not graded: below every grade

    assert grade_with(shorter) >= grade_with(taller)


spine_heights = st.lists(st.floats(min_value=5.0, max_value=40.0), min_size=2, max_size=13)


@given(hps=spine_heights)
def test_a_level_is_ungraded_only_when_nothing_intact_judges_it(hps: list[float]) -> None:
    vertebrae = [box(level.value, hp) for level, hp in zip(SDI_LEVELS, hps, strict=False)]
    result = run(*vertebrae)
    intact = intact_levels(parse_input(GradingInput, {"vertebrae": vertebrae}).vertebrae)
    for g in result.vertebrae:
        assert g.grade is not None or (g.crush_reference == () and g.not_assessed)
        assert set(g.crush_reference) <= intact - {g.level}
        assert g.grade != 0 or g.crush_assessed  # never a 0 that was not judged
    # the tallest level for its size is always a reference: at most it goes unjudged
    assert len(result.ungraded_levels) <= 1


def test_the_documented_example_matches_the_code() -> None:
    page = Path(__file__).parents[2] / "docs" / "rules" / "morphometry.md"
    example_input, example_output = re.findall(r"```json\n(.*?)\n```", page.read_text(), re.S)
    result = grade(parse_input(GradingInput, json.loads(example_input)))
    assert result.model_dump(mode="json") == json.loads(example_output)


# --- Entered percentages -----------------------------------------------------------------------


def entered(*losses: dict[str, Any], vertebrae: tuple[dict[str, Any], ...] = ()) -> GradingResult:
    return grade(parse_input(GradingInput, {"vertebrae": list(vertebrae), "entered": list(losses)}))


@pytest.mark.parametrize(("pct", "expected"), EDGES)
def test_an_entered_percentage_is_graded_by_the_same_edges(pct: float, expected: int) -> None:
    result = entered({"level": "L1", "height_loss_pct": pct})
    l1 = at(result, "L1")
    assert l1.grade == expected
    assert l1.graded_from == "entered-pct"
    assert l1.losses is None and l1.type is None and l1.crush_reference == ()
    assert result.entered_levels == (Level.L1,)


@pytest.mark.parametrize("pct", [20, 25, 40])  # JSON integers, exactly on each edge
def test_an_entered_integer_on_an_edge_lands_like_a_measured_one(pct: int) -> None:
    hp = 25.0
    measured = run(v("L1", hp * (100 - pct) / 100, hp, hp))  # crush not assessed: lower bound
    typed = entered({"level": "L1", "height_loss_pct": pct})
    assert at(typed, "L1").grade == at(measured, "L1").grade == grade_from_loss_pct(pct)


def test_an_entered_type_is_kept_only_for_a_fracture() -> None:
    result = entered(
        {"level": "T12", "height_loss_pct": 30, "type": "wedge"},
        {"level": "L1", "height_loss_pct": 10, "type": "crush"},
    )
    assert (at(result, "T12").grade, at(result, "T12").type) == (2, "wedge")
    assert (at(result, "L1").grade, at(result, "L1").type) == (0, None)


def test_measured_and_entered_levels_come_back_in_spine_order_and_both_count_in_the_sdi() -> None:
    result = entered(
        {"level": "L2", "height_loss_pct": 30},
        vertebrae=(normal("L1"), normal("L3")),
    )
    assert [g.level.value for g in result.vertebrae] == ["L1", "L2", "L3"]
    assert [g.graded_from for g in result.vertebrae] == ["heights", "entered-pct", "heights"]
    assert result.sdi == 2 and result.sdi_levels == (Level.L1, Level.L2, Level.L3)
    assert result.entered_levels == (Level.L2,)


def test_an_entered_level_is_never_a_crush_reference() -> None:
    # L2 entered between a measured L1 and L3: each reaches past it to the other
    result = entered(
        {"level": "L2", "height_loss_pct": 5},
        vertebrae=(normal("L1"), normal("L3")),
    )
    assert at(result, "L1").crush_reference == (Level.L3,)
    assert at(result, "L3").crush_reference == (Level.L1,)


@pytest.mark.parametrize(
    ("loss", "allowed"),
    [
        ({"level": "L2", "height_loss_pct": 120}, "a number from 0 to 100"),
        ({"level": "L2", "height_loss_pct": -1}, "a number from 0 to 100"),
        ({"level": "L2", "height_loss_pct": "30"}, "a number from 0 to 100"),
        ({"level": "L2"}, "a number from 0 to 100"),
    ],
)
def test_a_bad_entered_percentage_names_its_field_and_the_range(
    loss: dict[str, Any], allowed: str
) -> None:
    with pytest.raises(InputError) as info:
        parse_input(GradingInput, {"entered": [loss]})
    assert info.value.field == "entered[0].height_loss_pct"
    assert info.value.allowed == allowed


def test_a_level_measured_and_entered_is_refused_naming_entered() -> None:
    with pytest.raises(InputError) as info:
        parse_input(
            GradingInput,
            {"vertebrae": [normal("L2")], "entered": [{"level": "L2", "height_loss_pct": 30}]},
        )
    assert (info.value.field, info.value.value) == ("entered", "L2")
    assert info.value.allowed == "each level at most once"
