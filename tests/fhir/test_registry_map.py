"""A registry case as FHIR resources and back: codes, references, validation, errors, round trip."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers.fhir import references_in

from spinefx.clinical.spine import Level
from spinefx.errors import InputError
from spinefx.fhir import codes
from spinefx.fhir.bulk import (
    Located,
    Origin,
    ndjson_line,
    read_bundle,
    read_ndjson,
    read_path,
    write_ndjson,
)
from spinefx.fhir.registry_import import cases_from_resources
from spinefx.fhir.registry_map import EXPORT_TYPES, export_resources, patient_resource_id
from spinefx.registry.schema import CaseIn, npi_is_valid, parse
from spinefx.registry.seed import reference_case
from spinefx.registry.vocab import (
    Anaesthesia,
    Approach,
    CaseStatus,
    Complication,
    EventStatus,
    EventType,
    FoundBy,
    Instrument,
    ProcedureKind,
    Sex,
    Timepoint,
)


def exported(*cases: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The export as JSON, per type, as the NDJSON files hold it."""
    return {
        kind: [json.loads(ndjson_line(r)) for r in resources]
        for kind, resources in export_resources(cases).items()
    }


def located(by_type: dict[str, list[dict[str, Any]]]) -> list[Located]:
    return [
        Located(resource, Origin(f"{kind}.ndjson", n))
        for kind, resources in by_type.items()
        for n, resource in enumerate(resources, start=1)
    ]


def round_trip(*cases: dict[str, Any]) -> list[CaseIn]:
    return [c.case for c in cases_from_resources(located(exported(*cases))).cases]


def without_ids(case: CaseIn) -> dict[str, Any]:
    data = case.model_dump(mode="json")
    for rows in ("fractures", "events", "procedures", "outcomes"):
        for row in data[rows]:
            row.pop("id", None)
    return data


DAWN = reference_case()


def test_reference_patient_round_trips() -> None:
    assert round_trip(DAWN) == [parse(CaseIn, DAWN)]


def test_the_index_fracture_and_the_date_of_death_travel_in_fhir_and_back() -> None:
    prior = {"date": "2012-04-02", "levels": [], "site": "hip", "found_by": "clinical"}
    dawn = {**DAWN, "fractures": [*DAWN["fractures"], prior]}
    earlier = {**DAWN["fractures"][0], "date": "2025-10-06"}
    died = {**dawn, "mrn": "X-3", "status": "deceased", "death_date": "2026-06-01"}
    died.update(fractures=[earlier, prior], events=[], procedures=[], outcomes=[])
    back = round_trip(dawn, died)
    assert back == [parse(CaseIn, dawn), parse(CaseIn, died)]
    assert [[f.index for f in c.fractures] for c in back] == [[True, None]] * 2
    assert back[1].death_date == date(2026, 6, 1)
    (patient,) = [p for p in exported(died)["Patient"]]
    assert patient["deceasedDateTime"] == "2026-06-01" and "deceasedBoolean" not in patient
    tasks = exported(dawn)["Task"]  # the FLS events point at the index fracture, not the hip
    focus = {t["focus"]["reference"] for t in tasks if t["focus"]["reference"].startswith("Cond")}
    assert focus and {f.rsplit("-", 1)[-1] for f in focus} == {"f1"}


def test_every_resource_written_is_valid_r4_and_typed_as_its_file() -> None:
    for kind, resources in exported(DAWN).items():
        for resource in resources:
            assert resource["resourceType"] == kind
            get_fhir_model_class(kind).model_validate(resource)


def test_every_reference_resolves_inside_the_export() -> None:
    by_type = exported(DAWN, {**DAWN, "mrn": "X-2", "fictional": False})
    present = {f"{r['resourceType']}/{r['id']}" for rs in by_type.values() for r in rs}
    references: list[str] = []
    for resources in by_type.values():
        for resource in resources:
            references += references_in(resource)
    assert references and set(references) <= present


def test_shared_site_and_operator_are_written_once() -> None:
    by_type = exported(DAWN, {**DAWN, "mrn": "X-2"})
    assert len(by_type["Organization"]) == 1 and len(by_type["Practitioner"]) == 1
    assert len(by_type["Patient"]) == 2
    assert list(by_type) == list(EXPORT_TYPES)


def test_fracture_is_an_icd10cm_condition_with_its_level_as_body_site() -> None:
    (condition,) = exported(DAWN)["Condition"]
    assert condition["code"]["coding"][0] == {
        "system": codes.ICD10CM,
        "code": "M80.08XA",
        "display": "Age-related osteoporosis with current pathological fracture, vertebra(e), "
        "initial encounter for fracture",
    }
    site = condition["bodySite"][0]
    assert {"system": codes.SNOMED, "code": "14293000", "display": "L2 vertebra"} in site["coding"]
    assert site["text"] == "L2"
    assert condition["onsetDateTime"] == DAWN["fractures"][0]["date"]
    assert condition["severity"]["coding"][0]["code"] == "6736007"  # Genant 2: moderate


