"""``/registry/password``: a logged-in user changes their own password, giving the current one.

The new one follows :func:`spinefx.registry.passwords.check_new_password`; the user's other
sessions end, the one they did it from goes on. (An admin's reset of someone else's password is
on the user's page, :mod:`spinefx.web.registry.users`.)
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError
from spinefx.registry import auth, users
from spinefx.registry.auth import LoginSession
from spinefx.registry.passwords import PASSWORD_RULE
from spinefx.web.deps import FormLoginDep, LoginDep, LoginGuardDep, RegistryDep
from spinefx.web.forms import form_errors
from spinefx.web.logins import BUSY, HashingBusy
from spinefx.web.registry.pages import PREFIX, form_text, page

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
NAMES = {"current_password": "Current password", "password": "New password"}


def _page(
    request: Request,
    login: LoginSession,
    *,
    errors: Mapping[str, str] | None = None,
    done: bool = False,
    status: int = 200,
) -> Response:
    context = {
        "errors": dict(errors or {}),
        "names": NAMES,
        "done": done,
        "rule": PASSWORD_RULE[0].upper() + PASSWORD_RULE[1:],
    }
    return page(request, "registry/password.html", context, login=login, status=status)


@router.api_route("/password", methods=["GET", "HEAD"])
def password_form(request: Request, login: LoginDep) -> Response:
    return _page(request, login, done=request.query_params.get("done") == "changed")


@router.post("/password")
async def change_password(
    request: Request, login: FormLoginDep, registry: RegistryDep, guard: LoginGuardDep
) -> Response:
    data = await request.form()
    user_id = login.actor.user_id
    assert user_id is not None  # a page login is always a user's

    def change() -> None:  # argon2 twice: in the login pool, off the event loop
        with registry.transaction() as session:
            users.change_own_password(
                session,
                user_id,
                form_text(data, "current_password"),
                form_text(data, "password"),
                keep_session=auth.session_id(login.token),
            )

    try:
        await guard.run(change)
    except HashingBusy:
        return _page(request, login, errors={"(input)": BUSY}, status=503)
    except InputError as exc:
        return _page(request, login, errors=form_errors(exc.problems, NAMES), status=422)
    return RedirectResponse(f"{PREFIX}/password?done=changed", status_code=303)
