"""``/registry``: the worklist, each open case's next FLS event, filtered by site, status, due
window, how the case was found and a name or MRN searched for; sorted by due date, site,
status or name; 100 to a page. ``POST /registry/bulk`` acts on the rows ticked: their next
event recorded as done today, assigned to a colleague, or exported as CSV."""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import timedelta
from functools import partial
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError, VersionConflict
from spinefx.registry import audit, bulk, users, worklist
from spinefx.registry.db import Registry
from spinefx.registry.editing import load_case
from spinefx.registry.exporter import csv_text
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.vocab import CaseStatus, FoundBy
from spinefx.web.deps import FormLoginDep, LoginDep, RegistryDep, audit_refusal
from spinefx.web.registry.forms import EVENT_NAMES
from spinefx.web.registry.pages import (
    PREFIX,
    form_text,
    page,
    page_number,
    safe_next,
    today,
    whole_number,
)

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_Default = TypeVar("_Default", str, None)

PAGE_SIZE = 100
SEARCH_MAX = 100
DUE_WINDOWS = {
    "": "Any time",
    "overdue": "Overdue",
    "14": "Due within 2 weeks",
    "28": "Due within 4 weeks",
    "90": "Due within 3 months",
}
SORT_NAMES = {"due": "Due date", "site": "Site", "status": "Status", "name": "Name"}
BULK_ACTIONS = {
    "done": "Mark the next event done today",
    "assign": "Assign to",
    "export": "Export as CSV",
}
BULK_MESSAGES = {"done": "Recorded {n} event{s} as done.", "assign": "Assigned {n} case{s}."}


def _one_of(
    params: Mapping[str, str],
    errors: dict[str, str],
    name: str,
    allowed: Container[str],
    default: _Default,
    what: str,
) -> str | _Default:
    """The filter ``name`` of the address: one of ``allowed``, ``default`` when it is empty;
    another value is dropped for ``default``, and ``errors`` says to choose ``what``."""
    value = params.get(name) or default
    if value != default and value not in allowed:
        errors[name] = f"Choose {what}."
        return default
    return value


@router.api_route("", methods=["GET", "HEAD"])
def worklist_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    site = params.get("site") or None
    search = params.get("q", "").strip()
    mine = params.get("mine") == "1"
    page_no = params.get("page", "1")
    now = today()
    errors: dict[str, str] = {}
    pick = partial(_one_of, params, errors)
    status = pick("status", {s.value for s in CaseStatus}, None, "one of the listed statuses")
    due = pick("due", DUE_WINDOWS, "", "one of the listed due windows")
    found = pick("found_by", {f.value for f in FoundBy}, None, "how the case was found")
    sort = pick("sort", SORT_NAMES, "due", "one of the listed orders")
    if len(search) > SEARCH_MAX:
        errors["q"] = f"Type at most {SEARCH_MAX} characters of a name or an MRN."
        search = ""
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
            search=search or None,
            sort=sort,
            assigned_user_id=login.actor.user_id if mine else None,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        colleagues = bulk.assignable_users(session, login.actor)
    query = {
        k: v
        for k, v in (
            ("q", search),
            ("site", site),
            ("status", status),
            ("due", due),
            ("found_by", found),
            ("sort", "" if sort == "due" else sort),
            ("mine", "1" if mine else ""),
        )
        if v
    }
    pages = {
        "previous": f"{PREFIX}?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
        "next": f"{PREFIX}?{urlencode({**query, 'page': number + 1})}"
        if number * PAGE_SIZE < result.total
        else None,
    }
    shown = {**query, "page": str(number)} if number > 1 else query
    here = f"{PREFIX}?{urlencode(shown)}" if shown else PREFIX
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
                "q": search,
                "sort": sort,
                "mine": mine,
            },
            "statuses": [s for s in CaseStatus if s.value in ("to-review", "active")],
            "due_windows": DUE_WINDOWS,
            "sort_names": SORT_NAMES,
            "bulk_actions": BULK_ACTIONS,
            "colleagues": colleagues,
            "names_of": {u.id: u.email for u in colleagues},
            "errors": errors,
            "bulk_error": params.get("bulk_error", "")[:300],
            "done_message": params.get("done", "")[:300],
            "today": now,
            "here": here,
        },
        login=login,
        status=422 if errors else 200,
    )


def _selected(data: FormData) -> list[bulk.Selected]:
    """The ticked rows, each ``<case id>:<version>`` (anything else is left out)."""
    chosen = []
    for value in data.getlist("case"):
        case_raw, _, version_raw = str(value).partition(":")
        case_id, version = whole_number(case_raw, low=1), whole_number(version_raw, low=1)
        if case_id is not None and version is not None:
            chosen.append((case_id, version))
    return chosen


def _back(next_url: str, **message: str) -> RedirectResponse:
    joiner = "&" if "?" in next_url else "?"
    return RedirectResponse(f"{next_url}{joiner}{urlencode(message)}", status_code=303)


@router.post("/bulk")
async def bulk_action(request: Request, login: FormLoginDep, registry: RegistryDep) -> Response:
    data = await request.form()
    action = form_text(data, "action")
    next_url = safe_next(form_text(data, "next"))
    selected = _selected(data)
    if action not in BULK_ACTIONS:
        return _back(next_url, bulk_error="Choose what to do with the ticked cases.")
    if not selected:
        return _back(next_url, bulk_error="Tick one or more cases first.")
    if action == "export":
        return _export(registry, login.actor, selected)
    try:
        with registry.transaction() as session:
            if action == "done":
                count = len(bulk.mark_next_done(session, login.actor, selected, today()))
            else:
                raw = form_text(data, "assignee")
                assignee = whole_number(raw, low=1) if raw else None
                if raw and assignee is None:
                    raise InputError("assignee", raw, "a colleague from the list")
                count = bulk.assign(session, login.actor, selected, assignee)
    except VersionConflict:
        audit_refusal(request, 409)  # refused whole: the worklist says so, not an error page
        return _back(
            next_url,
            bulk_error="Someone changed one of the ticked cases after the worklist was shown, "
            "so nothing was saved. Check the rows below and try again.",
        )
    except InputError as exc:
        problem = exc.problems[0]
        text = (
            "Choose a colleague from the list."
            if problem.field == "assignee"
            else f"Nothing was saved: choose {problem.allowed}."
        )
        return _back(next_url, bulk_error=text)
    words = BULK_MESSAGES[action].format(n=count, s="" if count == 1 else "s")
    return _back(next_url, done=words)


def _export(registry: Registry, actor: Actor, selected: list[bulk.Selected]) -> Response:
    require(actor, Action.READ_CASES)
    header = ["mrn", "name", "site", "status", "index_date", "next_event", "due_by", "phone"]
    rows = []
    with registry.transaction() as session:
        for case_id, _ in selected:
            case = load_case(session, actor, case_id)
            rows.append(
                [
                    case.mrn,
                    case.name,
                    case.site.code,
                    case.status,
                    case.index_date,
                    EVENT_NAMES.get(case.next_event or "", ""),
                    case.next_due_by,
                    case.phone,
                ]
            )
        audit.record(
            session,
            actor,
            "export",
            "worklist",
            detail={"case_ids": [c for c, _ in selected], "format": "csv"},
        )
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="worklist.csv"'},
    )
