"""The registry's pages over a real database (each test runs on SQLite and on PostgreSQL).

``world`` fills the empty database of the ``db_url`` fixture with two sites, one user of each
role at ``north`` (and a coordinator at ``south``), and three cases: an active one at north with
rows under it, a case-finding hit waiting for review at north, and an active case at south.
``client`` is the app on that database; :func:`tests.helpers.registry_pages.log_in` logs a user
in through the login form and returns the page CSRF token.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.helpers.registry_pages import CLI, EVIDENCE, PASSWORD, ROLES, World, case_in

from spinefx.registry import cases
from spinefx.registry.db import Registry
from spinefx.registry.users import add_user, ensure_site
from spinefx.web import Settings, create_app


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
        active = cases.create_case(session, CLI, case_in("N-1", "north"))
        review = cases.create_case(
            session,
            CLI,
            case_in(
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
        south = cases.create_case(session, CLI, case_in("S-1", "south"))
        return World(active.id, review.id, south.id)


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, database_url=db_url)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c
