"""``/api/v1``: the four clinical rules and the specialist search as JSON.

Each POST takes the same JSON object as the matching CLI command and answers with the same JSON
as its ``--json`` output. Bodies are read and validated here with
:func:`spinefx.validation.parse_input`, so an input error names the same fields with the same
words as the CLI; every error is an RFC 9457 problem (see :mod:`spinefx.web.problems`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from spinefx.clinical import candidacy, followup, morphometry, screening
from spinefx.directory.geo import ZIP_PATTERN
from spinefx.directory.index import DirectoryIndex
from spinefx.directory.search import SearchResult
from spinefx.directory.store import Directory
from spinefx.errors import InputError
from spinefx.validation import (
    JsonProblem,
    decode_json,
    parse_input,
    parse_int_text,
    parse_number_text,
)
from spinefx.web.deps import get_directory
from spinefx.web.problems import PROBLEM_JSON, ProblemError

__all__ = ["RULES", "Rule", "router"]

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Rule:
    """One clinical rule served at ``POST /api/v1/<path>``."""

    path: str
    input: type[BaseModel]
    result: type[BaseModel]
    run: Callable[[Any], BaseModel]
    summary: str


RULES: tuple[Rule, ...] = (
    Rule(
        "screening",
        screening.ScreeningInput,
        screening.ScreeningResult,
        screening.screen,
        "Patient self-check for a possible vertebral compression fracture (red flags first)",
    ),
    Rule(
        "grading",
        morphometry.GradingInput,
        morphometry.GradingResult,
        morphometry.grade,
        "Genant grade per vertebra and the spinal deformity index from three heights",
    ),
    Rule(
        "candidacy",
        candidacy.CandidacyInput,
        candidacy.CandidacyResult,
        candidacy.assess,
        "Balloon kyphoplasty candidacy against the Medicare coverage criteria, with codes",
    ),
    Rule(
        "followup",
        followup.FollowupInput,
        followup.FollowupPlan,
        followup.plan,
        "Osteoporosis follow-up plan and fracture liaison checklist after the fracture",
    ),
)

router = APIRouter(prefix=PREFIX, tags=["api"])

_PROBLEM_RESPONSE = {
    "description": "An RFC 9457 problem",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


async def read_json(request: Request) -> Any:
    """The decoded JSON body, or a 415 (not JSON) or 400 (malformed) problem."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise ProblemError(
            415,
            f"Send the body as JSON with Content-Type: application/json (got "
            f"{media_type or 'no content type'}).",
        )
    body = await request.body()
    try:
        return decode_json(body)
    except JsonProblem as exc:
        raise ProblemError(400, f"The body is not valid JSON: {exc}.") from None


def _rule_endpoint(rule: Rule) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        data = await read_json(request)
        inp = parse_input(rule.input, data)
        return JSONResponse(rule.run(inp).model_dump(mode="json"))

    endpoint.__name__ = f"post_{rule.path}"
    return endpoint


# --- GET /api/v1/specialists ----------------------------------------------------------------

SEARCH_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "zip",
        "in": "query",
        "required": True,
        "description": "A US ZIP code: 5 digits (02139), ZIP+4 (02139-4307, 02139 4307 or "
        "021394307), or a ZIP that lost its leading zeros (2139 for 02139)",
        "schema": {"type": "string", "pattern": ZIP_PATTERN},
    },
    {
        "name": "radius",
        "in": "query",
        "description": "Miles around the ZIP code (a decimal number, such as 25 or 12.5)",
        "schema": {"type": "number", "minimum": 1, "maximum": 500, "default": 25},
    },
    {
        "name": "specialty",
        "in": "query",
        "description": "A specialty id; repeat for several (default: those that perform BKP)",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string"}},
    },
    {
        "name": "performs_bkp",
        "in": "query",
        "description": "Only providers with Medicare kyphoplasty volume on record",
        "schema": {"type": "boolean", "default": False},
    },
    {
        "name": "sort",
        "in": "query",
        "description": "distance: nearest first; volume: most Medicare kyphoplasty services first",
        "schema": {"type": "string", "enum": ["distance", "volume"], "default": "distance"},
    },
    {
        "name": "name",
        "in": "query",
        "description": "Part of the provider's name: the legal name or, for an organisation, "
        "one of its other (doing business as) names; any case",
        "schema": {"type": "string", "maxLength": 100},
    },
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
    },
    {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
]
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


async def specialists(request: Request) -> Response:
    # Run on the event loop once the directory's search index is loaded (a search then takes
    # a fraction of a millisecond; two thread hops, for a sync route and its dependency, cost
    # more than the search), in a worker thread while it still has to be loaded.
    directory = get_directory(request)
    data = search_data(request.query_params)
    index = directory.loaded_index()
    if index is not None:
        result = search_directory_json(directory, data, index)
    else:
        result = await run_in_threadpool(search_directory_json, directory, data)
    return Response(result, media_type="application/json")


class _ResponseRoute(APIRoute):
    """A route whose endpoint takes the request and makes the response itself, through
    FastAPI's documented ``get_route_handler`` hook: the OpenAPI schema still shows its
    declared parameters and responses, but no dependencies are solved for each request (the
    endpoint reads its query itself, with the words of the CLI's errors)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


def add_search_route(app_router: APIRouter) -> None:
    """Add ``GET /api/v1/specialists`` to the app's own router, not to :data:`router`: FastAPI
    finds a route of an included router by matching the path twice, once to pick the router
    and once within it, which cost the busiest route 4% of its instructions. Call it before
    the other routes are added: they are tried in order."""
    app_router.add_api_route(
        f"{router.prefix}/specialists",
        specialists,
        methods=["GET"],
        tags=list(router.tags),  # the API router's, as if it were one of its routes
        route_class_override=_ResponseRoute,
        summary="Specialists near a ZIP code, nearest first",
        response_class=JSONResponse,
        responses={
            200: {
                "model": SearchResult,
                "description": "The search, its total and one page of results",
            },
            422: _PROBLEM_RESPONSE,
            503: _PROBLEM_RESPONSE,
        },
        openapi_extra={"parameters": SEARCH_PARAMETERS},
    )


for _rule in RULES:
    router.add_api_route(
        f"/{_rule.path}",
        _rule_endpoint(_rule),
        methods=["POST"],
        summary=_rule.summary,
        response_class=JSONResponse,
        responses={
            200: {"model": _rule.result, "description": "The result, as the CLI's --json"},
            400: _PROBLEM_RESPONSE,
            413: _PROBLEM_RESPONSE,
            415: _PROBLEM_RESPONSE,
            422: _PROBLEM_RESPONSE,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{_rule.input.__name__}"}
                    }
                },
            }
        },
    )
