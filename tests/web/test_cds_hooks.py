"""The CDS Hooks service on the web: switched off and on, discovery, a card for an untreated
patient and none for a treated one, missing prefetch, the EHR's JWT, CORS, bad bodies, the
audit entry of each card, the rule's page and the card's link to a filled follow-up plan."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from tests.helpers.cds import (
    AUD,
    BASE,
    ISS,
    PID,
    SERVICE,
    alendronate,
    call_body,
    cds_client,
    fracture,
    patient,
    ready_registry,
    token,
)

from spinefx.fhir import codes
from spinefx.fhir.cds import RULE_DOC_PATH, SERVICE_ID
from spinefx.registry.db import Registry
from spinefx.registry.models import AuditEntry
from spinefx.web import Settings, create_app
from spinefx.web.cds.rule import RULE_PATH

PROBLEM = "application/problem+json"
ORIGIN = "https://ehr.hospital.example"


@pytest.fixture(scope="module")
def cds_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose registry is set up (the audit log is written there)."""
    folder = tmp_path_factory.mktemp("cds")
    ready_registry(folder).dispose()
    return folder


@pytest.fixture(scope="module")
def client(cds_data: Path) -> Iterator[TestClient]:
    with cds_client(cds_data, cds_hooks_origins=ORIGIN) as c:
        yield c


def auth(aud: str = AUD, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(aud, **claims)}"}


def post(client: TestClient, body: Any, **claims: Any) -> Any:
    return client.post(SERVICE, json=body, headers=auth(**claims))


def problem_of(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    return body


def cds_audit(data_dir: Path) -> list[AuditEntry]:
    registry = Registry.open(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    try:
        with registry.transaction() as session:
            query = sa.select(AuditEntry).where(AuditEntry.action == "cds-card")
            return list(session.scalars(query.order_by(AuditEntry.id)))
    finally:
        registry.dispose()


# --- off -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cds-services"),
        ("POST", SERVICE),
        ("GET", SERVICE),
        ("OPTIONS", SERVICE),
        ("POST", "/cds-services/another-service/feedback"),
    ],
)
def test_off_unless_switched_on_every_path_is_404(tmp_path: Path, method: str, path: str) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as off:
        answer = off.request(method, path, json=call_body(), headers=auth())
    problem_of(answer, 404)
    page = TestClient(create_app(Settings(data_dir=tmp_path))).get(RULE_PATH)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


# --- discovery and the call ----------------------------------------------------------------


def test_discovery_lists_the_service_to_a_trusted_ehr(client: TestClient) -> None:
    answer = client.get("/cds-services", headers=auth(f"{BASE}/cds-services"))
    assert answer.status_code == 200
    (service,) = answer.json()["services"]
    assert (service["id"], service["hook"]) == (SERVICE_ID, "patient-view")
    assert set(service["prefetch"]) == {"patient", "conditions", "medications", "observations"}


def test_discovery_needs_the_jwt_too(client: TestClient) -> None:
    problem_of(client.get("/cds-services"), 401)
    # a token for the service is not one for discovery: the audience is the endpoint called
    problem_of(client.get("/cds-services", headers=auth(AUD)), 401)


def test_an_untreated_patient_gets_one_card_recorded_in_the_audit_log_without_patient_data(
    client: TestClient, cds_data: Path
) -> None:
    body = call_body()
    before = len(cds_audit(cds_data))
    answer = post(client, body, tenant="north-hospital")
    assert answer.status_code == 200, answer.text
    (card,) = answer.json()["cards"]
    assert card["indicator"] == "warning" and len(card["summary"]) < 140
    assert card["source"]["url"] == BASE + RULE_DOC_PATH
    (link,) = card["links"]
    assert link["type"] == "absolute" and link["url"].startswith(f"{BASE}/clinician/followup?")

    entries = cds_audit(cds_data)[before:]
    assert len(entries) == 1
    (entry,) = entries
    assert entry.actor == f"cds-hooks:{ISS}"
    assert entry.case_id is None and entry.site_id is None and entry.user_id is None
    assert entry.detail == {
        "service": SERVICE_ID,
        "hookInstance": body["hookInstance"],
        "issuer": ISS,
        "tenant": "north-hospital",
        "card": card["uuid"],
        "indicator": "warning",
    }
    written = json.dumps([entry.actor, entry.entity, entry.detail])
    who = patient()
    for patient_data in (PID, "Rose", str(who.birthDate), "M80.08XA", "Practitioner/u1"):
        assert patient_data not in written


