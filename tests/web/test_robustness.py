"""Inputs a probe found that broke the server, each pinned: never a 500, nothing submitted in
the log, and errors in the shape the client asked for (HTML pages, problem+json under /api)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical.pathway import REFERENCE_FOLLOWUP, REFERENCE_SCREENING
from spinefx.web import Settings, create_app
from spinefx.web.settings import MAX_BODY_BYTES

PROBLEM = "application/problem+json"
MARK = "SECRET-4242"  # a submitted value that must never reach the log


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("name", ["limit", "radius", "offset"])
@pytest.mark.parametrize("value", ["¹", "٣", "\uff11\uff12", "1_0", "²5"])  # \uff11: fullwidth 1
def test_non_ascii_digits_in_search_numbers_are_422(
    client: TestClient, name: str, value: str
) -> None:
    body = problem_of(client.get("/api/v1/specialists", params={"zip": "02139", name: value}), 422)
    assert [e["field"] for e in body["errors"]] == [name]
    page = client.get("/find", params={"zip": "02139", name: value})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")


def test_a_decimal_radius_is_taken_as_the_openapi_document_says(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    (radius,) = [
        p
        for p in spec["paths"]["/api/v1/specialists"]["get"]["parameters"]
        if p["name"] == "radius"
    ]
    assert radius["schema"]["type"] == "number"
    result = client.get("/api/v1/specialists", params={"zip": "02139", "radius": "12.5"})
    assert result.status_code == 200
    assert result.json()["query"]["radius"] == 12.5


def test_the_specialists_answer_has_its_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/api/v1/specialists"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/SearchResult"
    assert {"query", "total", "results"} <= set(
        spec["components"]["schemas"]["SearchResult"]["properties"]
    )


@pytest.mark.parametrize("body", [58.0, 5.8e1])
def test_an_integer_written_with_a_zero_fraction_is_an_integer(
    client: TestClient, body: float
) -> None:
    # JSON Schema's "integer" includes 58.0: the server agrees with its OpenAPI document.
    response = client.post("/api/v1/screening", json={**REFERENCE_SCREENING, "age": body})
    assert response.status_code == 200, response.text
    assert (
        client.post("/api/v1/screening", json={**REFERENCE_SCREENING, "age": 58.5}).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"age": "\\ud800' + MARK.encode() + b'"}', "age"),
        (b'{"\\udfff' + MARK.encode() + b'": 1}', "\\udfff" + MARK),
        (b'{"red_flags": {"fever": "\\udbff' + MARK.encode() + b'"}}', "red_flags.fever"),
        (b'{"zz": ["\\ud800' + MARK.encode() + b'"]}', "zz[0]"),
    ],
)
def test_a_lone_surrogate_anywhere_is_422_and_never_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture, raw: bytes, field: str
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post(
        "/api/v1/screening", content=raw, headers={"content-type": "application/json"}
    )
    body = problem_of(response, 422)
    assert body["errors"][0]["field"] == field
    assert "\\ud" in body["errors"][0]["value"] or "\\ud" in field  # shown escaped
    assert MARK not in caplog.text


def test_undecodable_bytes_are_400_and_never_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    raw = b'{"age": "\xff\xfe' + MARK.encode() + b'"}'
    body = problem_of(
        client.post("/api/v1/screening", content=raw, headers={"content-type": "application/json"}),
        400,
    )
    assert "UTF-8" in body["detail"]
    assert MARK not in caplog.text


def test_a_form_field_with_a_lone_surrogate_is_answered_on_the_form(client: TestClient) -> None:
    response = client.post(
        "/check",
        content=b"age=%ED%A0%80" + MARK.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (200, 422)
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("field", ["fracture_date", "as_of"])
@pytest.mark.parametrize("day", ["9999-12-31", "9999-06-30", "2200-01-01", "1899-12-31"])
def test_a_date_at_the_far_end_of_the_calendar_is_422_naming_it(
    client: TestClient, field: str, day: str
) -> None:
    body = {**REFERENCE_FOLLOWUP, "fracture_date": "2026-01-05", "as_of": "2026-02-01"}
    response = client.post("/api/v1/followup", json={**body, field: day})
    problem = problem_of(response, 422)
    assert problem["errors"][0]["field"] == field
    assert "1900-01-01" in problem["errors"][0]["allowed"]


def test_the_last_date_allowed_still_plans(client: TestClient) -> None:
    day = "2199-12-31"
    body = {**REFERENCE_FOLLOWUP, "fracture_date": day, "as_of": day}
    response = client.post("/api/v1/followup", json=body)
    assert response.status_code == 200, response.text


def test_a_page_answers_413_with_the_html_error_page(client: TestClient) -> None:
    big = b"a" * (MAX_BODY_BYTES + 1)
    form = "application/x-www-form-urlencoded"
    page = client.post("/check", content=big, headers={"content-type": form})
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text and "Too much data sent" in page.text
    api = client.post(
        "/api/v1/screening", content=big, headers={"content-type": "application/json"}
    )
    assert problem_of(api, 413)["status"] == 413


@pytest.fixture
def broken_app(tmp_path: Path) -> Any:
    app = create_app(Settings(data_dir=tmp_path))

    @app.get("/api/v1/boom")
    def api_boom() -> None:
        raise RuntimeError(f"the value was {MARK}")

    @app.get("/boom-page")
    def page_boom() -> None:
        raise ValueError(f"invalid literal: {MARK}")

    return app


def test_a_page_that_fails_answers_500_with_the_html_error_page(
    broken_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with TestClient(broken_app, raise_server_exceptions=False) as c:
        page = c.get("/boom-page")
        api = c.get("/api/v1/boom")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text and MARK not in page.text
    assert problem_of(api, 500)["detail"] == "Something went wrong on our side."
    assert "ValueError" in caplog.text and "RuntimeError" in caplog.text  # what and where
    assert "page_boom" in caplog.text
    assert MARK not in caplog.text  # but never the message


def test_logged_paths_have_control_characters_escaped(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="spinefx.web.access")
    client.get("/learn/x%0AGET%20/admin%20200%0D%1B[31m")
    lines = [r.getMessage() for r in caplog.records if r.name == "spinefx.web.access"]
    (line,) = lines
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "\\x0aGET /admin 200\\x0d\\x1b[31m" in line
