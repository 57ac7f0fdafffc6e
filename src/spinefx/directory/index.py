"""An in-memory index of the directory for radius search in well under a millisecond.

Every provider sits on its ZIP code's centroid, so providers group into *sites*: the distinct
centroids (some 30,000 ZIP codes with providers nationally). The index holds the sites sorted by
latitude, with their unit vectors, and the providers in site order (then most BKP services
first, then NPI), each with its specialty mask, BKP services and NPI, plus the columns a result
shows. A search is then:

1. the sites in the query's latitude band (two binary searches), kept by the longitude box and
   by the same dot-product test the SQL query makes (the haversine itself only within a hair of
   the edge);
2. the exact count of matching providers from per-site counts of each specialty mask (a site's
   providers are not touched to count them);
3. the page: the nearest sites, in dot-product order, until they hold ``offset + limit``
   matching providers (and every site tied with the last one), sorted by dot product, BKP
   services and NPI exactly as the SQL orders them.

The results, their order and their distances are those of the SQL query
(:func:`spinefx.directory.search.search_sql`) to the last bit; a test compares both.

Loading reads the providers once (some seconds and some 180 MB for a million providers), so
it is done once per open database file, by whoever owns the handle (the web app at start-up).
"""

from __future__ import annotations

import bisect
import math
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

# The providers, in the order they are stored: the ingest stores them by site (latitude, then
# longitude; those without one last), then most BKP services first, then NPI: the index's order.
_ROWS_SQL = f"""
    SELECT lat, lon, ux, uy, uz, specialty_mask, coalesce(bkp_services, {_NO_BKP}) AS bkp_key,
           npi_int, {", ".join(HIT_COLUMNS)}, {NAME_TEXT_SQL} AS name_text
    FROM providers WHERE lat IS {{}} NULL
"""
# The secondary practice locations with a position, of providers in the directory; ``place`` is
# the row's number plus one (0 is the primary location), the SQL search's tie-break.
_LOCATIONS_SQL = """
    SELECT l.rowid + 1 AS place, l.npi, l.lat, l.lon, l.ux, l.uy, l.uz,
           l.address, l.city, l.state, l.zip, l.phone
    FROM locations l SEMI JOIN providers p ON p.npi = l.npi
    WHERE l.lat IS NOT NULL
    ORDER BY l.lat, l.lon, place
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


def _numpy(
    table: pa.Table, name: str, dtype: type[Any], rows: pa.Array | None = None
) -> npt.NDArray[Any]:
    """A column (or its ``rows``) as a numpy array. (One chunk first: a chunked column's own
    ``to_numpy`` goes through pandas, importing it, about a second, where it is installed.)"""
    column = table.column(name)
    array = column.take(rows) if rows is not None else column
    return np.ascontiguousarray(array.combine_chunks().to_numpy(zero_copy_only=False), dtype=dtype)


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    """The table as one record batch: a page's take from it costs a third less than from a
    table (a take from a table of many chunks cost 30 ms)."""
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns],
                                      schema=table.schema)  # fmt: skip


def _in_order(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    bkp: npt.NDArray[np.int64],
    npi: npt.NDArray[np.int64],
) -> bool:
    """Whether the rows are sorted by latitude, longitude, BKP services (most first), NPI."""
    if len(lat) < 2:
        return True
    a, b = slice(1, None), slice(None, -1)
    later = (lat[a] > lat[b]) | (
        (lat[a] == lat[b])
        & (
            (lon[a] > lon[b])
            | ((lon[a] == lon[b]) & ((bkp[a] < bkp[b]) | ((bkp[a] == bkp[b]) & (npi[a] > npi[b]))))
        )
    )
    return bool(later.all())


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
    """Distinct ZIP centroids of rows sorted by latitude then longitude: site ``s`` holds rows
    ``first[s]`` to ``first[s + 1] - 1``."""

    def __init__(self, rows: pa.Table, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]):
        n = len(lat)
        change = np.ones(n, bool)
        if n:
            change[1:] = (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
        starts = np.flatnonzero(change)
        self.first = np.append(starts, n).astype(np.int64)
        self.lat = lat[starts]
        self.lon = lon[starts]
        taken = pa.array(starts)
        self.ux = _numpy(rows, "ux", np.float64, taken)
        self.uy = _numpy(rows, "uy", np.float64, taken)
        self.uz = _numpy(rows, "uz", np.float64, taken)
        self.of_row = np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(self.first))
        # The same as Python floats, with each latitude's cosine, for the page's distances (a
        # numpy scalar costs more to read than the haversine's arithmetic).
        self.lat_floats: list[float] = self.lat.tolist()
        self.lon_floats: list[float] = self.lon.tolist()
        self.cos_lat: list[float] = [math.cos(math.radians(x)) for x in self.lat_floats]

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

    def rows(
        self, sites: npt.NDArray[np.int64], dot: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The rows of ``sites``, each with its site's dot product."""
        lengths = self.first[sites + 1] - self.first[sites]
        return _ranges(self.first[sites], lengths), np.repeat(dot, lengths)


