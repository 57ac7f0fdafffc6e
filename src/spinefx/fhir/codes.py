"""The code systems and codes spinefx reads and writes in FHIR, as data.

Each code carries the published source it was checked against (``docs/fhir.md`` lists them
all, with how each was checked). A code that could not be checked against a published source
is not here: the concept is written with a spinefx code (``urn:spinefx:fhir:...``) and its text
instead. The procedure (CPT) and fracture (ICD-10-CM) codes of the candidacy tool live in
:mod:`spinefx.clinical.codes` and are reused, not copied.

>>> vertebral_fracture_code(ICD10CM, "M80.08XA"), vertebral_fracture_code(ICD10CM, "M80.051A")
(True, False)
>>> vertebral_fracture_code(SNOMED, "311890007")
True
>>> fracture_icd10cm(["L2"], None).code, fracture_icd10cm([], "hip").code
('M80.08XA', 'M80.059A')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from spinefx.clinical import codes as clinical_codes
from spinefx.clinical.spine import Level
from spinefx.registry.vocab import Instrument, ProcedureKind

__all__ = [
    "ACT_REASON",
    "COMPLICATION",
    "CONDITION_CATEGORY",
    "CONDITION_CLINICAL",
    "CONDITION_SEVERITY",
    "CONDITION_VER_STATUS",
    "CPT",
    "EXT",
    "FLS_EVENT",
    "FLS_EVENT_STATUS",
    "GENANT_GRADE",
    "ICD10CM",
    "INSTRUMENT_CODES",
    "INSTRUMENT_UNITS",
    "LOINC",
    "NPI",
    "OBSERVATION_CATEGORY",
    "OUTCOME_INSTRUMENT",
    "REPORT_SYSTEM",
    "RXNORM",
    "SITE_SYSTEM",
    "SNOMED",
    "SPINEFX",
    "TSCORE_LOINC",
    "UCUM",
    "V2_0203",
    "VERTEBRAL_FRACTURE_ICD10CM_PREFIXES",
    "VERTEBRAL_FRACTURE_SNOMED",
    "VERTEBRAL_LEVEL",
    "VERTEBRA_SNOMED",
    "Code",
    "cpt_for_procedure",
    "fracture_icd10cm",
    "level_from_snomed",
    "mrn_system",
    "normalise_icd10",
    "vertebral_fracture_code",
]

# --- code systems (FHIR canonical URIs; shared/reference/interop.md, FHIR R4 terminology) ---
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED: Final = "http://snomed.info/sct"
LOINC: Final = "http://loinc.org"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT: Final = "http://www.ama-assn.org/go/cpt"
UCUM: Final = "http://unitsofmeasure.org"
NPI: Final = "http://hl7.org/fhir/sid/us-npi"
V2_0203: Final = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier type (MR)
ACT_REASON: Final = "http://terminology.hl7.org/CodeSystem/v3-ActReason"  # HTEST
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER_STATUS: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
# SNOMED CT severity values of the R4 value set condition-severity (hl7.fhir.r4.examples
# 4.0.1, ValueSet-condition-severity.json): Genant grades 1-3 are mild, moderate, severe.
CONDITION_SEVERITY: Mapping[int, tuple[str, str]] = MappingProxyType(
    {1: ("255604002", "Mild"), 2: ("6736007", "Moderate"), 3: ("24484000", "Severe")}
)

# spinefx's own systems, for what no published code system says (the project's URN scheme,
# as web/problems.py uses for problem types).
SPINEFX: Final = "urn:spinefx:fhir"
SITE_SYSTEM: Final = f"{SPINEFX}:site"  # Organization.identifier: the registry's site code
REPORT_SYSTEM: Final = f"{SPINEFX}:report-id"  # the imaging report a fracture was found in
FLS_EVENT: Final = f"{SPINEFX}:fls-event"  # Task.code: the FLS event type (vocab.EventType)
FLS_EVENT_STATUS: Final = f"{SPINEFX}:fls-event-status"  # Task.businessStatus: done/declined/...
GENANT_GRADE: Final = f"{SPINEFX}:genant-grade"  # Condition.stage.summary: 0-3
COMPLICATION: Final = f"{SPINEFX}:complication"  # Procedure.complication (vocab.Complication)
OUTCOME_INSTRUMENT: Final = f"{SPINEFX}:outcome-instrument"  # an instrument with no LOINC here
VERTEBRAL_LEVEL: Final = f"{SPINEFX}:vertebral-level"  # bodySite: T1-L5, beside SNOMED CT


class EXT:
    """The URLs of spinefx's extensions (what the registry records and FHIR has no element for)."""

    CASE_STATUS: Final = f"{SPINEFX}:extension:case-status"
    FOUND_BY: Final = f"{SPINEFX}:extension:fracture-found-by"
    EVIDENCE: Final = f"{SPINEFX}:extension:case-finding-evidence"
    APPROACH: Final = f"{SPINEFX}:extension:approach"
    ANAESTHESIA: Final = f"{SPINEFX}:extension:anaesthesia"
    CEMENT: Final = f"{SPINEFX}:extension:cement-volume"
    TIMEPOINT: Final = f"{SPINEFX}:extension:timepoint"
    INDEX_FRACTURE: Final = f"{SPINEFX}:extension:index-fracture"  # valueBoolean true


