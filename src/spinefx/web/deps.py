"""Request dependencies, as ``Annotated`` aliases so route signatures read plainly.

The registry pages' logins: :data:`LoginDep` (the user of the registry's session cookie; none:
:class:`~spinefx.errors.NotAuthenticated`, which a page asked for with GET answers with the
login page) and :data:`FormLoginDep` (the same, for a form that writes: its ``csrf_token`` field
must be the session's CSRF token, else :class:`CsrfRejected`, 403, and nothing is applied).

The app owns its resources: :func:`spinefx.web.app.create_app`'s lifespan makes them from
``Settings`` and keeps them on ``app.state`` (:class:`Resources`); routes receive them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.templating import Jinja2Templates

from spinefx.directory.store import Directory
from spinefx.errors import NotAuthenticated
from spinefx.registry.auth import LoginSession, check_csrf, session_actor
from spinefx.registry.db import Registry
from spinefx.web.settings import Settings

__all__ = [
    "SESSION_COOKIE",
    "AppNotStarted",
    "CsrfRejected",
    "DirectoryDep",
    "FormLoginDep",
    "LoginDep",
    "RegistryDep",
    "Resources",
    "SettingsDep",
    "TemplatesDep",
    "get_directory",
    "get_login",
    "get_registry",
    "get_settings",
    "get_templates",
    "open_resources",
]


@dataclass
class Resources:
    """What the app opens at startup and closes at shutdown (``app.state.resources``).

    Add a resource here (the registry's engine goes beside ``directory``), make it in
    :func:`open_resources`, close it in :meth:`close`, and hand it to routes with a
    dependency below.
    """

    directory: Directory
    registry: Registry  # the registry database's engine (connects on first use)

    def close(self) -> None:
        self.directory.close()
        self.registry.dispose()


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


SettingsDep = Annotated[Settings, Depends(get_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
DirectoryDep = Annotated[Directory, Depends(get_directory)]
RegistryDep = Annotated[Registry, Depends(get_registry)]


SESSION_COOKIE = "spinefx_registry"


class CsrfRejected(Exception):
    """A registry form came without this session's CSRF token (403, the form is not applied)."""


def get_login(request: Request, registry: RegistryDep) -> LoginSession:
    """The live session of the registry cookie (its idle clock restarts), else NotAuthenticated."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise NotAuthenticated("please log in")
    with registry.transaction() as session:
        return session_actor(session, token)


LoginDep = Annotated[LoginSession, Depends(get_login)]


async def get_form_login(request: Request, login: LoginDep) -> LoginSession:
    """:func:`get_login` for a form that writes: the form's ``csrf_token`` must match."""
    form = await request.form()  # kept by Starlette: the route reads the same form again
    submitted = form.get("csrf_token")
    try:
        check_csrf(login, submitted if isinstance(submitted, str) else None)
    except NotAuthenticated as exc:
        raise CsrfRejected(str(exc)) from exc
    return login


FormLoginDep = Annotated[LoginSession, Depends(get_form_login)]
