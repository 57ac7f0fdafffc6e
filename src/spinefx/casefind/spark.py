"""The Spark engine: the same pipeline as a PySpark job, Parquet in and out.

Each executor runs :func:`spinefx.casefind.engine.process_batch` (the local engine's own
function) on Arrow batches through ``DataFrame.mapInArrow``, so the records are the same as the
local engine's. The output is a Parquet dataset (a folder of part files) named ``OUT``; it is
written to a temporary folder beside it and renamed when the job has finished.

Bulk FHIR NDJSON is read by Spark as text, one resource a line; each executor turns its lines
into the local engine's batches (:func:`spinefx.casefind.reports.fhir_batch`) before the same
batch function, and counts what it passes over in an accumulator that the driver reads back.

On a cluster, every executor needs spinefx installed in the Python it runs (for instance a
packed virtual environment passed with ``--archives``); see docs/casefinding.md for
``spark-submit``. ``python -m spinefx.casefind.spark REPORTS OUT`` is the entry point there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from spinefx.casefind.reports import FhirReportSource, ReportSource, open_reports
from spinefx.errors import DataError, InputError

if TYPE_CHECKING:
    from pyspark import Accumulator
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SPARK_SCHEMA", "main", "run_spark", "spark_session"]

SPARK_SCHEMA = (
    "id string, patient string, vcf string, levels array<string>, regions array<string>, "
    "acuity string, severity string, treated boolean, "
    "evidence array<struct<text: string, start: int, end: int, status: string>>"
)
FHIR_SPARK_SCHEMA = SPARK_SCHEMA + ", date string"
BATCH_ROWS = 512
_BAD_LINE = "!bad-line:"  # an accumulator key: a line that is not a resource, and its start


def _findings(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """What each executor runs: the local engine's batch function, batch by batch."""
    from spinefx.casefind.engine import process_batch

    for batch in batches:
        if batch.num_rows:
            yield process_batch(batch)


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session for the job (``local[*]`` unless a master URL is given)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise DataError("the Spark engine needs Java 17 or newer: install a Java runtime first")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("spinefx-casefind")
    if master:
        builder = builder.master(master)
    elif not os.environ.get("SPARK_HOME"):
        builder = builder.master("local[*]")
    settings = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(BATCH_ROWS),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    if not master or master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        settings["spark.driver.bindAddress"] = "127.0.0.1"
        settings["spark.driver.host"] = "127.0.0.1"
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _read(spark: SparkSession, source: ReportSource) -> DataFrame:
    from pyspark.sql import functions as F

    path = str(source.path)
    if source.fmt == "parquet":
        df = spark.read.parquet(path)
    elif source.fmt == "jsonl":
        df = spark.read.json(path)
    else:
        df = (
            spark.read.option("header", True)
            .option("multiLine", True)
            .option("escape", '"')
            .csv(path)
        )
    columns = [F.col(f"`{source.id_column}`").cast("string").alias("id")]
    if source.patient_column:
        columns.append(F.col(f"`{source.patient_column}`").cast("string").alias("patient"))
    else:
        columns.append(F.lit(None).cast("string").alias("patient"))
    columns += [
        F.col(f"`{c}`").cast("string").alias(f"text_{i}") for i, c in enumerate(source.text_columns)
    ]
    return df.select(*columns)


