"""HTTP answers for the registry's errors, installed by :func:`spinefx.web.app.create_app`.

Under ``/api/`` each is an RFC 9457 problem: :class:`~spinefx.errors.NotAuthenticated` 401
(with ``WWW-Authenticate: Bearer`` and, while logins are held back, ``Retry-After``),
:class:`~spinefx.errors.PermissionDenied` 403, :class:`~spinefx.errors.NotFound` 404 and
:class:`~spinefx.errors.VersionConflict` 409 (with ``current_version``). Pages get the error
page with the same status; a page asked for with GET that needs a login sends the browser to
:data:`LOGIN_PATH` (and back afterwards), a form sent without one gets the login page again
(401), and a registry form without the session's CSRF token
(:class:`~spinefx.web.deps.CsrfRejected`) is 403.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import NotAuthenticated, NotFound, PermissionDenied, VersionConflict
from spinefx.web.deps import CsrfRejected
from spinefx.web.problems import problem

__all__ = ["LOGIN_PATH", "NOT_AUTHENTICATED", "VERSION_CONFLICT", "install"]

LOGIN_PATH = "/registry/login"
NOT_AUTHENTICATED = "urn:spinefx:problem:not-authenticated"
VERSION_CONFLICT = "urn:spinefx:problem:version-conflict"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page(request: Request, status: int, title: str, detail: str) -> Response:
    from spinefx.web.routes.pages import error_page

    return error_page(request, status, title, detail)


def install(app: FastAPI) -> None:
    async def on_not_authenticated(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotAuthenticated)
        headers = {"WWW-Authenticate": 'Bearer realm="spinefx registry"'}
        if exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
        if _is_api(request):
            return problem(
                401,
                str(exc),
                instance=request.url.path,
                type=NOT_AUTHENTICATED,
                title="Not authenticated",
                headers=headers,
            )
        if request.method in ("GET", "HEAD"):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{LOGIN_PATH}?next={quote(here, safe='')}", status_code=303)
        from spinefx.web.routes.registry_pages import login_again

        return login_again(request)

    async def on_permission_denied(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return problem(403, str(exc), instance=request.url.path, title="Forbidden")
        return _page(request, 403, "Not allowed for your role", str(exc))

    async def on_not_found(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return problem(404, str(exc), instance=request.url.path, title="Not found")
        return _page(request, 404, "Not found", str(exc))

    async def on_conflict(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VersionConflict)
        if _is_api(request):
            return problem(
                409,
                str(exc),
                instance=request.url.path,
                type=VERSION_CONFLICT,
                title="Edited by someone else",
                current_version=exc.current,
            )
        return _page(request, 409, "Someone else changed this case", str(exc))

    async def on_csrf_rejected(request: Request, exc: Exception) -> Response:
        return _page(request, 403, "The form has expired", str(exc))

    app.add_exception_handler(CsrfRejected, on_csrf_rejected)
    app.add_exception_handler(NotAuthenticated, on_not_authenticated)
    app.add_exception_handler(PermissionDenied, on_permission_denied)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(VersionConflict, on_conflict)
