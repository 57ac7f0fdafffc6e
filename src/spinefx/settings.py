"""Settings of spinefx (the CLI and the web app), read from ``SPINEFX_*`` environment variables.

``SPINEFX_DATA_DIR`` names the folder that holds ``directory.duckdb``, ``registry.sqlite3`` and
the ``cache`` folder (default: the platform's per-user data folder); ``SPINEFX_DATABASE_URL``
puts the registry on another database (PostgreSQL); ``SPINEFX_HOST`` and ``SPINEFX_PORT`` set
where ``spinefx serve`` listens. This is the only place that reads the environment: the core takes
every path as an argument.

It lives outside :mod:`spinefx.web` so that a command that needs only the data folder
(``spinefx directory ingest``) does not import the web application to find it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from spinefx.errors import InputError
from spinefx.validation import problems_from

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
    https: bool = False  # SPINEFX_HTTPS=1: the registry's session cookie is Secure
    # SPINEFX_TRUSTED_PROXIES: the reverse proxy's addresses (comma-separated); from them the
    # client's address is taken from X-Forwarded-For (the login throttle counts per client)
    trusted_proxies: str = ""

    # The CDS Hooks service (docs/fhir.md, "The CDS Hooks service"): off unless switched on.
    cds_hooks: bool = False  # SPINEFX_CDS_HOOKS=1 serves /cds-services
    cds_hooks_issuers: Path | None = None  # JSON file: the trusted EHRs and their public keys
    cds_hooks_insecure_no_jwt: bool = False  # local testing only: no JWT check (logged)
    cds_hooks_base_url: str | None = None  # spinefx's public URL as the EHR calls it
    cds_hooks_origins: str = ""  # browser EHR origins allowed by CORS, comma-separated
    cds_hooks_fhir_servers: str = ""  # FHIR servers missing prefetch may be read from

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
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

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
