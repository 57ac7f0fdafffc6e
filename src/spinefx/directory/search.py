"""Find providers near a ZIP code, and show one provider in full.

Distances are great-circle (haversine, Earth radius 3958.8 miles) between ZIP centroids. The
query first keeps providers inside a latitude/longitude box around the query point (the table
is stored sorted by latitude, so DuckDB skips the row groups outside it), then computes the
exact distance in SQL.

>>> query = SearchQuery(zip="02139", radius=10, specialties=("neurosurgery",))
>>> result = search(Path("directory.duckdb"), query)  # doctest: +SKIP
>>> result.total, result.results[0].distance_miles  # doctest: +SKIP
"""

from __future__ import annotations

import math
import weakref
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from spinefx.directory.geo import (
    EARTH_RADIUS_MILES,
    bounding_box,
    lon_bounds_useful,
    normalize_zip,
    parse_zip,
    unit_vector,
)
from spinefx.directory.index import (
    HIT_COLUMNS,
    LOCATION_COLUMNS,
    NAME_TEXT_SQL,
    DirectoryIndex,
    IndexPage,
    PagePicks,
)
from spinefx.directory.store import Directory, DirectorySource, one, read_connection, scalar
from spinefx.directory.taxonomy import (
    BKP_SPECIALTIES,
    SPECIALTIES,
    TAXONOMY_LABELS,
    specialty_mask,
)
from spinefx.errors import DirectoryNotLoaded, InputError

__all__ = [
    "VOLUME_NOTE",
    "EntityType",
    "Location",
    "ProviderDetail",
    "ProviderHit",
    "SearchQuery",
    "SearchResult",
    "SortOrder",
    "SpecialtyId",
    "TaxonomyEntry",
    "UtilizationRow",
    "provider_info",
    "search",
    "search_json",
    "search_sql",
    "warm_up",
]

VOLUME_NOTE = (
    "Procedure volume comes from Medicare data: it counts Medicare patients only, and Medicare "
    "suppresses any count from fewer than 11 beneficiaries, so a provider with no volume shown "
    "may still perform the procedure."
)

SpecialtyId = Literal[
    "orthopedic-surgery",
    "neurosurgery",
    "interventional-radiology",
    "pain-medicine",
    "endocrinology",
    "rheumatology",
    "rehabilitation",
    "primary-care",
]
EntityType = Literal["individual", "organization"]
# "distance": nearest first, then most BKP services; "volume": most BKP services first (those
# with none on record last), then nearest.
SortOrder = Literal["distance", "volume"]
_ENTITY: dict[int, EntityType] = {1: "individual", 2: "organization"}


