"""``/registry/invitation``: the page an invitation's link opens, and accepting it.

The link's token is a query parameter, so that no log line holds it (logs keep the path only).
Whoever holds the link reads that mailbox: the page says whether the address already has a
login, and asks for its password (the sites are added to it) or for a new one (the login is
made). Passwords are checked in the login pool and counted as failed logins, per account and
per client address, exactly as at the login form (:mod:`spinefx.web.logins`). The form carries
its own CSRF cookie, as the login form does. On success the person goes on to log in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError, NotAuthenticated, NotFound
from spinefx.registry import invitations
from spinefx.registry.models import User
from spinefx.registry.passwords import PASSWORD_RULE
from spinefx.web.deps import LoginGuardDep, RegistryDep
from spinefx.web.logins import BUSY, HashingBusy, refusal
from spinefx.web.registry import pages

__all__ = ["router"]

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)


Answer = tuple[str, int, dict[str, str]]  # the message, the status and the headers


def _page(
    request: Request, registry: RegistryDep, token: str, answer: Answer = ("", 200, {})
) -> Response:
    """The invitation's page, with ``answer``'s message (the link not valid: 404)."""
    message, status, headers = answer
    try:
        with registry.transaction() as session:
            invitation = invitations.open_invitation(session, token)
    except NotFound as exc:
        invitation = None
        message, status = str(exc)[0].upper() + str(exc)[1:] + ".", 404
    return pages.public_form_page(
        request,
        "registry/invitation.html",
        {
            "invitation": invitation,
            "token": token if invitation else "",
            "message": message,
            "password_rule": PASSWORD_RULE,
        },
        status=status,
        headers=headers,
    )


@router.api_route("/invitation", methods=["GET", "HEAD"])
def invitation_page(request: Request, registry: RegistryDep) -> Response:
    return _page(request, registry, request.query_params.get("token", ""))


@router.post("/invitation")
async def accept_invitation(
    request: Request, registry: RegistryDep, guard: LoginGuardDep
) -> Response:
    data = await request.form()
    token = pages.form_text(data, "token")
    password = data.get("password")
    typed = password if isinstance(password, str) else ""
    if not pages.public_form_sent(request, data):
        return _page(request, registry, token, ("The form had expired: try again.", 403, {}))
    again = data.get("password_again")
    if isinstance(again, str) and again != typed:
        differ = "The two passwords differ: type the same password twice."
        return _page(request, registry, token, (differ, 422, {}))

    def accept() -> User:
        with registry.transaction() as session:
            outcome = invitations.accept(session, token, typed, unknown=guard.unknown)
            if isinstance(outcome, User):
                return outcome
        raise outcome  # after the transaction: the failed login is counted

    address = request.client.host if request.client else ""
    try:
        await guard.check_password(address, accept)
    except HashingBusy:
        return _page(request, registry, token, (BUSY, 503, {"retry-after": "1"}))
    except NotFound:  # used or withdrawn meanwhile: the page says the link is not valid
        return _page(request, registry, token)
    except NotAuthenticated as exc:
        answer = refusal(exc)
        if answer[1] == 401:
            answer = ("Wrong password: give the password of your existing login.", 401, {})
        return _page(request, registry, token, answer)
    except InputError as exc:
        return _page(request, registry, token, (f"Not accepted: {exc.allowed}.", 422, {}))
    response = RedirectResponse(f"{pages.PREFIX}/login?done=joined", status_code=303)
    response.delete_cookie(pages.LOGIN_CSRF_COOKIE, path=pages.PREFIX)
    return response