def test_patient_identifier_site_and_test_data_mark() -> None:
    (patient,) = exported(DAWN)["Patient"]
    (identifier,) = patient["identifier"]
    assert identifier["system"] == codes.mrn_system(DAWN["site"])
    assert identifier["value"] == DAWN["mrn"]
    assert identifier["type"]["coding"][0]["code"] == "MR"
    assert patient["managingOrganization"] == {"reference": f"Organization/{DAWN['site']}"}
    assert patient["meta"]["security"][0]["code"] == "HTEST"
    assert patient["id"] == patient_resource_id(DAWN["site"], DAWN["mrn"])


def test_procedure_cpt_levels_operator_and_treated_fracture() -> None:
    by_type = exported(DAWN)
    (procedure,) = by_type["Procedure"]
    assert procedure["code"]["coding"][0]["code"] == "22514"  # kyphoplasty, first level lumbar
    assert procedure["performer"][0]["actor"]["reference"] == "Practitioner/npi-1000000004"
    assert procedure["reasonReference"][0]["reference"] == (
        f"Condition/{by_type['Condition'][0]['id']}"
    )


@pytest.mark.parametrize(
    ("kind", "levels", "cpt"),
    [
        ("kyphoplasty", ["T12", "L1"], "22513"),
        ("kyphoplasty", ["L1", "T12"], "22514"),
        ("vertebroplasty", ["T8"], "22510"),
        ("vertebroplasty", ["L5"], "22511"),
    ],
)
def test_procedure_code_follows_kind_and_first_level(
    kind: str, levels: list[str], cpt: str
) -> None:
    proc = {**DAWN["procedures"][0], "kind": kind, "levels": levels, "cement_ml": {}}
    (procedure,) = exported({**DAWN, "procedures": [proc]})["Procedure"]
    assert procedure["code"]["coding"][0]["code"] == cpt


def test_outcome_scores_are_loinc_observations_where_a_code_was_checked() -> None:
    observations = exported(DAWN)["Observation"]
    by_code: dict[str, dict[str, Any]] = {}
    for observation in observations:
        by_code.setdefault(observation["code"]["coding"][0]["code"], observation)
    assert by_code["72514-3"]["valueQuantity"]["value"] == 8  # baseline NRS
    assert by_code["97909-6"]["valueQuantity"]["unit"] == "%"
    assert by_code["rdq"]["code"]["coding"][0]["system"] == codes.OUTCOME_INSTRUMENT


def test_medication_started_names_the_ingredient_and_its_task_points_at_it() -> None:
    by_type = exported(DAWN)
    (request,) = by_type["MedicationRequest"]
    assert request["medicationCodeableConcept"]["coding"][0] == {
        "system": codes.RXNORM,
        "code": "77655",
        "display": "zoledronic acid",
    }
    assert request["intent"] == "order"
    task = next(
        t for t in by_type["Task"] if t["code"]["coding"][0]["code"] == "medication-started"
    )
    assert task["focus"] == {"reference": f"MedicationRequest/{request['id']}"}
    assert task["businessStatus"]["coding"][0]["code"] == "done"


def test_written_files_are_the_bulk_layout_and_read_back(tmp_path: Any) -> None:
    written = write_ndjson(export_resources([DAWN]), tmp_path / "out")
    assert {w.path.name for w in written} == {f"{k}.ndjson" for k in EXPORT_TYPES}
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    result = cases_from_resources(read_path(tmp_path / "out"))
    assert [c.case for c in result.cases] == [parse(CaseIn, DAWN)]
    assert str(result.cases[0].origin) == "Patient.ndjson line 1"


def test_a_bundle_with_uuid_references_is_read() -> None:
    by_type = exported(DAWN)
    ids = {f"{r['resourceType']}/{r['id']}": f"urn:uuid:{i:08d}-0000-4000-8000-000000000000"
           for i, r in enumerate(r for rs in by_type.values() for r in rs)}  # fmt: skip
    text = json.dumps([r for rs in by_type.values() for r in rs])
    for ref, full in ids.items():
        text = text.replace(f'"reference": "{ref}"', f'"reference": "{full}"')
    entries = [
        {"fullUrl": ids[f"{r['resourceType']}/{r['id']}"], "resource": r} for r in json.loads(text)
    ]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    result = cases_from_resources(read_bundle(bundle, "bundle.json"))
    assert [c.case for c in result.cases] == [parse(CaseIn, DAWN)]


