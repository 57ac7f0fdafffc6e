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

Loading reads the providers once (about a second and some 180 MB for a million providers), so
it is done once per open database file, by whoever owns the handle (the web app at start-up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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
_NO_BKP = -1  # the BKP key of a provider without Medicare volume (sorts after every count)

# The providers with a location, in the order they are stored: the ingest stores them by site
# (latitude, longitude), then most BKP services first, then NPI, which is the index's order.
_ROWS_SQL = f"""
    SELECT lat, lon, ux, uy, uz, specialty_mask, coalesce(bkp_services, {_NO_BKP}) AS bkp_key,
           npi_int, {", ".join(HIT_COLUMNS)}, {NAME_TEXT_SQL} AS name_text
    FROM providers WHERE lat IS NOT NULL
"""


def sql_haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The haversine distance in miles, with the very operations, in the same order, of the SQL
    expression in :mod:`spinefx.directory.search` (so both give the same bits)."""
    a = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + math.cos(math.radians(lat1))
        * math.cos(math.radians(lat2))
        * math.sin(math.radians(lon2 - lon1) / 2) ** 2
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
class IndexPage:
    """One search's exact total and its page: rows of :data:`HIT_COLUMNS` with the distance."""

    total: int
    rows: list[tuple[Any, ...]]


class DirectoryIndex:
    """The sites and providers of one directory file, held in memory (see the module text)."""

    def __init__(self, rows: pa.Table) -> None:
        """Index ``rows`` (the columns of ``_ROWS_SQL``), in any order."""
        lat = _numpy(rows, "lat", np.float64)
        lon = _numpy(rows, "lon", np.float64)
        self.mask = _numpy(rows, "specialty_mask", np.int64)
        self.bkp = _numpy(rows, "bkp_key", np.int64)
        self.npi = _numpy(rows, "npi_int", np.int64)
        hits = rows.select([*HIT_COLUMNS, "name_text"])
        if not _in_order(lat, lon, self.bkp, self.npi):  # not stored in the index's order
            order = np.lexsort((self.npi, -self.bkp, lon, lat))
            lat, lon, self.mask, self.bkp, self.npi = (
                a[order] for a in (lat, lon, self.mask, self.bkp, self.npi)
            )
            rows = rows.take(pa.array(order))
            hits = rows.select([*HIT_COLUMNS, "name_text"])
        self.name_text = hits.column("name_text").combine_chunks()
        self.hits = hits.select(list(HIT_COLUMNS)).combine_chunks()  # a take from many chunks
        # costs 30 ms
        n = len(lat)
        # A site starts where the latitude or the longitude changes; site s holds the rows
        # first[s] to first[s + 1] - 1.
        change = np.ones(n, bool)
        if n:
            change[1:] = (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
        starts = np.flatnonzero(change)
        self.first = np.append(starts, n).astype(np.int64)
        self.site_lat = lat[starts]
        self.site_lon = lon[starts]
        taken = pa.array(starts)
        self.site_ux = _numpy(rows, "ux", np.float64, taken)
        self.site_uy = _numpy(rows, "uy", np.float64, taken)
        self.site_uz = _numpy(rows, "uz", np.float64, taken)
        n_sites = len(starts)
        site = np.repeat(np.arange(n_sites, dtype=np.int64), np.diff(self.first))
        # Per site, each distinct specialty mask with its count of providers, of all and of
        # those with BKP services: entries mask_first[s] to mask_first[s + 1] - 1.
        span = int(self.mask.max()) + 1 if n else 1
        key = site * span + self.mask
        # (Counted in bins, one per site and mask: a sort of every row would take a second.)
        bins = np.bincount(key, minlength=n_sites * span)
        keys = np.flatnonzero(bins)
        counts = bins[keys]
        bkp_counts = np.bincount(key[self.bkp > 0], minlength=n_sites * span)[keys]
        del bins
        self.entry_mask = keys % span
        self.entry_count = counts.astype(np.int64)
        self.entry_bkp_count = bkp_counts
        self.mask_first = np.searchsorted(keys // span, np.arange(n_sites + 1)).astype(np.int64)

    @classmethod
    def load(cls, conn: duckdb.DuckDBPyConnection) -> DirectoryIndex:
        """Read the index from a connection on the directory (about a second per million)."""
        return cls(_arrow(conn, _ROWS_SQL))

    @property
    def providers(self) -> int:
        return len(self.npi)

    def _sites_in_range(
        self,
        lat: float,
        lon: float,
        radius: float,
        dot_inside: float,
        dot_outside: float,
        q: tuple[float, float, float],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The sites within ``radius`` miles, with their dot products."""
        box = bounding_box(lat, lon, radius)
        low = int(np.searchsorted(self.site_lat, box[0], side="left"))
        high = int(np.searchsorted(self.site_lat, box[1], side="right"))
        sites = np.arange(low, high, dtype=np.int64)
        if lon_bounds_useful(box):
            lons = self.site_lon[low:high]
            sites = sites[(lons >= box[2]) & (lons <= box[3])]
        dot = self.site_ux[sites] * q[0] + self.site_uy[sites] * q[1] + self.site_uz[sites] * q[2]
        inside = dot >= dot_inside
        edge = np.flatnonzero(~inside & (dot >= dot_outside))
        for i in edge:  # within a millionth of a mile of the edge: the haversine decides
            s = sites[i]
            if sql_haversine(lat, lon, float(self.site_lat[s]), float(self.site_lon[s])) <= radius:
                inside[i] = True
        return sites[inside], dot[inside]

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
    ) -> IndexPage:
        """The providers whose specialty mask meets ``mask`` within ``radius`` miles of the point,
        ordered as the SQL search orders them; ``rows`` are the page's hit columns and distance,
        nearest first (then most BKP services, then NPI). ``name``, lower-case, must be part of
        the provider's name text (``NAME_TEXT_SQL``). ``sort`` "volume" orders by BKP services
        first (most first, none last), then distance, then NPI."""
        qx, qy, qz = unit_vector(lat, lon)
        angle = radius / EARTH_RADIUS_MILES
        dot_inside = math.cos(max(0.0, angle - _EDGE_MILES / EARTH_RADIUS_MILES))
        dot_outside = math.cos(angle + _EDGE_MILES / EARTH_RADIUS_MILES)
        sites, dot = self._sites_in_range(lat, lon, radius, dot_inside, dot_outside, (qx, qy, qz))
        if name is not None or sort == "volume":
            return self._search_rows(
                lat, lon, sites, dot, mask, performs_bkp, limit, offset, name, sort
            )
        # Count from the per-site mask entries.
        starts, ends = self.mask_first[sites], self.mask_first[sites + 1]
        lengths = ends - starts
        n_entries = int(lengths.sum())
        if n_entries == 0:
            return IndexPage(0, [])
        entries = _ranges(starts, lengths, n_entries)
        counts = self.entry_bkp_count if performs_bkp else self.entry_count
        matched = np.where((self.entry_mask[entries] & mask) != 0, counts[entries], 0)
        per_site = np.add.reduceat(matched, np.cumsum(lengths) - lengths)  # every site has one
        total = int(per_site.sum())
        wanted = offset + limit
        if total <= offset:
            return IndexPage(total, [])
        # The nearest sites (largest dot product first) holding the page, and their ties.
        order = np.argsort(-dot, kind="stable")
        held = np.cumsum(per_site[order])
        last = int(np.searchsorted(held, min(wanted, total), side="left"))
        cutoff = dot[order[last]]
        near = order[: last + 1]
        ties = np.flatnonzero(dot == cutoff)
        near = np.union1d(near, ties)
        near = near[per_site[near] > 0]
        site_ids = sites[near]
        rows = _ranges(self.first[site_ids], self.first[site_ids + 1] - self.first[site_ids])
        row_dot = np.repeat(dot[near], self.first[site_ids + 1] - self.first[site_ids])
        keep = (self.mask[rows] & mask) != 0
        if performs_bkp:
            keep &= self.bkp[rows] > 0
        rows, row_dot = rows[keep], row_dot[keep]
        return IndexPage(total, self._page(lat, lon, rows, row_dot, limit, offset))

    def _search_rows(
        self,
        lat: float,
        lon: float,
        sites: npt.NDArray[np.int64],
        dot: npt.NDArray[np.float64],
        mask: int,
        performs_bkp: bool,
        limit: int,
        offset: int,
        name: str | None,
        sort: str,
    ) -> IndexPage:
        """:meth:`search` with a name or by volume: every provider in range is looked at."""
        lengths = self.first[sites + 1] - self.first[sites]
        rows = _ranges(self.first[sites], lengths)
        row_dot = np.repeat(dot, lengths)
        keep = (self.mask[rows] & mask) != 0
        if performs_bkp:
            keep &= self.bkp[rows] > 0
        rows, row_dot = rows[keep], row_dot[keep]
        if len(rows) and name is not None:
            found = pc.match_substring(self.name_text.take(pa.array(rows)), name)
            named = np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), bool)
            rows, row_dot = rows[named], row_dot[named]
        return IndexPage(len(rows), self._page(lat, lon, rows, row_dot, limit, offset, sort))

    def _page(
        self,
        lat: float,
        lon: float,
        rows: npt.NDArray[np.int64],
        row_dot: npt.NDArray[np.float64],
        limit: int,
        offset: int,
        sort: str = "distance",
    ) -> list[tuple[Any, ...]]:
        """Rows ``offset`` to ``offset + limit - 1`` of ``rows`` in the search's order, as hit
        columns with the distance (index 12) and the other names (13), nearest first."""
        if sort == "volume":
            ranked = np.lexsort((self.npi[rows], -row_dot, -self.bkp[rows]))
        else:
            ranked = np.lexsort((self.npi[rows], -self.bkp[rows], -row_dot))
        page = rows[ranked[offset : offset + limit]]
        if not len(page):
            return []
        columns = self.hits.take(pa.array(page)).to_pydict()
        site_of = np.searchsorted(self.first, page, side="right") - 1
        distance: dict[int, float] = {}
        for s in site_of.tolist():
            if s not in distance:
                distance[s] = sql_haversine(
                    lat, lon, float(self.site_lat[s]), float(self.site_lon[s])
                )
        values = [columns[c] for c in HIT_COLUMNS]
        out = [
            (*row[:12], distance[s], row[12])
            for row, s in zip(zip(*values, strict=True), site_of.tolist(), strict=True)
        ]
        if sort == "volume":
            out.sort(key=lambda r: (r[10] is None, -(r[10] or 0), r[12], r[0]))
        else:
            out.sort(key=lambda r: (r[12], r[10] is None, -(r[10] or 0), r[0]))
        return out


def _ranges(
    starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64], total: int | None = None
) -> npt.NDArray[np.int64]:
    """The integers of the ranges ``[start, start + length)``, one after another."""
    n = int(lengths.sum()) if total is None else total
    if n == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(n, dtype=np.int64)
