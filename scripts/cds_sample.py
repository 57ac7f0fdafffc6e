"""Write docs/fhir/cds-request.json: a CDS Hooks patient-view call for the reference patient.

    .venv/bin/python scripts/cds_sample.py [--out docs/fhir/cds-request.json]

The prefetch holds the reference patient (fictional) with her L2 fracture (ICD-10-CM M80.08XA)
and no osteoporosis drug yet, built with fhir.resources, so the service answers one card:

    curl -s -X POST http://127.0.0.1:8000/cds-services/vertebral-fracture-care \\
         -H 'Content-Type: application/json' -d @docs/fhir/cds-request.json

tests/fhir/test_cds_sample.py checks that the file is what this script writes.
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from spinefx.fhir.registry_map import case_resources
from spinefx.registry.seed import reference_case

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "fhir" / "cds-request.json"


def _json(resource: Resource) -> dict[str, Any]:
    return resource.model_dump(mode="json", exclude_none=True)


def sample_request() -> dict[str, Any]:
    """The request: the reference patient at the fracture, before any treatment."""
    record = reference_case()
    record["events"] = []  # before the endocrinologist: nothing started yet
    record["procedures"] = []
    resources = case_resources(record)
    by_type = {kind: [r for r in resources if r.get_resource_type() == kind] for kind in
               ("Patient", "Condition", "MedicationRequest", "Observation")}  # fmt: skip
    patient = by_type["Patient"][0]

    def searchset(kind: str) -> dict[str, Any]:
        return _json(
            Bundle(type="searchset", entry=[{"resource": _json(r)} for r in by_type[kind]])
        )

    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, "spinefx:cds-sample")),
        "context": {"userId": "Practitioner/example", "patientId": patient.id},
        "prefetch": {
            "patient": _json(patient),
            "conditions": searchset("Condition"),
            "medications": searchset("MedicationRequest"),
            "observations": _json(Bundle(type="searchset", entry=[])),
        },
    }


def text() -> str:
    return json.dumps(sample_request(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text(), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
