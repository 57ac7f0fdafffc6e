"""Shared fixtures for the directory tests: tiny hand-written NPPES files and a demo database.

Every NPPES file written here starts with the real file's header, byte for byte, from
``tests/directory/cms/`` (its README says where each comes from).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from spinefx.directory.demo import load_demo
from spinefx.directory.nppes_header import NPPES_COLUMNS

DEMO_ROWS = 10_000  # the size the directory issue names for tests; built once a session

# The header lines of the real CMS files, byte for byte.
CMS_HEADERS = Path(__file__).parent / "cms"
NPIDATA_HEADER = "npidata_pfile_fileheader.csv"
LOCATIONS_HEADER = "pl_pfile_fileheader.csv"
OTHER_NAMES_HEADER = "othername_pfile_fileheader.csv"
ENDPOINT_HEADER = "endpoint_pfile_fileheader.csv"
MUP_2023_HEADER = "MUP_PHY_R25_P05_V20_D23_Prov_Svc_header.csv"


def real_header(name: str) -> bytes:
    """The header line (with its line ending) of the real CMS file ``name`` in ``cms/``."""
    return (CMS_HEADERS / name).read_bytes()


def real_columns(name: str) -> list[str]:
    """The column names of the real CMS file ``name`` in ``cms/``."""
    return next(csv.reader(io.StringIO(real_header(name).decode("utf-8"))))


# Short names for the columns the hand-written rows fill in.
FIELDS = {
    "npi": "NPI",
    "entity": "Entity Type Code",
    "org": "Provider Organization Name (Legal Business Name)",
    "last": "Provider Last Name (Legal Name)",
    "first": "Provider First Name",
    "credential": "Provider Credential Text",
    "addr1": "Provider First Line Business Practice Location Address",
    "city": "Provider Business Practice Location Address City Name",
    "state": "Provider Business Practice Location Address State Name",
    "postal": "Provider Business Practice Location Address Postal Code",
    "country": "Provider Business Practice Location Address Country Code (If outside U.S.)",
    "phone": "Provider Business Practice Location Address Telephone Number",
    "deactivated": "NPI Deactivation Date",
    "reactivated": "NPI Reactivation Date",
}
for _i in range(1, 16):
    FIELDS[f"tax{_i}"] = f"Healthcare Provider Taxonomy Code_{_i}"
    FIELDS[f"sw{_i}"] = f"Healthcare Provider Primary Taxonomy Switch_{_i}"


def provider(
    npi: str, postal: str = "02139", tax1: str = "207T00000X", **fields: str
) -> dict[str, str]:
    """One active individual provider row (neurosurgery at 02139 unless told otherwise)."""
    row = {
        "npi": npi,
        "entity": "1",
        "first": "Test",
        "last": f"Demo-{npi[-3:]}",
        "credential": "MD",
        "addr1": "1 DEMO STREET",
        "city": "CAMBRIDGE",
        "state": "MA",
        "postal": postal,
        "phone": "6175550100",
        "tax1": tax1,
        "sw1": "Y",
    }
    row.update(fields)
    return row


def write_nppes(
    path: Path,
    rows: Sequence[dict[str, str]],
    header: Sequence[str] = NPPES_COLUMNS,
    extra_lines: Sequence[str] = (),
) -> Path:
    """Write rows (short field names) in the NPPES format: every value double-quoted, under the
    real file's header line unless ``header`` names other columns."""
    text = nppes_text(rows, header) + "".join(line + "\n" for line in extra_lines)
    path.write_text(text, encoding="utf-8")
    return path


def write_locations(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    """A practice-location file (its real header) of rows in the header's column order."""
    path.write_bytes(real_header(LOCATIONS_HEADER) + _quoted_rows(rows).encode("utf-8"))
    return path


MUP_HEADER = "Rndrng_NPI,Rndrng_Prvdr_Last_Org_Name,HCPCS_Cd,Place_Of_Srvc,Tot_Benes,Tot_Srvcs"


def write_mup(path: Path, rows: Sequence[tuple[str, str, str, int, float]]) -> Path:
    """Rows of (npi, hcpcs, place of service, beneficiaries, services); columns by name."""
    lines = [MUP_HEADER]
    lines.extend(f"{n},Demo,{c},{p},{b},{s}" for n, c, p, b, s in rows)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _quoted_rows(rows: Sequence[Sequence[str]]) -> str:
    return "".join(",".join(f'"{v}"' for v in row) + "\n" for row in rows)


def _quoted_lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [",".join(f'"{name}"' for name in header)]
    lines.extend(",".join(f'"{v}"' for v in row) for row in rows)
    return "\n".join(lines) + "\n"


def nppes_text(rows: Sequence[dict[str, str]], header: Sequence[str] = NPPES_COLUMNS) -> str:
    """The NPPES main file's text for rows of short field names (every value quoted), under the
    real file's header line unless ``header`` names other columns."""
    values = []
    for row in rows:
        by_name = {FIELDS[key]: value for key, value in row.items()}
        values.append([by_name.get(name, "") for name in header])
    if tuple(header) == NPPES_COLUMNS:
        return real_header(NPIDATA_HEADER).decode("utf-8") + _quoted_rows(values)
    return _quoted_lines(header, values)


def write_release(
    path: Path,
    period: str,
    main_rows: Sequence[dict[str, str]],
    location_rows: Sequence[Sequence[str]] = (),
    other_name_rows: Sequence[Sequence[str]] = (),
    *,
    header_override: dict[str, str] | None = None,
) -> Path:
    """An NPPES archive as CMS ships it: the main, practice-location, other-name and endpoint
    files for ``period`` (such as ``20050523-20260308`` for a monthly file or
    ``20260309-20260315`` for a weekly one), each with its ``_fileheader.csv``, the Readme and
    code-values PDFs, every file DEFLATE-compressed, each file and header file starting with
    the real file's header line (``cms/``). ``header_override`` replaces the text of a
    header file (by its file name) to make a broken archive."""
    main = nppes_text(main_rows).split("\n", 1)[1]  # the rows, after the header
    files = {
        f"npidata_pfile_{period}.csv": (NPIDATA_HEADER, main),
        f"pl_pfile_{period}.csv": (LOCATIONS_HEADER, _quoted_rows(location_rows)),
        f"othername_pfile_{period}.csv": (OTHER_NAMES_HEADER, _quoted_rows(other_name_rows)),
        f"endpoint_pfile_{period}.csv": (ENDPOINT_HEADER, ""),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (header_file, rows) in files.items():
            header = real_header(header_file)
            archive.writestr(name, header + rows.encode("utf-8"))
            header_name = name.replace(".csv", "_fileheader.csv")
            header_text: str | bytes = header
            if header_override and header_name in header_override:
                header_text = header_override[header_name]
            archive.writestr(header_name, header_text)
        archive.writestr("NPPES_Data_Dissemination_Readme.pdf", b"%PDF-1.4 readme")
        archive.writestr("NPPES_Data_Dissemination_CodeValues.pdf", b"%PDF-1.4 code values")
    return path


@pytest.fixture
def files() -> SimpleNamespace:
    """The file writers above, for test modules (the import mode keeps them from importing)."""
    return SimpleNamespace(
        provider=provider,
        write_nppes=write_nppes,
        write_locations=write_locations,
        write_mup=write_mup,
        write_release=write_release,
        nppes_text=nppes_text,
        real_header=real_header,
        real_columns=real_columns,
    )


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo directory (a few thousand synthetic rows), built once for the session."""
    path = tmp_path_factory.mktemp("demo") / "directory.duckdb"
    load_demo(path, rows=DEMO_ROWS)
    return path
