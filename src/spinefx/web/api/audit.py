"""``/api/v1/registry/audit``: the audit log, newest first (admins and auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, Response

from spinefx.registry import audit
from spinefx.registry.schema import MAX_ID
from spinefx.web.api import REGISTRY_PREFIX, REGISTRY_TAGS
from spinefx.web.api.params import ERRORS, AuditReader, Limit, Offset

__all__ = ["router"]

router = APIRouter(prefix=REGISTRY_PREFIX, tags=list(REGISTRY_TAGS))


@router.get("/audit", summary="The audit log, newest first (admins and auditors)", responses=ERRORS)
def get_audit(
    caller: AuditReader,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    with caller.registry.transaction() as session:
        asked = audit.AuditQuery(case_id=case_id, limit=limit, offset=offset)
        page = audit.entries(session, caller.actor, asked)
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
