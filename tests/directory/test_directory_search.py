"""Radius search: distances, edges, order, pagination and every input error."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinefx.directory.geo import (
    ZIP_PATTERN,
    UnknownZip,
    centroid,
    haversine_miles,
    normalize_zip,
)
from spinefx.directory.nppes import ingest
from spinefx.directory.search import SearchQuery, provider_info, search
from spinefx.errors import DirectoryNotLoaded, InputError
from spinefx.validation import parse_input

ORIGIN = "02139"  # Cambridge, MA


def distance_to(zip_code: str) -> float:
    a, b = centroid(ORIGIN), centroid(zip_code)
    assert a is not None and b is not None
    return haversine_miles(a.lat, a.lon, b.lat, b.lon)


@pytest.fixture
def small_db(tmp_path: Path, files: SimpleNamespace) -> Path:
    """Neurosurgeons at 02139 (x3), 02138, 02459 (Newton), 01609 (Worcester) and 10001 (NYC)."""
    rows = [
        files.provider("1000000003"),
        files.provider("1000000001"),
        files.provider("1000000002"),
        files.provider("1000000010", postal="02138"),
        files.provider("1000000020", postal="02459"),
        files.provider("1000000030", postal="01609"),
        files.provider("1000000040", postal="10001"),
        files.provider("1000000050", postal="02139", tax1="207RE0101X"),  # endocrinology
    ]
    mup = files.write_mup(
        tmp_path / "mup.csv",
        [("1000000002", "22513", "F", 30, 40.0), ("1000000003", "22514", "F", 12, 12.0)],
    )
    db = tmp_path / "d.duckdb"
    ingest(files.write_nppes(tmp_path / "n.csv", rows), db_path=db, utilization_csv=mup)
    return db


def test_haversine_matches_a_known_distance() -> None:
    assert haversine_miles(42.3647, -71.1042, 42.3647, -71.1042) == 0
    # A quarter of a great circle of radius 3958.8 miles, then Cambridge to midtown Manhattan.
    assert haversine_miles(0, 0, 90, 0) == pytest.approx(3958.8 * 3.141592653589793 / 2)
    assert distance_to("10001") == pytest.approx(186.6, abs=0.05)


def test_results_are_sorted_by_distance_then_bkp_services_then_npi(small_db: Path) -> None:
    result = search(small_db, SearchQuery(zip=ORIGIN, radius=50))
    # Same ZIP: most BKP services first (40, then 12), then no volume.
    assert [r.npi for r in result.results[:3]] == ["1000000002", "1000000003", "1000000001"]
    assert [r.bkp_services for r in result.results[:3]] == [40, 12, None]
    distances = [r.distance_miles for r in result.results]
    assert distances == sorted(distances)
    assert [r.npi for r in result.results[3:]] == ["1000000010", "1000000020", "1000000030"]
    assert result.total == 6


def test_a_provider_exactly_at_the_radius_edge_is_in_and_just_beyond_is_out(
    small_db: Path,
) -> None:
    edge = distance_to("01609")  # Worcester, about 38 miles
    inside = search(small_db, SearchQuery(zip=ORIGIN, radius=edge + 1e-6))
    outside = search(small_db, SearchQuery(zip=ORIGIN, radius=edge - 1e-3))
    assert "1000000030" in [r.npi for r in inside.results]
    assert "1000000030" not in [r.npi for r in outside.results]
    hit = next(r for r in inside.results if r.npi == "1000000030")
    assert hit.distance_miles == round(edge, 1)


def test_the_default_radius_is_25_miles(small_db: Path) -> None:
    result = search(small_db, SearchQuery(zip=ORIGIN))
    assert result.query.radius == 25
    assert {r.npi for r in result.results} == {
        "1000000001",
        "1000000002",
        "1000000003",
        "1000000010",
        "1000000020",
    }


def test_specialties_default_to_the_four_that_perform_bkp(small_db: Path) -> None:
    default = search(small_db, SearchQuery(zip=ORIGIN))
    assert "1000000050" not in [r.npi for r in default.results]
    endo = search(small_db, SearchQuery(zip=ORIGIN, specialties=("endocrinology",)))
    assert [r.npi for r in endo.results] == ["1000000050"]
    assert endo.results[0].specialties == ["endocrinology"]


def test_performs_bkp_keeps_only_providers_with_medicare_volume(small_db: Path) -> None:
    result = search(small_db, SearchQuery(zip=ORIGIN, performs_bkp=True))
    assert [r.npi for r in result.results] == ["1000000002", "1000000003"]


def test_limit_and_offset_page_through_and_total_counts_all(small_db: Path) -> None:
    pages = [
        search(small_db, SearchQuery(zip=ORIGIN, radius=50, limit=2, offset=o)) for o in (0, 2, 4)
    ]
    assert [p.total for p in pages] == [6, 6, 6]
    npis = [r.npi for p in pages for r in p.results]
    assert npis == [r.npi for r in search(small_db, SearchQuery(zip=ORIGIN, radius=50)).results]
    beyond = search(small_db, SearchQuery(zip=ORIGIN, radius=50, offset=100))
    assert (beyond.total, beyond.results) == (6, [])


def test_the_json_shape_is_what_the_web_app_reads(small_db: Path) -> None:
    data = search(small_db, SearchQuery(zip=ORIGIN, limit=1)).model_dump(mode="json")
    assert set(data) == {"query", "total", "results"}
    assert set(data["results"][0]) == {
        "npi",
        "name",
        "entity_type",
        "specialties",
        "primary_specialty",
        "address",
        "city",
        "state",
        "zip",
        "phone",
        "distance_miles",
        "bkp_services",
        "vertebroplasty_services",
        "other_names",
        "secondary_location",
    }
    assert data["results"][0]["phone"] == "617-555-0100"
    assert data["results"][0]["other_names"] == []
    assert data["results"][0]["secondary_location"] is False


def test_a_malformed_zip_is_an_input_error_naming_zip(small_db: Path) -> None:
    fullwidth = "\uff10\uff12\uff11\uff13\uff19"  # 02139 in full-width digits
    for bad in ("02", "021390", "0213-4307", "02139-43", "ABCDE", fullwidth, ""):
        with pytest.raises(InputError) as err:
            search(small_db, SearchQuery(zip=bad))
        assert err.value.field == "zip"
        assert "5-digit" in str(err.value)


def test_an_unknown_zip_suggests_near_ones(small_db: Path) -> None:
    with pytest.raises(UnknownZip) as err:
        search(small_db, SearchQuery(zip="00000"))
    assert isinstance(err.value, InputError)
    assert err.value.field == "zip"
    assert err.value.suggestions
    assert all(len(z) == 5 and centroid(z) is not None for z in err.value.suggestions)
    assert "did you mean" in str(err.value)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("radius", 0, "a number from 1 to 500"),
        ("radius", 501, "a number from 1 to 500"),
        ("limit", 0, "an integer from 1 to 1000"),
        ("limit", 1001, "an integer from 1 to 1000"),
        ("offset", -1, "an integer >= 0"),
    ],
)
def test_out_of_range_query_values_are_named(field: str, value: int, allowed: str) -> None:
    with pytest.raises(InputError) as err:
        parse_input(SearchQuery, {"zip": ORIGIN, field: value})
    assert err.value.field == field
    assert err.value.allowed == allowed


def test_an_unknown_specialty_is_named_with_the_allowed_ids() -> None:
    with pytest.raises(InputError) as err:
        parse_input(SearchQuery, {"zip": ORIGIN, "specialties": ["podiatry"]})
    assert err.value.field == "specialties[0]"
    assert '"pain-medicine"' in err.value.allowed
    assert len(err.value.problems) == 1
    with pytest.raises(InputError) as empty:
        parse_input(SearchQuery, {"zip": ORIGIN, "specialties": []})
    assert empty.value.field == "specialties"


def test_the_query_is_frozen_and_forbids_unknown_fields() -> None:
    query = SearchQuery(zip=ORIGIN)
    with pytest.raises(ValueError):
        query.radius = 10  # type: ignore[misc]
    with pytest.raises(InputError, match="no such field"):
        parse_input(SearchQuery, {"zip": ORIGIN, "miles": 5})


def test_searching_before_any_directory_is_loaded_says_how_to_load_one(tmp_path: Path) -> None:
    with pytest.raises(DirectoryNotLoaded) as err:
        search(tmp_path / "none.duckdb", SearchQuery(zip=ORIGIN))
    assert "spinefx directory demo" in str(err.value)
    assert "spinefx directory ingest" in str(err.value)


def test_provider_info_rejects_bad_and_unknown_npis(small_db: Path) -> None:
    with pytest.raises(InputError, match="10-digit"):
        provider_info(small_db, "123")
    with pytest.raises(InputError, match="in the directory"):
        provider_info(small_db, "1999999999")
    assert provider_info(small_db, "1000000002").bkp_services == 40


def test_a_demo_directory_finds_many_providers_around_cambridge(demo_db: Path) -> None:
    result = search(demo_db, SearchQuery(zip=ORIGIN, radius=25))
    assert result.total >= 100
    assert all(r.distance_miles <= 25 for r in result.results)
    for hit in result.results[:20]:
        detail = provider_info(demo_db, hit.npi)
        if hit.secondary_location:  # found at a secondary practice location, nearer
            assert hit.zip in [loc.zip for loc in detail.locations]
            place = centroid(hit.zip or "")
            assert place is not None
            lat, lon = place.lat, place.lon
        else:
            assert detail.latitude is not None and detail.longitude is not None
            lat, lon = detail.latitude, detail.longitude
        exact = haversine_miles(42.3647, -71.1042, lat, lon)
        assert hit.distance_miles == round(exact, 1)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("02139", "02139"),
        ("02139-4307", "02139"),  # ZIP+4
        ("02139 4307", "02139"),
        ("021394307", "02139"),  # ZIP+4 as NPPES stores it
        ("2139", "02139"),  # the leading zero a spreadsheet dropped
        (" 2139 ", "02139"),
    ],
)
def test_zip_plus_4_and_a_lost_leading_zero_search_the_five_digit_zip(
    small_db: Path, typed: str, read: str
) -> None:
    result = search(small_db, SearchQuery(zip=typed, radius=1))
    assert result.query.zip == read
    assert [r.npi for r in result.results] == ["1000000002", "1000000003", "1000000001"]


def test_sorting_by_volume_puts_most_bkp_services_first_then_the_nearest(small_db: Path) -> None:
    result = search(small_db, SearchQuery(zip="02459", radius=50, sort="volume"))
    volumes = [r.bkp_services for r in result.results]
    assert volumes[:2] == [40, 12]
    assert all(v is None for v in volumes[2:])
    rest = [r.distance_miles for r in result.results[2:]]
    assert rest == sorted(rest)  # those without volume: nearest first
    by_distance = search(small_db, SearchQuery(zip="02459", radius=50))
    assert by_distance.results[0].npi == "1000000020"  # in 02459 itself, no volume
    assert {r.npi for r in by_distance.results} == {r.npi for r in result.results}


def test_volume_order_pages_through_the_whole_result_not_one_page(small_db: Path) -> None:
    first = search(small_db, SearchQuery(zip="02459", radius=50, sort="volume", limit=1))
    assert first.results[0].bkp_services == 40
    second = search(small_db, SearchQuery(zip="02459", radius=50, sort="volume", limit=1, offset=1))
    assert second.results[0].bkp_services == 12


def test_an_unknown_sort_order_is_an_input_error_naming_sort() -> None:
    with pytest.raises(InputError) as err:
        parse_input(SearchQuery, {"zip": ORIGIN, "sort": "name"})
    assert err.value.field == "sort"


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(alphabet="0123456789- \t\n\x1c\u00a0a", max_size=12),
        st.from_regex(ZIP_PATTERN),
    )
)
def test_the_zip_pattern_is_exactly_what_normalize_zip_reads(text: str) -> None:
    """The OpenAPI document's ZIP pattern allows a text if and only if it reads as five digits."""
    read = normalize_zip(text)
    assert bool(re.search(ZIP_PATTERN, text)) == bool(re.fullmatch(r"[0-9]{5}", read)), read
