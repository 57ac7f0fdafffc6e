"""``/registry/cases/{case_id}/<kind>``: add or edit one row under a case (a fracture, an FLS
event, a procedure, an outcome score), each kind's form made from its input model
(:data:`~spinefx.web.registry.forms.ROW_FORMS`).

A new event's form starts on the case's next due event and today's date; an event of a type
the case already has asks once more before it is saved (``repeat=yes``); after a save the case
page says what was saved, with the way back to the worklist."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError, VersionConflict
from spinefx.registry import cases
from spinefx.registry.auth import LoginSession
from spinefx.registry.event_rules import same_type
from spinefx.registry.permissions import require
from spinefx.registry.rows import add_row, update_row
from spinefx.registry.schema import parse
from spinefx.web.deps import FormLoginDep, LoginDep, RegistryDep, audit_refusal
from spinefx.web.forms import form_data, form_values, form_words, values_of
from spinefx.web.registry import pages
from spinefx.web.registry.forms import EVENT_NAMES, INSTRUMENT_SHORT, ROW_FORMS, RowForm
from spinefx.web.registry.timeline import event_defaults, timeline

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
    repeat_of: str = "",
) -> Response:
    """The add/edit form of one row; ``version`` is the one the user's form was made from
    (kept when the form comes back with a message), the stored one after a conflict."""
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        require(login.actor, spec.action, site_id=case.site_id)
        rows = getattr(case, spec.kind)
        current = None if row_id is None else pages.row_in(rows, row_id, spec.title, case_id)
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
            "repeat_of": repeat_of,
        }
    return pages.page(request, "registry/row_form.html", context, login=login, status=status)


@router.api_route("/cases/{case_id}/{kind}/new", methods=["GET", "HEAD"])
def row_new(
    case_id: pages.CaseId, kind: str, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    spec = pages.known(ROW_FORMS, kind, "page")
    values: dict[str, Any] = {}
    if spec.kind == "events":
        with registry.transaction() as session:
            case = cases.load_case(session, login.actor, case_id)
            values = event_defaults(case.next_event)
    return _row_form_page(request, registry, login, case_id, spec, row_id=None, values=values)


def _names(spec: RowForm, typed: Mapping[str, Any]) -> dict[str, str]:
    """The labels of the form's fields; an outcome's score is named by its questionnaire
    ("RDQ score"), so that its range reads as the form shows it."""
    names = spec.names
    instrument = typed.get("instrument")
    if spec.kind == "outcomes" and isinstance(instrument, str) and instrument in INSTRUMENT_SHORT:
        names = {**names, "score": f"{INSTRUMENT_SHORT[instrument]} score"}
    return names


@router.api_route("/cases/{case_id}/{kind}/{row_id}/edit", methods=["GET", "HEAD"])
def row_edit(
    case_id: pages.CaseId,
    kind: str,
    row_id: pages.RowId,
    request: Request,
    login: LoginDep,
    registry: RegistryDep,
) -> Response:
    spec = pages.known(ROW_FORMS, kind, "page")
    with registry.transaction() as session:
        case = cases.load_case(session, login.actor, case_id, full=True)
        row = pages.row_in(getattr(case, spec.kind), row_id, spec.title, case_id)
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
    spec = pages.known(ROW_FORMS, kind, "page")
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
        if spec.kind == "events" and pages.form_text(data, "repeat") != "yes":
            kind_typed = str(getattr(parsed, "type", ""))
            with registry.transaction() as session:
                case = cases.load_case(session, login.actor, case_id, full=True)
                repeated = bool(same_type(case, kind_typed, row_id))
            if repeated:
                name = EVENT_NAMES.get(kind_typed, kind_typed)
                return again(status=200, version=version, repeat_of=name)
        with registry.transaction() as session:
            if row_id is None:
                add_row(session, login.actor, spec.kind, case_id, version, parsed)
            else:
                update_row(session, login.actor, spec.kind, case_id, row_id, version, parsed)
    except VersionConflict:
        audit_refusal(request, 409)  # the page answers it, not the error handler
        return again(conflict=pages.conflict_text(), status=409)
    except InputError as exc:
        errors = form_words(exc.problems, _names(spec, typed))
        return again(errors=errors, status=422, version=version)
    return RedirectResponse(
        f"{pages.PREFIX}/cases/{case_id}?saved={spec.kind}#saved", status_code=303
    )


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