def mrn_system(site: str) -> str:
    """The identifier system of a site's medical record numbers."""
    return f"{SPINEFX}:site:{site}:mrn"


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


# --- vertebrae as body sites: SNOMED CT, DICOM PS3.16 CID 7603 "Vertebra" -------------------
VERTEBRA_SNOMED: Mapping[Level, str] = MappingProxyType(
    {
        Level.T1: "64864005",
        Level.T2: "53733008",
        Level.T3: "1626008",
        Level.T4: "73071006",
        Level.T5: "56401006",
        Level.T6: "45296009",
        Level.T7: "62487009",
        Level.T8: "11068009",
        Level.T9: "82687006",
        Level.T10: "7610001",
        Level.T11: "12989004",
        Level.T12: "23215003",
        Level.L1: "66794005",
        Level.L2: "14293000",
        Level.L3: "36470004",
        Level.L4: "11994002",
        Level.L5: "49668003",
    }
)
_LEVEL_BY_SNOMED = {code: level for level, code in VERTEBRA_SNOMED.items()}


def level_from_snomed(code: str) -> Level | None:
    return _LEVEL_BY_SNOMED.get(code)


# --- fractures ---------------------------------------------------------------------------
# ICD-10-CM written for a registry fracture. The spine: M80.08XA, the default of the
# candidacy tool (spinefx.clinical.codes.icd10_for). Elsewhere, by the registry's site word:
# the "unspecified side" codes of M80.0- (age-related osteoporosis with current pathological
# fracture), from the VSAC value set Osteoporotic Fractures (OID 2.16.840.1.113883.3.464.1003.
# 113.12.1050, eCQM update 2021-05-06); any other site: M80.0AXA "other site".
_SITE_ICD10CM: Mapping[str, Code] = MappingProxyType(
    {
        "hip": Code(ICD10CM, "M80.059A", "Age-related osteoporosis with current pathological "
                    "fracture, unspecified femur, initial encounter for fracture"),
        "femur": Code(ICD10CM, "M80.059A", "Age-related osteoporosis with current pathological "
                      "fracture, unspecified femur, initial encounter for fracture"),
        "wrist": Code(ICD10CM, "M80.039A", "Age-related osteoporosis with current pathological "
                      "fracture, unspecified forearm, initial encounter for fracture"),
        "forearm": Code(ICD10CM, "M80.039A", "Age-related osteoporosis with current "
                        "pathological fracture, unspecified forearm, initial encounter for "
                        "fracture"),
        "humerus": Code(ICD10CM, "M80.029A", "Age-related osteoporosis with current "
                        "pathological fracture, unspecified humerus, initial encounter for "
                        "fracture"),
        "shoulder": Code(ICD10CM, "M80.019A", "Age-related osteoporosis with current "
                         "pathological fracture, unspecified shoulder, initial encounter for "
                         "fracture"),
    }
)  # fmt: skip
_OTHER_SITE = Code(
    ICD10CM,
    "M80.0AXA",
    "Age-related osteoporosis with current pathological fracture, other site, initial "
    "encounter for fracture",
)
_SPINE = Code(
    ICD10CM,
    clinical_codes.ICD_OSTEOPOROTIC,
    "Age-related osteoporosis with current pathological fracture, vertebra(e), initial "
    "encounter for fracture",
)


def fracture_icd10cm(levels: Sequence[str], site: str | None) -> Code:
    """The ICD-10-CM code written for a registry fracture (spine when it has levels)."""
    if levels or site in (None, "spine"):
        return _SPINE
    return _SITE_ICD10CM.get(site or "", _OTHER_SITE)


