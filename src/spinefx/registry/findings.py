"""Case-finding hits into the worklist (issue 12 calls this; nothing here reads reports).

A hit is a fracture found in an imaging report. :func:`record_case_finding` is idempotent per
site and report: a report already on a fracture, or one a person dismissed, changes nothing, so
a case-finding run can be repeated over the same reports. A new patient becomes a ``to-review``
case whose fracture is ``found_by: case-finding`` with the report id and the evidence (JSON)
attached; a patient already registered at the site gets the fracture added to their case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import InputError
from spinefx.registry.cases import create_case, load_case
from spinefx.registry.models import Case, Dismissal, Fracture, Site
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.rows import add_row
from spinefx.registry.schema import CaseIn, FractureIn, parse
from spinefx.registry.users import ensure_site
from spinefx.registry.vocab import CaseStatus, FoundBy

__all__ = [
    "CaseFindingCounts",
    "CaseFindingHit",
    "CaseFindingResult",
    "case_finding_counts",
    "record_case_finding",
]

Outcome = Literal["created", "added", "already-recorded", "dismissed"]


@dataclass(frozen=True)
class CaseFindingHit:
    site: str
    mrn: str
    name: str
    birth_date: date
    sex: str
    fracture_date: date
    report_id: str
    levels: Sequence[str] = ()
    fracture_site: str | None = None  # e.g. "hip" when levels is empty
    genant_grade: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    fictional: bool = False  # demo and test data only


@dataclass(frozen=True)
class CaseFindingResult:
    case_id: int
    outcome: Outcome


def record_case_finding(session: Session, actor: Actor, hit: CaseFindingHit) -> CaseFindingResult:
    """Put one hit on the worklist (or say why it is already there or was dismissed)."""
    fracture = parse(
        FractureIn,
        {
            "date": hit.fracture_date.isoformat(),
            "levels": list(hit.levels),
            "site": hit.fracture_site,
            "found_by": FoundBy.CASE_FINDING.value,
            "genant_grade": hit.genant_grade,
            "report_id": hit.report_id,
            "evidence": hit.evidence,
        },
    )
    site = session.scalar(sa.select(Site).where(Site.code == hit.site))
    if site is None and actor.site_ids is None:
        site = ensure_site(session, hit.site)
    if site is None or not actor.sees_site(site.id):
        raise InputError("site", hit.site, "one of your sites")
    require(actor, Action.WRITE_CASES, site_id=site.id)
    dismissed = session.scalar(
        sa.select(Dismissal.case_id).where(
            Dismissal.site_id == site.id, Dismissal.report_id == hit.report_id
        )
    )
    if dismissed is not None:
        return CaseFindingResult(dismissed, "dismissed")
    recorded = session.scalar(
        sa.select(Fracture.case_id)
        .join(Case, Case.id == Fracture.case_id)
        .where(Case.site_id == site.id, Fracture.report_id == hit.report_id)
    )
    if recorded is not None:
        return CaseFindingResult(recorded, "already-recorded")
    existing = session.scalar(
        sa.select(Case.id).where(Case.site_id == site.id, Case.mrn == hit.mrn)
    )
    if existing is not None:
        case = load_case(session, actor, existing)
        add_row(session, actor, "fractures", case.id, case.version, fracture)
        return CaseFindingResult(case.id, "added")
    data = parse(
        CaseIn,
        {
            "site": site.code,
            "mrn": hit.mrn,
            "name": hit.name,
            "birth_date": hit.birth_date.isoformat(),
            "sex": hit.sex,
            "status": CaseStatus.TO_REVIEW.value,
            "fictional": hit.fictional,
            "fractures": [fracture.model_dump(mode="json", exclude={"id"})],
        },
    )
    case = create_case(session, actor, data)
    return CaseFindingResult(case.id, "created")


@dataclass(frozen=True)
class CaseFindingCounts:
    """What case-finding has brought to the registry, all sites together (for /metrics)."""

    fractures_found: int  # fractures recorded as found by case-finding
    reports_dismissed: int  # reports a person dismissed from the worklist
    cases_to_review: int  # cases waiting for a person to accept or dismiss


def case_finding_counts(session: Session) -> CaseFindingCounts:
    """Count, across every site, what case-finding found, what was dismissed, what waits.

    For operators' metrics only: no site or patient is named, and no actor is needed.
    """

    def count(query: sa.Select[Any]) -> int:
        return int(session.scalar(query) or 0)

    return CaseFindingCounts(
        fractures_found=count(
            sa.select(sa.func.count())
            .select_from(Fracture)
            .where(Fracture.found_by == FoundBy.CASE_FINDING.value)
        ),
        reports_dismissed=count(sa.select(sa.func.count()).select_from(Dismissal)),
        cases_to_review=count(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(Case.status == CaseStatus.TO_REVIEW.value)
        ),
    )
