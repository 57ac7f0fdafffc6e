"""Where the directory lives and how it is written and opened.

The directory is one DuckDB file, ``directory.duckdb`` in the data folder (the web app's
``Settings.data_dir``; :func:`platform_data_dir` is the default). An ingest builds a new file
next to the target and swaps it in with :func:`os.replace` only when complete, so readers keep
using the old file until then and a failed ingest leaves it untouched. Nothing here reads the
environment: callers pass the path.

Reading goes through a :class:`Directory` handle (the web app makes one at startup and owns it)
or, for a one-off read, through :func:`read_connection` with a path.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    import duckdb

    from spinefx.directory.index import DirectoryIndex

from spinefx.directory.archive import file_period
from spinefx.errors import DataError, DirectoryDamaged, DirectoryNotLoaded

__all__ = [
    "DB_FILENAME",
    "SCHEMA_VERSION",
    "Directory",
    "DirectoryFacts",
    "DirectorySource",
    "building",
    "directory_facts",
    "not_loaded_message",
    "one",
    "platform_data_dir",
    "read_connection",
    "scalar",
    "write_facts",
]

DB_FILENAME = "directory.duckdb"
SCHEMA_VERSION = "3"

# Bounds DuckDB's own memory during an ingest; it spills to a temporary folder beyond this.
INGEST_MEMORY_LIMIT = "512MB"
# Rows per row group of the directory's tables (DuckDB's default is 122,880).
ROW_GROUP_SIZE = 32_768

# Where a provider practises, in ``providers`` (its main address) and ``locations`` (the others).
_PLACE_COLUMNS = """address VARCHAR,
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
    uz DOUBLE"""

SCHEMA = f"""
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE providers (
    npi VARCHAR NOT NULL,
    entity_type TINYINT NOT NULL,
    name VARCHAR,
    {_PLACE_COLUMNS},
    npi_int BIGINT NOT NULL,
    specialty_mask INTEGER NOT NULL,
    specialties VARCHAR[] NOT NULL,
    primary_specialty VARCHAR,
    bkp_services BIGINT,
    bkp_beneficiaries BIGINT,
    vertebroplasty_services BIGINT,
    vertebroplasty_beneficiaries BIGINT,
    -- an organisation's other names (doing business as, other), from the other-name file
    other_names VARCHAR[]
);
CREATE TABLE other_names (
    npi VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    type_code VARCHAR
);
CREATE TABLE provider_taxonomies (
    npi VARCHAR NOT NULL,
    position TINYINT NOT NULL,
    code VARCHAR NOT NULL,
    specialty VARCHAR NOT NULL,
    is_primary BOOLEAN NOT NULL
);
-- a provider's secondary practice locations, searched as its main address is
CREATE TABLE locations (
    npi VARCHAR NOT NULL,
    {_PLACE_COLUMNS}
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
    # The file the directory was built from (the monthly archive or main file), and the weekly
    # files applied on top of it since, oldest first.
    built_from: str | None = None
    weekly: tuple[str, ...] = ()
    # The last day of the NPPES changes in the file it was built from (ISO date), when its
    # name says (``npidata_pfile_20050523-20260308.csv``: 2026-03-08).
    built_through: str | None = None
    # The last day of the newest weekly file applied (ISO date), when its name, or its main
    # file's, says.
    weekly_through: str | None = None


def write_facts(conn: duckdb.DuckDBPyConnection, *, demo: bool, medicare_year: int | None) -> None:
    """Record :class:`DirectoryFacts` in the ``meta`` table of a database being built."""
    conn.execute("INSERT INTO meta VALUES ('demo', ?)", ["true" if demo else "false"])
    if medicare_year is not None:
        conn.execute("INSERT INTO meta VALUES ('medicare_year', ?)", [str(medicare_year)])


def directory_facts(db: DirectorySource) -> DirectoryFacts:
    """The :class:`DirectoryFacts` of the loaded directory (raises as :func:`read_connection`).

    A directory built before these were recorded reads as not a demo, with no year.
    """
    with read_connection(db) as conn:
        rows = conn.execute(
            "SELECT key, value FROM meta "
            "WHERE key IN ('demo', 'medicare_year', 'built_from', 'built_through', "
            "'weekly_updates', 'weekly_through')"
        ).fetchall()
    meta = dict(rows)
    year = meta.get("medicare_year")
    try:
        weekly = tuple(str(name) for name in json.loads(meta.get("weekly_updates") or "[]"))
    except (ValueError, TypeError):
        weekly = ()
    return DirectoryFacts(
        demo=meta.get("demo") == "true",
        medicare_year=int(year) if year and year.isascii() and year.isdigit() else None,
        built_from=meta.get("built_from"),
        weekly=weekly,
        built_through=meta.get("built_through") or _period_end(meta.get("built_from")),
        weekly_through=meta.get("weekly_through")
        or max((end for name in weekly if (end := _period_end(name))), default=None),
    )


def _period_end(name: str | None) -> str | None:
    """The last day a CMS file name gives (ISO), for directories that did not record it."""
    period = file_period(name) if name else None
    return period.end.isoformat() if period else None


def platform_data_dir() -> Path:
    """The per-user data folder of the platform (the default of ``Settings.data_dir``)."""
    import platformdirs  # only when no data folder is set: 20 ms of an ingest's start-up

    return Path(platformdirs.user_data_dir("spinefx"))


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
def _swapped_in(target: Path, *, copy: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a database file beside ``target`` that replaces it, with
    :func:`os.replace`, when the block succeeds: a fresh file, or with ``copy`` a copy of
    ``target``. On any error the file is removed and ``target`` is left as it was.

    The file is ``.NAME.PID.partial`` on the same file system as ``target`` (so the swap is
    atomic), with DuckDB's spill folder ``.NAME.PID.tmp`` beside it; what earlier processes
    that were killed left there is removed first (:func:`_remove_leftovers`). The connection
    uses the database and has its memory bounded (:data:`INGEST_MEMORY_LIMIT`).
    """
    import duckdb  # here, not at the top: an ingest imports it while its reader starts

    _remove_leftovers(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    _remove_quietly(partial)
    spill = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    conn = duckdb.connect()
    try:
        if copy:
            try:
                shutil.copyfile(target, partial)
            except OSError as exc:
                raise DataError(f"cannot copy the directory {target} to update it: {exc}") from exc
        # Rows are written in groups of ROW_GROUP_SIZE: a group that fills goes straight to the
        # file instead of through the write-ahead log and a second copy at the checkpoint, and
        # each group's min/max of latitude lets a search skip more of the sorted table.
        quoted = str(partial).replace("'", "''")
        conn.execute(f"ATTACH '{quoted}' AS directory (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        conn.execute("USE directory")
        conn.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
        conn.execute("SET temp_directory = ?", [str(spill)])
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
    with _swapped_in(target, copy=False) as conn:
        conn.execute("SET preserve_insertion_order = false")
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        yield conn


@contextlib.contextmanager
def updating(target: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a copy of the database ``target`` that replaces it when the block
    succeeds (as :func:`building` does for a new one): on any error the copy is removed and
    ``target`` is left as it was, so readers never see a half-applied change."""
    target = Path(target)
    if not target.is_file():
        raise DirectoryNotLoaded(not_loaded_message(target))
    with _swapped_in(target, copy=True) as conn:
        version = one(conn, "SELECT value FROM meta WHERE key = 'schema_version'")
        if version is None or version[0] != SCHEMA_VERSION:
            raise DirectoryDamaged(
                f"the directory database {target} was built by another version of spinefx; "
                "rebuild it with `spinefx directory ingest FILE` before updating it"
            )
        yield conn


def not_loaded_message(path: Path) -> str:
    return (
        f"no specialist directory at {path}; load one with `spinefx directory demo` "
        "(synthetic sample) or `spinefx directory ingest FILE` (an NPPES npidata_pfile CSV)"
    )


def _identity(path: Path) -> tuple[int, int, int]:
    """The file's (inode, mtime, size); raises DirectoryNotLoaded or DataError."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DirectoryNotLoaded(not_loaded_message(path)) from None
    except OSError as exc:  # e.g. the data folder is a file, or a folder we may not read
        raise DirectoryDamaged(f"the directory database {path} cannot be reached ({exc})") from exc
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection on the file at ``path`` now, in a database instance of its own.

    ``duckdb.connect(path)`` would hand back the instance still open on that path, which after
    a swap holds the old file; attaching into a fresh in-memory instance reads the file that
    the path names now. Each cursor must ``USE directory`` (see :func:`_cursor`).
    """
    import duckdb

    conn = duckdb.connect(":memory:")
    try:
        quoted = str(path).replace("'", "''")
        conn.execute(f"ATTACH '{quoted}' AS directory (READ_ONLY)")
        conn.execute("USE directory")
        version = one(conn, "SELECT value FROM meta WHERE key = 'schema_version'")
    except duckdb.Error as exc:
        with contextlib.suppress(Exception):
            conn.close()
        raise DirectoryDamaged(
            f"the directory database {path} cannot be read ({exc}); "
            "rebuild it with `spinefx directory ingest FILE` or `spinefx directory demo`"
        ) from exc
    if version is None or version[0] != SCHEMA_VERSION:
        conn.close()
        found = version[0] if version else "none"
        raise DirectoryDamaged(
            f"the directory database {path} was built by another version of spinefx (format "
            f"{found}, this one reads {SCHEMA_VERSION}); rebuild it with "
            "`spinefx directory ingest FILE` or `spinefx directory demo`"
        )
    return conn


def _cursor(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    cursor = conn.cursor()
    cursor.execute("USE directory")
    return cursor


class _Open:
    """One open file: its identity, its connection and how many readers use it now."""

    def __init__(self, identity: tuple[int, int, int], conn: duckdb.DuckDBPyConnection) -> None:
        self.identity = identity
        self.conn = conn
        self.readers = 0
        self.retired = False
        # The file's search index (spinefx.directory.index), loaded on first use.
        self.index: Any = None
        self.index_lock = threading.Lock()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


class Directory:
    """The handle on one directory database file, owned by whoever made it (the web app).

    :meth:`cursor` gives a read-only cursor on the file as it is when the call starts. After an
    ingest swaps a new file in, the next call opens the new file, while readers already running
    go on reading the old one: its connection is closed only when the last of them is done. So
    no search ever sees a connection closed under it. Safe to use from many threads.

    >>> handle = Directory(Path("/nonexistent/directory.duckdb"))
    >>> handle.state()
    'not-loaded'
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser().absolute()
        self._lock = threading.Lock()
        self._open: _Open | None = None
        self._closed = False

    def state(self) -> Literal["loaded", "not-loaded", "damaged"]:
        """Whether a readable directory is there (opens it if it changed)."""
        try:
            with self.cursor():
                return "loaded"
        except DirectoryNotLoaded:
            return "not-loaded"
        except DataError:
            return "damaged"

    def _acquire(self) -> _Open:
        identity = _identity(self.path)
        with self._lock:
            if self._closed:
                raise DataError("the directory handle is closed")
            current = self._open
            if current is None or current.identity != identity:
                fresh = _Open(identity, _open(self.path))
                if current is not None:
                    current.retired = True
                    if current.readers == 0:
                        current.close()
                self._open = current = fresh
            current.readers += 1
            return current

    def _release(self, used: _Open) -> None:
        with self._lock:
            used.readers -= 1
            if used.retired and used.readers == 0:
                used.close()

    def loaded_index(self) -> DirectoryIndex | None:
        """The file's index if :meth:`index` would answer without loading anything (the file is
        open, has not changed, and its index is loaded), else None."""
        try:
            identity = _identity(self.path)
        except (DirectoryNotLoaded, DataError):
            return None
        with self._lock:
            current = self._open
            if current is None or current.identity != identity:
                return None
            index: DirectoryIndex | None = current.index
            return index

    def index(self) -> DirectoryIndex:
        """The in-memory search index of the file as it is now, loaded on first use (some
        seconds per million providers) and kept until the file is replaced; raises as
        :meth:`cursor` does."""
        from spinefx.directory.index import DirectoryIndex

        used = self._acquire()
        try:
            with used.index_lock:
                if used.index is None:
                    cursor = _cursor(used.conn)
                    try:
                        used.index = DirectoryIndex.load(cursor)
                    finally:
                        cursor.close()
                index: DirectoryIndex = used.index
                return index
        finally:
            self._release(used)

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor; raises :class:`DirectoryNotLoaded` when there is no file and
        :class:`DirectoryDamaged` when it cannot be read."""
        used = self._acquire()
        try:
            cursor = _cursor(used.conn)
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            self._release(used)

    def close(self) -> None:
        """Close the connection (now, or when its last reader is done); later calls fail."""
        with self._lock:
            self._closed = True
            if self._open is not None:
                self._open.retired = True
                if self._open.readers == 0:
                    self._open.close()
                self._open = None


DirectorySource = Directory | Path | str
"""A directory to read: an app-owned :class:`Directory`, or a database file's path."""


@contextlib.contextmanager
def read_connection(source: DirectorySource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the directory; raises :class:`DirectoryNotLoaded` if there is none.

    With a :class:`Directory` the cursor comes from its open connection; with a path, a
    connection is opened for this block alone and closed after it (the CLI, one search a run).
    """
    if isinstance(source, Directory):
        with source.cursor() as cursor:
            yield cursor
        return
    path = Path(source).expanduser().absolute()
    _identity(path)
    conn = _open(path)
    try:
        yield conn
    finally:
        conn.close()
