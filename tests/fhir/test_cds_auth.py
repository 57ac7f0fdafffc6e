"""The CDS Hooks JWT check, with keys made in the test: what is accepted, what is refused, why."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from spinefx.errors import NotAuthenticated
from spinefx.fhir.cds_auth import (
    CdsAuthSettings,
    Issuer,
    MemoryJtiCache,
    bearer_token,
    verify_cds_jwt,
)

AUD = "https://spinefx.hospital.example/cds-services/vertebral-fracture-care"
ISS = "https://ehr.hospital.example"
NOW = 1_800_000_000.0

EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())


def jwk(private: Any, kid: str) -> dict[str, Any]:
    if isinstance(private, ec.EllipticCurvePrivateKey):
        data = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    else:
        data = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return {**data, "kid": kid}


SETTINGS = CdsAuthSettings(
    issuers=[Issuer(ISS, jwks={"keys": [jwk(EC_KEY, "ec-1"), jwk(RSA_KEY, "rsa-1")]})],
    audience=AUD,
)


def token(
    key: Any = EC_KEY,
    alg: str = "ES384",
    kid: str | None = "ec-1",
    **claims: Any,
) -> str:
    body: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "iat": int(NOW),
        "exp": int(NOW) + 240,
        "jti": "nonce-1",
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    headers = {"kid": kid} if kid else {}
    return jwt.encode(body, key, algorithm=alg, headers=headers)


def verify(raw: str, settings: CdsAuthSettings = SETTINGS, cache: Any = None) -> Any:
    return verify_cds_jwt(raw, settings, cache or MemoryJtiCache(), now=NOW)


def refused(raw: str, reason: str, settings: CdsAuthSettings = SETTINGS) -> None:
    with pytest.raises(NotAuthenticated, match=reason):
        verify(raw, settings)


def test_a_token_signed_by_a_trusted_ehr_is_accepted() -> None:
    claims = verify(token(sub="client-1", tenant="north"))
    assert (claims.iss, claims.jti, claims.sub, claims.tenant) == (
        ISS,
        "nonce-1",
        "client-1",
        "north",
    )


def test_rs384_with_the_rsa_key_is_accepted() -> None:
    assert verify(token(RSA_KEY, "RS384", "rsa-1")).iss == ISS


def test_a_pem_key_may_stand_in_for_a_jwk_set() -> None:
    pem = (
        EC_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = CdsAuthSettings(issuers=[Issuer(ISS, pem_keys=[pem])], audience=AUD)
    assert verify(token(kid=None), settings).iss == ISS


def test_an_issuer_off_the_allow_list_is_refused() -> None:
    refused(token(iss="https://evil.example"), "not on the allow-list")


def test_a_token_for_another_service_is_refused() -> None:
    refused(token(aud="https://other.example/cds-services/x"), "(?i)audience")


def test_a_signature_by_another_key_is_refused() -> None:
    refused(token(OTHER_KEY), "signature does not verify")


def test_an_unknown_key_id_is_refused() -> None:
    refused(token(kid="nope"), "matches kid")


def test_an_expired_token_is_refused() -> None:
    refused(token(iat=int(NOW) - 400, exp=int(NOW) - 100), "expired")


def test_a_token_living_more_than_five_minutes_is_refused() -> None:
    refused(token(exp=int(NOW) + 3600), "at most 5 minutes")


def test_a_token_issued_in_the_future_is_refused() -> None:
    refused(token(iat=int(NOW) + 600, exp=int(NOW) + 700), "future")


@pytest.mark.parametrize("claim", ["jti", "exp", "iat", "aud"])
def test_a_token_without_a_required_claim_is_refused(claim: str) -> None:
    refused(token(**{claim: None}), "refused|jti")


def test_a_replayed_token_is_refused() -> None:
    cache = MemoryJtiCache()
    raw = token()
    verify(raw, cache=cache)
    with pytest.raises(NotAuthenticated, match="replay"):
        verify(raw, cache=cache)


def test_a_symmetric_or_unsigned_token_is_refused() -> None:
    refused(
        jwt.encode({"iss": ISS}, "secret-secret-secret-secret-32b!", algorithm="HS256"), "algorithm"
    )
    unsigned = jwt.encode({"iss": ISS, "aud": AUD}, None, algorithm="none")  # type: ignore[arg-type]
    refused(unsigned, "algorithm")


def test_garbage_is_not_a_jwt() -> None:
    refused("not.a.jwt", "not a JWT")


@pytest.mark.parametrize(
    ("header", "ok"),
    [("Bearer abc.def.ghi", True), ("bearer abc", True), ("Basic dXNlcg==", False), ("", False),
     (None, False), ("Bearer ", False)],
)  # fmt: skip
def test_bearer_token_from_the_authorization_header(header: str | None, ok: bool) -> None:
    if ok:
        assert bearer_token(header)
    else:
        with pytest.raises(NotAuthenticated):
            bearer_token(header)


def test_issuers_from_json_settings() -> None:
    text = json.dumps([{"iss": ISS, "jwks": {"keys": [jwk(EC_KEY, "ec-1")]}}])
    settings = CdsAuthSettings.from_json(text, AUD)
    assert verify(token(), settings).iss == ISS
    with pytest.raises(ValueError, match="issuers"):
        CdsAuthSettings.from_json('{"iss": 1}', AUD)


def test_the_memory_cache_forgets_a_jti_once_its_token_expired() -> None:
    cache = MemoryJtiCache()
    assert cache.seen("j", ISS, time.time() - 1) is False
    assert cache.seen("j", ISS, time.time() + 60) is False  # the first one had expired
    assert cache.seen("j", ISS, time.time() + 60) is True
