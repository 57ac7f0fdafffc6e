"""``create_app(settings)``: the FastAPI app with the pages, the API and the middleware.

Nothing is built at import: each call makes a new app from ``settings`` (default: read from the
``SPINEFX_*`` environment), its routers in the order they are tried: the specialist search
first (the busiest route), then the API (:mod:`spinefx.web.api`), the patients' pages
(:mod:`spinefx.web.patients`), the clinician tools (:mod:`spinefx.web.clinician`) and the
registry's pages (:mod:`spinefx.web.registry`). Errors from the core become HTTP answers in
:mod:`spinefx.web.errors`, and only there.

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

from fastapi import Depends, FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import spinefx
from spinefx.directory.store import Directory
from spinefx.web import errors
from spinefx.web.api import audit as api_audit
from spinefx.web.api import cases as api_cases
from spinefx.web.api import kpis as api_kpis
from spinefx.web.api import rows as api_rows
from spinefx.web.api import rules as api_rules
from spinefx.web.api import worklist as api_worklist
from spinefx.web.api.openapi import openapi
from spinefx.web.api.specialists import add_search_route
from spinefx.web.cds import MAX_BODY_BYTES as CDS_MAX_BODY_BYTES
from spinefx.web.cds import PREFIX as CDS_PREFIX
from spinefx.web.cds import hooks as cds_hooks
from spinefx.web.cds import rule as cds_rule
from spinefx.web.cds.gate import CdsHooksGate
from spinefx.web.clinician import candidacy, followup, grading
from spinefx.web.clinician import home as clinician_home
from spinefx.web.compression import Compression
from spinefx.web.deps import open_resources, refuse_unstorable_input
from spinefx.web.ops import health
from spinefx.web.ops import metrics as ops_metrics
from spinefx.web.ops.instruments import Instruments, RequestMetrics
from spinefx.web.patients import check, find, home, learn
from spinefx.web.registry import (
    audit,
    calendar,
    cases,
    invitation,
    kpi,
    letters,
    login,
    password,
    rows,
    save,
    users,
    worklist,
)
from spinefx.web.security import AccessLog, BodySizeLimit, SecurityHeaders
from spinefx.web.settings import MAX_BODY_BYTES, Settings
from spinefx.web.templating import TEMPLATES_DIR, make_templates

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "create_app", "make_templates", "warm_up"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
log = logging.getLogger(__name__)

# The routers in the order their routes are tried (after the specialist search and /static).
ROUTERS = (
    health.router,
    api_rules.router,
    api_cases.router,
    api_rows.router,
    api_worklist.router,
    api_kpis.router,
    api_audit.router,
    home.router,
    check.router,
    learn.router,
    find.router,
    clinician_home.router,
    grading.router,
    candidacy.router,
    followup.router,
    login.router,
    invitation.router,
    worklist.router,
    cases.router,  # before rows: POST /cases/{id}/accept is not a row kind
    letters.router,  # before rows too: /cases/{id}/letters/... is not a row kind
    rows.router,
    kpi.router,
    audit.router,
    calendar.router,
    save.router,
    users.router,
    password.router,
    cds_rule.router,
    cds_hooks.router,
)


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
        if app.state.instruments is not None:
            app.state.instruments.watch(resources.directory, resources.registry)
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
        dependencies=[Depends(refuse_unstorable_input)],
    )
    app.state.settings = settings
    app.state.templates = make_templates()
    # Routes are tried in order: the specialist search, the busiest, first (after FastAPI's
    # own /openapi.json), then the rest (the registry's twenty-odd routes were once tried
    # before it).
    add_search_route(app.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    instruments = Instruments() if settings.metrics else None
    app.state.instruments = instruments
    if instruments is not None:
        app.include_router(ops_metrics.router)
    errors.install(app)
    # Added innermost first: the access log sees every answer, including a 413.
    app.add_middleware(Compression)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=MAX_BODY_BYTES,
        error_response=errors.error_response,
        larger={CDS_PREFIX: CDS_MAX_BODY_BYTES},
    )
    app.add_middleware(CdsHooksGate)  # 404 under /cds-services while off, CORS while on
    app.add_middleware(SecurityHeaders, error_response=errors.error_response, hsts=settings.https)
    if instruments is not None:
        app.add_middleware(RequestMetrics, instruments=instruments)
    app.add_middleware(AccessLog)
    if settings.forwarded_allow_ips:
        # Outermost: behind the named proxies, every part of the app (the access log, the
        # login throttle) sees the client's address. uvicorn does this itself when it serves
        # (spinefx serve passes the same setting); here it holds under any ASGI server.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]
    return app
