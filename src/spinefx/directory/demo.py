"""A deterministic synthetic sample of the NPPES and Medicare files, and a loader for it.

No real NPPES file can be shipped, so ``spinefx directory demo`` writes a seeded random sample
in the real formats and loads it through the same :func:`~spinefx.directory.nppes.ingest` path:

- ``npidata_pfile_demo.csv``: the exact 330-column header, every value double-quoted,
  MM/DD/YYYY dates, 5- or 9-digit ZIP codes, deactivated (nearly empty) and reactivated rows,
  non-US addresses, taxonomy codes we do not map (and, when a test asks, rows cut short);
- ``pl_pfile_demo.csv``: secondary practice locations, with byte-identical duplicate rows;
- ``othername_pfile_demo.csv``: other names of about half the organisations, "doing business as"
  (type 3) and other (type 5) names, and former legal names (type 4, which the directory leaves
  out), so that a name search finds a clinic under the name on its door;
- ``MUP_PHY_demo_D23_Prov_Svc.csv``: Medicare procedure rows for 22510-22515, including NPIs that
  are not in the main file.

Every name is fictional ("Demo-" surnames, "(fictional)" organizations); addresses sit at real
ZIP codes, a quarter of them around Boston and Cambridge (so ``--zip 02139`` finds many), the
rest over other metros and the whole country. Columns are built as Arrow arrays with vectorised
compute (no loop per row) and written with Arrow's CSV writer, so a million rows take seconds.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from spinefx.directory.csvstream import ProgressFn
from spinefx.directory.geo import _centroids, haversine_miles, zip_rows
from spinefx.directory.locations import COLUMNS as LOCATION_COLUMNS
from spinefx.directory.nppes import ingest
from spinefx.directory.nppes_header import NPPES_COLUMNS
from spinefx.directory.othernames import COLUMNS as OTHER_NAME_COLUMNS
from spinefx.directory.report import IngestReport
from spinefx.directory.taxonomy import BKP_SPECIALTIES, TAXONOMY_TO_SPECIALTY

__all__ = ["DEFAULT_ROWS", "DEFAULT_SEED", "DemoFiles", "load_demo", "write_demo_files"]

DEFAULT_ROWS = 10_000
DEFAULT_SEED = 20_150_101
CHUNK_ROWS = 100_000

# (center ZIP, share of rows, radius in miles of the ZIP codes drawn around it)
METROS: tuple[tuple[str, float, float], ...] = (
    ("02139", 0.25, 25),  # Cambridge / Boston
    ("10016", 0.12, 15),  # New York
    ("60611", 0.09, 20),  # Chicago
    ("77030", 0.07, 20),  # Houston
    ("90033", 0.09, 20),  # Los Angeles
    ("85006", 0.05, 20),  # Phoenix
    ("30322", 0.05, 20),  # Atlanta
    ("98104", 0.05, 20),  # Seattle
    ("33136", 0.05, 20),  # Miami
    ("80045", 0.04, 20),  # Denver
)
NATIONAL_SHARE = 1.0 - sum(share for _, share, _ in METROS)

FIRST_NAMES = (
    "Alex", "Avery", "Blair", "Casey", "Dana", "Drew", "Emerson", "Finley", "Harper", "Jordan",
    "Kai", "Logan", "Morgan", "Parker", "Quinn", "Reese", "Riley", "Rowan", "Sage", "Taylor",
)  # fmt: skip
SURNAMES = (
    "Alder", "Birch", "Cedar", "Dover", "Ellis", "Fenwick", "Garland", "Hollis", "Ives", "Juniper",
    "Kestrel", "Linden", "Marlow", "Northby", "Oakes", "Pember", "Quill", "Rook", "Sorrel",
    "Thorne", "Underhill", "Vale", "Wren", "Yarrow",
)  # fmt: skip
CREDENTIALS = ("M.D.", "MD", "D.O.", "DO", "M.D., PH.D.", "", "MD, FACS")
ORG_WORDS = ("Harbor", "Summit", "Riverside", "Lakeside", "Granite", "Meadow", "Beacon", "Crest")
ORG_KINDS = ("Spine Center", "Pain Clinic", "Orthopedic Group", "Radiology Associates",
             "Bone Health Clinic", "Neurosurgery Partners", "Medical Group")  # fmt: skip
# The other names of organisations (the other-name file): fictional, and never a legal name.
DBA_WORDS = ("Bayview", "Brookside", "Elmwood", "Hillcrest", "Kingsbridge", "Northgate",
             "Stonegate", "Westfield")  # fmt: skip
DBA_KINDS = ("Back & Spine Care", "Kyphoplasty Center", "Spine Institute", "Bone & Joint Clinic",
             "Fracture Care Center", "Pain Relief Center")  # fmt: skip
STREETS = ("Maple", "Elm", "Harbor", "Mill", "Chestnut", "Union", "Prospect", "Bridge", "Spring")
STREET_KINDS = ("Street", "Avenue", "Road", "Boulevard", "Way")
FOREIGN = (  # (country, city, state, postal code)
    ("CA", "TORONTO (FICTIONAL)", "ON", "M5V3L9"),
    ("DE", "BERLIN (FICTIONAL)", "ZZ", "10115"),
    ("MX", "MONTERREY (FICTIONAL)", "ZZ", "64000"),
    ("JP", "OSAKA (FICTIONAL)", "ZZ", "5300001"),
)
UNMAPPED_CODES = ("363L00000X", "122300000X", "225100000X", "207V00000X", "2084N0400X",
                  "261QM1300X", "163W00000X", "207N00000X")  # fmt: skip
MAPPED_WEIGHTS = {  # relative weight of each of our codes among mapped picks
    "207X00000X": 6, "207XS0117X": 3, "207XX0801X": 1, "207T00000X": 5, "2085R0204X": 4,
    "2085N0700X": 2, "207LP2900X": 4, "2081P2900X": 2, "2084P2900X": 1, "208VP0000X": 2,
    "208VP0014X": 3, "208100000X": 3, "207RE0101X": 3, "207RR0500X": 3, "207Q00000X": 6,
    "207R00000X": 6, "208D00000X": 1, "207RG0300X": 1, "207QG0300X": 1,
}  # fmt: skip
BKP_CODES_BY_SPECIALTY = tuple(c for c, s in TAXONOMY_TO_SPECIALTY.items() if s in BKP_SPECIALTIES)

MUP_COLUMNS = (
    "Rndrng_NPI", "Rndrng_Prvdr_Last_Org_Name", "Rndrng_Prvdr_First_Name", "Rndrng_Prvdr_MI",
    "Rndrng_Prvdr_Crdntls", "Rndrng_Prvdr_Ent_Cd", "Rndrng_Prvdr_St1", "Rndrng_Prvdr_St2",
    "Rndrng_Prvdr_City", "Rndrng_Prvdr_State_Abrvtn", "Rndrng_Prvdr_State_FIPS",
    "Rndrng_Prvdr_Zip5", "Rndrng_Prvdr_RUCA", "Rndrng_Prvdr_RUCA_Desc", "Rndrng_Prvdr_Cntry",
    "Rndrng_Prvdr_Type", "Rndrng_Prvdr_Mdcr_Prtcptg_Ind", "HCPCS_Cd", "HCPCS_Desc",
    "HCPCS_Drug_Ind", "Place_Of_Srvc", "Tot_Benes", "Tot_Srvcs", "Tot_Bene_Day_Srvcs",
    "Avg_Sbmtd_Chrg", "Avg_Mdcr_Alowd_Amt", "Avg_Mdcr_Pymt_Amt", "Avg_Mdcr_Stdzd_Amt",
)  # fmt: skip
MUP_CODES = (  # code, description, share of eligible providers billing it
    ("22513", "Percutaneous vertebral augmentation, thoracic", 0.8),
    ("22514", "Percutaneous vertebral augmentation, lumbar", 0.7),
    ("22515", "Percutaneous vertebral augmentation, each additional level", 0.3),
    ("22511", "Percutaneous vertebroplasty, lumbosacral", 0.3),
)


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the four generated files."""

    npidata: Path
    locations: Path
    utilization: Path
    other_names: Path


