"""Weekly updates on top of the monthly archive, in the formats CMS ships them."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from spinefx.cli import run
from spinefx.directory import update as update_mod
from spinefx.directory.nppes import ingest
from spinefx.directory.search import SearchQuery, provider_info, search
from spinefx.directory.store import directory_facts
from spinefx.directory.update import update
from spinefx.errors import DirectoryDamaged, InputError

MONTH = "20050523-20260308"
MONTHLY = "NPPES_Data_Dissemination_March_2026_V2.zip"
WEEK1 = "20260309-20260315"
WEEKLY1 = "NPPES_Data_Dissemination_030926_031526_Weekly.zip"
WEEK2_CSV = "npidata_pfile_20260316-20260322.csv"


def organization(files: SimpleNamespace, npi: str, name: str, **fields: str) -> dict[str, str]:
    return files.provider(npi, entity="2", org=name, first="", last="", credential="", **fields)


@pytest.fixture
def directory(tmp_path: Path, files: SimpleNamespace) -> Path:
    """A monthly directory: A and D in Cambridge (D with Medicare volume), the organisation B,
    C in New York with a second office in Cambridge."""
    monthly = files.write_release(
        tmp_path / MONTHLY,
        MONTH,
        [
            files.provider("1000000001"),
            organization(files, "1000000002", "HARBOR SPINE HOLDINGS LLC"),
            files.provider("1000000003", postal="10001"),
            files.provider("1000000004"),
        ],
        [["1000000003", "5 SECOND ST", "", "CAMBRIDGE", "MA", "02139", "", "", "", ""]],
        [["1000000002", "Harbor Spine Center", "3"]],
    )
    mup = files.write_mup(tmp_path / "mup.csv", [("1000000004", "22513", "F", 20, 31.0)])
    db = tmp_path / "directory.duckdb"
    ingest(monthly, db_path=db, utilization_csv=mup)
    return db


@pytest.fixture
def weekly1(tmp_path: Path, files: SimpleNamespace) -> Path:
    """Week 1: A moves to 02138, D is deactivated, E is new, F is not ours, B gets a name."""
    return files.write_release(
        tmp_path / WEEKLY1,
        WEEK1,
        [
            files.provider("1000000001", postal="02138", addr1="9 NEW ROAD"),
            organization(files, "1000000002", "HARBOR SPINE HOLDINGS LLC"),
            {"npi": "1000000004", "deactivated": "03/10/2026"},  # the nearly empty row
            files.provider("1000000005", postal="02139"),
            files.provider("1000000006", tax1="363L00000X"),  # a nurse practitioner
        ],
        [],
        [
            ["1000000002", "Harbor Spine Center", "3"],
            ["1000000002", "Cambridge Kyphoplasty Clinic", "3"],
        ],
    )


@pytest.fixture
def weekly2(tmp_path: Path, files: SimpleNamespace) -> Path:
    """Week 2, the main file alone: D reactivated, C no longer of our specialties."""
    return files.write_nppes(
        tmp_path / WEEK2_CSV,
        [
            files.provider("1000000004", deactivated="03/10/2026", reactivated="03/18/2026"),
            files.provider("1000000003", postal="10001", tax1="363L00000X"),
        ],
    )


def npis(db: Path, **query: object) -> list[str]:
    result = search(db, SearchQuery(zip="02139", radius=10, **query))  # type: ignore[arg-type]
    return [hit.npi for hit in result.results]


def test_weekly_updates_replace_remove_and_restore(
    directory: Path, weekly1: Path, weekly2: Path
) -> None:
    # C is found at its second office, in Cambridge.
    assert npis(directory) == ["1000000004", "1000000001", "1000000002", "1000000003"]

    first = update(weekly1, db_path=directory)
    assert (first.rows_read, first.added, first.changed, first.deactivated) == (5, 1, 2, 1)
    assert (first.restored, first.removed_other, first.ignored) == (0, 0, 1)
    assert (first.providers_before, first.providers_after) == (4, 4)
    assert "1000000004" not in npis(directory)
    assert provider_info(directory, "1000000001").address == "9 NEW ROAD"
    assert provider_info(directory, "1000000001").zip == "02138"
    assert provider_info(directory, "1000000002").other_names == [
        "Cambridge Kyphoplasty Clinic",
        "Harbor Spine Center",
    ]
    assert npis(directory, name="kyphoplasty clinic") == ["1000000002"]
    # C was not in the week: its row and its second office stay.
    assert [loc.city for loc in provider_info(directory, "1000000003").locations] == ["CAMBRIDGE"]

    second = update(weekly2, db_path=directory)
    assert (second.restored, second.removed_other, second.changed, second.added) == (1, 1, 0, 0)
    restored = provider_info(directory, "1000000004")
    assert restored.bkp_services == 31  # its Medicare volume comes back with it
    with pytest.raises(InputError):
        provider_info(directory, "1000000003")
    facts = directory_facts(directory)
    assert facts.built_from == MONTHLY
    assert facts.weekly == (WEEKLY1, WEEK2_CSV)


def table_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("meta", "providers", "provider_taxonomies", "locations", "other_names")
        }
    finally:
        conn.close()


def test_a_failed_update_leaves_the_directory_as_it_was(
    directory: Path, weekly1: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = table_rows(directory)
    real = update_mod._apply

    def failing(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(update_mod, "_apply", failing)
    with pytest.raises(OSError, match="disk full"):
        update(weekly1, db_path=directory)
    assert table_rows(directory) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_weekly_file_that_is_not_one_changes_nothing(
    directory: Path, tmp_path: Path, files: SimpleNamespace
) -> None:
    before = table_rows(directory)
    wrong = tmp_path / "npidata_pfile_20260309-20260315.csv"
    wrong.write_text('"NPI","Something"\n"1000000001","x"\n', encoding="utf-8")
    with pytest.raises(InputError, match="missing columns"):
        update(wrong, db_path=directory)
    assert table_rows(directory) == before


def test_the_cli_updates_and_says_what_the_directory_is_built_from(
    directory: Path, weekly1: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["directory", "update", str(weekly1), "--db", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "Weekly update applied" in out and "deactivated (removed)" in out
    assert run(["directory", "info", "--db", str(directory)]) == 0
    out = capsys.readouterr().out
    assert f"Built from {MONTHLY}" in out
    assert WEEKLY1 in out
    assert run(["directory", "info", "--db", str(directory), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["weekly_updates"] == [WEEKLY1]
    assert data["providers"] == 4


def test_a_directory_of_an_older_format_is_refused_until_rebuilt(
    directory: Path, weekly1: Path
) -> None:
    conn = duckdb.connect(str(directory))
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.close()
    before = table_rows(directory)
    with pytest.raises(DirectoryDamaged, match="another version of spinefx"):
        update(weekly1, db_path=directory)
    with pytest.raises(DirectoryDamaged, match="rebuild it"):
        search(directory, SearchQuery(zip="02139"))
    assert table_rows(directory) == before


def week_file(files: SimpleNamespace, tmp_path: Path, name: str) -> Path:
    """A one-row weekly main file named ``name``: a new neurosurgeon at 02139."""
    return files.write_nppes(tmp_path / name, [files.provider("1000000009")])


def test_a_week_applied_again_or_older_than_the_newest_is_refused(
    directory: Path, weekly1: Path, weekly2: Path, tmp_path: Path, files: SimpleNamespace
) -> None:
    update(weekly1, db_path=directory)
    before = table_rows(directory)
    with pytest.raises(InputError, match=r"ending after 2026-03-15, the end of the newest week"):
        update(weekly1, db_path=directory)  # the same week again
    assert table_rows(directory) == before

    update(weekly2, db_path=directory)
    before = table_rows(directory)
    older = week_file(files, tmp_path, "npidata_pfile_20260309-20260315.csv")
    with pytest.raises(InputError) as refused:
        update(older, db_path=directory)
    assert refused.value.field == "WEEKLY"
    assert "ending after 2026-03-22, the end of the newest week applied" in str(refused.value)
    assert table_rows(directory) == before
    assert directory_facts(directory).weekly == (WEEKLY1, WEEK2_CSV)


def test_a_week_inside_the_monthly_file_is_refused_unless_forced(
    directory: Path, tmp_path: Path, files: SimpleNamespace
) -> None:
    assert directory_facts(directory).built_through == "2026-03-08"
    before = table_rows(directory)
    inside = week_file(files, tmp_path, "npidata_pfile_20260302-20260308.csv")
    with pytest.raises(InputError, match=r"ending after 2026-03-08, the end of the monthly file"):
        update(inside, db_path=directory)
    with pytest.raises(InputError, match=MONTHLY):
        update(inside, db_path=directory)
    assert table_rows(directory) == before

    forced = update(inside, db_path=directory, force=True)
    assert forced.added == 1
    assert directory_facts(directory).weekly == ("npidata_pfile_20260302-20260308.csv",)


def test_a_week_whose_name_gives_no_dates_is_refused_unless_forced(
    directory: Path, tmp_path: Path, files: SimpleNamespace
) -> None:
    before = table_rows(directory)
    undated = week_file(files, tmp_path, "this_week.csv")
    with pytest.raises(InputError, match="named as CMS names it"):
        update(undated, db_path=directory)
    assert table_rows(directory) == before
    assert update(undated, db_path=directory, force=True).added == 1


def test_a_renamed_weekly_archive_is_dated_by_its_main_file(
    directory: Path, weekly1: Path, tmp_path: Path
) -> None:
    renamed = weekly1.rename(tmp_path / "week-one.zip")
    assert update(renamed, db_path=directory).added == 1
    with pytest.raises(InputError, match="newest week applied"):
        update(renamed, db_path=directory)


def test_the_cli_refuses_a_week_out_of_order_in_one_line_with_status_2(
    directory: Path, weekly1: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["directory", "update", str(weekly1), "--db", str(directory)]) == 0
    capsys.readouterr()
    before = table_rows(directory)
    assert run(["directory", "update", str(weekly1), "--db", str(directory)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: WEEKLY: got '{WEEKLY1}'")
    assert "2026-03-15" in lines[0] and "--force" in lines[0]
    assert table_rows(directory) == before

    assert run(["directory", "update", str(weekly1), "--db", str(directory), "--force"]) == 0
    assert directory_facts(directory).weekly == (WEEKLY1, WEEKLY1)


def test_info_says_when_the_monthly_file_ends(
    directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["directory", "info", "--db", str(directory)]) == 0
    assert "(changes through 2026-03-08)" in capsys.readouterr().out
    assert run(["directory", "info", "--db", str(directory), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["built_through"] == "2026-03-08"
