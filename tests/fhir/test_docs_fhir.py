"""docs/fhir.md lists every code spinefx.fhir reads or writes, so that none goes unsourced."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinefx.clinical.codes import CPT_CODES
from spinefx.fhir import codes, drugs
from spinefx.fhir.cds import PREFETCH, SERVICE_ID

DOC = (Path(__file__).resolve().parents[2] / "docs" / "fhir.md").read_text(encoding="utf-8")


def _icd(code: str) -> str:
    return code if "." in code else f"{code[:3]}.{code[3:]}"


CODES = sorted(
    {
        *codes.VERTEBRA_SNOMED.values(),
        *codes.VERTEBRAL_FRACTURE_SNOMED,
        *(severity for severity, _ in codes.CONDITION_SEVERITY.values()),
        *(c.code for c in codes.INSTRUMENT_CODES.values()),
        *codes.TSCORE_LOINC,
        *(d.rxnorm for d in drugs.DRUGS if d.rxnorm),
        *CPT_CODES,
        *(_icd(p) for p in codes.VERTEBRAL_FRACTURE_ICD10CM_PREFIXES),
        codes.fracture_icd10cm(["L1"], None).code,
        *(codes.fracture_icd10cm([], site).code for site in ("hip", "wrist", "humerus", "rib")),
    }
)


@pytest.mark.parametrize("code", CODES)
def test_every_code_is_in_the_fhir_page(code: str) -> None:
    assert code in DOC


@pytest.mark.parametrize("drug", [d.ingredient for d in drugs.DRUGS])
def test_every_drug_is_in_the_fhir_page(drug: str) -> None:
    assert drug in DOC


def test_the_cds_service_and_its_prefetch_are_documented() -> None:
    assert SERVICE_ID in DOC
    for key in PREFETCH:
        assert f"`{key}`" in DOC


def test_every_cds_hooks_setting_is_documented() -> None:
    from spinefx.settings import Settings

    names = [f"SPINEFX_{f.upper()}" for f in Settings.model_fields if f.startswith("cds_hooks")]
    assert len(names) == 6
    assert [n for n in names if f"`{n}`" not in DOC] == []
