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
    GENANT_GRADE_LABELS,
    GradingInput,
    GradingResult,
    VertebraGrade,
    grade,
    grade_from_loss_pct,
)
from spinefx.clinical.spine import SDI_LEVELS, Level
from spinefx.errors import InputError
from spinefx.validation import parse_input

NORMAL = {"ha": 28.0, "hm": 28.0, "hp": 28.0}


def v(level: str, ha: float, hm: float, hp: float) -> dict[str, Any]:
    return {"level": level, "ha": ha, "hm": hm, "hp": hp}


def run(*vertebrae: dict[str, Any]) -> GradingResult:
    return grade(parse_input(GradingInput, {"vertebrae": list(vertebrae)}))


def at(result: GradingResult, level: str) -> VertebraGrade:
    return next(g for g in result.vertebrae if g.level == level)


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
    result = run(v("L2", ha, hp, hp))
    assert at(result, "L2").grade == expected


@pytest.mark.parametrize("pct", [20, 25, 40])
def test_exact_edges_land_right_for_every_posterior_height_in_tenths(pct: int) -> None:
    expected = grade_from_loss_pct(pct)
    for tenths in range(50, 801):
        hp = Decimal(tenths) / 10
        ha = hp * (100 - pct) / 100
        result = run(v("L2", float(ha), float(hp), float(hp)))
        assert at(result, "L2").grade == expected, (float(ha), float(hp))


def test_labels_name_every_grade() -> None:
    assert GENANT_GRADE_LABELS == {0: "normal", 1: "mild", 2: "moderate", 3: "severe"}


# --- Types and losses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vertebrae", "expected_type"),
    [
        ([v("L2", 18.0, 26.0, 27.0)], "wedge"),
        ([v("L2", 26.0, 18.0, 27.0)], "biconcave"),
        ([v("L1", **NORMAL), v("L2", 20.0, 20.0, 20.0), v("L3", **NORMAL)], "crush"),
        ([v("L2", 20.0, 20.0, 27.0)], "wedge"),  # wedge and biconcave tie: wedge
        # 25 % biconcave ties 25 % crush (hp 21 against 28): biconcave
        ([v("L1", **NORMAL), v("L2", 21.0, 15.75, 21.0)], "biconcave"),
        ([v("L1", **NORMAL), v("L2", 15.75, 21.0, 21.0)], "wedge"),  # wedge ties crush: wedge
        ([v("L2", 27.0, 27.0, 27.0)], None),  # grade 0 has no type
    ],
)
def test_type_is_the_largest_loss_with_ties_to_wedge_then_biconcave(
    vertebrae: list[dict[str, Any]], expected_type: str | None
) -> None:
    assert at(run(*vertebrae), "L2").type == expected_type


def test_reference_l2_between_normal_neighbours() -> None:
    result = run(v("L1", **NORMAL), v("L2", 18.0, 21.0, 27.0), v("L3", **NORMAL))
    l2 = at(result, "L2")
    assert (l2.grade, l2.type, l2.height_loss_pct) == (2, "wedge", 33.3)
    assert l2.losses.model_dump() == {"wedge": 33.3, "biconcave": 22.2, "crush": 3.6}


def test_crush_uses_the_mean_of_two_neighbours() -> None:
    result = run(v("L1", 30.0, 30.0, 30.0), v("L2", 20.0, 20.0, 20.0), v("L3", 26.0, 26.0, 26.0))
    # hp_ref = (30 + 26) / 2 = 28, so the crush loss is 1 - 20/28 = 28.6 %
    l2 = at(result, "L2")
    assert (l2.losses.crush, l2.grade, l2.type) == (28.6, 2, "crush")
    assert l2.crush_reference == (Level.L1, Level.L3)


def test_crush_uses_the_one_usable_neighbour_measured() -> None:
    result = run(v("L2", 20.0, 20.0, 20.0), v("L3", 30.0, 30.0, 30.0))
    assert at(result, "L2").losses.crush == pytest.approx(33.3)
    # L3's only neighbour is collapsed: it is no reference, so L3's crush is not assessed
    l3 = at(result, "L3")
    assert (l3.losses.crush, l3.crush_assessed, l3.crush_reference) == (None, False, ())


