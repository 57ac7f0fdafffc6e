"""The registry's user pages, for admins: list the users of their sites and the open
invitations, invite a person, change a role or sites, lock or unlock an account.

An admin invites, never adds (:mod:`spinefx.registry.invitations`): the invitation is e-mailed
(through ``SPINEFX_SMTP_HOST``, else into the data folder's ``outbox``) and the answer is the
same whether or not the address already has a login at another site.

Every page needs a login with the admin role (another role: 403) and every form the session's
CSRF token (:data:`~spinefx.web.deps.FormLoginDep`); a user who works at none of the admin's
sites is 404, as if there were none. The rules are the data layer's
(:mod:`spinefx.registry.users`): an admin gives only their own sites, cannot lock their own
account or change their own role, and every change is written to the audit log.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError
from spinefx.registry import invitations, users
from spinefx.registry.auth import LoginSession
from spinefx.registry.models import Site, User, utcnow
from spinefx.registry.permissions import Action, require
from spinefx.registry.vocab import Role
from spinefx.web.deps import FormLoginDep, LoginDep, LoginGuardDep, RegistryDep, SettingsDep
from spinefx.web.forms import FormField, form_errors
from spinefx.web.logins import BUSY, HashingBusy
from spinefx.web.registry.pages import PREFIX, RowId, form_text, page

__all__ = ["ROLE_HELP", "ROLE_WORDS", "router", "user_state"]

router = APIRouter(prefix=f"{PREFIX}/users", include_in_schema=False)

ROLE_WORDS = {
    Role.ADMIN.value: "everything, and the users of their sites",
    Role.CLINICIAN.value: "cases, procedures and saved results",
    Role.COORDINATOR.value: "cases, FLS events and outcome scores",
    Role.AUDITOR.value: "reads cases and the audit log, changes nothing",
}
ROLE_CHOICES = tuple((r.value, r.value.capitalize()) for r in Role)
ROLE_HELP = ". ".join(f"{r.value.capitalize()}: {ROLE_WORDS[r.value]}" for r in Role) + "."
NAMES = {
    "email": "E-mail",
    "role": "Role",
    "sites": "Sites",
    "password": "Password",
    "user": "User",
}
DONE = {
    "invited": "Invitation sent. Its link works once, for "
    f"{invitations.INVITATION_DAYS} days; the person appears in this list once they accept it.",
    "withdrawn": "Invitation withdrawn: its link no longer works.",
    "saved": "Role and sites saved.",
    "locked": "Account locked: the user cannot log in; their sessions have ended and their API "
    "tokens are revoked (unlocking does not bring them back).",
    "unlocked": "Account unlocked: the user can log in again.",
    "reset": "New password set: give it to the user by a safe channel. Their logins have ended.",
}


def user_state(user: User, now: datetime) -> str:
    """``active``, ``locked`` (by an admin) or ``held`` (after failed logins, for a while)."""
    if not user.active:
        return "locked"
    if user.locked_until is not None and user.locked_until > now:
        return "held"
    return "active"


def _fields(sites: Sequence[Site], *, new: bool) -> tuple[FormField, ...]:
    site_field = FormField(
        "sites",
        "Sites",
        "multi",
        choices=tuple((s.code, s.label) for s in sites),
        help="The user sees the cases of these sites only.",
    )
    role_field = FormField(
        "role", "Role", "choice", nullable=False, choices=ROLE_CHOICES, help=ROLE_HELP
    )
    if not new:
        return (role_field, site_field)
    return (
        FormField(
            "email",
            "E-mail",
            "text",
            nullable=False,
            help="The invitation goes to this address; it becomes their login.",
        ),
        role_field,
        site_field,
    )


def _errors(exc: InputError) -> dict[str, str]:
    """The data layer's problems on this form's fields (the form's names are the fields')."""
    return form_errors(exc.problems, NAMES)


def _form_page(
    request: Request,
    login: LoginSession,
    sites: Sequence[Site],
    *,
    user: User | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    return page(
        request,
        "registry/user.html",
        {
            "user": user,
            "fields": _fields(sites, new=user is None),
            "values": values,
            "errors": dict(errors or {}),
            "names": NAMES,
            "done": DONE.get(done, ""),
            "state": user_state(user, utcnow()) if user is not None else "",
            "own": user is not None and user.id == login.actor.user_id,
            "other_sites": [s for s in user.sites if not login.actor.sees_site(s.id)]
            if user is not None
            else [],
        },
        login=login,
        status=status,
    )


def _typed(data: FormData) -> dict[str, Any]:
    return {
        "email": form_text(data, "email"),
        "role": form_text(data, "role"),
        "sites": [v for v in data.getlist("sites") if isinstance(v, str)],
    }


@router.api_route("", methods=["GET", "HEAD"])
def users_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    require(login.actor, Action.MANAGE_USERS)
    now = utcnow()
    with registry.transaction() as session:
        rows = [
            (u, user_state(u, now), [s for s in u.sites if login.actor.sees_site(s.id)])
            for u in users.list_users(session, login.actor)
        ]
        labels = {s.id: s.label for s in users.list_sites(session, login.actor)}
        invited = [
            (i, ", ".join(labels[s] for s in i.site_ids if s in labels))
            for i in invitations.pending(session, login.actor)
        ]
    done = request.query_params.get("done", "")
    return page(
        request,
        "registry/users.html",
        {"rows": rows, "invited": invited, "done": DONE.get(done, "")},
        login=login,
    )


@router.api_route("/new", methods=["GET", "HEAD"])
def new_user_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    require(login.actor, Action.MANAGE_USERS)
    with registry.transaction() as session:
        sites = users.list_sites(session, login.actor)
    values = {"sites": [sites[0].code] if len(sites) == 1 else []}
    return _form_page(request, login, sites, user=None, values=values)


@router.post("")
async def invite_user(
    request: Request, login: FormLoginDep, registry: RegistryDep, settings: SettingsDep
) -> Response:
    typed = _typed(await request.form())
    mailer = settings.mailer
    base_url = settings.public_url or str(request.base_url)

    def invite_and_send() -> None:
        # in one transaction: a message that cannot be sent leaves no invitation behind
        with registry.transaction() as session:
            row, token = invitations.invite(
                session, login.actor, typed["email"], role=typed["role"], sites=typed["sites"]
            )
            mine = users.list_sites(session, login.actor)
            labels = [s.label for s in mine if s.id in row.site_ids]
            subject, body = invitations.invitation_email(row, token, labels, base_url)
            mailer.send(row.email, subject, body)

    try:
        await run_in_threadpool(invite_and_send)
    except (InputError, OSError, smtplib.SMTPException) as exc:
        with registry.transaction() as session:
            sites = users.list_sites(session, login.actor)
        if isinstance(exc, InputError):
            errors, status = _errors(exc), 422
        else:
            errors = {
                "(input)": "Not sent: the mail server did not take the invitation, so "
                "nothing was saved. Try again later, or ask the operator."
            }
            status = 503
        return _form_page(
            request, login, sites, user=None, values=typed, errors=errors, status=status
        )
    return RedirectResponse(f"{PREFIX}/users?done=invited", status_code=303)


@router.post("/invitations/{invitation_id}/withdraw")
async def withdraw_invitation(
    invitation_id: RowId, login: FormLoginDep, registry: RegistryDep
) -> Response:
    with registry.transaction() as session:
        invitations.withdraw(session, login.actor, invitation_id)
    return RedirectResponse(f"{PREFIX}/users?done=withdrawn", status_code=303)


def _user_again(
    request: Request,
    login: LoginSession,
    registry: Any,
    user_id: int,
    errors: Mapping[str, str] | None = None,
    *,
    values: Mapping[str, Any] | None = None,
    done: str = "",
    read: bool = False,
) -> Response:
    """A user's page: as stored, or with what was typed (``values``) beside ``errors`` (422)."""
    with registry.transaction() as session:
        user = users.get_user(session, login.actor, user_id, read=read)
        sites = users.list_sites(session, login.actor)
        shown = values or {"role": user.role, "sites": [s.code for s in user.sites]}
        return _form_page(
            request,
            login,
            sites,
            user=user,
            values=shown,
            errors=errors,
            done=done,
            status=422 if errors else 200,
        )


