"""The CDS Hooks service's rule: which records get the card, what the card says and links to."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource

from spinefx.clinical.followup import FollowupInput
from spinefx.errors import InputError
from spinefx.fhir import codes
from spinefx.fhir.cds import (
    FOLLOWUP_PATH,
    PREFETCH,
    SERVICE_ID,
    CdsResponse,
    cards_for,
    discovery,
    one_year_before,
)

TODAY = date(2027, 3, 15)
APP = "https://spinefx.hospital.example"
PID = "p1"


def as_json(resource: Resource) -> dict[str, Any]:
    return resource.model_dump(mode="json", exclude_none=True)


def bundle(*resources: Resource) -> dict[str, Any]:
    return as_json(Bundle(type="searchset", entry=[{"resource": as_json(r)} for r in resources]))


def patient(**fields: Any) -> Patient:
    return Patient(**{"id": PID, "gender": "female", "birthDate": "1968-05-01", **fields})


def fracture(
    code: str = "M80.08XA",
    system: str = codes.ICD10CM,
    onset: date | None = TODAY - timedelta(days=40),
    **fields: Any,
) -> Condition:
    return Condition(
        **{
            "id": f"c-{code}",
            "subject": {"reference": f"Patient/{PID}"},
            "code": {"coding": [{"system": system, "code": code}]},
            "onsetDateTime": onset,
            "bodySite": [{"coding": [{"system": codes.SNOMED, "code": "14293000"}]}],
            **fields,
        }
    )


def medication(
    concept: dict[str, Any] | None = None,
    authored: date = TODAY - timedelta(days=30),
    status: str = "completed",
    intent: str = "order",
    **fields: Any,
) -> MedicationRequest:
    if concept is not None:
        fields["medicationCodeableConcept"] = concept
    return MedicationRequest(
        **{
            "id": "m1",
            "status": status,
            "intent": intent,
            "subject": {"reference": f"Patient/{PID}"},
            "authoredOn": authored,
            **fields,
        }
    )


ALENDRONATE = {"coding": [{"system": codes.RXNORM, "code": "46041", "display": "alendronate"}]}


def request(
    conditions: list[Resource] | None = None,
    medications: list[Resource] | None = None,
    observations: list[Resource] | None = None,
    who: Patient | None = None,
    **prefetch: Any,
) -> dict[str, Any]:
    filled: dict[str, Any] = {
        "patient": as_json(who or patient()),
        "conditions": bundle(*(conditions if conditions is not None else [fracture()])),
        "medications": bundle(*(medications or [])),
    }
    if observations is not None:
        filled["observations"] = bundle(*observations)
    filled.update(prefetch)
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.UUID(int=7)),
        "context": {"userId": "Practitioner/u1", "patientId": PID},
        "prefetch": filled,
    }


def answer(body: dict[str, Any]) -> CdsResponse:
    return cards_for(body, today=TODAY, app_url=APP)


def test_discovery_lists_the_patient_view_service_and_its_prefetch() -> None:
    (service,) = discovery()["services"]
    assert (service["id"], service["hook"]) == (SERVICE_ID, "patient-view")
    assert set(service["prefetch"]) == {"patient", "conditions", "medications", "observations"}
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert "{{context.patientId}}" in PREFETCH["observations"]


def test_untreated_recent_vertebral_fracture_gets_one_warning_card() -> None:
    response = answer(request())
    (card,) = response.cards
    assert card.indicator == "warning"
    assert len(card.summary) < 140
    assert "very high" in card.summary
    assert "AACE/ACE 2020" in card.detail and "past 12 months" in card.detail
    assert card.source.label and card.source.url == f"{APP}/cds-services/{SERVICE_ID}/rule"
    (link,) = card.links
    assert link.type == "absolute" and link.url.startswith(f"{APP}{FOLLOWUP_PATH}?")


def test_the_link_fills_the_follow_up_plan_from_the_record() -> None:
    tscore = Observation(
        status="final",
        subject={"reference": f"Patient/{PID}"},
        code={"coding": [{"system": codes.LOINC, "code": "38267-1"}]},
        valueQuantity={"value": -2.9},
    )
    (card,) = answer(request(observations=[tscore])).cards
    query = dict(parse_qsl(urlsplit(card.links[0].url).query))
    assert query == {
        "sex": "female",
        "age": "58",
        "fracture_date": (TODAY - timedelta(days=40)).isoformat(),
        "vertebral_fractures": "1",
        "on_osteoporosis_treatment": "false",
        "t_score": "-2.9",
    }
    # The fields are the follow-up plan's own: they make a valid plan input.
    FollowupInput.model_validate(
        {
            **query,
            "age": int(query["age"]),
            "vertebral_fractures": int(query["vertebral_fractures"]),
            "on_osteoporosis_treatment": False,
            "t_score": float(query["t_score"]),
            "as_of": TODAY,
        }
    )


@pytest.mark.parametrize(
    ("code", "system", "card"),
    [
        ("M80.08XA", codes.ICD10CM, True),
        ("M80.88XS", codes.ICD10CM, True),
        ("M48.56XA", codes.ICD10CM, True),
        ("S22.000A", codes.ICD10CM, True),
        ("S32.009A", codes.ICD10CM, True),
        ("M84.58XA", codes.ICD10CM, True),
        ("M8008XA", codes.ICD10CM, True),  # written without the dot
        ("311890007", codes.SNOMED, True),
        ("240198002", codes.SNOMED, True),
        ("M80.051A", codes.ICD10CM, False),  # femur: not vertebral
        ("S72.001A", codes.ICD10CM, False),
        ("E11.9", codes.ICD10CM, False),
        ("M80.08XA", "http://hl7.org/fhir/sid/icd-10", False),  # another system
    ],
)
def test_which_conditions_are_vertebral_fractures(code: str, system: str, card: bool) -> None:
    assert bool(answer(request([fracture(code, system)])).cards) is card


def test_a_refuted_fracture_gets_no_card() -> None:
    refuted = fracture(
        verificationStatus={"coding": [{"system": codes.CONDITION_VER_STATUS, "code": "refuted"}]}
    )
    assert answer(request([refuted])).cards == []


def test_another_patients_condition_is_not_read() -> None:
    other = fracture(subject={"reference": "Patient/someone-else"})
    assert answer(request([other])).cards == []


@pytest.mark.parametrize(
    ("days_ago", "card"),
    [(364, False), (365, False), (366, True), (800, True)],  # one_year_before(2027-03-15)
)
def test_a_drug_counts_for_12_months(days_ago: int, card: bool) -> None:
    given = medication(ALENDRONATE, authored=TODAY - timedelta(days=days_ago))
    assert one_year_before(TODAY) == TODAY - timedelta(days=365)
    assert bool(answer(request(medications=[given])).cards) is card


@pytest.mark.parametrize(
    ("days_ago", "very_high"),
    [(0, True), (365, True), (366, False)],
)
def test_a_fracture_within_12_months_is_very_high_risk(days_ago: int, very_high: bool) -> None:
    (card,) = answer(request([fracture(onset=TODAY - timedelta(days=days_ago))])).cards
    assert ("very high risk" in card.summary) is very_high
    assert len(card.summary) < 140


def test_an_undated_fracture_still_gets_the_card_with_the_date_unknown() -> None:
    response = answer(request([fracture(onset=None)]))
    (card,) = response.cards
    assert "fracture_date" not in card.links[0].url
    criteria = {c["id"]: c["status"] for c in response.extension["spinefx-criteria"]}  # type: ignore[index]
    assert criteria["fracture-in-past-12-months"] == "unknown"


@pytest.mark.parametrize(
    "concept",
    [
        ALENDRONATE,
        {"coding": [{"system": codes.RXNORM, "code": "77655"}]},  # zoledronic acid
        # a product code (not an ingredient code held here), read by its display
        {
            "coding": [
                {
                    "system": codes.RXNORM,
                    "code": "904420",
                    "display": "Alendronic acid 10 MG [Fosamax]",
                }
            ]
        },
        {"text": "Zoledronate 5 mg/100 ml infusion"},
        {"text": "Denosumab-bbdz 60 mg injection"},
        {"text": "PROLIA 60 MG/ML"},
        {"text": "teriparatide pen"},
        {"text": "Risedronic acid 35 mg"},
        {"text": "ibandronate 150 mg"},
        {"text": "abaloparatide"},
        {"text": "romosozumab-aqqg"},
        {"text": "raloxifene 60 mg"},
    ],
)
def test_a_treated_patient_gets_no_card(concept: dict[str, Any]) -> None:
    assert answer(request(medications=[medication(concept)])).cards == []


def test_a_current_prescription_counts_whenever_it_was_written() -> None:
    old_active = medication(ALENDRONATE, authored=TODAY - timedelta(days=1000), status="active")
    old_done = medication(ALENDRONATE, authored=TODAY - timedelta(days=1000))
    assert answer(request(medications=[old_active])).cards == []
    assert len(answer(request(medications=[old_done])).cards) == 1


@pytest.mark.parametrize(
    "given",
    [
        medication(ALENDRONATE, intent="proposal"),
        medication(ALENDRONATE, status="cancelled"),
        medication(ALENDRONATE, status="entered-in-error"),
        medication({"text": "Vitamin D3 1000 UNT Oral Tablet"}),
        medication(
            {
                "coding": [
                    {
                        "system": codes.RXNORM,
                        "code": "318076",
                        "display": "Calcium Carbonate 500 MG",
                    }
                ]
            }
        ),
    ],
)
def test_what_does_not_count_as_treatment(given: MedicationRequest) -> None:
    assert len(answer(request(medications=[given])).cards) == 1


def test_a_drug_named_by_a_medication_resource_counts() -> None:
    product = Medication(id="med1", code={"text": "Alendronate sodium 70 mg tablet"})
    referenced = medication(medicationReference={"reference": "Medication/med1"})
    assert answer(request(medications=[referenced, product])).cards == []
    contained = medication(
        medicationReference={"reference": "#m"},
        contained=[{"resourceType": "Medication", "id": "m", "code": ALENDRONATE}],
    )
    assert answer(request(medications=[contained])).cards == []


def test_a_medication_statement_counts_too() -> None:
    statement = MedicationStatement(
        status="active",
        subject={"reference": f"Patient/{PID}"},
        medicationCodeableConcept={"text": "Fosamax"},
    )
    assert answer(request(medications=[statement])).cards == []


def test_no_fracture_no_card() -> None:
    assert answer(request([])).cards == []


@pytest.mark.parametrize("missing", ["patient", "conditions", "medications"])
def test_missing_prefetch_gives_no_card_and_says_so(missing: str) -> None:
    body = request()
    del body["prefetch"][missing]
    response = answer(body)
    assert response.cards == []
    assert response.extension is not None
    assert response.extension["spinefx-missing-prefetch"] == [missing]
    assert missing in response.extension["spinefx-note"]


def test_missing_observations_are_not_needed() -> None:
    assert len(answer(request()).cards) == 1


def test_a_null_prefetch_counts_as_missing() -> None:
    body = request(medications=[])
    body["prefetch"]["medications"] = None
    assert answer(body).extension["spinefx-missing-prefetch"] == ["medications"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hook": "order-select"}, "hook"),
        ({"hookInstance": "not-a-uuid"}, "hookInstance"),
        ({"context": {"userId": "u"}}, "context.patientId"),
        (
            {
                "fhirAuthorization": {
                    "access_token": "t",
                    "token_type": "Bearer",
                    "expires_in": 1,
                    "scope": "s",
                    "subject": "x",
                }
            },
            "fhirServer",
        ),
    ],
)
def test_a_malformed_request_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        answer({**request(), **change})
    assert caught.value.field == field


def test_a_prefetched_patient_other_than_the_context_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        answer(request(who=patient(id="someone-else")))
    assert caught.value.field == "prefetch.patient.id"


def test_a_prefetch_that_is_not_a_resource_is_refused() -> None:
    body = request()
    body["prefetch"]["conditions"] = {"entry": []}
    with pytest.raises(InputError) as caught:
        answer(body)
    assert caught.value.field == "prefetch.conditions"


def test_the_card_is_the_same_for_the_same_call() -> None:
    assert answer(request()) == answer(request())


def test_the_response_lists_each_criterion_without_patient_data() -> None:
    response = answer(request())
    body = response.json_body()
    assert [c["id"] for c in body["extension"]["spinefx-criteria"]] == [
        "vertebral-fracture-on-record",
        "no-osteoporosis-drug-in-12-months",
        "fracture-in-past-12-months",
    ]
    assert PID not in str(body["extension"])
