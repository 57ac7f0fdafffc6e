"""``/api/v1/registry/worklist``: open cases' next FLS event, overdue first."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse

from spinefx.registry.vocab import CaseStatus, FoundBy
from spinefx.registry.worklist import worklist
from spinefx.web.api import REGISTRY_PREFIX, REGISTRY_TAGS
from spinefx.web.api.params import ERRORS, Limit, Offset, QueryDate, Reader

__all__ = ["router"]

router = APIRouter(prefix=REGISTRY_PREFIX, tags=list(REGISTRY_TAGS))


@router.get("/worklist", summary="Open cases' next FLS event, overdue first", responses=ERRORS)
def get_worklist(
    caller: Reader,
    site: str | None = None,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    due_after: QueryDate = None,
    due_before: QueryDate = None,
    overdue: bool = False,
    found_by: FoundBy | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="A part of the name or the MRN.")
    ] = None,
    sort: Literal["due", "site", "status", "name"] = "due",
    today: QueryDate = None,
    limit: Limit = 50,
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
            search=q,
            sort=sort,
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
                    "assigned_user_id": r.assigned_user_id,
                }
                for r in page.items
            ],
            "total": page.total,
        }
    )
