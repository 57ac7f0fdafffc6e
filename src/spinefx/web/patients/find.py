"""``/find``: specialists near a ZIP code, nearest first, with a map; ``/find/provider/{npi}``:
one provider's page."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.directory.store import Directory
from spinefx.errors import DataError, DirectoryNotLoaded, InputError
from spinefx.web import forms
from spinefx.web.deps import DirectoryDep, TemplatesDep
from spinefx.web.errors import error_page
from spinefx.web.search import search_data, search_directory
from spinefx.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

FIND_RADII = (5, 10, 25, 50, 100, 250, 500)

FIND_NAMES = {
    "zip": "ZIP code",
    "radius": "Distance",
    "specialty": "Specialties",
    "name": "Name",
    "sort": "Order",
}
SORT_ORDERS = {"distance": "Nearest first", "volume": "Most kyphoplasty procedures first"}


def _directory_facts(directory: Directory) -> Any:
    """The loaded directory's facts (demo or not, Medicare year), or None when none is read."""
    from spinefx.directory.store import directory_facts

    try:
        return directory_facts(directory)
    except DataError:
        return None


@router.api_route("/find", methods=["GET", "HEAD"])
def find(request: Request, directory: DirectoryDep, templates: TemplatesDep) -> Response:
    from spinefx.directory.geo import UnknownZip
    from spinefx.directory.places import result_places, town_of
    from spinefx.directory.search import VOLUME_NOTE
    from spinefx.directory.taxonomy import BKP_SPECIALTIES, SPECIALTIES
    from spinefx.web.results_map import map_extent, results_map_svg

    params = request.query_params
    chosen = [s for s in params.getlist("specialty") if s] or list(BKP_SPECIALTIES)
    context: dict[str, Any] = {
        "specialties": SPECIALTIES,
        "chosen": chosen,
        "radii": FIND_RADII,
        "sorts": SORT_ORDERS,
        "zip": params.get("zip", ""),
        "radius": params.get("radius", "25"),
        "sort": params.get("sort", "distance"),
        "name": params.get("name", ""),
        "performs_bkp": params.get("performs_bkp", "") in ("true", "1", "on", "yes"),
        "errors": {},
        "directory_state": directory.state(),
        "volume_note": VOLUME_NOTE,
        "result": None,
        "suggestions": [],
        "facts": None,
    }
    if "zip" not in params:
        return render(templates, request, "find.html", context)
    status = 200
    try:
        result = search_directory(directory, search_data(params))
    except InputError as exc:
        context["errors"] = forms.field_messages(exc.problems, names=FIND_NAMES)
        if isinstance(exc, UnknownZip):
            context["errors"]["zip"] = (
                f"We do not know the ZIP code {exc.value}. Check it, or choose one below."
            )
            context["suggestions"] = [
                (s, town_of(s), "/find?" + _find_query(params, zip=s, offset=None))
                for s in exc.suggestions
            ]
        elif "zip" in context["errors"]:
            context["errors"]["zip"] = (
                "Enter a US ZIP code of 5 digits, such as 02139 (ZIP+4 such as 02139-4307 "
                "works too)."
            )
        status = 422
    except DataError as exc:
        context["directory_state"] = (
            "not-loaded" if isinstance(exc, DirectoryNotLoaded) else "damaged"
        )
        status = 503
    else:
        context["result"] = result
        context["facts"] = _directory_facts(directory)
        q = result.query
        context["town"] = town_of(q.zip)
        shown_to = q.offset + len(result.results)
        context["shown"] = (q.offset + 1 if result.results else 0, shown_to)
        places = result_places(
            q.zip, ((q.offset + i + 1, hit.zip) for i, hit in enumerate(result.results))
        )
        if places:
            context["map_miles"] = map_extent(places, q.radius)
            context["map_svg"] = results_map_svg(
                places, context["map_miles"], context["town"] or "", q.zip
            )
        context["back_query"] = urlencode({"back": "/find?" + _find_query(params)})
        context["sort_urls"] = {
            key: "/find?" + _find_query(params, sort=key, offset=None) for key in SORT_ORDERS
        }
        if q.offset > 0:
            context["previous_url"] = "/find?" + _find_query(
                params, offset=max(0, q.offset - q.limit) or None
            )
        if shown_to < result.total:
            context["next_url"] = "/find?" + _find_query(params, offset=shown_to)
        if result.total == 0:
            context.update(_beyond_the_radius(directory, params, q.radius))
    return render(templates, request, "find.html", context, status=status)


