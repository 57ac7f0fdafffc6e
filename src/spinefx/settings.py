"""Settings of spinefx (the CLI and the web app), read from ``SPINEFX_*`` environment variables.

``SPINEFX_DATA_DIR`` names the folder that holds ``directory.duckdb``, ``registry.sqlite3`` and
the ``cache`` folder (default: the platform's per-user data folder); ``SPINEFX_DATABASE_URL``
puts the registry on another database (PostgreSQL); ``SPINEFX_HOST`` and ``SPINEFX_PORT`` set
where ``spinefx serve`` listens; the operating settings (logs, metrics, workers, proxies, HTTPS)
are tabled in docs/deploy.md. This is the only place that reads the environment: the core takes
every path as an argument.

It lives outside :mod:`spinefx.web` so that a command that needs only the data folder
(``spinefx directory ingest``) does not import the web application to find it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from spinefx.errors import InputError
from spinefx.validation import problems_from

if TYPE_CHECKING:
    from spinefx.registry.mail import Mailer, SmtpServer

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """The data folder used when ``SPINEFX_DATA_DIR`` is not set."""
    from spinefx.directory.store import platform_data_dir  # imported here: duckdb loads late

    return platform_data_dir()


class Settings(BaseSettings):
    """Where the data lives and where to listen."""

    model_config = SettingsConfigDict(env_prefix="SPINEFX_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    database_url: str | None = None  # SPINEFX_DATABASE_URL: the registry (default: SQLite)
    https: bool = False  # SPINEFX_HTTPS=1: Secure session cookie, Strict-Transport-Security

    # Operating it (docs/deploy.md)
    log_format: Literal["text", "json"] = "text"  # SPINEFX_LOG_FORMAT=json: a JSON object a line
    metrics: bool = False  # SPINEFX_METRICS=1: Prometheus metrics at /metrics
    workers: Annotated[int, Field(ge=1, le=64)] = 1  # SPINEFX_WORKERS: serving processes
    # SPINEFX_FORWARDED_ALLOW_IPS: the reverse proxies whose X-Forwarded-For/-Proto are
    # believed (comma-separated addresses or networks); empty: none, the headers are ignored.
    # uvicorn takes the client's address from them; the login throttle counts per that address
    forwarded_allow_ips: str = ""

    # The CDS Hooks service (docs/fhir.md, "The CDS Hooks service"): off unless switched on.
    cds_hooks: bool = False  # SPINEFX_CDS_HOOKS=1 serves /cds-services
    cds_hooks_issuers: Path | None = None  # JSON file: the trusted EHRs and their public keys
    cds_hooks_insecure_no_jwt: bool = False  # local testing only: no JWT check (logged)
    cds_hooks_base_url: str | None = None  # spinefx's public URL as the EHR calls it
    cds_hooks_origins: str = ""  # browser EHR origins allowed by CORS, comma-separated
    cds_hooks_fhir_servers: str = ""  # FHIR servers missing prefetch may be read from

    # The registry's daily reminders by e-mail (spinefx registry remind; docs/registry.md).
    smtp_host: str | None = None  # SPINEFX_SMTP_HOST: no host, no e-mail
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "spinefx registry <registry@localhost>"
    smtp_starttls: bool = False  # SPINEFX_SMTP_STARTTLS=1: upgrade to TLS before logging in
    public_url: str = ""  # SPINEFX_PUBLIC_URL: the registry's address in e-mails and calendars

    @classmethod
    def from_environment(cls) -> Settings:
        """Read ``SPINEFX_*``; a bad value is an :class:`InputError` naming the variable."""
        try:
            return cls()
        except ValidationError as exc:
            problems = [
                replace(p, field=f"SPINEFX_{p.field.upper()}") for p in problems_from(cls, exc)
            ]
            raise InputError.from_problems(problems) from exc

    @property
    def registry_url(self) -> str:
        """The registry database: ``SPINEFX_DATABASE_URL``, else ``registry.sqlite3`` here."""
        from spinefx.registry.db import sqlite_url

        return (self.database_url or "").strip() or sqlite_url(self.data_dir)

    @property
    def directory_db(self) -> Path:
        """The specialist directory database searched by ``/find`` and the API."""
        from spinefx.directory.store import DB_FILENAME

        return self.data_dir / DB_FILENAME

    @property
    def cache_dir(self) -> Path:
        """Where derived tables are cached (the ZIP centroid table), inside the data folder."""
        return self.data_dir / "cache"

    @property
    def smtp_server(self) -> SmtpServer | None:
        """The SMTP server the registry sends through (``SPINEFX_SMTP_*``); None without a host."""
        from spinefx.registry.mail import SmtpServer

        if not self.smtp_host:
            return None
        return SmtpServer(
            self.smtp_host,
            self.smtp_port,
            self.smtp_user,
            self.smtp_password,
            self.smtp_from,
            self.smtp_starttls,
        )

    @property
    def mailer(self) -> Mailer:
        """Where the registry's e-mail goes: the SMTP server, else the ``outbox`` folder here
        (``.eml`` files for the operator to pass on: a demonstration has no mail server)."""
        from spinefx.registry.mail import Mailer

        return Mailer(self.smtp_server, self.data_dir / "outbox", self.smtp_from)
