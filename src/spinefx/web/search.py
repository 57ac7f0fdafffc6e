"""The specialist search as the web reads it: query parameters into a
:class:`~spinefx.directory.search.SearchQuery`, shared by the Find page and the API.

``specialty`` may repeat; numbers are read in ASCII digits only (anything else is passed on as
typed, for the query's validation to name); an input error names the query parameter
(``specialty[0]``), not the model's field (``specialties[0]``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from spinefx.directory.geo import ZIP_PATTERN
from spinefx.directory.index import DirectoryIndex
from spinefx.directory.store import Directory
from spinefx.errors import InputError
from spinefx.validation import parse_input, parse_int_text, parse_number_text

__all__ = ["SEARCH_PARAMETERS", "search_data", "search_directory", "search_directory_json"]

# The query parameters: (name, the SearchQuery field it fills, its description). Their schemas
# are SearchQuery's (bounds, choices, defaults), with the forms of a ZIP code the model reads.
_PARAMETERS: tuple[tuple[str, str, str], ...] = (
    (
        "zip",
        "zip",
        "A US ZIP code: 5 digits (02139), ZIP+4 (02139-4307, 02139 4307 or 021394307), or a ZIP "
        "that lost its leading zeros (2139 for 02139)",
    ),
    ("radius", "radius", "Miles around the ZIP code (a decimal number, such as 25 or 12.5)"),
    (
        "specialty",
        "specialties",
        "A specialty id; repeat for several (default: those that perform BKP)",
    ),
    ("performs_bkp", "performs_bkp", "Only providers with Medicare kyphoplasty volume on record"),
    (
        "sort",
        "sort",
        "distance: nearest first; volume: most Medicare kyphoplasty services first",
    ),
    (
        "name",
        "name",
        "Part of the provider's name: the legal name or, for an organisation, one of its other "
        "(doing business as) names; any case",
    ),
    ("limit", "limit", ""),
    ("offset", "offset", ""),
)
_EXTRA: dict[str, dict[str, Any]] = {"zip": {"pattern": ZIP_PATTERN}}
_SCHEMA_KEYS = ("type", "items", "enum", "pattern", "minimum", "maximum", "maxLength", "default")


def _parameter_schema(node: Mapping[str, Any]) -> dict[str, Any]:
    """A query parameter's schema from a field's: a nullable field is one left out."""
    if "anyOf" in node:
        given = [b for b in node["anyOf"] if b.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k == "default" and v is not None}
        node = {**given[0], **rest}
    return {
        key: _parameter_schema(node[key]) if key == "items" else node[key]
        for key in _SCHEMA_KEYS
        if key in node
    }


def _search_parameters() -> list[dict[str, Any]]:
    """The OpenAPI parameters of the search, from :class:`SearchQuery`'s JSON Schema."""
    from spinefx.directory.search import SearchQuery

    schema = SearchQuery.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, field, description in _PARAMETERS:
        node = _parameter_schema(schema["properties"][field])
        entry: dict[str, Any] = {"name": name, "in": "query"}
        if field in required:
            entry["required"] = True
        if description:
            entry["description"] = description
        if node.get("type") == "array":
            entry.update(style="form", explode=True)
        entry["schema"] = {**node, **_EXTRA.get(name, {})}
        parameters.append(entry)
    return parameters


SEARCH_PARAMETERS: list[dict[str, Any]] = _search_parameters()
_NUMBER_PARAMS: dict[str, Callable[[str], float | int | None]] = {
    "radius": parse_number_text,
    "limit": parse_int_text,
    "offset": parse_int_text,
}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def search_data(params: Any) -> dict[str, Any]:
    """The search query as JSON from query parameters (``specialty`` may repeat)."""
    data: dict[str, Any] = {}
    if "zip" in params:
        data["zip"] = params["zip"]  # the model reads ZIP+4 and a lost leading zero
    for name, parse in _NUMBER_PARAMS.items():
        if name in params:
            raw = params[name]
            number = parse(raw)  # ASCII digits only; anything else is refused by the model
            data[name] = number if number is not None else raw.strip()
    specialties = [s for s in params.getlist("specialty") if s]
    if specialties:
        data["specialties"] = specialties
    if "sort" in params:
        data["sort"] = params["sort"].strip()
    if params.get("name"):
        data["name"] = params["name"]
    if "performs_bkp" in params:
        raw = params["performs_bkp"].strip().lower()
        data["performs_bkp"] = True if raw in _TRUE else False if raw in _FALSE else raw
    return data


def _query_name(field: str) -> str:
    return (
        "specialty" + field.removeprefix("specialties")
        if field.startswith("specialties")
        else field
    )


def search_directory(directory: Directory, data: dict[str, Any]) -> Any:
    """Run the search for ``data``: a :class:`SearchResult`."""
    from spinefx.directory.search import search

    return search(directory, _search_query(data))


def search_directory_json(
    directory: Directory, data: dict[str, Any], index: DirectoryIndex | None = None
) -> bytes:
    """The search for ``data`` as the API answers it (:func:`search_json`: the same bytes as
    the result's ``model_dump_json``, in about a third of the time), on ``index`` when the
    caller has the directory's loaded index at hand."""
    from spinefx.directory.search import search_json

    return search_json(directory, _search_query(data), index=index)


def _search_query(data: dict[str, Any]) -> Any:
    """``data`` as a search query; input errors name the query parameters, not the model."""
    from spinefx.directory.search import SearchQuery

    try:
        return parse_input(SearchQuery, data)
    except InputError as exc:
        if not any(p.field.startswith("specialties") for p in exc.problems):
            raise
        renamed = [replace(p, field=_query_name(p.field)) for p in exc.problems]
        error = InputError.from_problems(renamed)
        raise error from exc