# What counts as a vertebral fracture when reading: ICD-10-CM categories, without the dot.
# M80.08- and M80.88- are the vertebral codes of M80 (the "M80.0-" also covers the hip,
# forearm and every other site, so only its vertebral subcategory is kept); M48.5- collapsed
# vertebra; S22.0- and S32.0- fractures of thoracic and lumbar vertebrae; M84.58- pathological
# fracture in neoplastic disease, vertebrae. Sources: the VSAC value set above (M80.08-,
# M80.88-) and the CMS-HCC 2018 mappings, HCC "Vertebral Fractures without Spinal Cord Injury"
# (M48.5-, S22.0-, S32.0-, M80.08XA, M80.88XA); M84.58- from spinefx.clinical.codes.
VERTEBRAL_FRACTURE_ICD10CM_PREFIXES: tuple[str, ...] = (
    "M8008",
    "M8088",
    "M485",
    "S220",
    "S320",
    "M8458",
)
# SNOMED CT vertebral fracture concepts of the same VSAC value set (its SNOMED CT part).
VERTEBRAL_FRACTURE_SNOMED: Mapping[str, str] = MappingProxyType(
    {
        "203450003": "Osteoporosis with pathological fracture of lumbar vertebrae",
        "203451004": "Osteoporosis with pathological fracture of thoracic vertebrae",
        "203452006": "Osteoporosis with pathological fracture of cervical vertebrae",
        "240198002": "Osteoporotic vertebral collapse",
        "311806008": "Collapse of cervical vertebra due to osteoporosis",
        "311890007": "Collapse of lumbar vertebra due to osteoporosis",
        "311891006": "Collapse of thoracic vertebra due to osteoporosis",
    }
)


def normalise_icd10(code: str) -> str:
    """An ICD-10-CM code without its dot, in capitals: ``m80.08xa`` -> ``M8008XA``."""
    return code.replace(".", "").strip().upper()


def vertebral_fracture_code(system: str | None, code: str | None) -> bool:
    """Whether (system, code) names a vertebral fracture."""
    if not code:
        return False
    if system == ICD10CM:
        return normalise_icd10(code).startswith(VERTEBRAL_FRACTURE_ICD10CM_PREFIXES)
    if system == SNOMED:
        return code.strip() in VERTEBRAL_FRACTURE_SNOMED
    return False


# --- procedures: CPT, the first level decides; spinefx.clinical.codes ----------------------
_VERTEBROPLASTY_FIRST = {"thoracic": "22510", "lumbar": "22511"}
_AUGMENTATION_FIRST = {
    "thoracic": clinical_codes.CPT_AUGMENTATION_THORACIC,
    "lumbar": clinical_codes.CPT_AUGMENTATION_LUMBAR,
}


def cpt_for_procedure(kind: str, levels: Sequence[str]) -> Code:
    """The procedure's CPT code, that of its first level (22510/22511 for vertebroplasty,
    22513/22514 for kyphoplasty). The add-on code of each further level (22512, 22515) is a
    billing line, not a second procedure, so it is not written on the Procedure."""
    first = Level(levels[0])
    region = "thoracic" if first.is_thoracic else "lumbar"
    table = _VERTEBROPLASTY_FIRST if kind == ProcedureKind.VERTEBROPLASTY else _AUGMENTATION_FIRST
    code = table[region]
    return Code(CPT, code, clinical_codes.CPT_CODES[code])


# --- outcome scores and DXA T-scores: LOINC -----------------------------------------------
# NRS 72514-3 (shared/reference/clinical.md; loinc.org record); ODI 97909-6 (loinc.org
# record: "Oswestry disability index score ODI", a percent). No LOINC code for the RDQ total
# could be checked, so it is written with a spinefx code.
INSTRUMENT_CODES: Mapping[Instrument, Code] = MappingProxyType(
    {
        Instrument.NRS: Code(
            LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
        ),
        Instrument.ODI: Code(LOINC, "97909-6", "Oswestry disability index score ODI"),
        Instrument.RDQ: Code(
            OUTCOME_INSTRUMENT, "rdq", "Roland-Morris Disability Questionnaire score (0-24)"
        ),
    }
)
INSTRUMENT_UNITS: Mapping[Instrument, str] = MappingProxyType(
    {Instrument.NRS: "{score}", Instrument.RDQ: "{score}", Instrument.ODI: "%"}
)
# DXA T-scores read from Observations (the follow-up plan takes the lowest). Records checked
# on findacode.com / healthassure.in; 38265-5 is what Synthea's osteoporosis module writes as
# "DXA [T-score] Bone density" (its LOINC name could not be confirmed, so it is read, never
# written).
TSCORE_LOINC: Mapping[str, str] = MappingProxyType(
    {
        "38267-1": "DXA Lumbar spine [T-score] Bone density",
        "38263-0": "DXA Femur [T-score] Bone density",
        "38264-8": "DXA Hip [T-score] Bone density",
        "104938-6": "DXA Spine [T-score] Bone density",
        "38265-5": "DXA [T-score] Bone density (as Synthea writes it)",
    }
)
