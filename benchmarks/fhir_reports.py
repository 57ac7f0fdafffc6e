"""What reading reports out of Bulk FHIR NDJSON costs, beside case-finding's own cost per report.

Prints figures; it is not a test. In one run, on ``--reports`` DiagnosticReports (default 5,000)
made from the development set's chest X-ray reports (findings and impression joined, base64
``text/plain`` in ``presentedForm``, built with fhir.resources), ``--repeat`` times (medians):

- ``json.loads`` of each line alone (the floor);
- :func:`spinefx.fhir.reports.iter_fhir_reports`, the path case-finding uses: JSON, then only
  the elements it needs;
- a full fhir.resources R4B validation of each line, then the same extraction;
- case-finding's pipeline in one process on the same texts, to put the parsing in proportion:
  the share of the CSV rate kept when FHIR parsing is added to each report's pipeline time;
- end to end, the way ``spinefx casefind`` runs (the report file streamed in batches, the local
  engine on ``--workers`` processes, a JSON Lines output written), the same reports as a CSV
  file (one text column) and as a Bulk FHIR NDJSON file, in turn, ``--repeat`` times: reports
  per second for each, and reading alone (the batches, no pipeline) for each.

With ``--rss N,M,...`` it instead runs ``spinefx casefind FILE.ndjson`` in a child process on
generated files of N, M... reports and prints the peak resident memory of the command's own
process and of its largest worker, sampled every 50 ms, to show that memory stays flat
whatever the file's size.

    .venv/bin/python benchmarks/fhir_reports.py [--reports 5000] [--repeat 3] [--workers N]
    .venv/bin/python benchmarks/fhir_reports.py --rss 2000,200000
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from fhir.resources.R4B.diagnosticreport import DiagnosticReport

from spinefx.casefind.reports import FhirReportSource, ReportSource
from spinefx.fhir.reports import iter_fhir_reports, report_from_resource

ROOT = Path(__file__).resolve().parent.parent


def _texts(n: int) -> list[str]:
    rows = [
        json.loads(line)
        for line in (ROOT / "tests/data/casefind_dev.jsonl").read_text().splitlines()
        if line
    ]
    texts = ["\n\n".join(p for p in (r.get("findings"), r.get("impression")) if p) for r in rows]
    texts = [t for t in texts if t]
    return [texts[i % len(texts)] for i in range(n)]


def _lines(texts: list[str]) -> list[str]:
    return [
        DiagnosticReport(
            id=f"r{i}",
            status="final",
            code={"text": "XR chest"},
            subject={"reference": f"Patient/{i % 997}"},
            effectiveDateTime="2026-03-02",
            presentedForm=[
                {"contentType": "text/plain", "data": base64.b64encode(t.encode()).decode()}
            ],
        ).model_dump_json(exclude_none=True)
        for i, t in enumerate(texts)
    ]


def _write_pair(texts: list[str], folder: Path) -> tuple[Path, Path]:
    """The same reports as a CSV (id, patient, text) and as DiagnosticReport NDJSON."""
    csv_path, fhir_path = folder / "reports.csv", folder / "reports.ndjson"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "patient", "text"])
        writer.writerows((f"r{i}", str(i % 997), t) for i, t in enumerate(texts))
    with fhir_path.open("w", encoding="utf-8") as f:
        for line in _stream_lines(texts):
            f.write(line + "\n")
    return csv_path, fhir_path


def _stream_lines(texts: list[str]) -> Iterator[str]:
    """DiagnosticReport lines built once per distinct text, then given each report's id."""
    built: dict[str, dict[str, object]] = {}
    for i, text in enumerate(texts):
        if text not in built:
            built[text] = json.loads(_lines([text])[0])
        resource = dict(built[text])
        resource["id"] = f"r{i}"
        resource["subject"] = {"reference": f"Patient/{i % 997}"}
        yield json.dumps(resource, separators=(",", ":"))


def _casefind(source: ReportSource | FhirReportSource, out: Path, workers: int) -> int:
    """What ``spinefx casefind`` does once the file is open: stream, find, write."""
    from spinefx.casefind.engine import run_local
    from spinefx.casefind.reports import ResultWriter

    with ResultWriter(out, source.output_schema) as writer:
        for batch in run_local(source.batches(), workers):
            writer.write(batch)
    return writer.rows


