"""``/api/v1/registry/cases``: list, register, read and change cases; accept or dismiss a
case-finding hit.

A case is returned in the import format plus its ``id`` and ``version``; every write sends the
``version`` it was made on and gets 409 when the case has changed since (nothing is written).
Every write is one transaction; every read and write of a case is in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from spinefx.errors import InputError
from spinefx.registry import cases
from spinefx.registry.schema import CaseIn, CaseUpdate, parse
from spinefx.web.api import REGISTRY_PREFIX, REGISTRY_TAGS
from spinefx.web.api.bodies import (
    read_json,
    reload,
    request_body,
    split_version,
    versioned,
    write,
    write_body,
)
from spinefx.web.api.params import (
    ERRORS,
    WRITE_ERRORS,
    CaseId,
    CaseWriter,
    Reader,
)
from spinefx.web.deps import Caller

__all__ = ["router"]

router = APIRouter(prefix=REGISTRY_PREFIX, tags=list(REGISTRY_TAGS))


@router.get("/cases", summary="The caller's sites' cases", responses=ERRORS)
def list_cases(caller: Reader, query: Annotated[cases.CaseQuery, Query()]) -> JSONResponse:
    with caller.registry.transaction() as session:
        page = cases.list_cases(session, caller.actor, query)
        items = [cases.case_summary(c) for c in page.items]
        return JSONResponse({"items": items, "total": page.total})


@router.post(
    "/cases",
    summary="Register a case (the import format)",
    status_code=201,
    responses=WRITE_ERRORS,
    openapi_extra=request_body(CaseIn.__name__),
)
async def create_case(request: Request, caller: CaseWriter) -> JSONResponse:
    data = parse(CaseIn, await read_json(request))

    def work() -> JSONResponse:
        with caller.registry.transaction() as session:
            case = cases.create_case(session, caller.actor, data)
            case_id = case.id
        return reload(caller, case_id)

    answer = await run_in_threadpool(work)
    answer.status_code = 201
    return answer


@router.get(
    "/cases/{case_id}",
    summary="One case in the import format, with id and version",
    responses=ERRORS,
)
def get_case(case_id: CaseId, caller: Reader) -> JSONResponse:
    return reload(caller, case_id)


@router.patch(
    "/cases/{case_id}",
    summary="Change a case's name, birth date, sex or status",
    responses=WRITE_ERRORS,
    openapi_extra=write_body(CaseUpdate),
)
async def update_case(case_id: CaseId, request: Request, caller: CaseWriter) -> JSONResponse:
    version, changes = await versioned(request, CaseUpdate)
    return await _write(
        caller, case_id, lambda s: cases.update_case(s, caller.actor, case_id, version, changes)
    )


def _review_route(action: str, summary: str, body: str) -> Callable[[Any], Any]:
    """``POST /cases/{case_id}/<action>`` with ``body`` (a model of :mod:`.bodies`)."""
    return router.post(
        f"/cases/{{case_id}}/{action}",
        summary=summary,
        responses=WRITE_ERRORS,
        openapi_extra=request_body(body),
    )


@_review_route("accept", "Accept a to-review case (it becomes active)", "Versioned")
async def accept_case(case_id: CaseId, request: Request, caller: CaseWriter) -> JSONResponse:
    version, _ = split_version(await read_json(request))
    return await _write(caller, case_id, lambda s: cases.accept(s, caller.actor, case_id, version))


@_review_route("dismiss", "Dismiss a to-review case, saying why", "Dismissal")
async def dismiss_case(case_id: CaseId, request: Request, caller: CaseWriter) -> JSONResponse:
    version, rest = split_version(await read_json(request))
    reason = rest.get("reason")
    if not isinstance(reason, str):
        raise InputError("reason", reason, "a few words on why the case is dismissed")
    return await _write(
        caller, case_id, lambda s: cases.dismiss(s, caller.actor, case_id, version, reason)
    )


async def _write(caller: Caller, case_id: int, change: Callable[[Any], object]) -> JSONResponse:
    """:func:`~spinefx.web.api.bodies.write` in a worker thread (the database waits)."""
    return await run_in_threadpool(write, caller, case_id, change)
