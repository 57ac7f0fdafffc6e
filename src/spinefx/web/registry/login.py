"""``/registry/login`` and ``/registry/logout``: log in with an e-mail and password (failed
logins slow down, then lock the account for a while), log out (the session ends on the server).

The login form carries its own CSRF cookie (there is no session yet); a tool's result sent to
be saved before the login (``save_kind``, ``save_input``) goes on to the case chooser after it.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import AuthFailure, NotAuthenticated
from spinefx.registry import auth
from spinefx.web.deps import SESSION_COOKIE, FormLoginDep, RegistryDep, SettingsDep
from spinefx.web.registry.pages import (
    LOGIN_CSRF_COOKIE,
    PREFIX,
    form_text,
    login_page,
    safe_next,
)
from spinefx.web.registry.saving import save_chooser

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.api_route("/login", methods=["GET", "HEAD"])
def login_form(request: Request, registry: RegistryDep) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        try:
            with registry.transaction() as session:
                auth.session_actor(session, token)
            return RedirectResponse(next_url, status_code=303)
        except NotAuthenticated:
            pass
    message = "You have logged out." if request.query_params.get("done") == "logout" else ""
    return login_page(request, next_url=next_url, message=message)


@router.post("/login")
async def login_submit(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    data = await request.form()
    email = form_text(data, "email")
    password = data.get("password")
    next_url = safe_next(form_text(data, "next"))
    carry = {k: form_text(data, k) for k in ("save_kind", "save_input") if form_text(data, k)}
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    submitted = form_text(data, "csrf_token")
    if not expected or not hmac.compare_digest(expected, submitted):
        return login_page(
            request,
            message="The login form had expired: please log in again.",
            email=email,
            next_url=next_url,
            status=403,
            carry=carry,
        )
    try:
        login = auth.login(registry, email, password if isinstance(password, str) else "")
    except NotAuthenticated as exc:
        if exc.retry_after:
            wait = _wait_words(exc.retry_after)
            message = (
                f"This account is locked after repeated failed logins. Try again in {wait}."
                if exc.reason is AuthFailure.LOCKED
                else f"Too many failed logins in a row. Wait {wait}, then try again."
            )
            return login_page(
                request,
                message=message,
                email=email,
                next_url=next_url,
                status=429,
                headers={"retry-after": str(exc.retry_after)},
                carry=carry,
            )
        return login_page(
            request,
            message="Wrong e-mail address or password.",
            email=email,
            next_url=next_url,
            status=401,
            carry=carry,
        )
    if carry.get("save_kind"):
        response = save_chooser(request, registry, login, carry["save_kind"], carry["save_input"])
    else:
        response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=settings.https,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"


@router.post("/logout")
async def logout(request: Request, login: FormLoginDep, registry: RegistryDep) -> Response:
    with registry.transaction() as session:
        auth.end_session(session, login.token)
    response = RedirectResponse(f"{PREFIX}/login?done=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
