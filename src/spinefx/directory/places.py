"""Towns and places for what the finder shows: the searched ZIP code's town, the towns of
"did you mean" suggestions, and where each result lies around the searched ZIP code.

>>> town_of("02139")
'Cambridge, MA'
>>> town_of("00000") is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spinefx.directory.geo import centroid, offset_miles

__all__ = ["ResultPlace", "result_places", "town_of"]


def town_of(zip_code: str) -> str | None:
    """``"Town, ST"`` for a known 5-digit ZIP code, else ``None``."""
    found = centroid(zip_code)
    return f"{found.city}, {found.state}" if found else None


@dataclass(frozen=True)
class ResultPlace:
    """A ZIP code where results practise: miles east and north of the searched ZIP code, its
    town, and the numbers of the results there (as the page numbers them)."""

    zip: str
    east: float
    north: float
    town: str
    numbers: tuple[int, ...]


def result_places(origin_zip: str, hits: Iterable[tuple[int, str | None]]) -> list[ResultPlace]:
    """One :class:`ResultPlace` per ZIP code among ``hits`` (``(number, zip)`` pairs), in the
    order they first appear; hits without a known ZIP code are left out."""
    origin = centroid(origin_zip)
    if origin is None:
        return []
    numbers: dict[str, list[int]] = {}
    for number, zip_code in hits:
        if zip_code and centroid(zip_code) is not None:
            numbers.setdefault(zip_code, []).append(number)
    places = []
    for zip_code, found in numbers.items():
        where = centroid(zip_code)
        assert where is not None
        east, north = offset_miles(origin, where.lat, where.lon)
        places.append(
            ResultPlace(zip_code, east, north, f"{where.city}, {where.state}", tuple(found))
        )
    return places
