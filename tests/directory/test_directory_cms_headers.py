"""The CMS files with their real headers, byte for byte (``cms/``), read end to end.

The real practice-location file has TWO spaces in ``Provider Secondary Practice Location
Address-  Address Line 2`` where the CMS layout document prints one; column names are matched
with runs of spaces collapsed and case folded, so both spellings (and other letter case, and
either line ending) load the same directory.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from spinefx.cli import run
from spinefx.directory import csvstream
from spinefx.directory import locations as locations_mod
from spinefx.directory import othernames as othernames_mod
from spinefx.directory import utilization as utilization_mod
from spinefx.directory.demo import MUP_COLUMNS
from spinefx.directory.nppes import ingest
from spinefx.directory.nppes_header import NPPES_COLUMNS
from spinefx.directory.report import Problems
from spinefx.directory.search import provider_info
from spinefx.errors import InputError

MONTH = "20050523-20260308"
MONTHLY = "NPPES_Data_Dissemination_March_2026_V2.zip"
WEEK = "20260309-20260315"
WEEKLY = "NPPES_Data_Dissemination_030926_031526_Weekly.zip"
MUP = "MUP_PHY_R25_P05_V20_D23_Prov_Svc.csv"

NPIDATA_HEADER = "npidata_pfile_fileheader.csv"
LOCATIONS_HEADER = "pl_pfile_fileheader.csv"
OTHER_NAMES_HEADER = "othername_pfile_fileheader.csv"
ENDPOINT_HEADER = "endpoint_pfile_fileheader.csv"
MUP_HEADER = "MUP_PHY_R25_P05_V20_D23_Prov_Svc_header.csv"
TWO_SPACES = "Provider Secondary Practice Location Address-  Address Line 2"


def test_the_kept_headers_are_the_columns_the_readers_know(files: SimpleNamespace) -> None:
    main = files.real_header(NPIDATA_HEADER)
    assert main == (",".join(f'"{name}"' for name in NPPES_COLUMNS) + "\n").encode()
    assert len(files.real_columns(NPIDATA_HEADER)) == 330
    locations = files.real_header(LOCATIONS_HEADER)
    assert f'"{TWO_SPACES}"'.encode() in locations
    assert files.real_columns(LOCATIONS_HEADER) == list(locations_mod.COLUMNS.values())
    assert files.real_columns(OTHER_NAMES_HEADER) == list(othernames_mod.COLUMNS.values())
    assert files.real_columns(ENDPOINT_HEADER)[:4] == [
        "NPI",
        "Endpoint Type",
        "Endpoint Type Description",
        "Endpoint",
    ]
    assert len(files.real_columns(ENDPOINT_HEADER)) == 19
    mup = files.real_columns(MUP_HEADER)
    assert mup == list(MUP_COLUMNS) and len(mup) == 28  # the demo writes the same header
    wanted = [*utilization_mod.COLUMNS.values(), *utilization_mod.OPTIONAL_COLUMNS.values()]
    assert set(wanted) <= set(mup)


def write_mup(path: Path, header: bytes, rows: list[dict[str, str]], newline: str = "\n") -> Path:
    """A Medicare by Provider and Service file: the given header line (the real one, or one
    respelled), then ``rows`` (by the real column names; the others empty), quoted only where a
    value needs it, as CMS writes them."""
    columns = list(MUP_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    path.write_bytes(header.replace(b"\n", newline.encode()) + out.getvalue().encode("utf-8"))
    return path


def mup_row(npi: str, code: str, place: str, benes: str, services: str) -> dict[str, str]:
    descriptions = {
        "22513": "Percutaneous vertebral augmentation, including cavity creation, thoracic",
        "22514": "Percutaneous vertebral augmentation, including cavity creation, lumbar",
    }
    return {
        "Rndrng_NPI": npi,
        "Rndrng_Prvdr_Last_Org_Name": f"Demo-{npi[-3:]}",
        "Rndrng_Prvdr_Ent_Cd": "I",
        "Rndrng_Prvdr_Type": "Neurosurgery",
        "HCPCS_Cd": code,
        "HCPCS_Desc": descriptions[code],
        "HCPCS_Drug_Ind": "N",
        "Place_Of_Srvc": place,
        "Tot_Benes": benes,
        "Tot_Srvcs": services,
    }


# In the real column order: NPI, address lines 1 and 2, city, state, postal code, country,
# telephone number and extension, fax.
SECOND_OFFICE = ["1000000003", "5 SECOND ST", "SUITE 200", "CAMBRIDGE", "MA", "021394307", "US",
                 "6175550199", "12", ""]  # fmt: skip


def monthly_rows(files: SimpleNamespace) -> dict[str, list]:
    return {
        "main": [
            files.provider("1000000001"),
            files.provider(
                "1000000002", entity="2", org="HARBOR SPINE HOLDINGS LLC", first="", last=""
            ),
            files.provider("1000000003", postal="10001", city="NEW YORK", state="NY"),
        ],
        "locations": [SECOND_OFFICE],
        "other_names": [["1000000002", "Harbor Spine Center", "3"]],
    }


def test_a_monthly_and_a_weekly_release_with_the_real_headers_load_end_to_end(
    tmp_path: Path, files: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    """The monthly archive (main, practice-location with its two-space column, other-name and
    endpoint files, each with its ``_fileheader.csv``) and the 28-column Medicare file, through
    ``spinefx directory ingest``; then a weekly archive of the same files through ``update``."""
    rows = monthly_rows(files)
    monthly = files.write_release(
        tmp_path / MONTHLY, MONTH, rows["main"], rows["locations"], rows["other_names"]
    )
    mup = write_mup(
        tmp_path / MUP,
        files.real_header(MUP_HEADER),
        [
            mup_row("1000000001", "22513", "F", "12", "14"),
            mup_row("1000000001", "22514", "O", "11", "11.0"),
        ],
    )
    db = tmp_path / "directory.duckdb"
    args = ["--utilization", str(mup), "--db", str(db), "--json"]
    assert run(["directory", "ingest", str(monthly), *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["rows_read"], report["kept"], report["malformed"]["count"]) == (3, 3, 0)
    assert report["locations"]["kept"] == 1 and report["locations"]["malformed"]["count"] == 0
    assert report["other_names"]["kept"] == 1
    assert report["utilization"]["procedure_rows"] == 2
    assert report["utilization"]["providers_with_volume"] == 1

    second = provider_info(db, "1000000003").locations
    assert [(loc.address, loc.zip, loc.phone) for loc in second] == [
        ("5 SECOND ST, SUITE 200", "02139", "617-555-0199 ext. 12")
    ]  # address line 2 read from the column with two spaces in its name
    assert provider_info(db, "1000000002").other_names == ["Harbor Spine Center"]
    volume = provider_info(db, "1000000001")
    assert (volume.bkp_services, volume.bkp_beneficiaries) == (25, 12)
    assert [(u.hcpcs, u.place_of_service) for u in volume.utilization] == [
        ("22513", "F"),
        ("22514", "O"),
    ]

    weekly = files.write_release(
        tmp_path / WEEKLY,
        WEEK,
        [
            {"npi": "1000000001", "deactivated": "03/10/2026"},  # the nearly empty row
            files.provider("1000000003", postal="10001", city="NEW YORK", state="NY"),
            files.provider("1000000004", tax1="2085R0204X"),
        ],
        [["1000000003", "7 THIRD AVE", "FLOOR 3", "CAMBRIDGE", "MA", "02138", "", "", "", ""]],
    )
    assert run(["directory", "update", str(weekly), "--db", str(db), "--json"]) == 0
    week = json.loads(capsys.readouterr().out)
    assert (week["added"], week["changed"], week["deactivated"]) == (1, 1, 1)
    assert week["week"]["locations"]["kept"] == 1
    assert [loc.address for loc in provider_info(db, "1000000003").locations] == [
        "7 THIRD AVE, FLOOR 3"
    ]


def _respelled(header: bytes, spelling: str) -> bytes:
    text = header.decode("utf-8")
    if spelling == "one space, as the layout document prints it":
        text = text.replace("Address-  Address", "Address- Address")
    elif spelling == "other case and spacing":
        text = text.upper().replace(" - ", "   -  ").replace('"NPI"', '"Npi"')
    return text.encode("utf-8")


SPELLINGS = ["as the real file", "one space, as the layout document prints it",
             "other case and spacing"]  # fmt: skip


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_the_headers_loads_the_same_directory(
    tmp_path: Path, files: SimpleNamespace, spelling: str, newline: str
) -> None:
    """The practice-location, other-name and Medicare files as separate files, their headers
    respelled, with either line ending: the same providers, locations, names and volume."""
    rows = monthly_rows(files)
    nppes = files.write_nppes(tmp_path / f"npidata_pfile_{MONTH}.csv", rows["main"])
    nppes.write_bytes(nppes.read_bytes().replace(b"\n", newline.encode()))
    locations = tmp_path / f"pl_pfile_{MONTH}.csv"
    body = "".join(",".join(f'"{v}"' for v in row) + newline for row in rows["locations"])
    header = _respelled(files.real_header(LOCATIONS_HEADER), spelling)
    locations.write_bytes(header.replace(b"\n", newline.encode()) + body.encode())
    names = tmp_path / f"othername_pfile_{MONTH}.csv"
    body = "".join(",".join(f'"{v}"' for v in row) + newline for row in rows["other_names"])
    header = _respelled(files.real_header(OTHER_NAMES_HEADER), spelling)
    names.write_bytes(header.replace(b"\n", newline.encode()) + body.encode())
    mup_header = files.real_header(MUP_HEADER)
    if spelling == "other case and spacing":
        mup_header = mup_header.lower().replace(b",", b" , ")
    mup = write_mup(
        tmp_path / MUP, mup_header, [mup_row("1000000001", "22513", "F", "12", "14")], newline
    )

    db = tmp_path / "directory.duckdb"
    report = ingest(
        nppes, db_path=db, utilization_csv=mup, locations_csv=locations, other_names_csv=names
    )
    assert (report.kept, report.malformed.count) == (3, 0)
    assert [loc.address for loc in provider_info(db, "1000000003").locations] == [
        "5 SECOND ST, SUITE 200"
    ]
    assert provider_info(db, "1000000002").other_names == ["Harbor Spine Center"]
    detail = provider_info(db, "1000000001")
    assert (detail.bkp_services, detail.utilization[0].place_of_service) == (14, "F")


def test_an_archive_whose_header_file_prints_one_space_is_read(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    """The data file's header and its ``_fileheader.csv`` are compared as the readers match
    names: a header file spelled as the layout document prints it is the same header."""
    rows = monthly_rows(files)
    one_space = _respelled(files.real_header(LOCATIONS_HEADER), SPELLINGS[1]).decode()
    monthly = files.write_release(
        tmp_path / MONTHLY,
        MONTH,
        rows["main"],
        rows["locations"],
        header_override={f"pl_pfile_{MONTH}_fileheader.csv": one_space},
    )
    db = tmp_path / "directory.duckdb"
    assert ingest(monthly, db_path=db).locations is not None
    assert [loc.address for loc in provider_info(db, "1000000003").locations] == [
        "5 SECOND ST, SUITE 200"
    ]


def test_a_column_named_twice_but_for_spacing_or_case_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('"NPI","npi","Note"\n"1000000001","1000000002","x"\n', encoding="utf-8")
    with pytest.raises(InputError, match="names each column once; it has 'NPI' and 'npi'"):
        list(csvstream.stream_columns(path, ["NPI"], malformed=Problems(), label="t"))
    with pytest.raises(InputError, match="names each column once"):
        list(csvstream.stream_ranges(path, ["NPI"], malformed=Problems(), label="t"))


def test_columns_come_out_under_the_names_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('"npi","A   Note "\n"1000000001","x"\n', encoding="utf-8")
    for read in (csvstream.stream_columns, csvstream.stream_ranges):
        (table,) = list(read(path, ["A note", "NPI"], malformed=Problems(), label="t"))
        assert table.column_names == ["A note", "NPI"]
        assert table.to_pylist() == [{"A note": "x", "NPI": "1000000001"}]