def test_a_level_two_away_is_a_reference_when_the_one_between_was_not_measured() -> None:
    result = run(v("L1", **NORMAL), v("L3", 10.0, 10.0, 10.0))  # L2 missing
    l3 = at(result, "L3")
    assert (l3.crush_reference, l3.losses.crush, l3.grade) == ((Level.L1,), 64.3, 3)
    # L3 is collapsed, so it is no reference for L1: L1 is not assessed
    assert at(result, "L1").losses.crush is None


def test_nothing_measured_within_two_levels_means_no_crush_assessment() -> None:
    result = run(v("L1", **NORMAL), v("L4", 10.0, 10.0, 10.0))
    for level in ("L1", "L4"):
        assert at(result, level).losses.crush is None
        assert at(result, level).crush_assessed is False
    assert at(result, "L4").grade == 0


TWO_CRUSHED = [("T12", 28.0), ("L1", 18.0), ("L2", 18.0), ("L3", 28.0)]


def test_two_adjacent_crushed_levels_do_not_hide_each_other() -> None:
    result = run(*(v(level, h, h, h) for level, h in TWO_CRUSHED))
    for level in ("L1", "L2"):
        g = at(result, level)
        # 1 - 18/28 = 35.7 %: grade 2, not the grade 1 a collapsed neighbour would give
        assert (g.grade, g.type, g.losses.crush) == (2, "crush", 35.7)
        assert g.crush_reference == (Level.T12, Level.L3)
    for level in ("T12", "L3"):  # every neighbour within reach is collapsed
        g = at(result, level)
        assert (g.grade, g.crush_assessed, g.losses.crush) == (0, False, None)


@pytest.mark.parametrize(
    ("heights", "expected"),
    [
        # (level, hp) with ha = hm = hp; L2 is judged
        ([("L1", 28.0), ("L2", 22.4), ("L3", 28.0)], (1, ("L1", "L3"))),  # 20 %: collapsed
        ([("L1", 28.0), ("L2", 22.41), ("L3", 28.0)], (0, ("L1", "L3"))),
        # a neighbour 20 % down is collapsed, so L2 reaches past it to T12
        ([("T12", 28.0), ("L1", 22.4), ("L2", 18.0), ("L3", 28.0)], (2, ("T12", "L3"))),
        # a neighbour just under 20 % down is still a reference
        ([("T12", 28.0), ("L1", 22.41), ("L2", 18.0), ("L3", 28.0)], (2, ("L1", "L3"))),
        # a wedged neighbour (its own ratio a deformity) is no reference either
        ([("T12", 28.0), ("L1", 20.0), ("L2", 18.0), ("L3", 28.0)], (2, ("T12", "L3"))),
        # three levels away is out of reach
        ([("T11", 28.0), ("T12", 18.0), ("L1", 18.0), ("L2", 18.0)], (0, ())),
    ],
)
def test_the_crush_reference_at_its_edges(
    heights: list[tuple[str, float]], expected: tuple[int, tuple[str, ...]]
) -> None:
    vertebrae = [v(level, hp, hp, hp) for level, hp in heights]
    if heights[1][0] == "L1" and heights[1][1] == 20.0:
        vertebrae[1] = v("L1", 20.0 * 0.7, 28.0, 28.0)  # L1 wedged 30 %, posterior intact
    g = at(run(*vertebrae), "L2")
    assert (g.grade, tuple(lv.value for lv in g.crush_reference)) == expected


def test_a_lone_flattened_l2_is_not_assessed_rather_than_normal() -> None:
    g = at(run(v("L2", 18.0, 18.0, 18.0)), "L2")
    assert (g.grade, g.crush_assessed, g.losses.crush) == (0, False, None)


def test_t12_and_l1_are_neighbours() -> None:
    result = run(v("T12", 20.0, 20.0, 20.0), v("L1", 25.0, 25.0, 25.0))
    assert at(result, "T12").losses.crush == 20.0
    assert at(result, "T12").type == "crush"