def _fhir_findings(
    skipped: Accumulator[Counter[str]], batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """What each executor runs on FHIR input: lines to report batches, then the findings.

    A line that is not a resource stops the partition's work without failing the task (a
    failed task fills the console with Spark's and Python's stack traces): its start goes back
    in the accumulator, and the driver refuses the whole output (see :func:`run_spark`).
    """
    from spinefx.casefind.engine import process_batch
    from spinefx.casefind.reports import fhir_batch
    from spinefx.fhir.reports import SkipCounter, iter_fhir_reports

    counts = SkipCounter()
    try:
        for batch in batches:
            lines = (line or "" for line in batch.column(0).to_pylist())
            records = list(iter_fhir_reports(lines, counts))
            if records:
                yield process_batch(fhir_batch(records))
    except InputError as exc:
        counts[_BAD_LINE + str(exc.value)[:60]] += 1
        for _ in batches:  # the rest of the partition is read, not worked on
            pass
    skipped.add(counts)


class _CounterParam:
    """Adds the executors' skip counts (a pyspark AccumulatorParam)."""

    def zero(self, value: Counter[str]) -> Counter[str]:
        return Counter()

    def addInPlace(self, value1: Counter[str], value2: Counter[str]) -> Counter[str]:
        value1.update(value2)
        return value1


def _fhir_job(spark: SparkSession, source: FhirReportSource) -> tuple[DataFrame, Accumulator[Any]]:
    skipped: Accumulator[Any] = spark.sparkContext.accumulator(
        Counter(),
        _CounterParam(),  # type: ignore[arg-type]
    )
    lines = spark.read.text(str(source.path))
    return lines.mapInArrow(partial(_fhir_findings, skipped), FHIR_SPARK_SCHEMA), skipped


def _bad_line(source: FhirReportSource, counts: Counter[str]) -> InputError | None:
    """The error for a FHIR file that had a line that is not a resource: a local file is read
    again to name the first such line; for a cluster path, the line's start is shown."""
    bad = sorted(key[len(_BAD_LINE) :] for key in counts if key.startswith(_BAD_LINE))
    if not bad:
        return None
    if source.path.is_file():
        try:
            for _ in source.records():
                pass
        except InputError as found:
            return found
    return InputError(f"{source.path.name}: a line", bad[0], "one FHIR resource as JSON")


def run_spark(
    source: ReportSource | FhirReportSource,
    out: Path,
    master: str | None = None,
    conf: dict[str, str] | None = None,
) -> int:
    """Run the job; return the number of reports written to the Parquet dataset ``out``."""
    import pyarrow.parquet as pq

    if out.suffix.lower() not in (".parquet", ".pq"):
        raise InputError("out", str(out), "a .parquet path (Spark writes a Parquet dataset)")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("out", str(out), "a path in an existing folder")
    tmp = parent / f".{out.name}.{os.getpid()}.tmp"
    spark = spark_session(master, conf)
    skipped = None
    try:
        if isinstance(source, FhirReportSource):
            findings, skipped = _fhir_job(spark, source)
        else:
            findings = _read(spark, source).mapInArrow(_findings, SPARK_SCHEMA)
        findings.write.mode("overwrite").parquet(str(tmp))
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if skipped is not None and isinstance(source, FhirReportSource):
        bad = _bad_line(source, skipped.value)
        if bad is not None:
            shutil.rmtree(tmp, ignore_errors=True)
            raise bad
        source.skipped.clear()
        source.skipped.update(skipped.value)
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()
    os.replace(tmp, out)
    return int(pq.ParquetDataset(str(out)).read(columns=["id"]).num_rows)


def main(argv: list[str] | None = None) -> int:
    """``spark-submit`` entry point: REPORTS OUT [--id-column ...] [--text-column ...]."""
    parser = argparse.ArgumentParser(prog="spinefx.casefind.spark")
    parser.add_argument("reports", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--id-column", default="id")
    parser.add_argument("--text-column", action="append")
    parser.add_argument("--patient-column")
    args = parser.parse_args(argv)
    source = _remote_source(args)
    rows = run_spark(source, args.out, master=None)
    print(f"{rows} reports -> {args.out}")
    return 0


def _remote_source(args: Any) -> ReportSource:
    """A local file is checked like the local engine's input; a cluster path is taken as is."""
    texts = tuple(args.text_column or ["text"])
    path = Path(args.reports)
    if path.exists():
        return open_reports(path, args.id_column, texts, args.patient_column)
    fmt = "parquet" if path.suffix.lower() in (".parquet", ".pq", "") else "jsonl"
    fmt = "csv" if path.suffix.lower() == ".csv" else fmt
    return ReportSource(path, fmt, args.id_column, texts, args.patient_column, ())


if __name__ == "__main__":
    sys.exit(main())
