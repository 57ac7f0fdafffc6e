"""The specialist search in a real browser, over the demo directory built by the conftest."""

from __future__ import annotations

import re
from typing import Any

import pytest


def search(page: Any, zip_code: str, radius: int | None = None) -> None:
    """Fill the /find form as a visitor would and submit it."""
    page.goto("/find")
    page.locator('[name="zip"]').fill(zip_code)
    if radius is not None:
        page.locator('[name="radius"]').select_option(str(radius))
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/find?*")


def test_a_search_near_02139_lists_specialists_with_their_distance(
    page: Any, a11y_problems: Any
) -> None:
    search(page, "02139", 25)
    rows = page.locator("#results li, #results tr, [data-npi]")
    assert rows.count() > 0
    first = rows.first.inner_text()
    assert re.search(r"\d+(\.\d+)?\s*mi", first), f"no distance in the first result: {first}"
    assert a11y_problems(page) == []


@pytest.mark.parametrize("zip_code", ["00000", "99999"])
def test_an_unknown_zip_says_so_and_suggests_near_ones(page: Any, zip_code: str) -> None:
    search(page, zip_code)
    text = page.locator("main").inner_text()
    assert zip_code in text
    assert "did you mean" in text.lower()
    suggestions = page.locator("main a[href*='zip=']")
    assert suggestions.count() >= 1
    suggestions.first.click()
    page.wait_for_url("**/find?*")
    assert "did you mean" not in page.locator("main").inner_text().lower()


def test_a_malformed_zip_is_an_error_naming_the_field(page: Any) -> None:
    search(page, "abc")
    text = page.locator("main").inner_text()
    assert "Enter a US ZIP code of 5 digits" in text
    assert "Allowed:" not in text
    assert page.locator("[name='zip']").input_value() == "abc"


WIDTHS = [390, 1280]


