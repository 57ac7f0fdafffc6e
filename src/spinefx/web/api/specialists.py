"""``GET /api/v1/specialists``: specialists near a ZIP code, nearest first.

The busiest route: added to the app's own router before every other route (see
:func:`add_search_route`), answered from the directory's loaded index on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from spinefx.directory.search import SearchResult
from spinefx.web.api import PREFIX, TAGS
from spinefx.web.deps import get_directory
from spinefx.web.errors import PROBLEM_RESPONSE
from spinefx.web.search import SEARCH_PARAMETERS, search_data, search_directory_json

__all__ = ["add_search_route"]


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
    """Add ``GET /api/v1/specialists`` to the app's own router, not to an included one: FastAPI
    finds a route of an included router by matching the path twice, once to pick the router
    and once within it, which cost the busiest route 4% of its instructions. Call it before
    the other routes are added: they are tried in order."""
    app_router.add_api_route(
        f"{PREFIX}/specialists",
        specialists,
        methods=["GET"],
        tags=list(TAGS),  # the API's, as if it were one of its routes
        route_class_override=_ResponseRoute,
        summary="Specialists near a ZIP code, nearest first",
        response_class=JSONResponse,
        responses={
            200: {
                "model": SearchResult,
                "description": "The search, its total and one page of results",
            },
            422: PROBLEM_RESPONSE,
            503: PROBLEM_RESPONSE,
        },
        openapi_extra={"parameters": SEARCH_PARAMETERS},
    )
