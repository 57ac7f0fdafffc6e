"""The finder as a visitor meets it: the demo said plainly, forgiving ZIP input, towns, a map,
two orders, volumes with unit and year, and a page per provider."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from spinefx.directory.nppes import ingest
from spinefx.web import Settings, create_app


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def results_part(html: str) -> str:
    start = html.index('aria-labelledby="results-title"')
    return html[start:]


def test_the_demo_directory_is_named_above_the_results(client: TestClient) -> None:
    html = client.get("/find?zip=02139").text
    section = results_part(html)
    assert section.index('id="demo-notice"') < section.index('id="results"')
    assert "made up" in text_of(section[: section.index('id="results"')])


def test_a_real_directory_carries_no_demo_notice(tmp_path: Path) -> None:
    from tests.directory.conftest import provider, write_nppes

    data = tmp_path / "data"
    data.mkdir()
    ingest(
        write_nppes(tmp_path / "n.csv", [provider("1000000001")]), db_path=data / "directory.duckdb"
    )
    with TestClient(create_app(Settings(data_dir=data))) as real:
        html = real.get("/find?zip=02139&specialty=neurosurgery").text
    assert 'id="results"' in html
    assert "demo-notice" not in html


@pytest.mark.parametrize("typed", ["02139-4307", "021394307", "2139"])
def test_zip_plus_4_and_a_lost_leading_zero_find_the_same_specialists(
    client: TestClient, typed: str
) -> None:
    plain = client.get("/find?zip=02139").text
    other = client.get(f"/find?zip={typed}")
    assert other.status_code == 200
    npis = re.findall(r'data-npi="(\d+)"', plain)
    assert npis and re.findall(r'data-npi="(\d+)"', other.text) == npis
    assert "of 02139 (Cambridge, MA)" in text_of(other.text)


def test_the_searched_zip_is_named_with_its_town(client: TestClient) -> None:
    html = client.get("/find?zip=10001").text
    line = re.search(r'<span id="search-line">(.*?)</span>', html)
    assert line and line.group(1) == "Specialists within 25 miles of 10001 (New York, NY)"
    heading = re.search(r'<h2 id="results-title">(.*?)</h2>', html)
    assert heading and re.fullmatch(r"\d+ found, nearest first", heading.group(1))


def test_a_mistyped_zip_suggests_zips_with_towns_keeping_specialties_and_radius(
    client: TestClient,
) -> None:
    response = client.get(
        "/find?zip=00000&radius=50&specialty=neurosurgery&specialty=pain-medicine"
    )
    assert response.status_code == 422
    box = response.text[response.text.index('id="suggestions"') :]
    box = box[: box.index("</div>")]
    links = re.findall(r'<a href="([^"]+)">(\d{5}) \(([^)]+)\)</a>', box)
    assert links, box
    for href, code, town in links:
        query = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        assert query["zip"] == [code]
        assert query["radius"] == ["50"]
        assert query["specialty"] == ["neurosurgery", "pain-medicine"]
        assert re.fullmatch(r"[A-Za-z .'-]+, [A-Z]{2}", town)


def test_a_malformed_zip_is_told_in_plain_words(client: TestClient) -> None:
    response = client.get("/find?zip=abc")
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Enter a US ZIP code of 5 digits, such as 02139" in text
    assert "Allowed:" not in text


def test_addresses_are_in_normal_capitalisation(client: TestClient) -> None:
    addresses = re.findall(r'<p class="address">([^<]+)</p>', client.get("/find?zip=02139").text)
    assert addresses
    for address in addresses:
        street_and_town = address.rsplit(",", 1)[0]
        assert street_and_town != street_and_town.upper(), address
    assert any(", Cambridge, MA 02" in a for a in addresses)


def test_volumes_say_their_unit_and_year(client: TestClient) -> None:
    html = client.get("/find?zip=02139&radius=100&performs_bkp=true").text
    assert re.search(r"Medicare kyphoplasty services, 2023: \d+", html)
    assert "fewer than 11 beneficiaries" in html


def test_sorting_by_volume_orders_the_page_by_kyphoplasty_services(client: TestClient) -> None:
    html = client.get("/find?zip=02139&radius=100&sort=volume").text
    counts = [int(n) for n in re.findall(r"Medicare kyphoplasty services, 2023: (\d+)", html)]
    assert len(counts) > 3 and counts == sorted(counts, reverse=True)
    assert "most kyphoplasty procedures first" in text_of(html)
    back = re.search(r'<a href="([^"]+)">Show nearest first</a>', html)
    assert back and "sort=distance" in back.group(1)
    nearest = client.get(back.group(1).replace("&amp;", "&")).text
    distances = [float(d) for d in re.findall(r"<strong>([\d.]+) mi</strong>", nearest)]
    assert distances == sorted(distances)


def test_an_unknown_sort_is_a_form_error_not_a_500(client: TestClient) -> None:
    response = client.get("/find?zip=02139&sort=name")
    assert response.status_code == 422
    summary = response.text[response.text.index('class="error-summary"') :]
    assert '<a href="#sort">Order</a>' in summary[: summary.index("</div>")]


def test_the_results_map_is_inline_svg_with_a_dot_per_place(client: TestClient) -> None:
    html = client.get("/find?zip=02139&radius=25&limit=10").text
    svg = re.search(r"<svg[^>]*class=\"results-map\".*?</svg>", html, re.S)
    assert svg, "no results map"
    drawing = svg.group(0)
    assert "<image" not in drawing and "href=" not in drawing and "style=" not in drawing
    numbers = [
        int(n) for g in re.findall(r'data-numbers="([^"]+)"', drawing) for n in g.split(", ")
    ]
    assert sorted(numbers) == list(range(1, 11))
    assert "all within 2 miles of 02139, Cambridge, MA" in drawing  # the ten nearest


def test_each_result_links_to_its_provider_page(client: TestClient) -> None:
    html = client.get("/find?zip=02139&radius=100&performs_bkp=true&limit=5").text
    href = re.search(r'<h3><a href="(/find/provider/(\d{10})\?[^"]+)"', html)
    assert href
    page = client.get(href.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"NPI {href.group(2)}" in text
    back = re.search(r'<a href="([^"]+)">Back to the search</a>', page.text)
    assert back and unquote(back.group(1)).startswith("/find?zip=02139")


def test_the_provider_page_shows_locations_specialties_phone_and_codes(
    client: TestClient,
) -> None:
    html = client.get("/find?zip=02139&radius=100&performs_bkp=true&limit=50").text
    npis = re.findall(r'data-npi="(\d+)"', html)
    pages = [client.get(f"/find/provider/{n}").text for n in npis]
    with_more = [p for p in pages if p.count('<p class="address">') > 1]
    assert with_more, "no provider with a second practice location in the demo"
    page = pages[0]
    text = text_of(page)
    assert "Specialties" in text and "taxonomy" in text
    assert 'href="tel:' in page
    assert re.search(r"<td[^>]*>2251[345]</td>", page)
    assert "Medicare procedures, 2023" in text
    assert "fewer than 11 beneficiaries" in text
    assert 'id="demo-notice"' in page


@pytest.mark.parametrize("npi", ["123", "1234567890", "abcdefghij"])
def test_an_unknown_provider_is_a_404_page(client: TestClient, npi: str) -> None:
    response = client.get(f"/find/provider/{npi}")
    assert response.status_code == 404
    assert "Provider not found" in response.text


def test_the_provider_page_never_links_back_off_the_site(client: TestClient) -> None:
    html = client.get("/find?zip=02139&limit=1").text
    npi = re.findall(r'data-npi="(\d+)"', html)[0]
    page = client.get(f"/find/provider/{npi}?back=https://example.com/").text
    assert re.search(r'<a href="/find">Back to the search</a>', page)


def test_without_a_directory_the_provider_page_says_so(empty_client: TestClient) -> None:
    response = empty_client.get("/find/provider/1000000001")
    assert response.status_code == 503


def result_items(html: str) -> dict[str, str]:
    """Each result's list item (its HTML) by NPI."""
    return dict(re.findall(r'<li class="provider" data-npi="(\d+)">(.*?)</li>\n', html, re.S))


