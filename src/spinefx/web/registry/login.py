"""``/registry/login`` and ``/registry/logout``: log in with an e-mail and password (failed
logins slow down, then lock the account for a while), log out (the session ends on the server).

The password is checked in the login pool (:mod:`spinefx.web.logins`), off the event loop;
failures are counted per account, per unknown e-mail and per client address, and a held-back
attempt is a 429 with ``Retry-After`` whichever it was.

The login form carries its own CSRF cookie (there is no session yet); a tool's result sent to
be saved before the login (``save_kind``, ``save_input``) goes on to the case chooser after it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import NotAuthenticated
from spinefx.registry import auth
from spinefx.web.deps import (
    SESSION_COOKIE,
    FormLoginDep,
    LoginGuardDep,
    RegistryDep,
    SettingsDep,
)
from spinefx.web.logins import BUSY, HashingBusy, refusal
from spinefx.web.registry import pages
from spinefx.web.registry.saving import save_chooser

__all__ = ["router"]

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)

DONE = {
    "logout": "You have logged out.",
    "joined": "Invitation accepted: log in with your e-mail address and password.",
}


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
    message = DONE.get(request.query_params.get("done", ""), "")
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
    if not pages.public_form_sent(request, data):
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
    typed = password if isinstance(password, str) else ""
    try:
        login = await guard.check_password(
            address, lambda: auth.login(registry, email, typed, unknown=guard.unknown)
        )
    except HashingBusy:
        return pages.login_page(
            request,
            message=BUSY,
            email=email,
            next_url=next_url,
            status=503,
            headers={"retry-after": "1"},
            carry=carry,
        )
    except NotAuthenticated as exc:
        message, status, headers = refusal(exc)
        return pages.login_page(
            request,
            message=message,
            email=email,
            next_url=next_url,
            status=status,
            headers=headers,
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


@router.post("/logout")
async def logout(request: Request, login: FormLoginDep, registry: RegistryDep) -> Response:
    with registry.transaction() as session:
        auth.end_session(session, login.token)
    response = RedirectResponse(f"{pages.PREFIX}/login?done=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=pages.PREFIX)
    return response
