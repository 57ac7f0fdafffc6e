"""ZIP code geography: ZIP -> centroid, great-circle distance and "did you mean" suggestions.

Centroids come from the ``zipcodes`` package, which embeds every US ZIP code with its latitude
and longitude (no network, no data files). Military ZIP codes carry no position there, so they
count as having no location.

>>> round(haversine_miles(42.3647, -71.1042, 40.7506, -73.9972), 1)  # 02139 to 10001
186.6
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc
import zipcodes

from spinefx.errors import InputError

__all__ = [
    "EARTH_RADIUS_MILES",
    "ZIP_PATTERN",
    "Centroid",
    "UnknownZip",
    "ZipLocator",
    "bounding_box",
    "centroid",
    "centroid_table",
    "forget_zip_table",
    "haversine_miles",
    "load_zip_table",
    "lon_bounds_useful",
    "normalize_zip",
    "offset_miles",
    "parse_zip",
    "suggest_zips",
    "unit_vector",
    "zip_cache_file",
]

EARTH_RADIUS_MILES = 3958.8
# The package is untyped: give its two functions the types they have.
zip_rows: Callable[[], list[dict[str, Any]]] = zipcodes.list_all
_similar_to: Callable[[str], list[dict[str, Any]]] = zipcodes.similar_to

_ZIP5 = re.compile(r"^[0-9]{5}$")
# What people type for a ZIP code: five digits, ZIP+4 (with a dash, a space or nothing), or a
# ZIP whose leading zeros a spreadsheet dropped (2139 for 02139), with spaces, tabs or line
# ends around it. ASCII digits only.
_ZIP_SPACE = " \t\r\n"
_ZIP_TYPED = re.compile(r"^(?P<zip>[0-9]{3,5})(?:[- ]?[0-9]{4})?$")
# The same as one regular expression, in the syntax JSON Schema's "pattern" takes (the OpenAPI
# document's): exactly the texts :func:`normalize_zip` turns into five digits.
ZIP_PATTERN = r"^[ \t\r\n]*(?:[0-9]{3,5}|[0-9]{5}[- ]?[0-9]{4})[ \t\r\n]*$"
_MAX_SUGGESTIONS = 5


class Centroid(NamedTuple):
    zip: str
    lat: float
    lon: float
    city: str
    state: str


class UnknownZip(InputError):
    """A well-formed ZIP code that is not a US ZIP code we know; ``suggestions`` lists near ones."""

    def __init__(self, zip_code: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__("zip", zip_code, f"a known US ZIP code{hint}")


_ZIP_SCHEMA = pa.schema(
    [
        ("zip", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("city", pa.string()),
        ("state", pa.string()),
    ]
)
# Bump when the cached table's meaning changes; the package's version is in the name too.
_CACHE_FORMAT = 1


def zip_cache_file(cache_dir: Path) -> Path:
    """The ZIP table's cache file in ``cache_dir``: one file per ``zipcodes`` version."""
    version = re.sub(r"[^0-9A-Za-z.]", "_", str(zipcodes.__version__))
    return Path(cache_dir) / f"zip-centroids-{version}-{_CACHE_FORMAT}.arrow"


_table: pa.Table | None = None
_table_lock = threading.Lock()


def load_zip_table(cache_dir: Path | None = None) -> pa.Table:
    """Every ZIP code with a known position: ``zip``, ``lat``, ``lon``, ``city``, ``state``.

    Built once per process. Reading the ``zipcodes`` package's 42,000 rows costs about half a
    second (it builds a dictionary per ZIP code), so with ``cache_dir`` the table is read from
    an Arrow file there (milliseconds), or built and written there for the next process. A
    missing, unreadable or unwritable cache only means the package is read again. Without
    ``cache_dir`` no file is read or written. The server and the CLI call this first with the
    data folder's ``cache``; later callers get the table already built.
    """
    global _table
    with _table_lock:
        if _table is None:
            _table = _read_or_build(cache_dir)
        return _table


def forget_zip_table() -> None:
    """Drop the table built in this process (tests of the cache)."""
    global _table
    with _table_lock:
        _table = None
        _centroids.cache_clear()


