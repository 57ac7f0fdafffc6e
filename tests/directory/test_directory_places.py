"""What the finder shows around a search: town names, result places, capitals, directory facts."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from spinefx.directory.geo import centroid, haversine_miles, offset_miles
from spinefx.directory.nppes import ingest
from spinefx.directory.places import result_places, town_of
from spinefx.directory.store import DirectoryFacts, directory_facts
from spinefx.directory.text import display_case, place_line
from spinefx.directory.utilization import data_year
from spinefx.errors import DirectoryNotLoaded


def test_town_of_names_a_known_zip_and_none_for_an_unknown_one() -> None:
    assert town_of("02139") == "Cambridge, MA"
    assert town_of("10001") == "New York, NY"
    assert town_of("00000") is None


# Within a few hundred miles (a search's radius) the bearing matches the map's directions.
@pytest.mark.parametrize("zip_code", ["10001", "01609", "02459", "03301", "02908", "04101"])
def test_offsets_keep_the_great_circle_distance_and_the_compass_direction(zip_code: str) -> None:
    origin, there = centroid("02139"), centroid(zip_code)
    assert origin is not None and there is not None
    east, north = offset_miles(origin, there.lat, there.lon)
    assert math.hypot(east, north) == pytest.approx(
        haversine_miles(origin.lat, origin.lon, there.lat, there.lon), rel=1e-9
    )
    assert (north > 0) == (there.lat > origin.lat)
    assert (east > 0) == (there.lon > origin.lon)


def test_result_places_group_results_by_zip_in_order_and_skip_unknown_zips() -> None:
    places = result_places(
        "02139", [(1, "02139"), (2, "10001"), (3, "02139"), (4, None), (5, "00000")]
    )
    assert [(p.zip, p.numbers) for p in places] == [("02139", (1, 3)), ("10001", (2,))]
    assert places[0].town == "Cambridge, MA"
    assert (places[0].east, places[0].north) == (0.0, 0.0)
    assert result_places("00000", [(1, "02139")]) == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("846 DEMO PROSPECT ROAD", "846 Demo Prospect Road"),
        ("CAMBRIDGE", "Cambridge"),
        ("55 FRUIT ST NE, STE 4B", "55 Fruit St NE, Ste 4B"),
        ("21ST FLOOR", "21st Floor"),
        ("PO BOX 7", "PO Box 7"),
        ("O'BRIEN HWY", "O'Brien Hwy"),
        ("ST. MARY'S WAY", "St. Mary's Way"),
        ("Mixed Case Stays", "Mixed Case Stays"),
        ("", ""),
    ],
)
def test_display_case_turns_capitals_into_normal_writing(raw: str, shown: str) -> None:
    assert display_case(raw) == shown


def test_place_line_joins_what_is_there() -> None:
    assert place_line("9 DEMO ROAD", "BOSTON", "MA", "02115") == "9 Demo Road, Boston, MA 02115"
    assert place_line(None, "BOSTON", "MA", None) == "Boston, MA"
    assert place_line(None, None, None, None) == ""


@pytest.mark.parametrize(
    ("name", "year"),
    [
        ("MUP_PHY_R25_P05_V20_D23_Prov_Svc.csv", 2023),
        ("MUP_PHY_R24_P07_V10_D22_Prov_Svc.csv", 2022),
        ("mup_phy_r25_d19_prov_svc.csv", 2019),
        ("mup.csv", None),
    ],
)
def test_the_medicare_year_is_read_from_the_cms_file_name(name: str, year: int | None) -> None:
    assert data_year(Path(name)) == year


def test_the_store_records_the_demo_and_the_medicare_year(
    tmp_path: Path, files: SimpleNamespace, demo_db: Path
) -> None:
    assert directory_facts(demo_db) == DirectoryFacts(
        demo=True, medicare_year=2023, built_from="npidata_pfile_demo.csv"
    )
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    mup = files.write_mup(
        tmp_path / "MUP_PHY_R25_P05_V20_D22_Prov_Svc.csv", [("1000000001", "22513", "F", 30, 40.0)]
    )
    real = tmp_path / "real.duckdb"
    ingest(nppes, db_path=real, utilization_csv=mup)
    assert directory_facts(real) == DirectoryFacts(
        demo=False, medicare_year=2022, built_from="n.csv"
    )
    bare = tmp_path / "bare.duckdb"
    ingest(nppes, db_path=bare)
    assert directory_facts(bare) == DirectoryFacts(
        demo=False, medicare_year=None, built_from="n.csv"
    )
    with pytest.raises(DirectoryNotLoaded):
        directory_facts(tmp_path / "none.duckdb")