class _Rng:
    """Seeded uniform draws as Arrow arrays: one independent stream per named feature."""

    def __init__(self, seed: int, chunk: int) -> None:
        self.base = (seed * 7_919 + chunk * 104_729) % (2**62)
        self.count = 0

    def uniform(self, n: int) -> pa.Array:
        self.count += 1
        return pc.random(n, initializer=self.base + self.count)


def _pick(pool: pa.Array, u: pa.Array) -> pa.Array:
    idx = pc.cast(pc.floor(pc.multiply(u, len(pool))), pa.int64())
    return pool.take(idx)


def _int_between(u: pa.Array, low: int, high: int) -> pa.Array:
    """Integers in [low, high] from uniform draws."""
    return pc.add(pc.cast(pc.floor(pc.multiply(u, high - low + 1)), pa.int64()), low)


def _digits(u: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(_int_between(u, 0, 10**width - 1), pa.string()), width, "0")


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _date(rng: _Rng, n: int, first_year: int, last_year: int) -> pa.Array:
    month = pc.utf8_lpad(pc.cast(_int_between(rng.uniform(n), 1, 12), pa.string()), 2, "0")
    day = pc.utf8_lpad(pc.cast(_int_between(rng.uniform(n), 1, 28), pa.string()), 2, "0")
    year = pc.cast(_int_between(rng.uniform(n), first_year, last_year), pa.string())
    return _join(month, "/", day, "/", year)