def test_the_card_is_audited_on_each_registry_database(
    tmp_path: Path, db_url: str, registry: Registry
) -> None:
    """SQLite and PostgreSQL (``db_url`` runs the test on each): the entry is written."""
    body = call_body()
    with cds_client(tmp_path, database_url=db_url) as c:
        assert len(post(c, body).json()["cards"]) == 1
    with registry.transaction() as session:
        query = sa.select(AuditEntry).where(AuditEntry.action == "cds-card")
        details = [e.detail for e in session.scalars(query)]
    assert [d["hookInstance"] for d in details] == [body["hookInstance"]]


@pytest.mark.parametrize(
    "concept",
    [
        None,  # RxNorm ingredient 46041 (alendronate)
        {"coding": [{"system": codes.RXNORM, "code": "77655"}]},  # zoledronic acid, code only
        # a product code held nowhere here, read by its display (Synthea writes such codes)
        {
            "coding": [
                {
                    "system": codes.RXNORM,
                    "code": "904420",
                    "display": "Alendronic acid 10 MG [Fosamax]",
                }
            ]
        },
        {"text": "Zoledronate 5 mg/100 ml IV once a year"},
        {"text": "zoledronic acid 4 mg"},
        {"text": "Reclast infusion"},
        {"text": "Alendronic acid 70 mg weekly"},
        {"text": "Prolia 60 mg every 6 months"},
    ],
)
def test_a_treated_patient_gets_no_card_and_nothing_is_audited(
    client: TestClient, cds_data: Path, concept: dict[str, Any] | None
) -> None:
    before = len(cds_audit(cds_data))
    answer = post(client, call_body(medications=[alendronate(concept)]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["cards"] == []
    assert len(cds_audit(cds_data)) == before


def test_a_drug_outside_the_year_does_not_count(client: TestClient) -> None:
    answer = post(client, call_body(medications=[alendronate(days_ago=500)]))
    assert len(answer.json()["cards"]) == 1


def test_null_medications_mean_none_on_record(client: TestClient) -> None:
    body = call_body()
    body["prefetch"]["medications"] = None  # CDS Hooks: null is "no data", not missing
    assert len(post(client, body).json()["cards"]) == 1


@pytest.mark.parametrize("left_out", ["patient", "conditions", "medications"])
def test_missing_prefetch_gives_no_card_and_says_so_without_any_call_out(
    client: TestClient, left_out: str
) -> None:
    answer = post(client, call_body(leave_out=(left_out,)))
    assert answer.status_code == 200
    body = answer.json()
    assert body["cards"] == []
    assert body["extension"]["spinefx-missing-prefetch"] == [left_out]
    assert left_out in body["extension"]["spinefx-note"]
    assert body["extension"]["spinefx-prefetch-fetch"]["status"] == "not-offered"


# --- the EHR's JWT --------------------------------------------------------------------------

OTHER_KEY = ec.generate_private_key(ec.SECP384R1())


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://rogue.example"}, "not on the allow-list"),
        ({"lifetime_s": -120, "issued_ago_s": 0}, "expired"),
        ({"aud": "https://elsewhere.example/cds-services/vertebral-fracture-care"}, "udience"),
        ({"aud": f"{BASE}/cds-services"}, "udience"),  # discovery's audience, not the service's
        ({"key": OTHER_KEY}, "signature does not verify"),
        ({"lifetime_s": 3600}, "5 minutes"),
    ],
)
def test_a_jwt_that_does_not_pass_is_401(
    client: TestClient, claims: dict[str, Any], why: str
) -> None:
    aud = claims.pop("aud", AUD)
    answer = client.post(SERVICE, json=call_body(), headers=auth(aud, **claims))
    body = problem_of(answer, 401)
    assert why in body["detail"]
    assert answer.headers["www-authenticate"] == 'Bearer realm="spinefx CDS Hooks"'


def test_a_replayed_jwt_is_401(client: TestClient) -> None:
    headers = auth()
    assert client.post(SERVICE, json=call_body(), headers=headers).status_code == 200
    again = client.post(SERVICE, json=call_body(), headers=headers)
    assert "replay" in problem_of(again, 401)["detail"]


@pytest.mark.parametrize(
    "header",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt"],
)
def test_no_jwt_is_401(client: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    problem_of(client.post(SERVICE, json=call_body(), headers=headers), 401)


def test_an_unsigned_or_shared_secret_jwt_is_401(client: TestClient) -> None:
    """CDS Hooks 2.0 forbids alg none and symmetric (HMAC) signatures."""
    import jwt

    claims = {"iss": ISS, "aud": AUD, "iat": 1, "exp": 2_000_000_000, "jti": "x"}
    for raw in (
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, "a shared secret that is long enough", algorithm="HS256"),
    ):
        answer = client.post(SERVICE, json=call_body(), headers={"Authorization": f"Bearer {raw}"})
        problem_of(answer, 401)