def test_negative_losses_count_as_zero() -> None:
    result = run(v("L1", 26.0, 26.0, 26.0), v("L2", 30.0, 32.0, 28.0))
    l2 = at(result, "L2")
    assert l2.losses.model_dump() == {"wedge": 0.0, "biconcave": 0.0, "crush": 0.0}
    assert (l2.grade, l2.type, l2.height_loss_pct) == (0, None, 0.0)


def test_vertebrae_come_back_in_spine_order() -> None:
    result = run(v("L3", **NORMAL), v("T12", **NORMAL), v("L1", **NORMAL))
    assert [g.level for g in result.vertebrae] == [Level.T12, Level.L1, Level.L3]


# --- SDI -------------------------------------------------------------------------------------


def test_sdi_sums_grades_over_t4_to_l4_only() -> None:
    severe = {"ha": 10.0, "hm": 28.0, "hp": 28.0}  # 64 % wedge: grade 3
    levels = ["T1", "T3", "T4", "T12", "L4", "L5"]
    result = run(*(v(level, **severe) for level in levels))
    assert all(g.grade == 3 for g in result.vertebrae)
    assert result.sdi == 9  # T4, T12, L4
    assert [str(lv) for lv in result.sdi_levels] == ["T4", "T12", "L4"]


def test_no_sdi_level_measured_gives_zero_and_an_empty_list() -> None:
    result = run(v("L5", 10.0, 28.0, 28.0))
    assert (result.sdi, result.sdi_levels) == (0, ())


def test_sdi_levels_are_the_thirteen_from_t4_to_l4() -> None:
    assert (SDI_LEVELS[0], SDI_LEVELS[-1]) == (Level.T4, Level.L4)
    assert len(SDI_LEVELS) == 13


def test_json_output_has_exactly_the_documented_shape() -> None:
    data = run(v("L2", 18.0, 21.0, 27.0)).model_dump(mode="json")
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
            }
        ],
        "sdi": 2,
        "sdi_levels": ["L2"],
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
    assert run(v("L2", 80, 80, 80)).vertebrae[0].grade == 0


@pytest.mark.parametrize(
    "data", [{"vertebrae": []}, {}, {"vertebrae": None}, {"vertebrae": [], "entered": []}]
)
def test_at_least_one_vertebra(data: dict[str, Any]) -> None:
    with pytest.raises(InputError) as info:
        parse_input(GradingInput, data)
    assert info.value.field == "vertebrae"


def test_a_duplicate_level_error_names_vertebrae_and_says_why() -> None:
    with pytest.raises(InputError) as info:
        parse_input(GradingInput, {"vertebrae": [v("L2", **NORMAL), v("L2", **NORMAL)]})
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
        return run(v("L2", heights["ha"], heights["hm"], hp)).vertebrae[0].grade

    assert grade_with(shorter) >= grade_with(taller)


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
    measured = run(v("L1", hp * (100 - pct) / 100, hp, hp))
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
        vertebrae=(v("L1", **NORMAL), v("L3", **NORMAL)),
    )
    assert [g.level.value for g in result.vertebrae] == ["L1", "L2", "L3"]
    assert [g.graded_from for g in result.vertebrae] == ["heights", "entered-pct", "heights"]
    assert result.sdi == 2 and result.sdi_levels == (Level.L1, Level.L2, Level.L3)
    assert result.entered_levels == (Level.L2,)


def test_an_entered_level_is_never_a_crush_reference() -> None:
    # L2 entered between a measured L1 and L3: each reaches past it to the other
    result = entered(
        {"level": "L2", "height_loss_pct": 5},
        vertebrae=(v("L1", 27.0, 27.0, 27.0), v("L3", **NORMAL)),
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
            {"vertebrae": [v("L2", **NORMAL)], "entered": [{"level": "L2", "height_loss_pct": 30}]},
        )
    assert (info.value.field, info.value.value) == ("entered", "L2")
    assert info.value.allowed == "each level at most once"
