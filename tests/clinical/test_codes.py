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
    [(True, "M84.58XA"), (False, "M80.08XA"), (None, "M80.08XA")],
)
def test_icd10_for(malignant: bool | None, code: str) -> None:
    assert [(line.code, line.description) for line in icd10_for(malignant)] == [
        (code, ICD10CM_CODES[code])
    ]


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