def _end_to_end(texts: list[str], repeat: int, workers: int) -> None:
    from spinefx.casefind.reports import open_fhir_reports, open_reports

    with tempfile.TemporaryDirectory(prefix="spinefx-bench-") as tmp:
        folder = Path(tmp)
        csv_path, fhir_path = _write_pair(texts, folder)
        sources = {
            "CSV": lambda: open_reports(csv_path, "id", ["text"], "patient"),
            "FHIR NDJSON": lambda: open_fhir_reports(fhir_path),
        }
        walls: dict[str, list[float]] = {name: [] for name in sources}
        reads: dict[str, list[float]] = {name: [] for name in sources}
        for _ in range(repeat):
            for name, open_source in sources.items():  # in turn, so both see the same load
                start = time.perf_counter()
                rows = sum(b.num_rows for b in open_source().batches())
                reads[name].append(time.perf_counter() - start)
                assert rows == len(texts), (name, rows)
                start = time.perf_counter()
                rows = _casefind(open_source(), folder / "found.jsonl", workers)
                walls[name].append(time.perf_counter() - start)
                assert rows == len(texts), (name, rows)
    n = len(texts)
    print(f"\nend to end, {n:,} reports, local engine on {workers} workers (start included), "
          f"medians of {repeat} rounds taken in turn:")  # fmt: skip
    print(f"  {'':<14} {'casefind reports/s':>20} {'reading alone reports/s':>25}")
    rates = {}
    for name in sources:
        rates[name] = n / statistics.median(walls[name])
        read_rate = n / statistics.median(reads[name])
        print(f"  {name:<14} {rates[name]:>20,.0f} {read_rate:>25,.0f}")
    share = rates["FHIR NDJSON"] / rates["CSV"] * 100
    verdict = "meets" if share >= 80 else "does NOT meet"
    print(f"  FHIR NDJSON at {share:.0f} % of the CSV rate, which {verdict} the goal of 80 %")


def _peak_rss(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB of the process, peak RSS MiB of its largest child)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    watched = psutil.Process(proc.pid)
    own = child = 0
    while proc.poll() is None:
        try:
            own = max(own, watched.memory_info().rss)
            for kid in watched.children(recursive=True):
                child = max(child, kid.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}")
    return time.perf_counter() - start, own / 2**20, child / 2**20


def _rss(texts: list[str], sizes: list[int], workers: int) -> None:
    spinefx = str(Path(sys.executable).with_name("spinefx"))
    print(f"peak resident memory of `spinefx casefind FILE.ndjson --workers {workers}`, "
          "sampled every 50 ms:")  # fmt: skip
    print(f"  {'reports':>9} {'file MiB':>9} {'wall s':>8} {'command MiB':>12} {'worker MiB':>11}")
    with tempfile.TemporaryDirectory(prefix="spinefx-rss-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"reports-{size}.ndjson"
            with path.open("w", encoding="utf-8") as f:
                for line in _stream_lines([texts[i % len(texts)] for i in range(size)]):
                    f.write(line + "\n")
            out = Path(tmp) / "found.jsonl"
            command = [spinefx, "casefind", str(path), "--out", str(out), "--quiet"]
            wall, own, child = _peak_rss([*command, "--workers", str(workers)])
            mib = path.stat().st_size / 2**20
            print(f"  {size:>9,} {mib:>9,.0f} {wall:>8.1f} {own:>12,.0f} {child:>11,.0f}")
            path.unlink()


def _median_us(work: Callable[[], object], n: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rss", help="report counts, e.g. 2000,200000: peak memory only")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if args.rss:
        _rss(_texts(1000), [int(n) for n in args.rss.split(",")], args.workers)
        return
    texts = _texts(args.reports)
    lines = _lines(texts)
    n = len(lines)

    def floor() -> None:
        for line in lines:
            json.loads(line)

    def light() -> None:
        for _ in iter_fhir_reports(lines):
            pass

    def full() -> None:
        for line in lines:
            report_from_resource(DiagnosticReport.model_validate_json(line).model_dump(mode="json"))

    from spinefx.casefind.pipeline import default_finder

    finder = default_finder()
    sample = texts[: min(n, 2000)]

    def pipeline() -> None:
        for _ in finder.find_many((str(i), None, t) for i, t in enumerate(sample)):
            pass

    floor_us = _median_us(floor, n, args.repeat)
    light_us = _median_us(light, n, args.repeat)
    full_us = _median_us(full, n, args.repeat)
    pipe_us = _median_us(pipeline, len(sample), args.repeat)
    print(f"{n} DiagnosticReports, medians of {args.repeat} runs, microseconds per report:")
    print(f"  json.loads only                      {floor_us:8.1f}")
    print(f"  iter_fhir_reports (used)             {light_us:8.1f}")
    print(f"  full fhir.resources validation       {full_us:8.1f}")
    print(f"  case-finding pipeline, one process   {pipe_us:8.1f}")
    for name, cost in (("light path", light_us), ("full validation", full_us)):
        kept = pipe_us / (pipe_us + cost) * 100
        print(f"  share of the CSV rate kept, {name}: {kept:.0f} %")
    _end_to_end(texts, args.repeat, args.workers)


if __name__ == "__main__":
    main()
