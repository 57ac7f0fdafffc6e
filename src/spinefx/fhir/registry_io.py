"""The registry's cases out to a Bulk FHIR folder and back in (``spinefx registry export DIR
--format fhir``, ``spinefx registry import FILE_OR_DIR --format fhir``).

Export: every case of the registry, in the order of their ids, becomes its resources
(:mod:`spinefx.fhir.registry_map`), written as one ``<Type>.ndjson`` per resource type
(:mod:`spinefx.fhir.bulk`; each file complete or not there). One audit entry names the folder,
written before the export as the CSV export does.

Import: a Bundle, one resource, an NDJSON file or a Bulk folder is read into cases
(:mod:`spinefx.fhir.registry_import`, every resource checked first), then written by the
registry's import in one transaction, all or nothing. A Patient already registered (the same
MRN at the same site: the same identifier system and value) updates that case
(:attr:`spinefx.registry.importer.Existing.UPDATE`): it is not registered twice. A problem
met while writing names the resource and element it came from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from spinefx.errors import InputError
from spinefx.fhir.bulk import NdjsonWriter, WrittenFile, read_path
from spinefx.fhir.registry_import import cases_from_resources
from spinefx.fhir.registry_map import EXPORT_TYPES, case_input, iter_export_resources
from spinefx.registry import audit
from spinefx.registry.cases import case_document
from spinefx.registry.db import Registry
from spinefx.registry.importer import Existing, ImportItem, ImportReport, import_cases
from spinefx.registry.models import Case
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import CaseIn

__all__ = ["FhirImport", "export_fhir", "import_fhir"]

_CASES_PER_READ = 500  # cases read (with their rows) at a time: the export's memory stays flat


def export_fhir(registry: Registry, directory: Path, actor: Actor) -> list[WrittenFile]:
    """Write every case as FHIR R4 resources, ``<Type>.ndjson`` in ``directory``."""
    require(actor, Action.IMPORT_EXPORT)
    with registry.transaction() as session:  # recorded first: a failed export was an access too
        audit.record(
            session,
            actor,
            "export",
            "registry",
            detail={"folder": str(directory), "format": "fhir"},
        )
    with registry.transaction() as session:
        cases = session.scalars(
            sa.select(Case)
            .options(
                selectinload(Case.fractures),
                selectinload(Case.events),
                selectinload(Case.procedures),
                selectinload(Case.outcomes),
            )
            .order_by(Case.id)
            .execution_options(yield_per=_CASES_PER_READ)
        )
        with NdjsonWriter(directory, EXPORT_TYPES) as out:
            for resource in iter_export_resources(_checked(case) for case in cases):
                out.write(resource)
    return out.written


def _checked(case: Case) -> CaseIn:
    """The case in the import format; a problem names the case (id, site and MRN)."""
    try:
        return case_input(case_document(case))
    except InputError as exc:
        where = f"case {case.id} ({case.site.code} {case.mrn})"
        raise InputError.from_problems(
            [replace(p, field=f"{where}: {p.field}") for p in exc.problems]
        ) from exc


@dataclass(frozen=True)
class FhirImport:
    """What an import did, and the resources it left out, counted by reason."""

    report: ImportReport
    skipped: Counter[str]


def import_fhir(
    registry: Registry, path: Path, actor: Actor, *, default_site: str | None = None
) -> FhirImport:
    """Import the cases of the FHIR file or folder at ``path`` in one transaction."""
    require(actor, Action.IMPORT_EXPORT)
    read = cases_from_resources(read_path(path), default_site=default_site)
    items = [ImportItem(str(c.origin), c.case, c.locate, c.stated) for c in read.cases]
    with registry.transaction() as session:
        report = import_cases(session, actor, items, existing=Existing.UPDATE)
    return FhirImport(report, read.skipped)
