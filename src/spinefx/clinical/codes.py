"""Procedure (CPT) and diagnosis (ICD-10-CM) codes for vertebral augmentation, as data.

The descriptions are short paraphrases in our own words, not the official descriptors (the
CPT text is copyrighted by the AMA). Use them to find the right code, then check the current
code book before billing.

The fracture's diagnosis code follows the ICD-10-CM Official Guidelines (I.C.13.d and chapter
2): a tumour, M84.58XA first; a high-energy injury, S22.0- (thoracic) or S32.0- (lumbar) by
level; known osteoporosis, M80.0-; osteoporosis not documented, M48.5-XA by region. When what
decides it is not known, each candidate is listed with ``applies_if`` and the notes name the
documentation that decides.

>>> [line.code for line in cpt_for_levels(["L1", "L2", "L3"])]
['22514', '22515', '22515']
>>> [line.code for line in icd10_for(["L2"], False, osteoporosis_documented=True, traumatic=False)]
['M80.08XA']
>>> [line.code for line in icd10_for(["L2"], False, osteoporosis_documented=False, traumatic=False)]
['M48.56XA']
>>> [line.code for line in icd10_for(["T12", "L1"], False, osteoporosis_documented=None,
...                                  traumatic=True)]
['S22.080A', 'S32.010A']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict

from spinefx.clinical import sources
from spinefx.clinical.criteria import Criterion, criterion
from spinefx.clinical.spine import Level

__all__ = [
    "CPT_CODES",
    "ICD10CM_CODES",
    "NEOPLASM_CODE_EXAMPLES",
    "SOURCES",
    "CodeSet",
    "CptLine",
    "IcdLine",
    "codes_for",
    "cpt_for_levels",
    "icd10_for",
    "level_or_none",
]

# CPT since 1 January 2015 (replacing 22520-22525); sources.CPT_VERTEBROPLASTY and
# sources.CPT_VERTEBRAL_AUGMENTATION. Paraphrased descriptions.
CPT_CODES: Mapping[str, str] = MappingProxyType(
    {
        "22510": "Vertebroplasty through the skin (cement injected into the body), first "
        "cervical or thoracic vertebral body, imaging guidance included",
        "22511": "Vertebroplasty through the skin, first lumbar or sacral vertebral body, "
        "imaging guidance included",
        "22512": "Vertebroplasty through the skin, each further vertebral body (add-on to "
        "22510 or 22511)",
        "22513": "Vertebral augmentation through the skin with a cavity made first (e.g. "
        "balloon kyphoplasty), first thoracic vertebral body, imaging guidance included",
        "22514": "Vertebral augmentation through the skin with a cavity made first (e.g. "
        "balloon kyphoplasty), first lumbar vertebral body, imaging guidance included",
        "22515": "Vertebral augmentation with cavity creation, each further thoracic or "
        "lumbar vertebral body (add-on to 22513 or 22514)",
    }
)
SOURCES: tuple[str, ...] = (
    sources.CPT_VERTEBROPLASTY,
    sources.CPT_VERTEBRAL_AUGMENTATION,
    sources.ICD10CM_VERTEBRAL_FRACTURE,
    sources.ICD10CM_GUIDELINES_NEOPLASM,
    sources.ICD10CM_GUIDELINES_OSTEOPOROSIS,
)
CPT_AUGMENTATION_THORACIC = "22513"
CPT_AUGMENTATION_LUMBAR = "22514"
CPT_AUGMENTATION_ADD_ON = "22515"

# ICD-10-CM tabular list, sources.ICD10CM_VERTEBRAL_FRACTURE. 7th character: A = initial
# encounter for the fracture (active treatment), S = sequela. Paraphrased descriptions.
ICD10CM_CODES: Mapping[str, str] = MappingProxyType(
    {
        "M80.08XA": "Age-related osteoporosis with a current pathological fracture of "
        "vertebra(e), initial encounter",
        "M80.08XS": "Age-related osteoporosis with a current pathological fracture of "
        "vertebra(e), sequela",
        "M80.88XA": "Other osteoporosis (e.g. drug-induced) with a current pathological "
        "fracture of vertebra(e), initial encounter",
        "M80.88XS": "Other osteoporosis (e.g. drug-induced) with a current pathological "
        "fracture of vertebra(e), sequela",
        "M84.58XA": "Pathological fracture caused by a tumor, other site (vertebra), "
        "initial encounter",
        "M84.58XS": "Pathological fracture caused by a tumor, other site (vertebra), sequela",
        "M48.54XA": "Collapsed vertebra not classified elsewhere, thoracic region, "
        "initial encounter",
        "M48.55XA": "Collapsed vertebra not classified elsewhere, thoracolumbar region, "
        "initial encounter",
        "M48.56XA": "Collapsed vertebra not classified elsewhere, lumbar region, initial encounter",
    }
)
ICD_OSTEOPOROTIC = "M80.08XA"
ICD_NEOPLASTIC = "M84.58XA"
# Collapsed vertebra, not elsewhere classified (M48.5-), initial encounter, by region. Convention:
# T12 and L1 given together are the thoracolumbar junction (one M48.55XA); any other level takes
# its own region.
ICD_COLLAPSE_THORACIC = "M48.54XA"
ICD_COLLAPSE_THORACOLUMBAR = "M48.55XA"
ICD_COLLAPSE_LUMBAR = "M48.56XA"
# Traumatic fracture of a vertebra (ICD-10-CM S22.0- thoracic, S32.0- lumbar): the 5th character
# names the level (S22.05- T5-T6, S22.06- T7-T8, S22.07- T9-T10, S22.08- T11-T12), the 6th the
# type (0 wedge compression, 1 stable burst, 2 unstable burst, 8 other, 9 unspecified) and the
# 7th the encounter (A initial, closed). A compression fracture is coded as wedge compression.
TRAUMATIC_LEVEL_CODES: Mapping[Level, str] = MappingProxyType(
    {
        Level.T1: "S22.01",
        Level.T2: "S22.02",
        Level.T3: "S22.03",
        Level.T4: "S22.04",
        Level.T5: "S22.05",
        Level.T6: "S22.05",
        Level.T7: "S22.06",
        Level.T8: "S22.06",
        Level.T9: "S22.07",
        Level.T10: "S22.07",
        Level.T11: "S22.08",
        Level.T12: "S22.08",
        Level.L1: "S32.01",
        Level.L2: "S32.02",
        Level.L3: "S32.03",
        Level.L4: "S32.04",
        Level.L5: "S32.05",
    }
)
TRAUMATIC_LEVEL_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "S22.01": "first thoracic vertebra",
        "S22.02": "second thoracic vertebra",
        "S22.03": "third thoracic vertebra",
        "S22.04": "fourth thoracic vertebra",
        "S22.05": "T5-T6 vertebra",
        "S22.06": "T7-T8 vertebra",
        "S22.07": "T9-T10 vertebra",
        "S22.08": "T11-T12 vertebra",
        "S32.01": "first lumbar vertebra",
        "S32.02": "second lumbar vertebra",
        "S32.03": "third lumbar vertebra",
        "S32.04": "fourth lumbar vertebra",
        "S32.05": "fifth lumbar vertebra",
    }
)
WEDGE_COMPRESSION_INITIAL = "0A"  # 6th character 0 (wedge compression), 7th A (initial, closed)

# Neoplasm codes that follow M84.58XA on a malignant fracture claim when the fracture is the
# focus of treatment, as in vertebral augmentation (examples only; the neoplasm is the
# patient's own diagnosis). Sources: ICD-10-CM tabular list; sequencing per
# sources.ICD10CM_GUIDELINES_NEOPLASM.
NEOPLASM_CODE_EXAMPLES: Mapping[str, str] = MappingProxyType(
    {
        "C41.2": "Malignant tumor of the vertebral column",
        "C79.51": "Secondary (metastatic) malignant tumor of bone",
        "C90.00": "Multiple myeloma, not in remission",
    }
)


class CptLine(BaseModel):
    """One procedure code for one vertebral level."""

    model_config = ConfigDict(frozen=True)

    code: str
    description: str
    level: str


class IcdLine(BaseModel):
    """One diagnosis code; ``applies_if`` is null when the code is decided, else the condition
    under which it is the right one (a candidate while the documentation is not known)."""

    model_config = ConfigDict(frozen=True)

    code: str
    description: str
    applies_if: str | None = None


class CodeSet(BaseModel):
    """The codes for one planned procedure, with what the coder must still add or check.
    ``criteria``: what decided the diagnosis code (malignant, traumatic, osteoporosis
    documented), met, not met or unknown, with the coding guideline."""

    model_config = ConfigDict(frozen=True)

    cpt: tuple[CptLine, ...]
    icd10cm: tuple[IcdLine, ...]
    notes: tuple[str, ...]
    criteria: tuple[Criterion, ...] = ()


def level_or_none(value: str) -> Level | None:
    """The T1-L5 level named by ``value``, or ``None`` for any other level (C1-C7, S1-S5)."""
    try:
        return Level(value)
    except ValueError:
        return None


def cpt_for_levels(levels: Iterable[str]) -> list[CptLine]:
    """Augmentation codes in the order given: the first T1-L5 level gets 22513 (thoracic) or
    22514 (lumbar), every further one the add-on 22515. Other levels get no code."""
    lines: list[CptLine] = []
    for value in levels:
        level = level_or_none(value)
        if level is None:
            continue
        if lines:
            code = CPT_AUGMENTATION_ADD_ON
        elif level.is_thoracic:
            code = CPT_AUGMENTATION_THORACIC
        else:
            code = CPT_AUGMENTATION_LUMBAR
        lines.append(CptLine(code=code, description=CPT_CODES[code], level=level.value))
    return lines


def _collapse_codes(levels: list[Level]) -> list[IcdLine]:
    """M48.5-XA by region: T12 with L1 is the thoracolumbar junction; others by their region."""
    codes: list[str] = []
    junction = Level.T12 in levels and Level.L1 in levels
    for level in levels:
        if junction and level in (Level.T12, Level.L1):
            code = ICD_COLLAPSE_THORACOLUMBAR
        elif level.is_thoracic:
            code = ICD_COLLAPSE_THORACIC
        else:
            code = ICD_COLLAPSE_LUMBAR
        codes.append(code)
    if not codes:  # no level known: the region cannot be chosen; name the family
        return []
    return [IcdLine(code=c, description=ICD10CM_CODES[c]) for c in dict.fromkeys(codes)]


def _traumatic_codes(levels: list[Level]) -> list[IcdLine]:
    """S22.0-/S32.0- wedge compression, initial encounter for a closed fracture, by level."""
    out: list[IcdLine] = []
    for stem in dict.fromkeys(TRAUMATIC_LEVEL_CODES[level] for level in levels):
        out.append(
            IcdLine(
                code=f"{stem}{WEDGE_COMPRESSION_INITIAL}",
                description=f"Wedge compression fracture of {TRAUMATIC_LEVEL_WORDS[stem]} "
                "(injury), initial encounter for a closed fracture",
            )
        )
    return out


def _given(lines: list[IcdLine], condition: str) -> list[IcdLine]:
    """``lines`` as candidates that apply only if ``condition`` holds (and their own)."""
    return [
        line.model_copy(
            update={
                "applies_if": f"{condition}, and {line.applies_if}"
                if line.applies_if
                else condition
            }
        )
        for line in lines
    ]


def _by_answer(
    answer: bool | None,
    if_yes: tuple[list[IcdLine], str],
    if_no: tuple[list[IcdLine], str],
) -> list[IcdLine]:
    """The codes for a yes or a no to a deciding question; for an unknown answer, both sets,
    each marked with the condition under which it applies."""
    if answer is True:
        return if_yes[0]
    if answer is False:
        return if_no[0]
    return _given(*if_yes) + _given(*if_no)


def icd10_for(
    levels: Iterable[str] | None,
    malignant: bool | None,
    *,
    osteoporosis_documented: bool | None = None,
    traumatic: bool | None = None,
) -> list[IcdLine]:
    """The fracture diagnosis code(s), by the ICD-10-CM Official Guidelines: a tumour first
    (M84.58XA); else a high-energy injury (S22.0-/S32.0- by level); else known osteoporosis
    (M80.08XA); else, osteoporosis not documented, M48.5-XA by region. Where the deciding fact
    is unknown, every candidate is listed with ``applies_if``."""
    coded = [lv for lv in (level_or_none(v) for v in levels or []) if lv is not None]
    tumour = [IcdLine(code=ICD_NEOPLASTIC, description=ICD10CM_CODES[ICD_NEOPLASTIC])]
    osteoporotic = [IcdLine(code=ICD_OSTEOPOROTIC, description=ICD10CM_CODES[ICD_OSTEOPOROTIC])]
    collapse = _collapse_codes(coded)
    atraumatic = _by_answer(
        osteoporosis_documented,
        (osteoporotic, "osteoporosis is documented"),
        (collapse, "osteoporosis is not documented"),
    )
    rest = _by_answer(
        traumatic,
        (_traumatic_codes(coded), "a high-energy injury caused it"),
        (atraumatic, "no high-energy injury caused it"),
    )
    return _by_answer(
        malignant,
        (tumour, "a tumor caused the fracture (listed first)"),
        (rest, "no tumor caused it"),
    )


def codes_for(
    levels: Iterable[str] | None,
    malignant: bool | None,
    *,
    osteoporosis_documented: bool | None = None,
    traumatic: bool | None = None,
) -> CodeSet:
    """Procedure and diagnosis codes with the notes a coder needs alongside them."""
    given = list(levels or [])
    cpt = cpt_for_levels(given)
    notes: list[str] = []
    if not given:
        notes.append("No vertebral levels given, so no procedure code can be chosen yet.")
    for value in given:
        if level_or_none(value) is None:
            notes.append(
                f"{value} is outside T1-L5: codes 22513-22515 cover thoracic and lumbar "
                "bodies only, so it has no code here."
            )
    if any(line.code == CPT_AUGMENTATION_ADD_ON for line in cpt):
        notes.append(
            "22515 is an add-on code: report it once for each level after the first, "
            "together with 22513 or 22514."
        )
    icd = icd10_for(
        given, malignant, osteoporosis_documented=osteoporosis_documented, traumatic=traumatic
    )
    if malignant:
        examples = "; ".join(f"{code}: {text}" for code, text in NEOPLASM_CODE_EXAMPLES.items())
        notes.append(
            "A fracture caused by a tumor needs two codes. When the fracture is the focus of "
            "treatment, as in vertebral augmentation, list M84.58XA first, then the neoplasm "
            "code (ICD-10-CM Official Guidelines, chapter 2); when the encounter is for the "
            f"neoplasm itself, the neoplasm code comes first. Examples of the neoplasm code: "
            f"{examples}."
        )
    else:
        if malignant is None:
            notes.append(
                "Whether a tumor caused the fracture is not stated: the imaging and the "
                "history decide it. If it did, M84.58XA comes first, then the neoplasm code."
            )
        if traumatic:
            notes.append(
                "A fracture from a high-energy injury is coded as an injury (S22.0- thoracic, "
                "S32.0- lumbar), not as osteoporosis: the 6th character gives the type (0 wedge "
                "compression, as listed; 1 stable burst, 2 unstable burst, 8 other, 9 "
                "unspecified), and an external cause code (chapter 20) is added."
            )
        elif traumatic is None:
            notes.append(
                "Whether the fracture came from a high-energy injury (a car crash, a fall from a "
                "height) is not stated: the documented mechanism of injury decides between the "
                "injury codes (S22.0-/S32.0-) and the others. A fall from standing height or "
                "less in a person with osteoporosis is not a high-energy injury: it is coded "
                "M80.0- (Official Guidelines I.C.13.d)."
            )
        if not traumatic:
            if osteoporosis_documented is None:
                notes.append(
                    "Whether osteoporosis is documented is not stated: M80.0- is used only when "
                    "the record names osteoporosis (a clinician's diagnosis, for example after "
                    "this fragility fracture or a DXA T-score of -2.5 or less); without it, "
                    "M48.5-XA by region (M48.54XA thoracic, M48.55XA thoracolumbar, M48.56XA "
                    "lumbar). The clinician's documentation of osteoporosis decides it."
                )
            if osteoporosis_documented is not False:
                notes.append(
                    "M80.08XA is for age-related osteoporosis; use M80.88XA for other "
                    "osteoporosis (for example after long-term glucocorticoids)."
                )
            if osteoporosis_documented is not True and any(lv in given for lv in ("T12", "L1")):
                notes.append(
                    "Region convention: T12 and L1 treated together are coded as the "
                    "thoracolumbar region (M48.55XA); T12 alone is thoracic and L1 alone "
                    "lumbar. Check the region against the record."
                )
    guideline = sources.ICD10CM_GUIDELINES_OSTEOPOROSIS
    criteria = (
        criterion("malignant", malignant, sources.ICD10CM_GUIDELINES_NEOPLASM),
        criterion("traumatic", traumatic, guideline),
        criterion("osteoporosis-documented", osteoporosis_documented, guideline),
    )
    return CodeSet(cpt=tuple(cpt), icd10cm=tuple(icd), notes=tuple(notes), criteria=criteria)
