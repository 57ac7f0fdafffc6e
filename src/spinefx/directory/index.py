"""An in-memory index of the directory for radius search in well under a millisecond.

Every provider is found at its *places*: its primary practice location and each secondary one
with a position. Each place sits on a ZIP code's centroid, so places group into *sites*: the
distinct centroids (some 30,000 ZIP codes with providers nationally). The index holds the sites
sorted by latitude, with their unit vectors, and the places in site order, within a site in the
search's own tie order (most BKP services first, then NPI, then the place); and the providers,
each with its specialty mask, BKP services and NPI, plus the columns a result shows. A search
is then:

1. the sites in the query's latitude band (two binary searches), kept by the longitude box and
   by the same dot-product test the SQL query makes (the haversine itself only within a hair of
   the edge): one pass for primary and secondary locations alike;
2. the exact count of matching providers from per-site counts of each specialty mask (a site's
   providers are not touched to count them), plus those found only at a secondary location;
3. the page: the sites in dot-product order, walked place by place (each provider once, at
   its first, so nearest, place) until it holds ``offset + limit`` providers, then sorted by
   the distance, BKP services and NPI exactly as the SQL orders them. A search by name or by
   volume orders all its candidates instead.

The results, their order and their distances are those of the SQL query
(:func:`spinefx.directory.search.search_sql`) to the last bit; a test compares both.

Loading reads the providers once (a second or two and some 270 MB for a million), so
it is done once per open database file, by whoever owns the handle (the web app at start-up).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from spinefx.directory.geo import EARTH_RADIUS_MILES, bounding_box, lon_bounds_useful, unit_vector

__all__ = ["HIT_COLUMNS", "DirectoryIndex", "IndexPage", "sql_haversine"]

# The columns of a search hit, in this order, as the SQL search reads them.
HIT_COLUMNS = (
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
    "bkp_services",
    "vertebroplasty_services",
    "other_names",
)
# The text a name search looks in: the legal name and the other names, lower-cased, apart.
NAME_TEXT_SQL = "lower(concat_ws(chr(31), name, array_to_string(other_names, chr(31))))"
_EDGE_MILES = 1e-6  # as in search.py: far above the dot product's rounding error
_KEPT_MASKS = 64  # the per-site counts of at most this many specialty masks are kept
_NO_BKP = -1  # the BKP key of a provider without Medicare volume (sorts after every count)
_SMALL_SITE = 32  # a site's places up to this many are tested one by one, more in numpy

# Every provider, with its row id (as stored; a place names its provider by it), in the order
# of its primary location's site, as the places are sorted: a page's providers are neighbours,
# so taking its rows reads a few runs of memory, not fifty rows scattered over a million (the
# page's rows in 0.10 ms at the median on a million providers, against 0.14-0.20 in row order;
# the sort costs some 0.5 s and 180 MB more at load, once per file).
_PROVIDERS_SQL = f"""
    SELECT rowid AS provider_id, specialty_mask, coalesce(bkp_services, {_NO_BKP}) AS bkp_key,
           npi_int, {", ".join(HIT_COLUMNS)}, {NAME_TEXT_SQL} AS name_text
    FROM providers
    ORDER BY lat NULLS LAST, lon, bkp_key DESC, npi_int
"""
# The secondary practice locations with a position, of providers in the directory, by
# ``place``: the row's number plus one (0 is the primary location), the SQL search's tie-break.
_LOCATIONS_SQL = """
    SELECT l.rowid + 1 AS place, l.address, l.city, l.state, l.zip, l.phone
    FROM locations l SEMI JOIN providers p ON p.npi = l.npi
    WHERE l.lat IS NOT NULL
    ORDER BY place
