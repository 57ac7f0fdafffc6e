"""ASGI middleware for safety and privacy: security headers, a body-size limit, an access log.

- :class:`SecurityHeaders` adds a strict Content-Security-Policy (everything from this origin,
  nothing inline), ``nosniff``, ``no-referrer`` (``same-origin`` on the registry's pages, whose
  forms check their ``Origin``) and ``DENY`` framing to every response, and
  ``Cache-Control: no-store`` to every response that is not a static asset, so that answers
  shown on a result page are not kept by the browser or a proxy. A ``Set-Cookie`` header is
  dropped from every response outside the registry's pages (``/registry``): only the registry
  logs people in, and the patient pages must never set a cookie, whatever a route does.
  Behind HTTPS (``SPINEFX_HTTPS=1``) every response also carries
  :data:`STRICT_TRANSPORT_SECURITY`, so that a browser never asks over plain HTTP again.
- :class:`BodySizeLimit` refuses a body above :data:`~spinefx.web.settings.MAX_BODY_BYTES`
  (or a larger limit given for a path prefix) with 413: at once when ``Content-Length`` says
  so, else as soon as the streamed bytes pass it.
- :class:`AccessLog` logs one line per request: method, path (never the query string), status,
  time taken, the client's address (the proxy's client's, behind a trusted reverse proxy: see
  ``spinefx serve --forwarded-allow-ips``) and the request id. Never a body, a query or any
  other header. The request id is the caller's ``X-Request-ID`` when it is a plain token of
  at most 128 characters, else a new one; it is sent back as ``X-Request-ID`` and carried by
  every log record made while the request is answered (:data:`spinefx.logs.REQUEST_ID`).
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spinefx.logs import REQUEST_ID

__all__ = [
    "ACCESS_LOGGER",
    "CONTENT_SECURITY_POLICY",
    "REQUEST_ID_HEADER",
    "SECURITY_HEADERS",
    "STRICT_TRANSPORT_SECURITY",
    "AccessLog",
    "BodySizeLimit",
    "BodyTooLarge",
    "ErrorResponse",
    "HttpMiddleware",
    "SecurityHeaders",
    "escape_control",
    "log_unexpected",
    "request_id",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)
# One year, the figure the HSTS preload list asks for; no includeSubDomains: spinefx does not
# know what else is served under its domain.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"
ACCESS_LOGGER = "spinefx.web.access"
_errors = logging.getLogger("spinefx.web.errors")


# C0 and C1 controls, DEL, lone surrogates, the Unicode line separators, and the backslash
# itself (so that an escape in the log always means an escape).
_UNSAFE_IN_LOG = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\\]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    r"""``text`` with control characters escaped, for one log line that cannot forge another.

    >>> print(escape_control("/find\nGET /admin 200"))
    /find\x0aGET /admin 200
    """
    return _UNSAFE_IN_LOG.sub(_escaped, text)


ErrorResponse = Callable[[Scope, int], Response]
"""Makes the answer for an error status raised outside the routes (413, 500): the app passes
:func:`spinefx.web.errors.error_response`, a page for the pages and a problem for the API."""


def log_unexpected(scope: Scope, exc: BaseException) -> None:
    """Log an unexpected error: its type and where it was raised, never its message."""
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    _errors.error(
        "unexpected %s on %s %s\n%s",
        type(exc).__name__,
        escape_control(str(scope.get("method", ""))),
        escape_control(str(scope.get("path", ""))),
        frames.rstrip(),
    )


class HttpMiddleware:
    """An ASGI middleware of HTTP requests: the server's other messages (the lifespan) go
    straight on to ``app``, each HTTP request to :meth:`http`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (``scope["type"] == "http"``)."""
        raise NotImplementedError


class SecurityHeaders(HttpMiddleware):
    """Add :data:`SECURITY_HEADERS` to every HTTP response (and no-store outside /static)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        static_prefix: str = "/static/",
        cookie_prefix: str = "/registry",
        error_response: ErrorResponse,
        hsts: bool = False,
    ) -> None:
        super().__init__(app)
        hsts_header = ((b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode()),)
        extra = hsts_header if hsts else ()
        self.static_headers = (*_SECURITY_HEADER_BYTES, *extra)
        self.page_headers = (*_NO_STORE_HEADER_BYTES, *extra)
        self.registry_headers = (*_REGISTRY_HEADER_BYTES, *extra)
        self.static_prefix = static_prefix
        self.cookie_prefix = cookie_prefix
        self.error_response = error_response

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        cacheable = path.startswith(self.static_prefix)
        cookies = path == self.cookie_prefix or path.startswith(self.cookie_prefix + "/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in _OWNED_HEADERS and (cookies or k.lower() != b"set-cookie")
                ]
                if cacheable:
                    headers.extend(self.static_headers)
                else:
                    headers.extend(self.registry_headers if cookies else self.page_headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Whatever no handler caught: logged here without its message (which may quote a
            # submitted value), answered with these headers, and not raised on to the server,
            # whose own log line would print the message.
            log_unexpected(scope, exc)
            if not started:
                response = self.error_response(scope, 500)
                await response(scope, receive, send_with_headers)


_OWNED_HEADERS = frozenset(k.encode() for k, _ in SECURITY_HEADERS) | {
    b"cache-control",
    b"strict-transport-security",
}
# The headers as ASGI sends them, encoded once (not on every response).
_SECURITY_HEADER_BYTES = tuple((k.encode(), v.encode()) for k, v in SECURITY_HEADERS)
_NO_STORE_HEADER_BYTES = (*_SECURITY_HEADER_BYTES, (b"cache-control", b"no-store"))
# The registry's pages say where their forms come from to their own origin only: with
# no-referrer a browser sends "Origin: null" on a form's POST, and the registry's forms check
# the Origin (spinefx.web.deps.check_origin). Nothing goes to another site either way.
_REGISTRY_HEADER_BYTES = tuple(
    (k, b"same-origin" if k == b"referrer-policy" else v) for k, v in _NO_STORE_HEADER_BYTES
)


class BodyTooLarge(Exception):
    """The request body passed the limit while it was being read."""


class BodySizeLimit(HttpMiddleware):
    """Refuse request bodies above ``max_bytes`` with a 413 problem; ``larger`` gives other
    limits by path prefix (the CDS Hooks calls, whose prefetch carries a patient's record)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        error_response: ErrorResponse,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.error_response = error_response
        self.larger = dict(larger or {})

    def limit(self, path: str) -> int:
        """The limit of a request to ``path``."""
        for prefix, limit in self.larger.items():
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        max_bytes = self.limit(str(scope.get("path", "")))
        declared = _content_length(scope["headers"])
        if declared is not None and declared > max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.error_response(scope, 413)
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for key, value in headers:
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


REQUEST_ID_HEADER = "x-request-id"
# What a caller's request id may be: a UUID, a proxy's hex id, a trace id; nothing that could
# forge a log line or carry an answer of any length.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def request_id(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-ID`` if it is a plain token, else a new random one."""
    for key, value in headers:
        if key.lower() == REQUEST_ID_HEADER.encode():
            given = value.decode("latin-1")
            if _PLAIN_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


class AccessLog(HttpMiddleware):
    """One INFO line per request on :data:`ACCESS_LOGGER`: ``METHOD /path STATUS 1.2ms
    client=ADDRESS id=REQUEST-ID``; the same as fields of the record, for the JSON log."""

    def __init__(self, app: ASGIApp, *, logger: str = ACCESS_LOGGER) -> None:
        super().__init__(app)
        self.log = logging.getLogger(logger)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers
        rid = request_id(scope["headers"])
        token = REQUEST_ID.set(rid)

        async def noting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        finally:
            # scope["path"] never holds the query string; it is logged on its own, as is.
            elapsed_ms = round((time.perf_counter() - start) * 1000, 1)
            method = escape_control(str(scope["method"]))
            path = escape_control(str(scope["path"]))
            client = scope.get("client")
            address = escape_control(str(client[0])) if client else "-"
            self.log.info(
                "%s %s %d %.1fms client=%s id=%s",
                method,
                path,
                status,
                elapsed_ms,
                address,
                rid,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": elapsed_ms,
                    "client": address,
                    "request_id": rid,
                },
            )
            REQUEST_ID.reset(token)