@lru_cache(maxsize=8)
def _zip_pool(seed: int, size: int = 4_000) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """Parallel arrays (zip, city, state, area code) drawn with the metro shares."""
    rng = random.Random(seed)
    info = {row["zip_code"]: row for row in zip_rows()}
    known = _centroids()
    standard = sorted(z for z, row in info.items() if row["zip_code_type"] == "STANDARD"
                      and z in known and row["active"])  # fmt: skip
    picks: list[str] = []
    for center, share, miles in METROS:
        c = known[center]
        near = [z for z in standard
                if haversine_miles(c.lat, c.lon, known[z].lat, known[z].lon) <= miles]  # fmt: skip
        near.sort()
        picks.extend(rng.choice(near) for _ in range(round(share * size)))
    picks.extend(rng.choice(standard) for _ in range(size - len(picks)))
    rng.shuffle(picks)
    area = [(info[z]["area_codes"] or ["617"])[0] for z in picks]
    return (
        pa.array(picks, pa.string()),
        pa.array([info[z]["city"].upper() for z in picks], pa.string()),
        pa.array([info[z]["state"] for z in picks], pa.string()),
        pa.array(area, pa.string()),
    )


def _weighted_pool(weights: dict[str, int]) -> pa.Array:
    return pa.array([code for code, w in weights.items() for _ in range(w)], pa.string())


def _with_our_share(
    codes: dict[int, pa.Array], n_codes: pa.Array, our_share: float, rng: _Rng
) -> dict[int, pa.Array]:
    """Redraw the taxonomy slots so that a share ``our_share`` of rows carries one of our codes.

    Rows drawn as "ours" keep their codes, with slot 1 set to one of ours when no present slot
    holds one; the other rows get codes we do not map in every slot. A separate random stream
    is used, so the rest of the row is the same as without a share.
    """
    n = len(n_codes)
    mapped_pool = _weighted_pool(MAPPED_WEIGHTS)
    unmapped_pool = pa.array(UNMAPPED_CODES)
    mapped_set = pa.array(sorted(MAPPED_WEIGHTS))
    ours = pc.less(rng.uniform(n), our_share)
    has_ours = pa.array([False] * n)
    for slot, code in codes.items():
        present = pc.greater_equal(n_codes, slot)
        has_ours = pc.or_(has_ours, pc.and_(present, pc.is_in(code, value_set=mapped_set)))
    result: dict[int, pa.Array] = {}
    for slot, code in codes.items():
        other = _pick(unmapped_pool, rng.uniform(n))
        code = pc.if_else(pc.and_(pc.invert(ours), pc.is_in(code, value_set=mapped_set)),
                          other, code)  # fmt: skip
        if slot == 1:
            forced = _pick(mapped_pool, rng.uniform(n))
            code = pc.if_else(pc.and_(ours, pc.invert(has_ours)), forced, code)
        result[slot] = code
    return result


