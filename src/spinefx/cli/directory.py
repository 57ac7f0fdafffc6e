"""``spinefx directory ...``: ingest, search and inspect the specialist directory."""

from __future__ import annotations

import gc
import importlib.abc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spinefx.cli.output import JsonOpt, console, example, print_json

if TYPE_CHECKING:
    from rich.progress import Progress

    from spinefx.directory.csvstream import ProgressFn
    from spinefx.directory.report import IngestReport
    from spinefx.directory.search import ProviderDetail, SearchResult
    from spinefx.directory.store import DirectoryFacts

app = typer.Typer(
    help="The specialist directory from the national provider file (NPPES).", no_args_is_help=True
)

DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Directory database file (default: directory.duckdb in $SPINEFX_DATA_DIR).",
        show_default=False,
    ),
]


def _left_out(help_text: str) -> Any:
    """An option left out unless given, its default not shown (the flag is the parameter's
    name: ``other_names``, ``--other-names``)."""
    return typer.Option(help=help_text, show_default=False)


def _database(db: Path | None) -> Path:
    """``--db``, else ``directory.duckdb`` in the data folder (``SPINEFX_DATA_DIR``).

    The ZIP table is loaded here too, with its cache in the data folder: the core reads no
    environment, so this is where the command's settings reach it.
    """
    from spinefx.directory.geo import load_zip_table
    from spinefx.settings import Settings  # not spinefx.web's: that imports the web app

    settings = Settings.from_environment()
    load_zip_table(settings.cache_dir)
    return db.expanduser() if db is not None else settings.directory_db


class _NoPandas(importlib.abc.MetaPathFinder):
    """An import finder that says pandas is not installed."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname == "pandas" or fullname.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


@contextmanager
def _one_batch() -> Iterator[None]:
    """Run an ingest, update or demo load without pandas (:func:`_without_pandas`) and with
    the objects imported so far left out of the garbage collector's passes.

    Such a run makes few Python objects of its own: the collector's passes through the tens of
    thousands that the imports made (pydantic's schemas, typer's commands) free nothing, and
    took 0.10 s of a 600,000-row ingest (0.03 s with them frozen; gc.callbacks, a loaded
    machine). They are frozen (:func:`gc.freeze`) for the run and handed back after it. Arrow
    allocates from jemalloc meanwhile (:func:`_arrow_on_jemalloc`).
    """
    gc.freeze()
    try:
        with _without_pandas(), _arrow_on_jemalloc():
            yield
    finally:
        gc.unfreeze()


@contextmanager
def _arrow_on_jemalloc() -> Iterator[None]:
    """Let Arrow allocate from its jemalloc pool for the run, where pyarrow has one.

    An ingest parses the main file a range at a time and frees each range's columns once they
    are filtered. Arrow's default pool (mimalloc) hands freed pages back to the system within
    milliseconds, and the next range faults them in again, each one zeroed by the kernel: in a
    perf profile of a 600,000-row ingest, 15.6% of the samples were the kernel clearing pages
    (clear_page_erms), 1.5% with jemalloc, which keeps them for reuse. The command's system
    time fell from 0.57-0.74 s to 0.33-0.37 s (perf stat, the mean of 2 runs, 3 times each on
    a loaded machine), its user time and peak memory unchanged. A pyarrow built without
    jemalloc (the Windows wheels) keeps its default pool; the previous pool is the default
    again after the run.
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


@contextmanager
def _without_pandas() -> Iterator[None]:
    """Keep pandas out of an ingest or update process, which does not use it.

    pyarrow imports pandas, where it is installed (the development environment has it, for the
    benchmark's baseline), on its first conversion of Python values (the ingest's first
    ``pa.array``, when ``spinefx.directory.utilization`` is imported), and DuckDB on its first
    ``register()``: neither uses it here, and the import is seconds of start-up
    (docs/performance.md, "Start-up without pandas"). This command then runs as it does where
    pandas is not installed. Nothing is done when pandas is already imported.
    """
    if "pandas" in sys.modules:
        yield
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


@contextmanager
def _progress_bar() -> Iterator[ProgressFn]:
    """A rich progress bar on stderr, one line per file, in bytes read.

    It appears with the first progress report, so an input refused before reading starts
    leaves stderr with its one error line; rich's progress module is imported then too, by the
    ingest's reader thread while the main thread opens the database.
    """
    tasks: dict[str, Any] = {}
    bar: Progress | None = None

    def update(label: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            bar = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            bar.start()
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=total)
        bar.update(tasks[label], completed=done)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