class SearchQuery(BaseModel):
    """What to search for: providers of ``specialties`` within ``radius`` miles of ``zip``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zip: str
    # Numbers are numbers (strict): text such as "1_0" or "١٢" is refused, not read by int().
    radius: Annotated[float, Field(ge=1, le=500, strict=True, allow_inf_nan=False)] = 25
    specialties: tuple[SpecialtyId, ...] = BKP_SPECIALTIES  # type: ignore[assignment]
    performs_bkp: bool = False
    limit: Annotated[int, Field(ge=1, le=1000, strict=True)] = 50
    offset: Annotated[int, Field(ge=0, strict=True)] = 0
    sort: SortOrder = "distance"
    # Part of a provider's name: its legal name or, for an organisation, one of its other
    # ("doing business as") names; any case.
    name: Annotated[str | None, Field(max_length=100)] = None

    @field_validator("zip")
    @classmethod
    def _five_digits(cls, value: str) -> str:
        return normalize_zip(value)  # ZIP+4 and a lost leading zero read as the five digits

    @field_validator("name")
    @classmethod
    def _name_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Printable characters only (no NUL, nor the separator of the stored name text), and
        # runs of spaces as one.
        text = " ".join("".join(c if c.isprintable() else " " for c in value).split())
        return text or None

    @field_validator("specialties")
    @classmethod
    def _at_least_one(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one specialty")
        return value


class ProviderHit(BaseModel):
    npi: str
    name: str | None
    entity_type: EntityType
    specialties: list[str]
    primary_specialty: str | None
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    phone: str | None
    distance_miles: float
    bkp_services: int | None
    vertebroplasty_services: int | None
    # An organisation's other names ("doing business as"), from the other-name file.
    other_names: list[str] = Field(
        default=[],
        description="An organisation's other names (doing business as, other name) from the "
        "NPPES other-name file, sorted; empty for an individual or an organisation with none",
    )
    # Whether the address, phone and distance are those of a secondary practice location (the
    # provider's nearest in range), not of the primary one.
    secondary_location: bool = Field(
        default=False,
        description="True when address, city, state, zip, phone and distance_miles are those "
        "of one of the provider's secondary practice locations (the nearest in range), not of "
        "its main one",
    )


class SearchResult(BaseModel):
    query: SearchQuery
    total: int
    results: list[ProviderHit]


class TaxonomyEntry(BaseModel):
    code: str
    label: str
    specialty: str
    primary: bool


class Location(BaseModel):
    """A practice location's postal address and phone (a provider's main one, or another)."""

    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    postal_code: str | None
    country: str | None
    phone: str | None


class UtilizationRow(BaseModel):
    hcpcs: str
    place_of_service: str | None
    beneficiaries: int | None
    services: int | None


class ProviderDetail(Location):
    """One provider: the main practice location (the fields of :class:`Location`) and the rest."""

    npi: str
    name: str | None
    entity_type: EntityType
    specialties: list[str]
    primary_specialty: str | None
    taxonomies: list[TaxonomyEntry]
    latitude: float | None
    longitude: float | None
    other_names: list[str] = Field(
        description="An organisation's other names (doing business as, other name), sorted"
    )
    locations: list[Location] = Field(
        description="The secondary practice locations (the main one is the address and phone above)"
    )
    bkp_services: int | None
    bkp_beneficiaries: int | None
    vertebroplasty_services: int | None
    vertebroplasty_beneficiaries: int | None
    utilization: list[UtilizationRow]
    volume_note: str = VOLUME_NOTE


_DISTANCE = f"""
    2 * {EARTH_RADIUS_MILES} * asin(sqrt(least(1.0,
        pow(sin(radians(lat - $lat) / 2), 2)
        + cos(radians($lat)) * cos(radians(lat)) * pow(sin(radians(lon - $lon) / 2), 2))))
"""
_DOT = "(ux * $qx + uy * $qy + uz * $qz)"
# In range when the haversine distance <= radius. The dot product of unit vectors decides every
# row but those within a hair of the edge, for which the haversine itself is computed: CASE only
# evaluates a branch for the rows that reach it, so trigonometry runs on a handful of rows.
_IN_RANGE = f"""
    CASE WHEN {_DOT} >= $dot_inside THEN true
         WHEN {_DOT} < $dot_outside THEN false
         ELSE {_DISTANCE} <= $radius END
