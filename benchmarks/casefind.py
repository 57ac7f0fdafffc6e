"""Case-finding benchmark: the pipeline's speed and accuracy beside a keyword baseline's.

Prints figures; it is not a test. All in one run, on this machine:

- accuracy of the pipeline and of a plain keyword search (``spinefx.casefind.baseline``) on
  the labelled development set (``--dev``, default tests/data/casefind_dev.jsonl) and on the
  held-out test set (``--test``, default tests/data/casefind_test.jsonl);
- speed on ``--reports`` chest X-ray reports (default 20,000: the development set's chest
  X-ray reports, findings and impression joined, repeated in turn):
  the keyword search (one process), the pipeline in one process, and the local engine (Arrow
  batches over a pool of every core, the worker start included), ``--repeat`` times each
  (default 3; medians, since timings on a shared machine move from run to run).

CPU seconds are printed beside wall seconds: on a machine shared with other work, reports per
CPU second say what the code costs when the wall clock is slowed by others.

    .venv/bin/python benchmarks/casefind.py [--reports 20000] [--repeat 3] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from spinefx.casefind.baseline import keyword_vcf
from spinefx.casefind.engine import default_workers, run_local
from spinefx.casefind.evaluate import Evaluation, score
from spinefx.casefind.pipeline import default_finder
from spinefx.casefind.text import join_sections

ROOT = Path(__file__).resolve().parent.parent
GOAL = 2000  # chest X-ray reports per second on this machine (issue 12)


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _text(row: dict[str, Any]) -> str:
    return join_sections([row.get("findings"), row.get("impression")])


def _accuracy(rows: list[dict[str, Any]]) -> tuple[Evaluation, Evaluation]:
    finder = default_finder()
    found = list(finder.find_many((r["id"], r.get("patient"), _text(r)) for r in rows))
    pipeline = score(
        (r["id"], r["label"], r.get("levels"), f.vcf, list(f.levels))
        for r, f in zip(rows, found, strict=True)
    )
    keyword = score((r["id"], r["label"], None, keyword_vcf(_text(r)), []) for r in rows)
    return pipeline, keyword


def _batches(texts: list[str], size: int = 512) -> list[pa.RecordBatch]:
    out = []
    for start in range(0, len(texts), size):
        chunk = texts[start : start + size]
        out.append(
            pa.RecordBatch.from_pydict(
                {
                    "id": [str(start + i) for i in range(len(chunk))],
                    "patient": pa.nulls(len(chunk), pa.string()),
                    "text_0": chunk,
                }
            )
        )
    return out


def _time(fn: Any, n: int, repeat: int) -> dict[str, float]:
    """Median wall and CPU seconds of ``fn``; ``fn`` may return extra CPU seconds it measured."""
    walls, cpus = [], []
    for _ in range(repeat):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        extra = fn()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0 + (extra if isinstance(extra, float) else 0.0))
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {"wall_s": wall, "cpu_s": cpu, "per_s": n / wall, "per_cpu_s": n / cpu}


def _engine(batches: list[pa.RecordBatch], workers: int) -> float:
    """Run the local engine; the workers' CPU seconds (the parent's are counted apart)."""
    stats: dict[str, float] = {}
    for _ in run_local(batches, workers, stats=stats):
        pass
    return stats["cpu_s"]


def _row(name: str, rate: dict[str, float]) -> str:
    return (
        f"{name:<38} {rate['per_s']:>10,.0f} {rate['per_cpu_s']:>12,.0f} "
        f"{rate['wall_s']:>8.2f} {rate['cpu_s']:>8.2f}"
    )


def _figures(name: str, e: Evaluation) -> str:
    def pct(rate: Any) -> str:
        low, high = rate.interval
        return f"{rate.value:.1%} ({low:.1%}-{high:.1%})"

    return (
        f"{name:<10} sensitivity {pct(e.sensitivity)}  specificity {pct(e.specificity)}  "
        f"PPV {pct(e.ppv)}  NPV {pct(e.npv)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=ROOT / "tests/data/casefind_dev.jsonl")
    parser.add_argument("--test", type=Path, default=ROOT / "tests/data/casefind_test.jsonl")
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args(argv)

    rows = _load(args.dev)
    cxr = [_text(r) for r in rows if r.get("modality") == "chest-xr"]
    texts = [cxr[i % len(cxr)] for i in range(args.reports)]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{args.workers} workers")  # fmt: skip
    print(f"development set: {len(rows)} reports ({args.dev.name}); speed corpus: "
          f"{len(texts):,} chest X-ray reports, mean {statistics.mean(map(len, cxr)):.0f} "
          f"characters, from {len(cxr)} distinct ones")  # fmt: skip

    for name, labelled in (("development", rows), ("test", _load(args.test))):
        pipeline, keyword = _accuracy(labelled)
        print(f"\naccuracy on the {name} set, {len(labelled)} reports "
              "('uncertain' counts as found):")  # fmt: skip
        print(_figures("pipeline", pipeline))
        print(_figures("keywords", keyword))
        print(f"pipeline level accuracy on true positives: {pipeline.level_accuracy}")

    finder = default_finder()
    batches = _batches(texts)
    rates = {
        "keyword search, 1 process": _time(
            lambda: [keyword_vcf(t) for t in texts], len(texts), args.repeat
        ),
        "pipeline, 1 process": _time(
            lambda: list(finder.find_many((str(i), None, t) for i, t in enumerate(texts))),
            len(texts),
            args.repeat,
        ),
        f"local engine, {args.workers} workers (start incl.)": _time(
            lambda: _engine(batches, args.workers), len(texts), args.repeat
        ),
    }
    print("\nspeed (medians of", args.repeat, "rounds)")
    print(f"{'':<38} {'reports/s':>10} {'per CPU-s':>12} {'wall s':>8} {'CPU s':>8}")
    for name, rate in rates.items():
        print(_row(name, rate))
    engine = rates[f"local engine, {args.workers} workers (start incl.)"]["per_s"]
    verdict = "meets" if engine >= GOAL else "does NOT meet"
    print(f"\nlocal engine: {engine:,.0f} reports/s, which {verdict} the goal of {GOAL:,}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
