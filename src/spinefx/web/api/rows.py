"""``/api/v1/registry/cases/{case_id}/<rows>``: the fractures, FLS events, procedures and
outcome scores of a case, each kind listed, added, replaced and removed the same way.

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
    one = "/{row_id}"
    removal = f"Remove one of a case's {name} (version as a query parameter)"
    routes = (  # (path after the kind's, endpoint, method, summary, body)
        ("", list_rows, "GET", f"A case's {name}", False),
        ("", add, "POST", f"Add to a case's {name}", True),
        (one, update, "PUT", f"Replace one of a case's {name}", True),
        (one, delete, "DELETE", removal, False),
    )
    for tail, endpoint, method, summary, body in routes:
        router.add_api_route(
            f"/cases/{{case_id}}/{name}{tail}",
            endpoint,
            methods=[method],
            status_code=201 if method == "POST" else None,
            summary=summary,
            responses=ERRORS if method == "GET" else WRITE_ERRORS,
            openapi_extra=write_body(model) if body else None,
        )


# The rows of each kind have their routes, in this order (a case's first fractures come with
# it, in the import format; ``index: true`` on a fracture makes it the case's index fracture).
for _kind in ("fractures", "events", "procedures", "outcomes"):
    _routes(ROW_KINDS[_kind])
