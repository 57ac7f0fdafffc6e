"""Safety and privacy: security headers everywhere, no cookies, nothing loaded from another
site, no inline style or script, an access log without query strings or answers, the 64 KiB
body limit, and no CDN-backed docs pages."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical.screening import EMERGENCY_FLAGS, URGENT_FLAGS
from spinefx.learn.topics import TOPICS
from spinefx.web import Settings, create_app
from spinefx.web.security import ACCESS_LOGGER, CONTENT_SECURITY_POLICY
from spinefx.web.settings import MAX_BODY_BYTES

EXPECTED_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
PAGES = [
    "/",
    "/check",
    "/learn",
    *(f"/learn/{t.slug}" for t in TOPICS),
    "/learn/references",
    "/find",
    "/find?zip=02139&radius=25",
    "/find?zip=00000",
    "/clinician",
    "/clinician/grading",
    "/clinician/candidacy",
    "/clinician/followup",
    "/no-such-page",
]
RESULT_POSTS = [
    ("/check", {"age": "58", "onset": "sudden", "pain_nrs": "9", "red_flags.fever": "yes"}),
    ("/clinician/grading", {"L2.ha": "18", "L2.hm": "21", "L2.hp": "27", "L1.ha": "28"}),
    ("/clinician/grading", {"L2.ha": "18", "L2.hm": "21", "L2.hp": "27"}),
    ("/clinician/candidacy", {"levels": "L2", "pain_nrs": "8"}),
    ("/clinician/followup", {"sex": "male", "age": "70", "fracture_date": "2026-01-05"}),
]


class AssetParser(HTMLParser):
    """Collects every URL a page would load by itself, and any inline style or script."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "style" in a:
            self.inline.append(f"<{tag} style=...>")
        self.inline += [f"<{tag} {k}=...>" for k in a if k.startswith("on")]
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self.inline.append("<script>" if not a.get("src") else "")
            if a.get("src"):
                self.assets.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.assets.append(a["href"] or "")
        if tag in ("img", "iframe", "source", "audio", "video", "embed", "input") and a.get("src"):
            self.assets.append(a["src"] or "")
        if tag == "object" and a.get("data"):
            self.assets.append(a["data"] or "")
        if tag in ("img", "source") and a.get("srcset"):
            self.assets.append(a["srcset"] or "")
        if tag == "form" and a.get("action"):
            self.assets.append(a["action"] or "")


def parse(html: str) -> AssetParser:
    parser = AssetParser()
    parser.feed(html)
    return parser


def all_pages(client: TestClient) -> Iterator[tuple[str, object]]:
    for path in PAGES:
        yield path, client.get(path)
    for path, data in RESULT_POSTS:
        yield f"POST {path}", client.post(path, data=data)


def test_the_policy_is_exactly_the_one_asked_for() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


@pytest.mark.parametrize(
    "request_args",
    [
        ("GET", "/"),
        ("GET", "/check"),
        ("GET", "/no-such-page"),
        ("GET", "/static/css/site.css"),
        ("GET", "/openapi.json"),
        ("GET", "/api/v1/specialists?zip=02139"),
        ("GET", "/api/v1/specialists?zip=00000"),
        ("GET", "/api/v1/screening"),
        ("POST", "/api/v1/screening"),
        ("POST", "/check"),
    ],
)
def test_security_headers_are_on_every_response(
    client: TestClient, request_args: tuple[str, str]
) -> None:
    method, path = request_args
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.headers["content-security-policy"] == EXPECTED_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "set-cookie" not in response.headers


def test_result_pages_are_not_cached(client: TestClient) -> None:
    response = client.post("/check", data={"age": "58"})
    assert response.headers["cache-control"] == "no-store"


def test_no_page_sets_a_cookie(client: TestClient) -> None:
    for path, response in all_pages(client):
        assert "set-cookie" not in response.headers, path  # type: ignore[attr-defined]
    assert not client.cookies


def test_no_page_loads_anything_from_another_site(client: TestClient) -> None:
    for path, response in all_pages(client):
        assets = parse(response.text).assets  # type: ignore[attr-defined]
        assert assets, f"{path} loads nothing at all?"
        for url in assets:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, f"{path} loads {url}"
            assert url.startswith("/"), f"{path} loads the relative URL {url}"


