"""The /api/v1 JSON API: each rule and the search answer like the CLI's --json, and every kind
of bad request is an RFC 9457 problem naming what is wrong, never a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical import candidacy, followup, morphometry, screening
from spinefx.clinical.pathway import (
    REFERENCE_CANDIDACY,
    REFERENCE_FOLLOWUP,
    REFERENCE_HEIGHTS,
    REFERENCE_SCREENING,
)
from spinefx.web import Settings, create_app
from spinefx.web.settings import MAX_BODY_BYTES

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
        for error in body["errors"]:
            assert {"field", "value", "allowed"} <= error.keys()
    return body


# --- Success: the same JSON as the CLI's --json --------------------------------------------


def test_screening_of_the_reference_patient_is_see_a_doctor_today(client: TestClient) -> None:
    response = client.post("/api/v1/screening", json=REFERENCE_SCREENING)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["outcome"], body["action"]) == ("see-doctor", "See a doctor today.")
    assert body["unanswered_red_flags"] == []
    expected = screening.screen(screening.ScreeningInput.model_validate(REFERENCE_SCREENING))
    assert body == expected.model_dump(mode="json")


def test_grading_finds_l2_grade_2_between_normal_neighbours(client: TestClient) -> None:
    heights = {
        "vertebrae": [
            {"level": "L1", "ha": 28, "hm": 28, "hp": 28},
            {"level": "L2", "ha": 18, "hm": 21, "hp": 27},
            {"level": "L3", "ha": 28, "hm": 28, "hp": 28},
        ]
    }
    body = client.post("/api/v1/grading", json=heights).json()
    grades = {v["level"]: v["grade"] for v in body["vertebrae"]}
    assert grades == {"L1": 0, "L2": 2, "L3": 0}
    assert body["sdi"] == 2
    expected = morphometry.grade(morphometry.GradingInput.model_validate(heights))
    assert body == expected.model_dump(mode="json")


def test_grading_of_the_reference_heights_matches_the_rule(client: TestClient) -> None:
    body = client.post("/api/v1/grading", json=REFERENCE_HEIGHTS).json()
    expected = morphometry.grade(morphometry.GradingInput.model_validate(REFERENCE_HEIGHTS))
    assert body == expected.model_dump(mode="json")


def test_candidacy_of_the_reference_case_matches_the_rule(client: TestClient) -> None:
    case = {**REFERENCE_CANDIDACY, "height_loss_pct": 33.3}
    response = client.post("/api/v1/candidacy", json=case)
    assert response.status_code == 200
    expected = candidacy.assess(candidacy.CandidacyInput.model_validate(case))
    assert response.json() == expected.model_dump(mode="json")
    assert response.json()["outcome"] == "meets-criteria"


def test_followup_of_the_reference_patient_matches_the_rule(client: TestClient) -> None:
    response = client.post("/api/v1/followup", json=REFERENCE_FOLLOWUP)
    assert response.status_code == 200
    expected = followup.plan(followup.FollowupInput.model_validate(REFERENCE_FOLLOWUP))
    assert response.json() == expected.model_dump(mode="json")
    assert response.json()["fls_checklist"]


def test_a_json_content_type_with_charset_or_a_json_suffix_is_accepted(client: TestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.api+json"):
        response = client.post(
            "/api/v1/screening",
            content=json.dumps(REFERENCE_SCREENING),
            headers={"content-type": content_type},
        )
        assert response.status_code == 200, content_type


def test_specialists_near_02139_come_nearest_first(client: TestClient) -> None:
    response = client.get("/api/v1/specialists", params={"zip": "02139", "radius": 25})
    assert response.status_code == 200
    body = response.json()
    assert body["query"]["zip"] == "02139"
    assert body["total"] >= len(body["results"]) > 0
    distances = [hit["distance_miles"] for hit in body["results"]]
    assert distances == sorted(distances)
    assert all(d <= 25 for d in distances)
    assert {"npi", "name", "phone", "bkp_services", "vertebroplasty_services"} <= set(
        body["results"][0]
    )


def test_specialists_take_repeated_specialties_and_pages(client: TestClient) -> None:
    params = [
        ("zip", "02139"),
        ("radius", "100"),
        ("specialty", "neurosurgery"),
        ("specialty", "pain-medicine"),
        ("limit", "5"),
        ("offset", "5"),
    ]
    body = client.get("/api/v1/specialists", params=params).json()
    assert body["query"]["specialties"] == ["neurosurgery", "pain-medicine"]
    assert body["query"]["limit"] == 5
    assert body["query"]["offset"] == 5
    assert len(body["results"]) <= 5
    for hit in body["results"]:
        assert {"neurosurgery", "pain-medicine"} & set(hit["specialties"])


def test_specialists_take_a_name(client: TestClient) -> None:
    everyone = client.get("/api/v1/specialists", params={"zip": "02139", "radius": 100}).json()
    named = client.get(
        "/api/v1/specialists", params={"zip": "02139", "radius": 100, "name": "  SPINE  "}
    ).json()
    assert named["query"]["name"] == "SPINE"
    assert 0 < named["total"] < everyone["total"]
    for hit in named["results"]:
        assert "spine" in " ".join([hit["name"], *hit["other_names"]]).lower()
    too_long = client.get("/api/v1/specialists", params={"zip": "02139", "name": "x" * 101})
    assert too_long.status_code == 422


# --- Bad input: 422 naming the field --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/screening", {"age": "fifty"}, "age"),  # wrong type
        ("/api/v1/screening", {"pain_nrs": 11}, "pain_nrs"),  # out of range
        ("/api/v1/screening", {"age": 58, "mood": "low"}, "mood"),  # unknown field
        ("/api/v1/screening", {"red_flags": {"fever": "yes"}}, "red_flags.fever"),  # strict bool
        (
            "/api/v1/grading",
            {"vertebrae": [{"level": "L2", "ha": 18, "hm": 21}]},
            "vertebrae[0].hp",
        ),
        (
            "/api/v1/grading",
            {"vertebrae": [{"level": "X9", "ha": 1, "hm": 1, "hp": 1}]},
            "vertebrae[0].level",
        ),
        ("/api/v1/candidacy", {"rdq": 25}, "rdq"),
        ("/api/v1/followup", {"sex": "female", "age": 58}, "fracture_date"),  # missing
    ],
)
def test_invalid_input_is_422_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(client.post(path, json=body), 422, field)
    assert problem["type"] == "urn:spinefx:problem:invalid-input"
    assert field in problem["detail"]


def test_the_message_matches_the_cli_wording(client: TestClient) -> None:
    problem = client.post("/api/v1/screening", json={"age": 130}).json()
    assert problem["errors"] == [
        {"field": "age", "value": 130, "allowed": "an integer from 18 to 120, or null"}
    ]


def test_every_bad_field_is_named_at_once(client: TestClient) -> None:
    problem = assert_problem(
        client.post("/api/v1/screening", json={"age": 5, "pain_nrs": -1, "onset": "slow"}), 422
    )
    assert {e["field"] for e in problem["errors"]} == {"age", "pain_nrs", "onset"}


def test_a_missing_field_is_reported_as_missing(client: TestClient) -> None:
    problem = client.post("/api/v1/followup", json={"sex": "female", "age": 58}).json()
    missing = next(e for e in problem["errors"] if e["field"] == "fracture_date")
    assert missing["missing"] is True
    assert missing["value"] is None


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_a_json_value_that_is_not_an_object_is_422(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/screening", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "(input)")


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"{'age': 58}",
        b"",
        b"\xff\xfe\x00",
        b'{"age": NaN}',
        b'{"pain_days": Infinity}',
        b'{"pain_days": 1e400}',
        b"[" * 5000 + b"]" * 5000,
        b'{"age": ' + b"9" * 5000 + b"}",
    ],
)
def test_malformed_json_is_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/screening", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_declared_json_is_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/v1/screening", content=b'{"age": 58}', headers=headers)
    assert_problem(response, 415)


def test_a_body_over_64_kib_is_413(client: TestClient) -> None:
    body = json.dumps({"age": 58, "pad": "x" * MAX_BODY_BYTES}).encode()
    response = client.post(
        "/api/v1/screening", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


def test_a_body_of_exactly_64_kib_is_read(client: TestClient) -> None:
    text = json.dumps({"age": 58})
    body = (text + " " * (MAX_BODY_BYTES - len(text))).encode()
    assert len(body) == MAX_BODY_BYTES
    response = client.post(
        "/api/v1/screening", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("raw", ["²", "+-5", "٣"])
def test_a_number_that_int_cannot_read_is_a_422_naming_it(client: TestClient, raw: str) -> None:
    # '²'.isdigit() is true and int('²') fails: it must be refused, not crash the search
    assert_problem(
        client.get("/api/v1/specialists", params={"zip": "02139", "limit": raw}), 422, "limit"
    )


def test_an_unknown_zip_is_422_with_suggestions(client: TestClient) -> None:
    problem = assert_problem(client.get("/api/v1/specialists?zip=00000"), 422, "zip")
    assert problem["type"] == "urn:spinefx:problem:unknown-zip"
    assert problem["suggestions"]
    assert all(len(s) == 5 and s.isdigit() for s in problem["suggestions"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("zip=02139&radius=0", "radius"),
        ("zip=02139&radius=501", "radius"),
        ("zip=02139&radius=far", "radius"),
        ("zip=02139&limit=0", "limit"),
        ("zip=02139&limit=5000", "limit"),
        ("zip=02139&offset=-1", "offset"),
        ("zip=02139&specialty=witchcraft", "specialty[0]"),
        ("zip=021", "zip"),
        ("zip=abcde", "zip"),
        ("radius=10", "zip"),
    ],
)
def test_bad_search_parameters_are_422_naming_the_parameter(
    client: TestClient, query: str, field: str
) -> None:
    assert_problem(client.get(f"/api/v1/specialists?{query}"), 422, field)


def test_no_directory_loaded_is_503(empty_client: TestClient) -> None:
    problem = assert_problem(empty_client.get("/api/v1/specialists?zip=02139"), 503)
    assert problem["type"] == "urn:spinefx:problem:directory-not-loaded"
    assert "spinefx directory demo" in problem["detail"]
    assert "/" not in problem["detail"].replace("https://", "")  # no server path


@pytest.mark.parametrize("damage", ["not a database", "folder"])
def test_a_damaged_directory_is_503_naming_no_path_and_no_database_error(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "data" / "directory.duckdb"
    db.parent.mkdir()
    if damage == "folder":  # the data folder is unreadable as a folder: the path is a file
        (tmp_path / "file").write_text("x", encoding="utf-8")
        settings = Settings(data_dir=tmp_path / "file")
    else:
        db.write_bytes(b"not a database at all" * 100)
        settings = Settings(data_dir=db.parent)
    with TestClient(create_app(settings)) as client:
        problem = assert_problem(client.get("/api/v1/specialists?zip=02139"), 503)
        page = client.get("/find?zip=02139")
    assert problem["type"] == "urn:spinefx:problem:directory-damaged"
    for text in (problem["detail"], page.text):
        assert str(tmp_path) not in text
        assert "duckdb" not in text.lower()
        assert "Error" not in text
    assert page.status_code == 503
    assert 'id="damaged-directory"' in page.text
    assert 'id="no-directory"' not in page.text
    assert str(tmp_path) in caplog.text  # the operator finds the cause in the log


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("GET", "/api/v1/screening", "POST"), ("POST", "/api/v1/specialists", "GET")],
)
def test_the_wrong_method_is_405_problem(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allowed


def test_an_unknown_api_path_is_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_declares_each_request_body_and_the_search_parameters(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, model in [
        ("screening", "ScreeningInput"),
        ("grading", "GradingInput"),
        ("candidacy", "CandidacyInput"),
        ("followup", "FollowupInput"),
    ]:
        operation = spec["paths"][f"/api/v1/{path}"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{model}"
        assert model in schemas
        assert "422" in operation["responses"]
    refs = json.dumps(spec)
    for name in set(__import__("re").findall(r"#/components/schemas/(\w+)", refs)):
        assert name in schemas, f"dangling $ref to {name}"
    params = {p["name"] for p in spec["paths"]["/api/v1/specialists"]["get"]["parameters"]}
    assert params >= {"zip", "radius", "specialty", "limit", "offset"}
    assert not any(path.startswith(("/check", "/find", "/learn")) for path in spec["paths"])


# --- The clinical review's new fields and outcomes (issue 8) ------------------------------------


def test_the_api_carries_the_new_outcomes_and_fields(client: TestClient) -> None:
    aching = {**REFERENCE_SCREENING, "age": 80, "osteoporosis": True, "pain_quality": "aching"}
    body = client.post("/api/v1/screening", json=aching).json()
    assert body["outcome"] == "see-doctor"
    assert {"id": "concern", "status": "met"}.items() <= next(
        c for c in body["criteria"] if c["id"] == "concern"
    ).items()
    lone = {"vertebrae": [{"level": "L2", "ha": 18, "hm": 18, "hp": 18}]}
    vertebra = client.post("/api/v1/grading", json=lone).json()["vertebrae"][0]
    assert (vertebra["crush_assessed"], vertebra["losses"]["crush"]) == (False, None)
    assert vertebra["grade"] is None  # issue 20: not graded, never 0
    malignant = {"levels": ["T8"], "imaging_confirmed": True, "conservative_care_failed": True}
    case = {
        **malignant,
        "malignant": True,
        "absolute_contraindications": [],
        "pain_nrs": 6,
        "hospitalized": False,
    }
    result = client.post("/api/v1/candidacy", json=case).json()
    assert result["outcome"] == "meets-criteria"
    assert "not-applicable" in {c["status"] for c in result["criteria"]}
    mild = client.post("/api/v1/candidacy", json={**case, "pain_nrs": 2}).json()
    assert mild["outcome"] == "does-not-meet"  # issue 20: intractable pain is needed
    plan = client.post("/api/v1/followup", json=REFERENCE_FOLLOWUP).json()
    assert (plan["as_of"], plan["risk"]) == (REFERENCE_FOLLOWUP["as_of"], "very-high")
    assert plan["medication"]["guideline"].startswith("AACE/ACE 2020")


def test_a_fracture_after_as_of_is_a_422_naming_fracture_date(client: TestClient) -> None:
    late = {**REFERENCE_FOLLOWUP, "as_of": "2026-10-01"}
    assert_problem(client.post("/api/v1/followup", json=late), 422, "fracture_date")
    man = {**REFERENCE_FOLLOWUP, "sex": "male", "menopausal": True}
    assert_problem(client.post("/api/v1/followup", json=man), 422, "menopausal")


def test_openapi_names_the_new_outcome_status_and_inputs(client: TestClient) -> None:
    text = json.dumps(client.get("/openapi.json").json())
    for word in ("see-doctor", "not-applicable", "crush_assessed", "recent_infection", "aortic"):
        assert word in text
    for field in ("as_of", "t_score", "frax_major_pct", "frax_hip_pct", "menopausal"):
        assert f'"{field}"' in text


# --- The ZIP code: the documented pattern is what the server reads -------------------------


def _zip_schema(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/specialists"]["get"]
    return next(p for p in operation["parameters"] if p["name"] == "zip")["schema"]


@pytest.mark.parametrize(
    "typed", ["02139", "02139-4307", "02139 4307", "021394307", "2139", " 2139 ", "02139\n"]
)
def test_each_zip_the_server_reads_is_one_the_document_allows(client, typed):
    import re

    assert re.search(_zip_schema(client)["pattern"], typed)
    response = client.get("/api/v1/specialists", params={"zip": typed, "radius": 5})
    assert response.status_code == 200, response.text
    assert response.json()["query"]["zip"] == "02139"


@pytest.mark.parametrize(
    "typed", ["21", "0213-4307", "02139-430", "0213943071", "O2139", "\x1c02139"]
)
def test_a_zip_the_document_forbids_is_refused_naming_zip(client, typed):
    import re

    assert not re.search(_zip_schema(client)["pattern"], typed)
    assert_problem(client.get("/api/v1/specialists", params={"zip": typed}), 422, "zip")


def test_specialists_carry_other_names_and_the_secondary_location_flag(
    client: TestClient,
) -> None:
    body = client.get(
        "/api/v1/specialists", params={"zip": "02139", "radius": 25, "limit": 200}
    ).json()
    hits = body["results"]
    assert any(h["secondary_location"] for h in hits)
    assert any(not h["secondary_location"] for h in hits)
    named = [h for h in hits if h["other_names"]]
    assert named and {h["entity_type"] for h in named} == {"organization"}
    for hit in named:
        assert hit["name"] not in hit["other_names"]
        assert hit["other_names"] == sorted(hit["other_names"])


def test_the_openapi_document_describes_other_names_and_secondary_location(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ProviderHit"]
    props = schema["properties"]
    assert props["other_names"]["type"] == "array"
    assert props["other_names"]["items"] == {"type": "string"}
    assert "doing business as" in props["other_names"]["description"]
    assert props["secondary_location"]["type"] == "boolean"
    assert "secondary practice locations" in props["secondary_location"]["description"]


def test_grading_takes_entered_percentages_and_says_which_they_are(client: TestClient) -> None:
    data = {
        "vertebrae": [{"level": "L1", "ha": 28, "hm": 28, "hp": 28}],
        "entered": [{"level": "L2", "height_loss_pct": 25}],
    }
    body = client.post("/api/v1/grading", json=data).json()
    assert body["entered_levels"] == ["L2"]
    l2 = body["vertebrae"][1]
    assert (l2["level"], l2["grade"], l2["graded_from"], l2["losses"]) == (
        "L2",
        2,
        "entered-pct",
        None,
    )
    assert body["vertebrae"][0]["graded_from"] == "heights"


def test_an_entered_percentage_over_100_is_a_422_naming_it(client: TestClient) -> None:
    data = {"entered": [{"level": "L2", "height_loss_pct": 120}]}
    problem = assert_problem(
        client.post("/api/v1/grading", json=data), 422, "entered[0].height_loss_pct"
    )
    assert problem["errors"][0]["allowed"] == "a number from 0 to 100"