"""
# Every place with a position, primary (place 0) and secondary, in the index's order: by site
# (latitude, longitude), then as the search breaks ties (most BKP services first, NPI, place).
# (Sorted here: DuckDB sorts a million rows on every core in a fraction of numpy's time.)
_PLACES_SQL = f"""
    SELECT provider_id, place, lat, lon, ux, uy, uz FROM (
        SELECT rowid AS provider_id, 0 AS place, lat, lon, ux, uy, uz,
               coalesce(bkp_services, {_NO_BKP}) AS bkp_key, npi_int
        FROM providers WHERE lat IS NOT NULL
        UNION ALL
        SELECT p.rowid, l.rowid + 1, l.lat, l.lon, l.ux, l.uy, l.uz,
               coalesce(p.bkp_services, {_NO_BKP}), p.npi_int
        FROM locations l JOIN providers p ON p.npi = l.npi
        WHERE l.lat IS NOT NULL
    )
    ORDER BY lat, lon, bkp_key DESC, npi_int, place
"""
# The columns of a hit that a secondary location replaces.
LOCATION_COLUMNS = ("address", "city", "state", "zip", "phone")


def sql_haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The haversine distance in miles, with the very operations, in the same order, of the SQL
    expression in :mod:`spinefx.directory.search` (so both give the same bits)."""
    return _haversine(lat1, lon1, math.cos(math.radians(lat1)), lat2, lon2,
                      math.cos(math.radians(lat2)))  # fmt: skip


def _haversine(
    lat1: float, lon1: float, cos_lat1: float, lat2: float, lon2: float, cos_lat2: float
) -> float:
    """:func:`sql_haversine` given each latitude's cosine (``cos(radians(lat))``, the same bits
    however often it is computed): the index keeps its sites' cosines, and a search computes
    its origin's once."""
    a = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + cos_lat1 * cos_lat2 * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


def _arrow(conn: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    result = conn.sql(sql).arrow()
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


def _numpy(table: pa.Table, name: str, dtype: type[Any]) -> npt.NDArray[Any]:
    """A column as a numpy array. (One chunk first: a chunked column's own ``to_numpy`` goes
    through pandas, importing it, about a second, where it is installed.)"""
    array = table.column(name).combine_chunks()
    return np.ascontiguousarray(array.to_numpy(zero_copy_only=False), dtype=dtype)


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    """The table as one record batch: a page's take from it costs a third less than from a
    table (a take from a table of many chunks cost 30 ms)."""
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns],
                                      schema=table.schema)  # fmt: skip


def _in_order(keys: Iterable[npt.NDArray[Any]]) -> bool:
    """Whether the rows are sorted by the ``keys``, the first the most significant."""
    later: npt.NDArray[np.bool_] | None = None  # row i + 1 after row i on the keys so far
    for key in reversed(list(keys)):
        if len(key) < 2:
            return True
        a, b = key[1:], key[:-1]
        later = (a > b) if later is None else (a > b) | ((a == b) & later)
    return later is None or bool(later.all())


@dataclass(frozen=True)
class PagePicks:
    """A page's providers in its order: each one's row in the index, its distance in miles
    and the row of the secondary location it is shown at (-1: its primary location)."""

    rows: list[int]
    distance: list[float]
    location: list[int]

    @staticmethod
    def empty() -> PagePicks:
        return PagePicks([], [], [])


@dataclass(frozen=True)
class IndexPage:
    """One search's exact total and its page: rows of the hit columns (the first twelve of
    :data:`HIT_COLUMNS`), the distance, the other names and the place (0 for the primary
    practice location, else the secondary location's row number plus one); and the same page
    as :class:`PagePicks`. ``rows`` is empty when the search was asked for the picks only."""

    total: int
    rows: list[tuple[Any, ...]]
    picks: PagePicks = field(default_factory=PagePicks.empty)


