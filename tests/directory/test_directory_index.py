"""The in-memory search index gives the SQL search's results, order, totals and distances."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spinefx.directory.search as search_module
from spinefx.directory.geo import ZipLocator, _centroids, unit_vector
from spinefx.directory.index import DirectoryIndex, sql_haversine
from spinefx.directory.search import (
    _DISTANCE,
    SPECIALTY_IDS,
    SearchQuery,
    SearchResult,
    search,
    search_json,
    search_sql,
)
from spinefx.directory.store import building, read_connection

RADII = (1, 3, 10, 25, 50, 100, 250, 500)
# Parts of names in the demo and in national_db (legal names and other names), in any case.
NAMES = ("clinic 1", "PROVIDER 2", "harbor", "Spine", "md", "zzz-none")


def load_index(db: Path) -> DirectoryIndex:
    with read_connection(db) as conn:
        return DirectoryIndex.load(conn)


def random_queries(db: Path, count: int, seed: int) -> list[SearchQuery]:
    """Queries from ZIP codes where providers are and from any ZIP code, with every option."""
    with read_connection(db) as conn:
        zips = sorted(
            z for (z,) in conn.execute("SELECT DISTINCT zip FROM providers").fetchall() if z
        )
    anywhere = sorted(_centroids())
    rng = random.Random(seed)
    queries = []
    for i in range(count):
        queries.append(
            SearchQuery(
                zip=rng.choice(zips) if i % 2 else rng.choice(anywhere),
                radius=rng.choice(RADII),
                specialties=tuple(rng.sample(SPECIALTY_IDS, rng.randint(1, 3))),
                performs_bkp=rng.random() < 0.25,
                limit=rng.choice((1, 7, 50, 200)),
                offset=rng.choice((0, 0, 0, 3, 60)),
                name=rng.choice(NAMES) if rng.random() < 0.25 else None,
                sort="volume" if rng.random() < 0.2 else "distance",
            )
        )
    return queries


def assert_same(db: Path, index: DirectoryIndex, queries: list[SearchQuery]) -> int:
    """Every query gives the same result both ways; returns how many found anything."""
    found = 0
    secondary = 0
    for query in queries:
        expected = search_sql(db, query)
        got = search(db, query, index=index)
        assert got.model_dump() == expected.model_dump(), query
        # The API's bytes: the SQL result's JSON, first with its hits' pieces made, then kept.
        for _ in range(2):
            assert search_json(db, query, index=index) == expected.model_dump_json().encode()
        # Both validate as the public model (model_construct skips validation).
        SearchResult.model_validate(got.model_dump())
        found += bool(expected.results)
        secondary += sum(hit.secondary_location for hit in expected.results)
    assert secondary > 0  # some providers are found at a secondary practice location
    return found


def test_the_index_agrees_with_sql_on_the_demo(demo_db: Path) -> None:
    index = load_index(demo_db)
    queries = random_queries(demo_db, 60, seed=3)
    assert assert_same(demo_db, index, queries) > 25


def national_db(path: Path, providers: int, ordered: bool) -> Path:
    """A directory with ``providers`` rows spread over every US ZIP centroid (several per ZIP,
    random specialty masks, BKP volume on some, 0 on a few), stored in the ingest's order or in
    no particular order (as an older file would be)."""
    order = "z.lat, z.lon, bkp DESC NULLS LAST, npi_int" if ordered else "hash(npi_int)"
    with building(path) as conn:
        conn.register("zips", ZipLocator().table)
        conn.execute(
            f"""
            INSERT INTO providers
            WITH z AS (SELECT *, row_number() OVER (ORDER BY zip) - 1 AS k FROM zips),
            p AS (
                SELECT i, 1000000000 + i AS npi_int, hash(i) % (SELECT count(*) FROM z) AS k,
                       CAST(1 + hash(i * 7) % 255 AS INTEGER) AS mask,
                       CASE WHEN hash(i * 3) % 10 < 3 THEN CAST(hash(i * 5) % 40 AS BIGINT) END
                           AS bkp
                FROM range({providers}) t(i)
            )
            SELECT CAST(npi_int AS VARCHAR), 1 + i % 2, 'Provider ' || i, '1 Main St', 'TOWN',
                   'MA', z.zip, 'US', z.zip, '617-555-0100', z.lat, z.lon, z.ux, z.uy, z.uz,
                   npi_int, mask, ['neurosurgery'], 'neurosurgery', bkp, bkp, NULL, NULL,
                   CASE WHEN i % 5 = 0 THEN ['Clinic ' || (i % 97), 'Spine ' || (i % 13)] END
            FROM p JOIN z USING (k)
            ORDER BY {order}
            """
        )
        # A second office for one provider in three, at another ZIP code; a few twice, and
        # some where the primary location has none.
        conn.execute(
            """
            INSERT INTO locations
            WITH z AS (SELECT *, row_number() OVER (ORDER BY zip) - 1 AS k FROM zips)
            SELECT p.npi, 'Suite ' || (p.npi_int % 7), 'OTHER TOWN', 'NY', z.zip, 'US', z.zip,
                   '212-555-0100', z.lat, z.lon, z.ux, z.uy, z.uz
            FROM providers p, range(2) r(n)
            JOIN z ON z.k = hash(p.npi_int * 11 + r.n) % (SELECT count(*) FROM z)
            WHERE p.npi_int % 3 = 0 AND (r.n = 0 OR p.npi_int % 9 = 0)
            """
        )
        conn.unregister("zips")
    return path


@pytest.mark.parametrize("ordered", [True, False], ids=["ingest-order", "any-order"])
def test_the_index_agrees_with_sql_on_a_national_directory(tmp_path: Path, ordered: bool) -> None:
    db = national_db(tmp_path / "national.duckdb", 40_000, ordered)
    index = load_index(db)
    assert index.providers == 40_000
    assert len(index.site_lat) > 20_000  # spread over the country's ZIP codes
    assert assert_same(db, index, random_queries(db, 30, seed=11)) > 15


def test_the_index_on_an_empty_directory(tmp_path: Path) -> None:
    db = national_db(tmp_path / "empty.duckdb", 0, ordered=True)
    index = load_index(db)
    result = search(db, SearchQuery(zip="02139", radius=500), index=index)
    assert (result.total, result.results) == (0, [])


def test_distances_are_the_sql_distances_to_the_last_bit() -> None:
    locator = ZipLocator()
    conn = duckdb.connect()
    conn.register("zips", locator.table)
    for origin in ("02139", "99950", "96701", "33040", "00601"):
        c = _centroids()[origin]
        rows = conn.execute(
            f"SELECT lat, lon, {_DISTANCE} FROM zips", {"lat": c.lat, "lon": c.lon}
        ).fetchall()
        mismatches = [r for r in rows if sql_haversine(c.lat, c.lon, r[0], r[1]) != r[2]]
        assert mismatches == [], origin


def test_the_api_json_is_the_same_when_the_kept_pieces_are_dropped(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "_MAX_PIECES", 60)  # dropped every page or two
    index = load_index(demo_db)
    sizes = []
    for query in random_queries(demo_db, 20, seed=5):
        expected = search_sql(demo_db, query).model_dump_json().encode()
        assert search_json(demo_db, query, index=index) == expected
        sizes.append(len(search_module._PIECES[index]))
    assert max(sizes) <= 200  # the bound, or one page (up to 200 hits) just after a drop
    assert any(later < before for before, later in itertools.pairwise(sizes))


@given(st.floats(min_value=0, max_value=25_000, allow_nan=False))
def test_the_api_writes_a_distance_as_the_hit_model_does(miles: float) -> None:
    # search_json formats distances with printf's %.1f; a hit's JSON holds round(miles, 1).
    assert search_module._MILES_FORMAT % miles == pydantic_core.to_json(round(miles, 1))


def test_the_api_json_keeps_a_percent_sign_in_a_name(tmp_path: Path) -> None:
    db = national_db(tmp_path / "percent.duckdb", 2_000, ordered=True)
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE providers SET name = name || ' 100% %s %.1f' WHERE npi_int % 2 = 0")
    index = load_index(db)
    query = SearchQuery(zip="10001", radius=500, specialties=SPECIALTY_IDS, limit=200)
    expected = search_sql(db, query).model_dump_json().encode()
    assert b"100% %s %.1f" in expected
    assert search_json(db, query, index=index) == expected


# --- ties between sites, against a reference written from the SQL's rules ------------------
# Sites on a small grid by the Greenwich meridian: seen from a point on it, the sites at
# longitudes -x and +x have the very same dot product (the sine of longitude 0 is 0), so the
# index must merge their providers as the SQL's ORDER BY does.
GRID_LATS = (0.0, 0.1, 0.2)
GRID_LONS = (-0.2, -0.1, 0.0, 0.1, 0.2)
grid_place = st.tuples(st.sampled_from(GRID_LATS), st.sampled_from(GRID_LONS))
grid_provider = st.fixed_dictionaries(
    {
        "mask": st.integers(1, 7),
        "bkp": st.sampled_from([None, 0, 3, 12]),
        "primary": st.one_of(st.none(), grid_place),
        "secondary": st.lists(grid_place, max_size=3),
    }
)


def grid_places(providers: list[dict[str, Any]]) -> list[tuple[int, int, float, float]]:
    """Every place of ``providers``: (NPI, place, lat, lon); place 0 is the primary location."""
    places: list[tuple[int, int, float, float]] = []
    for npi, p in enumerate(providers, start=1000):
        if p["primary"] is not None:
            places.append((npi, 0, *p["primary"]))
        for where in p["secondary"]:
            places.append((npi, len(places) + 1, *where))
    return places


def grid_index(providers: list[dict[str, Any]]) -> DirectoryIndex:
    """An index of ``providers`` (NPI 1000 + their position), built from Arrow tables, with
    row ids that are neither 0, 1, 2... nor in order (as after rows were deleted)."""
    npis = [1000 + i for i in range(len(providers))]
    row_id = {n: 7 * (len(npis) - i) + 3 for i, n in enumerate(npis)}
    text = [f"P{n}" for n in npis]
    columns: dict[str, list[Any]] = {
        "provider_id": [row_id[n] for n in npis],
        "specialty_mask": [p["mask"] for p in providers],
        "bkp_key": [-1 if p["bkp"] is None else p["bkp"] for p in providers],
        "npi_int": npis,
        "npi": [str(n) for n in npis],
        **{c: text for c in ("name", "address", "city", "state", "zip", "phone")},
        "entity_type": [1] * len(providers),
        "specialties": [["neurosurgery"]] * len(providers),
        "primary_specialty": ["neurosurgery"] * len(providers),
        "bkp_services": [p["bkp"] for p in providers],
        "vertebroplasty_services": [None] * len(providers),
        "other_names": [None] * len(providers),
        "name_text": [t.lower() for t in text],
    }
    places = grid_places(providers)
    random.Random(len(places)).shuffle(places)  # in no order: the index sorts them
    secondary = sorted(place for _, place, _, _ in places if place)
    vectors = [unit_vector(lat, lon) for _, _, lat, lon in places]
    return DirectoryIndex(
        pa.table({k: pa.array(v) for k, v in columns.items()}),
        pa.table(
            {
                "place": secondary,
                **{
                    c: [f"at {n}" for n in secondary]
                    for c in ("address", "city", "state", "zip", "phone")
                },
            }
        ),
        pa.table(
            {
                "provider_id": [row_id[n] for n, _, _, _ in places],
                "place": [place for _, place, _, _ in places],
                "lat": [lat for _, _, lat, _ in places],
                "lon": [lon for _, _, _, lon in places],
                "ux": [v[0] for v in vectors],
                "uy": [v[1] for v in vectors],
                "uz": [v[2] for v in vectors],
            }
        ),
    )


def reference_page(
    providers: list[dict[str, Any]], lat: float, radius: float, mask: int, performs_bkp: bool,
    limit: int, offset: int, sort: str,
) -> tuple[int, list[tuple[int, float, int]]]:  # fmt: skip
    """The total and the page (NPI, miles, place) as the SQL search defines them."""
    q = unit_vector(lat, 0.0)
    nearest: dict[int, tuple[float, int, float, float]] = {}  # NPI: dot, place, lat, lon
    for npi, place, plat, plon in grid_places(providers):
        p = providers[npi - 1000]
        bkp = -1 if p["bkp"] is None else p["bkp"]
        if not p["mask"] & mask or (performs_bkp and bkp <= 0):
            continue
        if sql_haversine(lat, 0.0, plat, plon) > radius:
            continue
        u = unit_vector(plat, plon)
        dot = u[0] * q[0] + u[1] * q[1] + u[2] * q[2]
        best = nearest.get(npi)
        if best is None or (-dot, place) < (-best[0], best[1]):
            nearest[npi] = (dot, place, plat, plon)

    def bkp_of(npi: int) -> int:
        value = providers[npi - 1000]["bkp"]
        return -1 if value is None else value

    if sort == "volume":
        ranked = sorted(nearest, key=lambda n: (-bkp_of(n), -nearest[n][0], n))
    else:
        ranked = sorted(nearest, key=lambda n: (-nearest[n][0], -bkp_of(n), n))
    page = [(n, sql_haversine(lat, 0.0, *nearest[n][2:]), nearest[n][1])
            for n in ranked[offset : offset + limit]]  # fmt: skip
    if sort == "volume":
        page.sort(key=lambda hit: (-bkp_of(hit[0]), hit[1], hit[0]))
    else:
        page.sort(key=lambda hit: (hit[1], -bkp_of(hit[0]), hit[0]))
    return len(nearest), page


@settings(max_examples=300, deadline=None)
@given(
    providers=st.lists(grid_provider, min_size=1, max_size=40),
    lat=st.sampled_from(GRID_LATS),
    radius=st.sampled_from([1.0, 8.0, 20.0]),
    mask=st.integers(1, 7),
    performs_bkp=st.booleans(),
    limit=st.integers(1, 12),
    offset=st.sampled_from([0, 0, 2, 7]),
    sort=st.sampled_from(["distance", "volume"]),
)
def test_ties_between_sites_are_broken_as_the_sql_breaks_them(
    providers: list[dict[str, Any]], lat: float, radius: float, mask: int, performs_bkp: bool,
    limit: int, offset: int, sort: str,
) -> None:  # fmt: skip
    # The grid's sites are 6.9 miles apart: none lies within a hair of these radii.
    index = grid_index(providers)
    expected_total, expected = reference_page(providers, lat, radius, mask, performs_bkp,
                                              limit, offset, sort)  # fmt: skip
    # Without a name the page is walked; with "p" (every name) every candidate is ranked.
    for name in (None, "p"):
        page = index.search(lat, 0.0, radius, mask, performs_bkp, limit, offset, name=name,
                            sort=sort)  # fmt: skip
        assert page.total == expected_total
        got = [(int(row[0]), row[12], row[14]) for row in page.rows]
        assert got == expected, name


def test_two_sites_at_one_distance_merge_by_bkp_then_npi() -> None:
    # Seen from (0.1, 0), the sites at latitudes -0.4 and 0.6 on the meridian are at the very
    # same haversine distance (34.547 miles) while their dot products differ in the last bit:
    # the page must merge them by BKP services, not list the site of the larger dot first.
    assert sql_haversine(0.1, 0.0, -0.4, 0.0) == sql_haversine(0.1, 0.0, 0.6, 0.0)
    lone = {"mask": 1, "secondary": []}
    providers = [
        {**lone, "bkp": 3, "primary": (0.6, 0.0)},  # the larger dot product
        {**lone, "bkp": 12, "primary": (-0.4, 0.0)},
        {**lone, "bkp": None, "primary": (0.6, 0.0)},
        {**lone, "bkp": 5, "primary": (-0.4, 0.0)},
    ]
    index = grid_index(providers)
    total, expected = reference_page(providers, 0.1, 40.0, 1, False, 10, 0, "distance")
    assert [npi for npi, _, _ in expected] == [1001, 1003, 1000, 1002]
    for name in (None, "p"):
        page = index.search(0.1, 0.0, 40.0, 1, False, 10, 0, name=name)
        assert (page.total, [(int(r[0]), r[12], r[14]) for r in page.rows]) == (total, expected)