def _npidata_chunk(
    start: int, n: int, seed: int, our_share: float | None = None
) -> tuple[pa.Table, dict[str, pa.Array]]:
    """One chunk of main-file rows, and the columns the companion files reuse."""
    rng = _Rng(seed, start)
    empty = pa.array([""] * n, pa.string())
    index = pa.array(range(start, start + n), pa.int64())
    npi = pc.cast(pc.add(pc.multiply(index, 37), 1_000_000_000 + seed % 37), pa.string())

    kind = rng.uniform(n)
    deactivated = pc.less(kind, 0.02)
    reactivated = pc.and_(pc.greater_equal(kind, 0.02), pc.less(kind, 0.026))
    bad_npi = pc.and_(pc.greater_equal(kind, 0.026), pc.less(kind, 0.0263))
    bad_entity = pc.and_(pc.greater_equal(kind, 0.0263), pc.less(kind, 0.0266))
    foreign = pc.and_(pc.greater_equal(kind, 0.03), pc.less(kind, 0.04))
    unknown_zip = pc.and_(pc.greater_equal(kind, 0.04), pc.less(kind, 0.043))
    npi = pc.if_else(bad_npi, pc.utf8_slice_codeunits(npi, 0, 9), npi)

    is_org = pc.less(rng.uniform(n), 0.15)
    entity = pc.if_else(is_org, "2", "1")
    entity = pc.if_else(bad_entity, "X", entity)

    first = _pick(pa.array(FIRST_NAMES), rng.uniform(n))
    last = _join("Demo-", _pick(pa.array(SURNAMES), rng.uniform(n)))
    credential = _pick(pa.array(CREDENTIALS), rng.uniform(n))
    org = _join(
        "Demo ",
        _pick(pa.array(ORG_WORDS), rng.uniform(n)),
        " ",
        _pick(pa.array(ORG_KINDS), rng.uniform(n)),
        " (fictional)",
    )
    sex = _pick(pa.array(["F", "M"]), rng.uniform(n))

    zips, cities, states, areas = _zip_pool(seed)
    where = pc.cast(pc.floor(pc.multiply(rng.uniform(n), len(zips))), pa.int64())
    zip5, city, state, area = (
        zips.take(where),
        cities.take(where),
        states.take(where),
        areas.take(where),
    )
    postal = pc.if_else(pc.less(rng.uniform(n), 0.4), _join(zip5, _digits(rng.uniform(n), 4)), zip5)
    postal = pc.if_else(unknown_zip, "00000", postal)
    fidx = _int_between(rng.uniform(n), 0, len(FOREIGN) - 1)
    f_country, f_city, f_state, f_postal = (
        pa.array([f[i] for f in FOREIGN]).take(fidx) for i in range(4)
    )
    country = pc.if_else(foreign, f_country, empty)
    city = pc.if_else(foreign, f_city, city)
    state = pc.if_else(foreign, f_state, state)
    postal = pc.if_else(foreign, f_postal, postal)
    street = _join(
        pc.cast(_int_between(rng.uniform(n), 1, 2999), pa.string()),
        " DEMO ",
        _pick(pa.array([s.upper() for s in STREETS]), rng.uniform(n)),
        " ",
        _pick(pa.array([s.upper() for s in STREET_KINDS]), rng.uniform(n)),
    )
    suite = pc.if_else(
        pc.less(rng.uniform(n), 0.3),
        _join("SUITE ", pc.cast(_int_between(rng.uniform(n), 100, 900), pa.string())),
        empty,
    )
    phone = _join(area, "55501", _digits(rng.uniform(n), 2))

    # Taxonomies: one to three codes, about half of them outside our specialties.
    mapped_pool = _weighted_pool(MAPPED_WEIGHTS)
    unmapped_pool = pa.array(UNMAPPED_CODES)
    n_codes = pc.add(
        pc.add(pc.cast(pc.less(rng.uniform(n), 0.35), pa.int64()), 1),
        pc.cast(pc.less(rng.uniform(n), 0.1), pa.int64()),
    )
    primary_at = pc.add(
        pc.cast(pc.floor(pc.multiply(rng.uniform(n), pc.cast(n_codes, pa.float64()))), pa.int64()),
        1,
    )
    codes: dict[int, pa.Array] = {}
    for slot in (1, 2, 3):
        codes[slot] = pc.if_else(
            pc.less(rng.uniform(n), 0.5 if slot == 1 else 0.4),
            _pick(unmapped_pool, rng.uniform(n)),
            _pick(mapped_pool, rng.uniform(n)),
        )
    if our_share is not None:
        codes = _with_our_share(codes, n_codes, our_share, _Rng(seed + 3, start))
    taxonomy: dict[str, pa.Array] = {}
    for slot in (1, 2, 3):
        code = codes[slot]
        present = pc.greater_equal(n_codes, slot)
        taxonomy[f"Healthcare Provider Taxonomy Code_{slot}"] = pc.if_else(present, code, empty)
        taxonomy[f"Healthcare Provider Primary Taxonomy Switch_{slot}"] = pc.if_else(
            present, pc.if_else(pc.equal(primary_at, slot), "Y", "N"), empty
        )
        taxonomy[f"Provider License Number_{slot}"] = pc.if_else(
            present, _join("DEMO", _digits(rng.uniform(n), 6)), empty
        )
        taxonomy[f"Provider License Number State Code_{slot}"] = pc.if_else(present, state, empty)

    enumerated = _date(rng, n, 2005, 2014)
    updated = _date(rng, n, 2015, 2025)
    deactivation = pc.if_else(
        deactivated,
        _date(rng, n, 2010, 2024),
        pc.if_else(reactivated, _date(rng, n, 2008, 2012), empty),
    )
    reactivation = pc.if_else(reactivated, _date(rng, n, 2013, 2024), empty)

    individual = pc.equal(entity, "1")
    values: dict[str, pa.Array] = {
        "Entity Type Code": entity,
        "Provider Organization Name (Legal Business Name)": pc.if_else(is_org, org, empty),
        "Provider Last Name (Legal Name)": pc.if_else(individual, last, empty),
        "Provider First Name": pc.if_else(individual, first, empty),
        "Provider Credential Text": pc.if_else(individual, credential, empty),
        "Provider First Line Business Mailing Address": street,
        "Provider Business Mailing Address City Name": city,
        "Provider Business Mailing Address State Name": state,
        "Provider Business Mailing Address Postal Code": postal,
        "Provider Business Mailing Address Country Code (If outside U.S.)": country,
        "Provider Business Mailing Address Telephone Number": phone,
        "Provider First Line Business Practice Location Address": street,
        "Provider Second Line Business Practice Location Address": suite,
        "Provider Business Practice Location Address City Name": city,
        "Provider Business Practice Location Address State Name": state,
        "Provider Business Practice Location Address Postal Code": postal,
        "Provider Business Practice Location Address Country Code (If outside U.S.)": country,
        "Provider Business Practice Location Address Telephone Number": phone,
        "Provider Enumeration Date": enumerated,
        "Last Update Date": updated,
        "NPI Reactivation Date": reactivation,
        "Provider Sex Code": pc.if_else(individual, sex, empty),
        "Authorized Official Last Name": pc.if_else(is_org, last, empty),
        "Authorized Official First Name": pc.if_else(is_org, first, empty),
        "Authorized Official Title or Position": pc.if_else(is_org, "DIRECTOR (FICTIONAL)", empty),
        "Authorized Official Telephone Number": pc.if_else(is_org, phone, empty),
        **taxonomy,
    }
    # Deactivated NPIs are nearly empty rows: NPI and deactivation date only.
    columns: dict[str, pa.Array] = {
        name: pc.if_else(deactivated, empty, array) for name, array in values.items()
    }
    columns["NPI"] = npi
    columns["NPI Deactivation Date"] = deactivation
    table = pa.table({name: columns.get(name, empty) for name in NPPES_COLUMNS})
    alive = pc.invert(pc.or_(deactivated, pc.or_(bad_npi, bad_entity)))
    shared = {
        "npi": npi,
        "alive": alive,
        "entity": entity,
        "first": first,
        "last": last,
        "org": org,
        "credential": credential,
        "city": city,
        "state": state,
        "zip5": zip5,
        "street": street,
        "bkp": pc.and_(alive, pc.is_in(
            taxonomy["Healthcare Provider Taxonomy Code_1"],
            value_set=pa.array(BKP_CODES_BY_SPECIALTY),
        )),
        "area": area,
    }  # fmt: skip
    return table, shared


