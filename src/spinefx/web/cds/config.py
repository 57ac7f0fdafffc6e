"""The CDS Hooks service's settings read once per app, and what every call goes through.

:func:`prepare` reads the ``SPINEFX_CDS_HOOKS*`` settings (:mod:`spinefx.web.settings`) when
the app starts: the trusted EHRs (issuers) with their public keys from the JSON file that
``SPINEFX_CDS_HOOKS_ISSUERS`` names, the CORS origins and the FHIR servers the service may read
from. A setting that is wrong is logged at start-up and every call is answered 503 saying
which; the rest of spinefx serves on. ``SPINEFX_CDS_HOOKS_INSECURE_NO_JWT=1`` turns the JWT
check off, for local testing only, and says so in the log at start-up.

Each call: :func:`service_config` (404 while the service is off, 503 while it is not set up or
the ``fhir`` extra is missing), :func:`authenticate` (the EHR's signed JWT, CDS Hooks 2.0
"Trusting CDS Clients": 401 otherwise) and :func:`record_cards` (one audit entry per card
served, with the call's ``hookInstance`` and the issuer, never patient data).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException

from spinefx.errors import NotAuthenticated
from spinefx.extras import installed, require
from spinefx.registry import audit
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor
from spinefx.registry.vocab import Role
from spinefx.web.errors import ProblemError
from spinefx.web.security import escape_control
from spinefx.web.settings import Settings

if TYPE_CHECKING:
    from spinefx.fhir.cds import CdsResponse
    from spinefx.fhir.cds_auth import CdsAuthSettings, CdsClaims

__all__ = [
    "INSECURE_ISSUER",
    "CdsConfig",
    "ServiceConfigDep",
    "SwitchedOnDep",
    "authenticate",
    "base_url",
    "lifespan",
    "prepare",
    "record_cards",
    "service_config",
    "switched_on",
]

log = logging.getLogger("spinefx.web.cds")

# The issuer written in the audit log when the JWT check is off.
INSECURE_ISSUER: Final = "insecure-no-jwt"
AUDIT_ACTION: Final = "cds-card"
AUDIT_ENTITY: Final = "cds-hooks"


@dataclass(frozen=True)
class CdsConfig:
    """What the service needs, read from the settings once (``app.state.cds_hooks``)."""

    enabled: bool
    problem: str | None = None  # why it cannot serve (a setting is wrong); None when it can
    insecure: bool = False  # SPINEFX_CDS_HOOKS_INSECURE_NO_JWT=1
    auth: CdsAuthSettings | None = None  # the trusted issuers; None when insecure
    base_url: str | None = None  # SPINEFX_CDS_HOOKS_BASE_URL, without a trailing /
    origins: frozenset[str] = frozenset()  # CORS: exact origins, or "*"
    fhir_servers: tuple[str, ...] = ()  # base URLs, without a trailing /
    jti_cache: Any = field(default=None, compare=False)  # cds_auth.MemoryJtiCache

    def allows_origin(self, origin: str) -> bool:
        return "*" in self.origins or origin in self.origins


def _http_url(value: str) -> str | None:
    """``value`` without a trailing slash when it is an http(s) URL with a host and no query
    or fragment, else None."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return None
    return value.strip().rstrip("/")


def _origin(value: str) -> str | None:
    """A browser origin (``scheme://host[:port]``, as the ``Origin`` header sends it)."""
    url = _http_url(value)
    if url is None or urlsplit(url).path or urlsplit(url).username:
        return None
    return url


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def prepare(settings: Settings) -> CdsConfig:
    """The service's configuration from ``settings``; problems are kept, not raised."""
    if not settings.cds_hooks:
        return CdsConfig(enabled=False)
    problems: list[str] = []
    base = None
    if settings.cds_hooks_base_url:
        base = _http_url(settings.cds_hooks_base_url)
        if base is None:
            problems.append("SPINEFX_CDS_HOOKS_BASE_URL: an http(s) URL such as https://host")
    origins = _list(settings.cds_hooks_origins)
    bad_origins = [o for o in origins if o != "*" and _origin(o) is None]
    if bad_origins:
        problems.append(
            "SPINEFX_CDS_HOOKS_ORIGINS: origins such as https://ehr.example.org, comma-separated"
        )
    servers = [_http_url(s) for s in _list(settings.cds_hooks_fhir_servers)]
    if None in servers:
        problems.append("SPINEFX_CDS_HOOKS_FHIR_SERVERS: FHIR base URLs, comma-separated")
    auth = None
    jti_cache = None
    insecure = settings.cds_hooks_insecure_no_jwt
    if not installed("fhir"):
        pass  # every call answers 503 naming the extra (service_config)
    elif insecure:
        log.warning(
            "CDS Hooks: SPINEFX_CDS_HOOKS_INSECURE_NO_JWT=1: calls are NOT authenticated "
            "(no JWT check). For local testing only; never with real patients."
        )
    elif settings.cds_hooks_issuers is None:
        problems.append(
            "SPINEFX_CDS_HOOKS_ISSUERS: the JSON file of the trusted EHRs and their keys"
        )
    else:
        auth, problem = _issuers(settings.cds_hooks_issuers, base)
        if problem:
            problems.append(problem)
        from spinefx.fhir.cds_auth import MemoryJtiCache

        jti_cache = MemoryJtiCache()
    if "*" in origins:
        log.warning("CDS Hooks: CORS allows any origin (SPINEFX_CDS_HOOKS_ORIGINS=*)")
    problem = "; ".join(problems) or None
    if problem:
        log.error("CDS Hooks: not serving until the settings are fixed: %s", problem)
    return CdsConfig(
        enabled=True,
        problem=problem,
        insecure=insecure,
        auth=auth,
        base_url=base,
        origins=frozenset(o for o in origins if o not in bad_origins),
        fhir_servers=tuple(s for s in servers if s is not None),
        jti_cache=jti_cache,
    )


