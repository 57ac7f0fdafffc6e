"""The OpenAPI document and the server agree: schemathesis sends what the document describes
(and what it forbids) to every operation and checks each answer against it: no 5xx, every
status, content type and body as documented, and data the schema forbids refused.

One check is left out, on purpose: "schema-valid data is accepted". Each rule also has rules
across fields that JSON Schema cannot state (each level at most once, a level range that
must run upwards), so a body the schema allows may still be refused; such a refusal must be a
422 problem naming a field, which :func:`refusals_name_a_field` checks instead."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from tests.helpers.openapi import refusals_name_a_field

from spinefx.directory.demo import load_demo
from spinefx.web import Settings, create_app

# Loading the document runs the app once, before any fixture: it gets an empty temporary
# data folder (removed at exit), never one in the source tree; the fixture below gives the app
# its real data folder.
_UNLOADED = tempfile.TemporaryDirectory(prefix="spinefx-openapi-")
app = create_app(Settings(data_dir=Path(_UNLOADED.name)))
# The four rules and the specialist search; the registry's operations (a bearer token
# required) have their own run against a seeded registry, in test_openapi_registry.py.
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
    path_regex=r"^/api/v1/(screening|grading|candidacy|followup|specialists)$"
)
# A body over the app's limit is refused before it is read (413), whatever it holds: for an
# invalid one that is a refusal too, which schemathesis's default list leaves out.
_negative = schema.config.checks.negative_data_rejection
schema.config.checks.negative_data_rejection = type(_negative)(
    expected_statuses=[*_negative.expected_statuses, "413"]
)


@pytest.fixture(scope="module", autouse=True)
def _app_started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same app with a small demo directory, its lifespan run (it owns the directory)."""
    folder = tmp_path_factory.mktemp("openapi")
    load_demo(folder / "directory.duckdb", rows=300)
    app.state.settings = Settings(data_dir=folder)
    with TestClient(app):
        yield


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms_to_the_openapi_document(case: schemathesis.Case) -> None:
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    refusals_name_a_field(response)
