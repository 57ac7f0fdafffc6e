"""The reference patient's registry record, read back as ``spinefx demo`` shows it.

The demo site (:mod:`spinefx.registry.seed`) holds her case; this module reads it through the
same data layer the pages and the API use: the case with its saved assessments, procedure,
outcomes and FLS events, her row on the coordinator's worklist, and the KPIs of her fracture's
month, both for the whole demo site and for her case alone (which numerators count her).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from spinefx.clinical.pathway import REFERENCE_FRACTURE_DATE
from spinefx.errors import NotFound
from spinefx.registry import cases, kpi
from spinefx.registry.permissions import Actor
from spinefx.registry.seed import DEMO_SITE, REFERENCE_MRN
from spinefx.registry.worklist import WorklistRow, worklist

__all__ = ["REFERENCE_TODAY", "ReferenceRecord", "month_of", "reference_record"]

# Her visit three months after kyphoplasty (day 112): week 16 after the fracture, the last day
# of the 16-week KPI windows, so every KPI but the one at 52 weeks can count her.
REFERENCE_TODAY = REFERENCE_FRACTURE_DATE + timedelta(weeks=16)


@dataclass(frozen=True)
class ReferenceRecord:
    """What the registry holds of her on ``today``."""

    today: date
    case: dict[str, Any]  # cases.case_document: the import format plus id and version
    assessments: tuple[dict[str, Any], ...]  # kind, input, result, spinefx_version
    next_event: WorklistRow | None  # her worklist row (None: nothing due)
    site_kpis: kpi.KpiReport  # the demo site, index fractures in her fracture's month
    her_kpis: kpi.KpiReport  # the same report over her case alone


def month_of(day: date) -> tuple[date, date]:
    """The first and the last day of ``day``'s month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def reference_record(session: Session, actor: Actor, *, today: date) -> ReferenceRecord:
    """Her case at the demo site, as ``actor`` sees it on ``today`` (reads are audited)."""
    page = cases.list_cases(
        session, actor, cases.CaseQuery(site=DEMO_SITE, mrn=REFERENCE_MRN, limit=1)
    )
    if not page.items:
        raise NotFound(f"no case {REFERENCE_MRN} at site {DEMO_SITE}: seed the demo first")
    case = cases.get_case(session, actor, page.items[0].id)
    document = cases.case_document(case)
    assessments = tuple(
        {
            "kind": a.kind,
            "input": a.input,
            "result": a.result,
            "spinefx_version": a.spinefx_version,
        }
        for a in sorted(case.assessments, key=lambda a: a.id)
    )
    row = None
    if case.next_due_by is not None:
        due = worklist(
            session,
            actor,
            today=today,
            site=DEMO_SITE,
            due_after=case.next_due_by,
            due_before=case.next_due_by,
            limit=500,
        )
        row = next((r for r in due.items if r.case_id == case.id), None)
    assert case.index_date is not None  # a case has at least one fracture
    start, end = month_of(case.index_date)
    site_kpis = kpi.kpi_report(session, actor, start=start, end=end, as_of=today, site=DEMO_SITE)
    hers = [
        c
        for c in kpi.load_kpi_cases(session, actor, start=start, end=end, site=DEMO_SITE)
        if c.case_id == case.id
    ]
    her_kpis = kpi.compute(hers, start=start, end=end, as_of=today, site=DEMO_SITE)
    return ReferenceRecord(today, document, assessments, row, site_kpis, her_kpis)
