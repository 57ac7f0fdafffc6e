"""Web API benchmark: throughput and latency of the JSON API beside a bare page baseline.

Prints figures; it is not a test and CI does not run it. It builds a demo directory in a
temporary data folder, starts ``spinefx serve`` (uvicorn, one worker, access log off) in a
subprocess on 127.0.0.1, and for each endpoint below measures, for at most ``--seconds``
seconds and ``--requests`` requests each:

- sequentially, one httpx client (keep-alive): requests/second, p50 and p99 latency;
- concurrently, ``--threads`` threads each with its own client: requests/second, p50, p99.

The clients are ``wrk`` (Debian's ``wrk``: C, a few percent of a CPU) when it is installed,
else httpx in threads (``--client httpx``), which on a machine of two CPUs takes about one of
them from the server and so measures the client as much as the server. The server runs twice:
as ``spinefx serve`` runs it (uvicorn with httptools and uvloop) and, as the baseline, uvicorn
with its pure-Python HTTP parser and asyncio's loop (``--http h11 --loop asyncio``, what it ran
before httptools and uvloop were dependencies).

Endpoints: ``GET /`` (a bare page: the baseline for the framework, templates and middleware),
``POST /api/v1/screening`` (the reference patient) and ``GET /api/v1/specialists`` (02139,
25 miles, the default specialties).

    .venv/bin/python benchmarks/api.py --seconds 10 --requests 20000 --threads 8
    .venv/bin/python benchmarks/api.py --client httpx --no-baseline-server

Then ``--rounds`` more rounds of the target's measurement, each the bare page and then the
search at ``--threads`` connections (so each round has its baseline beside it). The target:
``GET /api/v1/specialists`` at 8 connections serves at least 1,500 requests a second (the
search runs on the directory's in-memory index; see docs/performance.md), judged on the median
of the table's run and the rounds, every one of them printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from spinefx.clinical.pathway import REFERENCE_SCREENING

HOST = "127.0.0.1"
TARGET_RPS = 1500  # GET /api/v1/specialists at 8 connections (issue 10)


@dataclass(frozen=True)
class Endpoint:
    label: str
    call: Callable[[httpx.Client], httpx.Response]
    path: str  # with its query string, for wrk
    body: dict[str, object] | None = None  # POSTed as JSON


ENDPOINTS = (
    Endpoint("GET / (baseline page)", lambda c: c.get("/"), "/"),
    Endpoint(
        "POST /api/v1/screening",
        lambda c: c.post("/api/v1/screening", json=REFERENCE_SCREENING),
        "/api/v1/screening",
        body=REFERENCE_SCREENING,
    ),
    Endpoint(
        "GET /api/v1/specialists",
        lambda c: c.get("/api/v1/specialists", params={"zip": "02139", "radius": 25}),
        "/api/v1/specialists?zip=02139&radius=25",
    ),
)


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    quantiles: dict[float, float] | None = None  # as wrk reports them, in ms

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if self.quantiles is not None:
            return self.quantiles.get(q, float("nan"))
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# The baseline server: the same app on uvicorn's pure-Python HTTP parser and asyncio's loop.
PURE_PYTHON_SERVER = """
import sys, uvicorn
from spinefx.web.app import create_app
from spinefx.web.settings import Settings
uvicorn.run(create_app(Settings()), host=sys.argv[1], port=int(sys.argv[2]), access_log=False,
            server_header=False, http="h11", loop="asyncio", log_level="warning")
