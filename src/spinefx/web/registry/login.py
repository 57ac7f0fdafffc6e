"""``/registry/login`` and ``/registry/logout``: log in with an e-mail and password (failed
logins slow down, then lock the account for a while), log out (the session ends on the server).

The password is checked in the login pool (:mod:`spinefx.web.logins`), off the event loop;
failures are counted per account, per unknown e-mail and per client address, and a held-back
attempt is a 429 with ``Retry-After`` whichever it was.

The login form carries its own CSRF cookie (there is no session yet); a tool's result sent to
be saved before the login (``save_kind``, ``save_input``) goes on to the case chooser after it.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import AuthFailure, NotAuthenticated
from spinefx.registry import auth
from spinefx.registry.models import utcnow
from spinefx.web.deps import (
    SESSION_COOKIE,
    FormLoginDep,
    LoginGuardDep,
    RegistryDep,
    SettingsDep,
    same_origin,
)
from spinefx.web.logins import HashingBusy
from spinefx.web.registry import pages
from spinefx.web.registry.saving import save_chooser

__all__ = ["router"]

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)


@router.api_route("/login", methods=["GET", "HEAD"])
def login_form(request: Request, registry: RegistryDep) -> Response:
    next_url = pages.safe_next(request.query_params.get("next"))
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        try:
            with registry.transaction() as session:
                auth.session_actor(session, token)
            return RedirectResponse(next_url, status_code=303)
        except NotAuthenticated:
            pass
    message = "You have logged out." if request.query_params.get("done") == "logout" else ""
    return pages.login_page(request, next_url=next_url, message=message)


@router.post("/login")
async def login_submit(
    request: Request, registry: RegistryDep, settings: SettingsDep, guard: LoginGuardDep
) -> Response:
    data = await request.form()
    email = pages.form_text(data, "email")
    password = data.get("password")
    next_url = pages.safe_next(pages.form_text(data, "next"))
    carry = {
        k: pages.form_text(data, k) for k in ("save_kind", "save_input") if pages.form_text(data, k)
    }
    expected = request.cookies.get(pages.LOGIN_CSRF_COOKIE, "")
    submitted = pages.form_text(data, "csrf_token")
    if not expected or not hmac.compare_digest(expected, submitted) or not same_origin(request):
        return pages.login_page(
            request,
            message="The login form had expired: please log in again.",
            email=email,
            next_url=next_url,
            status=403,
            carry=carry,
        )
    # behind SPINEFX_FORWARDED_ALLOW_IPS, the address the proxy forwarded (create_app)
    address = request.client.host if request.client else ""
    from_address = guard.addresses.wait(address, utcnow())
    typed = password if isinstance(password, str) else ""
    try:
        if from_address:
            raise NotAuthenticated("too many failed logins from here", retry_after=from_address)
        login = await guard.run(lambda: auth.login(registry, email, typed, unknown=guard.unknown))
    except HashingBusy:
        return pages.login_page(
            request,
            message="The registry is busy with other logins. Try again in a moment.",
            email=email,
            next_url=next_url,
            status=503,
            headers={"retry-after": "1"},
            carry=carry,
        )
    except NotAuthenticated as exc:
        if exc.reason is AuthFailure.WRONG_CREDENTIALS:
            guard.addresses.failed(address, utcnow())
        if exc.retry_after:
            wait = _wait_words(exc.retry_after)
            message = (
                f"This account is locked after repeated failed logins. Try again in {wait}."
                if exc.reason is AuthFailure.LOCKED
                else f"Too many failed logins in a row. Wait {wait}, then try again."
            )
            return pages.login_page(
                request,
                message=message,
                email=email,
                next_url=next_url,
                status=429,
                headers={"retry-after": str(exc.retry_after)},
                carry=carry,
            )
        return pages.login_page(
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
        path=pages.PREFIX,
        httponly=True,
        samesite="strict",
        secure=settings.https,
    )
    response.delete_cookie(pages.LOGIN_CSRF_COOKIE, path=pages.PREFIX)
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
    response = RedirectResponse(f"{pages.PREFIX}/login?done=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=pages.PREFIX)
    return response