def _print_demo_summary(report: IngestReport) -> None:
    """Three lines: what was loaded, where, and what to try next."""
    from rich.markup import escape

    console.print(
        f"[bold]Demo directory loaded:[/] {report.kept:,} fictional providers "
        f"(from {report.rows_read:,} synthetic rows) in {report.seconds:.1f} s.",
        highlight=False,
    )
    console.print(f"Saved to {escape(report.db_path)}", highlight=False)
    console.print(
        "[yellow]Every provider in it is made up.[/] Try: spinefx directory search --zip 02139",
        highlight=False,
    )


# The optional files' lines in the ingest report: the report's attribute, the line for the
# rows read, then each count's label and attribute (the malformed rows last).
_OPTIONAL_FILE_COUNTS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "utilization",
        "Medicare rows read",
        (
            ("vertebral augmentation rows", "procedure_rows"),
            ("providers with volume", "providers_with_volume"),
            ("NPIs not in the directory", "npis_not_in_directory"),
        ),
    ),
    (
        "locations",
        "secondary locations read",
        (("duplicate rows", "duplicates"), ("kept for directory providers", "kept")),
    ),
    (
        "other_names",
        "other names read",
        (("kept (doing business as, other)", "kept"), ("organisations with one", "organizations")),
    ),
)