"""
_EDGE_MILES = 1e-6  # far above the rounding error of the dot product (about 1e-9 miles)

_ORDER = {
    "distance": f"{_DOT} DESC, bkp_services DESC NULLS LAST, npi_int",
    "volume": f"bkp_services DESC NULLS LAST, {_DOT} DESC, npi_int",
}

_HIT_COLUMNS = ", ".join(HIT_COLUMNS[:12])
# A column of a hit at its place: the primary practice location's, or the secondary one's.
_AT_PLACE = "CASE WHEN c.place = 0 THEN p.{0} ELSE l.{0} END AS {0}"
_AT_PLACE_COLUMNS = ", ".join(_AT_PLACE.format(c) for c in (*LOCATION_COLUMNS, "lat", "lon"))


def search(
    db: DirectorySource, query: SearchQuery, *, index: DirectoryIndex | None = None
) -> SearchResult:
    """Providers matching ``query``, nearest first, then most BKP services, then NPI (or, when
    ``query.sort`` is ``"volume"``, most BKP services first, then nearest, then NPI).


    ``total`` counts every match before ``limit`` and ``offset``. Raises :class:`InputError`
    for a malformed ZIP, :class:`~spinefx.directory.geo.UnknownZip` for an unknown one, and
    :class:`~spinefx.errors.DirectoryNotLoaded` when no directory has been loaded. ``db`` is
    the app's :class:`~spinefx.directory.store.Directory` handle or a database file's path.

    Through a :class:`~spinefx.directory.store.Directory` handle (or with an explicit
    ``index``) the search runs in memory on the directory's
    :class:`~spinefx.directory.index.DirectoryIndex`, which the handle loads once per file, in
    well under a millisecond; with a path, in SQL (:func:`search_sql`: a few milliseconds, plus
    opening the file, rather than loading every provider for one search). Both give the same
    results, in the same order, with the same distances.
    """
    if index is None and isinstance(db, Directory):
        index = db.index()
    if index is None:
        return search_sql(db, query)
    page = _on_index(index, query, build_rows=True)
    return SearchResult.model_construct(query=query, total=page.total, results=_hits(page.rows))


def _on_index(index: DirectoryIndex, query: SearchQuery, *, build_rows: bool) -> IndexPage:
    origin = parse_zip(query.zip)
    return index.search(
        origin.lat,
        origin.lon,
        query.radius,
        specialty_mask(query.specialties),
        query.performs_bkp,
        query.limit,
        query.offset,
        name=_needle(query),
        sort=query.sort,
        build_rows=build_rows,
    )


def search_json(
    db: DirectorySource, query: SearchQuery, *, index: DirectoryIndex | None = None
) -> bytes:
    """``search(db, query).model_dump_json()``, byte for byte, made faster for the API.

    A hit's JSON is its provider's stored fields at a practice location, which change only
    with the directory, around its distance: the two pieces of each (provider, location) are
    kept per index (at most :data:`_MAX_PIECES`; the next directory has an index of its own)
    and a page is their concatenation with the page's distances. Nothing about the query is
    kept.
    """
    if index is None and isinstance(db, Directory):
        index = db.index()
    if index is None:
        return search_sql(db, query).model_dump_json().encode()
    page = _on_index(index, query, build_rows=False)
    return b"".join(
        (b'{"query":', query.__pydantic_serializer__.to_json(query), b',"total":',
         str(page.total).encode(), b',"results":[', _hits_json(index, page.picks), b"]}")
    )  # fmt: skip


_MAX_PIECES = 100_000  # providers whose JSON templates an index keeps (some 35 MB)
_PIECES: weakref.WeakKeyDictionary[DirectoryIndex, dict[tuple[int, int], bytes]] = (
    weakref.WeakKeyDictionary()
)
_DISTANCE_NAME = b'"distance_miles":'
_DISTANCE_KEY = _DISTANCE_NAME + b"0.0,"
# A distance as a hit's JSON writes it: rounded to a tenth, which printf's "%.1f" gives too, to
# the same digits (both round the exact binary value correctly; a test checks the two agree).
_MILES_FORMAT = b"%.1f"


def _hits_json(index: DirectoryIndex, picks: PagePicks) -> bytes:
    """The page's hits, the JSON array's items: each provider's kept template at its place
    (its JSON with a printf slot for the distance; made for those not kept), joined, then
    formatted with the page's distances in one call."""
    kept = _PIECES.get(index)
    if kept is None:
        kept = _PIECES.setdefault(index, {})
    places = list(zip(picks.rows, picks.location, strict=True))
    templates = list(map(kept.get, places))  # this page's (kept may be cleared below)
    if None in templates:
        missing = [place for place, found in zip(places, templates, strict=True) if not found]
        if len(kept) + len(missing) > _MAX_PIECES:
            kept.clear()
        at_zero = PagePicks([r for r, _ in missing], [0.0] * len(missing), [a for _, a in missing])
        for place, hit in zip(missing, _hits(index.page_rows(at_zero)), strict=True):
            head, _, tail = hit.__pydantic_serializer__.to_json(hit).partition(_DISTANCE_KEY)
            kept[place] = b"".join((head.replace(b"%", b"%%"), _DISTANCE_NAME, _MILES_FORMAT,
                                    b",", tail.replace(b"%", b"%%")))  # fmt: skip
        templates = [found or kept[place] for place, found in zip(places, templates, strict=True)]
    return b",".join(templates) % tuple(picks.distance)  # type: ignore[arg-type]


