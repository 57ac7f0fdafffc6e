"""Helpers of the registry pages' tests: the world's people and cases, logging in through the
login form, and the CSRF token and case version a page carries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse

__all__ = [
    "CLI",
    "EVIDENCE",
    "PASSWORD",
    "REPORT_TEXT",
    "ROLES",
    "World",
    "case_in",
    "csrf_of",
    "log_in",
    "version_of",
]

PASSWORD = "north clinic test passphrase"  # not the famous one: it is on the blocklist
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


def case_in(mrn: str, site: str, **changes: Any) -> CaseIn:
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