def _read_or_build(cache_dir: Path | None) -> pa.Table:
    if cache_dir is None:
        return _zip_columns_from_package()
    path = zip_cache_file(cache_dir)
    with contextlib.suppress(OSError, pa.ArrowException):
        with pa.OSFile(str(path), "rb") as source:
            cached = pa.ipc.open_file(source).read_all()
        if cached.schema.equals(_ZIP_SCHEMA):
            return cached
    table = _zip_columns_from_package()
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with (
            pa.OSFile(str(partial), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
        os.replace(partial, path)  # readers see the whole file or none
    except (OSError, pa.ArrowException):
        with contextlib.suppress(OSError):
            partial.unlink()
    return table


def _zip_columns_from_package() -> pa.Table:
    """The ZIP table built column-wise from the package's rows (no object per ZIP code)."""
    rows = zip_rows()
    table = pa.table(
        {
            "zip": pa.array([r["zip_code"] for r in rows], pa.string()),
            "lat": pc.cast(pa.array([r["lat"] or "0" for r in rows], pa.string()), pa.float64()),
            "lon": pc.cast(pa.array([r["long"] or "0" for r in rows], pa.string()), pa.float64()),
            "city": pa.array([r["city"] for r in rows], pa.string()),
            "state": pa.array([r["state"] for r in rows], pa.string()),
        },
        schema=_ZIP_SCHEMA,
    )
    # Military ZIP codes have no position (0, 0): they count as having no location.
    no_position = pc.and_(pc.equal(table["lat"], 0.0), pc.equal(table["lon"], 0.0))
    return table.filter(pc.invert(no_position))


@lru_cache(maxsize=1)
def _centroids() -> dict[str, Centroid]:
    columns = load_zip_table()
    return {
        z: Centroid(z, lat, lon, city, state)
        for z, lat, lon, city, state in zip(
            columns["zip"].to_pylist(),
            columns["lat"].to_pylist(),
            columns["lon"].to_pylist(),
            columns["city"].to_pylist(),
            columns["state"].to_pylist(),
            strict=True,
        )
    }


def centroid(zip_code: str) -> Centroid | None:
    """The centroid of a 5-digit US ZIP code, or ``None`` when it has no known position."""
    return _centroids().get(zip_code)


def centroid_table() -> pa.Table:
    """Every ZIP centroid as an Arrow table (``zip``, ``lat``, ``lon``) for joins in DuckDB."""
    return load_zip_table().select(["zip", "lat", "lon"])


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """The point at ``lat``, ``lon`` (degrees) on the unit sphere: the dot product of two such
    vectors is the cosine of the angle between the points."""
    p, q = math.radians(lat), math.radians(lon)
    return (math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p))


class ZipLocator:
    """The centroids of many ZIP codes at once, in Arrow (for the ingest).

    :meth:`locate` gives each ZIP code its centroid and unit vector, computed exactly as
    :func:`unit_vector` computes them (the same ``cos`` and ``sin``, the same order), so the
    stored vectors and a query's vector agree to the last bit.
    """

    COLUMNS = ("zip", "lat", "lon", "ux", "uy", "uz")

    def __init__(self) -> None:
        table = centroid_table()
        degrees = math.pi / 180.0  # math.radians multiplies by this same constant
        p = pc.multiply(table["lat"], degrees)
        q = pc.multiply(table["lon"], degrees)
        self.table = table.append_column("ux", pc.multiply(pc.cos(p), pc.cos(q)))
        self.table = self.table.append_column("uy", pc.multiply(pc.cos(p), pc.sin(q)))
        self.table = self.table.append_column("uz", pc.sin(p)).combine_chunks()
        # Row of each ZIP code by its number (00000-99999), null where there is none.
        rows: list[int | None] = [None] * 100_000
        for row, number in enumerate(pc.cast(self.table["zip"], pa.int32()).to_pylist()):
            rows[number] = row
        self._row_of_zip = pa.array(rows, pa.int32())

    def locate(self, zip5: pa.Array | pa.ChunkedArray) -> pa.Table:
        """:attr:`COLUMNS` for each value of ``zip5`` (five ASCII digits, or null); all null
        where the ZIP code has no known centroid."""
        rows = pc.take(self._row_of_zip, pc.cast(zip5, pa.int32()))
        return self.table.take(rows)


def normalize_zip(value: str) -> str:
    """The five-digit ZIP code in what was typed, or the text stripped when it holds none.

    >>> [normalize_zip(v) for v in ("02139", "02139-4307", "021394307", "2139", " 501 ")]
    ['02139', '02139', '02139', '02139', '00501']
    >>> normalize_zip("abc")
    'abc'
    """
    text = value.strip(_ZIP_SPACE)
    match = _ZIP_TYPED.fullmatch(text)
    if match is None or (len(match.group("zip")) < 5 and len(text) > len(match.group("zip"))):
        return text  # ZIP+4 needs the whole five digits in front
    return match.group("zip").zfill(5)


def parse_zip(value: str) -> Centroid:
    """Check a query ZIP code and return its centroid.

    Accepts what :func:`normalize_zip` reads. Raises :class:`InputError` naming ``zip`` when it
    is not a ZIP code, and :class:`UnknownZip` (with suggestions) when it is not a US ZIP code
    with a known position.
    """
    text = normalize_zip(value)
    if not _ZIP5.match(text):
        raise InputError("zip", value, "a 5-digit US ZIP code, such as 02139 (or ZIP+4)")
    found = centroid(text)
    if found is None:
        raise UnknownZip(text, suggest_zips(text))
    return found


def suggest_zips(zip_code: str) -> list[str]:
    """Up to five known ZIP codes sharing the longest prefix with ``zip_code``, nearest first."""
    known = _centroids()
    for length in (4, 3, 2):
        prefix = zip_code[:length]
        if len(prefix) < length:
            continue
        matches = [
            row["zip_code"]
            for row in _similar_to(prefix)
            if row["zip_code"] in known and row["zip_code"] != zip_code
        ]
        if matches:
            target = int(zip_code) if zip_code.isdigit() else 0
            matches.sort(key=lambda z: (abs(int(z) - target), z))
            return matches[:_MAX_SUGGESTIONS]
    return []


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles (Earth radius 3958.8 miles); the same formula as the SQL."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat = math.radians(lat2 - lat1)
    dlon = math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


def offset_miles(origin: Centroid, lat: float, lon: float) -> tuple[float, float]:
    """Where (lat, lon) lies from ``origin``, as (miles east, miles north).

    An azimuthal equidistant view centred on ``origin``: the distance from the centre is the
    great-circle distance, so a point within the search radius is drawn inside its circle.

    >>> cambridge = Centroid("02139", 42.3647, -71.1042, "Cambridge", "MA")
    >>> [round(v, 1) for v in offset_miles(cambridge, 42.3647, -71.1042)]
    [0.0, 0.0]
    >>> east, north = offset_miles(cambridge, 40.7506, -73.9972)  # 10001, to the south-west
    >>> round(math.hypot(east, north), 1), east < 0, north < 0
    (186.6, True, True)
    """
    distance = haversine_miles(origin.lat, origin.lon, lat, lon)
    p1, p2 = math.radians(origin.lat), math.radians(lat)
    dlon = math.radians(lon - origin.lon)
    bearing = math.atan2(
        math.sin(dlon) * math.cos(p2),
        math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dlon),
    )
    return (distance * math.sin(bearing), distance * math.cos(bearing))


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """A latitude/longitude box holding every point within ``miles`` of (lat, lon).

    Returns (min_lat, max_lat, min_lon, max_lon), slightly widened against rounding. When the
    box reaches a pole or crosses the antimeridian the longitude bounds are the whole circle
    (-180, 180), and :func:`lon_bounds_useful` says to skip the longitude test.
    """
    angular = miles / EARTH_RADIUS_MILES
    dlat = math.degrees(angular) * (1 + 1e-9) + 1e-9
    min_lat, max_lat = lat - dlat, lat + dlat
    if max_lat >= 90 or min_lat <= -90:
        return (max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1:
        return (min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(math.asin(ratio)) * (1 + 1e-9) + 1e-9
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180 or max_lon > 180:  # crosses the antimeridian: no longitude bound
        return (min_lat, max_lat, -180.0, 180.0)
    return (min_lat, max_lat, min_lon, max_lon)


def lon_bounds_useful(box: tuple[float, float, float, float]) -> bool:
    """Whether the longitude bounds of ``box`` exclude anything."""
    return not (box[2] == -180.0 and box[3] == 180.0)
