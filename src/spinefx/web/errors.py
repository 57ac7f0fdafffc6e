"""Every error the web answers, rendered here and nowhere else: a page, or RFC 9457 problem
details (``application/problem+json``) under the API.

:func:`install` registers one handler per error of the core and of the framework;
:func:`error_page` and :func:`problem` draw the two kinds of answer, and
:func:`error_response` answers a 413 or 500 raised outside the routes (by the middleware).

- :class:`~spinefx.errors.InputError`, and a bad path or query parameter: 422, with ``errors``,
  one ``{field, value, allowed}`` per bad field (and ``suggestions`` for an unknown ZIP);
- :class:`~spinefx.errors.DataError`: 503, in words of our own (the message goes to the log);
- :class:`ProblemError`: what the route raised (400 malformed JSON, 415 not JSON...);
- HTTP errors (404, 405...): a 405 lists every method the path takes in ``Allow``;
- :class:`~spinefx.errors.NotAuthenticated`: 401 with ``WWW-Authenticate: Bearer`` (and
  ``Retry-After`` while logins are held back); on the pages a GET goes to the login page and
  back, a form gets the login page again (401), and a form without the session's CSRF token
  (:attr:`~spinefx.errors.AuthFailure.FORM_EXPIRED`) is 403;
- :class:`~spinefx.errors.PermissionDenied` 403, :class:`~spinefx.errors.NotFound` 404
  (another site's case looks exactly like none), :class:`~spinefx.errors.VersionConflict` 409
  (with ``current_version``).

A problem body::

    {"type": "urn:spinefx:problem:invalid-input", "title": "Invalid input", "status": 422,
     "detail": "age: got 130; allowed: an integer from 18 to 120, or null",
     "instance": "/api/v1/screening",
     "errors": [{"field": "age", "value": 130, "allowed": "an integer from 18 to 120, or null"}]}
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match
from starlette.types import Scope

from spinefx.errors import (
    MISSING,
    AuthFailure,
    DataError,
    DirectoryDamaged,
    DirectoryNotLoaded,
    FieldProblem,
    InputError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ProblemKind,
    VersionConflict,
)
from spinefx.extras import MissingExtra, missing_extra_for
from spinefx.validation import FieldSpec, allowed_text, describe, printable, problem_kind
from spinefx.web.api import PREFIX
from spinefx.web.cds import MAX_BODY_BYTES as CDS_MAX_BODY_BYTES
from spinefx.web.cds import PREFIX as CDS_PREFIX
from spinefx.web.deps import audit_refusal
from spinefx.web.registry.pages import login_page
from spinefx.web.security import escape_control
from spinefx.web.settings import MAX_BODY_BYTES

__all__ = [
    "API_PREFIX",
    "DIRECTORY_DAMAGED",
    "DIRECTORY_NOT_LOADED",
    "INVALID_INPUT",
    "NOT_AUTHENTICATED",
    "PROBLEM_JSON",
    "PROBLEM_RESPONSE",
    "PROBLEM_SCHEMA",
    "UNKNOWN_ZIP",
    "VERSION_CONFLICT",
    "ProblemError",
    "error_page",
    "error_response",
    "field_errors",
    "install",
    "is_api",
    "problem",
]

log = logging.getLogger("spinefx.web.app")

API_PREFIX = PREFIX
REGISTRY_PAGES = "/registry"
REGISTRY_API = f"{PREFIX}/registry"
BUSY_RETRY_AFTER_S = 2
LOGIN_PATH = f"{REGISTRY_PAGES}/login"
PROBLEM_JSON = "application/problem+json"

# Problem types of our own; everything else is "about:blank" (the HTTP status says it all).
INVALID_INPUT = "urn:spinefx:problem:invalid-input"
UNKNOWN_ZIP = "urn:spinefx:problem:unknown-zip"
DIRECTORY_NOT_LOADED = "urn:spinefx:problem:directory-not-loaded"
DIRECTORY_DAMAGED = "urn:spinefx:problem:directory-damaged"
NOT_AUTHENTICATED = "urn:spinefx:problem:not-authenticated"
VERSION_CONFLICT = "urn:spinefx:problem:version-conflict"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "value", "allowed"],
                "properties": {
                    "field": {"type": "string"},
                    "value": {},
                    "allowed": {"type": "string"},
                    "missing": {"type": "boolean"},
                },
            },
        },
        "suggestions": {"type": "array", "items": {"type": "string"}},
    },
}
# A route's documented answer with a problem (``responses={422: PROBLEM_RESPONSE}``).
PROBLEM_RESPONSE: dict[str, Any] = {
    "description": "An RFC 9457 problem",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def is_api(path: str) -> bool:
    """Whether ``path`` is answered with problems (the API and its OpenAPI document, and the
    CDS Hooks endpoints under ``/cds-services``, not the rule's page)."""
    return (
        path.startswith(API_PREFIX + "/")
        or path == API_PREFIX
        or path == "/openapi.json"
        or _is_cds_hooks(path)
    )


def _is_cds_hooks(path: str) -> bool:
    """A CDS Hooks endpoint: under /cds-services, but for the rules' pages (``.../rule``)."""
    under = path == CDS_PREFIX or path.startswith(CDS_PREFIX + "/")
    return under and not path.endswith("/rule")


def _is_registry_page(path: str) -> bool:
    return path == REGISTRY_PAGES or path.startswith(REGISTRY_PAGES + "/")


# --- the two kinds of answer ----------------------------------------------------------------


def problem(
    status: int,
    detail: str,
    *,
    instance: str,
    type: str = "about:blank",
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response; ``extra`` adds members such as ``errors`` or ``suggestions``."""
    body: dict[str, Any] = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    content = json.dumps(_json_safe(body), ensure_ascii=False, allow_nan=False)
    return Response(content, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(problems: Iterable[FieldProblem]) -> list[dict[str, Any]]:
    """``{field, value, allowed}`` per problem; a missing field has value null and missing true."""
    errors: list[dict[str, Any]] = []
    for item in problems:
        entry: dict[str, Any] = {"field": item.field, "value": item.value, "allowed": item.allowed}
        if item.value is MISSING:
            entry["value"] = None
            entry["missing"] = True
        errors.append(entry)
    return errors


def _json_safe(value: Any) -> Any:
    """Echoed input is made JSON-safe: non-finite numbers and odd objects become text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return printable(value)  # a lone surrogate cannot be encoded: shown as \\udXXX
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {printable(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset):
        return [_json_safe(v) for v in value]
    return str(value)


def error_page(
    request: Request,
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An HTML error page (404, 405, 422, 503...) with a way home."""
    titles = {404: "Page not found", 405: "Not allowed here", 413: "Too much data sent"}
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "title": title or titles.get(status, "Something went wrong"),
            "detail": detail,
        },
        status_code=status,
        headers=headers,
    )
    return response


class ProblemError(Exception):
    """Raised in a route to answer with a problem; the app's handler renders it."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        title: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type
        self.title = title
        self.extra = extra


def _body_limit(path: str) -> int:
    return CDS_MAX_BODY_BYTES if _is_cds_hooks(path) else MAX_BODY_BYTES


def error_response(scope: Scope, status: int) -> Response:
    """A 413 or 500 raised outside the routes: a problem for the API, an HTML page elsewhere."""
    path = str(scope.get("path", ""))
    if not is_api(path) and "app" in scope:
        return error_page(Request(scope), status)
    detail = {
        404: "Nothing is served at this address.",
        413: f"The request body is larger than {_body_limit(path) // 1024} KiB.",
        500: "Something went wrong on our side.",
    }.get(status, "The request cannot be answered.")
    return problem(status, detail, instance=path)


# --- the handlers ---------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """Answer every error of the core and of the framework on ``app``."""
    handlers: Mapping[type[Exception], Any] = {
        InputError: _on_input_error,
        DataError: _on_data_error,
        ProblemError: _on_problem,
        StarletteHTTPException: _on_http_error,
        RequestValidationError: _on_request_validation,
        NotAuthenticated: _on_not_authenticated,
        PermissionDenied: _on_refusal,
        NotFound: _on_refusal,
        VersionConflict: _on_refusal,
        MissingExtra: _on_missing_extra,
        ImportError: _on_missing_extra,
    }
    for error, handler in handlers.items():
        app.add_exception_handler(error, handler)


async def _on_missing_extra(request: Request, exc: Exception) -> Response:
    """503 when a feature's extra (fhir for the CDS Hooks service...) is not installed here."""
    missing = exc if isinstance(exc, MissingExtra) else None
    if isinstance(exc, ImportError):
        missing = missing_extra_for(exc)
        if missing is None:
            raise exc  # not an extra's package: a real defect, the 500 it is
    assert missing is not None
    detail = f"This server does not have {missing.feature} installed ({missing})."
    if "text/html" in request.headers.get("accept", "") and not is_api(request.url.path):
        return error_page(request, 503, "Not installed on this server", detail)
    return problem(503, detail, instance=request.url.path, title="Feature not installed")


async def _on_input_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    if not is_api(request.url.path):
        return error_page(request, 422, "Please check your answers", str(exc))
    suggestions = getattr(exc, "suggestions", None)
    extra: dict[str, Any] = {"errors": field_errors(exc.problems)}
    if suggestions is not None:
        extra["suggestions"] = list(suggestions)
    return problem(
        422,
        str(exc),
        instance=request.url.path,
        type=UNKNOWN_ZIP if suggestions is not None else INVALID_INPUT,
        title="Unknown ZIP code" if suggestions is not None else "Invalid input",
        **extra,
    )


async def _on_data_error(request: Request, exc: Exception) -> Response:
    # The message names server paths and database errors: it goes to the log, escaped, and
    # the client gets words of its own.
    if _is_cds_hooks(request.url.path):  # a card is served only once it is in the audit log
        log.warning("CDS Hooks: audit log unavailable: %s", escape_control(str(exc)))
        return problem(
            503,
            "The card cannot be recorded in the registry's audit log on this server, so none "
            "is served; whoever runs spinefx can set the registry up with `spinefx registry "
            "init` (and check SPINEFX_DATABASE_URL).",
            instance=request.url.path,
            title="Audit log unavailable",
        )
    registry_api = request.url.path.startswith(REGISTRY_API + "/")
    if (_is_registry_page(request.url.path) or registry_api) and _is_busy(exc):
        # SQLite's writer lock held past the busy timeout: the registry, not the directory
        log.warning("registry busy: %s", escape_control(str(exc)))
        title, detail = (
            "Registry busy",
            (
                "The registry is busy saving other changes. Nothing of yours was saved: "
                "try again in a moment."
            ),
        )
        headers = {"retry-after": str(BUSY_RETRY_AFTER_S)}
        if registry_api:
            return problem(503, detail, instance=request.url.path, title=title, headers=headers)
        return error_page(request, 503, title, detail, headers=headers)
    if registry_api:
        log.warning("registry unavailable: %s", escape_control(str(exc)))
        return problem(
            503,
            "The registry database cannot be used on this server.",
            instance=request.url.path,
            title="Registry unavailable",
        )
    if _is_registry_page(request.url.path):
        log.warning("registry unavailable: %s", escape_control(str(exc)))
        return error_page(
            request,
            503,
            "The registry is not available",
            "The registry database cannot be used on this server; whoever runs it can set "
            "it up with `spinefx registry init` (and check SPINEFX_DATABASE_URL).",
        )
    log.warning("directory unavailable: %s", escape_control(str(exc)))
    if isinstance(exc, DirectoryNotLoaded):
        title = "No specialist directory loaded"
        detail = (
            "No specialist directory is loaded on this server yet; whoever runs it can "
            "load one with `spinefx directory demo` or `spinefx directory ingest FILE`."
        )
        kind = DIRECTORY_NOT_LOADED
    elif isinstance(exc, DirectoryDamaged):
        title = "Specialist directory damaged"
        detail = "The specialist directory on this server cannot be read; it must be loaded again."
        kind = DIRECTORY_DAMAGED
    else:
        title = "Data unavailable"
        detail = "The data this answer needs cannot be read on this server."
        kind = "about:blank"
    if not is_api(request.url.path):
        return error_page(request, 503, "The directory is not available", detail)
    return problem(503, detail, instance=request.url.path, type=kind, title=title)


def _is_busy(exc: Exception) -> bool:
    """SQLite's "database is locked" (another writer held it past the busy timeout)."""
    return "database is locked" in str(exc)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem(
        exc.status,
        exc.detail,
        instance=request.url.path,
        type=exc.type,
        title=exc.title,
        **exc.extra,
    )


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _methods_at(request: Request) -> list[str]:
    """The methods some route takes at the request's path (for a 405's Allow header)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # every method the path takes, not the first route's alone
        # (in place of the route's own "Allow", which a second header would repeat)
        headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
        headers["allow"] = ", ".join(_methods_at(request))
    if is_api(request.url.path):
        return problem(exc.status_code, str(exc.detail), instance=request.url.path, headers=headers)
    return error_page(request, exc.status_code, headers=headers)


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    found: list[FieldProblem] = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ())[1:]) or "(input)"
        kind = problem_kind(str(error.get("type", "")))
        given = MISSING if kind is ProblemKind.MISSING else error.get("input")
        spec = _parameter_spec(request, error.get("loc", ()))
        if spec is None:
            found.append(FieldProblem(field, given, str(error.get("msg", "")), kind))
            continue
        allowed = allowed_text(spec).removesuffix(", or null")  # a parameter is left out
        found.append(
            FieldProblem(field, given, allowed, kind, spec.expects, spec.bounds, spec.choices)
        )
    detail = "; ".join(str(p) for p in found) or "The request is not valid."
    if not is_api(request.url.path):
        return error_page(request, 422, "Please check your answers", detail)
    return problem(
        422,
        detail,
        instance=request.url.path,
        type=INVALID_INPUT,
        title="Invalid input",
        errors=field_errors(found),
    )


def _parameter_spec(request: Request, loc: Any) -> FieldSpec | None:
    """What a path, query or header parameter takes, read from the route's declaration of it;
    ``None`` when ``loc`` is not such a parameter."""
    from fastapi.dependencies.models import Dependant

    if len(loc) != 2 or loc[0] not in ("path", "query", "header"):
        return None
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    stack: list[Dependant] = [dependant] if isinstance(dependant, Dependant) else []
    while stack:
        current = stack.pop()
        params = {
            "path": current.path_params,
            "query": current.query_params,
            "header": current.header_params,
        }[loc[0]]
        for param in params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):  # a query model
                inner = model.model_fields.get(str(loc[1]))
                if inner is not None:
                    return describe(inner.annotation, inner.metadata)
            elif param.alias == loc[1]:
                return describe(param.field_info.annotation, param.field_info.metadata)
        stack.extend(current.dependencies)
    return None


async def _on_not_authenticated(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotAuthenticated)
    if is_api(request.url.path):
        realm = "spinefx CDS Hooks" if _is_cds_hooks(request.url.path) else "spinefx registry"
        headers = {"WWW-Authenticate": f'Bearer realm="{realm}"'}
        if exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
        return problem(
            401,
            str(exc),
            instance=request.url.path,
            type=NOT_AUTHENTICATED,
            title="Not authenticated",
            headers=headers,
        )
    if exc.reason is AuthFailure.FORM_EXPIRED:  # a form without the session's CSRF token
        return error_page(request, 403, "The form has expired", str(exc))
    if request.method in ("GET", "HEAD"):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(here, safe='')}", status_code=303)
    return login_page(request, message="Your login has ended: please log in again.", status=401)


# The registry's refusals: (status, the problem's type and title, the page's title).
_REFUSALS: dict[type[Exception], tuple[int, str, str, str]] = {
    PermissionDenied: (403, "about:blank", "Forbidden", "Not allowed for your role"),
    NotFound: (404, "about:blank", "Not found", "Not found"),
    VersionConflict: (
        409,
        VERSION_CONFLICT,
        "Edited by someone else",
        "Someone else changed this case",
    ),
}


async def _on_refusal(request: Request, exc: Exception) -> Response:
    """A right the role lacks, a case not there (or another site's), an edit on an old version."""
    status, kind, title, page_title = next(v for k, v in _REFUSALS.items() if isinstance(exc, k))
    try:
        await run_in_threadpool(audit_refusal, request, status)
    except DataError as failure:  # the refusal stands; the log says the entry is missing
        log.warning("refusal not audited: %s", escape_control(str(failure)))
    if not is_api(request.url.path):
        return error_page(request, status, page_title, str(exc))
    extra: dict[str, Any] = {}
    if isinstance(exc, VersionConflict):
        extra["current_version"] = exc.current
    return problem(status, str(exc), instance=request.url.path, type=kind, title=title, **extra)
