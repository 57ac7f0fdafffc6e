"""Where the directory lives and how it is written and opened.

The directory is one DuckDB file, by default ``$SPINEFX_DATA_DIR/directory.duckdb`` (the data
directory defaults to the platform's user data folder). An ingest builds a new file next to the
target and swaps it in with :func:`os.replace` only when complete, so readers keep using the old
file until then and a failed ingest leaves it untouched. Searches open read-only connections,
cached per file identity (path, inode, modification time) so a swap is picked up on the next call.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import platformdirs

from spinefx.errors import DataError, DirectoryNotLoaded

__all__ = [
    "DATA_DIR_ENV",
    "SCHEMA_VERSION",
    "DirectoryFacts",
    "building",
    "data_dir",
    "default_db_path",
    "directory_facts",
    "one",
    "read_connection",
    "resolve_db_path",
    "scalar",
    "write_facts",
]

DATA_DIR_ENV = "SPINEFX_DATA_DIR"
DB_FILENAME = "directory.duckdb"
SCHEMA_VERSION = "2"

# Bounds DuckDB's own memory during an ingest; it spills to a temporary folder beyond this.
INGEST_MEMORY_LIMIT = "512MB"
# Rows per row group of the directory's tables (DuckDB's default is 122,880).
ROW_GROUP_SIZE = 32_768

SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE providers (
    npi VARCHAR NOT NULL,
    entity_type TINYINT NOT NULL,
    name VARCHAR,
    address VARCHAR,
    city VARCHAR,
    state VARCHAR,
    postal_code VARCHAR,
    country VARCHAR,
    zip VARCHAR,
    phone VARCHAR,
    lat DOUBLE,
    lon DOUBLE,
    -- the ZIP centroid as a unit vector: distance tests become a dot product (no trigonometry)
    ux DOUBLE,
    uy DOUBLE,
    uz DOUBLE,
    npi_int BIGINT NOT NULL,
    specialty_mask INTEGER NOT NULL,
    specialties VARCHAR[] NOT NULL,
    primary_specialty VARCHAR,
    bkp_services BIGINT,
    bkp_beneficiaries BIGINT,
    vertebroplasty_services BIGINT,
    vertebroplasty_beneficiaries BIGINT
);
CREATE TABLE provider_taxonomies (
    npi VARCHAR NOT NULL,
    position TINYINT NOT NULL,
    code VARCHAR NOT NULL,
    specialty VARCHAR NOT NULL,
    is_primary BOOLEAN NOT NULL
);
CREATE TABLE locations (
    npi VARCHAR NOT NULL,
    address VARCHAR,
    city VARCHAR,
    state VARCHAR,
    postal_code VARCHAR,
    country VARCHAR,
    zip VARCHAR,
    phone VARCHAR,
    lat DOUBLE,
    lon DOUBLE
);
CREATE TABLE utilization (
    npi VARCHAR NOT NULL,
    hcpcs VARCHAR NOT NULL,
    place_of_service VARCHAR,
    beneficiaries BIGINT,
    services BIGINT
);
"""


def one(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple[Any, ...] | None:
    """The first row of a query, reading the whole result (DuckDB wants results finished)."""
    rows = conn.execute(sql, params).fetchall()
    return rows[0] if rows else None


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> int:
    """A query's single integer value (0 when it returns NULL or nothing)."""
    row = one(conn, sql, params)
    return int(row[0]) if row and row[0] is not None else 0


class DirectoryFacts(NamedTuple):
    """What the loaded directory is: ``demo`` when its providers are fictional (the sample from
    ``spinefx directory demo``), and the year of the Medicare volume it holds, when known."""

    demo: bool = False
    medicare_year: int | None = None


def write_facts(conn: duckdb.DuckDBPyConnection, *, demo: bool, medicare_year: int | None) -> None:
    """Record :class:`DirectoryFacts` in the ``meta`` table of a database being built."""
    conn.execute("INSERT INTO meta VALUES ('demo', ?)", ["true" if demo else "false"])
    if medicare_year is not None:
        conn.execute("INSERT INTO meta VALUES ('medicare_year', ?)", [str(medicare_year)])


def directory_facts(db_path: Path | str | None = None) -> DirectoryFacts:
    """The :class:`DirectoryFacts` of the loaded directory (raises as :func:`read_connection`).

    A directory built before these were recorded reads as not a demo, with no year.
    """
    with read_connection(db_path) as conn:
        rows = conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('demo', 'medicare_year')"
        ).fetchall()
    meta = dict(rows)
    year = meta.get("medicare_year")
    return DirectoryFacts(
        demo=meta.get("demo") == "true",
        medicare_year=int(year) if year and year.isascii() and year.isdigit() else None,
    )


