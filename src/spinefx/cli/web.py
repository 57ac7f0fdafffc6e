"""``spinefx serve``: the web app on uvicorn, over the directory in the data folder."""

from __future__ import annotations

import atexit
import logging.config
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

# What uvicorn imports in each worker process when there are several (an app object cannot be
# sent to another process): the app made from the SPINEFX_* environment.
APP_FACTORY = "spinefx.web.app:create_app"


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""

    @app.command(epilog="Example: SPINEFX_DATA_DIR=/srv/spinefx spinefx serve --port 8080")
    def serve(
        host: Annotated[
            str | None,
            typer.Option(help="Address to listen on (default 127.0.0.1, or SPINEFX_HOST)."),
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(
                min=1, max=65535, help="Port to listen on (default 8000, or SPINEFX_PORT)."
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                min=1,
                max=64,
                help="Worker processes (default 1, or SPINEFX_WORKERS); about one per core.",
            ),
        ] = None,
        forwarded_allow_ips: Annotated[
            str | None,
            typer.Option(
                help=(
                    "Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are "
                    "believed, comma-separated (e.g. 127.0.0.1); default none, or the "
                    "environment's setting (docs/deploy.md)."
                ),
            ),
        ] = None,
    ) -> None:
        """Serve the web app and the /api/v1 JSON API (SPINEFX_DATA_DIR holds the directory)."""
        import uvicorn

        from spinefx.logs import log_config
        from spinefx.web import Settings, create_app
        from spinefx.web.ops.instruments import MULTIPROC_ENV

        settings = Settings.from_environment()
        options = {
            "host": host,
            "port": port,
            "workers": workers,
            "forwarded_allow_ips": forwarded_allow_ips,
        }
        changes = {k: v for k, v in options.items() if v is not None}
        if changes:
            settings = settings.model_copy(update=changes)
        logging_config = log_config(settings.log_format)
        logging.config.dictConfig(logging_config)
        typer.echo(
            f"spinefx: serving http://{settings.host}:{settings.port} "
            f"(directory: {settings.directory_db}; workers: {settings.workers})",
            err=True,
        )
        proxies = settings.forwarded_allow_ips.strip()
        target: str | FastAPI
        if settings.workers > 1:
            # Each worker makes its app from SPINEFX_* itself; uvicorn hands it the rest
            # (address, proxies, logging).
            if settings.metrics and not os.environ.get(MULTIPROC_ENV):
                # the workers add up their figures in files here (prometheus-client's
                # multiprocess mode); a fresh folder each start, removed at exit
                folder = tempfile.mkdtemp(prefix="spinefx-metrics-")
                atexit.register(shutil.rmtree, folder, ignore_errors=True)
                os.environ[MULTIPROC_ENV] = folder
            target = APP_FACTORY
        else:
            target = create_app(settings)
        # uvicorn's own access log prints query strings: it is off, and spinefx.web.security
        # logs method, path and status only. Proxy headers are believed only from the proxies
        # named: from anyone else they would let a client choose its logged address.
        uvicorn.run(
            target,
            factory=settings.workers > 1,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            access_log=False,
            server_header=False,
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            log_level="info",
            log_config=logging_config,
        )
