"""``/api/v1/registry/cases/{case_id}/<rows>``: the FLS events, procedures and outcome scores
of a case, each kind listed, added, replaced and removed the same way.

Every write sends the case ``version`` it was made on (a removal as a query parameter) and
answers with the case as it now is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from spinefx.registry import cases, rows
from spinefx.registry.rows import ROW_KINDS, RowKind
from spinefx.registry.schema import MAX_ID
from spinefx.web.api import REGISTRY_PREFIX, REGISTRY_TAGS
from spinefx.web.api.bodies import versioned, write, write_body
from spinefx.web.api.params import ERRORS, WRITE_ERRORS, CaseId, Reader, RowIdPath
from spinefx.web.deps import Caller, allowed

__all__ = ["router"]

router = APIRouter(prefix=REGISTRY_PREFIX, tags=list(REGISTRY_TAGS))


def _routes(kind: RowKind) -> None:
    """List, add, replace and remove rows of ``kind`` (the writes need its right)."""
    name, model = kind.name, kind.schema
    writer: Any = Annotated[Caller, Depends(allowed(kind.action))]

    def list_rows(case_id: CaseId, caller: Reader) -> JSONResponse:
        with caller.registry.transaction() as session:
            doc = cases.case_document(cases.load_case(session, caller.actor, case_id, full=True))
            rows.list_rows(session, caller.actor, name, case_id)  # the audited read
        return JSONResponse({"items": doc[name], "version": doc["version"]})

    async def add(case_id: CaseId, request: Request, caller: Caller) -> JSONResponse:
        version, data = await versioned(request, model)
        answer = await run_in_threadpool(
            write,
            caller,
            case_id,
            lambda s: rows.add_row(s, caller.actor, name, case_id, version, data),
        )
        answer.status_code = 201
        return answer

    async def update(
        case_id: CaseId, row_id: RowIdPath, request: Request, caller: Caller
    ) -> JSONResponse:
        version, data = await versioned(request, model)
        return await run_in_threadpool(
            write,
            caller,
            case_id,
            lambda s: rows.update_row(s, caller.actor, name, case_id, row_id, version, data),
        )

    def delete(
        case_id: CaseId,
        row_id: RowIdPath,
        caller: Caller,
        version: Annotated[int, Query(ge=1, le=MAX_ID)],
    ) -> JSONResponse:
        return write(
            caller,
            case_id,
            lambda s: rows.delete_row(s, caller.actor, name, case_id, row_id, version),
        )

    for fn in (list_rows, add, update, delete):
        fn.__name__ = f"{fn.__name__}_{name}"
        if fn is not list_rows:  # each kind's own right (FastAPI reads the annotations)
            fn.__annotations__["caller"] = writer
    path = f"/cases/{{case_id}}/{name}"
    router.add_api_route(
        path, list_rows, methods=["GET"], summary=f"A case's {name}", responses=ERRORS
    )
    router.add_api_route(
        path,
        add,
        methods=["POST"],
        status_code=201,
        summary=f"Add to a case's {name}",
        responses=WRITE_ERRORS,
        openapi_extra=write_body(model),
    )
    router.add_api_route(
        f"{path}/{{row_id}}",
        update,
        methods=["PUT"],
        summary=f"Replace one of a case's {name}",
        responses=WRITE_ERRORS,
        openapi_extra=write_body(model),
    )
    router.add_api_route(
        f"{path}/{{row_id}}",
        delete,
        methods=["DELETE"],
        summary=f"Remove one of a case's {name} (version as a query parameter)",
        responses=WRITE_ERRORS,
    )


# Fractures are written with the case (its import format, PATCH); the rows of these kinds each
# have their routes, in this order.
for _kind in ("events", "procedures", "outcomes"):
    _routes(ROW_KINDS[_kind])
