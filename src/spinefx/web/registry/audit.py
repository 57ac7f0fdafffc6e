"""``/registry/audit``: the audit log, newest first, of one case or of every case the user sees;
100 to a page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.registry import audit
from spinefx.web.deps import LoginDep, RegistryDep
from spinefx.web.registry.pages import PREFIX, page, page_number, whole_number

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.api_route("/audit", methods=["GET", "HEAD"])
def audit_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    raw_case = params.get("case", "")
    case_id = whole_number(raw_case, low=1)
    page_no = params.get("page", "1")
    size = 100
    number = page_number(page_no, size)
    with registry.transaction() as session:
        found = audit.entries(
            session, login.actor, case_id=case_id, limit=size, offset=(number - 1) * size
        )
    query = {"case": str(case_id)} if case_id else {}
    return page(
        request,
        "registry/audit.html",
        {
            "entries": found.items,
            "total": found.total,
            "case_id": case_id,
            "first": (number - 1) * size + 1,
            "previous": f"{PREFIX}/audit?{urlencode({**query, 'page': number - 1})}"
            if number > 1
            else None,
            "next": f"{PREFIX}/audit?{urlencode({**query, 'page': number + 1})}"
            if number * size < found.total
            else None,
        },
        login=login,
    )