def _quoted_header(names: tuple[str, ...] | list[str]) -> bytes:
    return (",".join(f'"{name}"' for name in names) + "\n").encode()


def _csv_bytes(table: pa.Table, quoting: str) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(
        table,
        sink,
        write_options=pacsv.WriteOptions(include_header=False, quoting_style=quoting),
    )
    data: bytes = sink.getvalue().to_pybytes()
    return data


def _location_rows(shared: dict[str, pa.Array], seed: int, start: int) -> pa.Table | None:
    rng = _Rng(seed + 1, start)
    n = len(shared["npi"])
    chosen = pc.and_(shared["alive"], pc.less(rng.uniform(n), 0.12))
    if not pc.any(chosen).as_py():
        return None
    npi = shared["npi"].filter(chosen)
    m = len(npi)
    zips, cities, states, areas = _zip_pool(seed)
    where = pc.cast(pc.floor(pc.multiply(rng.uniform(m), len(zips))), pa.int64())
    empty = pa.array([""] * m, pa.string())
    street = _join(
        pc.cast(_int_between(rng.uniform(m), 1, 2999), pa.string()),
        " DEMO ",
        _pick(pa.array([s.upper() for s in STREETS]), rng.uniform(m)),
        " STREET",
    )
    values = {
        "npi": npi,
        "addr1": street,
        "addr2": empty,
        "city": cities.take(where),
        "state": states.take(where),
        "postal": zips.take(where),
        "country": empty,
        "phone": _join(areas.take(where), "55501", _digits(rng.uniform(m), 2)),
        "ext": empty,
        "fax": empty,
    }
    table = pa.table({LOCATION_COLUMNS[k]: v for k, v in values.items()})
    # The real file repeats some rows byte for byte: so does the sample.
    duplicated = table.filter(pc.less(rng.uniform(m), 0.25))
    return pa.concat_tables([table, duplicated])


