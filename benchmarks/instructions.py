"""Instructions per API request, counted by valgrind: a figure the machine's neighbours cannot move.

Prints figures; it is not a test and CI does not run it. Requests per second on a shared virtual
machine move by half from one minute to the next (docs/performance.md), so a change to the
search is judged here by the CPU instructions it executes instead: valgrind's callgrind counts
them exactly, and a rerun gives the same count to within a percent.

It builds a demo directory in a temporary data folder, then for each endpoint runs a child
Python under ``valgrind --tool=callgrind`` that calls the web app in process (ASGI, as uvicorn
does, without the network), warms it up, then makes ``--requests`` requests between two marks
(calls to ``getppid``, where callgrind is told to dump its counters). The count between the
marks, divided by the requests, is the app's cost of one request: the framework, the
middleware and the endpoint; not uvicorn's HTTP parsing and socket writes (about 0.18 million
instructions a request more, measured on 2026-12-02). The baseline, in the same run: the bare
home page and the self-check endpoint.

    .venv/bin/python benchmarks/instructions.py --requests 60

Needs Debian's ``valgrind``. Under valgrind Python runs some 50 times slower: about a minute
for each endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# The endpoints of benchmarks/api.py, the same requests (a script's own folder is on its path).
from api import ENDPOINTS

LABELS = [endpoint.label for endpoint in ENDPOINTS]  # the first, the bare page, the baseline
WARM_UP = 60


def child(label: str, requests: int) -> None:
    """In the counted process: make ``requests`` requests to ``label``'s endpoint between two
    ``getppid`` calls (the marks callgrind dumps its counters at)."""
    import logging

    from spinefx.web.app import create_app

    logging.disable(logging.CRITICAL)  # the access log's lines are not the app's work
    endpoint = next(e for e in ENDPOINTS if e.label == label)
    path, _, query_text = endpoint.path.partition("?")
    query = query_text.encode()
    body = json.dumps(endpoint.body).encode() if endpoint.body is not None else b""
    method = "POST" if endpoint.body is not None else "GET"
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    app = create_app()
    statuses: list[int] = []

    def scope() -> dict[str, Any]:
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run() -> None:
        async with app.router.lifespan_context(app):
            for _ in range(WARM_UP):
                await app(scope(), receive, send)
            os.getppid()
            for _ in range(requests):
                await app(scope(), receive, send)
            os.getppid()

    asyncio.run(run())
    if set(statuses) != {200}:
        raise SystemExit(f"{label} answered {sorted(set(statuses))}, not 200")


def count(label: str, requests: int, data_dir: Path) -> int:
    """Instructions per request of ``label``, from callgrind's dump between the two marks."""
    with tempfile.TemporaryDirectory(prefix="spinefx-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--dump-before=getppid",
            f"--callgrind-out-file={out}", sys.executable, __file__, "--child", label,
            "--requests", str(requests),
        ]  # fmt: skip
        env = {**os.environ, "SPINEFX_DATA_DIR": str(data_dir)}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{label}: the counted run failed:\n{done.stderr[-2000:]}")
        # Dumps: .1 is start-up to the first mark, .2 the requests, the last the exit.
        dumps = sorted(Path(tmp).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        if len(dumps) < 2:
            raise SystemExit(f"{label}: callgrind wrote {len(dumps)} dumps, not the marks")
        totals = re.search(r"^(?:summary|totals): (\d+)", dumps[1].read_text(), re.M)
        if totals is None:
            raise SystemExit(f"{label}: no totals in {dumps[1].name}")
        return int(totals.group(1)) // requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="counted requests each")
    parser.add_argument("--rows", type=int, default=10_000, help="demo directory size")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child not in LABELS:
            parser.error(f"--child: one of {LABELS}")
        child(args.child, args.requests)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    from spinefx.directory.demo import load_demo

    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="spinefx-bench-") as tmp:
        load_demo(Path(tmp) / "directory.duckdb", rows=args.rows)
        for label in LABELS:
            counts[label] = count(label, args.requests, Path(tmp))
            print(f"  counted {label}", file=sys.stderr)
    print(
        f"\nspinefx app: instructions per request (valgrind callgrind, in process), "
        f"{args.rows:,}-row demo directory, {args.requests} requests each after {WARM_UP}"
    )
    baseline = counts[LABELS[0]]
    for label, instructions in counts.items():
        print(f"  {label:<28}{instructions:>12,}  {instructions / baseline:5.2f}x the page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
