"""What reading reports out of Bulk FHIR NDJSON costs, beside case-finding's own cost per report.

Prints figures; it is not a test. In one run, on ``--reports`` DiagnosticReports (default 5,000)
made from the development set's chest X-ray reports (findings and impression joined, base64
``text/plain`` in ``presentedForm``, built with fhir.resources), ``--repeat`` times (medians):

- ``json.loads`` of each line alone (the floor);
- :func:`spinefx.fhir.reports.iter_fhir_reports`, the path case-finding uses: JSON, then only
  the elements it needs;
- a full fhir.resources R4B validation of each line, then the same extraction;
- case-finding's pipeline in one process on the same texts, to put the parsing in proportion:
  the share of the CSV rate kept when FHIR parsing is added to each report's pipeline time.

    .venv/bin/python benchmarks/fhir_reports.py [--reports 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from fhir.resources.R4B.diagnosticreport import DiagnosticReport

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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
