"""``spinefx casefind ...``: find vertebral fractures in radiology report text.

``spinefx casefind REPORTS --out OUT`` reads reports and writes one finding per report;
``spinefx casefind evaluate LABELLED`` scores the pipeline against labelled reports;
``spinefx casefind demo-fhir DIR`` writes a demo Bulk FHIR export of reports to try it on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from spinefx.cli.output import JsonOpt, print_json
from spinefx.errors import InputError, ProblemKind
from spinefx.extras import require


class _ReportsFirst(TyperGroup):
    """``casefind REPORTS ...`` runs ``casefind run REPORTS ...``; subcommands keep their names."""

    default_command = "run"  # also read by spinefx.cli.flag_names

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ReportsFirst,
    help="Find vertebral compression fractures written in radiology reports.",
    no_args_is_help=True,
)

IdOpt = Annotated[str, typer.Option("--id-column", help="Column with the report id.")]
TextOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--text-column",
        help="Column with report text; repeat it to join several in order (default: text).",
        show_default=False,
    ),
]
PatientOpt = Annotated[
    str | None, typer.Option("--patient-column", help="Column with the patient id.")
]


def _registry_column(what: str) -> Any:
    """The option naming the column of ``what`` a case sent with --into-registry is given
    (its flag is the parameter's name: ``sex_column``, ``--sex-column``)."""
    return typer.Option(help=f"With --into-registry: {what}.")


@contextmanager
def _progress(total: int | None) -> Iterator[Any]:
    """A progress bar on stderr in reports, with reports per second."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} reports/s" if speed else "- reports/s")

    with Progress(
        TextColumn("reports"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("reports", total=total)
        yield lambda n: bar.advance(task, n)


@app.command("run")
def run(
    reports: Annotated[
        Path,
        typer.Argument(help="Reports: .csv, .jsonl or .parquet, or Bulk FHIR NDJSON (.ndjson)."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Findings: .jsonl, .csv or .parquet (by extension).")
    ],
    id_column: IdOpt = "id",
    text_column: TextOpt = None,
    patient_column: PatientOpt = None,
    engine: Annotated[
        str,
        typer.Option("--engine", metavar="local|spark", help="local (every core here) or spark."),
    ] = "local",
    master: Annotated[
        str | None,
        typer.Option("--master", metavar="<url>", help="Spark master URL (default local[*])."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
    ] = None,
    into_registry: Annotated[
        bool,
        typer.Option(
            "--into-registry", help="Send present and uncertain findings to the worklist."
        ),
    ] = False,
    site: Annotated[
        str, typer.Option("--site", help="Registry site the cases belong to.")
    ] = "main",
    name_column: Annotated[str | None, _registry_column("patient name")] = None,
    birth_date_column: Annotated[str | None, _registry_column("birth date (YYYY-MM-DD)")] = None,
    sex_column: Annotated[str | None, _registry_column("female or male")] = None,
    date_column: Annotated[str | None, _registry_column("the report's date")] = None,
    patients: Annotated[
        list[Path] | None,
        typer.Option(
            "--patients",
            help="With FHIR reports and --into-registry: Patient resources (NDJSON, a Bundle or "
            "a Bulk export folder), if not in REPORTS itself; repeat for several.",
            show_default=False,
        ),
    ] = None,
    registry_url: Annotated[
        str | None,
        typer.Option(
            "--registry-url",
            metavar="<url>",
            help="Registry database (default: $SPINEFX_DATABASE_URL, else registry.sqlite3 in "
            "the data folder).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run's figures as JSON (no progress bar).")
    ] = False,
) -> None:
    """Read REPORTS and write one finding per report to OUT."""
    from spinefx.casefind.reports import format_of, is_fhir_reports, open_reports

    told = _Told(as_json)
    quiet = quiet or as_json

    texts = text_column or ["text"]
    if engine not in ("local", "spark"):
        raise InputError("engine", engine, "local or spark", kind=ProblemKind.CHOICE)
    require("spark" if engine == "spark" else "nlp")  # before any worker or output file
    fhir = is_fhir_reports(reports)
    if fhir:
        columns = {"id_column": id_column if id_column != "id" else None,
                   "text_column": text_column, "patient_column": patient_column,
                   "name_column": name_column, "birth_date_column": birth_date_column,
                   "sex_column": sex_column, "date_column": date_column}  # fmt: skip
        source: Any = _fhir_source(reports, columns, patients or [], into_registry)
    elif patients:
        raise InputError("patients", str(patients[0]), "nothing: it goes with FHIR reports")
    registry_columns = None
    if into_registry and not fhir:
        from spinefx.casefind.registry import PatientColumns

        registry_columns = PatientColumns(
            patient_column, name_column, birth_date_column, sex_column, date_column
        )
        roles = registry_columns.check()
        extra = [c for role, c in roles.items() if role != "patient_column"]
        open_reports(reports, id_column, texts, patient_column, extra_columns=extra)
    if engine != "spark":
        format_of(out, "--out")
    if not fhir:
        source = open_reports(reports, id_column, texts, patient_column)
    if engine == "spark":
        from spinefx.casefind.spark import run_spark

        started = time.perf_counter()
        rows = run_spark(source, out, master=master)
        _summary(told, rows, out, time.perf_counter() - started)
    else:
        _run_local(told, source, out, workers, quiet)
    if fhir:
        _fhir_after(told, source, reports, out, into_registry, site, patients or [], registry_url)
    if registry_columns is not None:
        from spinefx.casefind.registry import hits, record_hits
        from spinefx.cli.registry import registry_url as settings_registry_url

        found = hits(
            reports,
            out,
            site=site,
            id_column=id_column,
            text_columns=tuple(texts),
            columns=registry_columns,
        )
        summary = record_hits(found, site=site, url=settings_registry_url(registry_url))
        told.registry(summary)
    told.finish()


@dataclass
class _Told:
    """What a run tells: lines as it goes, or with --json one JSON object at the end."""

    as_json: bool
    figures: dict[str, Any] = field(default_factory=dict)

    def line(self, text: str) -> None:
        if not self.as_json:
            typer.echo(text)

    def registry(self, summary: Any) -> None:
        self.figures["registry"] = {"site": summary.site, "outcomes": dict(summary.outcomes)}
        self.line(summary.describe())

    def finish(self) -> None:
        if self.as_json:
            print_json(self.figures)


def _fhir_source(
    reports: Path, columns: dict[str, Any], patients: list[Path], into_registry: bool
) -> Any:
    """The FHIR report file; the options naming columns of a flat file must not be given."""
    from spinefx.casefind.reports import open_fhir_reports

    for path in patients:
        if not into_registry:
            raise InputError("patients", str(path), "nothing without --into-registry")
        if not path.exists():
            raise InputError("patients", str(path), "an existing file or folder")
    for option, value in columns.items():
        if value:
            raise InputError(
                option,
                value[0] if isinstance(value, list) else value,
                f"nothing: {reports.name} is Bulk FHIR, whose resources give the id, patient, "
                "text and date (and, for --into-registry, the Patient resources the rest)",
            )
    return open_fhir_reports(reports)


def _fhir_after(
    told: _Told,
    source: Any,
    reports: Path,
    out: Path,
    into_registry: bool,
    site: str,
    patients: list[Path],
    registry_url: str | None,
) -> None:
    """What a FHIR run prints after the findings: what it left out; then the worklist."""
    told.figures["skipped"] = dict(sorted(source.skipped.items()))
    for line in source.skipped.lines():
        told.line(line)
    if into_registry:
        from spinefx.casefind.registry import record_hits
        from spinefx.cli.registry import registry_url as settings_registry_url
        from spinefx.fhir.casefind_registry import fhir_hits

        found = fhir_hits(reports, out, site=site, patients=patients)
        summary = record_hits(found, site=site, url=settings_registry_url(registry_url))
        told.registry(summary)


@app.command("demo-fhir", epilog="Example: spinefx casefind demo-fhir demo-fhir/")
def demo_fhir(
    directory: Annotated[Path, typer.Argument(help="Folder to write the NDJSON files into.")],
    rows: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Reports (JSON Lines: id, patient, findings, impression) (default: the "
            "development set, tests/data/casefind_dev.jsonl).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a demo Bulk FHIR export of radiology reports (DiagnosticReport.ndjson, with
    fictional patients in Patient.ndjson) to try case-finding on."""
    from spinefx.fhir.report_demo import DEFAULT_ROWS, write_demo

    written = write_demo(directory, rows or DEFAULT_ROWS)
    if as_json:
        files = [
            {"resource_type": f.resource_type, "count": f.count, "path": str(f.path)}
            for f in written
        ]
        print_json({"files": files})
        return
    for file in written:
        typer.echo(f"{file.count:,} {file.resource_type} -> {file.path}")
    reports = next(f.path for f in written if f.resource_type == "DiagnosticReport")
    typer.echo(f"try: spinefx casefind {reports} --out found.jsonl")


def _run_local(told: _Told, source: Any, out: Path, workers: int | None, quiet: bool) -> None:
    from spinefx.casefind import engine as local
    from spinefx.casefind.reports import ResultWriter

    started = time.perf_counter()
    with ResultWriter(out, source.output_schema) as writer:
        if quiet:
            for batch in local.run_local(source.batches(), workers):
                writer.write(batch)
        else:
            with _progress(source.count()) as advance:
                for batch in local.run_local(source.batches(), workers, advance):
                    writer.write(batch)
    _summary(told, writer.rows, out, time.perf_counter() - started)


def _summary(told: _Told, rows: int, out: Path, seconds: float) -> None:
    rate = rows / seconds if seconds > 0 else 0.0
    told.figures.update(reports=rows, out=str(out), seconds=round(seconds, 3))
    told.line(f"{rows:,} reports -> {out} in {seconds:.1f} s ({rate:,.1f} reports/s)")


@app.command("evaluate")
def evaluate(
    labelled: Annotated[Path, typer.Argument(help="Labelled reports: .csv, .jsonl or .parquet.")],
    label_column: Annotated[
        str, typer.Option("--label-column", help="Gold label: present, uncertain or absent.")
    ] = "label",
    levels_column: Annotated[
        str | None,
        typer.Option("--levels-column", help="Gold levels (a list, or text such as 'T8;T12')."),
    ] = "levels",
    id_column: IdOpt = "id",
    text_column: TextOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Score the pipeline on LABELLED reports: sensitivity, specificity, PPV, NPV."""
    require("nlp")
    from spinefx.casefind.evaluate import evaluate_file

    result = evaluate_file(
        labelled,
        label_column=label_column,
        levels_column=levels_column,
        id_column=id_column,
        text_columns=text_column or ["text"],
    )
    if json_out:
        print_json(result.to_dict())
    else:
        typer.echo(result.describe())
