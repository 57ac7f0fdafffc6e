"""A prefetch the EHR left out, read from its FHIR server: only from a server on the allow-list,
only with the call's access token, within the timeout, pages followed on the same server. A
small FHIR server runs on 127.0.0.1 in the test and records every request it gets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from tests.helpers.cds import (
    PID,
    SERVICE,
    alendronate,
    as_json,
    bundle,
    call_body,
    cds_client,
    fracture,
    patient,
    ready_registry,
    token,
)

from spinefx.web.cds import fetch

ACCESS_TOKEN = "ehr-access-token-1"


@dataclass
class StubFhir:
    """Answers by path and query (``Condition?patient=p-4711``); records what it was asked."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay_s: float = 0.0
    content_type: str = "application/fhir+json"
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # (path?query, auth)
    base: str = ""


@pytest.fixture
def stub() -> Iterator[StubFhir]:
    state = StubFhir()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            relative = unquote(self.path).removeprefix("/fhir/")
            state.seen.append((relative, self.headers.get("Authorization")))
            time.sleep(state.delay_s)
            found = state.answers.get(relative)
            body = json.dumps(found or {"resourceType": "OperationOutcome"}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", state.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def serve_record(stub: StubFhir, medications: list[Any] | None = None) -> None:
    stub.answers.update(
        {
            f"Patient/{PID}": as_json(patient()),
            f"Condition?patient={PID}": bundle(fracture()),
            f"MedicationRequest?patient={PID}": bundle(*(medications or [])),
        }
    )
    # the T-score search, whatever its codes: answered empty
    observations = fetch_query("observations")
    stub.answers[observations] = bundle()


def fetch_query(key: str) -> str:
    from spinefx.fhir.cds import PREFETCH

    return PREFETCH[key].replace("{{context.patientId}}", PID)


def offered(stub: StubFhir, **more: Any) -> dict[str, Any]:
    """A call that sends no prefetch but its FHIR server and an access token."""
    body = call_body(leave_out=("patient", "conditions", "medications"))
    body["fhirServer"] = stub.base
    body["fhirAuthorization"] = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Condition.read patient/MedicationRequest.read",
        "subject": "spinefx-cds",
    }
    body.update(more)
    return body


@pytest.fixture(scope="module")
def cds_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cds-fetch")
    ready_registry(folder).dispose()
    return folder


def call(data_dir: Path, body: dict[str, Any], servers: str) -> dict[str, Any]:
    with cds_client(data_dir, cds_hooks_fhir_servers=servers) as client:
        answer = client.post(SERVICE, json=body, headers={"Authorization": f"Bearer {token()}"})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_an_allowed_server_is_read_with_the_calls_token_and_the_card_follows(
    stub: StubFhir, cds_data: Path
) -> None:
    serve_record(stub)
    result = call(cds_data, offered(stub), servers=f"https://other.example/fhir, {stub.base}/")
    assert len(result["cards"]) == 1
    assert result["extension"]["spinefx-prefetch-fetch"] == {
        "status": "fetched",
        "detail": "read from the call's fhirServer",
        "keys": ["conditions", "medications", "observations", "patient"],
    }
    asked = sorted(path for path, _ in stub.seen)
    assert asked == sorted(
        [
            f"Patient/{PID}",
            f"Condition?patient={PID}",
            f"MedicationRequest?patient={PID}",
            fetch_query("observations"),
        ]
    )
    assert {auth for _, auth in stub.seen} == {f"Bearer {ACCESS_TOKEN}"}


def test_a_treated_patient_read_from_the_server_gets_no_card(
    stub: StubFhir, cds_data: Path
) -> None:
    serve_record(stub, medications=[alendronate()])
    assert call(cds_data, offered(stub), servers=stub.base)["cards"] == []