def test_the_audience_is_the_configured_public_url(cds_data: Path) -> None:
    public = "https://spinefx.hospital.example"
    with cds_client(cds_data, cds_hooks_base_url=public + "/") as c:
        problem_of(c.post(SERVICE, json=call_body(), headers=auth()), 401)  # testserver's
        answer = c.post(SERVICE, json=call_body(), headers=auth(public + SERVICE))
    assert answer.status_code == 200, answer.text
    (card,) = answer.json()["cards"]
    assert card["links"][0]["url"].startswith(f"{public}/clinician/followup?")
    assert card["source"]["url"] == public + RULE_DOC_PATH


def test_insecure_mode_takes_calls_without_a_jwt_and_says_so_at_start_up(
    cds_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="spinefx.web.cds"),
        cds_client(cds_data, cds_hooks_insecure_no_jwt=True) as c,
    ):
        assert any("INSECURE_NO_JWT" in r.getMessage() for r in caplog.records)
        answer = c.post(SERVICE, json=call_body())
    assert len(answer.json()["cards"]) == 1
    assert cds_audit(cds_data)[-1].detail["issuer"] == "insecure-no-jwt"


@pytest.mark.parametrize(
    ("content", "setting"),
    [
        (None, "SPINEFX_CDS_HOOKS_ISSUERS"),
        ("not json", "SPINEFX_CDS_HOOKS_ISSUERS"),
        ('[{"iss": "https://ehr.example"}]', "no public key"),
    ],
)
def test_switched_on_but_not_set_up_is_503_naming_the_setting(
    tmp_path: Path, content: str | None, setting: str, caplog: pytest.LogCaptureFixture
) -> None:
    issuers = None
    if content is not None:
        issuers = tmp_path / "issuers.json"
        issuers.write_text(content, encoding="utf-8")
    settings = Settings(data_dir=tmp_path, cds_hooks=True, cds_hooks_issuers=issuers)
    with caplog.at_level(logging.ERROR), TestClient(create_app(settings)) as c:
        answer = c.post(SERVICE, json=call_body(), headers=auth())
        assert c.get("/").status_code == 200  # the rest of spinefx serves on
    assert setting in problem_of(answer, 503)["detail"]
    assert any(setting in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("cds_hooks_base_url", "spinefx.hospital.example"),
        ("cds_hooks_origins", "https://ehr.example/path"),
        ("cds_hooks_fhir_servers", "ftp://fhir.example"),
    ],
)
def test_a_wrong_url_setting_is_503_naming_it(cds_data: Path, setting: str, value: str) -> None:
    with cds_client(cds_data, **{setting: value}) as c:
        answer = c.post(SERVICE, json=call_body(), headers=auth())
    assert f"SPINEFX_{setting.upper()}" in problem_of(answer, 503)["detail"]


def test_any_origin_when_the_setting_says_star(
    cds_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="spinefx.web.cds"),
        cds_client(cds_data, cds_hooks_origins="*") as c,
    ):
        preflight = c.options(
            SERVICE,
            headers={"Origin": "https://any.example", "Access-Control-Request-Method": "POST"},
        )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert any("any origin" in r.getMessage() for r in caplog.records)


def test_no_card_is_served_when_the_audit_log_cannot_be_written(tmp_path: Path) -> None:
    with cds_client(tmp_path) as c:  # no `spinefx registry init` here
        answer = post(c, call_body())
    assert "audit log" in problem_of(answer, 503)["detail"]


# --- bad calls --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"hook": "patient-view",', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"hook=patient-view", "application/x-www-form-urlencoded", 415),
    ],
)
def test_a_body_that_is_not_json_is_a_problem(
    client: TestClient, content: bytes, content_type: str, status: int
) -> None:
    headers = {**auth(), "content-type": content_type}
    problem_of(client.post(SERVICE, content=content, headers=headers), status)


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    inner = body
    for part in parents:
        inner = inner[part]
    if value is _DROP:
        del inner[last]
    else:
        inner[last] = value
    return body


_DROP = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("hook", "order-sign", "hook"),
        ("hookInstance", "not-a-uuid", "hookInstance"),
        ("context", _DROP, "context"),
        ("context.patientId", _DROP, "context.patientId"),
        ("prefetch.conditions", {"entry": []}, "prefetch.conditions"),
        ("prefetch.conditions", [1, 2], "prefetch.conditions"),
        (
            "prefetch.patient",
            {"resourceType": "Patient", "id": "someone-else"},
            "prefetch.patient.id",
        ),
        (
            "fhirAuthorization",
            {
                "access_token": "t",
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "s",
                "subject": "x",
            },
            "fhirServer",
        ),
    ],
)
def test_a_malformed_call_is_422_naming_the_field(
    client: TestClient, path: str, value: Any, field: str
) -> None:
    body = problem_of(post(client, _with(call_body(), path, value)), 422)
    assert field in [e["field"] for e in body["errors"]]


