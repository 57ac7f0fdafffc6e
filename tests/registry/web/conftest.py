"""The registry's pages over a real database (each test runs on SQLite and on PostgreSQL).

``world`` fills the empty database of :func:`tests.registry.conftest.db_url` with two sites, one
user of each role at ``north`` (and a coordinator at ``south``), and three cases: an active one
at north with rows under it, a case-finding hit waiting for review at north, and an active case
at south. ``client`` is the app on that database; :func:`log_in` logs a user in through the
login form and returns the page CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spinefx.registry import cases
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import add_user, ensure_site
from spinefx.web import Settings, create_app

PASSWORD = "correct horse battery staple"
CLI = Actor.command_line("test")
ROLES = ("admin", "clinician", "coordinator", "auditor")
REPORT_TEXT = (
    "FINDINGS: Acute compression fracture of L1 with 30 % height loss. No fracture at T12."
)


def _span(text: str, status: str) -> dict[str, Any]:
    start = REPORT_TEXT.index(text)
    return {"text": text, "start": start, "end": start + len(text), "status": status}


EVIDENCE = {
    "report_text": REPORT_TEXT,
    "evidence": [
        _span("Acute compression fracture of L1", "present"),
        _span("No fracture at T12", "negated"),
    ],
}


@dataclass(frozen=True)
class World:
    active: int  # north, active, with an event, a procedure and outcomes
    review: int  # north, to-review, found by case-finding
    south: int  # south, active

    def email(self, role: str, site: str = "north") -> str:
        return f"{role}.{site}@example.org"


def _case(mrn: str, site: str, **changes: Any) -> CaseIn:
    index = date.today() - timedelta(days=100)
    data: dict[str, Any] = {
        "site": site,
        "mrn": mrn,
        "name": f"Patient {mrn} (fictional)",
        "birth_date": "1950-04-02",
        "sex": "female",
        "status": "active",
        "fictional": True,
        "fractures": [
            {"date": index.isoformat(), "levels": ["L1"], "found_by": "clinical", "genant_grade": 2}
        ],
        "events": [
            {"type": "dxa", "status": "done", "date": (index + timedelta(days=20)).isoformat()}
        ],
        "procedures": [
            {
                "date": (index + timedelta(days=5)).isoformat(),
                "kind": "kyphoplasty",
                "levels": ["L1"],
                "approach": "bipedicular",
                "cement_ml": {"L1": 4.5},
                "operator_npi": "1234567893",
                "complications": [],
            }
        ],
        "outcomes": [
            {"date": (index + timedelta(days=4)).isoformat(), "instrument": "nrs", "score": 8},
            {"date": (index + timedelta(days=19)).isoformat(), "instrument": "nrs", "score": 3},
            {"date": (index + timedelta(days=4)).isoformat(), "instrument": "odi", "score": 62},
        ],
    }
    data.update(changes)
    return parse(CaseIn, data)


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with the smallest cost: these tests log in often (real cost: tests/registry)."""
    from argon2 import PasswordHasher

    from spinefx.registry import passwords

    quick = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", quick)


@pytest.fixture
def world(registry: Registry) -> World:
    index = date.today() - timedelta(days=30)
    with registry.transaction() as session:
        ensure_site(session, "north", name="North Hospital (fictional)", fictional=True)
        ensure_site(session, "south", name="South Clinic (fictional)", fictional=True)
        for role in ROLES:
            add_user(
                session,
                CLI,
                f"{role}.north@example.org",
                role=role,
                sites=["north"],
                password=PASSWORD,
            )
        add_user(
            session,
            CLI,
            "coordinator.south@example.org",
            role="coordinator",
            sites=["south"],
            password=PASSWORD,
        )
        active = cases.create_case(session, CLI, _case("N-1", "north"))
        review = cases.create_case(
            session,
            CLI,
            _case(
                "N-2",
                "north",
                status="to-review",
                events=[],
                procedures=[],
                outcomes=[],
                fractures=[
                    {
                        "date": index.isoformat(),
                        "levels": ["L1"],
                        "found_by": "case-finding",
                        "report_id": "RAD-77",
                        "evidence": EVIDENCE,
                    }
                ],
            ),
        )
        south = cases.create_case(session, CLI, _case("S-1", "south"))
        return World(active.id, review.id, south.id)


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, database_url=db_url)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def version_of(html: str) -> int:
    found = VERSION.search(html)
    assert found, "no version on the page"
    return int(found.group(1))


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form; the CSRF token of the logged-in pages."""
    form = client.get("/registry/login")
    assert form.status_code == 200
    answer = client.post(
        "/registry/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": "/registry",
        },
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/registry")
    assert page.status_code == 200
    return csrf_of(page.text)