BEYOND_SHOWN = 3  # the nearest providers named when none is within the radius


def _beyond_the_radius(directory: Directory, params: Any, radius: float) -> dict[str, Any]:
    """For a search that found no one: the nearest few matching providers beyond ``radius``
    (the same search as far as it may reach, :data:`FIND_RADII`'s last), and the smallest
    offered distance that takes in the nearest, with a link to that search and its count."""
    farthest = FIND_RADII[-1]
    if radius >= farthest:
        return {"beyond": []}
    data = {**search_data(params), "radius": farthest, "limit": BEYOND_SHOWN, "offset": 0}
    beyond = search_directory(directory, data).results
    if not beyond:
        return {"beyond": []}
    wider = next(r for r in FIND_RADII if r >= beyond[0].distance_miles)
    total = search_directory(directory, {**data, "radius": wider, "limit": 1}).total
    return {
        "beyond": beyond,
        "wider_radius": wider,
        "wider_total": total,
        "wider_url": "/find?" + _find_query(params, radius=wider, offset=None),
    }


@router.api_route("/find/provider/{npi}", methods=["GET", "HEAD"])
def find_provider(
    request: Request, npi: str, directory: DirectoryDep, templates: TemplatesDep
) -> Response:
    from spinefx.directory.search import provider_info
    from spinefx.directory.taxonomy import SPECIALTIES
    from spinefx.directory.utilization import BKP_CODES, CODE_NAMES

    try:
        detail = provider_info(directory, npi)
    except InputError:
        return error_page(
            request,
            404,
            "Provider not found",
            "The specialist directory has no provider with this NPI. Search again from the "
            "Find a specialist page.",
        )
    except DataError:
        return error_page(
            request,
            503,
            "The specialist directory is not available",
            "The directory is not loaded or cannot be read. Whoever runs this site can load "
            "it again with spinefx directory demo or spinefx directory ingest.",
        )
    back = request.query_params.get("back", "")
    # Only a search page of this site may be the way back (never another address).
    back_url = back if back.startswith("/find?") else "/find"
    searched = parse_qs(urlsplit(back_url).query).get("zip", [""])[0]
    origin, miles = _miles_from(searched, [detail.zip, *(loc.zip for loc in detail.locations)])
    return render(
        templates,
        request,
        "provider.html",
        {
            "p": detail,
            "facts": _directory_facts(directory),
            "specialties": SPECIALTIES,
            "code_names": CODE_NAMES,
            "bkp_codes": BKP_CODES,
            "back_url": back_url,
            # The searched ZIP code, and each practice location's miles from it (the main one
            # first), as the search measures them: between ZIP centers.
            "origin_zip": origin,
            "miles": miles,
        },
    )


def _miles_from(searched: str, zips: list[str | None]) -> tuple[str | None, list[float | None]]:
    """The searched ZIP code (five digits) and the miles from it to each of ``zips`` (``None``
    for one without a known position); no ZIP code and no miles when the search had none."""
    from spinefx.directory.geo import centroid, haversine_miles, parse_zip

    try:
        origin = parse_zip(searched)
    except InputError:
        return None, [None] * len(zips)
    miles: list[float | None] = []
    for code in zips:
        place = centroid(code) if code else None
        miles.append(
            None
            if place is None
            else round(haversine_miles(origin.lat, origin.lon, place.lat, place.lon), 1)
        )
    return origin.zip, miles


def _find_query(params: Any, **changes: Any) -> str:
    """The query string of ``params`` with ``changes`` applied in place (None removes a key)."""
    items: list[tuple[str, str]] = []
    done: set[str] = set()
    for key, value in params.multi_items():
        if key not in changes:
            items.append((key, value))
        elif key not in done:
            done.add(key)
            if changes[key] is not None:
                items.append((key, str(changes[key])))
    items += [(k, str(v)) for k, v in changes.items() if k not in done and v is not None]
    return urlencode(items)
