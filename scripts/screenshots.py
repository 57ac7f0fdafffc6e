"""Full-page screenshots of the main pages at phone and desktop widths, for review and the docs.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--rows 2000] [--axe]

Starts the app on 127.0.0.1 over a small demo directory in a temporary folder (as the browser
tests do), drives Debian's Chromium (``$SPINEFX_CHROMIUM`` or ``/usr/bin/chromium``) through
Playwright, and writes ``<page>-<width>.png``. Any request that would leave 127.0.0.1 is
aborted and reported. ``--axe`` also runs axe-core (WCAG 2.2 A and AA, and AAA's enhanced
contrast on the status chips) on every page state it shoots, prints what it finds, and exits 1
if anything is found.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, sync_playwright

from spinefx.clinical.pathway import (
    REFERENCE_CANDIDACY,
    REFERENCE_FOLLOWUP,
    REFERENCE_HEIGHTS,
    REFERENCE_SCREENING,
)
from spinefx.directory.demo import load_demo
from spinefx.registry.db import Registry
from spinefx.registry.seed import REFERENCE_MRN, seed_demo
from spinefx.web.server import BackgroundServer
from spinefx.web.settings import Settings

HOST = "127.0.0.1"
WIDTHS = {390: 844, 1280: 900}  # phone, desktop: width -> viewport height
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def running_app(data_dir: Path) -> Iterator[str]:
    """Serve ``create_app`` on a free port of 127.0.0.1 in a thread; yield its base URL."""
    server = BackgroundServer(Settings(data_dir=data_dir))
    server.start(timeout=300)  # a fresh data folder builds its ZIP table first
    try:
        yield server.base_url
    finally:
        server.stop()


def answer(page: Page, name: str, value: Any) -> None:
    """Answer the form field ``name``: text, number, date, select, radio or checkbox."""
    fields = page.locator(f'[name="{name}"]')
    kind = fields.first.evaluate("e => e.tagName === 'INPUT' ? e.type : e.tagName.toLowerCase()")
    if kind == "select":
        fields.first.select_option(str(value))
    elif kind in ("radio", "checkbox"):
        page.locator(f'[name="{name}"][value="{value}"]').check()
    else:
        fields.first.fill(str(value))


def form_value(value: Any) -> Any:
    """A JSON answer as the form spells it: True -> yes, False -> no, None -> unknown."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "unknown"
    return value


def submit(page: Page, path: str, answers: dict[str, Any]) -> None:
    page.goto(path)
    for name, value in answers.items():
        if value == []:
            value = ["_none"]  # the "None of these" checkbox: known to be empty
        for one in value if isinstance(value, list) else [value]:
            answer(page, name, form_value(one))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    if page.locator("#result").count() != 1:
        raise RuntimeError(f"{path}: the answers were refused; no #result on the page")


def screening_answers(**changes: Any) -> dict[str, Any]:
    answers = {k: v for k, v in REFERENCE_SCREENING.items() if k != "red_flags"}
    flags: dict[str, Any] = dict(REFERENCE_SCREENING["red_flags"])  # type: ignore[call-overload]
    answers |= {f"red_flags.{k}": v for k, v in flags.items()}
    return answers | {"zip": "02139"} | changes


def grading_answers() -> dict[str, Any]:
    return {
        f"{v['level']}.{h}": v[h]
        for v in REFERENCE_HEIGHTS["vertebrae"]
        for h in ("ha", "hm", "hp")
    }


def candidacy_form(answers: dict[str, Any]) -> dict[str, Any]:
    """A candidacy input as the page asks it: the fracture's date (so many weeks before today),
    not its age in weeks."""
    form = dict(answers)
    weeks = form.pop("fracture_age_weeks", None)
    if weeks is not None:
        form["fracture_date"] = (date.today() - timedelta(weeks=weeks)).isoformat()
    return form