def search_sql(db: DirectorySource, query: SearchQuery) -> SearchResult:
    """:func:`search` in SQL on the database file (the reference the index is tested against).

    Three small queries: the count; the page's NPIs (a top-N over narrow columns, ordered by
    the dot product, which orders exactly as the distance does); then the page's rows with
    their haversine distance.
    """
    origin = parse_zip(query.zip)
    box = bounding_box(origin.lat, origin.lon, query.radius)
    qx, qy, qz = unit_vector(origin.lat, origin.lon)
    angle = query.radius / EARTH_RADIUS_MILES
    where = [
        "lat BETWEEN $min_lat AND $max_lat",
        "(specialty_mask & $mask) <> 0",
    ]
    params: dict[str, object] = {
        "min_lat": box[0],
        "max_lat": box[1],
        "mask": specialty_mask(query.specialties),
        "qx": qx,
        "qy": qy,
        "qz": qz,
        "dot_inside": math.cos(max(0.0, angle - _EDGE_MILES / EARTH_RADIUS_MILES)),
        "dot_outside": math.cos(angle + _EDGE_MILES / EARTH_RADIUS_MILES),
        "lat": origin.lat,
        "lon": origin.lon,
        "radius": query.radius,
    }
    if lon_bounds_useful(box):
        where.append("lon BETWEEN $min_lon AND $max_lon")
        params.update(min_lon=box[2], max_lon=box[3])
    if query.performs_bkp:
        where.append("bkp_services > 0")
    needle = _needle(query)
    if needle is not None:
        where.append(f"contains({NAME_TEXT_SQL}, $needle)")
        params["needle"] = needle
    where.append(_IN_RANGE)
    matches = " AND ".join(where)
    # Every place of every provider (the primary practice location, place 0, and each
    # secondary one), kept when in range, then each provider once, at its nearest place.
    found = f"""
        WITH places AS (
            SELECT npi_int, lat, lon, ux, uy, uz, specialty_mask, bkp_services, name,
                   other_names, 0 AS place
            FROM providers
            UNION ALL
            SELECT p.npi_int, l.lat, l.lon, l.ux, l.uy, l.uz, p.specialty_mask, p.bkp_services,
                   p.name, p.other_names, l.rowid + 1 AS place
            FROM locations l JOIN providers p ON p.npi = l.npi
        )
        SELECT npi_int, place, ux, uy, uz, bkp_services FROM places WHERE {matches}
        QUALIFY row_number() OVER (PARTITION BY npi_int ORDER BY {_DOT} DESC, place) = 1
    """
    with read_connection(db) as conn:
        total = scalar(conn, f"SELECT count(*) FROM ({found})", params)
        page: list[tuple[Any, ...]] = []
        if total > query.offset:
            top = conn.execute(
                f"""
                SELECT npi_int, place FROM ({found})
                ORDER BY {_ORDER[query.sort]}
                LIMIT {query.limit} OFFSET {query.offset}
                """,
                params,
            ).fetchall()
            chosen = ", ".join(f"({int(npi_int)}, {int(place)})" for npi_int, place in top)
            page = conn.execute(
                f"""
                WITH chosen(npi_int, place) AS (VALUES {chosen}),
                picked AS (
                    SELECT c.place, p.npi, p.name, p.entity_type, p.specialties,
                        p.primary_specialty, p.bkp_services, p.vertebroplasty_services,
                        p.other_names,
                        {_AT_PLACE_COLUMNS}
                    FROM chosen c JOIN providers p USING (npi_int)
                    LEFT JOIN locations l ON l.rowid = c.place - 1
                )
                SELECT {_HIT_COLUMNS}, {_DISTANCE} AS distance, other_names, place FROM picked
                """,
                {"lat": origin.lat, "lon": origin.lon},
            ).fetchall()
    _sort_page(page, query.sort)
    return SearchResult.model_construct(query=query, total=total, results=_hits(page))


def _sort_page(page: list[tuple[Any, ...]], sort: str) -> None:
    """Order a page's rows (hit columns, distance at 12) as the query's sort orders them."""
    if sort == "volume":
        page.sort(key=lambda r: (r[10] is None, -(r[10] or 0), r[12], r[0]))
    else:
        page.sort(key=lambda r: (r[12], r[10] is None, -(r[10] or 0), r[0]))


def _hits(rows: list[tuple[Any, ...]]) -> list[ProviderHit]:
    """Result objects from rows of the hit columns and the distance (values as stored, so
    they are not validated again)."""
    entity = _ENTITY
    return [
        _stored(
            {
                "npi": npi,
                "name": name,
                "entity_type": entity.get(int(kind), "individual"),
                "specialties": list(specialties),
                "primary_specialty": primary,
                "address": address,
                "city": city,
                "state": state,
                "zip": zip_code,
                "phone": phone,
                "distance_miles": round(float(miles), 1),
                "bkp_services": bkp,
                "vertebroplasty_services": vertebroplasty,
                "other_names": list(other_names or ()),
                "secondary_location": place > 0,
            }
        )
        for (
            npi,
            name,
            kind,
            specialties,
            primary,
            address,
            city,
            state,
            zip_code,
            phone,
            bkp,
            vertebroplasty,
            miles,
            other_names,
            place,
        ) in rows
    ]