@pytest.mark.parametrize("body", [[1, 2, 3], "patient-view", 0, {}])
def test_a_body_that_is_no_call_object_is_422_never_500(client: TestClient, body: Any) -> None:
    problem_of(post(client, body), 422)


def test_a_long_medication_history_fits_but_a_body_over_4_mib_is_413(client: TestClient) -> None:
    """The prefetch carries a patient's record: far more than the app's 64 KiB elsewhere."""
    others = [
        alendronate({"text": f"metformin 500 mg, course {i}"}, days_ago=i).model_copy(
            update={"id": f"m{i}"}
        )
        for i in range(1500)
    ]
    body = call_body(medications=others)
    assert len(json.dumps(body)) > 300 * 1024
    assert len(post(client, body).json()["cards"]) == 1
    huge = {**call_body(), "padding": "x" * (4 * 1024 * 1024)}
    refused = client.post(SERVICE, content=json.dumps(huge), headers=auth())
    assert "4096 KiB" in problem_of(refused, 413)["detail"]


def test_an_unknown_service_is_404(client: TestClient) -> None:
    problem_of(client.post("/cds-services/no-such-service", json={}, headers=auth()), 404)


# --- CORS -----------------------------------------------------------------------------------


def test_a_preflight_from_the_allowed_origin_is_answered_without_a_jwt(client: TestClient) -> None:
    answer = client.options(
        SERVICE,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "access-control-allow-credentials" not in answer.headers
    assert "Origin" in answer.headers["vary"]


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("https://evil.example", "POST", "authorization"),
        (ORIGIN, "DELETE", ""),
        (ORIGIN, "POST", "x-custom"),
    ],
)
def test_a_preflight_outside_what_is_allowed_is_refused(
    client: TestClient, origin: str, method: str, headers: str
) -> None:
    answer = client.options(
        SERVICE,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )
    problem_of(answer, 403)
    assert "access-control-allow-origin" not in answer.headers


def test_answers_to_the_allowed_origin_carry_cors_even_a_401(client: TestClient) -> None:
    ok = client.post(SERVICE, json=call_body(), headers={**auth(), "Origin": ORIGIN})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    refused = client.post(SERVICE, json=call_body(), headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ORIGIN
    other = client.post(
        SERVICE, json=call_body(), headers={**auth(), "Origin": "https://x.example"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_cors_is_only_under_cds_services(client: TestClient) -> None:
    answer = client.get("/clinician", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in answer.headers


def test_an_options_that_is_no_preflight_lists_the_methods(client: TestClient) -> None:
    answer = client.options(SERVICE)
    assert answer.status_code == 204
    assert answer.headers["allow"] == "GET, POST, OPTIONS"


# --- the card's pages ---------------------------------------------------------------------------


def test_the_rule_page_is_where_the_card_points_and_cites_aace_2020(client: TestClient) -> None:
    assert RULE_PATH == RULE_DOC_PATH
    page = client.get(RULE_PATH)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "AACE/ACE 2020" in page.text and "Camacho PM" in page.text
    assert "M80.08-" in page.text and "S32.0-" in page.text
    assert "alendronic acid" in page.text


def test_the_cards_link_opens_the_follow_up_plan_filled_in(client: TestClient) -> None:
    (card,) = post(client, call_body([fracture(days_ago=40)])).json()["cards"]
    url = urlsplit(card["links"][0]["url"])
    page = client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    assert 'id="from-record"' in page.text
    assert re.search(r'name="sex" id="sex-female" value="female" checked', page.text)
    assert re.search(r'name="age" id="age" value="58"', page.text)
    fracture_day = fracture(days_ago=40).onsetDateTime.isoformat()  # type: ignore[union-attr]
    assert f'name="fracture_date" id="fracture_date" value="{fracture_day}"' in page.text
    assert re.search(r'id="on_osteoporosis_treatment-no" value="no" checked', page.text)
    # submitted as it is, the form makes the plan: the link's values are valid
    form = {
        "sex": "female",
        "age": "58",
        "fracture_date": fracture_day,
        "vertebral_fractures": "1",
        "on_osteoporosis_treatment": "no",
    }
    plan = client.post("/clinician/followup", data=form)
    assert plan.status_code == 200 and 'data-risk="very-high"' in plan.text
