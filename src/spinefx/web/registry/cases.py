"""``/registry/cases/{case_id}``: the case page (its timeline, charts, evidence and forms), its
print view, and the case's own writes: accept or dismiss a case-finding hit, change its details.

Every write names the case version the form was made from; a stale one is 409 and the page
comes back with what was typed, not saved, beside a message saying what to do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError, VersionConflict
from spinefx.registry import cases
from spinefx.registry.auth import LoginSession
from spinefx.registry.schema import CaseUpdate, parse
from spinefx.web.deps import FormLoginDep, LoginDep, RegistryDep
from spinefx.web.forms import form_data, form_errors
from spinefx.web.registry.forms import CASE_FIELDS, CASE_NAMES
from spinefx.web.registry.pages import (
    PREFIX,
    CaseId,
    conflict_text,
    form_text,
    form_version,
    page,
    safe_next,
)
from spinefx.web.registry.timeline import case_context

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _show_case(
    request: Request,
    registry: Any,
    login: LoginSession,
    case_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        context = case_context(case)
    context.update(extra)
    return page(request, "registry/case.html", context, login=login, status=status)


@router.api_route("/cases/{case_id}", methods=["GET", "HEAD"])
def case_page(
    case_id: CaseId, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    return _show_case(request, registry, login, case_id)


@router.api_route("/cases/{case_id}/print", methods=["GET", "HEAD"])
def case_print(
    case_id: CaseId, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        context = case_context(case)
    return page(request, "registry/print.html", context, login=login)


@router.post("/cases/{case_id}/accept")
async def case_accept(
    case_id: CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    data = await request.form()
    next_url = safe_next(form_text(data, "next"), f"{PREFIX}/cases/{case_id}")
    try:
        with registry.transaction() as session:
            cases.accept(session, login.actor, case_id, form_version(data))
    except VersionConflict:
        return _show_case(request, registry, login, case_id, status=409, conflict=conflict_text())
    except InputError as exc:
        return _show_case(request, registry, login, case_id, status=422, review_error=str(exc))
    return RedirectResponse(next_url, status_code=303)


@router.post("/cases/{case_id}/dismiss")
async def case_dismiss(
    case_id: CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    data = await request.form()
    reason = form_text(data, "reason")
    next_url = safe_next(form_text(data, "next"), f"{PREFIX}/cases/{case_id}")
    try:
        with registry.transaction() as session:
            cases.dismiss(session, login.actor, case_id, form_version(data), reason)
    except VersionConflict:
        return _show_case(
            request,
            registry,
            login,
            case_id,
            status=409,
            conflict=conflict_text(),
            reason=reason,
        )
    except InputError as exc:
        message = (
            "Write a few words on why the case is dismissed."
            if any(p.field == "reason" for p in exc.problems)
            else str(exc)
        )
        return _show_case(
            request, registry, login, case_id, status=422, review_error=message, reason=reason
        )
    return RedirectResponse(next_url, status_code=303)


@router.post("/cases/{case_id}")
async def case_update(
    case_id: CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    data = await request.form()
    typed = {f.name: form_text(data, f.name) for f in CASE_FIELDS}
    try:
        version = form_version(data)
        changes = parse(CaseUpdate, form_data(CASE_FIELDS, data))
        with registry.transaction() as session:
            cases.update_case(session, login.actor, case_id, version, changes)
    except VersionConflict:
        return _show_case(
            request,
            registry,
            login,
            case_id,
            status=409,
            case_conflict=conflict_text(),
            case_values=typed,
        )
    except InputError as exc:
        return _show_case(
            request,
            registry,
            login,
            case_id,
            status=422,
            case_errors=form_errors(exc.problems, CASE_NAMES),
            case_values=typed,
        )
    return RedirectResponse(f"{PREFIX}/cases/{case_id}#details", status_code=303)
