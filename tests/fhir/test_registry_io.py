"""``spinefx registry export DIR --format fhir`` and ``registry import FILE_OR_DIR --format fhir``
as a user runs them, on SQLite and on PostgreSQL: the Bulk layout, every resource valid R4 and
every reference inside the export, the round trip (same cases, same KPIs), all or nothing, the
update of a patient already registered, and the audit log."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fhir.resources.R4B import get_fhir_model_class
from tests.helpers.databases import empty_postgres
from tests.helpers.fhir import references_in
from tests.helpers.registry import audit_trail

from spinefx.cli import run
from spinefx.fhir import codes
from spinefx.registry.cases import case_document
from spinefx.registry.db import Registry
from spinefx.registry.importer import ImportItem, import_cases
from spinefx.registry.kpi import kpi_report
from spinefx.registry.models import AuditEntry, Case
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.seed import REFERENCE_MRN, reference_case, seed_demo

CLI = Actor.command_line("test")
FULL_REFERENCE = {**reference_case(), "site": "north", "mrn": "REF-FULL"}  # every row of her path


@pytest.fixture(autouse=True)
def _quick_hashing(quick_password_hashing: None) -> None:
    """The demo adds a user: the smallest Argon2id cost, the tests check the exchange."""


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SPINEFX_DATABASE_URL", db_url)
    return db_url


def seed(registry: Registry) -> None:
    """The demo data (the reference patient as of today among 24 others) and the reference
    patient with every row of her path (procedure, operator, medication started)."""
    seed_demo(registry)
    with registry.transaction() as session:
        import_cases(session, CLI, [ImportItem("test", parse(CaseIn, FULL_REFERENCE))])


def documents(registry: Registry) -> list[dict[str, Any]]:
    """Every case in the import format, without the database's ids and versions."""
    with registry.transaction() as session:
        out = []
        for case in session.scalars(sa.select(Case)):
            doc = case_document(case)
            for key in ("id", "version"):
                doc.pop(key)
            for rows in ("fractures", "events", "procedures", "outcomes"):
                for row in doc[rows]:
                    row.pop("id")
            out.append(doc)
    return sorted(out, key=lambda d: (d["site"], d["mrn"]))


def kpis(registry: Registry) -> dict[str, Any]:
    with registry.transaction() as session:
        report = kpi_report(
            session, CLI, start=date(2000, 1, 1), end=date(2030, 12, 31), as_of=date.today()
        )
        return report.as_json()


def emptied(registry: Registry, db_url: str, tmp_path: Path, template: Path) -> Registry:
    """The same kind of database, empty: a new SQLite file, or PostgreSQL's tables emptied."""
    if db_url.startswith("postgresql"):
        empty_postgres(registry)
        return registry
    path = tmp_path / "empty.sqlite3"
    shutil.copyfile(template, path)
    return Registry.open(f"sqlite:///{path}", poolclass=sa.pool.NullPool)