def _issuers(path: Path, audience: str | None) -> tuple[CdsAuthSettings | None, str | None]:
    from spinefx.fhir.cds_auth import CdsAuthSettings

    name = "SPINEFX_CDS_HOOKS_ISSUERS"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{name}: {path} cannot be read ({type(exc).__name__})"
    try:
        # the audience is set per call (the endpoint called); this one is a placeholder
        auth = CdsAuthSettings.from_json(text, audience or "")
    except ValueError as exc:
        return None, f"{name}: {exc}"
    if not auth.issuers:
        return None, f"{name}: the file lists no issuer"
    keyless = [i.iss for i in auth.issuers if not i.jwks and not i.pem_keys]
    if keyless:
        return None, f"{name}: no public key (jwks or pem_keys) for {', '.join(keyless)}"
    log.info("CDS Hooks: %d trusted issuer(s) from %s", len(auth.issuers), path)
    return auth, None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Read the settings at start-up, so a wrong one (or the insecure mode) is logged then."""
    config = app.state.cds_hooks = prepare(app.state.settings)
    if config.enabled and installed("fhir"):
        # loaded now, not by the first call, which the EHR waits for (some 0.4 s here)
        import spinefx.fhir.cds  # noqa: F401
    yield


def switched_on(request: Request) -> CdsConfig:
    """The configuration, or 404 while the service is off."""
    config: CdsConfig | None = getattr(request.app.state, "cds_hooks", None)
    if config is None:  # an app whose lifespan has not run (a TestClient without `with`)
        config = request.app.state.cds_hooks = prepare(request.app.state.settings)
    if not config.enabled:
        raise HTTPException(404)
    return config


def service_config(request: Request) -> CdsConfig:
    """The configuration of a call: 404 while the service is off, 503 while it cannot serve."""
    config = switched_on(request)
    require("fhir", "the CDS Hooks service")
    if config.problem:
        raise ProblemError(
            503,
            f"The CDS Hooks service is switched on but not set up: {config.problem}.",
            title="CDS Hooks service not set up",
        )
    return config


ServiceConfigDep = Annotated[CdsConfig, Depends(service_config)]
SwitchedOnDep = Annotated[CdsConfig, Depends(switched_on)]


def base_url(config: CdsConfig, request: Request) -> str:
    """spinefx's public URL: the setting, else the URL this request came to."""
    return config.base_url or str(request.base_url).rstrip("/")


def authenticate(request: Request, config: CdsConfig, endpoint: str) -> CdsClaims | None:
    """The EHR's verified JWT claims (``None`` in the insecure mode), else NotAuthenticated.

    The audience is the URL of the endpoint called (``endpoint``: a path under the base URL),
    as CDS Hooks 2.0 asks: ``{base}/cds-services`` for discovery, ``{base}/cds-services/{id}``
    for a service.
    """
    if config.insecure:
        return None
    from spinefx.fhir.cds_auth import bearer_token, verify_cds_jwt

    assert config.auth is not None and config.jti_cache is not None
    audience = base_url(config, request) + endpoint
    try:
        token = bearer_token(request.headers.get("authorization"))
        return verify_cds_jwt(
            token, dataclasses.replace(config.auth, audience=audience), config.jti_cache
        )
    except NotAuthenticated as exc:
        log.warning("CDS Hooks: call refused: %s", escape_control(str(exc)))
        raise


def record_cards(
    registry: Registry,
    claims: CdsClaims | None,
    hook_instance: str,
    response: CdsResponse,
    service: str,
) -> None:
    """One audit entry per card served: the service, the call's ``hookInstance``, the
    issuer (and its ``tenant``), the card's uuid and indicator; no patient data."""
    issuer = claims.iss if claims else INSECURE_ISSUER
    # Not a registry user: an actor of no site, named by the EHR that called.
    actor = Actor(None, f"cds-hooks:{issuer}"[:254], Role.AUDITOR, frozenset())
    with registry.transaction() as session:
        for card in response.cards:
            detail: dict[str, Any] = {
                "service": service,
                "hookInstance": hook_instance,
                "issuer": issuer,
                "card": card.uuid,
                "indicator": card.indicator,
            }
            if claims and claims.tenant:
                detail["tenant"] = claims.tenant
            audit.record(session, actor, AUDIT_ACTION, AUDIT_ENTITY, detail=detail)