def test_resources_the_registry_has_no_place_for_are_counted_not_refused() -> None:
    by_type = exported(DAWN)
    pid = by_type["Patient"][0]["id"]
    subject = {"reference": f"Patient/{pid}"}
    extra = {
        "Observation": [
            {"resourceType": "Observation", "id": "bp", "status": "final", "subject": subject,
             "code": {"coding": [{"system": codes.LOINC, "code": "8480-6"}]},
             "effectiveDateTime": "2026-01-01", "valueQuantity": {"value": 120}},
            {"resourceType": "Observation", "id": "t", "status": "final", "subject": subject,
             "code": {"coding": [{"system": codes.LOINC, "code": "38267-1"}]},
             "effectiveDateTime": "2026-01-01", "valueQuantity": {"value": -2.7}},
        ],
        "Condition": [
            {"resourceType": "Condition", "id": "dm", "subject": subject,
             "code": {"coding": [{"system": codes.ICD10CM, "code": "E11.9"}]}},
        ],
        "Encounter": [{"resourceType": "Encounter", "id": "v", "status": "finished",
                       "class": {"code": "AMB"}}],
    }  # fmt: skip
    items = located(by_type) + located(extra)
    result = cases_from_resources(items)
    assert [c.case for c in result.cases] == [parse(CaseIn, DAWN)]
    assert result.skipped == {
        "Observation: not an outcome score the registry keeps (NRS, RDQ, ODI)": 1,
        "Observation: a DXA T-score (the registry keeps DXA as an FLS event, not its T-score)": 1,
        "Condition: not a fracture the registry records": 1,
        "Encounter: a resource type the registry does not import": 1,
    }


def fail(by_type: dict[str, list[dict[str, Any]]]) -> list[str]:
    with pytest.raises(InputError) as caught:
        cases_from_resources(located(by_type))
    return [p.field for p in caught.value.problems]


def test_a_fracture_without_a_date_names_file_line_and_element() -> None:
    by_type = exported(DAWN)
    del by_type["Condition"][0]["onsetDateTime"]
    assert fail(by_type) == ["Condition.ndjson line 1: onsetDateTime"]


def test_a_resource_that_is_not_valid_fhir_names_its_element() -> None:
    by_type = exported(DAWN)
    by_type["Patient"][0]["birthDate"] = "01/05/1968"
    assert fail(by_type) == ["Patient.ndjson line 1: birthDate"]


def test_a_reference_to_a_patient_outside_the_import_is_refused() -> None:
    by_type = exported(DAWN)
    by_type["Observation"][2]["subject"] = {"reference": "Patient/nobody"}
    assert fail(by_type) == ["Observation.ndjson line 3: subject"]


def test_a_rule_of_the_registry_is_reported_at_the_resource_it_came_from() -> None:
    by_type = exported(DAWN)
    by_type["Observation"][0]["valueQuantity"]["value"] = 11  # NRS is 0-10
    assert fail(by_type) == ["Observation.ndjson line 1: valueQuantity.value"]


def test_a_patient_without_a_fracture_is_refused() -> None:
    by_type = exported(DAWN)
    for kind in ("Condition", "Procedure", "Observation", "Task", "MedicationRequest"):
        by_type[kind] = []
    assert fail(by_type) == ["Patient.ndjson line 1: (Patient)"]


def test_the_same_mrn_twice_in_one_import_is_refused() -> None:
    by_type = exported(DAWN)
    twin = {**by_type["Patient"][0], "id": "twin"}
    by_type["Patient"].append(twin)
    by_type["Condition"].append(
        {**by_type["Condition"][0], "id": "tf", "subject": {"reference": "Patient/twin"}}
    )
    problems = fail(by_type)
    assert problems == ["Patient.ndjson line 2: identifier"]


def test_site_from_a_default_when_the_resources_do_not_name_it() -> None:
    by_type = exported(DAWN)
    patient = by_type["Patient"][0]
    del patient["managingOrganization"]
    patient["identifier"][0]["system"] = "urn:oid:1.2.3.4"
    by_type["Organization"] = []
    assert fail(by_type)[0] == "Patient.ndjson line 1: managingOrganization"
    result = cases_from_resources(located(by_type), default_site="elsewhere")
    assert (result.cases[0].case.site, result.cases[0].case.mrn) == ("elsewhere", DAWN["mrn"])


def test_a_foreign_medication_request_becomes_a_medication_event() -> None:
    by_type = exported(DAWN)
    pid = by_type["Patient"][0]["id"]
    by_type["MedicationRequest"].append(
        {"resourceType": "MedicationRequest", "id": "ehr-1", "status": "active", "intent": "order",
         "subject": {"reference": f"Patient/{pid}"}, "authoredOn": "2026-06-01",
         "medicationCodeableConcept": {"coding": [{"system": codes.RXNORM, "code": "904420",
                                                   "display": "Alendronic acid 10 MG [Fosamax]"}]}}
    )  # fmt: skip
    (case,) = [c.case for c in cases_from_resources(located(by_type)).cases]
    (added,) = [e for e in case.events if e.date == date(2026, 6, 1)]
    assert (added.type, added.status) == (EventType.MEDICATION_STARTED, EventStatus.DONE)
    assert added.note == "Alendronic acid 10 MG [Fosamax]"


