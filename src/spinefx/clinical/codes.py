"""Procedure (CPT) and diagnosis (ICD-10-CM) codes for vertebral augmentation, as data.

The descriptions are short paraphrases in our own words, not the official descriptors (the
CPT text is copyrighted by the AMA). Use them to find the right code, then check the current
code book before billing.

>>> [line.code for line in cpt_for_levels(["L1", "L2", "L3"])]
['22514', '22515', '22515']
>>> [line.code for line in icd10_for(malignant=False)]
['M80.08XA']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict

from spinefx.clinical import sources
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
        "M84.58XA": "Pathological fracture caused by a tumour, other site (vertebra), "
        "initial encounter",
        "M84.58XS": "Pathological fracture caused by a tumour, other site (vertebra), sequela",
        "M48.54XA": "Collapsed vertebra not classified elsewhere, thoracic region, "
        "initial encounter",
        "M48.56XA": "Collapsed vertebra not classified elsewhere, lumbar region, initial encounter",
    }
)
ICD_OSTEOPOROTIC = "M80.08XA"
ICD_NEOPLASTIC = "M84.58XA"

# Neoplasm codes that follow M84.58XA on a malignant fracture claim when the fracture is the
# focus of treatment, as in vertebral augmentation (examples only; the neoplasm is the
# patient's own diagnosis). Sources: ICD-10-CM tabular list; sequencing per
# sources.ICD10CM_GUIDELINES_NEOPLASM.
NEOPLASM_CODE_EXAMPLES: Mapping[str, str] = MappingProxyType(
    {
        "C41.2": "Malignant tumour of the vertebral column",
        "C79.51": "Secondary (metastatic) malignant tumour of bone",
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
    """One diagnosis code."""

    model_config = ConfigDict(frozen=True)

    code: str
    description: str


class CodeSet(BaseModel):
    """The codes for one planned procedure, with what the coder must still add or check."""

    model_config = ConfigDict(frozen=True)

    cpt: tuple[CptLine, ...]
    icd10cm: tuple[IcdLine, ...]
    notes: tuple[str, ...]


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


def icd10_for(malignant: bool | None) -> list[IcdLine]:
    """The fracture diagnosis code: M84.58XA for a tumour, else (also when not stated)
    M80.08XA for an osteoporotic fracture."""
    code = ICD_NEOPLASTIC if malignant else ICD_OSTEOPOROTIC
    return [IcdLine(code=code, description=ICD10CM_CODES[code])]


def codes_for(levels: Iterable[str] | None, malignant: bool | None) -> CodeSet:
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
    if malignant:
        examples = "; ".join(f"{code}: {text}" for code, text in NEOPLASM_CODE_EXAMPLES.items())
        notes.append(
            "A fracture caused by a tumour needs two codes. When the fracture is the focus of "
            "treatment, as in vertebral augmentation, list M84.58XA first, then the neoplasm "
            "code (ICD-10-CM Official Guidelines, chapter 2); when the encounter is for the "
            f"neoplasm itself, the neoplasm code comes first. Examples of the neoplasm code: "
            f"{examples}."
        )
    else:
        if malignant is None:
            notes.append(
                "Whether the fracture is malignant was not stated: M80.08XA assumes an "
                "osteoporotic fracture. If a tumour caused it, use the neoplasm code with "
                "M84.58XA instead."
            )
        notes.append(
            "M80.08XA is for age-related osteoporosis; use M80.88XA for other osteoporosis "
            "(for example after long-term glucocorticoids)."
        )
    return CodeSet(cpt=tuple(cpt), icd10cm=tuple(icd10_for(malignant)), notes=tuple(notes))
