"""The CDS Hooks trust check: the EHR's signed JWT in ``Authorization: Bearer``, verified.

CDS Hooks 2.0 (shared/reference/interop.md): the EHR signs a JWT with its private key; its
claims are ``iss``, ``aud`` (the service's URL), ``exp`` (at most 5 minutes ahead), ``iat`` and
``jti`` (a nonce); its header names the key (``kid``). The service accepts it only when the
issuer is on its allow-list, the signature verifies with one of that issuer's configured
public keys (a JWK Set, or PEM keys), the audience is this service, the token has not expired
nor lives longer than 5 minutes, and its ``jti`` has not been seen before (a replay).

Keys are configured, never fetched: a ``jku`` header is not followed (no outgoing call).
Every refusal is a :class:`~spinefx.errors.NotAuthenticated` whose message says why, for the
log; the web layer answers 401.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import jwt
from jwt import PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from spinefx.errors import NotAuthenticated

__all__ = [
    "ALGORITHMS",
    "MAX_LIFETIME_S",
    "CdsAuthSettings",
    "CdsClaims",
    "Issuer",
    "JtiCache",
    "MemoryJtiCache",
    "bearer_token",
    "verify_cds_jwt",
]

# CDS Hooks asks EHRs to sign with ES384 or RS384; the 256-bit variants are accepted too.
ALGORITHMS: Final = ("ES384", "RS384", "ES256", "RS256")
MAX_LIFETIME_S: Final = 300
LEEWAY_S: Final = 30  # clock difference allowed between the EHR and this server


@dataclass(frozen=True)
class Issuer:
    """One trusted EHR: its ``iss`` and its public keys (a JWK Set as JSON, or PEM texts)."""

    iss: str
    jwks: Mapping[str, Any] | None = None
    pem_keys: Sequence[str] = ()


@dataclass(frozen=True)
class CdsAuthSettings:
    """The allow-list of issuers and the audience (this service's URL, as the EHR calls it)."""

    issuers: Sequence[Issuer]
    audience: str | Sequence[str]
    algorithms: Sequence[str] = ALGORITHMS
    max_lifetime_s: int = MAX_LIFETIME_S
    leeway_s: int = LEEWAY_S

    @staticmethod
    def from_json(text: str, audience: str | Sequence[str]) -> CdsAuthSettings:
        """Settings from JSON: ``[{"iss": ..., "jwks": {"keys": [...]}, "pem_keys": [...]}]``."""
        try:
            raw = json.loads(text)
            issuers = [
                Issuer(str(i["iss"]), i.get("jwks"), tuple(i.get("pem_keys") or ())) for i in raw
            ]
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"CDS Hooks issuers: a JSON list of issuers ({exc})") from exc
        return CdsAuthSettings(issuers=issuers, audience=audience)


@dataclass(frozen=True)
class CdsClaims:
    iss: str
    jti: str
    exp: int
    iat: int
    sub: str | None
    tenant: str | None


class JtiCache(Protocol):
    def seen(self, jti: str, iss: str, expires_at: float) -> bool:
        """Record the ``jti``; ``True`` when it was recorded before (a replay)."""
        ...


@dataclass
class MemoryJtiCache:
    """The ``jti`` values of one process, each kept until its token expires."""

    _until: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, jti: str, iss: str, expires_at: float) -> bool:
        now = time.time()
        with self._lock:
            if len(self._until) > 10_000:
                self._until = {k: v for k, v in self._until.items() if v > now}
            key = (iss, jti)
            if self._until.get(key, 0) > now:
                return True
            self._until[key] = expires_at
            return False


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <JWT>`` header."""
    if not authorization:
        raise NotAuthenticated("no Authorization header: CDS Hooks calls carry a signed JWT")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("the Authorization header is not 'Bearer <JWT>'")
    return token.strip()


def _keys(issuer: Issuer, kid: str | None) -> list[Any]:
    keys: list[Any] = []
    if issuer.jwks is not None:
        try:
            jwk_set = PyJWKSet.from_dict(dict(issuer.jwks))
        except (PyJWKSetError, PyJWKError) as exc:
            raise NotAuthenticated(f"the JWK Set configured for {issuer.iss} is unusable") from exc
        keys.extend(k.key for k in jwk_set.keys if kid is None or k.key_id in (kid, None))
    for pem in issuer.pem_keys:
        keys.append(pem)
    return keys


def verify_cds_jwt(
    token: str,
    settings: CdsAuthSettings,
    jti_cache: JtiCache,
    *,
    now: float | None = None,
) -> CdsClaims:
    """The verified claims of an EHR's CDS Hooks JWT, or :class:`NotAuthenticated` saying why."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(f"the bearer token is not a JWT ({exc})") from exc
    iss = unverified.get("iss")
    issuer = next((i for i in settings.issuers if i.iss == iss), None)
    if issuer is None:
        raise NotAuthenticated(f"issuer {iss!r} is not on the allow-list")
    algorithm = str(header.get("alg"))
    if algorithm not in settings.algorithms:
        raise NotAuthenticated(f"algorithm {algorithm!r} is not one of {list(settings.algorithms)}")
    kid = header.get("kid")
    keys = _keys(issuer, kid if isinstance(kid, str) else None)
    if not keys:
        raise NotAuthenticated(f"no configured key of {iss} matches kid {kid!r}")
    clock = time.time() if now is None else now
    claims: dict[str, Any] | None = None
    last: Exception | None = None
    for key in keys:
        try:
            claims = _decode(token, key, settings, algorithm, clock)
            break
        except jwt.InvalidSignatureError as exc:
            last = exc
        except jwt.PyJWTError as exc:
            raise NotAuthenticated(f"the JWT of {iss} was refused: {exc}") from exc
    if claims is None:
        raise NotAuthenticated(f"the JWT's signature does not verify with {iss}'s keys") from last
    exp, iat = int(claims["exp"]), int(claims["iat"])
    if exp - clock > settings.max_lifetime_s + settings.leeway_s:
        raise NotAuthenticated(
            f"the JWT expires more than {settings.max_lifetime_s} s ahead "
            "(CDS Hooks: at most 5 minutes)"
        )
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti:
        raise NotAuthenticated("the JWT's jti is not a nonce string")
    if jti_cache.seen(jti, str(iss), float(exp) + settings.leeway_s):
        raise NotAuthenticated("the JWT's jti was used before (a replay)")
    sub, tenant = claims.get("sub"), claims.get("tenant")
    return CdsClaims(
        str(iss),
        jti,
        exp,
        iat,
        sub if isinstance(sub, str) else None,
        tenant if isinstance(tenant, str) else None,
    )


def _decode(
    token: str, key: Any, settings: CdsAuthSettings, algorithm: str, clock: float
) -> dict[str, Any]:
    audience = (
        [settings.audience] if isinstance(settings.audience, str) else list(settings.audience)
    )
    # PyJWT checks exp and iat against its own clock; a fixed ``now`` (tests) is honoured by
    # checking them here instead.
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=[algorithm],
        audience=audience,
        options={
            "require": ["iss", "aud", "exp", "iat", "jti"],
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        },
    )
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise jwt.InvalidTokenError("exp and iat must be numbers")
    if exp + settings.leeway_s < clock:
        raise jwt.ExpiredSignatureError("the JWT has expired")
    if iat - settings.leeway_s > clock:
        raise jwt.ImmatureSignatureError("the JWT was issued in the future")
    return claims
