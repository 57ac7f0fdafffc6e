"""``/registry/save``: save a clinician tool's result to a case, choosing the case first (and
logging in first when needed); nothing is written before the choice is confirmed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import NotAuthenticated
from spinefx.registry import cases
from spinefx.web.deps import FormLoginDep, RegistryDep, get_login
from spinefx.web.registry.pages import PREFIX, form_text, login_page, whole_number
from spinefx.web.registry.saving import run_rule, save_chooser

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.post("/save")
async def save_start(request: Request, registry: RegistryDep) -> Response:
    """From a clinician page's result: pick the case (log in first when needed). Writes nothing."""
    data = await request.form()
    kind, raw = form_text(data, "save_kind"), form_text(data, "save_input")
    run_rule(kind, raw)  # a bad payload is 422 here, before any login
    try:
        login = get_login(request, registry)
    except NotAuthenticated:
        return login_page(
            request,
            message="Log in to the registry to save this result to a case.",
            carry={"save_kind": kind, "save_input": raw},
        )
    return save_chooser(request, registry, login, kind, raw, mrn=form_text(data, "mrn"))


@router.post("/save/confirm")
async def save_confirm(request: Request, login: FormLoginDep, registry: RegistryDep) -> Response:
    data = await request.form()
    kind, raw = form_text(data, "save_kind"), form_text(data, "save_input")
    chosen = form_text(data, "case")
    case_id = whole_number(chosen, low=1)
    if case_id is None:
        return save_chooser(
            request,
            registry,
            login,
            kind,
            raw,
            status=422,
            message="Choose the case to save the result to.",
        )
    sent, result = run_rule(kind, raw)
    with registry.transaction() as session:
        case = cases.load_case(session, login.actor, case_id)
        version = case.version
        cases.save_assessment(
            session, login.actor, case_id, version, kind=kind, input=sent, result=result
        )
    return RedirectResponse(f"{PREFIX}/cases/{case_id}#timeline", status_code=303)
