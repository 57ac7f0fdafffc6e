"""``/registry/cases/{case_id}``: the case page (its timeline, charts, evidence and forms), its
print view, and the case's own writes: accept or dismiss a case-finding hit, change its details
or its contacts (the patient's phone and address, the primary care clinician).

Every write names the case version the form was made from; a stale one is 409 and the page
comes back with what was typed, not saved, beside a message saying what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError, VersionConflict
from spinefx.registry import cases
from spinefx.registry.auth import LoginSession
from spinefx.registry.contacts import ContactsIn, update_contacts
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseUpdate, parse
from spinefx.web.deps import FormLoginDep, LoginDep, RegistryDep, audit_refusal
from spinefx.web.forms import FormField, form_data, form_words
from spinefx.web.registry import pages
from spinefx.web.registry.forms import (
    CASE_FIELDS,
    CASE_NAMES,
    CONTACT_FORM,
    CONTACT_NAMES,
    ROW_FORMS,
)
from spinefx.web.registry.timeline import case_context

__all__ = ["router"]

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)


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
    return pages.page(request, "registry/case.html", context, login=login, status=status)


@router.api_route("/cases/{case_id}", methods=["GET", "HEAD"])
def case_page(
    case_id: pages.CaseId, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    asked = request.query_params.get("saved", "")
    saved = ROW_FORMS.get(asked)
    title = saved.title if saved else "contact details" if asked == "contacts" else ""
    return _show_case(request, registry, login, case_id, saved=title)


@router.api_route("/cases/{case_id}/print", methods=["GET", "HEAD"])
def case_print(
    case_id: pages.CaseId, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        context = case_context(case)
    return pages.page(request, "registry/print.html", context, login=login)


@router.post("/cases/{case_id}/accept")
async def case_accept(
    case_id: pages.CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    def accept(session: Session, version: int, reason: str) -> object:
        return cases.accept(session, login.actor, case_id, version)

    return await _review(request, registry, login, case_id, accept)


@router.post("/cases/{case_id}/dismiss")
async def case_dismiss(
    case_id: pages.CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    def dismiss(session: Session, version: int, reason: str) -> object:
        return cases.dismiss(session, login.actor, case_id, version, reason)

    return await _review(request, registry, login, case_id, dismiss)


async def _review(
    request: Request,
    registry: Any,
    login: LoginSession,
    case_id: int,
    decide: Callable[[Session, int, str], object],
) -> Response:
    """Accept or dismiss a case-finding hit; the case page again when it cannot be done."""
    data = await request.form()
    reason = pages.form_text(data, "reason")
    next_url = pages.safe_next(pages.form_text(data, "next"), f"{pages.PREFIX}/cases/{case_id}")
    again = partial(_show_case, request, registry, login, case_id, reason=reason)
    try:
        with registry.transaction() as session:
            decide(session, pages.form_version(data), reason)
    except VersionConflict:
        audit_refusal(request, 409)  # the page answers it, not the error handler
        return again(status=409, conflict=pages.conflict_text())
    except InputError as exc:
        no_reason = any(p.field == "reason" for p in exc.problems)
        message = "Write a few words on why the case is dismissed." if no_reason else str(exc)
        return again(status=422, review_error=message)
    return RedirectResponse(next_url, status_code=303)


@dataclass(frozen=True)
class _CaseForm:
    """One of the case page's own forms: its fields, how it is read and saved, where to go."""

    prefix: str  # the page's context keys: <prefix>_values, _errors, _conflict
    fields: tuple[FormField, ...]
    names: Mapping[str, str]
    read: Callable[[dict[str, Any]], Any]
    save: Callable[[Session, Actor, int, int, Any], object]
    then: str  # after the case's address: the anchor (or query) to land on


_DETAILS_FORM = _CaseForm(
    "case",
    CASE_FIELDS,
    CASE_NAMES,
    # The form shows every field: a date of death left blank is no date of death.
    lambda typed: parse(CaseUpdate, {"death_date": None, **typed}),
    cases.update_case,
    "#details",
)
_CONTACTS_FORM = _CaseForm(
    "contact",
    CONTACT_FORM,
    CONTACT_NAMES,
    # Every field is on the form: one left blank is cleared.
    lambda typed: parse(ContactsIn, typed),
    update_contacts,
    "?saved=contacts#contacts",
)


@router.post("/cases/{case_id}")
async def case_update(
    case_id: pages.CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    return await _save_case_form(request, registry, login, case_id, _DETAILS_FORM)


@router.post("/cases/{case_id}/contacts")
async def case_contacts(
    case_id: pages.CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    return await _save_case_form(request, registry, login, case_id, _CONTACTS_FORM)


async def _save_case_form(
    request: Request, registry: Any, login: LoginSession, case_id: int, form: _CaseForm
) -> Response:
    """Save one case form at the version it was made from; else the page again, as typed."""
    data = await request.form()
    typed = {f.name: pages.form_text(data, f.name) for f in form.fields}
    shown: dict[str, Any] = {f"{form.prefix}_values": typed}
    again = partial(_show_case, request, registry, login, case_id, **shown)
    try:
        version = pages.form_version(data)
        parsed = form.read(form_data(form.fields, data))
        with registry.transaction() as session:
            form.save(session, login.actor, case_id, version, parsed)
    except VersionConflict:
        audit_refusal(request, 409)  # the page answers it, not the error handler
        return again(status=409, **{f"{form.prefix}_conflict": pages.conflict_text()})
    except InputError as exc:
        errors = form_words(exc.problems, form.names)
        return again(status=422, **{f"{form.prefix}_errors": errors})
    return RedirectResponse(f"{pages.PREFIX}/cases/{case_id}{form.then}", status_code=303)