def test_no_page_has_inline_style_or_script(client: TestClient) -> None:
    for path, response in all_pages(client):
        inline = [i for i in parse(response.text).inline if i]  # type: ignore[attr-defined]
        assert inline == [], f"{path}: {inline}"


def test_the_stylesheet_imports_nothing_from_outside(client: TestClient) -> None:
    css = client.get("/static/css/site.css").text
    assert "@import" not in css
    assert "url(" not in css
    assert "http" not in css.replace('a[href^="http"]', "")


def test_every_linked_static_asset_exists(client: TestClient) -> None:
    seen: set[str] = set()
    for _, response in all_pages(client):
        for url in parse(response.text).assets:  # type: ignore[attr-defined]
            if url.startswith("/static/") and url not in seen:
                seen.add(url)
                assert client.get(url).status_code == 200, url
    assert "/static/css/site.css" in seen


def test_the_access_log_has_the_path_but_never_the_query_or_answers(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    answers = {
        "age": "58",
        "onset": "sudden",
        "pain_nrs": "9",
        "pain_quality": "sharp",
        "zip": "02139",
        **{f"red_flags.{n}": "no" for n in (*EMERGENCY_FLAGS, *URGENT_FLAGS)},
    }
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get("/find?zip=02139&radius=25&specialty=neurosurgery")
        client.post("/check", data=answers)
        client.post("/api/v1/screening", json={"age": 58, "onset": "sudden"})
        client.get("/api/v1/specialists?zip=90210")
    lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 5
    assert lines[0].startswith("GET /find 200")
    assert lines[1].startswith("POST /check 303")
    assert lines[2].startswith("GET /check/result 200")  # the answers are in its query string
    assert lines[3].startswith("POST /api/v1/screening 200")
    assert lines[4].startswith("GET /api/v1/specialists 200")
    secrets = (
        "?",
        "zip=",
        "02139",
        "90210",
        "sudden",
        "sharp",
        "neurosurgery",
        "radius",
        "red",
        "age=",
    )
    for line in lines:
        assert not [s for s in secrets if s in line], line


def test_an_oversized_body_is_413_by_content_length(client: TestClient) -> None:
    body = b"x" * (MAX_BODY_BYTES + 1)
    response = client.post(
        "/check", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")  # a page: the error page
    assert response.headers["x-frame-options"] == "DENY"
    api = client.post(
        "/api/v1/screening", content=body, headers={"content-type": "application/json"}
    )
    assert api.status_code == 413
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.headers["x-frame-options"] == "DENY"


def test_an_oversized_streamed_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b"a" * 1024

    for path, content_type in [
        ("/api/v1/screening", "application/json"),
        ("/check", "application/x-www-form-urlencoded"),
    ]:
        response = client.post(path, content=chunks(), headers={"content-type": content_type})
        assert response.status_code == 413, path
        if path.startswith("/api/"):
            assert response.json()["status"] == 413
        else:
            assert "Too much data sent" in response.text


def test_a_form_just_under_the_limit_is_read(client: TestClient) -> None:
    pad = "a" * (MAX_BODY_BYTES - 100)
    response = client.post("/check", data={"age": "58", "pad": pad})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_no_cdn_docs_pages_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_openapi_document_is_served_locally(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "spinefx"


def test_an_unexpected_error_is_a_500_problem_that_still_has_the_headers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(data_dir=tmp_path))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "secret detail" not in response.text
    assert response.headers["content-security-policy"] == EXPECTED_CSP


def test_fastapis_own_telemetry_never_sees_a_request_even_when_configured(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if an operator had configured OpenTelemetry providers and asked FastAPI to use them:
    # its telemetry would record refused bodies (a self-check's answers) and error messages.
    import fastapi.telemetry._asgi as fastapi_telemetry

    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setattr(fastapi_telemetry, "_unconfigured", lambda provider: False)
    seen: list[str] = []

    async def recording(self: object, *, app: object, scope: dict, **_: object) -> None:
        seen.append(scope["path"])

    monkeypatch.setattr(fastapi_telemetry.NativeTelemetry, "__call__", recording)
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        answer = client.post("/api/v1/screening", json={"age": "not a number"})
    assert answer.status_code == 422
    assert seen == []
