"""Helpers of the CDS Hooks service's web tests: an EHR's signing key and its JWTs, the issuers
file the service reads, an app serving the service, and patient-view calls built from
fhir.resources models."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource
from jwt.algorithms import ECAlgorithm

from spinefx.fhir import codes
from spinefx.registry.db import Registry
from spinefx.web import Settings, create_app

__all__ = [
    "AUD",
    "BASE",
    "EHR_KEY",
    "ISS",
    "KID",
    "PID",
    "SERVICE",
    "alendronate",
    "as_json",
    "bundle",
    "call_body",
    "cds_client",
    "fracture",
    "issuers_file",
    "patient",
    "ready_registry",
    "token",
]

BASE = "http://testserver"  # TestClient's base URL: the service's URL when none is set
SERVICE = "/cds-services/vertebral-fracture-care"
AUD = BASE + SERVICE
ISS = "https://ehr.hospital.example"
KID = "ehr-key-1"
PID = "p-4711"
EHR_KEY = ec.generate_private_key(ec.SECP384R1())


def issuers_file(folder: Path, key: Any = EHR_KEY, iss: str = ISS) -> Path:
    """The JSON file SPINEFX_CDS_HOOKS_ISSUERS names: one EHR and its public JWK Set."""
    public = {**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": KID, "alg": "ES384"}
    path = folder / "cds-issuers.json"
    path.write_text(json.dumps([{"iss": iss, "jwks": {"keys": [public]}}]), encoding="utf-8")
    return path


def token(
    aud: str | list[str] = AUD,
    *,
    key: Any = EHR_KEY,
    alg: str = "ES384",
    lifetime_s: int = 240,
    issued_ago_s: int = 0,
    **claims: Any,
) -> str:
    """A JWT as the EHR signs it (a fresh jti each time unless one is given)."""
    import time

    now = int(time.time()) - issued_ago_s
    body = {
        "iss": ISS,
        "aud": aud,
        "iat": now,
        "exp": now + lifetime_s,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode(body, key, algorithm=alg, headers={"kid": KID})


@contextmanager
def cds_client(data_dir: Path, **settings: Any) -> Iterator[TestClient]:
    """An app with the service on (JWTs checked against :func:`issuers_file` unless the
    settings say otherwise) over the registry in ``data_dir``."""
    values: dict[str, Any] = {"data_dir": data_dir, "cds_hooks": True}
    if not settings.get("cds_hooks_insecure_no_jwt"):
        values["cds_hooks_issuers"] = issuers_file(data_dir)
    values.update(settings)
    with TestClient(create_app(Settings(**values)), raise_server_exceptions=False) as client:
        yield client


def ready_registry(data_dir: Path) -> Registry:
    registry = Registry.open(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    registry.init()
    return registry


def as_json(resource: Resource) -> dict[str, Any]:
    return resource.model_dump(mode="json", exclude_none=True)


def bundle(*resources: Resource) -> dict[str, Any]:
    return as_json(Bundle(type="searchset", entry=[{"resource": as_json(r)} for r in resources]))


def patient() -> Patient:
    return Patient(
        id=PID,
        gender="female",
        birthDate=date.today().replace(year=date.today().year - 58) - timedelta(days=30),
        name=[{"text": "Rose Example (fictional)"}],
    )


def fracture(days_ago: int = 40, code: str = "M80.08XA") -> Condition:
    return Condition(
        id="c1",
        subject={"reference": f"Patient/{PID}"},
        code={"coding": [{"system": codes.ICD10CM, "code": code}]},
        onsetDateTime=date.today() - timedelta(days=days_ago),
        bodySite=[{"coding": [{"system": codes.SNOMED, "code": "14293000"}]}],  # L2
    )


def alendronate(concept: dict[str, Any] | None = None, days_ago: int = 30) -> MedicationRequest:
    return MedicationRequest(
        id="m1",
        status="completed",
        intent="order",
        subject={"reference": f"Patient/{PID}"},
        authoredOn=(date.today() - timedelta(days=days_ago)).isoformat(),
        medicationCodeableConcept=concept
        or {"coding": [{"system": codes.RXNORM, "code": "46041", "display": "alendronate"}]},
    )


def call_body(
    conditions: list[Resource] | None = None,
    medications: list[Resource] | None = None,
    *,
    leave_out: tuple[str, ...] = (),
    **fields: Any,
) -> dict[str, Any]:
    """A patient-view call with its prefetch (keys in ``leave_out`` not sent)."""
    prefetch: dict[str, Any] = {
        "patient": as_json(patient()),
        "conditions": bundle(*(conditions if conditions is not None else [fracture()])),
        "medications": bundle(*(medications or [])),
    }
    for key in leave_out:
        prefetch.pop(key)
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/u1", "patientId": PID},
        "prefetch": prefetch,
        **fields,
    }
