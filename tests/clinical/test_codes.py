"""The CPT and ICD-10-CM tables and the code choice for levels and malignancy."""

from __future__ import annotations

import pytest

from spinefx.clinical import sources
from spinefx.clinical.codes import (
    CPT_CODES,
    ICD10CM_CODES,
    SOURCES,
    codes_for,
    cpt_for_levels,
    icd10_for,
    level_or_none,
)


def test_the_tables_hold_exactly_the_documented_codes() -> None:
    assert sorted(CPT_CODES) == ["22510", "22511", "22512", "22513", "22514", "22515"]
    assert sorted(ICD10CM_CODES) == [
        "M48.54XA",
        "M48.55XA",
        "M48.56XA",
        "M80.08XA",
        "M80.08XS",
        "M80.88XA",
        "M80.88XS",
        "M84.58XA",
        "M84.58XS",
    ]
    assert all(text.strip() for text in [*CPT_CODES.values(), *ICD10CM_CODES.values()])


def test_tables_cannot_be_changed_by_callers() -> None:
    with pytest.raises(TypeError):
        CPT_CODES["22513"] = "changed"  # type: ignore[index]


def test_the_tables_cite_their_sources() -> None:
    assert sources.CPT_VERTEBRAL_AUGMENTATION in SOURCES
    assert sources.CPT_VERTEBROPLASTY in SOURCES
    assert sources.ICD10CM_VERTEBRAL_FRACTURE in SOURCES


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], []),
        (["T1"], [("22513", "T1")]),
        (["T12"], [("22513", "T12")]),
        (["L1"], [("22514", "L1")]),
        (["L5"], [("22514", "L5")]),
        (["T12", "L1"], [("22513", "T12"), ("22515", "L1")]),
        (["L1", "L2", "L3"], [("22514", "L1"), ("22515", "L2"), ("22515", "L3")]),
        (["C7", "L2"], [("22514", "L2")]),
        (["C1", "S5"], []),
    ],
)
def test_cpt_for_levels(levels: list[str], expected: list[tuple[str, str]]) -> None:
    lines = cpt_for_levels(levels)
    assert [(line.code, line.level) for line in lines] == expected
    assert all(line.description == CPT_CODES[line.code] for line in lines)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("T1", "T1"), ("L5", "L5"), ("C7", None), ("S1", None), ("L6", None)],
)
def test_level_or_none(value: str, expected: str | None) -> None:
    level = level_or_none(value)
    assert (None if level is None else level.value) == expected


@pytest.mark.parametrize(
    ("malignant", "code"),
    [(True, "M84.58XA"), (False, "M80.08XA")],
)
def test_icd10_for(malignant: bool | None, code: str) -> None:
    lines = icd10_for(["L2"], malignant, osteoporosis_documented=True, traumatic=False)
    assert [(line.code, line.description, line.applies_if) for line in lines] == [
        (code, ICD10CM_CODES[code], None)
    ]


# --- ICD-10-CM Official Guidelines I.C.13.d: osteoporosis documented, traumatic ---------------


@pytest.mark.parametrize(
    ("levels", "osteoporosis_documented", "traumatic", "expected"),
    [
        # known osteoporosis: M80.0-, whatever the (low-energy) fall
        (["L2"], True, False, ["M80.08XA"]),
        (["T8", "L3"], True, False, ["M80.08XA"]),
        # osteoporosis not documented: M48.5-XA by region
        (["T8"], False, False, ["M48.54XA"]),
        (["T12"], False, False, ["M48.54XA"]),
        (["L1"], False, False, ["M48.56XA"]),
        (["L2"], False, False, ["M48.56XA"]),
        (["T12", "L1"], False, False, ["M48.55XA"]),
        (["T11", "T12", "L1"], False, False, ["M48.54XA", "M48.55XA"]),
        (["T8", "L3"], False, False, ["M48.54XA", "M48.56XA"]),
        # a high-energy injury: S22.0- / S32.0- by level, wedge compression, initial, closed
        (["T1"], None, True, ["S22.010A"]),
        (["T4"], None, True, ["S22.040A"]),
        (["T5", "T6"], True, True, ["S22.050A"]),
        (["T8"], False, True, ["S22.060A"]),
        (["T10"], None, True, ["S22.070A"]),
        (["T12", "L1"], None, True, ["S22.080A", "S32.010A"]),
        (["L2"], None, True, ["S32.020A"]),
        (["L5"], None, True, ["S32.050A"]),
    ],
)
def test_the_diagnosis_code_follows_the_documentation(
    levels: list[str],
    osteoporosis_documented: bool | None,
    traumatic: bool | None,
    expected: list[str],
) -> None:
    codes = codes_for(
        levels, False, osteoporosis_documented=osteoporosis_documented, traumatic=traumatic
    )
    assert [line.code for line in codes.icd10cm] == expected
    assert all(line.applies_if is None for line in codes.icd10cm)
    statuses = {c.id: c.status.value for c in codes.criteria}
    assert statuses["traumatic"] == {True: "met", False: "not-met", None: "unknown"}[traumatic]


def test_unknown_documentation_lists_each_candidate_and_says_what_decides() -> None:
    codes = codes_for(["L2"], False, osteoporosis_documented=None, traumatic=False)
    assert [(line.code, line.applies_if) for line in codes.icd10cm] == [
        ("M80.08XA", "osteoporosis is documented"),
        ("M48.56XA", "osteoporosis is not documented"),
    ]
    assert any("documentation of osteoporosis decides" in n for n in codes.notes)
    both = codes_for(["L2"], None, osteoporosis_documented=None, traumatic=None)
    assert [line.code for line in both.icd10cm] == ["M84.58XA", "S32.020A", "M80.08XA", "M48.56XA"]
    assert all(line.applies_if for line in both.icd10cm)
    assert both.icd10cm[-1].applies_if == (
        "no tumor caused it, and no high-energy injury caused it, and osteoporosis is not "
        "documented"
    )
    notes = " ".join(both.notes)
    assert "mechanism of injury decides" in notes
    assert "imaging and the history decide" in notes


def test_the_code_criteria_cite_the_coding_guidelines() -> None:
    codes = codes_for(["L2"], False, osteoporosis_documented=True, traumatic=False)
    assert [c.id for c in codes.criteria] == ["malignant", "traumatic", "osteoporosis-documented"]
    assert codes.criteria[1].source == sources.ICD10CM_GUIDELINES_OSTEOPOROSIS
    assert "I.C.13.d" in codes.criteria[2].source


def test_a_malignant_fracture_puts_m84_58xa_first_then_the_neoplasm_code() -> None:
    codes = codes_for(["L2"], malignant=True)
    assert [line.code for line in codes.icd10cm] == ["M84.58XA"]
    notes = " ".join(codes.notes)
    assert "list M84.58XA first, then the neoplasm code" in notes
    assert "focus of treatment" in notes
    assert "Official Guidelines" in notes
    assert "C79.51" in notes
    assert "C90.00" in notes
    assert "M80.88XA" not in notes


def test_add_on_note_only_with_an_add_on_code() -> None:
    assert not any("22515" in n for n in codes_for(["L2"], malignant=False).notes)
    assert any("22515" in n for n in codes_for(["L2", "L3"], malignant=False).notes)


def test_no_levels_means_no_procedure_code_and_says_so() -> None:
    codes = codes_for(None, malignant=False)
    assert codes.cpt == ()
    assert any("No vertebral levels" in n for n in codes.notes)
