"""The local engine: report batches through the pipeline on every core, in order.

A pool of worker processes, each with its own :class:`~spinefx.casefind.pipeline.CaseFinder`,
takes Arrow batches; at most two batches per worker are in flight, so memory stays bounded
whatever the input's size. Results come back in input order. The same :func:`process_batch`
is what the Spark engine runs on each executor.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pyarrow as pa

from spinefx.casefind.record import ARROW_SCHEMA, DATE_FIELD

__all__ = ["default_workers", "process_batch", "run_local"]

ProgressFn = Callable[[int], None]


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def process_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Findings for one input batch (columns id, patient, text_0..text_n) as an output batch.

    A ``date`` column in the input (reports read from FHIR) is carried through to the output.
    """
    from spinefx.casefind.pipeline import default_finder
    from spinefx.casefind.text import join_sections

    columns = batch.schema.names
    ids = batch.column(columns.index("id")).to_pylist()
    patients = batch.column(columns.index("patient")).to_pylist()
    texts = [batch.column(i).to_pylist() for i, n in enumerate(columns) if n.startswith("text_")]
    joined = [join_sections(parts) for parts in zip(*texts, strict=True)] if texts else []
    reports = zip(ids, patients, joined, strict=True)
    findings = default_finder().find_many((str(i), p, t) for i, p, t in reports)
    out = pa.RecordBatch.from_pylist([f.to_dict() for f in findings], schema=ARROW_SCHEMA)
    if "date" in columns:
        out = out.append_column(DATE_FIELD, batch.column(columns.index("date")))
    return out


def _timed(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, float]:
    start = time.process_time()
    out = process_batch(batch)
    return out, time.process_time() - start


def _warm() -> None:
    from spinefx.casefind.pipeline import default_finder

    default_finder()


def run_local(
    batches: Iterable[pa.RecordBatch],
    workers: int | None = None,
    progress: ProgressFn | None = None,
    stats: dict[str, float] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Output batches for ``batches``, in order, using ``workers`` processes (default: all).

    ``stats``, when given, gets ``cpu_s``: the CPU seconds the pipeline took in the workers.
    """
    workers = workers or default_workers()
    if stats is not None:
        stats.setdefault("cpu_s", 0.0)
    if workers == 1:
        for batch in batches:
            out, cpu = _timed(batch)
            if stats is not None:
                stats["cpu_s"] += cpu
            if progress:
                progress(out.num_rows)
            yield out
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["spinefx.casefind.pipeline"])
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        pending: deque[Future[tuple[pa.RecordBatch, float]]] = deque()

        def finish() -> pa.RecordBatch:
            out, cpu = pending.popleft().result()
            if stats is not None:
                stats["cpu_s"] += cpu
            if progress:
                progress(out.num_rows)
            return out

        for batch in batches:
            pending.append(pool.submit(_timed, batch))
            while len(pending) >= 2 * workers:
                yield finish()
        while pending:
            yield finish()
