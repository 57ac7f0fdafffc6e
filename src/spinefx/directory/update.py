"""Apply a weekly NPPES update to the loaded directory, atomically.

CMS publishes, each week, the NPIs added or changed since the previous release: a main file
``npidata_pfile_<start>-<end>.csv`` (alone, or in the weekly archive
``NPPES_Data_Dissemination_MMDDYY_MMDDYY_Weekly.zip`` with its practice-location and other-name
files). Every NPI in it replaces what the directory holds for that NPI:

- a new NPI of one of our specialties is added;
- a changed one is replaced (name, address, specialties, and its locations and other names when
  the week brings those files), keeping its Medicare volume;
- a deactivated NPI (the nearly empty row) is removed, as is one no longer of our specialties;
- a reactivated NPI (a reactivation date after its deactivation) is restored, with the Medicare
  volume the directory still holds for it.

Weeks go in date order, after the monthly file: the dates come from the CMS file names (see
:func:`spinefx.directory.archive.file_period`), and a week that does not end after the newest
week applied and after the monthly file, or whose name gives no dates, is refused before
anything is read, unless ``force`` is given.

The week's files are read by the ingest itself into a scratch database, then applied to a copy
of the directory that replaces it only when complete (:func:`spinefx.directory.store.updating`):
a failed update leaves the directory exactly as it was.

>>> report = update(Path("npidata_pfile_20260309-20260315.csv"))  # doctest: +SKIP
>>> report.added, report.changed, report.removed  # doctest: +SKIP
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import duckdb
from pydantic import BaseModel

from spinefx.directory import othernames as othernames_mod
from spinefx.directory.archive import Period, file_period, is_archive, open_release
from spinefx.directory.csvstream import ProgressFn
from spinefx.directory.nppes import ingest
from spinefx.directory.report import IngestReport
from spinefx.directory.store import directory_facts, one, scalar, updating
from spinefx.errors import DirectoryNotLoaded, InputError

__all__ = ["UpdateReport", "update"]

_VOLUME = ("bkp_services", "bkp_beneficiaries", "vertebroplasty_services",
           "vertebroplasty_beneficiaries")  # fmt: skip
_ORDER = "lat NULLS LAST, lon, bkp_services DESC NULLS LAST, npi_int"  # as the ingest stores


class UpdateReport(BaseModel):
    """What one weekly file changed in the directory."""

    db_path: str
    source: str
    rows_read: int = 0  # rows of the week's main file
    added: int = 0  # new providers of our specialties
    changed: int = 0  # providers replaced by their new row
    restored: int = 0  # reactivated NPIs back in the directory
    deactivated: int = 0  # providers removed because their NPI was deactivated
    removed_other: int = 0  # providers removed because they no longer have one of our codes
    ignored: int = 0  # NPIs of the week not in the directory and not for it
    providers_before: int = 0
    providers_after: int = 0
    week: IngestReport | None = None  # the week's files as the ingest read them
    seconds: float = 0.0

    @property
    def removed(self) -> int:
        return self.deactivated + self.removed_other


def update(
    weekly: Path,
    *,
    db_path: Path,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> UpdateReport:
    """Apply the weekly file or archive ``weekly`` to the directory at ``db_path``.

    Raises :class:`~spinefx.errors.DirectoryNotLoaded` when there is no directory, and
    :class:`~spinefx.errors.InputError` for a file that is not an NPPES main file (or archive)
    and for a week out of date order (see :func:`check_order`; ``force`` skips that check);
    either way, and on any other failure, the directory is left as it was.
    """
    started = time.perf_counter()
    target = Path(db_path).expanduser()
    if not target.is_file():
        from spinefx.directory.store import not_loaded_message

        raise DirectoryNotLoaded(not_loaded_message(target))
    period = week_period(Path(weekly)) if not force else _period_if_readable(Path(weekly))
    if not force:
        check_order(Path(weekly), target, period)
    report = UpdateReport(db_path=str(target), source=str(weekly))
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.week-", dir=target.parent) as tmp:
        week_db = Path(tmp) / "week.duckdb"
        week = ingest(Path(weekly), db_path=week_db, progress=progress, record_npis=True)
        report.week = week
        report.rows_read = week.rows_read
        with updating(target) as conn:
            quoted = str(week_db).replace("'", "''")
            conn.execute(f"ATTACH '{quoted}' AS week (READ_ONLY)")
            try:
                _apply(conn, report, week, period)
            finally:
                conn.execute("USE directory")
                conn.execute("DETACH week")
    report.seconds = round(time.perf_counter() - started, 2)
    return report


# How a weekly file is named, for the message about one whose name gives no dates.
_WEEKLY_NAMES = (
    "npidata_pfile_YYYYMMDD-YYYYMMDD.csv or NPPES_Data_Dissemination_MMDDYY_MMDDYY_Weekly.zip"
)


def week_period(weekly: Path) -> Period | None:
    """The period of a weekly file or archive, from its name (an archive renamed by hand: from
    the name of the main file in it)."""
    period = file_period(weekly.name)
    if period is None and is_archive(weekly):
        period = file_period(open_release(weekly, "WEEKLY").main.name)
    return period


def _period_if_readable(weekly: Path) -> Period | None:
    """:func:`week_period`, or ``None`` for a file that cannot be read as an archive (a forced
    update then fails where the ingest reads it, with the ingest's message)."""
    try:
        return week_period(weekly)
    except InputError:
        return None


def check_order(weekly: Path, db_path: Path, period: Period | None) -> None:
    """Refuse, with an :class:`~spinefx.errors.InputError` on ``WEEKLY``, a week that is not
    the next one for the directory at ``db_path``: one whose name gives no dates, one that
    ends on or before the newest week already applied (a repeat, or one older), or one that
    ends on or before the last day of the monthly file the directory is built from (its
    changes are in that file already). ``period`` is the week's (:func:`week_period`). What
    the directory's own names do not date is not compared."""
    if period is None:
        raise InputError(
            "WEEKLY",
            weekly.name,
            f"a weekly file named as CMS names it ({_WEEKLY_NAMES}), so that its dates can be "
            "checked against the weeks applied; or --force to apply it anyway",
        )
    facts = directory_facts(db_path)
    if facts.weekly_through is not None and period.end.isoformat() <= facts.weekly_through:
        raise InputError(
            "WEEKLY",
            weekly.name,
            f"a week ending after {facts.weekly_through}, the end of the newest week applied "
            "(`spinefx directory info` lists them): weeks go in date order, each once; or "
            "--force to apply it anyway",
        )
    if facts.built_through is not None and period.end.isoformat() <= facts.built_through:
        raise InputError(
            "WEEKLY",
            weekly.name,
            f"a week ending after {facts.built_through}, the end of the monthly file the "
            f"directory is built from ({facts.built_from}), which holds this week's changes "
            "already; or --force to apply it anyway",
        )


def _apply(
    conn: duckdb.DuckDBPyConnection,
    report: UpdateReport,
    week: IngestReport,
    period: Period | None,
) -> None:
    report.providers_before = scalar(conn, "SELECT count(*) FROM providers")
    conn.execute(
        """
        CREATE TEMP TABLE changes AS
        SELECT s.npi, s.deactivated, s.reactivated,
               s.npi IN (SELECT npi FROM directory.providers) AS was_in,
               s.npi IN (SELECT npi FROM week.providers) AS now_in
        FROM week.seen s
        """
    )
    counts = one(
        conn,
        """
        SELECT count(*) FILTER (WHERE now_in AND NOT was_in AND NOT reactivated),
               count(*) FILTER (WHERE now_in AND was_in),
               count(*) FILTER (WHERE now_in AND NOT was_in AND reactivated),
               count(*) FILTER (WHERE was_in AND NOT now_in AND deactivated),
               count(*) FILTER (WHERE was_in AND NOT now_in AND NOT deactivated),
               count(*) FILTER (WHERE NOT was_in AND NOT now_in)
        FROM changes
        """,
    )
    assert counts is not None
    (report.added, report.changed, report.restored, report.deactivated, report.removed_other,
     report.ignored) = (int(c) for c in counts)  # fmt: skip

    # The Medicare volume of each NPI of the week: its row's, else from the stored procedure
    # rows (a restored provider), which the directory keeps for every NPI it has held.
    volume = ", ".join(_VOLUME)
    conn.execute(
        f"""
        CREATE TEMP TABLE carried AS
        SELECT npi, {volume} FROM providers WHERE npi IN (SELECT npi FROM changes)
        UNION ALL
        SELECT npi,
            sum(services) FILTER (WHERE hcpcs IN ('22513', '22514', '22515')),
            max(beneficiaries) FILTER (WHERE hcpcs IN ('22513', '22514', '22515')),
            sum(services) FILTER (WHERE hcpcs IN ('22510', '22511', '22512')),
            max(beneficiaries) FILTER (WHERE hcpcs IN ('22510', '22511', '22512'))
        FROM utilization
        WHERE npi IN (SELECT npi FROM changes WHERE now_in AND NOT was_in)
        GROUP BY npi
        """
    )
    changed = "SELECT npi FROM changes"
    gone = "SELECT npi FROM changes WHERE NOT now_in"
    conn.execute(f"DELETE FROM providers WHERE npi IN ({changed})")
    conn.execute(f"DELETE FROM provider_taxonomies WHERE npi IN ({changed})")
    # Locations and other names: replaced by the week's where it brings those files, else kept
    # for the providers that stay.
    for table, brought in (
        ("locations", week.locations is not None),
        ("other_names", week.other_names is not None),
    ):
        conn.execute(f"DELETE FROM {table} WHERE npi IN ({changed if brought else gone})")
        if brought:
            conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM week.{table}")
    conn.execute("INSERT INTO provider_taxonomies BY NAME SELECT * FROM week.provider_taxonomies")
    casts = ", ".join(f"CAST(c.{name} AS BIGINT) AS {name}" for name in _VOLUME)
    conn.execute(
        f"""
        CREATE TEMP TABLE ordered AS
        SELECT * FROM providers
        UNION ALL BY NAME
        SELECT p.* EXCLUDE ({volume}), {casts}
        FROM week.providers p LEFT JOIN carried c USING (npi)
        """
    )
    # Stored again in the ingest's order, which the search index reads without sorting.
    conn.execute("SET preserve_insertion_order = true")
    conn.execute("DELETE FROM providers")
    conn.execute(f"INSERT INTO providers BY NAME SELECT * FROM ordered ORDER BY {_ORDER}")
    conn.execute("DROP TABLE ordered")
    conn.execute("UPDATE providers SET other_names = NULL WHERE other_names IS NOT NULL")
    othernames_mod.apply(conn)
    report.providers_after = scalar(conn, "SELECT count(*) FROM providers")
    applied = one(conn, "SELECT value FROM meta WHERE key = 'weekly_updates'")
    names = json.loads(applied[0]) if applied and applied[0] else []
    names.append(Path(week.archive or week.source.split("!")[-1]).name)
    # The newest week's last day, which the next update must pass (see check_order).
    through = one(conn, "SELECT value FROM meta WHERE key = 'weekly_through'")
    known = [through[0] if through else None, period and period.end.isoformat()]
    known += [p.end.isoformat() for name in names if (p := file_period(name)) is not None]
    newest = max((d for d in known if d), default=None)
    conn.execute("DELETE FROM meta WHERE key IN ('weekly_updates', 'weekly_through', 'updated_at')")
    conn.execute(
        "INSERT INTO meta VALUES ('weekly_updates', ?), ('updated_at', CAST(now() AS VARCHAR))",
        [json.dumps(names)],
    )
    if newest is not None:
        conn.execute("INSERT INTO meta VALUES ('weekly_through', ?)", [newest])
    conn.execute("DROP TABLE changes")
    conn.execute("DROP TABLE carried")
