"""Browser tests: the real app on 127.0.0.1, driven by Debian's Chromium through Playwright.

One app server and one browser serve the whole session; every test gets a fresh context and
page. The page fixture aborts any request that would leave 127.0.0.1 and fails the test if one
was attempted, so a page that pulls a font, script or image from the internet cannot pass.

Chromium is found at ``$SPINEFX_CHROMIUM`` or ``/usr/bin/chromium``. Without it these tests skip,
unless ``SPINEFX_REQUIRE_BROWSER=1`` (CI sets it), where a missing browser is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

HOST = "127.0.0.1"
DEMO_ROWS = 2000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
A11Y_JS = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")
# The WCAG 2.2 A and AA rules of axe-core (its tags); the AAA enhanced contrast is asked for by
# name where a page must meet it.
AXE_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_script() -> str:
    """axe-core's own script, as the axe-playwright-python wheel ships it (a dev dependency):
    read from disk and evaluated in the page, never fetched."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Any, *, rules: list[str] | None = None) -> list[str]:
    """axe-core's violations on the page as it is now: WCAG 2.2 A and AA, or only ``rules``;
    one line per failing element, naming the rule and the element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    run_only = (
        {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_AA_TAGS}
    )
    found = page.evaluate(
        "(runOnly) => axe.run(document, {runOnly, resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => v.nodes.map(n => v.id + ': ' + n.target.join(' ')"
        " + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 200))).flat())",
        run_only,
    )
    return list(found)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``, so ``-m 'not browser'`` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str:
    """The Chromium to launch; skip (or fail, when CI requires the browser) if it is missing."""
    path = os.environ.get("SPINEFX_CHROMIUM") or "/usr/bin/chromium"
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    message = f"Chromium not found at {path} (set SPINEFX_CHROMIUM to its path)"
    if os.environ.get("SPINEFX_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message}; SPINEFX_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(message)


def is_local(url: str) -> bool:
    """True for a URL that stays on this machine: 127.0.0.1, or data:/blob:/about: with no host."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname == HOST


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding a small demo specialist directory."""
    from spinefx.directory.demo import load_demo

    path = tmp_path_factory.mktemp("spinefx-data")
    load_demo(path / "directory.duckdb", rows=DEMO_ROWS)
    return path


@pytest.fixture(scope="session")
def base_url(data_dir: Path) -> Iterator[str]:
    """The base URL of the running app, e.g. ``http://127.0.0.1:54321``."""
    from spinefx.web.server import BackgroundServer
    from spinefx.web.settings import Settings

    # The CDS Hooks service on (its JWT check off: no EHR calls here), for its rule's page.
    settings = Settings(data_dir=data_dir, cds_hooks=True, cds_hooks_insecure_no_jwt=True)
    with BackgroundServer(settings) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium, one per session."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Traffic:
    """What a page did: every request URL, console errors, uncaught errors, CSP violations."""

    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def external(self) -> list[str]:
        return [url for url in self.requests if not is_local(url)]


# Collects CSP violations the page reports, before any of its own scripts run.
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
});
"""


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


def open_guarded_page(browser: Any, base_url: str, traffic: Traffic) -> Any:
    """A page in a fresh context that records into ``traffic`` and aborts non-local requests."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)

    def route(r: Any) -> None:
        if is_local(r.request.url):
            r.continue_()
        else:
            traffic.blocked.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    page.on("request", lambda req: traffic.requests.append(req.url))
    page.on(
        "console",
        lambda msg: traffic.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: traffic.page_errors.append(str(exc)))
    return page


@pytest.fixture
def page(browser: Any, base_url: str, traffic: Traffic) -> Iterator[Any]:
    """A fresh page (relative URLs resolve against the app); nothing may leave 127.0.0.1."""
    page = open_guarded_page(browser, base_url, traffic)
    try:
        yield page
    finally:
        page.context.close()
    leaving = sorted(set(traffic.external() + traffic.blocked))
    if leaving:
        pytest.fail(f"requests left {HOST} (blocked): {leaving}", pytrace=False)


@pytest.fixture
def guarded_page_factory(browser: Any, base_url: str) -> Iterator[Any]:
    """To test the guard itself: ``factory(traffic)`` opens a guarded page, unchecked at the end."""
    pages: list[Any] = []

    def factory(traffic: Traffic) -> Any:
        pages.append(open_guarded_page(browser, base_url, traffic))
        return pages[-1]

    yield factory
    for page in pages:
        page.context.close()


@pytest.fixture
def csp_violations() -> Any:
    """A function: the CSP violations a page reported since it loaded."""

    def violations(page: Any) -> list[str]:
        return list(page.evaluate("window.__cspViolations || []"))

    return violations


@pytest.fixture
def axe() -> Any:
    """A function: ``axe(page)`` lists axe-core's WCAG 2.2 AA violations on the page (none is
    the goal); ``axe(page, rules=[...])`` runs only the named rules."""
    return axe_violations


@pytest.fixture
def a11y_problems() -> Any:
    """A function: the problems the self-written checks in a11y.js find on a page."""

    def problems(page: Any) -> list[str]:
        return list(page.evaluate(A11Y_JS))

    return problems


def fill_field(page: Any, name: str, value: str | float) -> None:
    """Answer the form field named ``name`` (text, number, select, radio or checkbox)."""
    fields = page.locator(f'[name="{name}"]')
    first = fields.first
    kind = first.evaluate("e => e.tagName === 'INPUT' ? e.type : e.tagName.toLowerCase()")
    if kind == "select":
        first.select_option(str(value))
    elif kind in ("radio", "checkbox"):
        page.locator(f'[name="{name}"][value="{value}"]').check()
    else:
        first.fill(str(value))


@pytest.fixture
def fill() -> Any:
    """A function: ``fill(page, {name: value, ...})`` answers each named form field."""

    def fill_all(page: Any, answers: dict[str, str | float]) -> None:
        for name, value in answers.items():
            fill_field(page, name, value)

    return fill_all