def no_sideways_scroll(page: Any) -> bool:
    page.wait_for_load_state("load")  # stylesheet and drawing laid out, not a half-styled page
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# The rendered size of each text of the results map: its font size in the drawing's units
# times the drawing's scale on the page.
_MAP_LABEL_PX = """() => {
  const svg = document.querySelector('svg.results-map');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(
    (t) => parseFloat(getComputedStyle(t).fontSize) * scale);
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_results_come_first_then_the_map_and_the_search_folds_into_one_line(
    page: Any, width: int, a11y_problems: Any, axe: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    search(page, "02139-4307", 25)
    notice = page.locator("#demo-notice")
    assert notice.is_visible()
    assert "made up" in notice.inner_text()
    first = page.locator("#results li").first.bounding_box()
    assert notice.bounding_box()["y"] < first["y"]
    # The first result starts on the first screen (it was about 2,600 px down on a phone).
    assert first["y"] < 650, first
    line = page.locator("#search-fold summary")
    assert " ".join(line.inner_text().split()) == (
        "Specialists within 25 miles of 02139 (Cambridge, MA) · Change"
    )
    assert line.bounding_box()["height"] >= 44
    form = page.locator("form.search-form")
    assert form.is_hidden()
    drawing = page.locator("svg.results-map")
    assert drawing.is_visible()
    box = drawing.bounding_box()
    assert box["y"] > page.locator("#results li").last.bounding_box()["y"]
    assert box["width"] >= 250 and box["x"] + box["width"] <= width
    assert page.locator("svg.results-map .map-point").count() >= 1
    sizes = page.evaluate(_MAP_LABEL_PX)
    assert sizes and min(sizes) >= 12, sizes
    assert no_sideways_scroll(page)
    assert a11y_problems(page) == []
    assert axe(page) == []
    # "Change" opens the search as it was sent; a new one folds again.
    line.click()
    assert form.is_visible()
    assert page.locator("#zip").input_value() == "02139-4307"
    assert axe(page) == []
    page.locator("#radius").select_option("10")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**radius=10**")
    assert "within 10 miles" in page.locator("#search-fold summary").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_one_within_the_radius_names_the_nearest_and_widens_in_one_tap(
    page: Any, width: int, a11y_problems: Any, axe: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    search(page, "82001", 25)
    assert page.locator("#results-title").inner_text() == "No specialist within 25 miles"
    nearest = page.locator("#beyond li")
    assert 1 <= nearest.count() <= 3
    first_miles = float(nearest.first.locator(".distance strong").inner_text().split()[0])
    assert first_miles > 25
    wider = page.locator("#wider-search")
    box = wider.bounding_box()
    assert box["height"] >= 44 and box["y"] + box["height"] < 844
    assert a11y_problems(page) == [] and axe(page) == []
    wider.click()
    page.wait_for_url("**radius=100**")
    first = page.locator("#results li").first
    assert float(first.locator(".distance strong").inner_text().split()[0]) == first_miles
    assert no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_zip_without_its_leading_zero_searches_and_suggestions_keep_the_choices(
    page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/find?zip=2139&radius=50&specialty=neurosurgery")
    assert "02139 (Cambridge, MA)" in page.locator("#search-line").inner_text()
    page.goto("/find?zip=00000&radius=50&specialty=neurosurgery")
    link = page.locator("#suggestions a").first
    assert re.search(r"\d{5} \([^)]+, [A-Z]{2}\)", link.inner_text())
    link.click()
    page.wait_for_url("**/find?*")
    assert page.locator("#radius").input_value() == "50"
    assert page.locator("#specialty-neurosurgery").is_checked()
    assert not page.locator("#specialty-pain-medicine").is_checked()
    assert no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_sorting_by_volume_and_opening_a_provider_page(
    page: Any, width: int, a11y_problems: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/find")
    page.locator('[name="zip"]').fill("02139")
    page.locator('[name="radius"]').select_option("100")
    page.locator('[name="sort"]').select_option("volume")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/find?*")
    volumes = page.locator("#results .volume li").all_inner_texts()
    counts = [int(v.rsplit(": ", 1)[1]) for v in volumes if "kyphoplasty" in v]
    assert len(counts) > 3 and counts == sorted(counts, reverse=True)
    assert all(
        re.match(r"Medicare (kyphoplasty|vertebroplasty) services, 2023: \d+$", v) for v in volumes
    )
    page.locator("#results h3 a").first.click()
    page.wait_for_url("**/find/provider/*")
    assert page.locator("#demo-notice").is_visible()
    assert page.locator("#volume td").first.inner_text().startswith("2251")
    assert "fewer than 11" in page.locator("main").inner_text()
    assert no_sideways_scroll(page)
    assert a11y_problems(page) == []
    page.get_by_role("link", name="Back to the search").click()
    page.wait_for_url("**/find?*")
    assert page.locator("#sort").input_value() == "volume"


@pytest.mark.parametrize("width", WIDTHS)
def test_other_names_and_a_secondary_location_are_shown_plainly(
    page: Any, width: int, a11y_problems: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/find")
    page.locator('[name="zip"]').fill("02139")
    page.locator('[name="name"]').fill("kyphoplasty center")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/find?*")
    first = page.locator("#results li.provider").first
    also = first.locator(".other-names")
    assert also.is_visible()
    assert re.match(r"Also known as: .*Kyphoplasty Center", also.inner_text())
    assert no_sideways_scroll(page)
    assert a11y_problems(page) == []
    shots = tmp_path_factory.mktemp("find-shots")
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"find-dba-{width}.png"))

    # A search in which some providers are nearest at a secondary practice location.
    page.goto("/find?zip=02139&radius=25&specialty=neurosurgery")
    flagged = page.locator("#results li.provider:has(.secondary-location)").first
    assert flagged.is_visible()
    distance = flagged.locator(".distance").inner_text()
    miles = re.match(r"([\d.]+) mi away, at a secondary practice location$", distance)
    assert miles, distance
    label = flagged.locator(".secondary-location .place-kind").inner_text()
    assert label == "Secondary practice location:"
    assert flagged.locator(".secondary-location .address").inner_text() != label  # an address
    assert no_sideways_scroll(page)
    flagged.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"find-secondary-{width}.png"))

    flagged.locator("h3 a").click()
    page.wait_for_url("**/find/provider/*")
    kinds = page.locator("#locations .place-kind").all_inner_texts()
    assert kinds[0].startswith("Main practice location")
    assert any(
        k == f"Secondary practice location, {miles.group(1)} mi from 02139" for k in kinds[1:]
    )
    assert no_sideways_scroll(page)
    assert a11y_problems(page) == []
    page.locator("#locations").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"provider-locations-{width}.png"))
    print(f"screenshots in {shots}")
