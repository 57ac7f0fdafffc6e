"""Gzip for the pages, the stylesheet, the scripts and the JSON answers (Starlette's
:class:`~starlette.middleware.gzip.GZipMiddleware`), except under ``/registry``.

The registry's pages hold a secret (the form's CSRF token) beside what the user typed (a
search, a note); compressing both together lets an attacker who can make the browser send
requests and watch their sizes guess the secret a letter at a time (the BREACH attack). Those
pages are small and few; they go uncompressed. Images and other compressed formats are left
as they are by Starlette's own list.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["MINIMUM_SIZE", "UNCOMPRESSED_PREFIXES", "Compression"]

MINIMUM_SIZE = 500  # bytes: below this, gzip's header outweighs the gain
UNCOMPRESSED_PREFIXES = ("/registry",)
COMPRESS_LEVEL = 6  # zlib's default: most of level 9's gain for a fraction of its time


class Compression:
    """Gzip responses when the client accepts it, outside :data:`UNCOMPRESSED_PREFIXES`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=COMPRESS_LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "")) if scope["type"] == "http" else ""
        if not path or any(path == p or path.startswith(p + "/") for p in UNCOMPRESSED_PREFIXES):
            await self.app(scope, receive, send)
            return
        await self.gzip(scope, receive, send)
