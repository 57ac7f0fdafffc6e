"""What the registry's pages share: the page with its login around it, the login page, the
numbers and words a form sends, and where to go next.

Only these pages set a cookie (the session, ``Path=/registry``, ``HttpOnly``,
``SameSite=Strict``, ``Secure`` when ``SPINEFX_HTTPS=1``; and on the login form a CSRF cookie,
since there is no session yet); the patient pages never see it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Path, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from spinefx.errors import InputError, NotFound, ProblemKind
from spinefx.registry import auth
from spinefx.registry.auth import LoginSession
from spinefx.registry.permissions import Action
from spinefx.registry.schema import MAX_ID
from spinefx.validation import parse_int_text
from spinefx.web.deps import same_origin
from spinefx.web.registry.forms import EVENT_NAMES, INSTRUMENT_NAMES, word

__all__ = [
    "LOGIN_CSRF_COOKIE",
    "PREFIX",
    "CaseId",
    "RowId",
    "conflict_text",
    "form_text",
    "form_version",
    "known",
    "login_page",
    "page",
    "page_number",
    "public_form_page",
    "public_form_sent",
    "row_in",
    "safe_next",
    "today",
    "whole_number",
]

PREFIX = "/registry"
LOGIN_CSRF_COOKIE = "spinefx_login_csrf"

# A case, row, page or version number: ASCII digits (``"¹".isdigit()`` is true, and int()
# refuses it) within the databases' INTEGER, so no number typed into a URL reaches the driver
# as an overflow. A path id out of that range is a 422 page, as any bad path value.
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]

_Entry = TypeVar("_Entry")


class _Row(Protocol):
    @property
    def id(self) -> int: ...


_RowT = TypeVar("_RowT", bound=_Row)


def known(table: Mapping[str, _Entry], key: str, what: str) -> _Entry:
    """The entry of ``key`` (a word in the page's path) in ``table``; a word the table does not
    have is a page that does not exist (404, naming ``what`` it should have been)."""
    if key not in table:
        raise NotFound(f"no {what} {key}")
    return table[key]


def row_in(rows: Iterable[_RowT], row_id: int, what: str, case_id: int) -> _RowT:
    """The row ``row_id`` among ``rows``, those of the case ``case_id``; one the case does not
    have is 404 (``what`` names the kind of row)."""
    row = next((r for r in rows if r.id == row_id), None)
    if row is None:
        raise NotFound(f"no {what} {row_id} in case {case_id}")
    return row


def today() -> date:
    return date.today()


def page(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    login: LoginSession | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A registry page: ``context`` with who is logged in, their CSRF token and rights."""
    actor = login.actor if login else None
    full: dict[str, Any] = {
        "login": login,
        "actor": actor,
        "csrf": login.csrf_token if login else "",
        "can": lambda action: actor is not None and actor.can(Action(action)),
        "word": word,
        "event_names": EVENT_NAMES,
        "instrument_names": INSTRUMENT_NAMES,
        **(context or {}),
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, full, status_code=status, headers=headers
    )
    return response


def safe_next(target: str | None, default: str = PREFIX) -> str:
    """A path of the registry to go on to (never another site, never a scheme)."""
    if (
        target
        and (target == PREFIX or target.startswith(PREFIX + "/") or target.startswith(PREFIX + "?"))
        and "\\" not in target
    ):
        return target
    return default


def login_page(
    request: Request,
    *,
    message: str = "",
    email: str = "",
    next_url: str = PREFIX,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    carry: Mapping[str, str] | None = None,
) -> Response:
    """The login form (with a fresh CSRF cookie); ``carry`` keeps a tool's result to save."""
    return public_form_page(
        request,
        "registry/login.html",
        {
            "message": message,
            "email": email,
            "next_url": next_url,
            "carry": dict(carry or {}),
            "limits": {
                "throttle_after": auth.THROTTLE_AFTER,
                "lock_after": auth.LOCK_AFTER,
                "lock_minutes": auth.LOCK_MINUTES,
                "idle_minutes": auth.IDLE_MINUTES,
            },
        },
        status=status,
        headers=headers,
    )


def public_form_page(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A page whose form is sent before any login (the login, an invitation): it carries its
    own CSRF token, in the form (``login_csrf``) and in a cookie (:func:`public_form_sent`)."""
    token = secrets.token_urlsafe(24)
    response = page(request, name, {**context, "login_csrf": token}, status=status, headers=headers)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.https,
    )
    return response


def public_form_sent(request: Request, data: FormData) -> bool:
    """Whether a form of :func:`public_form_page` came back from this site's own page."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    submitted = form_text(data, "csrf_token")
    return bool(expected) and hmac.compare_digest(expected, submitted) and same_origin(request)


def form_text(data: FormData, name: str) -> str:
    """A text field of a submitted form, stripped ("" when absent)."""
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def form_version(data: FormData) -> int:
    """The case version the form was made from."""
    raw = form_text(data, "version")
    version = whole_number(raw)
    if version is None:
        raise InputError(
            "version", raw, "the case version the form was made from", kind=ProblemKind.TYPE
        )
    return version


def whole_number(raw: str, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``raw`` as a whole number from ``low`` to ``high``, or ``None``."""
    number = parse_int_text(raw) if raw.strip().isascii() else None
    return number if number is not None and low <= number <= high else None


def page_number(raw: str, size: int) -> int:
    """The page asked for: 1 when the text is no page number, and at most the last page a
    database offset can reach (an empty page, past every row)."""
    number = parse_int_text(raw) if raw.strip().isascii() else None
    return 1 if number is None or number < 1 else min(number, MAX_ID // size)


def conflict_text() -> str:
    """What a form sent on an old version of the case says (nothing was saved)."""
    return (
        "Someone else changed this case after you opened the form, so nothing was saved. "
        "Your entries are still below: check the case as it is now (shown on this page), "
        "then save again."
    )
