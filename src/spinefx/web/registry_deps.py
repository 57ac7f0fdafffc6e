"""Registry dependencies: the database the app owns, and the ONE role-and-site check.

Every registry route (API and pages) names the :class:`~spinefx.registry.permissions.Action`
it performs with :func:`allowed`; that one dependency finds the caller (a bearer token under
``/api/``; a login session on pages), checks the role against
:data:`~spinefx.registry.permissions.RIGHTS` and, when the path names a case, that the case is
at one of the caller's sites (another site's case is 404, exactly like a missing one). The
data layer checks the same again, so no route can forget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from spinefx.errors import NotAuthenticated, NotFound
from spinefx.registry import auth
from spinefx.registry.cases import load_case
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Action, Actor, require
from spinefx.web.deps import SESSION_COOKIE, RegistryDep, get_registry

__all__ = [
    "SESSION_COOKIE",
    "Caller",
    "RegistryDep",
    "allowed",
    "bearer_token",
    "get_registry",
]


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
            return Caller(auth.token_actor(session, bearer_token(request)), registry)
        login = auth.session_actor(session, request.cookies.get(SESSION_COOKIE, ""))
        return Caller(login.actor, registry, login)


def allowed(action: Action) -> Callable[[Request, Registry], Caller]:
    """A dependency: the caller, if their role may do ``action`` (at the path's case's site)."""

    def dependency(request: Request, registry: RegistryDep) -> Caller:
        caller = _identify(request, registry)
        case_id = request.path_params.get("case_id")
        if case_id is None:
            require(caller.actor, action)
            return caller
        with registry.transaction() as session:
            # another site's case is NotFound for every role, before the role is looked at
            if not (case_id.isascii() and case_id.isdigit() and len(case_id) < 19):
                raise NotFound(f"no case {case_id[:20]}")
            case = load_case(session, caller.actor, int(case_id))
            require(caller.actor, action, site_id=case.site_id)
        return caller

    dependency.__name__ = f"allowed_{action.value.replace('-', '_')}"
    return dependency
