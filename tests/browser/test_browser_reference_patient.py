"""The reference patient's own path through the site, on a phone (390 px) and a desktop (1280 px).

She answers the self-check at home on day 1, before the emergency room on day 2
(spinefx.clinical.pathway.REFERENCE_SCREENING), with her ZIP code; the result opens with what to
do (see a doctor today); its link finds specialists near her; she opens one.
Then the fracture liaison coordinator logs in to the registry, finds her on the worklist and
opens her case: the L2 fracture, the saved tool results, the kyphoplasty, her scores, the events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.helpers.browser import submit_login

from spinefx.clinical.pathway import REFERENCE_SCREENING, reference_patient_pathway
from spinefx.directory.taxonomy import BKP_SPECIALTIES, SPECIALTIES

HER_ZIP = "02139"
COORDINATOR = "fls-e2e@example.org"
PASSWORD = "reference patient browser test"
WIDTHS = {390: 844, 1280: 900}  # width: height of the first screen


def her_answers() -> dict[str, str | float]:
    """Her self-check answers as the form's fields (None is the form's "I don't know")."""
    answers: dict[str, str | float] = {}
    for name, value in REFERENCE_SCREENING.items():
        if isinstance(value, dict):
            answers.update({f"{name}.{flag}": "yes" if on else "no" for flag, on in value.items()})
        elif value is None:
            answers[name] = "unknown"
        elif isinstance(value, bool):
            answers[name] = "yes" if value else "no"
        else:
            answers[name] = value  # type: ignore[assignment]
    return {**answers, "zip": HER_ZIP}


def top(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return float(box["y"])


def fits_the_width(page: Any) -> bool:
    page.wait_for_load_state("load")  # stylesheet and drawing laid out, not a half-styled page
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_her_path_from_the_self_check_to_a_specialist(
    page: Any, fill: Any, a11y_problems: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    page.goto("/check")
    fill(page, her_answers())
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    result = page.locator("#result")
    result.wait_for()
    assert result.get_attribute("data-outcome") == "see-doctor"
    assert page.locator("#outcome-title").inner_text() == "See a doctor today."

    # The result opens with what to do: the action and its steps on the first screen, the
    # reasons after them.
    assert page.evaluate("window.scrollY") == 0
    assert top(page, "#outcome-title") < WIDTHS[width]
    assert top(page, "#next-steps") < WIDTHS[width]
    assert page.locator("#next-steps li").count() > 0
    why = page.get_by_role("heading", name="Why", exact=False)
    assert top(page, "#next-steps") < float(why.first.bounding_box()["y"])
    assert fits_the_width(page) and a11y_problems(page) == []

    page.locator(f"#result a[href*='/find'][href*='zip={HER_ZIP}']").first.click()
    page.wait_for_url("**/find?*")
    providers = page.locator("li.provider[data-npi]")
    assert providers.count() > 0
    kyphoplasty_fields = [SPECIALTIES[s] for s in BKP_SPECIALTIES]
    for text in providers.all_inner_texts():
        assert any(field in text for field in kyphoplasty_fields), text
    assert fits_the_width(page) and a11y_problems(page) == []

    first = providers.first
    npi = first.get_attribute("data-npi")
    name = first.locator("h3 a").inner_text()
    first.locator("h3 a").click()
    page.wait_for_url(f"**/find/provider/{npi}*")
    assert page.locator("h1").inner_text().strip() == name.strip()
    assert npi in page.locator("main").inner_text()
    assert fits_the_width(page) and a11y_problems(page) == []


@pytest.fixture(scope="module")
def her_case(data_dir: Path) -> int:
    """Her whole record (fictional) in the registry the session's app reads, with the tools'
    results saved to it, and a coordinator of the demo site."""
    from spinefx.registry import cases
    from spinefx.registry.db import Registry
    from spinefx.registry.permissions import Actor
    from spinefx.registry.schema import CaseIn, parse
    from spinefx.registry.seed import DEMO_SITE, REFERENCE_MRN, reference_case
    from spinefx.registry.users import add_user, ensure_site

    cli = Actor.command_line("browser-test")
    registry = Registry.open(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    registry.init()
    path = reference_patient_pathway()
    try:
        with registry.transaction() as session:
            ensure_site(session, DEMO_SITE, name="Demo Hospital (fictional)", fictional=True)
            add_user(
                session, cli, COORDINATOR, role="coordinator", sites=[DEMO_SITE], password=PASSWORD
            )
            page = cases.list_cases(
                session, cli, cases.CaseQuery(site=DEMO_SITE, mrn=REFERENCE_MRN)
            )
            assert page.total == 0, "another test already registered her"
            case = cases.create_case(session, cli, parse(CaseIn, reference_case()))
            for kind in ("screening", "grading", "candidacy", "followup"):
                result = getattr(path, kind).model_dump(mode="json")
                cases.save_assessment(
                    session, cli, case.id, case.version, kind=kind, input={}, result=result
                )
            return case.id
    finally:
        registry.dispose()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_coordinator_opens_her_case_from_the_worklist(
    page: Any, a11y_problems: Any, her_case: int, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    page.goto("/registry")
    submit_login(page, COORDINATOR, PASSWORD)
    mine = page.locator("table.worklist tbody tr", has_text="Rose Example")
    assert mine.count() == 1
    assert "Follow-up monitoring contact" in mine.inner_text()  # her one event not yet recorded
    assert fits_the_width(page) and a11y_problems(page) == []

    mine.locator("th a").click()
    page.wait_for_url(f"**/registry/cases/{her_case}")
    facts = page.locator(".case-facts").inner_text()
    for shown in (
        "DEMO-0001",
        "Active",
        "November 2, 2026",
        "Follow-up monitoring contact",
        "February 22, 2027",
    ):
        assert shown in facts, shown
    timeline = page.locator("#timeline").inner_text()
    for shown in (
        "L2",
        "Genant grade 2",
        "Kyphoplasty L2",
        "Bipedicular",
        "4.8 ml",
        "Meets the coverage criteria",
        "Zoledronic acid",
        "3 months",
    ):
        assert shown.lower() in timeline.lower(), shown
    for score in ("8", "3", "2"):  # her pain at baseline, 2 weeks and 3 months
        assert page.locator(f"#chart-nrs [data-y='{score}']").count() >= 1
    assert fits_the_width(page) and a11y_problems(page) == []