class _Sites:
    """Distinct ZIP centroids of places sorted by latitude then longitude: site ``s`` holds
    places ``first[s]`` to ``first[s + 1] - 1``."""

    def __init__(
        self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], places: pa.Table
    ) -> None:
        n = len(lat)
        change = np.ones(n, bool)
        if n:
            change[1:] = (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
        starts = np.flatnonzero(change)
        self.first = np.append(starts, n).astype(np.int64)
        self.lat = lat[starts]
        self.lon = lon[starts]
        self.ux = _numpy(places, "ux", np.float64)[starts]
        self.uy = _numpy(places, "uy", np.float64)[starts]
        self.uz = _numpy(places, "uz", np.float64)[starts]
        self.of_place = np.repeat(np.arange(len(starts), dtype=np.int32), np.diff(self.first))
        # The same as Python floats, with each latitude's cosine, for the page's distances (a
        # numpy scalar costs more to read than the haversine's arithmetic).
        self.lat_floats: list[float] = self.lat.tolist()
        self.lon_floats: list[float] = self.lon.tolist()
        self.cos_lat: list[float] = [math.cos(math.radians(x)) for x in self.lat_floats]
        # Read one at a time while a page is walked (a memoryview gives Python ints, fast).
        self.first_at = self.first.data
        self.of_place_at = self.of_place.data

    def __len__(self) -> int:
        return len(self.lat)

    def in_range(
        self, lat: float, lon: float, radius: float, q: tuple[float, float, float]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The sites within ``radius`` miles of the point, with their dot products: the SQL
        query's latitude and longitude box, then its dot-product test."""
        angle = radius / EARTH_RADIUS_MILES
        dot_inside = math.cos(max(0.0, angle - _EDGE_MILES / EARTH_RADIUS_MILES))
        dot_outside = math.cos(angle + _EDGE_MILES / EARTH_RADIUS_MILES)
        box = bounding_box(lat, lon, radius)
        low = bisect.bisect_left(self.lat_floats, box[0])
        high = bisect.bisect_right(self.lat_floats, box[1])
        if lon_bounds_useful(box):
            lons = self.lon[low:high]
            sites = np.flatnonzero((lons >= box[2]) & (lons <= box[3])) + low
        else:
            sites = np.arange(low, high, dtype=np.int64)
        dot = self.ux[sites] * q[0] + self.uy[sites] * q[1] + self.uz[sites] * q[2]
        inside = dot >= dot_inside
        near_edge = dot >= dot_outside
        if np.count_nonzero(near_edge) > np.count_nonzero(inside):
            # Within a millionth of a mile of the edge: the haversine decides.
            for i in np.flatnonzero(near_edge & ~inside).tolist():
                s = int(sites[i])
                if sql_haversine(lat, lon, self.lat_floats[s], self.lon_floats[s]) <= radius:
                    inside[i] = True
        return sites[inside], dot[inside]

    def places(
        self, sites: npt.NDArray[np.int64], dot: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The places at ``sites``, each with its site's dot product."""
        lengths = self.first[sites + 1] - self.first[sites]
        return _ranges(self.first[sites], lengths), np.repeat(dot, lengths)


class _MaskCounts:
    """Per site, how many of some places match a specialty mask (and, if asked, have BKP
    services), without touching the places: each site's distinct masks with their counts, of
    all and of those with BKP services, summed per mask asked for and kept (a few masks are
    asked for: the default specialties, one or two chosen)."""

    def __init__(
        self,
        site: npt.NDArray[np.integer[Any]],
        mask: npt.NDArray[np.int64],
        bkp: npt.NDArray[np.int64],
        n_sites: int,
    ) -> None:
        span = int(mask.max()) + 1 if len(mask) else 1
        key = site.astype(np.int64) * span + mask
        # (Counted in bins, one per site and mask: a sort of every row would take a second.)
        bins = np.bincount(key, minlength=n_sites * span)
        kept = np.flatnonzero(bins)
        self.count = bins[kept].astype(np.int64)
        del bins
        self.bkp_count = np.bincount(key[bkp > 0], minlength=n_sites * span)[kept]
        self.mask = kept % span
        # Site s has entries first[s] to first[s + 1] - 1.
        self.first = np.searchsorted(kept // span, np.arange(n_sites + 1)).astype(np.int64)
        self._kept: dict[tuple[int, bool], npt.NDArray[np.int64]] = {}

    def per_site(self, mask: int, performs_bkp: bool) -> npt.NDArray[np.int64]:
        key = (mask, performs_bkp)
        counts = self._kept.get(key)
        if counts is None:
            per_entry = self.bkp_count if performs_bkp else self.count
            matched = np.where((self.mask & mask) != 0, per_entry, 0)
            running = np.concatenate([np.zeros(1, np.int64), np.cumsum(matched)])
            counts = running[self.first[1:]] - running[self.first[:-1]]
            if len(self._kept) >= _KEPT_MASKS:
                self._kept.clear()
            self._kept[key] = counts
        return counts


class DirectoryIndex:
    """The sites, places and providers of one directory file, in memory (see the module text)."""

    def __init__(self, providers: pa.Table, locations: pa.Table, places: pa.Table) -> None:
        """Index ``providers`` (every provider, the columns of ``_PROVIDERS_SQL``, in any order),
        their secondary practice ``locations`` with a position (the columns of
        ``_LOCATIONS_SQL``, by place) and every ``place`` (the columns of ``_PLACES_SQL``,
        sorted as it sorts them, else sorted here)."""
        self.mask = _numpy(providers, "specialty_mask", np.int64)
        self.bkp = _numpy(providers, "bkp_key", np.int64)
        self.npi = _numpy(providers, "npi_int", np.int64)
        self.name_text = providers.column("name_text").combine_chunks()
        self.hits = _one_batch(providers.select(list(HIT_COLUMNS)))
        self.loc_place = _numpy(locations, "place", np.int64)
        self.loc_hits = _one_batch(locations.select(list(LOCATION_COLUMNS)))
        # Each place's provider (its row here).
        place_provider = _rows_of(_numpy(providers, "provider_id", np.int64),
                                  _numpy(places, "provider_id", np.int64))  # fmt: skip
        place_no = _numpy(places, "place", np.int64)
        lat = _numpy(places, "lat", np.float64)
        lon = _numpy(places, "lon", np.float64)
        bkp, npi = self.bkp[place_provider], self.npi[place_provider]
        if not _in_order((lat, lon, -bkp, npi, place_no)):  # not sorted as _PLACES_SQL sorts
            order = np.lexsort((place_no, npi, -bkp, lon, lat))
            places = places.take(pa.array(order))
            place_provider, place_no, lat, lon, bkp = (a[order] for a in (
                place_provider, place_no, lat, lon, bkp))  # fmt: skip
        self.sites = _Sites(lat, lon, places)
        n_sites = len(self.sites)
        of_place = self.sites.of_place
        secondary = place_no > 0
        self.place_location = np.full(len(place_no), -1, np.int32)
        self.place_location[secondary] = np.searchsorted(self.loc_place, place_no[secondary])
        self.place_provider = place_provider.astype(np.int32)
        self.place_mask = self.mask[place_provider]
        self.place_bkp = bkp
        # Read one at a time while a page is walked (a memoryview gives Python ints, fast).
        self._provider_at = self.place_provider.data
        self._location_at = self.place_location.data
        self._mask_at = self.place_mask.data
        self._bkp_at = self.place_bkp.data
        self._npi_at = self.npi.data
        self.place_no = place_no
        self._place_at = self.place_no.data
        # Per site, its primary places and its secondary places matching a mask.
        primary = ~secondary
        self.primary_counts = _MaskCounts(of_place[primary], self.place_mask[primary],
                                          self.place_bkp[primary], n_sites)  # fmt: skip
        self.secondary_mask = self.place_mask[secondary]
        self.secondary_bkp = self.place_bkp[secondary]
        self.secondary_counts = _MaskCounts(of_place[secondary], self.secondary_mask,
                                            self.secondary_bkp, n_sites)  # fmt: skip
        # Per site, its secondary places (entries secondary_first[s] to secondary_first[s + 1]
        # - 1 of the arrays below), each with its provider and the provider's primary site.
        primary_site = np.full(len(self.npi), n_sites, np.int64)  # n_sites: no position
        primary_site[place_provider[primary]] = of_place[primary]
        self.secondary_first = np.searchsorted(of_place[secondary], np.arange(n_sites + 1))
        self.secondary_count = np.diff(self.secondary_first)
        self.secondary_provider = place_provider[secondary]
        self.secondary_primary_site = primary_site[self.secondary_provider]

    @classmethod
    def load(cls, conn: duckdb.DuckDBPyConnection) -> DirectoryIndex:
        """Read the index from a connection on the directory (some seconds per million rows)."""
        return cls(
            _arrow(conn, _PROVIDERS_SQL), _arrow(conn, _LOCATIONS_SQL), _arrow(conn, _PLACES_SQL)
        )

    @property
    def providers(self) -> int:
        return len(self.npi)

    @property
    def site_lat(self) -> npt.NDArray[np.float64]:
        return self.sites.lat

    def _matching(
        self, places: npt.NDArray[np.int64], mask: int, performs_bkp: bool
    ) -> npt.NDArray[np.bool_]:
        return _matches(self.place_mask[places], self.place_bkp[places], mask, performs_bkp)

    def _found_only_at_secondary(
        self, sites: npt.NDArray[np.int64], mask: int, performs_bkp: bool
    ) -> int:
        """How many matching providers are in range at a secondary location only (their
        primary location out of range, or without a position)."""
        at = _ranges(self.secondary_first[sites], self.secondary_count[sites])
        at = at[_matches(self.secondary_mask[at], self.secondary_bkp[at], mask, performs_bkp)]
        if not len(at):
            return 0
        in_range = np.zeros(len(self.sites) + 1, bool)  # the last: no primary position
        in_range[sites] = True
        only_here = self.secondary_provider[at[~in_range[self.secondary_primary_site[at]]]]
        # (A set counts a few hundred faster than np.unique, which sorts.)
        return len(set(only_here.tolist())) if len(only_here) < 512 else len(np.unique(only_here))

    def search(
        self,
        lat: float,
        lon: float,
        radius: float,
        mask: int,
        performs_bkp: bool,
        limit: int,
        offset: int,
        name: str | None = None,
        sort: str = "distance",
        build_rows: bool = True,
    ) -> IndexPage:
        """The providers whose specialty mask meets ``mask`` within ``radius`` miles of the point
        (at their primary or a secondary practice location, each once, at the nearest), ordered
        as the SQL search orders them. ``name``, lower-case, must be part of the provider's name
        text (``NAME_TEXT_SQL``). ``sort`` "volume" orders by BKP services first (most first,
        none last), then distance, then NPI. With ``build_rows`` false the page comes as
        :class:`PagePicks` only (for a caller that renders the hits itself)."""
        sites, dot = self.sites.in_range(lat, lon, radius, unit_vector(lat, lon))
        if name is not None or sort == "volume":
            total, page = self._ranked(sites, dot, mask, performs_bkp, name, sort, limit, offset)
        else:
            per_site = self.primary_counts.per_site(mask, performs_bkp)[sites]
            total = int(per_site.sum())
            live = per_site > 0  # the sites with a match: the walk visits no other
            if len(self.secondary_provider):
                secondary = self.secondary_counts.per_site(mask, performs_bkp)[sites]
                total += self._found_only_at_secondary(sites, mask, performs_bkp)
                live |= secondary > 0
            if total <= offset:
                return IndexPage(total, [])
            sites, dot = sites[live], dot[live]
            order = np.argsort(-dot, kind="stable")
            walked = self._walk(sites[order].tolist(), dot[order].tolist(), mask,
                                performs_bkp, offset + limit)  # fmt: skip
            page = walked[offset:]
        picks = self._ordered(lat, lon, page, sort)
        return IndexPage(total, self.page_rows(picks) if build_rows else [], picks)

    def _walk(
        self, sites: list[int], dots: list[float], mask: int, performs_bkp: bool, wanted: int
    ) -> list[int]:
        """The first ``wanted`` places of distinct matching providers, walking ``sites`` in
        their order (nearest first), each site's places in the index's tie order; sites with
        the very same dot product are walked as one, their places merged in that order."""
        first, provider_at, mask_at, bkp_at = self.sites.first_at, self._provider_at, \
            self._mask_at, self._bkp_at  # fmt: skip
        picked: list[int] = []
        seen: set[int] = set()
        i, n = 0, len(sites)
        while i < n:
            j = i + 1
            while j < n and dots[j] == dots[i]:
                j += 1
            places: Iterable[int]
            if j > i + 1:  # a tie between sites: rare
                places = sorted((p for s in sites[i:j] for p in range(first[s], first[s + 1])),
                                key=self._tie_key)  # fmt: skip
            else:
                start, end = first[sites[i]], first[sites[i] + 1]
                places = range(start, end)
                if end - start > _SMALL_SITE:  # the matching places, found in numpy
                    keep = _matches(self.place_mask[start:end], self.place_bkp[start:end],
                                    mask, performs_bkp)  # fmt: skip
                    places = (np.flatnonzero(keep) + start).tolist()
            for p in places:
                if mask_at[p] & mask and (bkp_at[p] > 0 or not performs_bkp):
                    provider = provider_at[p]
                    if provider not in seen:
                        seen.add(provider)
                        picked.append(p)
                        if len(picked) == wanted:
                            return picked
            i = j
        return picked

    def _tie_key(self, place: int) -> tuple[int, int, int]:
        """A place's rank within its site: most BKP services first, then NPI, then place."""
        return (-self._bkp_at[place], self._npi_at[self._provider_at[place]],
                self._place_at[place])  # fmt: skip

    def _ranked(
        self,
        sites: npt.NDArray[np.int64],
        dot: npt.NDArray[np.float64],
        mask: int,
        performs_bkp: bool,
        name: str | None,
        sort: str,
        limit: int,
        offset: int,
    ) -> tuple[int, list[int]]:
        """The total and the page's places of a search by name or by volume: every candidate
        (each provider once, at its nearest place, the lowest place on a tie), ranked."""
        places, place_dot = self.sites.places(sites, dot)
        keep = self._matching(places, mask, performs_bkp)
        places, place_dot = places[keep], place_dot[keep]
        provider = self.place_provider[places]
        if np.any(self.place_location[places] >= 0):  # a provider may be there twice
            place_no = self.place_no[places]
            order = np.lexsort((place_no, -place_dot, provider))
            places, place_dot, provider = places[order], place_dot[order], provider[order]
            first = np.ones(len(provider), bool)
            first[1:] = provider[1:] != provider[:-1]
            places, place_dot, provider = places[first], place_dot[first], provider[first]
        if name is not None and len(places):
            found = pc.match_substring(self.name_text.take(pa.array(provider)), name)
            named = np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False))
            places, place_dot, provider = places[named], place_dot[named], provider[named]
        bkp, npi = self.bkp[provider], self.npi[provider]
        if sort == "volume":
            ranked = np.lexsort((npi, -place_dot, -bkp))
        else:
            ranked = np.lexsort((npi, -bkp, -place_dot))
        return len(places), places[ranked[offset : offset + limit]].tolist()

    def _ordered(self, lat: float, lon: float, page: list[int], sort: str) -> PagePicks:
        """The page's places as picks, with their distances, in the SQL's final order: by the
        distance itself (two dot products a hair apart can round to one distance), then most
        BKP services first (none last), then NPI; or, by volume, BKP services, distance, NPI."""
        if not page:
            return PagePicks.empty()
        sites = self.sites
        of_place, lat_at, lon_at, cos_at = sites.of_place_at, sites.lat_floats, \
            sites.lon_floats, sites.cos_lat  # fmt: skip
        cos_lat = math.cos(math.radians(lat))
        known: dict[int, float] = {}  # each distance once per site (a page shares a few)
        provider_at, location_at, bkp_at, npi_at = self._provider_at, self._location_at, \
            self._bkp_at, self._npi_at  # fmt: skip
        rows = [provider_at[p] for p in page]
        location = [location_at[p] for p in page]
        distance = []
        # The page comes nearest site first: by distance already, unless two of its sites are
        # at one distance (or, a hair apart, out of order), or it is ordered by volume.
        in_order, last, miles = sort != "volume", -1, -1.0
        for s in [of_place[p] for p in page]:
            if s != last:
                site_miles = known.get(s)
                if site_miles is None:
                    site_miles = known[s] = _haversine(lat, lon, cos_lat, lat_at[s], lon_at[s],
                                                       cos_at[s])  # fmt: skip
                in_order = in_order and site_miles > miles
                last, miles = s, site_miles
            distance.append(miles)
        if in_order:
            return PagePicks(rows, distance, location)
        fewer_bkp = [-bkp_at[p] for p in page]
        npi = [npi_at[r] for r in rows]
        first, second = (fewer_bkp, distance) if sort == "volume" else (distance, fewer_bkp)
        keys = list(zip(first, second, npi, strict=True))
        order = sorted(range(len(page)), key=keys.__getitem__)
        return PagePicks([rows[i] for i in order], [distance[i] for i in order],
                         [location[i] for i in order])  # fmt: skip

    def page_rows(self, picks: PagePicks) -> list[tuple[Any, ...]]:
        """The picked providers as :class:`IndexPage` rows, in the picks' order."""
        if not picks.rows:
            return []
        # Column by column, then zipped into rows in C: a Python loop over the page's rows,
        # building each one, was the search's largest cost.
        taken = self.hits.take(pa.array(picks.rows, pa.int64()))
        columns = [taken.column(c).to_pylist() for c in HIT_COLUMNS]
        place = [0] * len(picks.rows)
        secondary = [i for i, j in enumerate(picks.location) if j >= 0]
        if secondary:  # shown at a secondary location: its address and phone
            at = [picks.location[i] for i in secondary]
            loc = self.loc_hits.take(pa.array(at, pa.int64()))
            for name, shown in zip(LOCATION_COLUMNS, loc.columns, strict=True):
                column = columns[HIT_COLUMNS.index(name)]
                for i, value in zip(secondary, shown.to_pylist(), strict=True):
                    column[i] = value
            for i, j in zip(secondary, at, strict=True):
                place[i] = int(self.loc_place[j])
        return list(zip(*columns[:12], picks.distance, columns[12], place, strict=True))


def _matches(
    masks: npt.NDArray[np.int64], bkp: npt.NDArray[np.int64], mask: int, performs_bkp: bool
) -> npt.NDArray[np.bool_]:
    """Which places, by their providers' specialty ``masks`` and ``bkp`` keys, match ``mask``
    (and have BKP services, if ``performs_bkp``)."""
    keep: npt.NDArray[np.bool_] = (masks & mask) != 0
    if performs_bkp:
        keep &= bkp > 0
    return keep


def _rows_of(ids: npt.NDArray[np.int64], wanted: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The rows of ``ids`` that hold the ``wanted`` ids (each one of them)."""
    if not len(ids):
        return np.zeros(0, np.int64)
    if ids[0] == 0 and ids[-1] == len(ids) - 1 and _in_order([ids]):  # 0, 1, 2...: the rows
        return wanted
    order = np.argsort(ids, kind="stable")
    return order[np.searchsorted(ids, wanted, sorter=order)]


def _ranges(
    starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64], total: int | None = None
) -> npt.NDArray[np.int64]:
    """The integers of the ranges ``[start, start + length)``, one after another."""
    n = int(lengths.sum()) if total is None else total
    if n == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(n, dtype=np.int64)