@router.api_route("/{user_id}", methods=["GET", "HEAD"])
def user_page(user_id: RowId, request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    done = request.query_params.get("done", "")
    return _user_again(request, login, registry, user_id, done=done, read=True)


@router.post("/{user_id}")
async def update_user(
    user_id: RowId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    typed = _typed(await request.form())
    try:
        with registry.transaction() as session:
            users.update_user(
                session, login.actor, user_id, role=typed["role"], sites=typed["sites"]
            )
    except InputError as exc:
        return _user_again(request, login, registry, user_id, _errors(exc), values=typed)
    return RedirectResponse(f"{PREFIX}/users/{user_id}?done=saved", status_code=303)


async def _set_locked(
    user_id: int, locked: bool, request: Request, login: LoginSession, registry: Any
) -> Response:
    try:
        with registry.transaction() as session:
            users.set_locked(session, login.actor, user_id, locked)
    except InputError as exc:
        errors = {"(input)": f"Not locked: {exc.allowed}."}
        return _user_again(request, login, registry, user_id, errors)
    done = "locked" if locked else "unlocked"
    return RedirectResponse(f"{PREFIX}/users/{user_id}?done={done}", status_code=303)


@router.post("/{user_id}/password")
async def reset_password(
    user_id: RowId,
    request: Request,
    login: FormLoginDep,
    registry: RegistryDep,
    guard: LoginGuardDep,
) -> Response:
    password = (await request.form()).get("password")

    def reset() -> None:  # argon2: in the login pool, off the event loop
        with registry.transaction() as session:
            users.reset_password(
                session, login.actor, user_id, password if isinstance(password, str) else ""
            )

    try:
        await guard.run(reset)
    except HashingBusy:
        busy = _user_again(request, login, registry, user_id, {"(input)": BUSY})
        busy.status_code = 503
        return busy
    except InputError as exc:
        return _user_again(request, login, registry, user_id, _errors(exc))
    return RedirectResponse(f"{PREFIX}/users/{user_id}?done=reset", status_code=303)


@router.post("/{user_id}/lock")
async def lock_user(
    user_id: RowId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    return await _set_locked(user_id, True, request, login, registry)


@router.post("/{user_id}/unlock")
async def unlock_user(
    user_id: RowId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    return await _set_locked(user_id, False, request, login, registry)