def test_organisations_show_their_other_names_and_are_found_by_them(client: TestClient) -> None:
    html = client.get("/find?zip=02139&radius=25&name=kyphoplasty+center").text
    items = result_items(html)
    assert items
    for item in items.values():
        also = re.search(r'<p class="other-names">Also known as: ([^<]+)</p>', item)
        assert also and "Kyphoplasty Center" in also.group(1)
        heading = re.search(r"<h3>.*?</h3>", item, re.S)
        assert heading and "Kyphoplasty Center" not in heading.group(0)  # the legal name
    line = re.search(r'<span id="search-line">(.*?)</span>', html)
    assert line and line.group(1).endswith(", named &ldquo;kyphoplasty center&rdquo;")
    # The name typed stays in the form.
    assert re.search(
        r'<input type="text" name="name" id="name"[^>]*value="kyphoplasty center"', html
    )
    npi = next(iter(items))
    page = client.get(f"/find/provider/{npi}").text
    assert re.search(
        r'<p class="other-names" id="other-names">Also known as: [^<]*Kyphoplasty', page
    )


def test_a_result_at_a_secondary_location_says_so_with_the_distance_to_it(
    client: TestClient,
) -> None:
    query = {"zip": "02139", "radius": "25", "limit": "200"}
    hits = client.get("/api/v1/specialists", params=query).json()["results"]
    secondary = [h for h in hits if h["secondary_location"]]
    main = [h for h in hits if not h["secondary_location"]]
    assert secondary and main
    items = result_items(client.get("/find", params=query).text)
    for hit in secondary:
        item = text_of(items[hit["npi"]])
        miles = f"{hit['distance_miles']:.1f}"
        assert f"{miles} mi away, at a secondary practice location" in item
        assert "Secondary practice location: " in item
        assert "the main one is on their page" in item
    for hit in main:
        assert "secondary practice location" not in text_of(items[hit["npi"]]).lower()