"""


def start_server(
    data_dir: Path, port: int, pure_python: bool = False, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``spinefx serve`` on ``port`` over ``data_dir`` (``env``: more settings), once it answers."""
    env = {**os.environ, "SPINEFX_DATA_DIR": str(data_dir), **(env or {})}
    command = [sys.executable, "-m", "spinefx", "serve", "--host", HOST, "--port", str(port)]
    if pure_python:
        command = [sys.executable, "-c", PURE_PYTHON_SERVER, HOST, str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120  # a loaded machine starts it slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}/", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start within 120 s")


def run_for(
    base_url: str, endpoint: Endpoint, seconds: float, max_requests: int, threads: int
) -> Figures:
    """Call ``endpoint`` from ``threads`` clients until the time or the request budget is spent."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    budget = threading.Semaphore(max_requests)
    ready = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            endpoint.call(client)  # warm the connection and the server's caches, untimed
            ready.wait()
            while time.perf_counter() < stop_at[0] and budget.acquire(blocking=False):
                start = time.perf_counter()
                response = endpoint.call(client)
                latencies[i].append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    errors[i] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600  # set for real once every client is warm
    ready.wait()
    started = time.perf_counter()
    stop_at[0] = started + seconds
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    merged = [x for part in latencies for x in part]
    return Figures(len(merged), elapsed, merged, sum(errors))


# wrk prints the chosen latency percentiles (in microseconds) from this script's done().
WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("p50 %f\\np99 %f\\n", latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(base_url: str, endpoint: Endpoint, seconds: float, connections: int) -> Figures:
    """Call ``endpoint`` with ``wrk`` on ``connections`` connections for ``seconds``."""
    script = WRK_REPORT
    if endpoint.body is not None:
        body = json.dumps(endpoint.body)  # JSON has no ]] to end Lua's long string
        script = (
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [[{body}]]\n" + script
        )
    with tempfile.TemporaryDirectory(prefix="spinefx-wrk-") as tmp:
        lua = Path(tmp) / "report.lua"
        lua.write_text(script, encoding="utf-8")
        command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s"]
        command += ["-s", str(lua), base_url + endpoint.path]
        out = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
    return parse_wrk(out, seconds)


def parse_wrk(out: str, seconds: float) -> Figures:
    """The figures of one wrk run from its output (with :data:`WRK_REPORT`'s two lines)."""

    def number(pattern: str) -> float:
        found = re.search(pattern, out, re.MULTILINE)
        if found is None:
            raise SystemExit(f"wrk's output has no match for {pattern!r}:\n{out}")
        return float(found.group(1))

    requests = int(number(r"(\d+) requests in"))
    elapsed = (
        number(r"requests in ([\d.]+)s") if re.search(r"requests in [\d.]+s", out) else seconds
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    failed = (int(errors.group(1)) if errors else 0) + (
        sum(int(x) for x in sockets.groups()) if sockets else 0
    )
    quantiles = {0.50: number(r"^p50 ([\d.]+)") / 1000, 0.99: number(r"^p99 ([\d.]+)") / 1000}
    return Figures(requests, elapsed, [], failed, quantiles)


def measure(
    args: argparse.Namespace, base_url: str, endpoint: Endpoint, threads: int, warm: bool = True
) -> Figures:
    if args.client == "wrk":
        if warm:
            run_wrk(base_url, endpoint, 1, threads)  # warm-up, untimed
        return run_wrk(base_url, endpoint, args.seconds, threads)
    return run_for(base_url, endpoint, args.seconds, args.requests, threads)


def measure_server(
    args: argparse.Namespace, data_dir: Path, pure_python: bool, rounds: int = 0
) -> tuple[list[tuple[str, str, Figures]], list[tuple[Figures, Figures]]]:
    """Every endpoint, sequentially and at ``args.threads`` connections; then ``rounds``
    rounds of the target's measurement (the bare page, then the search, at ``args.threads``
    connections), each with its own baseline."""
    port = free_port()
    server = start_server(data_dir, port, pure_python)
    base_url = f"http://{HOST}:{port}"
    rows: list[tuple[str, str, Figures]] = []
    target_rounds: list[tuple[Figures, Figures]] = []
    try:
        for endpoint in ENDPOINTS:
            for mode, threads in (("sequential", 1), (f"{args.threads} conns", args.threads)):
                rows.append((endpoint.label, mode, measure(args, base_url, endpoint, threads)))
                print(f"  measured {endpoint.label} {mode}", file=sys.stderr)
        for i in range(rounds):
            page = measure(args, base_url, ENDPOINTS[0], args.threads, warm=False)
            search = measure(args, base_url, ENDPOINTS[2], args.threads, warm=False)
            target_rounds.append((page, search))
            print(f"  measured target round {i + 1} of {rounds}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows, target_rounds


def print_table(title: str, rows: list[tuple[str, str, Figures]]) -> None:
    print(f"\n{title}")
    header = f"{'endpoint':<28}{'clients':<13}{'requests':>9}{'req/s':>9}{'p50 ms':>9}"
    print(header + f"{'p99 ms':>9}{'errors':>8}")
    print("-" * (len(header) + 17))
    for label, mode, f in rows:
        print(
            f"{label:<28}{mode:<13}{f.requests:>9,}{f.rps:>9.0f}{f.pct(0.50):>9.2f}"
            f"{f.pct(0.99):>9.2f}{f.errors:>8}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per measurement")
    parser.add_argument("--requests", type=int, default=20_000, help="request cap (httpx only)")
    parser.add_argument("--threads", type=int, default=8, help="connections in the concurrent run")
    parser.add_argument("--rows", type=int, default=10_000, help="demo directory size")
    parser.add_argument(
        "--client",
        choices=["wrk", "httpx"],
        default="wrk" if shutil.which("wrk") else "httpx",
        help="the load generator (default: wrk when installed)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="extra rounds of the target's measurement (page, then search; the verdict is the "
        "median of these and the table's run)",
    )
    parser.add_argument(
        "--no-baseline-server",
        action="store_true",
        help="skip the run on uvicorn's pure-Python HTTP parser and asyncio loop",
    )
    args = parser.parse_args(argv)
    if args.rounds < 0:
        parser.error(f"--rounds must be 0 or more, not {args.rounds}")

    from spinefx.directory.demo import load_demo

    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    runs: list[tuple[str, list[tuple[str, str, Figures]]]] = []
    with tempfile.TemporaryDirectory(prefix="spinefx-bench-") as tmp:
        data_dir = Path(tmp)
        load_demo(data_dir / "directory.duckdb", rows=args.rows)
        servers = [("spinefx serve: uvicorn with httptools and uvloop", False)]
        if not args.no_baseline_server:
            servers.append(("baseline: uvicorn with h11 and asyncio (pure Python)", True))
        target_rounds: list[tuple[Figures, Figures]] = []
        for title, pure_python in servers:
            rows, measured_rounds = measure_server(
                args, data_dir, pure_python, rounds=0 if pure_python else args.rounds
            )
            runs.append((title, rows))
            target_rounds += measured_rounds

    print(
        f"\nspinefx API benchmark: 1 worker, {args.rows:,}-row demo directory, client "
        f"{args.client}; Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {args.seconds:g} s per row"
    )
    for title, rows in runs:
        print_table(title, rows)
    rows = runs[0][1]
    baseline = {mode: f.rps for label, mode, f in rows if label == ENDPOINTS[0].label}
    print("\nrelative to the bare page (same server, same clients):")
    for label, mode, f in rows:
        if label == ENDPOINTS[0].label:
            continue
        share = f.rps / baseline[mode] if baseline.get(mode) else float("nan")
        print(f"  {label:<28}{mode:<13}{share:>6.2f}x the page's requests/second")
    if len(runs) > 1:
        print("\nrelative to the pure-Python server (same run):")
        for (label, mode, f), (_, _, b) in zip(runs[0][1], runs[1][1], strict=True):
            share = f.rps / b.rps if b.rps else float("nan")
            print(f"  {label:<28}{mode:<13}{share:>6.2f}x its requests/second")
    concurrent = [
        f for label, mode, f in rows if label == ENDPOINTS[2].label and mode != "sequential"
    ]
    searches = [f.rps for f in concurrent] + [search.rps for _, search in target_rounds]
    if target_rounds:
        print(f"\nthe target's rounds, {args.threads} connections, {args.seconds:g} s each:")
        print(f"{'round':<8}{'bare page req/s':>17}{'specialists req/s':>19}{'ratio':>8}")
        for i, (page, search) in enumerate(target_rounds, 1):
            ratio = search.rps / page.rps if page.rps else float("nan")
            print(f"{i:<8}{page.rps:>17.0f}{search.rps:>19.0f}{ratio:>7.2f}x")
    if searches:
        # The median of the table's run and the rounds: one slow spell of the machine (its
        # neighbours are not ours) moves one figure, not the verdict.
        rps = statistics.median(searches)
        met = "met" if rps >= TARGET_RPS else "NOT met"
        figures = ", ".join(f"{x:.0f}" for x in searches)
        print(
            f"\nspecialists at {args.threads} connections: median {rps:.0f} req/s of "
            f"{len(searches)} runs ({figures}) (target >= {TARGET_RPS:,}: {met})"
        )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
