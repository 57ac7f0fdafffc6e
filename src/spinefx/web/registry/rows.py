"""``/registry/cases/{case_id}/<kind>``: add or edit one row under a case (a fracture, an FLS
event, a procedure, an outcome score), each kind's form made from its input model
(:data:`~spinefx.web.registry.forms.ROW_FORMS`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError, NotFound, VersionConflict
from spinefx.registry import cases
from spinefx.registry.auth import LoginSession
from spinefx.registry.permissions import require
from spinefx.registry.rows import add_row, update_row
from spinefx.registry.schema import parse
from spinefx.web.deps import FormLoginDep, LoginDep, RegistryDep, audit_refusal
from spinefx.web.forms import form_data, form_errors, form_values, values_of
from spinefx.web.registry import pages
from spinefx.web.registry.forms import ROW_FORMS, RowForm
from spinefx.web.registry.timeline import timeline

__all__ = ["router"]

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)


def _row_form_page(
    request: Request,
    registry: Any,
    login: LoginSession,
    case_id: int,
    spec: RowForm,
    *,
    row_id: int | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    conflict: str = "",
    status: int = 200,
    version: int | None = None,
) -> Response:
    """The add/edit form of one row; ``version`` is the one the user's form was made from
    (kept when the form comes back with a message), the stored one after a conflict."""
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        require(login.actor, spec.action, site_id=case.site_id)
        rows = getattr(case, spec.kind)
        current = next((r for r in rows if r.id == row_id), None) if row_id else None
        if row_id is not None and current is None:
            raise NotFound(f"no {spec.title} {row_id} in case {case_id}")
        context = {
            "case": case,
            "spec": spec,
            "row_id": row_id,
            "values": values,
            "errors": dict(errors or {}),
            "names": spec.names,
            "conflict": conflict,
            "version": case.version if version is None else version,
            "stored": values_of(spec.fields, current) if current is not None and conflict else None,
            "timeline": [i for i in timeline(case) if i.kind == spec.kind],
        }
    return pages.page(request, "registry/row_form.html", context, login=login, status=status)


def _spec(kind: str) -> RowForm:
    spec = ROW_FORMS.get(kind)
    if spec is None:
        raise NotFound(f"no page {kind}")
    return spec


@router.api_route("/cases/{case_id}/{kind}/new", methods=["GET", "HEAD"])
def row_new(
    case_id: pages.CaseId, kind: str, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    spec = _spec(kind)
    return _row_form_page(request, registry, login, case_id, spec, row_id=None, values={})


@router.api_route("/cases/{case_id}/{kind}/{row_id}/edit", methods=["GET", "HEAD"])
def row_edit(
    case_id: pages.CaseId,
    kind: str,
    row_id: pages.RowId,
    request: Request,
    login: LoginDep,
    registry: RegistryDep,
) -> Response:
    spec = _spec(kind)
    with registry.transaction() as session:
        case = cases.load_case(session, login.actor, case_id, full=True)
        row = next((r for r in getattr(case, spec.kind) if r.id == row_id), None)
        if row is None:
            raise NotFound(f"no {spec.title} {row_id} in case {case_id}")
        values = values_of(spec.fields, row)
    return _row_form_page(request, registry, login, case_id, spec, row_id=row_id, values=values)


async def _save_row(
    request: Request,
    registry: Any,
    login: LoginSession,
    case_id: int,
    kind: str,
    row_id: int | None,
) -> Response:
    spec = _spec(kind)
    data = await request.form()
    typed = form_values(data, spec.fields)
    # The form again, with what was typed (not saved) and why.
    again = partial(
        _row_form_page, request, registry, login, case_id, spec, row_id=row_id, values=typed
    )
    version: int | None = None
    try:
        version = pages.form_version(data)
        parsed = parse(spec.model, form_data(spec.fields, data))
        with registry.transaction() as session:
            if row_id is None:
                add_row(session, login.actor, spec.kind, case_id, version, parsed)
            else:
                update_row(session, login.actor, spec.kind, case_id, row_id, version, parsed)
    except VersionConflict:
        audit_refusal(request, 409)  # the page answers it, not the error handler
        return again(conflict=pages.conflict_text(), status=409)
    except InputError as exc:
        return again(errors=form_errors(exc.problems, spec.names), status=422, version=version)
    return RedirectResponse(f"{pages.PREFIX}/cases/{case_id}#timeline", status_code=303)


@router.post("/cases/{case_id}/{kind}")
async def row_add(
    case_id: pages.CaseId, kind: str, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    return await _save_row(request, registry, login, case_id, kind, None)


@router.post("/cases/{case_id}/{kind}/{row_id}")
async def row_update(
    case_id: pages.CaseId,
    kind: str,
    row_id: pages.RowId,
    request: Request,
    login: FormLoginDep,
    registry: RegistryDep,
) -> Response:
    return await _save_row(request, registry, login, case_id, kind, row_id)
