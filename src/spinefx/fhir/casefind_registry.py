"""Found reports of a Bulk FHIR file onto the registry's worklist (``casefind --into-registry``).

A CSV of reports names its patient columns; a Bulk FHIR export keeps the patient apart, in
``Patient`` resources that the reports point at (``subject``). Each report found ``present``
or ``uncertain`` becomes a hit (:func:`spinefx.casefind.registry.hit_from_record`, as for CSV
input) whose patient comes from its subject's ``Patient``, looked for in the reports file
itself and in the patient files given (NDJSON, a Bundle or a Bulk export folder):

- the MRN is the Patient's identifier as ``spinefx registry import --format fhir`` reads it
  (the site's MRN system, else type MR, else the first), so that a patient imported from the
  same EHR is the same case; a Patient without an identifier gives its resource id;
- name, ``birthDate`` (a full date) and ``gender`` (female or male) are required, and the
  report's date (``effectiveDateTime``, ``effectivePeriod.start`` or ``issued``; a
  ``DocumentReference``'s ``date``) stands for the fracture's;
- a Patient marked as test data (``HTEST``) gives a fictional case.

Every problem (a report whose Patient is missing, a Patient without a birth date...) is
collected, then raised together naming the file, line and FHIR element; nothing is recorded
unless every hit is whole, as with CSV input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spinefx.errors import FieldProblem, InputError
from spinefx.fhir.bulk import Located, Origin, read_ndjson, read_path
from spinefx.fhir.registry_import import (
    MAX_PROBLEMS,
    is_fictional,
    patient_mrn,
    patient_name,
    resource_problems,
)
from spinefx.fhir.reports import REPORT_TYPES, ReportRecord, patient_id, report_from_resource

if TYPE_CHECKING:
    from spinefx.registry.findings import CaseFindingHit

__all__ = ["fhir_hits"]

_SEXES = ("female", "male")


@dataclass(frozen=True)
class _FoundReport:
    origin: Origin
    resource: dict[str, Any]
    record: ReportRecord


def _resources(path: Path) -> Iterator[Located]:
    """The JSON objects of an NDJSON file, each with its line (as case-finding read it)."""
    from spinefx.casefind.reports import FhirReportSource

    return read_ndjson(FhirReportSource(path).lines(), path.name, lenient=True)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _date_element(resource: Mapping[str, Any]) -> str:
    if resource.get("resourceType") == "DiagnosticReport":
        return "effectiveDateTime"
    return "date"


class _Checks:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []
        self.checked: dict[str, bool] = {}

    def add(self, origin: Origin, element: str, value: Any, allowed: str) -> None:
        self.problems.append(FieldProblem(f"{origin}: {element}", value, allowed))

    def patient_ok(self, item: Located) -> bool:
        """Whether the Patient is valid R4 and has what a case needs (each checked once)."""
        key = str(item.resource.get("id"))
        if key in self.checked:
            return self.checked[key]
        before = len(self.problems)
        self.problems.extend(resource_problems(item))
        patient = item.resource
        if not patient_name(patient):
            self.add(item.origin, "name", patient.get("name"), "the patient's name")
        if _day(patient.get("birthDate")) is None or len(str(patient.get("birthDate"))) != 10:
            self.add(
                item.origin,
                "birthDate",
                patient.get("birthDate"),
                "the full birth date YYYY-MM-DD (the registry needs it for a case)",
            )
        if patient.get("gender") not in _SEXES:
            self.add(
                item.origin, "gender", patient.get("gender"), "female or male (for the registry)"
            )
        self.checked[key] = len(self.problems) == before
        return self.checked[key]


def _found_reports(reports: Path, ids: set[str]) -> tuple[list[_FoundReport], bool]:
    """The found reports in file order, and whether the file holds Patients too."""
    found: list[_FoundReport] = []
    seen: set[str] = set()
    has_patients = False
    for item in _resources(reports):
        kind = item.resource.get("resourceType")
        if kind == "Patient":
            has_patients = True
        rid = item.resource.get("id")
        if kind not in REPORT_TYPES or rid not in ids or rid in seen:
            continue
        record = report_from_resource(item.resource)
        if isinstance(record, ReportRecord):
            seen.add(record.id)
            found.append(_FoundReport(item.origin, item.resource, record))
    return found, has_patients


def _patients(sources: Sequence[Iterator[Located]], wanted: set[str]) -> dict[str, Located]:
    patients: dict[str, Located] = {}
    for items in sources:
        for item in items:
            resource = item.resource
            if resource.get("resourceType") != "Patient":
                continue
            pid = resource.get("id")
            if isinstance(pid, str) and pid in wanted and pid not in patients:
                patients[pid] = item
    return patients


def fhir_hits(
    reports: Path, findings: Path, *, site: str, patients: Sequence[Path] = ()
) -> list[CaseFindingHit]:
    """The worklist hits of the found reports of the Bulk FHIR file ``reports`` (findings in
    ``findings``, as case-finding wrote them); all checked before any is returned."""
    from spinefx.casefind.registry import hit_from_record
    from spinefx.casefind.reports import read_findings
    from spinefx.casefind.text import join_sections

    found = {r["id"]: r for r in read_findings(findings) if r["vcf"] != "absent"}
    if not found:
        return []
    reports_found, has_patients = _found_reports(reports, set(found))
    wanted = {p for r in reports_found if (p := patient_id(r.resource.get("subject")))}
    sources = [_resources(reports)] if has_patients else []
    sources += [read_path(path) for path in patients]
    by_id = _patients(sources, wanted)
    check = _Checks()
    hits: list[CaseFindingHit] = []
    for report in reports_found:
        subject = report.resource.get("subject")
        item = by_id.get(report.record.patient or "")
        if item is None:
            check.add(
                report.origin,
                "subject",
                subject,
                "a reference to a Patient in the reports file or a patients file (the registry "
                "needs the patient's name, birth date and sex)",
            )
            continue
        fracture_date = _day(report.record.date)
        if fracture_date is None:
            check.add(
                report.origin,
                _date_element(report.resource),
                report.record.date,
                "the report's date YYYY-MM-DD (it stands for the fracture's date)",
            )
        if not check.patient_ok(item) or fracture_date is None:
            continue
        patient = item.resource
        hits.append(
            hit_from_record(
                found[report.record.id],
                site=site,
                mrn=patient_mrn(patient, site) or str(patient["id"]),
                name=str(patient_name(patient)),
                birth_date=date.fromisoformat(str(patient["birthDate"])),
                sex=str(patient["gender"]),
                fracture_date=fracture_date,
                text=join_sections([report.record.text]),
                fictional=is_fictional(patient),
            )
        )
    if check.problems:
        raise InputError.from_problems(check.problems[:MAX_PROBLEMS])
    return hits