def lines(folder: Path, kind: str) -> list[dict[str, Any]]:
    path = folder / f"{kind}.ndjson"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def export(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(["registry", "export", str(folder), "--format", "fhir"]) == 0
    return capsys.readouterr().out


def import_(source: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    status = run(["registry", "import", str(source), "--format", "fhir", *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- the export ------------------------------------------------------------------------------


def test_the_export_is_the_bulk_layout_of_valid_r4_with_every_reference_inside(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(registry)
    folder = tmp_path / "fhir-export"
    out = export(folder, capsys)
    kinds = ["Organization", "Practitioner", "Patient", "Condition", "Procedure", "Observation"]
    kinds += ["MedicationRequest", "Task"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.ndjson" for k in kinds)
    assert f"{folder / 'Patient.ndjson'}: 26 Patient" in out
    present: set[str] = set()
    references: list[str] = []
    for kind in kinds:
        for resource in lines(folder, kind):
            assert resource["resourceType"] == kind
            get_fhir_model_class(kind).model_validate(resource)  # valid R4 (R4B models)
            present.add(f"{kind}/{resource['id']}")
            references += references_in(resource)
    assert len(references) > 100 and set(references) <= present


def test_the_export_codes_the_reference_patient_as_docs_fhir_md_lists(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(registry)
    folder = tmp_path / "out"
    export(folder, capsys)
    (patient,) = [p for p in lines(folder, "Patient") if p["identifier"][0]["value"] == "REF-FULL"]
    subject = {"reference": f"Patient/{patient['id']}"}
    mine = {
        kind: [r for r in lines(folder, kind) if r.get("subject", r.get("for")) == subject]
        for kind in ("Condition", "Procedure", "Observation", "MedicationRequest", "Task")
    }
    (condition,) = mine["Condition"]
    assert condition["code"]["coding"][0]["system"] == codes.ICD10CM
    assert condition["code"]["coding"][0]["code"] == "M80.08XA"
    assert condition["bodySite"][0]["coding"][0] == {
        "system": codes.SNOMED,
        "code": "14293000",
        "display": "L2 vertebra",
    }
    (procedure,) = mine["Procedure"]
    assert procedure["code"]["coding"][0]["system"] == codes.CPT
    assert procedure["code"]["coding"][0]["code"] == "22514"
    loinc = {o["code"]["coding"][0]["code"] for o in mine["Observation"]}
    assert {"72514-3", "97909-6"} <= loinc
    (request,) = mine["MedicationRequest"]
    assert request["medicationCodeableConcept"]["coding"][0]["system"] == codes.RXNORM
    assert request["medicationCodeableConcept"]["coding"][0]["code"] == "77655"
    assert len(mine["Task"]) == len(FULL_REFERENCE["events"])
    assert ("export", "command-line:export", {"folder": str(folder), "format": "fhir"}) in [
        (a, actor, detail) for a, actor, detail in audit_trail(registry, "registry")
    ]


# --- the round trip --------------------------------------------------------------------------


def test_export_then_import_into_an_empty_registry_gives_the_same_cases_and_kpis(
    cli_env: str,
    db_url: str,
    registry: Registry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(registry)
    before, kpis_before = documents(registry), kpis(registry)
    assert {d["mrn"] for d in before} >= {REFERENCE_MRN, "REF-FULL"} and len(before) == 26
    folder = tmp_path / "fhir-export"
    export(folder, capsys)
    target = emptied(registry, db_url, tmp_path, sqlite_template)
    monkeypatch.setenv("SPINEFX_DATABASE_URL", target.engine.url.render_as_string(False))
    assert documents(target) == []
    status, out, err = import_(folder, capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == "imported 26 cases (demo, north): 26 new, 0 updated, 0 unchanged"
    assert documents(target) == before
    assert kpis(target) == kpis_before
    # Every case but the unreviewed case-finding hit (kpi.py's convention), some events done.
    assert kpis_before["cases"] == 25
    assert sum(k["numerator"] for k in kpis_before["kpis"]) > 10
    # Once more: the same patients are found and left as they are, not registered twice.
    status, out, _ = import_(folder, capsys)
    assert out.splitlines()[0] == "imported 26 cases (demo, north): 0 new, 0 updated, 26 unchanged"
    assert documents(target) == before


# --- all or nothing, and errors --------------------------------------------------------------


def test_a_bad_resource_names_file_line_and_element_and_nothing_is_written(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(registry)
    folder = tmp_path / "fhir-export"
    export(folder, capsys)
    patients = lines(folder, "Patient")
    patients[0]["name"] = [{"text": "A good change (fictional)"}]  # not written either
    patients[3]["birthDate"] = "03/05/1950"
    (folder / "Patient.ndjson").write_text(
        "\n".join(json.dumps(p) for p in patients) + "\n", encoding="utf-8"
    )
    before = documents(registry)
    status, out, err = import_(folder, capsys)
    assert status == 2 and out == ""
    assert err.startswith("error: Patient.ndjson line 4: birthDate") and err.count("\n") == 1
    assert "Traceback" not in err
    assert documents(registry) == before


def test_a_registry_rule_broken_by_an_update_names_the_resource_and_writes_nothing(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A date of death before a fracture the registry holds but the import does not send."""
    seed(registry)
    folder = tmp_path / "fhir-export"
    export(folder, capsys)
    before = documents(registry)
    with registry.transaction() as session:  # a later fracture, recorded here only
        case = session.scalar(sa.select(Case).where(Case.mrn == "REF-FULL"))
        assert case is not None
        from spinefx.registry.rows import add_row
        from spinefx.registry.schema import FractureIn

        later = parse(FractureIn, {"date": "2026-11-20", "levels": ["T12"], "found_by": "clinical"})
        add_row(session, CLI, "fractures", case.id, case.version, later)
    kept = documents(registry)
    patients = lines(folder, "Patient")
    line = next(i for i, p in enumerate(patients) if p["identifier"][0]["value"] == "REF-FULL")
    patients[line]["deceasedDateTime"] = "2026-11-10"
    patients[line]["extension"][0]["valueCode"] = "deceased"
    (folder / "Patient.ndjson").write_text(
        "\n".join(json.dumps(p) for p in patients) + "\n", encoding="utf-8"
    )
    (folder / "Extra.ndjson").write_text("", encoding="utf-8")
    status, _, err = import_(folder, capsys)
    assert status == 2
    assert err == (
        f"error: Patient.ndjson line {line + 1}: deceasedDateTime: got '2026-11-10'; allowed: "
        "a date on or after the latest fracture (2026-11-20)\n"
    )
    assert documents(registry) == kept != before


def test_a_missing_file_and_a_folder_without_ndjson_are_one_line_errors(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = import_(tmp_path / "nowhere", capsys)
    assert status == 2 and err.startswith("error: FILE_OR_DIR") and err.count("\n") == 1
    (tmp_path / "empty").mkdir()
    status, _, err = import_(tmp_path / "empty", capsys)
    assert status == 2 and "a folder with .ndjson files in it" in err
    status = run(["registry", "export", str(tmp_path / "x"), "--format", "xml"])
    err = capsys.readouterr().err
    assert status == 2 and "'xml' is not one of 'csv', 'fhir'" in err and err.count("\n") == 1


# --- a patient already registered is updated -------------------------------------------------


def test_a_patient_already_registered_is_updated_not_doubled_and_audited(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with registry.transaction() as session:
        import_cases(session, CLI, [ImportItem("test", parse(CaseIn, FULL_REFERENCE))])
    folder = tmp_path / "fhir-export"
    export(folder, capsys)
    with registry.transaction() as session:
        case = session.scalar(sa.select(Case).where(Case.mrn == "REF-FULL"))
        assert case is not None
        case_id, version = case.id, case.version
    # The EHR's copy: a new name, a corrected score, one score the registry does not have.
    (patient,) = lines(folder, "Patient")
    patient["name"] = [{"text": "Dawn Renamed (fictional)"}]
    (folder / "Patient.ndjson").write_text(json.dumps(patient) + "\n", encoding="utf-8")
    observations = lines(folder, "Observation")
    observations[0]["valueQuantity"]["value"] = 7
    observations.append(
        {
            **observations[0],
            "id": "ehr-nrs",
            "effectiveDateTime": "2026-12-01",
            "valueQuantity": {**observations[0]["valueQuantity"], "value": 2},
        }
    )
    del observations[-1]["extension"]  # no timepoint
    (folder / "Observation.ndjson").write_text(
        "\n".join(json.dumps(o) for o in observations) + "\n", encoding="utf-8"
    )
    (folder / "Procedure.ndjson").unlink()  # not sent: the registry's procedure is kept
    status, out, err = import_(folder, capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == "imported 1 cases (north): 0 new, 1 updated, 0 unchanged"
    with registry.transaction() as session:
        (case,) = session.scalars(sa.select(Case)).all()
        assert (case.id, case.version) == (case_id, version + 1)
        assert case.name == "Dawn Renamed (fictional)"
        assert len(case.procedures) == 1
        scores = sorted((o.date.isoformat(), float(o.score)) for o in case.outcomes)
        assert len(scores) == len(FULL_REFERENCE["outcomes"]) + 1
        assert ("2026-12-01", 2.0) in scores
        assert scores[0] == (FULL_REFERENCE["outcomes"][0]["date"], 7.0)
        entries = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action.in_(["update", "import"]))
            .order_by(AuditEntry.id)  # PostgreSQL keeps no order without one
        ).all()
    assert [(e.action, e.entity, e.case_id, e.detail) for e in entries] == [
        ("import", "case", None, {"cases": 1, "sites": ["north"], "created": 1}),
        (
            "update",
            "case",
            case_id,
            {
                "by": "import",
                "fields": ["name"],
                "added": {"outcomes": 1},
                "changed": {"outcomes": 1},
            },
        ),
        ("import", "case", None, {"cases": 1, "sites": ["north"], "updated": 1}),
    ]


def test_an_import_that_marks_another_index_fracture_moves_the_index(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prior = {"date": "2019-05-01", "levels": [], "site": "wrist", "found_by": "clinical"}
    with registry.transaction() as session:
        data = parse(CaseIn, {**FULL_REFERENCE, "fractures": [*FULL_REFERENCE["fractures"], prior]})
        import_cases(session, CLI, [ImportItem("test", data)])
    folder = tmp_path / "fhir-export"
    export(folder, capsys)
    conditions = lines(folder, "Condition")
    index, prior_condition = sorted(conditions, key=lambda c: c["onsetDateTime"], reverse=True)
    mark = next(e for e in index["extension"] if e["url"] == codes.EXT.INDEX_FRACTURE)
    index["extension"].remove(mark)
    prior_condition["extension"].append(mark)
    (folder / "Condition.ndjson").write_text(
        "\n".join(json.dumps(c) for c in conditions) + "\n", encoding="utf-8"
    )
    status, out, _ = import_(folder, capsys)
    assert status == 0 and "1 updated" in out
    with registry.transaction() as session:
        (case,) = session.scalars(sa.select(Case)).all()
        assert sorted((f.date.isoformat(), f.is_index) for f in case.fractures) == [
            ("2019-05-01", True),
            (FULL_REFERENCE["fractures"][0]["date"], False),
        ]
        assert case.index_date == date(2019, 5, 1)


def test_a_spine_fracture_of_unknown_level_is_exported_and_comes_back(
    cli_env: str,
    db_url: str,
    registry: Registry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Case-finding records a report naming no level as a spine fracture with no levels; the
    registry stores it with no site, which the import format calls "spine"."""
    unknown = {"date": "2026-10-01", "levels": [], "site": "spine", "found_by": "case-finding"}
    with registry.transaction() as session:
        data = parse(CaseIn, {**FULL_REFERENCE, "fractures": [unknown]})
        import_cases(session, CLI, [ImportItem("test", data)])
    before = documents(registry)
    assert before[0]["fractures"][0]["site"] is None  # as stored
    folder = tmp_path / "fhir-export"
    export(folder, capsys)
    (condition,) = lines(folder, "Condition")
    assert condition["code"]["coding"][0]["code"] == "M80.08XA"
    assert condition["bodySite"] == [{"text": "spine"}]
    target = emptied(registry, db_url, tmp_path, sqlite_template)
    monkeypatch.setenv("SPINEFX_DATABASE_URL", target.engine.url.render_as_string(False))
    status, _, err = import_(folder, capsys)
    assert (status, err) == (0, "")
    assert documents(target) == before


def test_another_systems_patient_leaves_status_death_and_test_mark_as_registered(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An EHR's Patient carries no spinefx case status: not saying is not "active", "alive" or
    "real patient"; what it does say (a name, a date of death) is taken."""
    closed = {**FULL_REFERENCE, "status": "closed", "fictional": True}
    with registry.transaction() as session:
        import_cases(session, CLI, [ImportItem("test", parse(CaseIn, closed))])
    folder = tmp_path / "ehr"
    export(folder, capsys)
    (patient,) = lines(folder, "Patient")
    del patient["extension"], patient["meta"]  # as another system writes it
    patient["name"] = [{"given": ["Dawn"], "family": "Ehr"}]

    def write_patient() -> None:
        (folder / "Patient.ndjson").write_text(json.dumps(patient) + "\n", encoding="utf-8")

    def case() -> tuple[str, str, str | None, bool]:
        with registry.transaction() as session:
            (row,) = session.scalars(sa.select(Case)).all()
            death = row.death_date.isoformat() if row.death_date else None
            return row.name, row.status, death, row.fictional

    write_patient()
    status, out, _ = import_(folder, capsys)
    assert status == 0 and "1 updated" in out
    assert case() == ("Dawn Ehr", "closed", None, True)
    patient["deceasedDateTime"] = "2026-12-01"
    write_patient()
    status, out, err = import_(folder, capsys)
    assert (status, err) == (0, "") and "1 updated" in out
    assert case() == ("Dawn Ehr", "deceased", "2026-12-01", True)


def ehr_bundle() -> dict[str, Any]:
    """A small Bundle as an EHR writes one (built with fhir.resources): its own MRN system,
    uuid references, a traumatic L1 wedge fracture, a pain score and a branded alendronate."""
    from fhir.resources.R4B.bundle import Bundle, BundleEntry
    from fhir.resources.R4B.condition import Condition
    from fhir.resources.R4B.medicationrequest import MedicationRequest
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient

    ids = {k: f"urn:uuid:0000000{n}-0000-4000-8000-000000000000" for n, k in enumerate("pcom")}
    subject = {"reference": ids["p"]}
    resources = {
        "p": Patient(
            identifier=[
                {
                    "type": {"coding": [{"system": codes.V2_0203, "code": "MR"}]},
                    "system": "urn:oid:2.16.840.1.113883.19.5",
                    "value": "EHR-77",
                }
            ],
            name=[{"family": "Ehrpatient", "given": ["Ada"]}],
            gender="female",
            birthDate="1950-04-03",
        ),
        "c": Condition(
            subject=subject,
            code={"coding": [{"system": codes.ICD10CM, "code": "S32.010A"}]},
            bodySite=[{"coding": [{"system": codes.SNOMED, "code": "66794005"}]}],
            onsetDateTime="2026-09-14",
        ),
        "o": Observation(
            status="final",
            subject=subject,
            code={"coding": [{"system": codes.LOINC, "code": "72514-3"}]},
            effectiveDateTime="2026-09-20",
            valueQuantity={"value": 7},
        ),
        "m": MedicationRequest(
            status="active",
            intent="order",
            subject=subject,
            authoredOn="2026-10-01",
            medicationCodeableConcept={
                "coding": [
                    {
                        "system": codes.RXNORM,
                        "code": "904420",
                        "display": "Alendronic acid 10 MG [Fosamax]",
                    }
                ]
            },
        ),
    }
    bundle = Bundle(
        type="collection",
        entry=[BundleEntry(fullUrl=ids[k], resource=r) for k, r in resources.items()],
    )
    return json.loads(bundle.model_dump_json(exclude_none=True))


def test_an_ehr_bundle_becomes_a_case_at_the_site_given_and_then_stays_one(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ehr-bundle.json"
    path.write_text(json.dumps(ehr_bundle()), encoding="utf-8")
    status, _, err = import_(path, capsys)
    assert status == 2 and err.startswith("error: ehr-bundle.json entry 1: managingOrganization")
    status, out, err = import_(path, capsys, "--site", "north")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == "imported 1 cases (north): 1 new, 0 updated, 0 unchanged"
    (case,) = documents(registry)
    assert (case["site"], case["mrn"], case["name"]) == ("north", "EHR-77", "Ada Ehrpatient")
    assert [(f["date"], f["levels"]) for f in case["fractures"]] == [("2026-09-14", ["L1"])]
    assert [(o["instrument"], o["score"]) for o in case["outcomes"]] == [("nrs", 7)]
    assert [(e["type"], e["date"], e["note"]) for e in case["events"]] == [
        ("medication-started", "2026-10-01", "Alendronic acid 10 MG [Fosamax]")
    ]
    status, out, _ = import_(path, capsys, "--site", "north")
    assert out.splitlines()[0] == "imported 1 cases (north): 0 new, 0 updated, 1 unchanged"
    assert documents(registry) == [case]


def test_an_export_that_fails_half_way_leaves_no_file_and_names_the_case(
    cli_env: str, registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row the import format refuses (written past the registry's checks) in the second
    case: the first case's resources were already on their way to the files."""
    from spinefx.registry.models import Outcome

    with registry.transaction() as session:
        items = [
            ImportItem("test", parse(CaseIn, {**FULL_REFERENCE, "mrn": mrn}))
            for mrn in ("A-1", "A-2")
        ]
        import_cases(session, CLI, items)
        broken = session.scalar(sa.select(Case).where(Case.mrn == "A-2"))
        assert broken is not None
        session.add(Outcome(case_id=broken.id, date=date(2026, 12, 1), instrument="nrs", score=11))
        broken_id = broken.id
    folder = tmp_path / "out"
    status = run(["registry", "export", str(folder), "--format", "fhir"])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert captured.err.startswith(f"error: case {broken_id} (north A-2): outcomes[")
    assert captured.err.count("\n") == 1
    assert list(folder.iterdir()) == []