class DirectoryIndex:
    """The sites and providers of one directory file, held in memory (see the module text)."""

    def __init__(self, rows: pa.Table, unlocated: pa.Table | None = None,
                 locations: pa.Table | None = None) -> None:  # fmt: skip
        """Index ``rows`` (the providers with a position, the columns of ``_ROWS_SQL``, in any
        order), ``unlocated`` (those without one) and ``locations`` (their secondary practice
        locations, the columns of ``_LOCATIONS_SQL``)."""
        lat = _numpy(rows, "lat", np.float64)
        lon = _numpy(rows, "lon", np.float64)
        mask = _numpy(rows, "specialty_mask", np.int64)
        bkp = _numpy(rows, "bkp_key", np.int64)
        npi = _numpy(rows, "npi_int", np.int64)
        if not _in_order(lat, lon, bkp, npi):  # not stored in the index's order
            order = np.lexsort((npi, -bkp, lon, lat))
            lat, lon, mask, bkp, npi = (a[order] for a in (lat, lon, mask, bkp, npi))
            rows = rows.take(pa.array(order))
        self.located = len(lat)
        self.sites = _Sites(rows, lat, lon)
        # Every provider: those with a position first (by site), then those without.
        everyone = rows.select([*HIT_COLUMNS, "name_text", "specialty_mask", "bkp_key", "npi_int"])
        if unlocated is not None and unlocated.num_rows:
            everyone = pa.concat_tables([everyone, unlocated.select(everyone.column_names)])
        self.mask = _numpy(everyone, "specialty_mask", np.int64)
        self.bkp = _numpy(everyone, "bkp_key", np.int64)
        self.npi = _numpy(everyone, "npi_int", np.int64)
        self.name_text = everyone.column("name_text").combine_chunks()
        self.hits = _one_batch(everyone.select(list(HIT_COLUMNS)))
        n_sites = len(self.sites)
        # Per site, each distinct specialty mask with its count of providers, of all and of
        # those with BKP services: entries mask_first[s] to mask_first[s + 1] - 1.
        located_mask, located_bkp = self.mask[: self.located], self.bkp[: self.located]
        span = int(self.mask.max()) + 1 if len(self.mask) else 1
        key = self.sites.of_row * span + located_mask
        # (Counted in bins, one per site and mask: a sort of every row would take a second.)
        bins = np.bincount(key, minlength=n_sites * span)
        keys = np.flatnonzero(bins)
        counts = bins[keys]
        bkp_counts = np.bincount(key[located_bkp > 0], minlength=n_sites * span)[keys]
        del bins
        self.entry_mask = keys % span
        self.entry_count = counts.astype(np.int64)
        self.entry_bkp_count = bkp_counts
        self.mask_first = np.searchsorted(keys // span, np.arange(n_sites + 1)).astype(np.int64)
        self._counts: dict[tuple[int, bool], npt.NDArray[np.int64]] = {}  # see _site_counts
        # Secondary practice locations: their own sites, each row with its provider's row.
        self.loc_sites: _Sites | None = None
        if locations is not None and locations.num_rows:
            loc_lat = _numpy(locations, "lat", np.float64)
            loc_lon = _numpy(locations, "lon", np.float64)
            self.loc_sites = _Sites(locations, loc_lat, loc_lon)
            where = pc.index_in(locations.column("npi"), value_set=self.hits.column("npi"))
            self.loc_provider = _numpy(pa.Table.from_arrays([where], ["r"]), "r", np.int64)
            self.loc_place = _numpy(locations, "place", np.int64)
            self.loc_hits = _one_batch(locations.select(list(LOCATION_COLUMNS)))

    @classmethod
    def load(cls, conn: duckdb.DuckDBPyConnection) -> DirectoryIndex:
        """Read the index from a connection on the directory (some seconds per million rows)."""
        return cls(
            _arrow(conn, _ROWS_SQL.format("NOT")),
            _arrow(conn, _ROWS_SQL.format("")),
            _arrow(conn, _LOCATIONS_SQL),
        )

    @property
    def providers(self) -> int:
        return len(self.npi)

    @property
    def site_lat(self) -> npt.NDArray[np.float64]:
        return self.sites.lat

    def _matching(
        self, rows: npt.NDArray[np.int64], mask: int, performs_bkp: bool
    ) -> npt.NDArray[np.bool_]:
        keep: npt.NDArray[np.bool_] = (self.mask[rows] & mask) != 0
        if performs_bkp:
            keep &= self.bkp[rows] > 0
        return keep

    def _site_counts(self, mask: int, performs_bkp: bool) -> npt.NDArray[np.int64]:
        """Per site, its providers whose specialty mask meets ``mask`` (with BKP services, if
        ``performs_bkp``): summed from the site's mask entries once per mask asked for, and
        kept (a few masks are asked for: the default specialties, one or two chosen)."""
        key = (mask, performs_bkp)
        counts = self._counts.get(key)
        if counts is None:
            per_entry = self.entry_bkp_count if performs_bkp else self.entry_count
            matched = np.where((self.entry_mask & mask) != 0, per_entry, 0)
            running = np.concatenate([np.zeros(1, np.int64), np.cumsum(matched)])
            counts = running[self.mask_first[1:]] - running[self.mask_first[:-1]]
            if len(self._counts) >= _KEPT_MASKS:
                self._counts.clear()
            self._counts[key] = counts
        return counts

    def _secondary(
        self,
        lat: float,
        lon: float,
        radius: float,
        q: tuple[float, float, float],
        mask: int,
        performs_bkp: bool,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The secondary location rows in range whose provider matches, with dot products."""
        if self.loc_sites is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        sites, dot = self.loc_sites.in_range(lat, lon, radius, q)
        rows, row_dot = self.loc_sites.rows(sites, dot)
        keep = self._matching(self.loc_provider[rows], mask, performs_bkp)
        return rows[keep], row_dot[keep]

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
        q = unit_vector(lat, lon)
        sites, dot = self.sites.in_range(lat, lon, radius, q)
        loc_rows, loc_dot = self._secondary(lat, lon, radius, q, mask, performs_bkp)
        if name is not None or sort == "volume":
            rows, row_dot = self.sites.rows(sites, dot)
            keep = self._matching(rows, mask, performs_bkp)
            rows, row_dot = rows[keep], row_dot[keep]
            candidates = self._candidates(rows, row_dot, loc_rows, loc_dot)
            if name is not None and len(candidates[0]):
                found = pc.match_substring(self.name_text.take(pa.array(candidates[0])), name)
                named = np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False))
                candidates = (candidates[0][named], candidates[1][named], candidates[2][named])
            total = len(candidates[0])
            return self._finish(total, lat, lon, candidates, limit, offset, sort, build_rows)
        # Count from each site's matching providers, then add the providers found only at a
        # secondary location.
        per_site = self._site_counts(mask, performs_bkp)[sites]
        primary_total = int(per_site.sum())
        total = primary_total
        if len(loc_rows):
            in_range = np.zeros(len(self.sites) + 1, bool)  # the last: no primary position
            in_range[sites] = True
            provider = self.loc_provider[loc_rows]
            site_of = np.where(provider < self.located, self.sites.of_row[
                np.minimum(provider, max(self.located - 1, 0))], len(self.sites))  # fmt: skip
            only_here = provider[~in_range[site_of]]
            # (A set counts a few hundred faster than np.unique, which sorts.)
            total += len(set(only_here.tolist())) if len(only_here) < 512 else len(
                np.unique(only_here))  # fmt: skip
        wanted = offset + limit
        if total <= offset:
            return IndexPage(total, [])
        # The nearest sites (largest dot product first) holding the page, and their ties; every
        # provider of the page is at one of them or at a secondary location at least as near.
        near = np.flatnonzero(per_site > 0)
        cutoff = -np.inf
        if primary_total >= wanted:
            order = np.argsort(-dot, kind="stable")
            held = np.cumsum(per_site[order])
            cutoff = dot[order[int(np.searchsorted(held, wanted, side="left"))]]
            near = near[dot[near] >= cutoff]
        rows, row_dot = self.sites.rows(sites[near], dot[near])
        keep = self._matching(rows, mask, performs_bkp)
        rows, row_dot = rows[keep], row_dot[keep]
        close = loc_dot >= cutoff
        candidates = self._candidates(rows, row_dot, loc_rows[close], loc_dot[close])
        return self._finish(total, lat, lon, candidates, limit, offset, sort, build_rows)

    def _candidates(
        self,
        rows: npt.NDArray[np.int64],
        row_dot: npt.NDArray[np.float64],
        loc_rows: npt.NDArray[np.int64],
        loc_dot: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """Each provider once, at its nearest place (the primary location first on a tie, then
        the lowest place): (provider rows, dot products, secondary location rows or -1)."""
        if not len(loc_rows):
            return rows, row_dot, np.full(len(rows), -1, np.int64)
        provider = np.concatenate([rows, self.loc_provider[loc_rows]])
        dots = np.concatenate([row_dot, loc_dot])
        place = np.concatenate([np.zeros(len(rows), np.int64), self.loc_place[loc_rows]])
        where = np.concatenate([np.full(len(rows), -1, np.int64), loc_rows])
        order = np.lexsort((place, -dots, provider))
        provider, dots, where = provider[order], dots[order], where[order]
        first = np.ones(len(provider), bool)
        first[1:] = provider[1:] != provider[:-1]
        return provider[first], dots[first], where[first]

    def _finish(
        self,
        total: int,
        lat: float,
        lon: float,
        candidates: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]],
        limit: int,
        offset: int,
        sort: str,
        build_rows: bool,
    ) -> IndexPage:
        picks = self._picks(lat, lon, *candidates, limit, offset, sort)
        return IndexPage(total, self.page_rows(picks) if build_rows else [], picks)

    def _picks(
        self,
        lat: float,
        lon: float,
        rows: npt.NDArray[np.int64],
        row_dot: npt.NDArray[np.float64],
        where: npt.NDArray[np.int64],
        limit: int,
        offset: int,
        sort: str = "distance",
    ) -> PagePicks:
        """Candidates ``offset`` to ``offset + limit - 1`` in the search's order: by dot product
        (the distance's order), BKP services and NPI, then by the distance itself (two dot
        products a hair apart can round to one distance), as the SQL orders them."""
        if sort == "volume":
            ranked = np.lexsort((self.npi[rows], -row_dot, -self.bkp[rows]))
        else:
            ranked = np.lexsort((self.npi[rows], -self.bkp[rows], -row_dot))
        chosen = ranked[offset : offset + limit]
        page, at = rows[chosen], where[chosen]
        if not len(page):
            return PagePicks.empty()
        # Each distance once per site (a page's providers share a few sites), at the primary
        # location's site or at the secondary location's.
        sites = self.sites
        site_of = sites.of_row[np.minimum(page, max(self.located - 1, 0))].tolist()
        cos_lat = math.cos(math.radians(lat))
        known: dict[int, float] = {}
        distance = []
        for s in site_of:
            miles = known.get(s)
            if miles is None:
                miles = known[s] = _haversine(lat, lon, cos_lat, sites.lat_floats[s],
                                              sites.lon_floats[s], sites.cos_lat[s])  # fmt: skip
            distance.append(miles)
        secondary = np.flatnonzero(at >= 0)
        if len(secondary):  # shown at a secondary location: the distance to it
            loc = self.loc_sites
            assert loc is not None  # a secondary location implies its sites
            for i, s in zip(secondary.tolist(), loc.of_row[at[secondary]].tolist(), strict=True):
                distance[i] = _haversine(lat, lon, cos_lat, loc.lat_floats[s], loc.lon_floats[s],
                                         loc.cos_lat[s])  # fmt: skip
        # By the distance itself, then most BKP services first (none, -1, last), then NPI; or,
        # by volume, BKP services, distance, NPI. Stable, as the SQL's order is total.
        distances = np.array(distance)
        fewer_bkp, npi = -self.bkp[page], self.npi[page]
        keys = (npi, distances, fewer_bkp) if sort == "volume" else (npi, fewer_bkp, distances)
        order = np.lexsort(keys)
        return PagePicks(page[order].tolist(), distances[order].tolist(), at[order].tolist())

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


def _ranges(
    starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64], total: int | None = None
) -> npt.NDArray[np.int64]:
    """The integers of the ranges ``[start, start + length)``, one after another."""
    n = int(lengths.sum()) if total is None else total
    if n == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(n, dtype=np.int64)