def ask_about_loss(page: Page) -> None:
    """The candidacy form sent with a height loss of 0.33: the page asks before assessing."""
    page.goto("/clinician/candidacy")
    for name, value in candidacy_form({**REFERENCE_CANDIDACY, "height_loss_pct": 0.33}).items():
        for one in ["_none"] if value == [] else value if isinstance(value, list) else [value]:
            answer(page, name, form_value(one))
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    if page.locator("#confirm-height-loss").count() != 1:
        raise RuntimeError("the candidacy page did not ask about a height loss of 0.33")


DEMO_LOGIN: dict[str, str] = {}  # the registry's demo logins, filled in by main()
OUTBOX: list[Path] = []  # the app's outbox folder (no mail server here), set by main()


def registry_login(page: Page, who: str = "") -> None:
    """Log in to the registry with the demo coordinator's login (``who="admin"``: the demo
    admin's), once per browser context and person."""
    email = DEMO_LOGIN[f"{who}email" if not who else f"{who}_email"]
    password = DEMO_LOGIN["password" if not who else f"{who}_password"]
    page.goto("/registry")
    if "/registry/login" not in page.url and email not in page.locator("header").inner_text():
        page.context.clear_cookies()
        page.goto("/registry")
    if "/registry/login" in page.url:
        page.fill("#email", email)
        page.fill("#password", password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()


def invite_someone(page: Page) -> str:
    """As the demo admin, invite a made-up address to the demo site; the address."""
    email = f"invited.{(page.viewport_size or {}).get('width', 0)}@example.org"
    registry_login(page, "admin")
    page.goto("/registry/users/new")
    page.fill("#email", email)
    page.select_option("#role", "coordinator")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    return email


def open_invitation(page: Page) -> None:
    """Invite someone, then open the e-mailed link as they would (not logged in)."""
    email = invite_someone(page)
    for path in sorted(OUTBOX[0].glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes())
        body = message.get_payload(decode=True)
        if message["To"] == email and isinstance(body, bytes):
            link = re.search(r"/registry/invitation\?token=[\w-]+", body.decode())
            if link:
                page.context.clear_cookies()
                page.goto(link.group(0))
                return
    raise SystemExit(f"no invitation e-mailed to {email} in {OUTBOX[0]}")


def registry_case(page: Page, mrn: str, suffix: str = "") -> None:
    """Open the case with ``mrn`` from its worklist link (the demo's first case, the reference
    patient, when it has nothing due and is not listed)."""
    registry_login(page)
    page.goto("/registry")
    row = page.locator(f"table.worklist tbody tr:has-text('{mrn}') th a")
    href = row.first.get_attribute("href") if row.count() else "/registry/cases/1"
    page.goto(f"{href}{suffix}")


PAGES: dict[str, Callable[[Page], object]] = {
    "home": lambda p: p.goto("/"),
    "check": lambda p: p.goto("/check"),
    "check-result": lambda p: submit(p, "/check", screening_answers()),
    "check-emergency": lambda p: submit(
        p, "/check", screening_answers(**{"red_flags.saddle_numbness": True})
    ),
    # an 80-year-old with osteoporosis and aching 9/10 pain: the checklist says no, the concern
    # says see a doctor
    "check-see-doctor": lambda p: submit(
        p,
        "/check",
        screening_answers(age=80, osteoporosis=True, pain_quality="aching"),
    ),
    # issue 20: a 45-year-old with 9/10 pain for 4 days who left steroids unanswered: never
    # "not-indicated" while a question that could change it is blank
    "check-incomplete": lambda p: submit(
        p,
        "/check",
        screening_answers(
            age=45, osteoporosis=False, pain_days=4, minor_trauma=False, steroids=None
        ),
    ),
    "learn": lambda p: p.goto("/learn"),
    "learn-kyphoplasty": lambda p: p.goto("/learn/kyphoplasty"),
    "learn-risks": lambda p: p.goto("/learn/risks"),
    "learn-references": lambda p: p.goto("/learn/references"),
    "learn-benefits": lambda p: p.goto("/learn/benefits"),
    "learn-symptoms": lambda p: p.goto("/learn/symptoms"),
    # Ten results keep the picture (and the docs folder) small; the page pages through the rest.
    "find-02139": lambda p: p.goto("/find?zip=02139&radius=25&limit=10"),
    "find-suggestions": lambda p: p.goto("/find?zip=02193&radius=25"),
    # no one within 25 miles of Cheyenne, WY: the nearest beyond, and one tap to search wider
    "find-nearest-beyond": lambda p: p.goto("/find?zip=82001&radius=25"),
    "find-provider": lambda p: (
        p.goto("/find?zip=02139&radius=25&sort=volume&limit=10"),
        p.locator("#results h3 a").first.click(),
        p.wait_for_url("**/find/provider/*"),
    ),
    "grading-result": lambda p: submit(p, "/clinician/grading", grading_answers()),
    # two adjacent crushed levels: each graded against the intact T12 and L3
    "grading-two-crushed": lambda p: submit(
        p,
        "/clinician/grading",
        {
            f"{level}.{h}": mm
            for level, mm in (("T12", 28), ("L1", 18), ("L2", 18), ("L3", 28))
            for h in ("ha", "hm", "hp")
        },
    ),
    # issue 20: a run of crushed levels (T11-L3 at 17 mm) between an intact T10 and L4
    "grading-crush-run": lambda p: submit(
        p,
        "/clinician/grading",
        {
            f"{level}.{h}": mm
            for level, mm in (
                ("T10", 25),
                *((lv, 17) for lv in ("T11", "T12", "L1", "L2", "L3")),
                ("L4", 28),
            )
            for h in ("ha", "hm", "hp")
        },
    ),
    # a level measured alone: no intact vertebra to judge its crush, so not graded (never 0)
    "grading-not-graded": lambda p: submit(
        p, "/clinician/grading", {"L2.ha": 26, "L2.hm": 26, "L2.hp": 27}
    ),
    # the reference heights, and T12's height loss entered from a report (no heights at hand)
    "grading-entered": lambda p: submit(
        p, "/clinician/grading", {**grading_answers(), "T12.loss": 30}
    ),
    "candidacy-result": lambda p: submit(
        p, "/clinician/candidacy", candidacy_form({**REFERENCE_CANDIDACY, "height_loss_pct": 33.3})
    ),
    # a height loss of 0.33 %: "did you mean 33 %?" before anything is assessed
    "candidacy-confirm-loss": lambda p: ask_about_loss(p),
    "followup-result": lambda p: submit(p, "/clinician/followup", REFERENCE_FOLLOWUP),
    "followup-print": lambda p: (
        submit(p, "/clinician/followup", REFERENCE_FOLLOWUP),
        p.emulate_media(media="print"),
    ),
    "registry-login": lambda p: p.goto("/registry/login"),
    "registry-worklist": registry_login,
    "registry-review": lambda p: (
        registry_login(p),
        p.goto("/registry?found_by=case-finding&status=to-review"),
        p.locator("table.worklist tbody tr th a").first.click(),
        p.wait_for_url("**/registry/cases/*"),
    ),
    "registry-case": lambda p: registry_case(p, REFERENCE_MRN),
    "registry-print": lambda p: (
        registry_case(p, REFERENCE_MRN, "/print"),
        p.emulate_media(media="print"),
    ),
    "registry-kpi": lambda p: (registry_login(p), p.goto("/registry/kpi")),
    "registry-worklist-search": lambda p: (
        registry_login(p),
        p.goto("/registry?q=demo-00&sort=name"),
    ),
    # the reference patient's next event preset on the form, then saved
    "registry-event-form": lambda p: registry_case(p, REFERENCE_MRN, "/events/new"),
    "registry-letter-pcp": lambda p: registry_case(p, REFERENCE_MRN, "/letters/new/pcp"),
    "registry-calendar": lambda p: (registry_login(p), p.goto("/registry/calendar")),
    "registry-letter-templates": lambda p: (
        registry_login(p, "admin"),
        p.goto("/registry/letter-templates"),
    ),
    "registry-audit": lambda p: (registry_login(p, "admin"), p.goto("/registry/audit")),
    # an admin's users, with the invitation just sent; then its link, opened by the invitee
    "registry-users-invited": invite_someone,
    "registry-invitation": open_invitation,
}


AXE_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The result chips that must reach 7:1 (AAA's enhanced contrast), not only AA's 4.5:1.
CHIPS = '.status, .trigger, .fact, .badge, .overdue-badge, [class*="case-status-"], .overdue'


def axe_findings(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page, and its enhanced-contrast (7:1) ones on
    the status chips; axe-core comes from the axe-playwright-python wheel (a dev dependency)."""
    import axe_playwright_python

    if not page.evaluate("typeof window.axe !== 'undefined'"):
        script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
        page.evaluate(script.read_text(encoding="utf-8"))
    found: list[str] = page.evaluate(
        """async ([tags, chips]) => {
          const lines = (r) => r.violations.flatMap((v) => v.nodes.map(
            (n) => `${v.id}: ${n.target.join(' ')}`));
          const aa = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
          const out = lines(aa);
          if (document.querySelector(chips)) {
            const aaa = await axe.run({include: [[chips]]},
              {runOnly: {type: 'rule', values: ['color-contrast-enhanced']}});
            out.push(...lines(aaa));
          }
          return out;
        }""",
        [AXE_AA_TAGS, CHIPS],
    )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--rows", type=int, default=2000, help="demo directory rows")
    parser.add_argument("--only", nargs="*", help="page names to take (default: all)")
    parser.add_argument("--axe", action="store_true", help="run axe-core on every page too")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("SPINEFX_CHROMIUM") or "/usr/bin/chromium"
    left_host: list[str] = []
    violations: dict[str, list[str]] = {}

    def route(r: Any) -> None:
        parts = urlsplit(r.request.url)
        if parts.hostname == HOST or parts.scheme in {"data", "blob", "about"}:
            r.continue_()
        else:
            left_host.append(r.request.url)
            r.abort("blockedbyclient")

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        settings = Settings(data_dir=data_dir)
        load_demo(settings.directory_db, rows=args.rows)
        registry = Registry.open(settings.registry_url)
        registry.init()
        login = seed_demo(registry)
        registry.dispose()
        OUTBOX.append(data_dir / "outbox")
        DEMO_LOGIN.update(
            email=login.email,
            password=login.password,
            admin_email=login.admin_email,
            admin_password=login.admin_password,
        )
        with running_app(data_dir) as base_url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for width, height in WIDTHS.items():
                context = browser.new_context(
                    base_url=base_url, viewport={"width": width, "height": height}
                )
                context.route("**/*", route)
                page = context.new_page()
                for name, go in PAGES.items():
                    if args.only and name not in args.only:
                        continue
                    page.emulate_media(media="screen")
                    go(page)
                    path = args.out / f"{name}-{width}.png"
                    page.screenshot(path=str(path), full_page=True)
                    found = axe_findings(page) if args.axe else []
                    if found:
                        violations[f"{name}-{width}"] = found
                    shown = f"  axe: {len(found)}" if args.axe else ""
                    print(f"{path}  ({page.url.removeprefix(base_url)}){shown}")
                context.close()
            browser.close()
    for shot, found in violations.items():
        print(f"axe-core on {shot}:", *found, sep="\n  ")
    if left_host:
        print(f"requests that would have left {HOST} (aborted): {sorted(set(left_host))}")
    return 1 if left_host or violations else 0


if __name__ == "__main__":
    sys.exit(main())