def test_malformed_ndjson_line_is_named() -> None:
    with pytest.raises(InputError) as caught:
        list(read_ndjson(['{"resourceType": "Patient"}', "{oops"], "Patient.ndjson"))
    assert caught.value.field == "Patient.ndjson line 2"


# --- the round trip, for any case the registry accepts ------------------------------------

VALID_NPIS = [n for n in (f"10000000{i:02d}" for i in range(100)) if npi_is_valid(n)][:4]
LEVELS = [lv.value for lv in Level]
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")
# An MRN or report id shows every character it has (issue 22: no invisible or unassigned ones)
identifiers = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp")
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() != "" and not set(s) & set("\u115f\u1160\u3164\uffa0\u2800"))
notes = st.one_of(
    st.none(),
    words,
    st.sampled_from(["Zoledronic acid 5 mg infusion", "alendronic acid 70 mg weekly", "Prolia"]),
)
# what a database can store: no NUL (PostgreSQL refuses it) and no lone surrogate
STORABLE = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(STORABLE, max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(STORABLE, max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def fractures(draw: st.DrawFn) -> dict[str, Any]:
    levels = draw(st.lists(st.sampled_from(LEVELS), unique=True, max_size=3))
    return {
        "date": draw(dates).isoformat(),
        "levels": levels,
        "site": None if levels else draw(st.sampled_from(["hip", "wrist", "spine", "rib cage"])),
        "found_by": draw(st.sampled_from(list(FoundBy))).value,
        "genant_grade": draw(st.none() | st.integers(0, 3)),
        "report_id": draw(st.none() | identifiers),
        "evidence": draw(
            st.none() | st.dictionaries(st.text(STORABLE, max_size=8), json_values, max_size=3)
        ),
    }


@st.composite
def procedures(draw: st.DrawFn) -> dict[str, Any]:
    levels = draw(st.lists(st.sampled_from(LEVELS), unique=True, min_size=1, max_size=3))
    cemented = draw(st.lists(st.sampled_from(levels), unique=True))
    return {
        "date": draw(dates).isoformat(),
        "kind": draw(st.sampled_from(list(ProcedureKind))).value,
        "levels": levels,
        "approach": draw(st.none() | st.sampled_from(list(Approach))),
        "cement_ml": {lv: draw(st.integers(1, 200)) / 10 for lv in cemented},
        "operator_npi": draw(st.none() | st.sampled_from(VALID_NPIS)),
        "anaesthesia": draw(st.none() | st.sampled_from(list(Anaesthesia))),
        "complications": draw(
            st.lists(st.sampled_from(list(Complication)), unique=True, max_size=3)
        ),
        "note": draw(notes),
    }


@st.composite
def outcomes(draw: st.DrawFn) -> dict[str, Any]:
    instrument = draw(st.sampled_from(list(Instrument)))
    score: float = (
        draw(st.integers(0, 1000)) / 10
        if instrument is Instrument.ODI
        else draw(st.integers(0, 10 if instrument is Instrument.NRS else 24))
    )
    return {
        "date": draw(dates).isoformat(),
        "instrument": instrument.value,
        "score": score,
        "timepoint": draw(st.none() | st.sampled_from(list(Timepoint))),
    }


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "site": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)),
        "mrn": draw(identifiers),
        "name": draw(words),
        "birth_date": draw(st.dates(date(1920, 1, 1), date(1999, 12, 31))).isoformat(),
        "sex": draw(st.sampled_from(list(Sex))).value,
        "status": draw(st.sampled_from(list(CaseStatus))).value,
        "fictional": draw(st.booleans()),
        "fractures": draw(st.lists(fractures(), min_size=1, max_size=3)),
        "events": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(list(EventType)),
                        "status": st.sampled_from(list(EventStatus)),
                        "date": dates.map(date.isoformat),
                        "note": notes,
                    }
                ),
                max_size=4,
            )
        ),
        "procedures": draw(st.lists(procedures(), max_size=2)),
        "outcomes": draw(st.lists(outcomes(), max_size=4)),
    }


@settings(max_examples=60)
@given(st.lists(cases(), min_size=1, max_size=2, unique_by=lambda c: (c["site"], c["mrn"].strip())))
def test_any_case_comes_back_the_same(documents: list[dict[str, Any]]) -> None:
    expected = [without_ids(parse(CaseIn, d)) for d in documents]
    assert [without_ids(c) for c in round_trip(*documents)] == expected