_HIT_FIELDS = frozenset(ProviderHit.model_fields)
_new_hit = ProviderHit.__new__
_set = object.__setattr__


def _stored(values: dict[str, Any]) -> ProviderHit:
    """A :class:`ProviderHit` holding ``values`` (every field, as stored): what
    ``model_construct`` makes, without its per-field work, which cost more than the whole
    search (some 10 microseconds a hit, 50 a page)."""
    hit = _new_hit(ProviderHit)
    _set(hit, "__dict__", values)
    _set(hit, "__pydantic_fields_set__", set(_HIT_FIELDS))
    _set(hit, "__pydantic_extra__", None)
    _set(hit, "__pydantic_private__", None)
    return hit


def _needle(query: SearchQuery) -> str | None:
    """The name searched for, lower-cased as the stored name text is."""
    return query.name.lower() if query.name else None


def warm_up(db: DirectorySource) -> bool:
    """Pay the one-time costs of the first search now (call once when a server starts).

    Loads the ZIP code table (about half a second), opens the handle's read connection and
    runs one search through it, so that the first request is as fast as the next ones. Returns
    whether a directory was found; with none loaded it returns ``False`` instead of raising,
    and searches then raise :class:`~spinefx.errors.DirectoryNotLoaded` as usual. Safe to call
    from any thread, and more than once.
    """
    parse_zip("02139")  # builds the ZIP centroid table once per process
    try:
        search(db, SearchQuery(zip="02139", radius=100, specialties=SPECIALTY_IDS))
    except DirectoryNotLoaded:
        return False
    return True


def provider_info(db: DirectorySource, npi: str) -> ProviderDetail:
    """Everything the directory holds about one provider; an unknown NPI is an InputError."""
    npi = npi.strip()
    if not (len(npi) == 10 and npi.isdigit()):
        raise InputError("npi", npi, "a 10-digit NPI")
    with read_connection(db) as conn:
        row = one(
            conn,
            """
            SELECT npi, name, entity_type, specialties, primary_specialty, address, city, state,
                   zip, postal_code, country, phone, lat, lon, bkp_services, bkp_beneficiaries,
                   vertebroplasty_services, vertebroplasty_beneficiaries, other_names
            FROM providers WHERE npi = ?
            """,
            [npi],
        )
        if row is None:
            raise InputError("npi", npi, "the NPI of a provider in the directory")
        taxonomies = conn.execute(
            "SELECT code, specialty, is_primary FROM provider_taxonomies WHERE npi = ? "
            "ORDER BY NOT is_primary, position",
            [npi],
        ).fetchall()
        locations = conn.execute(
            "SELECT address, city, state, zip, postal_code, country, phone FROM locations "
            "WHERE npi = ? ORDER BY state, city, address",
            [npi],
        ).fetchall()
        utilization = conn.execute(
            "SELECT hcpcs, place_of_service, beneficiaries, services FROM utilization "
            "WHERE npi = ? ORDER BY hcpcs, place_of_service",
            [npi],
        ).fetchall()
    return ProviderDetail(
        npi=row[0],
        name=row[1],
        entity_type=_ENTITY.get(int(row[2]), "individual"),
        specialties=list(row[3]),
        primary_specialty=row[4],
        taxonomies=[
            TaxonomyEntry(code=c, label=TAXONOMY_LABELS.get(c, c), specialty=s, primary=p)
            for c, s, p in taxonomies
        ],
        address=row[5],
        city=row[6],
        state=row[7],
        zip=row[8],
        postal_code=row[9],
        country=row[10],
        phone=row[11],
        latitude=row[12],
        longitude=row[13],
        other_names=list(row[18] or ()),
        locations=[
            Location(address=a, city=c, state=s, zip=z, postal_code=p, country=k, phone=ph)
            for a, c, s, z, p, k, ph in locations
        ],
        bkp_services=row[14],
        bkp_beneficiaries=row[15],
        vertebroplasty_services=row[16],
        vertebroplasty_beneficiaries=row[17],
        utilization=[
            UtilizationRow(hcpcs=h, place_of_service=p, beneficiaries=b, services=s)
            for h, p, b, s in utilization
        ],
    )


# Every specialty id the query accepts, for help texts.
SPECIALTY_IDS: tuple[str, ...] = tuple(SPECIALTIES)
