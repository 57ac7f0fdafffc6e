"""``create_app(settings)``: the FastAPI app with the pages, the API and the middleware.

Nothing is built at import: each call makes a new app from ``settings`` (default: read from the
``SPINEFX_*`` environment). Errors from the core become HTTP answers here and only here:
:class:`~spinefx.errors.InputError` is 422, :class:`~spinefx.errors.DataError` (no directory
loaded, unreadable store) is 503; under ``/api/`` as ``application/problem+json``, elsewhere
as a page.

The app owns its resources: the lifespan makes them from ``settings`` (see
:class:`spinefx.web.deps.Resources`: the directory handle), keeps them on ``app.state`` and
closes them at shutdown; routes get them as dependencies. At startup the directory is warmed up
(ZIP table, read connection) so the first search is not slow; a missing or broken directory
never stops the app from starting.

>>> import tempfile
>>> from fastapi.testclient import TestClient
>>> with tempfile.TemporaryDirectory() as empty:  # no directory loaded there
...     with TestClient(create_app(Settings(data_dir=empty))) as client:
...         client.get("/api/v1/specialists?zip=02139").status_code
503
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Scope

import spinefx
from spinefx.directory.store import Directory
from spinefx.errors import (
    MISSING,
    DataError,
    DirectoryDamaged,
    DirectoryNotLoaded,
    FieldProblem,
    InputError,
)
from spinefx.extras import MissingExtra, missing_extra_for
from spinefx.web import registry_errors
from spinefx.web.deps import open_resources
from spinefx.web.problems import (
    DIRECTORY_DAMAGED,
    DIRECTORY_NOT_LOADED,
    INVALID_INPUT,
    UNKNOWN_ZIP,
    ProblemError,
    field_errors,
    problem,
)
from spinefx.web.routes import api, pages, registry_api, registry_pages, registry_users
from spinefx.web.security import (
    AccessLog,
    BodySizeLimit,
    SecurityHeaders,
    default_error_response,
    escape_control,
)
from spinefx.web.settings import MAX_BODY_BYTES, Settings

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "create_app", "make_templates", "warm_up"]

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
log = logging.getLogger(__name__)


def make_templates() -> Jinja2Templates:
    """The page templates, autoescaped, with the shared filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    pages.install_filters(env)
    return Jinja2Templates(env=env)


def warm_up(settings: Settings, directory: Directory) -> None:
    """Make the first directory search fast (ZIP table, read connection); never fail startup."""
    from spinefx.directory.geo import load_zip_table
    from spinefx.directory.search import warm_up as warm_up_directory

    try:
        load_zip_table(settings.cache_dir)
        warm_up_directory(directory)
    except Exception as exc:  # a damaged directory must not stop the patient pages from serving
        log.warning("directory warm-up skipped: %s", type(exc).__name__)


NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app serving ``settings`` (the directory at ``settings.directory_db``)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = open_resources(app.state.settings)
        app.state.resources = resources
        try:
            warm_up(app.state.settings, resources.directory)
            yield
        finally:
            app.state.resources = None
            resources.close()

    app = FastAPI(
        title="spinefx",
        version=getattr(spinefx, "__version__", "0"),
        description=(
            "Care of spinal compression fractures: the patient self-check, Genant grading, "
            "balloon kyphoplasty candidacy, the osteoporosis follow-up plan and the specialist "
            "directory. Informs; does not replace a doctor."
        ),
        docs_url=None,  # the interactive docs load assets from a CDN: not served
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry records a refused request's body and an error's message
        # once a provider is configured (FASTAPI_OTEL_AUTO_CONFIGURE, say): the answers of a
        # self-check would leave in them. Off, whatever the environment says.
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.templates = make_templates()
    # Routes are tried in order: the specialist search, the busiest, first (after FastAPI's
    # own /openapi.json), then the rest of the public API (the registry's twenty-odd routes
    # were once tried before it).
    api.add_search_route(app.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(registry_api.router)
    app.include_router(pages.router)
    app.include_router(registry_pages.router)
    app.include_router(registry_users.router)
    _add_error_handlers(app)
    registry_errors.install(app)
    # Added innermost first: the access log sees every answer, including a 413.
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES, error_response=_error_response)
    app.add_middleware(SecurityHeaders, error_response=_error_response)
    app.add_middleware(AccessLog)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _is_api(request: Request) -> bool:
    return _is_api_path(request.url.path)


def _is_api_path(path: str) -> bool:
    return path.startswith(api.PREFIX + "/") or path == api.PREFIX or path == "/openapi.json"


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _methods_at(request: Request) -> list[str]:
    """The methods some route takes at the request's path (for a 405's Allow header)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _error_response(scope: Scope, status: int) -> Response:
    """A 413 or 500 raised outside the routes: a problem for the API, an HTML page elsewhere."""
    path = str(scope.get("path", ""))
    if _is_api_path(path) or "app" not in scope:
        return default_error_response(scope, status)
    return pages.error_page(Request(scope), status)


def _add_error_handlers(app: FastAPI) -> None:
    async def on_input_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InputError)
        if not _is_api(request):
            return pages.error_page(request, 422, "Please check your answers", str(exc))
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

    async def on_data_error(request: Request, exc: Exception) -> Response:
        # The message names server paths and database errors: it goes to the log, escaped,
        # and the client gets words of its own.
        not_loaded = isinstance(exc, DirectoryNotLoaded)
        if registry_pages.is_registry(request):
            log.warning("registry unavailable: %s", escape_control(str(exc)))
            return pages.error_page(
                request,
                503,
                "The registry is not available",
                "The registry database cannot be used on this server; whoever runs it can set "
                "it up with `spinefx registry init` (and check SPINEFX_DATABASE_URL).",
            )
        log.warning("directory unavailable: %s", escape_control(str(exc)))
        if not_loaded:
            title = "No specialist directory loaded"
            detail = (
                "No specialist directory is loaded on this server yet; whoever runs it can "
                "load one with `spinefx directory demo` or `spinefx directory ingest FILE`."
            )
            kind = DIRECTORY_NOT_LOADED
        elif isinstance(exc, DirectoryDamaged):
            title = "Specialist directory damaged"
            detail = (
                "The specialist directory on this server cannot be read; it must be loaded again."
            )
            kind = DIRECTORY_DAMAGED
        else:
            title = "Data unavailable"
            detail = "The data this answer needs cannot be read on this server."
            kind = "about:blank"
        if not _is_api(request):
            return pages.error_page(request, 503, "The directory is not available", detail)
        return problem(503, detail, instance=request.url.path, type=kind, title=title)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return exc.response(request.url.path)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path takes, not the first route's alone
            # (in place of the route's own "Allow", which a second header would repeat)
            headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
            headers["allow"] = ", ".join(_methods_at(request))
        if _is_api(request):
            return problem(
                exc.status_code, str(exc.detail), instance=request.url.path, headers=headers
            )
        return pages.error_page(request, exc.status_code, headers=headers)

    async def on_request_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        found: list[FieldProblem] = []
        for error in exc.errors():
            loc = [str(part) for part in error.get("loc", ())[1:]] or ["(input)"]
            given = MISSING if error.get("type") == "missing" else error.get("input")
            allowed = _parameter_allowed(request, error.get("loc", ())) or str(error.get("msg", ""))
            found.append(FieldProblem(".".join(loc), given, allowed))
        detail = "; ".join(str(p) for p in found) or "The request is not valid."
        if not _is_api(request):
            return pages.error_page(request, 422, "Please check your answers", detail)
        return problem(
            422,
            detail,
            instance=request.url.path,
            type=INVALID_INPUT,
            title="Invalid input",
            errors=field_errors(found),
        )

    app.add_exception_handler(InputError, on_input_error)
    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(MissingExtra, _on_missing_extra)
    app.add_exception_handler(ImportError, _on_missing_extra)


async def _on_missing_extra(request: Request, exc: Exception) -> Response:
    """503 when a feature's extra (fhir for the CDS Hooks service...) is not installed here."""
    missing = exc if isinstance(exc, MissingExtra) else None
    if isinstance(exc, ImportError):
        missing = missing_extra_for(exc)
        if missing is None:
            raise exc  # not an extra's package: a real defect, the 500 it is
    assert missing is not None
    detail = f"This server does not have {missing.feature} installed ({missing})."
    if "text/html" in request.headers.get("accept", "") and not _is_api(request):
        return pages.error_page(request, 503, "Not installed on this server", detail)
    return problem(503, detail, instance=request.url.path, title="Feature not installed")


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


REGISTRY_TOKEN = "A registry API token, made with `spinefx registry token create`"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the request body models the routes read themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for model in [rule.input for rule in api.RULES] + list(registry_api.SCHEMAS):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in model_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components[model.__name__] = model_schema
    # Every registry operation needs a bearer token (``spinefx registry token create``).
    schema["components"]["securitySchemes"] = {
        "registryToken": {"type": "http", "scheme": "bearer", "description": REGISTRY_TOKEN}
    }
    for path, operations in schema.get("paths", {}).items():
        if path.startswith(registry_api.PREFIX + "/"):
            for operation in operations.values():
                operation["security"] = [{"registryToken": []}]
    app.openapi_schema = schema
    return schema


def _parameter_allowed(request: Request, loc: Any) -> str | None:
    """What a path, query or header parameter takes, in the words the rule inputs' errors use
    (``an integer from 0 to 2147483647``), read from the route's declaration of it; ``None``
    when ``loc`` is not such a parameter."""
    from fastapi.dependencies.models import Dependant

    from spinefx.validation import allowed_text

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
            if param.alias == loc[1]:
                info = param.field_info
                text = allowed_text(info.annotation, list(info.metadata))
                return text.removesuffix(", or null")  # a parameter is left out, not null
        stack.extend(current.dependencies)
    return None
