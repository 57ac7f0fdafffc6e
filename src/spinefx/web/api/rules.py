"""``POST /api/v1/<rule>``: the four clinical rules as JSON.

Each takes the same JSON object as the matching CLI command and answers with the same JSON as
its ``--json`` output; the body is validated with :func:`spinefx.validation.parse_input`, so an
input error names the same fields with the same words as the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from spinefx.validation import parse_input
from spinefx.web.api import PREFIX, TAGS
from spinefx.web.api.bodies import read_json, request_body
from spinefx.web.errors import PROBLEM_RESPONSE
from spinefx.web.tools import RULES, Rule

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, tags=list(TAGS))


def _rule_endpoint(rule: Rule) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        data = await read_json(request)
        inp = parse_input(rule.input, data)
        return JSONResponse(rule.run(inp).model_dump(mode="json"))

    endpoint.__name__ = f"post_{rule.path}"
    return endpoint


for _rule in RULES:
    router.add_api_route(
        f"/{_rule.path}",
        _rule_endpoint(_rule),
        methods=["POST"],
        summary=_rule.summary,
        response_class=JSONResponse,
        responses={
            200: {"model": _rule.result, "description": "The result, as the CLI's --json"},
            400: PROBLEM_RESPONSE,
            413: PROBLEM_RESPONSE,
            415: PROBLEM_RESPONSE,
            422: PROBLEM_RESPONSE,
        },
        openapi_extra=request_body(_rule.input.__name__),
    )
