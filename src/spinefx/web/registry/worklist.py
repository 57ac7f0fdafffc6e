"""``/registry``: the worklist, each open case's next FLS event, overdue first, filtered by site,
status, due window and how the case was found; 50 to a page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.registry import users, worklist
from spinefx.registry.vocab import CaseStatus, FoundBy
from spinefx.web.deps import LoginDep, RegistryDep
from spinefx.web.registry.pages import PREFIX, page, page_number, today

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE_SIZE = 50
DUE_WINDOWS = {
    "": "Any time",
    "overdue": "Overdue",
    "14": "Due within 2 weeks",
    "28": "Due within 4 weeks",
    "90": "Due within 3 months",
}


@router.api_route("", methods=["GET", "HEAD"])
def worklist_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    site = params.get("site") or None
    status = params.get("status") or None
    due = params.get("due", "")
    found = params.get("found_by") or None
    page_no = params.get("page", "1")
    now = today()
    errors: dict[str, str] = {}
    if status is not None and status not in {s.value for s in CaseStatus}:
        errors["status"] = "Choose one of the listed statuses."
        status = None
    if due not in DUE_WINDOWS:
        errors["due"] = "Choose one of the listed due windows."
        due = ""
    if found is not None and found not in {f.value for f in FoundBy}:
        errors["found_by"] = "Choose how the case was found."
        found = None
    number = page_number(page_no, PAGE_SIZE)
    with registry.transaction() as session:
        sites = users.list_sites(session, login.actor)
        if site is not None and site not in {s.code for s in sites}:
            errors["site"] = "Choose one of your sites."
            site = None
        result = worklist.worklist(
            session,
            login.actor,
            today=now,
            site=site,
            statuses=[status] if status else None,
            due_before=now + timedelta(days=int(due)) if due.isdigit() else None,
            overdue_only=due == "overdue",
            found_by=found,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
    query = {
        k: v
        for k, v in (("site", site), ("status", status), ("due", due), ("found_by", found))
        if v
    }
    pages = {
        "previous": f"{PREFIX}?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
        "next": f"{PREFIX}?{urlencode({**query, 'page': number + 1})}"
        if number * PAGE_SIZE < result.total
        else None,
    }
    return page(
        request,
        "registry/worklist.html",
        {
            "rows": result.items,
            "total": result.total,
            "first": (number - 1) * PAGE_SIZE + 1,
            "pages": pages,
            "sites": sites,
            "chosen": {
                "site": site or "",
                "status": status or "",
                "due": due,
                "found_by": found or "",
            },
            "statuses": [s for s in CaseStatus if s.value in ("to-review", "active")],
            "due_windows": DUE_WINDOWS,
            "errors": errors,
            "today": now,
            "here": f"{PREFIX}?{urlencode(query)}" if query else PREFIX,
        },
        login=login,
        status=422 if errors else 200,
    )