def _other_name_rows(shared: dict[str, pa.Array], seed: int, start: int) -> pa.Table | None:
    """Other names of about half the organisations: a "doing business as" name (type 3), for
    some a second, other name (type 5), and for some a former legal name (type 4)."""
    rng = _Rng(seed + 4, start)  # a stream of its own: the other files stay as they were
    n = len(shared["npi"])
    orgs = pc.and_(shared["alive"], pc.equal(shared["entity"], "2"))
    parts: list[pa.Table] = []
    for type_code, share in (("3", 0.5), ("5", 0.1), ("4", 0.1)):
        chosen = pc.and_(orgs, pc.less(rng.uniform(n), share))
        m = pc.sum(chosen).as_py() or 0
        if not m:
            continue
        words = _pick(pa.array(DBA_WORDS), rng.uniform(m))
        kinds = _pick(pa.array(DBA_KINDS), rng.uniform(m))
        if type_code == "4":  # the name before the organisation's current legal name
            names = _join(words, " ", kinds, " Associates Inc (former, fictional)")
        else:
            names = _join(words, " ", kinds, " (fictional)")
        values = {
            "npi": shared["npi"].filter(chosen),
            "name": names,
            "type_code": pa.array([type_code] * m, pa.string()),
        }
        parts.append(pa.table({OTHER_NAME_COLUMNS[k]: v for k, v in values.items()}))
    return pa.concat_tables(parts) if parts else None


