"""``spinefx serve``: the web app on uvicorn, over the directory in the data folder."""

from __future__ import annotations

import logging.config
from typing import Annotated

import typer


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
    ) -> None:
        """Serve the web app and the /api/v1 JSON API (SPINEFX_DATA_DIR holds the directory)."""
        import uvicorn

        from spinefx.web import Settings, create_app
        from spinefx.web.logs import log_config

        settings = Settings.from_environment()
        changes = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
        if changes:
            settings = settings.model_copy(update=changes)
        logging_config = log_config(settings.log_format)
        logging.config.dictConfig(logging_config)
        typer.echo(
            f"spinefx: serving http://{settings.host}:{settings.port} "
            f"(directory: {settings.directory_db})",
            err=True,
        )
        # uvicorn's own access log prints query strings: it is off, and spinefx.web.security
        # logs method, path and status only.
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            log_level="info",
            log_config=logging_config,
        )
