"""Request dependencies, as ``Annotated`` aliases so route signatures read plainly.

The app owns its resources: :func:`spinefx.web.app.create_app`'s lifespan makes them from
``Settings`` and keeps them on ``app.state`` (:class:`Resources`); routes receive them here
(:data:`SettingsDep`, :data:`TemplatesDep`, :data:`DirectoryDep`, :data:`RegistryDep`).

Who is calling the registry:

- the pages' logins: :data:`LoginDep` (the user of the registry's session cookie; none:
  :class:`~spinefx.errors.NotAuthenticated`, which a page asked for with GET answers with the
  login page) and :data:`FormLoginDep` (the same, for a form that writes: its ``csrf_token``
  field must be the session's CSRF token, else ``NotAuthenticated`` with the reason
  :attr:`~spinefx.errors.AuthFailure.FORM_EXPIRED`, 403, and nothing is applied);
- the ONE role-and-site check, :func:`allowed`: every registry API route names the
  :class:`~spinefx.registry.permissions.Action` it performs; the dependency finds the caller (a
  bearer token under ``/api/``, else the login session), checks the role against
  :data:`~spinefx.registry.permissions.RIGHTS` and, when the path names a case, that the case is
  at one of the caller's sites (another site's case is 404, exactly like a missing one). The
  data layer checks the same again, so no route can forget.

And what no route may store: :func:`refuse_unstorable_input`, a dependency of the whole app,
answers a NUL character (or a lone surrogate) in any path segment, query parameter or form
field with a 422 naming it (PostgreSQL refuses a NUL in text; it was a 500 there); a JSON body
is checked the same way where it is decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import Depends, Request
from starlette.templating import Jinja2Templates

from spinefx.directory.store import Directory
from spinefx.errors import AuthFailure, Bounds, InputError, NotAuthenticated, ProblemKind
from spinefx.registry import audit, auth
from spinefx.registry.cases import load_case
from spinefx.registry.db import Registry
from spinefx.registry.models import Case
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import MAX_ID
from spinefx.validation import refuse_unstorable_text
from spinefx.web.logins import LoginGuard
from spinefx.web.settings import Settings

__all__ = [
    "SESSION_COOKIE",
    "AppNotStarted",
    "Caller",
    "DirectoryDep",
    "FormLoginDep",
    "LoginDep",
    "LoginGuardDep",
    "RegistryDep",
    "Resources",
    "SettingsDep",
    "TemplatesDep",
    "allowed",
    "audit_refusal",
    "bearer_token",
    "check_origin",
    "get_directory",
    "get_login",
    "get_logins",
    "get_registry",
    "get_settings",
    "get_templates",
    "open_resources",
    "refuse_unstorable_input",
    "row_number",
    "same_origin",
]

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_unstorable_input(request: Request) -> None:
    """:class:`~spinefx.errors.InputError` for a NUL (or a lone surrogate) in the request's
    path parameters, query parameters or form fields, before any route or database sees it."""
    for name, value in request.path_params.items():
        refuse_unstorable_text({name: value})
    for name, value in request.query_params.multi_items():
        refuse_unstorable_text({name: value})
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in FORM_TYPES:
        form = await request.form()  # kept by Starlette: the route reads the same form again
        for name, value in form.multi_items():
            refuse_unstorable_text({name: value if isinstance(value, str) else ""})


def row_number(field: str, text: str) -> int:
    """The row id or case number ``text`` of a path, else a 422 naming ``field``: an id outside
    the databases' INTEGER cannot name a row (PostgreSQL's driver overflowed: a 500)."""
    digits = text[1:] if text[:1] in "+-" else text
    number = int(text) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None
    if number is None or not 1 <= number <= MAX_ID:
        raise InputError(
            field,
            text[:30],
            f"an integer from 1 to {MAX_ID}",
            kind=ProblemKind.RANGE if number is not None else ProblemKind.TYPE,
            expects="integer",
            bounds=Bounds(low=1, high=MAX_ID),
        )
    return number


@dataclass
class Resources:
    """What the app opens at startup and closes at shutdown (``app.state.resources``).

    Add a resource here (the registry's engine goes beside ``directory``), make it in
    :func:`open_resources`, close it in :meth:`close`, and hand it to routes with a
    dependency below.
    """

    directory: Directory
    registry: Registry  # the registry database's engine (connects on first use)
    logins: LoginGuard = field(default_factory=LoginGuard)  # hashing pool, failure counts

    def close(self) -> None:
        self.directory.close()
        self.registry.dispose()
        self.logins.close()


def open_resources(settings: Settings) -> Resources:
    """Make the app's resources from ``settings`` (nothing is read before this)."""
    return Resources(
        directory=Directory(settings.directory_db),
        registry=Registry.open(settings.registry_url),
    )


class AppNotStarted(RuntimeError):
    """A route ran before the app's lifespan started (a TestClient used without ``with``)."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def get_resources(request: Request) -> Resources:
    resources: Resources | None = getattr(request.app.state, "resources", None)
    if resources is None:
        raise AppNotStarted("the app's lifespan has not run: use `with TestClient(app)`")
    return resources


def get_directory(request: Request) -> Directory:
    return get_resources(request).directory


def get_registry(request: Request) -> Registry:
    return get_resources(request).registry


def get_logins(request: Request) -> LoginGuard:
    return get_resources(request).logins


SettingsDep = Annotated[Settings, Depends(get_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
DirectoryDep = Annotated[Directory, Depends(get_directory)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
LoginGuardDep = Annotated[LoginGuard, Depends(get_logins)]


SESSION_COOKIE = "spinefx_registry"


def get_login(request: Request, registry: RegistryDep) -> auth.LoginSession:
    """The live session of the registry cookie (its idle clock restarts), else NotAuthenticated."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise NotAuthenticated("please log in")
    with registry.transaction() as session:
        login = auth.session_actor(session, token)
    request.state.actor = login.actor  # for the audit entry of a refusal (audit_refusal)
    return login


LoginDep = Annotated[auth.LoginSession, Depends(get_login)]


def same_origin(request: Request) -> bool:
    """Whether a form was sent from this site's own pages: its ``Origin`` (or, without one, its
    ``Referer``) names the host the request was sent to. Neither header (a client that is not
    a browser): the CSRF token alone decides."""
    sent_from = request.headers.get("origin") or request.headers.get("referer")
    if not sent_from:
        return True
    if sent_from == "null":  # a sandboxed frame or a redirect from elsewhere
        return False
    host = request.headers.get("host", "")
    return urlsplit(sent_from).netloc.lower() == host.lower() and bool(host)


def check_origin(request: Request) -> None:
    """:class:`~spinefx.errors.NotAuthenticated` (403, form expired) unless :func:`same_origin`."""
    if not same_origin(request):
        raise NotAuthenticated(
            "the form was not sent from this site's pages: reload the page and send it again",
            reason=AuthFailure.FORM_EXPIRED,
        )


async def get_form_login(request: Request, login: LoginDep) -> auth.LoginSession:
    """:func:`get_login` for a form that writes: sent from this site's own pages
    (:func:`check_origin`), and the form's ``csrf_token`` must match."""
    check_origin(request)
    form = await request.form()  # kept by Starlette: the route reads the same form again
    submitted = form.get("csrf_token")
    auth.check_csrf(login, submitted if isinstance(submitted, str) else None)
    return login


FormLoginDep = Annotated[auth.LoginSession, Depends(get_form_login)]


@dataclass(frozen=True)
class Caller:
    """Who called, and the registry to act on; ``login`` is set for page (cookie) callers."""

    actor: Actor
    registry: Registry
    login: auth.LoginSession | None = None


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an API token as Authorization: Bearer <token>")
    return token.strip()


def _identify(request: Request, registry: Registry) -> Caller:
    with registry.transaction() as session:
        if request.url.path.startswith("/api/"):
            caller = Caller(auth.token_actor(session, bearer_token(request)), registry)
        else:
            login = auth.session_actor(session, request.cookies.get(SESSION_COOKIE, ""))
            caller = Caller(login.actor, registry, login)
    request.state.actor = caller.actor
    return caller


def audit_refusal(request: Request, status: int) -> None:
    """The audit entry of a refused request (403, 404, 409) by a caller who logged in: under
    the caller's sites and, when the path names a case of another site, that site too (its
    auditor sees who asked). Nothing for an anonymous caller (401 comes first)."""
    actor: Actor | None = getattr(request.state, "actor", None)
    resources: Resources | None = getattr(request.app.state, "resources", None)
    if actor is None or resources is None:
        return
    site_ids: list[int] = []
    with resources.registry.transaction() as session:
        raw = request.path_params.get("case_id")
        if isinstance(raw, str | int):
            try:
                number = row_number("case_id", str(raw))
            except InputError:
                number = None
            site = session.scalar(sa.select(Case.site_id).where(Case.id == number))
            site_ids = [site] if site is not None else []
        audit.record_refusal(
            session,
            actor,
            status,
            method=request.method,
            path=request.url.path,
            site_ids=site_ids,
        )


def allowed(action: Action) -> Callable[[Request, Registry], Caller]:
    """A dependency: the caller, if their role may do ``action`` (at the path's case's site)."""

    def dependency(request: Request, registry: RegistryDep) -> Caller:
        caller = _identify(request, registry)
        case_id = request.path_params.get("case_id")
        if case_id is None:
            require(caller.actor, action)
            return caller
        number = row_number("case_id", case_id)
        with registry.transaction() as session:
            # another site's case is NotFound for every role, before the role is looked at
            case = load_case(session, caller.actor, number)
            require(caller.actor, action, site_id=case.site_id)
        return caller

    dependency.__name__ = f"allowed_{action.value.replace('-', '_')}"
    return dependency
