"""``/api/v1/registry``: cases, events, procedures, outcomes, the worklist, KPIs and the audit log.

Every route needs ``Authorization: Bearer <token>`` (``spinefx registry token create``); none or
a bad one is 401. The caller sees only their sites' cases: another site's case id is 404. A
case is returned in the import format plus its ``id`` and ``version``; every write sends the
``version`` it was made on and gets 409 when the case has changed since (nothing is written).
Every write is one transaction; every read and write of a case is in the audit log. Errors are
RFC 9457 problems, as in the rest of ``/api/v1``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, create_model
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from spinefx.clinical.followup import IsoDate
from spinefx.errors import InputError
from spinefx.registry import audit, cases, events, outcomes, procedures
from spinefx.registry.kpi import kpi_report
from spinefx.registry.models import Case
from spinefx.registry.permissions import Action
from spinefx.registry.schema import (
    MAX_ID,
    CaseIn,
    CaseUpdate,
    EventIn,
    OutcomeIn,
    ProcedureIn,
    parse,
)
from spinefx.registry.vocab import CaseStatus, FoundBy
from spinefx.registry.worklist import MAX_PAGE, worklist
from spinefx.web.problems import PROBLEM_JSON
from spinefx.web.registry_deps import Caller, allowed
from spinefx.web.routes.api import read_json

__all__ = ["PREFIX", "SCHEMAS", "router"]

PREFIX = "/api/v1/registry"
router = APIRouter(prefix=PREFIX, tags=["registry"])
ModelT = TypeVar("ModelT", bound=BaseModel)

Reader = Annotated[Caller, Depends(allowed(Action.READ_CASES))]
CaseWriter = Annotated[Caller, Depends(allowed(Action.WRITE_CASES))]
EventWriter = Annotated[Caller, Depends(allowed(Action.WRITE_EVENTS))]
ProcedureWriter = Annotated[Caller, Depends(allowed(Action.WRITE_PROCEDURES))]
OutcomeWriter = Annotated[Caller, Depends(allowed(Action.WRITE_OUTCOMES))]
KpiReader = Annotated[Caller, Depends(allowed(Action.READ_KPIS))]
AuditReader = Annotated[Caller, Depends(allowed(Action.READ_AUDIT))]

# Every number that names a row, a version or a place in a list is within the databases'
# INTEGER (a larger one is a 422 naming it, not an overflow in the driver); every date is
# YYYY-MM-DD within the years the rules take (a number or 9999-12-31 is a 422 naming it).
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
QueryDate = IsoDate | None


Version = Annotated[int, Field(ge=1, le=MAX_ID)]


class Versioned(BaseModel):
    """The case version a write was made on (every write body carries it)."""

    version: Version


class Dismissal(BaseModel):
    version: Version
    reason: str


def _with_version(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` plus the required ``version`` field: the body of a write on a case."""
    return create_model(
        f"{model.__name__}Write",
        __base__=model,
        __doc__=f"{model.__name__} and the case version the write was made on.",
        version=(Version, ...),
    )


WRITE_BODIES: dict[str, type[BaseModel]] = {
    m.__name__: _with_version(m) for m in (CaseUpdate, EventIn, ProcedureIn, OutcomeIn)
}
SCHEMAS: tuple[type[BaseModel], ...] = (
    CaseIn,
    Versioned,
    Dismissal,
    *WRITE_BODIES.values(),
)

_PROBLEM = {
    "description": "An RFC 9457 problem",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _PROBLEM,
    403: _PROBLEM,
    404: _PROBLEM,
    422: _PROBLEM,
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    400: _PROBLEM,
    409: _PROBLEM,
    413: _PROBLEM,
    415: _PROBLEM,
}


def _body(model: type[BaseModel], *, versioned: bool = True) -> dict[str, Any]:
    """``openapi_extra`` naming the request body (read by :func:`read_json`, not by FastAPI)."""
    name = WRITE_BODIES[model.__name__].__name__ if versioned else model.__name__
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _split_version(data: Any) -> tuple[int, dict[str, Any]]:
    if not isinstance(data, dict):
        raise InputError("(body)", data, "a JSON object")
    rest = dict(data)
    version = rest.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_ID:
        raise InputError(
            "version", version, f"the case version the edit was made on (1 to {MAX_ID})"
        )
    return version, rest


async def _versioned(request: Request, model: type[ModelT]) -> tuple[int, ModelT]:
    version, rest = _split_version(await read_json(request))
    return version, parse(model, rest)


def _case_answer(case: Case, status_code: int = 200) -> JSONResponse:
    return JSONResponse(cases.case_document(case), status_code=status_code)


