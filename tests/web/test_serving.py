"""Serving behind HTTPS and over slow links: Strict-Transport-Security when
``SPINEFX_HTTPS=1``; gzip for pages, the stylesheet and JSON, but never the registry's pages
(their CSRF token beside typed text would be open to BREACH)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinefx.web import Settings, create_app
from spinefx.web.security import STRICT_TRANSPORT_SECURITY

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture(scope="module")
def https_client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data_dir, https=True))) as c:
        yield c


@pytest.mark.parametrize("path", ["/", "/static/css/site.css", "/api/v1/specialists?zip=02139"])
def test_hsts_is_sent_on_every_answer_behind_https(https_client: TestClient, path: str) -> None:
    response = https_client.get(path)
    assert response.headers["strict-transport-security"] == STRICT_TRANSPORT_SECURITY
    assert STRICT_TRANSPORT_SECURITY == "max-age=31536000"


def test_hsts_is_sent_with_an_error_too(https_client: TestClient) -> None:
    response = https_client.get("/no-such-page")
    assert response.status_code == 404
    assert "strict-transport-security" in response.headers


def test_no_hsts_without_https(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/").headers


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/", "text/html"),
        ("/learn", "text/html"),
        ("/static/css/site.css", "text/css"),
        ("/api/v1/specialists?zip=02139", "application/json"),
        ("/openapi.json", "application/json"),
    ],
)
def test_pages_css_and_json_are_gzipped_when_the_client_accepts_it(
    client: TestClient, path: str, media_type: str
) -> None:
    response = client.get(path, headers=GZIP)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) < len(response.content)  # decoded is larger


def test_nothing_is_gzipped_for_a_client_that_does_not_accept_it(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers


def test_the_registry_pages_are_never_gzipped(client: TestClient) -> None:
    response = client.get("/registry/login", headers=GZIP)
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text or "password" in response.text
    assert "content-encoding" not in response.headers
