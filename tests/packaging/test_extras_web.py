"""The web app's answer when a feature's extra is not installed: 503, never a 500."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinefx.extras import require
from spinefx.web import Settings, create_app


def _needs_fhir() -> None:
    require("fhir", "the CDS Hooks service")


def _imports_jwt() -> None:
    raise ModuleNotFoundError("No module named 'jwt'", name="jwt")


def _imports_something_else() -> None:
    raise ModuleNotFoundError("No module named 'nothing_of_ours'", name="nothing_of_ours")


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setitem(sys.modules, "fhir.resources", None)
    app = create_app(Settings(data_dir=tmp_path))
    for path, endpoint in [
        ("/api/v1/test-fhir", _needs_fhir),
        ("/test-page", _needs_fhir),
        ("/test-jwt", _imports_jwt),
        ("/test-other", _imports_something_else),
    ]:
        app.add_api_route(path, endpoint)
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("path", ["/api/v1/test-fhir", "/test-jwt"])
def test_a_missing_extra_is_a_503_problem_naming_it(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"accept": "application/json"})
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["title"] == "Feature not installed"
    assert "pip install 'spinefx[fhir]'" in problem["detail"]


@pytest.mark.parametrize("path", ["/cds-services", "/cds-services/vertebral-fracture-care"])
def test_the_cds_hooks_service_switched_on_without_the_extra_is_a_503_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setitem(sys.modules, "fhir.resources", None)
    settings = Settings(data_dir=tmp_path, cds_hooks=True, cds_hooks_insecure_no_jwt=True)
    with TestClient(create_app(settings)) as client:
        answer = client.request("GET" if path == "/cds-services" else "POST", path, json={})
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert "pip install 'spinefx[fhir]'" in answer.json()["detail"]


def test_a_browser_gets_a_page(client: TestClient) -> None:
    answer = client.get("/test-page", headers={"accept": "text/html"})
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert "spinefx[fhir]" in answer.text


def test_an_import_error_of_no_extra_stays_a_server_error(client: TestClient) -> None:
    assert client.get("/test-other").status_code == 500
