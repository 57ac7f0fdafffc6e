"""A demo site of fictional patients, for ``make run`` and for trying the registry out.

Every patient here is invented (``fictional: true``, "(fictional)" after each name). The
reference patient of the seed page leads: a 58-year-old nurse with diabetes, an L2 fracture
(Genant grade 2) after a fall from knee height, balloon kyphoplasty three weeks later, then an
endocrinologist who starts calcium and a bisphosphonate; her four clinical-tool results are
saved to her case as the core produces them. The others are spread around ``today`` so that
the worklist has overdue, due and later events, one case-finding hit waits in ``to-review``
and the KPIs have something to count.

Two demo logins: the coordinator who runs the worklist day to day (``demo@example.org``) and an
admin (``demo-admin@example.org``) who manages users, letter templates and exports. Running it
again adds nothing twice; it gives both demo users a new password each time.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from spinefx.registry import cases
from spinefx.registry.contacts import ContactsIn, update_contacts
from spinefx.registry.db import Registry
from spinefx.registry.findings import CaseFindingHit, record_case_finding
from spinefx.registry.models import Case, User
from spinefx.registry.passwords import hash_password
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import add_user, clear_failed_logins, ensure_site
from spinefx.registry.vocab import EVENT_ORDER, EVENT_WINDOWS

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_EMAIL",
    "DEMO_SITE",
    "REFERENCE_MRN",
    "REFERENCE_OPERATOR_NPI",
    "DemoLogin",
    "reference_case",
    "seed_demo",
]

DEMO_SITE = "demo"
DEMO_SITE_NAME = "Demo Hospital (fictional)"
DEMO_EMAIL = "demo@example.org"  # a coordinator
DEMO_ADMIN_EMAIL = "demo-admin@example.org"
REFERENCE_MRN = "DEMO-0001"
REFERENCE_OPERATOR_NPI = "1000000004"  # fictional; a valid check digit
# Her contacts, invented (555 numbers, example.org), for the letters.
REFERENCE_CONTACTS = ContactsIn(
    phone="(617) 555-0142",
    address="12 Elm Street\nSpringfield, MA 01101",
    pcp_name="Dr. Rosa Diaz (fictional)",
    pcp_practice="Elm Street Family Practice (fictional)",
    pcp_fax="(617) 555-0199",
    pcp_email="front-desk@elm-practice.example.org",
)
_FIRST = ["Ada", "Bea", "Cora", "Dot", "Edna", "Flo", "Gus", "Hal", "Ivo", "Jon", "Kit", "Lou"]
_LAST = ["Archer", "Baker", "Carter", "Dyer", "Fisher", "Glover", "Hunter", "Mason", "Potter"]


@dataclass(frozen=True)
class DemoLogin:
    """The demo coordinator's login (``email``, ``password``) and the demo admin's."""

    email: str
    password: str
    site: str
    cases: int
    admin_email: str = DEMO_ADMIN_EMAIL
    admin_password: str = ""


def reference_case(today: date | None = None) -> dict[str, Any]:
    """The reference patient's record in the import format, as it stands on ``today``.

    Her path, counted in days from the fall (the fracture date): baseline scores on day 20,
    bipedicular kyphoplasty of L2 under local anaesthesia on day 21, scores two weeks after
    it (day 35), the endocrinologist on day 42 (the follow-up plan's date: risk and falls
    assessed; calcium and a bisphosphonate recommended), DXA on day 47, the bisphosphonate
    (zoledronic acid, one of the plan's options) given on day 49, strength and balance
    exercise from day 56, and scores three months after the procedure (day 112, week 16).
    Rows dated after ``today`` are left out (none when ``today`` is None).
    """
    from spinefx.clinical.pathway import REFERENCE_FOLLOWUP_DATE
    from spinefx.clinical.pathway import REFERENCE_FRACTURE_DATE as d

    endocrinology = (REFERENCE_FOLLOWUP_DATE - d).days

    def on(days: int) -> str:
        return (d + timedelta(days=days)).isoformat()

    def scores(day: int, timepoint: str, nrs: int, rdq: int, odi: int) -> list[dict[str, Any]]:
        return [
            {"date": on(day), "instrument": name, "score": score, "timepoint": timepoint}
            for name, score in (("nrs", nrs), ("rdq", rdq), ("odi", odi))
        ]

    record: dict[str, Any] = {
        "site": DEMO_SITE,
        "mrn": REFERENCE_MRN,
        "name": "Rose Example (fictional)",
        "birth_date": "1968-05-01",
        "sex": "female",
        "status": "active",
        "fictional": True,
        "fractures": [
            {
                "date": d.isoformat(),
                "levels": ["L2"],
                "site": None,
                "found_by": "clinical",
                "genant_grade": 2,
                "index": True,  # the fracture that brought her to the service
            }
        ],
        "events": [
            {
                "type": "risk-assessment",
                "status": "done",
                "date": on(endocrinology),
                "note": "Endocrinology: diabetes; eGFR 82; very high risk (fracture this year)",
            },
            {
                "type": "falls-assessment",
                "status": "done",
                "date": on(endocrinology),
                "note": "Fell from knee height pulling a heavy tub; home hazards reviewed",
            },
            {
                "type": "medication-recommended",
                "status": "done",
                "date": on(endocrinology),
                "note": "Calcium and a bisphosphonate (endocrinologist)",
            },
            {
                "type": "medication-started",
                "status": "done",
                "date": on(49),
                "note": "Zoledronic acid (a bisphosphonate) infusion; calcium and vitamin D",
            },
            {"type": "dxa", "status": "done", "date": on(47)},
            {
                "type": "exercise-started",
                "status": "done",
                "date": on(56),
                "note": "Strength and balance program, adapted to the healing spine",
            },
        ],
        "procedures": [
            {
                "date": on(21),
                "kind": "kyphoplasty",
                "levels": ["L2"],
                "approach": "bipedicular",
                "cement_ml": {"L2": 4.8},
                "operator_npi": REFERENCE_OPERATOR_NPI,
                "anaesthesia": "local",
                "complications": [],
            }
        ],
        "outcomes": [
            *scores(20, "baseline", nrs=8, rdq=19, odi=58),
            *scores(35, "2-weeks", nrs=3, rdq=9, odi=30),
            *scores(112, "3-months", nrs=2, rdq=5, odi=18),
        ],
    }
    if today is not None:
        for rows in ("events", "procedures", "outcomes"):
            record[rows] = [r for r in record[rows] if date.fromisoformat(r["date"]) <= today]
    return record


def _other_case(rng: random.Random, n: int, today: date) -> dict[str, Any]:
    d = today - timedelta(days=rng.randint(5, 420))
    events = []
    for kind in EVENT_ORDER:
        start, end = EVENT_WINDOWS[kind]
        due = d + timedelta(weeks=end)
        if rng.random() < 0.55 and d + timedelta(weeks=start) <= today:
            when = min(today, d + timedelta(days=rng.randint(start * 7, end * 7 + 20)))
            status = rng.choices(["done", "declined", "not-applicable"], [8, 1, 1])[0]
            events.append({"type": kind.value, "status": status, "date": when.isoformat()})
        elif due > today:
            break
    spine = rng.random() < 0.85
    fracture = {
        "date": d.isoformat(),
        "levels": [rng.choice(["T7", "T8", "T11", "T12", "L1", "L2", "L3"])] if spine else [],
        "site": None if spine else rng.choice(["hip", "wrist", "humerus"]),
        "found_by": rng.choices(["clinical", "radiological"], [3, 1])[0],
        "genant_grade": rng.choice([1, 2, 3]) if spine else None,
    }
    sex = rng.choice(["female", "female", "male"])
    fractures: list[dict[str, Any]] = [{**fracture, "index": True}]
    if n % 6 == 0:  # a wrist fracture years before: history, not the index (issue 20)
        prior_day = (d - timedelta(days=6 * 365)).isoformat()
        fractures.insert(
            0,
            {"date": prior_day, "levels": [], "site": "wrist", "found_by": "clinical"},
        )
    record: dict[str, Any] = {
        "site": DEMO_SITE,
        "mrn": f"DEMO-{n:04d}",
        "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)} (fictional)",
        "birth_date": date(
            rng.randint(1930, 1970), rng.randint(1, 12), rng.randint(1, 28)
        ).isoformat(),
        "sex": sex,
        "status": rng.choices(["active", "closed", "deceased", "transferred"], [12, 2, 1, 1])[0],
        "fictional": True,
        "fractures": fractures,
        "events": events,
        "outcomes": [
            {
                "date": d.isoformat(),
                "instrument": "nrs",
                "score": rng.randint(5, 10),
                "timepoint": "baseline",
            }
        ],
    }
    if record["status"] == "deceased":  # died half-way from the fracture to today
        death = (d + (today - d) // 2).isoformat()
        record["death_date"] = death
        record["events"] = [e for e in events if e["date"] <= death]
    return record


def _save_reference_assessments(session: Any, actor: Actor, case: Case) -> None:
    from spinefx.clinical.pathway import (
        REFERENCE_CANDIDACY,
        REFERENCE_FOLLOWUP,
        REFERENCE_HEIGHTS,
        REFERENCE_SCREENING,
        reference_patient_pathway,
    )

    result = reference_patient_pathway()
    fractured = max(result.grading.vertebrae, key=lambda v: v.grade or 0)  # as the pathway does
    candidacy_input = {**REFERENCE_CANDIDACY, "height_loss_pct": fractured.height_loss_pct}
    followup_input = {**REFERENCE_FOLLOWUP, "max_grade": fractured.grade}
    saved: list[tuple[str, dict[str, Any], BaseModel]] = [
        ("screening", REFERENCE_SCREENING, result.screening),
        ("grading", REFERENCE_HEIGHTS, result.grading),
        ("candidacy", candidacy_input, result.candidacy),
        ("followup", followup_input, result.followup),
    ]
    for kind, given, produced in saved:
        cases.save_assessment(
            session,
            actor,
            case.id,
            case.version,
            kind=kind,
            input=json.loads(json.dumps(given)),
            result=produced.model_dump(mode="json"),
        )


DEMO_REPORT = (
    "CT ABDOMEN AND PELVIS (fictional demonstration report). FINDINGS: Mild wedge compression "
    "deformity of T12, new since the prior study. No acute fracture of the lumbar spine."
)


def _demo_evidence() -> dict[str, Any]:
    """The hit's evidence in the shape case-finding stores: the report and its spans."""
    spans = []
    for text, status in (
        ("Mild wedge compression deformity of T12", "present"),
        ("No acute fracture of the lumbar spine", "negated"),
    ):
        start = DEMO_REPORT.index(text)
        spans.append({"text": text, "start": start, "end": start + len(text), "status": status})
    return {"report_text": DEMO_REPORT, "evidence": spans, "vcf": "present"}


def seed_demo(registry: Registry, *, today: date | None = None, patients: int = 24) -> DemoLogin:
    """Create (once) the demo site and its fictional patients; a fresh demo password each run."""
    today = today or date.today()
    cli = Actor.command_line("demo")
    password = secrets.token_urlsafe(12)
    admin_password = secrets.token_urlsafe(12)
    with registry.transaction() as session:
        ensure_site(session, DEMO_SITE, name=DEMO_SITE_NAME, fictional=True)
        for email, role, secret in (
            (DEMO_EMAIL, "coordinator", password),
            (DEMO_ADMIN_EMAIL, "admin", admin_password),
        ):
            user = session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                add_user(session, cli, email, role=role, sites=[DEMO_SITE], password=secret)
            else:
                # A demo made before the coordinator login had demo@ as an admin.
                user.role = role
                user.password_hash = hash_password(secret)
                clear_failed_logins(user)
        site_id = session.scalar(sa.select(Case.site_id).where(Case.mrn == REFERENCE_MRN))
        if site_id is None:
            reference = cases.create_case(session, cli, parse(CaseIn, reference_case(today)))
            _save_reference_assessments(session, cli, reference)
            update_contacts(session, cli, reference.id, reference.version, REFERENCE_CONTACTS)
            rng = random.Random(11)
            for n in range(2, patients + 1):
                cases.create_case(session, cli, parse(CaseIn, _other_case(rng, n, today)))
            record_case_finding(
                session,
                cli,
                CaseFindingHit(
                    site=DEMO_SITE,
                    mrn=f"DEMO-{patients + 1:04d}",
                    name="Nell Reporter (fictional)",
                    birth_date=date(1947, 9, 9),
                    sex="female",
                    fracture_date=today - timedelta(days=6),
                    report_id="DEMO-CT-0001",
                    levels=["T12"],
                    fictional=True,
                    evidence=_demo_evidence(),
                ),
            )
        count = (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Case)
                .join(Case.site)
                .where(Case.site.has(code=DEMO_SITE))
            )
            or 0
        )
    return DemoLogin(DEMO_EMAIL, password, DEMO_SITE, count, DEMO_ADMIN_EMAIL, admin_password)