def _reload(caller: Caller, case_id: int) -> JSONResponse:
    with caller.registry.transaction() as session:
        return _case_answer(cases.get_case(session, caller.actor, case_id))


def _summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "version": case.version,
        "site": case.site.code,
        "mrn": case.mrn,
        "name": case.name,
        "birth_date": case.birth_date.isoformat(),
        "sex": case.sex,
        "status": case.status,
        "fictional": case.fictional,
        "index_date": case.index_date.isoformat() if case.index_date else None,
        "next_event": case.next_event,
        "next_due_by": case.next_due_by.isoformat() if case.next_due_by else None,
    }


# --- cases -------------------------------------------------------------------------------------


@router.get("/cases", summary="The caller's sites' cases", responses=_ERRORS)
def list_cases(
    caller: Reader,
    site: str | None = None,
    status: CaseStatus | None = None,
    mrn: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> JSONResponse:
    with caller.registry.transaction() as session:
        page = cases.list_cases(
            session, caller.actor, site=site, status=status, mrn=mrn, limit=limit, offset=offset
        )
        return JSONResponse({"items": [_summary(c) for c in page.items], "total": page.total})


@router.post(
    "/cases",
    summary="Register a case (the import format)",
    status_code=201,
    responses=_WRITE_ERRORS,
    openapi_extra=_body(CaseIn, versioned=False),
)
async def create_case(request: Request, caller: CaseWriter) -> JSONResponse:
    data = parse(CaseIn, await read_json(request))

    def work() -> JSONResponse:
        with caller.registry.transaction() as session:
            case = cases.create_case(session, caller.actor, data)
            case_id = case.id
        return _reload(caller, case_id)

    answer = await run_in_threadpool(work)
    answer.status_code = 201
    return answer


@router.get(
    "/cases/{case_id}",
    summary="One case in the import format, with id and version",
    responses=_ERRORS,
)
def get_case(case_id: CaseId, caller: Reader) -> JSONResponse:
    return _reload(caller, case_id)


@router.patch(
    "/cases/{case_id}",
    summary="Change a case's name, birth date, sex or status",
    responses=_WRITE_ERRORS,
    openapi_extra=_body(CaseUpdate),
)
async def update_case(case_id: CaseId, request: Request, caller: CaseWriter) -> JSONResponse:
    version, changes = await _versioned(request, CaseUpdate)
    return await run_in_threadpool(
        _write,
        caller,
        case_id,
        lambda s: cases.update_case(s, caller.actor, case_id, version, changes),
    )


@router.post(
    "/cases/{case_id}/accept",
    summary="Accept a to-review case (it becomes active)",
    responses=_WRITE_ERRORS,
    openapi_extra=_body(Versioned, versioned=False),
)
async def accept_case(case_id: CaseId, request: Request, caller: CaseWriter) -> JSONResponse:
    version, _ = _split_version(await read_json(request))
    return await run_in_threadpool(
        _write, caller, case_id, lambda s: cases.accept(s, caller.actor, case_id, version)
    )


@router.post(
    "/cases/{case_id}/dismiss",
    summary="Dismiss a to-review case, saying why",
    responses=_WRITE_ERRORS,
    openapi_extra=_body(Dismissal, versioned=False),
)
async def dismiss_case(case_id: CaseId, request: Request, caller: CaseWriter) -> JSONResponse:
    version, rest = _split_version(await read_json(request))
    reason = rest.get("reason")
    if not isinstance(reason, str):
        raise InputError("reason", reason, "a few words on why the case is dismissed")
    return await run_in_threadpool(
        _write, caller, case_id, lambda s: cases.dismiss(s, caller.actor, case_id, version, reason)
    )


def _write(caller: Caller, case_id: int, change: Callable[[Any], object]) -> JSONResponse:
    """Run ``change`` in one transaction, then answer with the case as it now is."""
    with caller.registry.transaction() as session:
        change(session)
    return _reload(caller, case_id)


# --- events, procedures, outcomes (one shape) --------------------------------------------------


def _rows(
    name: str,
    model: type[BaseModel],
    writer: Any,
    module: Any,
    singular: str,
) -> None:
    lister = getattr(module, f"list_{name}")
    adder = getattr(module, f"add_{singular}")
    updater = getattr(module, f"update_{singular}")
    deleter = getattr(module, f"delete_{singular}")

    def list_rows(case_id: CaseId, caller: Reader) -> JSONResponse:
        with caller.registry.transaction() as session:
            doc = cases.case_document(cases.load_case(session, caller.actor, case_id, full=True))
            lister(session, caller.actor, case_id)  # the audited read
        return JSONResponse({"items": doc[name], "version": doc["version"]})

    async def add(case_id: CaseId, request: Request, caller: writer) -> JSONResponse:
        version, data = await _versioned(request, model)
        answer = await run_in_threadpool(
            _write, caller, case_id, lambda s: adder(s, caller.actor, case_id, version, data)
        )
        answer.status_code = 201
        return answer

    async def update(
        case_id: CaseId,
        row_id: RowIdPath,
        request: Request,
        caller: writer,
    ) -> JSONResponse:
        version, data = await _versioned(request, model)
        return await run_in_threadpool(
            _write,
            caller,
            case_id,
            lambda s: updater(s, caller.actor, case_id, row_id, version, data),
        )

    def delete(
        case_id: CaseId,
        row_id: RowIdPath,
        caller: writer,
        version: Annotated[int, Query(ge=1, le=MAX_ID)],
    ) -> JSONResponse:
        return _write(caller, case_id, lambda s: deleter(s, caller.actor, case_id, row_id, version))

    for fn in (list_rows, add, update, delete):
        fn.__name__ = f"{fn.__name__}_{name}"
        if fn is not list_rows:  # a local name: FastAPI reads annotations from module globals
            fn.__annotations__["caller"] = writer
    path = f"/cases/{{case_id}}/{name}"
    router.add_api_route(
        path, list_rows, methods=["GET"], summary=f"A case's {name}", responses=_ERRORS
    )
    router.add_api_route(
        path,
        add,
        methods=["POST"],
        status_code=201,
        summary=f"Add to a case's {name}",
        responses=_WRITE_ERRORS,
        openapi_extra=_body(model),
    )
    router.add_api_route(
        f"{path}/{{row_id}}",
        update,
        methods=["PUT"],
        summary=f"Replace one of a case's {name}",
        responses=_WRITE_ERRORS,
        openapi_extra=_body(model),
    )
    router.add_api_route(
        f"{path}/{{row_id}}",
        delete,
        methods=["DELETE"],
        summary=f"Remove one of a case's {name} (version as a query parameter)",
        responses=_WRITE_ERRORS,
    )


_rows("events", EventIn, EventWriter, events, "event")
_rows("procedures", ProcedureIn, ProcedureWriter, procedures, "procedure")
_rows("outcomes", OutcomeIn, OutcomeWriter, outcomes, "outcome")


# --- worklist, KPIs, audit ---------------------------------------------------------------------


@router.get("/worklist", summary="Open cases' next FLS event, overdue first", responses=_ERRORS)
def get_worklist(
    caller: Reader,
    site: str | None = None,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    due_after: QueryDate = None,
    due_before: QueryDate = None,
    overdue: bool = False,
    found_by: FoundBy | None = None,
    today: QueryDate = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> JSONResponse:
    with caller.registry.transaction() as session:
        page = worklist(
            session,
            caller.actor,
            today=today or date.today(),
            site=site,
            statuses=status,
            due_after=due_after,
            due_before=due_before,
            overdue_only=overdue,
            found_by=found_by,
            limit=limit,
            offset=offset,
        )
    return JSONResponse(
        {
            "items": [
                {
                    "id": r.case_id,
                    "version": r.version,
                    "site": r.site,
                    "mrn": r.mrn,
                    "name": r.name,
                    "status": r.status,
                    "fictional": r.fictional,
                    "index_date": r.index_date.isoformat(),
                    "next_event": r.next_event,
                    "due_from": r.due_from.isoformat(),
                    "due_by": r.due_by.isoformat(),
                    "overdue": r.overdue,
                    "days_overdue": r.days_overdue,
                }
                for r in page.items
            ],
            "total": page.total,
        }
    )


@router.get(
    "/kpis",
    summary="IOF Capture the Fracture patient-level KPIs for index fractures FROM to TO",
    responses=_ERRORS,
)
def get_kpis(
    caller: KpiReader,
    from_: Annotated[IsoDate, Query(alias="from")],
    to: IsoDate,
    as_of: QueryDate = None,
    site: str | None = None,
) -> JSONResponse:
    with caller.registry.transaction() as session:
        report = kpi_report(
            session, caller.actor, start=from_, end=to, as_of=as_of or date.today(), site=site
        )
    return JSONResponse(report.as_json())


@router.get(
    "/audit", summary="The audit log, newest first (admins and auditors)", responses=_ERRORS
)
def get_audit(
    caller: AuditReader,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Offset = 0,
) -> Response:
    with caller.registry.transaction() as session:
        page = audit.entries(session, caller.actor, case_id=case_id, limit=limit, offset=offset)
        items = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "user_id": e.user_id,
                "actor": e.actor,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "case_id": e.case_id,
                "site_id": e.site_id,
                "detail": e.detail,
            }
            for e in page.items
        ]
    return JSONResponse({"items": items, "total": page.total})
