"""Every page loads cleanly in a real browser: no request leaves 127.0.0.1 (the ``page`` fixture
fails the test if one is tried), no console error, no CSP violation; it passes the self-written
accessibility checks in ``a11y.js`` (labels, heading order, alt text, contrast) and axe-core's
WCAG 2.2 AA rules at both widths, and it fits a 390 px phone screen without sideways scrolling.
"""

from __future__ import annotations

from typing import Any

import pytest

from spinefx.learn.topics import TOPICS

PAGES = [
    "/",
    "/check",
    "/learn",
    *(f"/learn/{t.slug}" for t in TOPICS),
    "/learn/references",
    "/find",
    "/find?zip=02139&radius=25",
    "/clinician",
    "/clinician/grading",
    "/clinician/candidacy",
    "/clinician/followup",
    # as the CDS Hooks card opens it, and the page its source links to
    "/clinician/followup?vertebral_fractures=1&on_osteoporosis_treatment=false&sex=female"
    "&age=58&fracture_date=2026-11-02",
    "/cds-services/vertebral-fracture-care/rule",
]


# The innermost elements that stick out past the right edge (tables may scroll on their own).
_STICKING_OUT = """(width) => {
  const out = (e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > width + 1;
  return [...document.body.querySelectorAll('*')]
    .filter((e) => out(e) && ![...e.children].some(out))
    .slice(0, 3).map((e) => e.outerHTML.slice(0, 120));
}"""


@pytest.mark.parametrize("path", PAGES)
def test_page_is_clean_accessible_and_fits_a_phone(
    page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any, axe: Any, path: str
) -> None:
    """One load per page, every check on it; all problems are reported together."""
    response = page.goto(path, wait_until="load")
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"
    problems: dict[str, Any] = {
        "console errors": traffic.console_errors,
        "uncaught errors": traffic.page_errors,
        "CSP violations": csp_violations(page),
        "requests leaving 127.0.0.1": traffic.external(),
        "accessibility": a11y_problems(page),
        "axe-core at 1280 px": axe(page),
    }
    page.set_viewport_size({"width": 390, "height": 844})
    if page.evaluate("document.documentElement.scrollWidth") > 390:
        problems["wider than a 390 px phone"] = page.evaluate(_STICKING_OUT, 390)
    problems["axe-core at 390 px"] = axe(page)
    assert {k: v for k, v in problems.items() if v} == {}


def test_unknown_page_is_a_404_page_with_a_way_home(page: Any) -> None:
    response = page.goto("/no-such-page")
    assert response is not None
    assert response.status == 404
    assert page.locator("a[href='/']").count() >= 1


BAD_PAGE = """<html lang="en"><body>
<h2>Before the title</h2><h1>Title</h1><h4>Too deep</h4>
<input id="unlabelled" type="text"><label>Wrapped <input type="checkbox"></label>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p style="color:#999">light grey on white</p>
<p style="color:#767676">darkest grey that passes</p>
</body></html>"""


def test_the_accessibility_checker_finds_each_kind_of_problem(
    browser: Any, a11y_problems: Any
) -> None:
    page = browser.new_page()
    try:
        page.set_content(BAD_PAGE)
        problems = a11y_problems(page)
    finally:
        page.close()
    assert len(problems) == 5, problems
    assert problems[0] == "no label: input#unlabelled"
    assert "heading skips from h0 to h2" in problems[1]
    assert "heading skips from h1 to h4" in problems[2]
    assert problems[3].startswith("no alt: img")
    assert problems[4].startswith("contrast 2.85:1 < 4.5:1")


def test_axe_core_runs_and_finds_problems(browser: Any, axe: Any) -> None:
    """axe-core is really evaluated (a page with problems is not reported clean)."""
    page = browser.new_page()
    try:
        page.set_content(BAD_PAGE)
        found = axe(page)
        contrast = axe(page, rules=["color-contrast-enhanced"])
    finally:
        page.close()
    rules = {line.split(":", 1)[0] for line in found}
    assert {"image-alt", "label", "color-contrast"} <= rules, found
    # #767676 passes AA (4.54:1) but not AAA's 7:1 (#999, failing AA, is told under AA only).
    assert len(contrast) == 1 and "#767676" in contrast[0], contrast


def test_the_page_guard_aborts_and_records_a_request_leaving_the_host(
    guarded_page_factory: Any, traffic: Any
) -> None:
    page = guarded_page_factory(traffic)
    page.goto("about:blank")
    page.set_content('<img alt="" src="http://192.0.2.1/tracker.png">', wait_until="load")
    assert traffic.blocked == ["http://192.0.2.1/tracker.png"]
    assert traffic.external() == ["http://192.0.2.1/tracker.png"]
    assert traffic.console_errors, "the aborted request should show as a console error"


def test_the_csp_listener_reports_a_blocked_inline_script(
    page: Any, csp_violations: Any, traffic: Any
) -> None:
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.head.append(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in csp_violations(page)), csp_violations(page)
    assert any("Content Security Policy" in e for e in traffic.console_errors)