def test_only_the_keys_left_out_are_read(stub: StubFhir, cds_data: Path) -> None:
    serve_record(stub)
    body = offered(stub)
    body["prefetch"] = {"patient": as_json(patient()), "conditions": bundle(fracture())}
    result = call(cds_data, body, servers=stub.base)
    assert len(result["cards"]) == 1
    assert sorted(p for p, _ in stub.seen) == sorted(
        [f"MedicationRequest?patient={PID}", fetch_query("observations")]
    )


def test_a_server_off_the_allow_list_is_never_called(stub: StubFhir, cds_data: Path) -> None:
    serve_record(stub)
    for servers in ("", "https://ehr.hospital.example/fhir", stub.base + "/other"):
        result = call(cds_data, offered(stub), servers=servers)
        assert result["cards"] == []
        assert result["extension"]["spinefx-prefetch-fetch"]["status"] == "not-allowed"
        assert result["extension"]["spinefx-missing-prefetch"] == [
            "patient",
            "conditions",
            "medications",
        ]
    assert stub.seen == []


def test_a_server_without_an_access_token_is_never_called(stub: StubFhir, cds_data: Path) -> None:
    serve_record(stub)
    body = offered(stub)
    del body["fhirAuthorization"]
    result = call(cds_data, body, servers=stub.base)
    assert result["cards"] == []
    assert result["extension"]["spinefx-prefetch-fetch"]["status"] == "not-offered"
    assert stub.seen == []


def test_a_slow_server_is_given_up_on_and_no_card_is_guessed(
    stub: StubFhir, cds_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "FETCH_TIMEOUT_S", 0.3)
    serve_record(stub)
    stub.delay_s = 1.0
    started = time.monotonic()
    result = call(cds_data, offered(stub), servers=stub.base)
    assert time.monotonic() - started < 5
    assert result["cards"] == []
    fetched = result["extension"]["spinefx-prefetch-fetch"]
    assert fetched["status"] == "failed" and "0.3 s" in fetched["detail"]


def test_a_searchs_next_pages_are_followed_on_the_same_server(
    stub: StubFhir, cds_data: Path
) -> None:
    """The drug is on the second page: reading only the first would give a wrong card."""
    serve_record(stub)
    first = bundle()
    first["link"] = [{"relation": "next", "url": f"{stub.base}/MedicationRequest?page=2"}]
    stub.answers[f"MedicationRequest?patient={PID}"] = first
    stub.answers["MedicationRequest?page=2"] = bundle(alendronate())
    assert call(cds_data, offered(stub), servers=stub.base)["cards"] == []
    assert "MedicationRequest?page=2" in [p for p, _ in stub.seen]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("next-elsewhere", "another server"),
        ("not-json", "not FHIR JSON"),
        ("not-found", "HTTP 404"),
        ("wrong-patient", "not the patient in context"),
    ],
)
def test_an_answer_that_cannot_be_used_gives_no_card_and_says_why(
    stub: StubFhir, cds_data: Path, change: str, why: str
) -> None:
    serve_record(stub)
    if change == "next-elsewhere":
        page = bundle()
        page["link"] = [{"relation": "next", "url": "https://attacker.example/fhir/x"}]
        stub.answers[f"MedicationRequest?patient={PID}"] = page
    elif change == "not-json":
        stub.content_type = "text/html"
    elif change == "not-found":
        del stub.answers[f"Condition?patient={PID}"]
    else:
        stub.answers[f"Patient/{PID}"] = {**as_json(patient()), "id": "someone-else"}
    result = call(cds_data, offered(stub), servers=stub.base)
    assert result["cards"] == []
    fetched = result["extension"]["spinefx-prefetch-fetch"]
    assert fetched["status"] == "failed" and why in fetched["detail"]


def test_a_patient_id_that_is_no_fhir_id_is_not_put_in_a_url(
    stub: StubFhir, cds_data: Path
) -> None:
    serve_record(stub)
    body = offered(stub)
    body["context"]["patientId"] = "../Patient?_count=1000"
    result = call(cds_data, body, servers=stub.base)
    assert result["cards"] == []
    assert result["extension"]["spinefx-prefetch-fetch"]["status"] == "failed"
    assert stub.seen == []
