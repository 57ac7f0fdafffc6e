"""Found reports onto the registry's worklist (``spinefx casefind ... --into-registry``).

Each report whose finding is ``present`` or ``uncertain`` becomes one case-finding hit through
:func:`spinefx.registry.findings.record_case_finding`: a new case with status ``to-review`` and
``found_by: case-finding``, or a new fracture record on the patient's existing case, with the
report id and the evidence attached (the report text, the evidence spans, and the finding).
The registry skips a report it has recorded before or that a person dismissed, so running again
over the same reports adds nothing twice. All hits of a run go in one transaction.

The registry needs a patient's name, birth date and sex, and a date for the fracture; they come
from columns of the report file (the fields ``name_column``, ``birth_date_column``,
``sex_column`` and ``date_column``; the CLI's ``--name-column`` and so on: the report's date
stands for the fracture's).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spinefx.casefind.reports import ReportSource, open_reports, read_findings
from spinefx.casefind.text import join_sections
from spinefx.errors import MISSING, InputError, ProblemKind

if TYPE_CHECKING:
    from spinefx.registry.findings import CaseFindingHit

__all__ = [
    "GENANT_GRADE",
    "PatientColumns",
    "RegistrySummary",
    "hit_from_record",
    "hits",
    "record_hits",
]

GENANT_GRADE = {"mild": 1, "moderate": 2, "severe": 3}
_SEX = {"f": "female", "female": "female", "woman": "female", "m": "male", "male": "male",
        "man": "male"}  # fmt: skip


@dataclass(frozen=True)
class PatientColumns:
    """The report file's columns that the registry needs for a case."""

    patient: str | None
    name: str | None
    birth_date: str | None
    sex: str | None
    date: str | None

    def check(self) -> dict[str, str]:
        """The columns by field; InputError naming the first field that was not given."""
        named = {
            "patient_column": self.patient,
            "name_column": self.name,
            "birth_date_column": self.birth_date,
            "sex_column": self.sex,
            "date_column": self.date,
        }
        for role, column in named.items():
            if not column:
                raise InputError(
                    role,
                    MISSING,
                    "a column of the reports (a case in the registry needs it)",
                    kind=ProblemKind.MISSING,
                )
        return {k: v for k, v in named.items() if v}


@dataclass
class RegistrySummary:
    """How many hits each outcome had."""

    outcomes: Counter[str] = field(default_factory=Counter)
    site: str = ""

    def describe(self) -> str:
        order = ("created", "added", "already-recorded", "dismissed")
        parts = ", ".join(f"{self.outcomes.get(k, 0)} {k}" for k in order)
        return f"registry, site {self.site}: {sum(self.outcomes.values())} found reports: {parts}"


def _date(value: Any, column: str, rid: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(column, value, f"a date YYYY-MM-DD (report {rid})") from None


def _sex(value: Any, column: str, rid: str) -> str:
    sex = _SEX.get(str(value or "").strip().lower())
    if sex is None:
        raise InputError(column, value, f"female or male (report {rid})")
    return sex


def hits(
    reports: Path,
    findings: Path,
    *,
    site: str,
    id_column: str,
    text_columns: tuple[str, ...],
    columns: PatientColumns,
) -> Iterator[Any]:
    """The case-finding hits of the found reports, read from OUT and the report file."""

    roles = columns.check()
    found = {r["id"]: r for r in read_findings(findings) if r["vcf"] != "absent"}
    if not found:
        return
    extra = tuple(dict.fromkeys(roles[o] for o in roles if o != "patient_column"))
    source: ReportSource = open_reports(
        reports, id_column, text_columns, roles["patient_column"], extra_columns=extra
    )
    for batch in source.batches():
        data = batch.to_pydict()
        for i, rid in enumerate(data["id"]):
            record = found.get(rid)
            if record is None:
                continue
            row = {name: data["extra_" + name][i] for name in extra}
            mrn = data["patient"][i]
            if not mrn:
                raise InputError("patient_column", mrn, f"a patient id (report {rid})")
            text = join_sections([data[f"text_{k}"][i] for k in range(len(text_columns))])
            yield hit_from_record(
                record,
                site=site,
                mrn=str(mrn),
                name=str(row[roles["name_column"]] or "").strip(),
                birth_date=_date(row[roles["birth_date_column"]], "birth_date_column", rid),
                sex=_sex(row[roles["sex_column"]], "sex_column", rid),
                fracture_date=_date(row[roles["date_column"]], "date_column", rid),
                text=text,
            )


def hit_from_record(
    record: dict[str, Any],
    *,
    site: str,
    mrn: str,
    name: str,
    birth_date: date,
    sex: str,
    fracture_date: date,
    text: str,
    fictional: bool = False,
) -> CaseFindingHit:
    """The worklist hit of one found report: its finding ``record`` (as OUT holds it), the
    patient, the report's date (standing for the fracture's) and the report ``text`` as read."""
    from spinefx.registry.findings import CaseFindingHit

    return CaseFindingHit(
        site=site,
        mrn=mrn,
        name=name,
        birth_date=birth_date,
        sex=sex,
        fracture_date=fracture_date,
        report_id=str(record["id"]),
        levels=tuple(record["levels"] or ()),
        fracture_site=None if record["levels"] else "spine",
        genant_grade=GENANT_GRADE.get(record["severity"] or ""),
        fictional=fictional,
        evidence={
            "report_text": text,
            "evidence": list(record["evidence"] or []),
            "vcf": record["vcf"],
            "regions": list(record["regions"] or []),
            "acuity": record["acuity"],
            "severity": record["severity"],
            "treated": bool(record["treated"]),
        },
    )


def record_hits(found: Iterable[CaseFindingHit], *, site: str, url: str) -> RegistrySummary:
    """Record every hit on the worklist in one transaction; count the outcomes."""
    from spinefx.registry.db import Registry
    from spinefx.registry.findings import record_case_finding
    from spinefx.registry.permissions import Actor

    registry = Registry.open(url)
    registry.check_ready()
    actor = Actor.command_line("case-finding")
    summary = RegistrySummary(site=site)
    with registry.transaction() as session:
        for hit in found:
            summary.outcomes[record_case_finding(session, actor, hit).outcome] += 1
    return summary
