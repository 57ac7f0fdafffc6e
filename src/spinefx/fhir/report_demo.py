"""A demo Bulk FHIR export of radiology reports, made from labelled report rows.

``spinefx casefind demo-fhir DIR`` writes, in the Bulk Data layout, ``DIR/DiagnosticReport.ndjson``
(one final radiology ``DiagnosticReport`` per row: category RAD, the report's text as a base64
``text/plain`` ``presentedForm``, a date) and ``DIR/Patient.ndjson`` (one invented Patient per
patient of the rows, marked as test data, with an MRN, a name, a birth date and a sex, which the
registry needs). By default the rows are the case-finding development set
(``tests/data/casefind_dev.jsonl`` in a checkout), so that the demo's findings can be checked
against the labels and against the same reports read as CSV.

The text of each report is its ``findings`` and ``impression`` joined as case-finding joins two
text columns (:func:`spinefx.casefind.text.join_sections`): the same report gives the same
finding whichever way it arrives. Everything is built with fhir.resources models; names, dates
and identifiers are invented, from a fixed seed, so two runs write the same files.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource

from spinefx.errors import InputError
from spinefx.fhir import codes
from spinefx.fhir.bulk import WrittenFile, write_ndjson
from spinefx.validation import json_lines

__all__ = ["DEFAULT_ROWS", "DEMO_MRN_SYSTEM", "demo_resources", "write_demo"]

DEFAULT_ROWS: Final = Path(__file__).resolve().parents[3] / "tests" / "data" / "casefind_dev.jsonl"
DEMO_MRN_SYSTEM: Final = f"{codes.SPINEFX}:demo-ehr:mrn"
V2_0074: Final = "http://terminology.hl7.org/CodeSystem/v2-0074"  # diagnostic service section
_FIRST_DAY: Final = date(2026, 1, 5)
_MODALITY: Final = {
    "chest-xr": "XR chest, 2 views",
    "spine-xr": "XR spine",
    "ct": "CT",
    "mri": "MRI",
}
_GIVEN: Final = ["Alma", "Bea", "Clara", "Della", "Edith", "Fay", "Greta", "Hilda", "Iris",
                 "June", "Kay", "Lena", "Mae", "Nora", "Opal", "Pearl", "Ruth", "Stan", "Ted",
                 "Vern", "Walt", "Abe", "Cyril", "Dale"]  # fmt: skip
_FAMILY: Final = ["Ashby", "Brook", "Crane", "Dale", "Ellis", "Frost", "Grant", "Hale",
                  "Ives", "Keane", "Lowe", "Marsh", "Noble", "Oakes", "Pike", "Reed", "Shaw",
                  "Tate"]  # fmt: skip
_TEST_DATA: Final = Coding(system=codes.ACT_REASON, code="HTEST", display="test health data")
_MR: Final = Coding(system=codes.V2_0203, code="MR", display="Medical record number")


def _text(row: Mapping[str, Any]) -> str:
    from spinefx.casefind.text import join_sections

    return join_sections([row.get("findings"), row.get("impression")])


def _patient(pid: str, number: int, rng: random.Random) -> Patient:
    female = rng.random() < 0.75  # most patients with a vertebral fracture are women
    given = _GIVEN[rng.randrange(0, 17)] if female else _GIVEN[rng.randrange(17, len(_GIVEN))]
    family = rng.choice(_FAMILY)
    born = date(1932, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
    return Patient(
        id=pid,
        meta=Meta(security=[_TEST_DATA]),
        identifier=[
            Identifier(
                type=CodeableConcept(coding=[_MR]),
                system=DEMO_MRN_SYSTEM,
                value=f"CF-{number:04d}",
            )
        ],
        name=[HumanName(text=f"{given} {family} (fictional)", given=[given], family=family)],
        gender="female" if female else "male",
        birthDate=born,
    )


def _report(row: Mapping[str, Any], index: int, rng: random.Random) -> DiagnosticReport:
    day = _FIRST_DAY + timedelta(days=(index * 7) % 330)
    when = datetime.combine(day, time(8 + rng.randrange(0, 10), rng.randrange(0, 60)), UTC)
    text = _text(row)
    return DiagnosticReport(
        id=str(row["id"]),
        status="final",
        category=[
            CodeableConcept(coding=[Coding(system=V2_0074, code="RAD", display="Radiology")])
        ],
        code=CodeableConcept(text=_MODALITY.get(str(row.get("modality")), "Imaging")),
        subject=Reference(reference=f"Patient/{row['patient']}"),
        effectiveDateTime=when,
        issued=when + timedelta(hours=2),
        presentedForm=[
            Attachment(
                contentType="text/plain; charset=utf-8",
                data=base64.b64encode(text.encode("utf-8")),
                title="Report",
            )
        ],
    )


def demo_resources(rows: Iterable[Mapping[str, Any]], seed: int = 25) -> dict[str, list[Resource]]:
    """DiagnosticReports (one per row with text) and Patients (one per patient), by type."""
    rng = random.Random(seed)
    reports: list[Resource] = []
    patients: dict[str, Resource] = {}
    for index, row in enumerate(rows):
        if not _text(row):
            continue
        pid = str(row["patient"])
        if pid not in patients:
            patients[pid] = _patient(pid, len(patients) + 1, rng)
        reports.append(_report(row, index, rng))
    return {"DiagnosticReport": reports, "Patient": list(patients.values())}


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise InputError(
            "rows",
            str(path),
            "a JSON Lines file of reports (id, patient, findings, impression), e.g. "
            "tests/data/casefind_dev.jsonl in a checkout of spinefx",
        )
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in json_lines(handle):
            where, row = f"{path.name} line {line.number}", line.value
            if line.error is not None:
                raise InputError(where, line.text[:60], "a JSON object")
            missing = [k for k in ("id", "patient") if not isinstance(row, dict) or not row.get(k)]
            if missing:
                raise InputError(f"{where}: {missing[0]}", None, "a value")
            rows.append(row)
    return rows


def write_demo(directory: Path, rows_file: Path = DEFAULT_ROWS) -> list[WrittenFile]:
    """Write the demo export into ``directory``; the files written, by type."""
    return write_ndjson(demo_resources(_rows(rows_file)), directory)