def data_dir() -> Path:
    """The spinefx data directory: ``$SPINEFX_DATA_DIR``, else the user data folder."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("spinefx"))


def default_db_path() -> Path:
    """Where the directory database lives unless ``--db`` says otherwise."""
    return data_dir() / DB_FILENAME


def resolve_db_path(db_path: Path | str | None) -> Path:
    return Path(db_path).expanduser() if db_path is not None else default_db_path()


def _pid_is_running(pid: int) -> bool:
    """Whether a process ``pid`` exists (one owned by another user counts, and so does doubt)."""
    if pid <= 0 or sys.platform == "win32":  # os.kill(pid, 0) would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it exists, owned by someone else
        return True
    return True


def _remove_leftovers(target: Path) -> None:
    """Remove what earlier ingests into ``target`` left behind when they were killed.

    :func:`building` names its files after the process: ``.NAME.PID.partial`` (and its
    ``.wal``) and the scratch folder ``.NAME.PID.tmp``. Those of a process that no longer
    runs are removed; those of a running one (another ingest, or a process that reused the
    pid) are kept. Best effort: what cannot be listed or removed is left as it is.
    """
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.(?:partial|partial\.wal|tmp)")
    try:
        with os.scandir(target.parent) as entries:
            found = [(e, m) for e in entries if (m := pattern.fullmatch(e.name))]
    except OSError:
        return
    for entry, match in found:
        pid = int(match.group(1))
        if pid == os.getpid() or _pid_is_running(pid):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            continue


def _remove_quietly(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


@contextlib.contextmanager
def building(target: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a fresh database that replaces ``target`` when the block succeeds.

    The new file is written beside ``target`` (same file system, so the swap is atomic). On any
    error the partial file is removed and ``target`` is left as it was. Files left beside
    ``target`` by earlier ingests that were killed (no process with their pid runs any more)
    are removed first.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the folder {target.parent}: {exc}") from exc
    _remove_leftovers(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    _remove_quietly(partial)
    spill = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    conn = duckdb.connect()
    try:
        # Rows are written in groups of ROW_GROUP_SIZE: a group that fills goes straight to the
        # file instead of through the write-ahead log and a second copy at the checkpoint, and
        # each group's min/max of latitude lets a search skip more of the sorted table.
        quoted = str(partial).replace("'", "''")
        conn.execute(f"ATTACH '{quoted}' AS directory (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        conn.execute("USE directory")
        conn.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
        conn.execute("SET temp_directory = ?", [str(spill)])
        conn.execute("SET preserve_insertion_order = false")
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        yield conn
        conn.execute("CHECKPOINT")
        conn.close()
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(Exception):
            conn.close()
        _remove_quietly(partial)
        raise
    finally:
        if spill.exists():
            shutil.rmtree(spill, ignore_errors=True)


_lock = threading.Lock()
_cached: dict[Path, tuple[tuple[int, int, int], duckdb.DuckDBPyConnection]] = {}


def not_loaded_message(path: Path) -> str:
    return (
        f"no specialist directory at {path}; load one with `spinefx directory demo` "
        "(synthetic sample) or `spinefx directory ingest FILE` (an NPPES npidata_pfile CSV)"
    )


@contextlib.contextmanager
def read_connection(db_path: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the directory; raises :class:`DirectoryNotLoaded` if there is none.

    Connections are cached per file identity: after an ingest swaps a new file in, the next call
    opens it and closes the old one.
    """
    path = resolve_db_path(db_path).absolute()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DirectoryNotLoaded(not_loaded_message(path)) from None
    except OSError as exc:  # e.g. SPINEFX_DATA_DIR names a file, or a folder we may not read
        raise DataError(f"the directory database {path} cannot be reached ({exc})") from exc
    identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cached.get(path)
        if cached is None or cached[0] != identity:
            if cached is not None:
                with contextlib.suppress(Exception):
                    cached[1].close()
                del _cached[path]
            try:
                conn = duckdb.connect(str(path), read_only=True)
                one(conn, "SELECT value FROM meta WHERE key = 'schema_version'")
            except duckdb.Error as exc:
                raise DataError(
                    f"the directory database {path} cannot be read ({exc}); "
                    "rebuild it with `spinefx directory ingest FILE` or `spinefx directory demo`"
                ) from exc
            _cached[path] = (identity, conn)
        cursor = _cached[path][1].cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def close_cached() -> None:
    """Close every cached read connection (tests, and before deleting a database file)."""
    with _lock:
        for _, conn in _cached.values():
            with contextlib.suppress(Exception):
                conn.close()
        _cached.clear()
