"""ASGI middleware in front of ``/cds-services``: 404 while the service is off, CORS while on.

Off (``SPINEFX_CDS_HOOKS`` unset), every request under ``/cds-services`` is answered 404,
whatever its method, as if the paths did not exist.

On, browser-based EHRs get CORS (CDS Hooks 2.0, "Cross-Origin Resource Sharing": services and
browser-based clients need it; the specification leaves its secure use to OWASP's HTML5
Security Cheat Sheet, which asks for the header on the URLs that need it only and for an
allow-list of trusted origins rather than a wildcard):

- only the origins of ``SPINEFX_CDS_HOOKS_ORIGINS`` (``*`` allows any, with a warning in the
  log at start-up) get ``Access-Control-Allow-Origin``, and only under ``/cds-services``;
- a preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered here, before any
  JWT check (a browser sends none with it): 204 with the methods (GET, POST) and the request
  headers (``Authorization``, ``Content-Type``) allowed, or 403 for an origin not allowed;
- no credentials (cookies) are allowed: the EHR's JWT travels in ``Authorization``.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spinefx.web.cds import PREFIX
from spinefx.web.cds.config import CdsConfig, prepare
from spinefx.web.errors import error_response, problem

__all__ = ["ALLOWED_HEADERS", "ALLOWED_METHODS", "MAX_AGE_S", "CdsHooksGate"]

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
_ALLOWED_HEADER_SET = frozenset({"authorization", "content-type", "accept"})  # accept: safelisted
MAX_AGE_S = 600


def _under_prefix(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _config(scope: Scope) -> CdsConfig:
    app = scope["app"]
    config: CdsConfig | None = getattr(app.state, "cds_hooks", None)
    if config is None:  # the lifespan has not run (a TestClient without `with`)
        config = app.state.cds_hooks = prepare(app.state.settings)
    return config


class CdsHooksGate:
    """404 under ``/cds-services`` while the service is off; CORS answers while it is on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under_prefix(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        config = _config(scope)
        if not config.enabled:
            await error_response(scope, 404)(scope, receive, send)
            return
        headers = scope.get("headers", [])
        origin = _header(headers, b"origin")
        if origin is None:  # not a cross-origin browser request: nothing to add
            await self.app(scope, receive, send)
            return
        allowed = config.allows_origin(origin)
        if scope["method"] == "OPTIONS" and _header(headers, b"access-control-request-method"):
            await self._preflight(scope, receive, send, origin, allowed, headers)
            return
        cors = _cors_headers(config, origin) if allowed else [(b"vary", b"Origin")]

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, with_cors)

    async def _preflight(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        origin: str,
        allowed: bool,
        headers: Iterable[tuple[bytes, bytes]],
    ) -> None:
        path = str(scope.get("path", ""))
        method = (_header(headers, b"access-control-request-method") or "").upper()
        asked = _header(headers, b"access-control-request-headers") or ""
        unknown = sorted(
            {h.strip().lower() for h in asked.split(",") if h.strip()} - _ALLOWED_HEADER_SET
        )
        if not allowed:
            detail = (
                "This origin may not call the CDS Hooks service from a browser; whoever runs "
                "spinefx can add it to SPINEFX_CDS_HOOKS_ORIGINS."
            )
        elif method not in ("GET", "POST"):
            detail = f"The CDS Hooks service takes GET and POST, not {method or 'no method'}."
        elif unknown:
            detail = f"The CDS Hooks service does not take the header(s) {', '.join(unknown)}."
        else:
            config = _config(scope)
            response = Response(status_code=204)
            response.raw_headers.extend(
                [
                    *_cors_headers(config, origin),
                    (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                    (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                    (b"access-control-max-age", str(MAX_AGE_S).encode()),
                ]
            )
            await response(scope, receive, send)
            return
        refusal = problem(403, detail, instance=path, headers={"vary": "Origin"})
        await refusal(scope, receive, send)


def _cors_headers(config: CdsConfig, origin: str) -> list[tuple[bytes, bytes]]:
    value = "*" if "*" in config.origins else origin
    return [
        (b"access-control-allow-origin", value.encode("latin-1")),
        (b"vary", b"Origin"),
    ]