def _mup_rows(shared: dict[str, pa.Array], seed: int, start: int) -> pa.Table | None:
    rng = _Rng(seed + 2, start)
    n = len(shared["npi"])
    # Most BKP specialists bill some volume; a few NPIs billing it are not in the main file.
    eligible = pc.and_(shared["bkp"], pc.less(rng.uniform(n), 0.6))
    parts: list[pa.Table] = []
    for code, description, share in MUP_CODES:
        rows = pc.and_(eligible, pc.less(rng.uniform(n), share))
        m = pc.sum(rows).as_py() or 0
        if not m:
            continue
        benes = _int_between(rng.uniform(m), 11, 80)
        services = pc.add(benes, _int_between(rng.uniform(m), 0, 40))
        empty = pa.array([""] * m, pa.string())
        pick = {k: v.filter(rows) for k, v in shared.items() if k != "alive"}
        is_org = pc.equal(pick["entity"], "2")
        values = {
            "Rndrng_NPI": pick["npi"],
            "Rndrng_Prvdr_Last_Org_Name": pc.if_else(is_org, pick["org"], pick["last"]),
            "Rndrng_Prvdr_First_Name": pc.if_else(is_org, empty, pick["first"]),
            "Rndrng_Prvdr_Crdntls": pc.if_else(is_org, empty, pick["credential"]),
            "Rndrng_Prvdr_Ent_Cd": pc.if_else(is_org, "O", "I"),
            "Rndrng_Prvdr_St1": pick["street"],
            "Rndrng_Prvdr_City": pick["city"],
            "Rndrng_Prvdr_State_Abrvtn": pick["state"],
            "Rndrng_Prvdr_Zip5": pick["zip5"],
            "Rndrng_Prvdr_Cntry": pa.array(["US"] * m),
            "Rndrng_Prvdr_Mdcr_Prtcptg_Ind": pa.array(["Y"] * m),
            "HCPCS_Cd": pa.array([code] * m),
            "HCPCS_Desc": pa.array([description] * m),
            "HCPCS_Drug_Ind": pa.array(["N"] * m),
            "Place_Of_Srvc": _pick(pa.array(["F", "O"]), rng.uniform(m)),
            "Tot_Benes": pc.cast(benes, pa.string()),
            "Tot_Srvcs": pc.cast(services, pa.string()),
            "Tot_Bene_Day_Srvcs": pc.cast(services, pa.string()),
        }
        parts.append(pa.table({name: values.get(name, empty) for name in MUP_COLUMNS}))
    if not parts:
        return None
    table = pa.concat_tables(parts)
    # A few rows for NPIs absent from the main file (retired, or outside the sample).
    strays = table.slice(0, max(1, table.num_rows // 50))
    stray_npi = pc.cast(
        pc.add(pc.cast(strays.column("Rndrng_NPI"), pa.int64()), 900_000_000), pa.string()
    )
    strays = strays.set_column(0, "Rndrng_NPI", stray_npi)
    return pa.concat_tables([table, strays])


def write_demo_files(
    directory: Path,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    *,
    our_share: float | None = None,
    malformed_rows: bool = False,
) -> DemoFiles:
    """Write the four sample files into ``directory`` (deterministic for a given seed).

    ``our_share`` is the share of rows (0 to 1) whose taxonomy codes include one of our
    specialties. ``None`` (the default, used by ``spinefx directory demo``) keeps the demo's own
    mix, in which about 62% of rows carry one of our codes, so a demo directory holds many
    providers. The real NPPES file holds a far smaller share (some 0.7 million of 9.7 million
    NPIs, about 7%); benchmarks pass ``our_share=0.1`` to do comparable work after reading.
    ``malformed_rows`` adds one row cut short per chunk, as a damaged download has them (tests
    of the ingest's checks); the demo the CLI loads has none.
    """
    if our_share is not None and not 0.0 <= our_share <= 1.0:
        raise ValueError(f"our_share must be between 0 and 1, not {our_share}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(
        npidata=directory / "npidata_pfile_demo.csv",
        locations=directory / "pl_pfile_demo.csv",
        utilization=directory / "MUP_PHY_demo_D23_Prov_Svc.csv",
        other_names=directory / "othername_pfile_demo.csv",
    )
    with (
        files.npidata.open("wb") as main,
        files.locations.open("wb") as locs,
        files.utilization.open("wb") as mup,
        files.other_names.open("wb") as names,
    ):
        main.write(_quoted_header(NPPES_COLUMNS))
        locs.write(_quoted_header(list(LOCATION_COLUMNS.values())))
        names.write(_quoted_header(list(OTHER_NAME_COLUMNS.values())))
        mup.write((",".join(MUP_COLUMNS) + "\n").encode())
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
            table, shared = _npidata_chunk(start, n, seed, our_share)
            main.write(_csv_bytes(table, "all_valid"))
            if malformed_rows:  # a row cut short, as a damaged download would have it
                number = 1_999_000_000 + start // CHUNK_ROWS
                main.write(f'"{number}","1","DEMO-TRUNCATED"\n'.encode())
            location_rows = _location_rows(shared, seed, start)
            if location_rows is not None:
                locs.write(_csv_bytes(location_rows, "all_valid"))
            name_rows = _other_name_rows(shared, seed, start)
            if name_rows is not None:
                names.write(_csv_bytes(name_rows, "all_valid"))
            mup_rows = _mup_rows(shared, seed, start)
            if mup_rows is not None:
                mup.write(_csv_bytes(mup_rows, "needed"))
    return files


def load_demo(
    db_path: Path,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    *,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Generate the sample in a temporary folder and ingest it into ``db_path``."""
    with tempfile.TemporaryDirectory(prefix="spinefx-demo-") as tmp:
        files = write_demo_files(Path(tmp), rows, seed)
        return ingest(
            files.npidata,
            db_path=db_path,
            utilization_csv=files.utilization,
            locations_csv=files.locations,
            other_names_csv=files.other_names,
            progress=progress,
            demo=True,
        )