def test_the_provider_page_labels_each_location_with_its_miles_from_the_searched_zip(
    client: TestClient,
) -> None:
    query = {"zip": "02139", "radius": "25", "limit": "200"}
    hits = client.get("/api/v1/specialists", params=query).json()["results"]
    hit = next(h for h in hits if h["secondary_location"])
    html = client.get("/find", params=query).text
    href = re.search(rf'<h3><a href="(/find/provider/{hit["npi"]}\?[^"]+)"', html)
    assert href
    page = text_of(client.get(href.group(1).replace("&amp;", "&")).text)
    kinds = re.findall(r"(Main|Secondary) practice location(?:, ([\d.]+) mi from 02139)?", page)
    assert kinds[0][0] == "Main" and {k for k, _ in kinds[1:]} == {"Secondary"}
    # The search's distance is that of the nearest location, a secondary one.
    secondary_miles = [float(m) for k, m in kinds[1:] if m]
    assert min(secondary_miles) == hit["distance_miles"]
    assert not kinds[0][1] or float(kinds[0][1]) > hit["distance_miles"]
    # Without a search to come back to, no distances.
    alone = text_of(client.get(f"/find/provider/{hit['npi']}").text)
    assert "Main practice location" in alone and "mi from" not in alone


def test_a_name_too_long_is_a_form_error_naming_the_field(client: TestClient) -> None:
    response = client.get("/find", params={"zip": "02139", "name": "x" * 101})
    assert response.status_code == 422
    assert '<p class="field-error" id="name-error">' in response.text
    assert '<a href="#name">Name</a>: ' in response.text
    assert "at most 100 characters" in text_of(response.text)


def test_after_a_search_the_form_folds_into_one_line_and_the_list_comes_before_the_map(
    client: TestClient,
) -> None:
    html = client.get("/find?zip=02139&radius=25").text
    fold = html.index('<details class="search-fold" id="search-fold">')
    summary = re.search(r"<summary>(.*?)</summary>", html[fold:], re.S)
    assert summary
    line = " ".join(text_of(summary.group(1)).split())
    assert line == "Specialists within 25 miles of 02139 (Cambridge, MA) · Change"
    assert fold < html.index('<form method="get" action="/find"') < html.index("</details>")
    assert html.index("</details>") < html.index('id="results"') < html.index("results-map")
    # Before a search, and with a mistake to fix, the form is open as it always was.
    for page in (client.get("/find").text, client.get("/find?zip=abc").text):
        assert "search-fold" not in page and '<form method="get" action="/find"' in page


def test_no_one_within_the_radius_names_the_nearest_beyond_and_a_wider_search(
    client: TestClient,
) -> None:
    html = client.get("/find?zip=82001&radius=25&specialty=neurosurgery&specialty=pain-medicine")
    assert html.status_code == 200
    part = html.text[html.text.index('id="results-title"') :]
    assert "No specialist within 25 miles" in text_of(part)
    beyond = re.findall(r'<p class="distance"><strong>([\d.]+) mi</strong> away, in ', part)
    assert 1 <= len(beyond) <= 3
    miles = [float(m) for m in beyond]
    assert miles == sorted(miles) and miles[0] > 25
    wider = re.search(
        r'<a class="button wider-search" id="wider-search" href="([^"]+)">([^<]+)</a>', part
    )
    assert wider
    query = parse_qs(urlsplit(html_module.unescape(wider.group(1))).query)
    radius = int(query["radius"][0])
    assert radius >= miles[0] and query["specialty"] == ["neurosurgery", "pain-medicine"]
    count = re.fullmatch(rf"Search within {radius} miles \((\d+) found\)", wider.group(2))
    assert count
    # One tap: the wider search finds them, the nearest first.
    again = client.get(html_module.unescape(wider.group(1))).text
    assert re.search(rf'<h2 id="results-title">{count.group(1)} found, nearest first</h2>', again)
    first = re.search(r'<p class="distance"><strong>([\d.]+) mi</strong>', again)
    assert first and float(first.group(1)) == miles[0]


def test_no_one_within_500_miles_says_so(client: TestClient) -> None:
    html = client.get("/find?zip=99723&radius=25").text
    assert 'id="none-within-500"' in html and "wider-search" not in html


def test_a_zip_plus_4_is_shown_with_its_hyphen(client: TestClient) -> None:
    npis = re.findall(r'data-npi="(\d+)"', client.get("/find?zip=02139&radius=25").text)
    addresses = [
        line
        for npi in npis[:10]
        for line in re.findall(
            r'<p class="address">([^<]+)</p>', client.get(f"/find/provider/{npi}").text
        )
    ]
    assert not [a for a in addresses if re.search(r"\b\d{9}$", a)], addresses
    assert any(re.search(r" MA \d{5}-\d{4}$", a) for a in addresses), addresses
