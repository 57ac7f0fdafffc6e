"""The registry API's part of the OpenAPI document and the server agree, as
:mod:`test_openapi_conformance` checks for the rules and the search: schemathesis sends what
the document describes (and what it forbids) to every ``/api/v1/registry`` operation, with the
bearer token of an admin of a seeded test registry, and checks each answer against it: once on
SQLite and once on PostgreSQL (whose driver refuses what SQLite kept, a NUL or a number past
its INTEGER: 139 server errors there before issue 22).

As there, "schema-valid data is accepted" is left out: a body the schema allows may still be
refused by a rule across fields or by the registry's state (an unknown case id is 404, a stale
version 409), and such a refusal must be a documented 4xx; a 422 names a field."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from tests.helpers.databases import BACKENDS, empty_postgres
from tests.helpers.openapi import refusals_name_a_field
from tests.helpers.registry import case_data

from spinefx.registry import auth, cases
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import add_user
from spinefx.web import Settings, create_app

_UNLOADED = tempfile.TemporaryDirectory(prefix="spinefx-openapi-")  # as in the module above
app = create_app(Settings(data_dir=Path(_UNLOADED.name)))
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
    path_regex=r"^/api/v1/registry/"
)
# A body over the app's limit is refused before it is read (413), whatever it holds: for an
# invalid one that is a refusal too, which schemathesis's default list leaves out.
_negative = schema.config.checks.negative_data_rejection
schema.config.checks.negative_data_rejection = type(_negative)(
    expected_statuses=[*_negative.expected_statuses, "413"]
)
SEEDED: dict[str, Any] = {}
ANSWERS: Counter[int] = Counter()  # each status seen: the run must get past the token check


TOKEN_LATER = "seeded-token"  # some cases are made before the registry is seeded


@schema.auth()
class RegistryToken:
    """The seeded admin's bearer token on every generated request (the document declares
    bearer security, so schemathesis also checks that a request without it is refused)."""

    def get(self, case: schemathesis.Case, context: Any) -> str:
        return TOKEN_LATER

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module", autouse=True, params=BACKENDS)
def _registry_seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """A registry with two cases at its admin's site, its lifespan run: SQLite, PostgreSQL."""
    folder = tmp_path_factory.mktemp("openapi-registry")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'registry.sqlite3'}"
        registry = Registry.open(url)
        registry.init()
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(request.getfixturevalue("postgres_registry"))
        registry = Registry.open(url)
    ANSWERS.clear()
    cli = Actor.command_line("test")
    with registry.transaction() as session:
        admin = add_user(
            session,
            cli,
            "admin@example.org",
            role="admin",
            sites=["north"],
            password="a long enough secret",
        )
        SEEDED["token"] = auth.create_token(session, admin)
        for mrn, site in (("A-1", "north"), ("A-2", "north")):
            cases.create_case(session, cli, parse(CaseIn, case_data(mrn, site=site)))
    registry.dispose()
    app.state.settings = Settings(data_dir=folder, database_url=url)
    with TestClient(app):
        yield
    past_the_token = sum(n for status, n in ANSWERS.items() if status != 401)
    assert ANSWERS[401] and past_the_token, ANSWERS


# Under the registered profile (tests/conftest.py; ci is derandomized): 15 examples an
# operation keeps the run near half a minute; SPINEFX_SCHEMA_EXAMPLES=200 for a longer hunt.
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("SPINEFX_SCHEMA_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_registry_operation_conforms_to_the_openapi_document(
    case: schemathesis.Case,
) -> None:
    if case.headers and case.headers.get("Authorization") == f"Bearer {TOKEN_LATER}":
        case.headers["Authorization"] = f"Bearer {SEEDED['token']}"
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    ANSWERS[response.status_code] += 1
    refusals_name_a_field(response)
