"""``/registry/audit``: the audit log, newest first, of one case or of every case the user
sees, filtered by who, what and when; 100 to a page. ``/registry/audit/export`` and
``/registry/export/cases`` download the log (as filtered) or the sites' cases as CSV or XLSX,
for admins and auditors."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from spinefx.errors import InputError
from spinefx.registry import audit, downloads
from spinefx.registry.exporter import csv_text
from spinefx.web.deps import LoginDep, RegistryDep
from spinefx.web.registry.pages import PREFIX, page, page_number, whole_number

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)

SIZE = 100
EXPORT_MAX = 100_000  # audit entries in one download
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _filters(params: QueryParams, errors: dict[str, str]) -> dict[str, Any]:
    """The page's filters from its query; a bad date is named and left out."""
    chosen: dict[str, Any] = {
        "case_id": whole_number(params.get("case", ""), low=1),
        "who": params.get("who", "").strip()[:254] or None,
        "action": params.get("action", "").strip()[:32] or None,
    }
    for name, key in (("since", "from"), ("until", "to")):
        raw = params.get(key, "").strip()
        try:
            chosen[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[key] = "Enter a real date as month/day/year."
            chosen[name] = None
    if chosen["since"] and chosen["until"] and chosen["until"] < chosen["since"]:
        errors["to"] = "The last day must be on or after the first."
        chosen["until"] = None
    return chosen


def _query(chosen: dict[str, Any]) -> dict[str, str]:
    pairs = (
        ("case", chosen["case_id"]),
        ("who", chosen["who"]),
        ("action", chosen["action"]),
        ("from", chosen["since"]),
        ("to", chosen["until"]),
    )
    return {k: str(v) for k, v in pairs if v}


@router.api_route("/audit", methods=["GET", "HEAD"])
def audit_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    errors: dict[str, str] = {}
    chosen = _filters(params, errors)
    number = page_number(params.get("page", "1"), SIZE)
    with registry.transaction() as session:
        asked = audit.AuditQuery(**chosen, limit=SIZE, offset=(number - 1) * SIZE)
        found = audit.entries(session, login.actor, asked)
        who_seen = audit.actors_seen(session, login.actor)
        actions = audit.actions_seen(session, login.actor)
    query = _query(chosen)
    here = urlencode(query)
    return page(
        request,
        "registry/audit.html",
        {
            "entries": found.items,
            "total": found.total,
            "case_id": chosen["case_id"],
            "chosen": {**query, "case": chosen["case_id"] or ""},
            "who_seen": who_seen,
            "actions": actions,
            "errors": errors,
            "here": here,
            "first": (number - 1) * SIZE + 1,
            "previous": f"{PREFIX}/audit?{urlencode({**query, 'page': number - 1})}"
            if number > 1
            else None,
            "next": f"{PREFIX}/audit?{urlencode({**query, 'page': number + 1})}"
            if number * SIZE < found.total
            else None,
        },
        login=login,
        status=422 if errors else 200,
    )


def _download(name: str, fmt: str, table: downloads.Table) -> Response:
    header, rows = table
    if fmt == "xlsx":
        content: bytes | str = downloads.xlsx_bytes(name, header, rows)
    else:
        content = csv_text(header, rows)
    return Response(
        content,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def _format(params: QueryParams) -> str:
    fmt = params.get("format", "csv")
    if fmt not in FORMATS:
        raise InputError("format", fmt, "csv or xlsx", choices=tuple(FORMATS))
    return fmt


@router.get("/audit/export")
def audit_export(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    errors: dict[str, str] = {}
    chosen = _filters(request.query_params, errors)
    fmt = _format(request.query_params)
    with registry.transaction() as session:
        found = audit.entries(session, login.actor, audit.AuditQuery(**chosen, limit=EXPORT_MAX))
        table = downloads.audit_table(session, login.actor, found.items)
    return _download("audit-log", fmt, table)


@router.get("/export/cases")
def cases_export(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    fmt = _format(request.query_params)
    with registry.transaction() as session:
        table = downloads.cases_table(session, login.actor)
    return _download("cases", fmt, table)
