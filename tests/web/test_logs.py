"""The logs an operator reads: with ``SPINEFX_LOG_FORMAT=json`` one JSON object a line for the
access log and the app's own records, each with the request id (the caller's ``X-Request-ID``
kept and echoed, else a new one); the path without its query string; no answers anywhere."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical.screening import EMERGENCY_FLAGS, URGENT_FLAGS
from spinefx.logs import JsonFormatter, RequestIdFilter, log_config
from spinefx.web import Settings, create_app
from spinefx.web.security import ACCESS_LOGGER

ANSWERS = {
    "age": "58",
    "onset": "sudden",
    "pain_nrs": "9",
    "pain_quality": "sharp",
    "zip": "02139",
    **{f"red_flags.{n}": "no" for n in (*EMERGENCY_FLAGS, *URGENT_FLAGS)},
}


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every spinefx record, formatted as ``SPINEFX_LOG_FORMAT=json`` formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("spinefx")
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access(stream: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in records(stream) if r["logger"] == ACCESS_LOGGER]


def test_each_request_is_one_json_line_with_the_fields_an_operator_needs(
    client: TestClient, json_lines: io.StringIO
) -> None:
    client.get("/find?zip=02139&radius=25", headers={"X-Request-ID": "lb-7f3a"})
    (line,) = access(json_lines)
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/find"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == "lb-7f3a"
    assert line["client"] == "testclient"
    assert line["time"].endswith("Z") and line["time"][10] == "T"


def test_no_json_line_holds_a_query_string_or_an_answer(
    client: TestClient, json_lines: io.StringIO
) -> None:
    client.post("/check", data=ANSWERS)  # redirects to /check/result?<the answers>
    client.post("/api/v1/screening", json={"age": 58, "onset": "sudden"})
    client.get("/api/v1/specialists?zip=90210")
    paths = [(r["method"], r["path"], r["status"]) for r in access(json_lines)]
    assert paths == [
        ("POST", "/check", 303),
        ("GET", "/check/result", 200),
        ("POST", "/api/v1/screening", 200),
        ("GET", "/api/v1/specialists", 200),
    ]
    text = json_lines.getvalue()
    for secret in ("?", "zip", "02139", "90210", "sudden", "sharp", "red_flags", "pain"):
        assert secret not in text, secret


def test_the_callers_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "3f2c9a1e-0b7d-4c55-9e4a-1d2f"})
    assert response.headers["x-request-id"] == "3f2c9a1e-0b7d-4c55-9e4a-1d2f"


def test_without_one_a_fresh_request_id_is_made_for_each_request(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.parametrize(
    "given",
    ["a b", "x" * 129, "id\nGET /admin 200", "age=58&onset=sudden", ""],
)
def test_a_request_id_that_is_not_a_plain_token_is_replaced(
    client: TestClient, json_lines: io.StringIO, given: str
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})
    made = response.headers["x-request-id"]
    assert made != given and len(made) == 32
    assert access(json_lines)[0]["request_id"] == made


def test_an_apps_own_record_carries_the_request_id_but_not_the_errors_message(
    tmp_path: Path, json_lines: io.StringIO
) -> None:
    app = create_app(Settings(data_dir=tmp_path))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError(" ".join(ANSWERS[k] for k in ("age", "onset")))

    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/api/v1/boom", headers={"X-Request-ID": "req-1"}).status_code == 500
    lines = records(json_lines)
    error = next(r for r in lines if r["logger"] == "spinefx.web.errors")
    assert error["level"] == "ERROR" and error["request_id"] == "req-1"
    assert "RuntimeError" in error["message"]
    assert access(json_lines)[0]["status"] == 500
    assert "58 sudden" not in json_lines.getvalue()


def test_a_logged_exception_shows_its_type_and_frames_never_its_message() -> None:
    try:
        raise ValueError("MRN " + str(12345678 - 1))
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "", 0, "failed", None, None)

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["exception"] == "ValueError"
    assert line["frames"] and "12345677" not in json.dumps(line)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_log_config_formats_uvicorns_records_too(log_format: str) -> None:
    config = log_config(log_format)  # type: ignore[arg-type]
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logging.config.dictConfig(config)
        logging.getLogger("uvicorn.error").info("Started server process [1]")
        logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /check/result?age=58"')
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    out = stream.getvalue()
    assert "Started server process" in out
    assert "age=58" not in out  # uvicorn's access log, which prints queries, stays silent
    if log_format == "json":
        assert json.loads(out.strip())["logger"] == "uvicorn.error"


def test_alembics_notes_on_each_readiness_probe_stay_out_of_the_log() -> None:
    config = log_config("text")
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    alembic = logging.getLogger("alembic.runtime.migration")
    alembic_level = logging.getLogger("alembic").level
    try:
        logging.config.dictConfig(config)
        alembic.info("Context impl SQLiteImpl.")
        alembic.warning("the schema is ahead of this code")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        logging.getLogger("alembic").setLevel(alembic_level)
    out = stream.getvalue()
    assert "Context impl" not in out
    assert "the schema is ahead" in out
