"""Ingest of the NPPES main file and its companions into the directory database."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from spinefx.directory.nppes import ingest
from spinefx.directory.nppes_header import NPPES_COLUMNS
from spinefx.directory.search import SearchQuery, provider_info, search
from spinefx.errors import InputError


def rows_of(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_header_module_holds_the_exact_330_columns() -> None:
    assert len(NPPES_COLUMNS) == 330
    assert len(set(NPPES_COLUMNS)) == 330
    assert NPPES_COLUMNS[0] == "NPI"
    assert NPPES_COLUMNS[-1] == "Certification Date"


def test_a_header_without_the_needed_columns_names_them(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    header = [c for c in NPPES_COLUMNS if c not in ("Entity Type Code", "Provider First Name")]
    nppes = files.write_nppes(tmp_path / "n.csv", [], header=header)
    with pytest.raises(InputError) as err:
        ingest(nppes, db_path=tmp_path / "d.duckdb")
    assert "'Entity Type Code'" in str(err.value)
    assert "'Provider First Name'" in str(err.value)
    assert not (tmp_path / "d.duckdb").exists()


def test_a_csv_that_is_not_nppes_is_an_input_error(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing columns"):
        ingest(other, db_path=tmp_path / "d.duckdb")


def test_the_older_gender_code_header_is_accepted(tmp_path: Path, files: SimpleNamespace) -> None:
    header = ["Provider Gender Code" if c == "Provider Sex Code" else c for c in NPPES_COLUMNS]
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")], header=header)
    assert ingest(nppes, db_path=tmp_path / "d.duckdb").kept == 1


def test_a_header_with_neither_sex_nor_gender_code_is_refused(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    header = [c for c in NPPES_COLUMNS if c != "Provider Sex Code"]
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")], header=header)
    with pytest.raises(InputError, match="Provider Sex Code' or 'Provider Gender Code"):
        ingest(nppes, db_path=tmp_path / "d.duckdb")


def test_a_missing_file_is_an_input_error(tmp_path: Path, files: SimpleNamespace) -> None:
    with pytest.raises(InputError, match="NPPES_CSV"):
        ingest(tmp_path / "nope.csv", db_path=tmp_path / "d.duckdb")
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    with pytest.raises(InputError, match="--utilization"):
        ingest(nppes, db_path=tmp_path / "d.duckdb", utilization_csv=tmp_path / "nope.csv")


def test_deactivated_npis_are_dropped_unless_reactivated_later(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    rows = [
        {"npi": "1000000001", "deactivated": "05/01/2020"},  # nearly empty row
        files.provider("1000000002", deactivated="05/01/2015", reactivated="06/01/2016"),
        files.provider("1000000003", deactivated="05/01/2019", reactivated="06/01/2016"),
        files.provider("1000000004"),
    ]
    db = tmp_path / "d.duckdb"
    report = ingest(files.write_nppes(tmp_path / "n.csv", rows), db_path=db)
    assert report.rows_read == 4
    assert report.deactivated == 2
    assert report.reactivated == 1
    assert report.kept == 2
    assert [r[0] for r in rows_of(db, "SELECT npi FROM providers ORDER BY npi")] == [
        "1000000002",
        "1000000004",
    ]


def test_the_primary_taxonomy_gives_the_primary_specialty(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    row = files.provider(
        "1000000001", tax1="207Q00000X", sw1="N", tax2="2085R0204X", sw2="Y", tax3="207RR0500X"
    )
    db = tmp_path / "d.duckdb"
    ingest(files.write_nppes(tmp_path / "n.csv", [row]), db_path=db)
    detail = provider_info(db, "1000000001")
    assert detail.primary_specialty == "interventional-radiology"
    assert detail.specialties == ["interventional-radiology", "primary-care", "rheumatology"]
    assert [t.code for t in detail.taxonomies if t.primary] == ["2085R0204X"]


def test_unmapped_taxonomies_are_dropped_and_counted(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    rows = [
        files.provider("1000000001", tax1="363L00000X"),  # nurse practitioner only
        files.provider("1000000002", tax1="363L00000X", tax2="207X00000X", sw2="N"),
    ]
    db = tmp_path / "d.duckdb"
    report = ingest(files.write_nppes(tmp_path / "n.csv", rows), db_path=db)
    assert report.not_our_specialties == 1
    assert report.kept == 1
    detail = provider_info(db, "1000000002")
    assert [t.code for t in detail.taxonomies] == ["207X00000X"]
    # The primary taxonomy is not ours: the first of ours stands in.
    assert detail.primary_specialty == "orthopedic-surgery"


def test_malformed_rows_are_counted_with_examples_not_fatal(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    rows = [
        files.provider("12345"),
        files.provider("1000000002", entity="3"),
        files.provider("1000000003"),
    ]
    nppes = files.write_nppes(
        tmp_path / "n.csv", rows, extra_lines=['"1000000009","1","CUT SHORT"']
    )
    report = ingest(nppes, db_path=tmp_path / "d.duckdb")
    assert report.kept == 1
    assert report.malformed.count == 3
    assert report.rows_read == 4
    text = " ".join(report.malformed.examples)
    assert "'12345' is not 10 digits" in text
    assert "entity type '3'" in text
    assert "3 fields instead of 330" in text


def test_organizations_use_the_legal_name_and_individuals_first_last_credential(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    rows = [
        files.provider("1000000001", first="Ada", last="Demo-Lovelace", credential="M.D."),
        files.provider(
            "1000000002", entity="2", org="DEMO SPINE CENTER (FICTIONAL)", first="", last=""
        ),
    ]
    db = tmp_path / "d.duckdb"
    ingest(files.write_nppes(tmp_path / "n.csv", rows), db_path=db)
    assert provider_info(db, "1000000001").name == "Ada Demo-Lovelace, M.D."
    org = provider_info(db, "1000000002")
    assert (org.name, org.entity_type) == ("DEMO SPINE CENTER (FICTIONAL)", "organization")


def test_text_that_is_not_utf8_is_kept_with_replacement_characters(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    rows = [
        files.provider("1000000001", city="CA@@ON CITY", last="Demo-Pe@@a"),
        files.provider("1000000002"),
    ]
    path = files.write_nppes(tmp_path / "n.csv", rows)
    # A Latin-1 "N with tilde", as older exports of the file may hold.
    path.write_bytes(path.read_bytes().replace(b"@@", b"\xd1"))
    db = tmp_path / "d.duckdb"
    report = ingest(path, db_path=db)
    assert report.kept == 2
    first = provider_info(db, "1000000001")
    assert (first.city, first.name) == ("CA\ufffdON CITY", "Test Demo-Pe\ufffda, MD")
    assert provider_info(db, "1000000002").city == "CAMBRIDGE"


def test_non_us_and_unknown_zips_are_kept_counted_and_out_of_radius_search(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    rows = [
        files.provider("1000000001", postal="021394301"),  # ZIP+4, no dash
        files.provider("1000000002", postal="M5V3L9", country="CA"),
        files.provider("1000000003", postal="00000"),
    ]
    db = tmp_path / "d.duckdb"
    report = ingest(files.write_nppes(tmp_path / "n.csv", rows), db_path=db)
    assert report.kept == 3
    assert report.no_us_zip.count == 2
    result = search(db, SearchQuery(zip="02139", radius=500))
    assert [r.npi for r in result.results] == ["1000000001"]
    assert result.results[0].zip == "02139"
    assert provider_info(db, "1000000002").zip is None


def test_utilization_joins_by_npi_and_counts_npis_missing_from_nppes(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    nppes = files.write_nppes(
        tmp_path / "n.csv", [files.provider("1000000001"), files.provider("1000000002")]
    )
    mup = files.write_mup(
        tmp_path / "mup.csv",
        [
            ("1000000001", "22513", "F", 20, 25.0),
            ("1000000001", "22514", "O", 12, 14.0),
            ("1000000001", "22511", "F", 11, 11.0),
            ("1000000001", "99213", "O", 300, 900.0),  # an office visit: not ours
            ("1999999999", "22513", "F", 40, 41.0),  # not in the directory
        ],
    )
    db = tmp_path / "d.duckdb"
    report = ingest(nppes, db_path=db, utilization_csv=mup)
    assert report.utilization is not None
    assert report.utilization.procedure_rows == 4
    assert report.utilization.providers_with_volume == 1
    assert report.utilization.npis_not_in_directory == 1
    detail = provider_info(db, "1000000001")
    assert (detail.bkp_services, detail.vertebroplasty_services) == (39, 11)
    assert detail.bkp_beneficiaries == 20
    assert [u.hcpcs for u in detail.utilization] == ["22511", "22513", "22514"]
    assert provider_info(db, "1000000002").bkp_services is None


def test_a_medicare_file_without_its_columns_is_an_input_error(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    bad = tmp_path / "mup.csv"
    bad.write_text("Rndrng_NPI,HCPCS_Cd\n1000000001,22513\n")
    with pytest.raises(InputError, match="Tot_Benes"):
        ingest(nppes, db_path=tmp_path / "d.duckdb", utilization_csv=bad)


def test_identical_secondary_locations_are_stored_once(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    same = ["1000000001", "9 DEMO ROAD", "", "BOSTON", "MA", "021151234", "", "6175550111", "", ""]
    other = ["1000000001", "5 DEMO WAY", "", "NEWTON", "MA", "02459", "", "", "", ""]
    stranger = ["1999999999", "5 DEMO WAY", "", "NEWTON", "MA", "02459", "", "", "", ""]
    pl = files.write_locations(tmp_path / "pl.csv", [same, same, other, stranger])
    db = tmp_path / "d.duckdb"
    report = ingest(nppes, db_path=db, locations_csv=pl)
    assert report.locations is not None
    assert (report.locations.rows_read, report.locations.duplicates) == (4, 1)
    assert report.locations.kept == 2
    locations = provider_info(db, "1000000001").locations
    assert sorted(loc.city or "" for loc in locations) == ["BOSTON", "NEWTON"]
    assert {loc.zip for loc in locations} == {"02115", "02459"}


def test_a_failed_ingest_leaves_the_old_directory_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: SimpleNamespace
) -> None:
    db = tmp_path / "d.duckdb"
    ingest(files.write_nppes(tmp_path / "old.csv", [files.provider("1000000001")]), db_path=db)
    assert search(db, SearchQuery(zip="02139")).total == 1

    import spinefx.directory.nppes as nppes_mod

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(nppes_mod, "_build", explode)
    new = files.write_nppes(
        tmp_path / "new.csv", [files.provider("1000000002"), files.provider("1000000003")]
    )
    with pytest.raises(RuntimeError, match="simulated"):
        ingest(new, db_path=db)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb", "new.csv", "old.csv"]
    assert [r.npi for r in search(db, SearchQuery(zip="02139")).results] == ["1000000001"]


def test_a_successful_ingest_replaces_the_directory_seen_by_open_readers(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    db = tmp_path / "d.duckdb"
    ingest(files.write_nppes(tmp_path / "a.csv", [files.provider("1000000001")]), db_path=db)
    assert search(db, SearchQuery(zip="02139")).total == 1  # caches a read connection
    rows = [files.provider("1000000002"), files.provider("1000000003")]
    ingest(files.write_nppes(tmp_path / "b.csv", rows), db_path=db)
    assert search(db, SearchQuery(zip="02139")).total == 2


def test_the_default_database_lives_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: SimpleNamespace
) -> None:
    from spinefx.cli import run
    from spinefx.web.settings import Settings

    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path / "here"))
    assert Settings().directory_db == tmp_path / "here" / "directory.duckdb"
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    assert run(["directory", "ingest", str(nppes)]) == 0
    assert (tmp_path / "here" / "directory.duckdb").exists()


def test_the_core_reads_no_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: SimpleNamespace
) -> None:
    # SPINEFX_DATA_DIR reaches the core only through Settings: a path given is the path used.
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path / "elsewhere"))
    db = tmp_path / "given" / "d.duckdb"
    ingest(files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")]), db_path=db)
    assert search(db, SearchQuery(zip="02139")).total == 1
    assert db.exists()
    assert not (tmp_path / "elsewhere").exists()