def _print_report(report: IngestReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    from spinefx.directory.taxonomy import SPECIALTIES

    where = escape(report.db_path)
    console.print(f"[bold]Directory loaded[/] into {where} in {report.seconds:.1f} s")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim")
    table.add_column(justify="right")
    counts: list[tuple[str, int]] = [
        ("rows read", report.rows_read),
        ("providers kept", report.kept),
        *((f"  {SPECIALTIES[sid]}", count) for sid, count in report.per_specialty.items()),
        ("deactivated (dropped)", report.deactivated),
        ("reactivated (kept if ours)", report.reactivated),
        ("other specialties (dropped)", report.not_our_specialties),
        ("malformed (dropped)", report.malformed.count),
        ("no US ZIP (kept, not in radius search)", report.no_us_zip.count),
    ]
    for file, title, parts in _OPTIONAL_FILE_COUNTS:
        if (read := getattr(report, file)) is not None:
            counts.append((title, read.rows_read))
            counts += [(f"  {label}", getattr(read, name)) for label, name in parts]
            counts.append(("  malformed", read.malformed.count))
    for label, count in counts:
        table.add_row(label, f"{count:,}")
    console.print(table)
    if report.archive is not None:
        console.print(f"[dim]read from the archive {escape(report.archive)}[/]", highlight=False)
    for title, examples in (
        ("malformed", report.malformed.examples),
        ("no US ZIP", report.no_us_zip.examples),
    ):
        if examples:
            console.print(f"[dim]examples, {title}:[/]")
            for example in examples:
                console.print(f"  {example}", style="dim", highlight=False, markup=False)


@app.command(
    epilog=example(
        "spinefx directory ingest npidata_pfile_20050523-20250608.csv",
        "  --locations pl_pfile_20050523-20250608.csv",
        "  --utilization MUP_PHY_R25_P05_V10_D23_Prov_Svc.csv",
    )
)
def ingest(
    nppes_csv: Annotated[
        Path,
        typer.Argument(
            help="The monthly NPPES archive as CMS ships it "
            "(NPPES_Data_Dissemination_<Month>_<Year>.zip: its main, practice-location and "
            "other-name files are read from it, without unzipping), or the main file "
            "(npidata_pfile_*.csv).",
            show_default=False,
        ),
    ],
    utilization: Annotated[
        Path | None,
        _left_out("Medicare Physician & Other Practitioners - by Provider and Service CSV."),
    ] = None,
    locations: Annotated[
        Path | None, _left_out("NPPES secondary practice locations (pl_pfile_*.csv).")
    ] = None,
    other_names: Annotated[
        Path | None, _left_out("NPPES organisation other names (othername_pfile_*.csv).")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load the specialist directory from the NPPES files (replaces the current one when done)."""
    with _one_batch(), _progress_bar() as progress:
        from spinefx.directory.nppes import ingest as run_ingest

        report = run_ingest(
            nppes_csv,
            db_path=_database(db),
            utilization_csv=utilization,
            locations_csv=locations,
            other_names_csv=other_names,
            progress=progress,
        )
    print_json(report) if as_json else _print_report(report)


@app.command(epilog="Example: spinefx directory demo --rows 10000")
def demo(
    db: DbOpt = None,
    rows: Annotated[
        int, typer.Option("--rows", min=1, max=20_000_000, help="Rows of synthetic NPPES data.")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = (
        20_150_101
    ),
    as_json: JsonOpt = False,
) -> None:
    """Load a synthetic sample (fictional providers, real file formats) as the directory."""
    with _one_batch(), _progress_bar() as progress:
        from spinefx.directory.demo import load_demo

        report = load_demo(_database(db), rows=rows, seed=seed, progress=progress)
    if as_json:
        print_json(report)
    else:
        _print_demo_summary(report)


@app.command(
    epilog=example(
        "spinefx directory search --zip 02139 --radius 25",
        "  --specialty neurosurgery --specialty interventional-radiology",
    )
)
def search(
    zip_code: Annotated[
        str,
        typer.Option(
            "--zip",
            metavar="<zip>",
            help="5-digit US ZIP code to search around.",
            show_default=False,
        ),
    ],
    radius: Annotated[float, typer.Option("--radius", help="Miles, 1 to 500.")] = 25,
    specialty: Annotated[
        list[str] | None,
        _left_out(
            "Specialty id, repeatable (default: the four that perform BKP): "
            "orthopedic-surgery, neurosurgery, interventional-radiology, pain-medicine, "
            "endocrinology, rheumatology, rehabilitation, primary-care."
        ),
    ] = None,
    performs_bkp: Annotated[
        bool, typer.Option("--performs-bkp", help="Only providers with Medicare BKP volume.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="Results per page, 1 to 1000.")] = 50,
    offset: Annotated[int, typer.Option("--offset", help="Results to skip.")] = 0,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            metavar="distance|volume",
            help="distance (nearest first) or volume (most Medicare BKP services first).",
        ),
    ] = "distance",
    name: Annotated[
        str | None,
        _left_out(
            "Part of the provider's name (an organisation's legal or other names), any case."
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Providers near a ZIP code: nearest first (or most BKP services first with --sort volume).

    The ZIP code may be ZIP+4 (02139-4307) or have lost its leading zero (2139).
    """
    from spinefx.directory.search import SearchQuery
    from spinefx.directory.search import search as run_search
    from spinefx.validation import parse_input

    data: dict[str, Any] = {
        "zip": zip_code,
        "radius": radius,
        "performs_bkp": performs_bkp,
        "limit": limit,
        "offset": offset,
        "sort": sort,
    }
    if name is not None:
        data["name"] = name
    if specialty:
        data["specialties"] = specialty
    query = parse_input(SearchQuery, data)
    db = _database(db)
    result = run_search(db, query)
    if as_json:
        print_json(result)
        return
    from spinefx.directory.store import directory_facts

    _print_results(result, directory_facts(db))


# Below this many columns the seven-column table wraps nearly every cell: print a list instead.
WIDE_CONSOLE = 110


# Before the address of a hit found at a secondary practice location (its distance is to it).
SECONDARY_MARK = "[bold]Secondary practice location:[/] "

DEMO_WARNING = (
    "Demonstration data: the loaded directory is the fictional sample from "
    "`spinefx directory demo`; every provider below is made up."
)


def _print_results(result: SearchResult, facts: DirectoryFacts) -> None:
    from rich.markup import escape
    from rich.table import Table

    from spinefx.directory.geo import parse_zip
    from spinefx.directory.search import VOLUME_NOTE
    from spinefx.directory.taxonomy import SPECIALTIES
    from spinefx.directory.text import place_line

    q = result.query
    origin = parse_zip(q.zip)
    if facts.demo:
        console.print(f"[bold yellow]{DEMO_WARNING}[/]", highlight=False)
    labels = ", ".join(SPECIALTIES[s] for s in q.specialties)
    console.print(
        f"[bold]{result.total:,}[/] providers within {q.radius:g} miles of {q.zip} "
        f"({origin.city}, {origin.state}): {labels}"
        + (" - with Medicare BKP volume only" if q.performs_bkp else ""),
        highlight=False,
    )
    if not result.results:
        if result.total:
            console.print(f"No results past offset {q.offset}.")
        return
    # Names and addresses come from the provider file: shown as text, never read as markup.
    rows = [
        {
            "miles": f"{hit.distance_miles:.1f}",
            "name": escape(hit.name or "(no name)"),
            "aka": escape("; ".join(hit.other_names)),
            "specialties": escape(", ".join(SPECIALTIES.get(s, s) for s in hit.specialties)),
            "address": (SECONDARY_MARK if hit.secondary_location else "")
            + escape(place_line(hit.address, hit.city, hit.state, hit.zip)),
            "phone": escape(hit.phone or ""),
            "bkp": "" if hit.bkp_services is None else f"{hit.bkp_services:,}",
            "npi": hit.npi,
        }
        for hit in result.results
    ]
    if console.width >= WIDE_CONSOLE:
        table = Table()
        table.add_column("miles", justify="right")
        table.add_column("name")
        table.add_column("specialties")
        table.add_column("address")
        table.add_column("phone", no_wrap=True)
        table.add_column("BKP svc", justify="right")
        table.add_column("NPI", no_wrap=True)
        for row in rows:
            aka = f"\n[dim]also known as:[/] {row['aka']}" if row["aka"] else ""
            table.add_row(
                row["miles"],
                row["name"] + aka,
                row["specialties"],
                row["address"],
                row["phone"],
                row["bkp"],
                row["npi"],
            )
        console.print(table)
    else:
        for row in rows:
            volume = f"  BKP svc {row['bkp']}" if row["bkp"] else ""
            console.print(
                f"[bold]{row['miles']:>5} mi[/]  [bold]{row['name']}[/]  [dim]NPI {row['npi']}[/]",
                highlight=False,
            )
            if row["aka"]:
                console.print(f"{'':9}Also known as: {row['aka']}", highlight=False)
            console.print(f"{'':9}{row['specialties']}{volume}", highlight=False)
            phone = f"  tel. {row['phone']}" if row["phone"] else ""
            console.print(f"{'':9}{row['address']}{phone}", highlight=False)
    first = q.offset + 1
    last = q.offset + len(result.results)
    console.print(f"Showing {first}-{last} of {result.total:,}.", highlight=False)
    year = f" in {facts.medicare_year}" if facts.medicare_year else ""
    console.print(
        f"[dim]BKP svc: Medicare kyphoplasty services{year} (CPT 22513-22515). {VOLUME_NOTE}[/]"
    )


@app.command(epilog="Example: spinefx directory update npidata_pfile_20250602-20250608.csv")
def update(
    weekly: Annotated[
        Path,
        typer.Argument(
            help="A weekly NPPES file (npidata_pfile_<start>-<end>.csv) or the weekly archive "
            "(the .zip whose name ends in _Weekly.zip).",
            show_default=False,
        ),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Apply the file even when its dates (from its CMS name) are not after the "
            "newest week applied and the monthly file, or its name gives none.",
        ),
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply a weekly update: new and changed NPIs replaced, deactivated ones removed,
    reactivated ones restored (the directory is replaced only when all of it is applied).

    Weeks go in date order: a week that does not end after the newest one applied and after
    the monthly file is refused (exit 2) and the directory left as it is, unless --force.
    """
    from rich.markup import escape

    with _one_batch(), _progress_bar() as progress:
        from spinefx.directory.update import update as run_update

        report = run_update(weekly, db_path=_database(db), progress=progress, force=force)
    if as_json:
        print_json(report)
        return
    console.print(
        f"[bold]Weekly update applied[/] to {escape(report.db_path)} in {report.seconds:.1f} s",
        highlight=False,
    )
    for label, count in (
        ("rows read", report.rows_read),
        ("added", report.added),
        ("changed (replaced)", report.changed),
        ("reactivated (restored)", report.restored),
        ("deactivated (removed)", report.deactivated),
        ("no longer of our specialties (removed)", report.removed_other),
        ("not for the directory (ignored)", report.ignored),
        ("providers before", report.providers_before),
        ("providers after", report.providers_after),
    ):
        console.print(f"  {label:<40} {count:>10,}", highlight=False)


@app.command(epilog="Example: spinefx directory info 1234567893")
def info(
    npi: Annotated[
        str | None,
        typer.Argument(
            help="10-digit NPI; without one, what the directory is built from.",
            show_default=False,
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One provider (all specialties, practice locations and Medicare volume), or without an
    NPI the directory itself: the monthly file it was built from and the weekly files since."""
    from spinefx.directory.search import provider_info

    db = _database(db)
    if npi is None:
        _print_directory(db, as_json)
        return
    detail = provider_info(db, npi)
    if as_json:
        print_json(detail)
        return
    from spinefx.directory.store import directory_facts

    if directory_facts(db).demo:
        console.print(f"[bold yellow]{DEMO_WARNING}[/]", highlight=False)
    _print_detail(detail)


def _print_directory(db: Path, as_json: bool) -> None:
    from rich.markup import escape

    from spinefx.directory.store import directory_facts, read_connection, scalar

    facts = directory_facts(db)
    with read_connection(db) as conn:
        providers = scalar(conn, "SELECT count(*) FROM providers")
        meta = dict(
            conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('loaded_at', 'updated_at')"
            ).fetchall()
        )
    data = {
        "db_path": str(db),
        "providers": providers,
        "built_from": facts.built_from,
        "built_through": facts.built_through,
        "loaded_at": meta.get("loaded_at"),
        "weekly_updates": list(facts.weekly),
        "updated_at": meta.get("updated_at"),
        "demo": facts.demo,
        "medicare_year": facts.medicare_year,
    }
    if as_json:
        print_json(data)
        return
    if facts.demo:
        console.print(f"[bold yellow]{DEMO_WARNING}[/]", highlight=False)
    where = str(db)
    console.print(f"[bold]Directory[/] {escape(where)}: {providers:,} providers")
    console.print(
        f"Built from {escape(facts.built_from or '(not recorded)')}"
        f" on {escape(str(meta.get('loaded_at') or '?'))}"
        + (f" (changes through {facts.built_through})" if facts.built_through else ""),
        highlight=False,
    )
    if facts.weekly:
        console.print(f"Weekly updates since ({len(facts.weekly)}), oldest first:")
        for name in facts.weekly:
            console.print(f"  {escape(name)}", highlight=False)
    else:
        console.print("No weekly update applied since.")
    if facts.medicare_year is not None:
        console.print(f"Medicare volume of {facts.medicare_year}.")


def _print_detail(d: ProviderDetail) -> None:
    from rich.markup import escape

    from spinefx.directory.taxonomy import SPECIALTIES
    from spinefx.directory.text import place_line

    # Names and addresses come from the provider file: shown as text, never read as markup.
    console.print(f"[bold]{escape(d.name or '(no name)')}[/]  NPI {d.npi}  ({d.entity_type})")
    for t in d.taxonomies:
        mark = " [green](primary)[/]" if t.primary else ""
        console.print(f"  {SPECIALTIES[t.specialty]}: {escape(t.label)} [dim]{t.code}[/]{mark}")
    place = place_line(d.address, d.city, d.state, d.postal_code)
    phone = f"  tel. {d.phone}" if d.phone else ""
    if d.other_names:
        console.print(f"Also known as: {escape('; '.join(d.other_names))}", highlight=False)
    console.print(f"Main practice location: {escape(place + phone)}", highlight=False)
    if d.zip is None:
        console.print("[dim]No US ZIP code: not found by radius search.[/]")
    for loc in d.locations:
        other = place_line(loc.address, loc.city, loc.state, loc.postal_code)
        phone = f"  tel. {loc.phone}" if loc.phone else ""
        console.print(f"Secondary practice location: {escape(other + phone)}", highlight=False)
    if d.utilization:
        console.print("Medicare volume (services / beneficiaries):")
        for u in d.utilization:
            benes = "" if u.beneficiaries is None else f" / {u.beneficiaries}"
            pos = (
                f" ({'facility' if u.place_of_service == 'F' else 'office'})"
                if (u.place_of_service)
                else ""
            )
            console.print(f"  CPT {u.hcpcs}{pos}: {u.services}{benes}", highlight=False)
    else:
        console.print("No Medicare vertebral augmentation volume on file.")
    console.print(f"[dim]{d.volume_note}[/]")
