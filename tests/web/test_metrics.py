"""``SPINEFX_METRICS=1``: Prometheus metrics at ``/metrics``, requests by route template and
status, a latency histogram, and case-finding and directory figures read from the stores.
Off, ``/metrics`` is a 404."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.helpers.registry import new_user_actor

from spinefx.registry.cases import dismiss, load_case
from spinefx.registry.db import Registry
from spinefx.registry.findings import CaseFindingHit, record_case_finding
from spinefx.registry.permissions import Actor
from spinefx.web import Settings, create_app

CLI = Actor.command_line("case-finding")


@contextmanager
def metrics_client(
    data_dir: Path, database_url: str | None = None, *, metrics: bool = True
) -> Iterator[TestClient]:
    settings = Settings(data_dir=data_dir, database_url=database_url, metrics=metrics)
    with TestClient(create_app(settings)) as c:
        yield c


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def with_directory(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "directory.duckdb", folder / "directory.duckdb")
    return folder


def hit(report: str, mrn: str) -> CaseFindingHit:
    return CaseFindingHit(
        site="north",
        mrn=mrn,
        name="Found Patient",
        birth_date=date(1949, 2, 3),
        sex="female",
        fracture_date=date(2026, 5, 4),
        report_id=report,
        levels=["L2"],
        evidence={"sentence": "compression fracture of L2", "start": 0},
    )


def test_metrics_are_a_404_while_off(tmp_path: Path) -> None:
    with metrics_client(tmp_path, metrics=False) as client:
        assert client.get("/metrics").status_code == 404
        client.get("/healthz")
        assert client.get("/metrics").status_code == 404


def test_requests_are_counted_by_route_template_and_status(data_dir: Path, tmp_path: Path) -> None:
    with metrics_client(with_directory(data_dir, tmp_path / "d")) as client:
        client.get("/find?zip=02139&radius=25")
        client.get("/find?zip=90210")
        client.get("/api/v1/registry/cases/12345")  # no token: 401
        client.get("/learn/no-such-topic-7734")
        client.get("/static/css/site.css")
        client.get("/wp-admin/setup-config.php")
        found = samples(client)
        text = client.get("/metrics").text
    requests = "spinefx_http_requests_total"
    assert value(found, requests, method="GET", route="/find", status="200") == 2
    assert (
        value(found, requests, method="GET", route="/api/v1/registry/cases/{case_id}", status="401")
        == 1
    )
    assert value(found, requests, method="GET", route="/learn/{slug}", status="404") == 1
    assert value(found, requests, method="GET", route="/static/{path}", status="200") == 1
    assert value(found, requests, method="GET", route="unmatched", status="404") == 1
    for typed in ("02139", "90210", "12345", "no-such-topic", "wp-admin"):
        assert typed not in text, typed


def test_latency_is_a_histogram_by_route(tmp_path: Path) -> None:
    with metrics_client(tmp_path) as client:
        for _ in range(3):
            client.get("/healthz")
        found = samples(client)
    count = "spinefx_http_request_duration_seconds_count"
    assert value(found, count, method="GET", route="/healthz") == 3
    infinite = value(
        found,
        "spinefx_http_request_duration_seconds_bucket",
        method="GET",
        route="/healthz",
        le="+Inf",
    )
    assert infinite == 3


def test_case_finding_figures_come_from_the_registry(
    data_dir: Path, tmp_path: Path, db_url: str, registry: Registry, quick_password_hashing: None
) -> None:
    person = new_user_actor(registry, "fls@example.org")
    with registry.transaction() as session:
        first = record_case_finding(session, CLI, hit("R-1", "M-1"))
        record_case_finding(session, CLI, hit("R-2", "M-2"))
        record_case_finding(session, CLI, hit("R-3", "M-1"))  # the same patient: added
    with registry.transaction() as session:
        case = load_case(session, person, first.case_id)
    with registry.transaction() as session:
        dismiss(session, person, first.case_id, case.version, "old fracture, already treated")
    with metrics_client(with_directory(data_dir, tmp_path / "d"), db_url) as client:
        found = samples(client)
    assert value(found, "spinefx_registry_up") == 1
    assert value(found, "spinefx_casefind_fractures_found_total") == 3
    assert value(found, "spinefx_casefind_reports_dismissed_total") == 2
    assert value(found, "spinefx_casefind_cases_to_review") == 1


def test_directory_figures_say_whether_it_is_loaded(data_dir: Path, tmp_path: Path) -> None:
    with metrics_client(with_directory(data_dir, tmp_path / "d")) as client:
        assert value(samples(client), "spinefx_directory_loaded") == 1
        assert value(samples(client), "spinefx_directory_weekly_updates_total") == 0
    with metrics_client(tmp_path / "empty") as client:
        found = samples(client)
    assert value(found, "spinefx_directory_loaded") == 0
    assert value(found, "spinefx_registry_up") == 0  # not set up
    assert not (tmp_path / "empty" / "registry.sqlite3").exists()  # and not made by asking


def test_a_registry_that_does_not_answer_still_gives_a_scrape(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://u:pw@127.0.0.1:{port}/nowhere"
    with metrics_client(tmp_path, url) as client:
        found = samples(client)
    assert value(found, "spinefx_registry_up") == 0
    assert value(found, "spinefx_casefind_fractures_found_total") is None
