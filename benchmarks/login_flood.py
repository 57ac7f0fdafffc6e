"""Login flood benchmark (issue 22, item 3): does an attack on the login form slow the patient
pages? Prints figures; not a test, CI does not run it.

Starts ``spinefx serve`` (one worker) on 127.0.0.1 with an empty SQLite registry, then measures
the latency of ``GET /learn`` from one client, sequentially:

1. the baseline: nobody logs in, for ``--seconds``;
2. the flood: ``--attackers`` threads post the login form with made-up e-mails for as long,
   each attempt from a new ``X-Forwarded-For`` address (``SPINEFX_FORWARDED_ALLOW_IPS=127.0.0.1``),
   so that no throttle holds them back and every attempt costs a full argon2id check: the
   worst case for the hashing pool.

Before issue 22 the password was checked on the event loop: 8 such clients took ``/learn``
from a 29 ms to an 878 ms median (the issue's own figures, another machine).

    .venv/bin/python benchmarks/login_flood.py --seconds 15 --attackers 8
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from api import HOST, Figures, free_port, start_server

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """An empty SQLite registry, then the server, believing the proxy at 127.0.0.1."""
    env = {
        "SPINEFX_DATABASE_URL": f"sqlite:///{data_dir / 'registry.sqlite3'}",
        "SPINEFX_FORWARDED_ALLOW_IPS": HOST,
    }
    subprocess.run(
        [sys.executable, "-m", "spinefx", "registry", "init"],
        env={**os.environ, "SPINEFX_DATA_DIR": str(data_dir), **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return start_server(data_dir, port, env=env)


def learn_latencies(base: str, seconds: float) -> list[float]:
    out: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/learn")
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            began = time.perf_counter()
            assert client.get("/learn").status_code == 200
            out.append((time.perf_counter() - began) * 1000)
    return out


def attacker(base: str, stop: threading.Event, counts: dict[int, int], n: int) -> None:
    addresses = (f"10.{n}.{i // 250 % 250}.{i % 250 + 1}" for i in itertools.count())
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            client.cookies.clear()
            form = client.get("/registry/login")
            token = CSRF.search(form.text)
            if token is None:
                continue
            answer = client.post(
                "/registry/login",
                data={
                    "email": f"nobody{time.perf_counter_ns()}@example.org",
                    "password": "not the password at all",
                    "csrf_token": token.group(1),
                },
                headers={"x-forwarded-for": next(addresses)},
            )
            counts[answer.status_code] = counts.get(answer.status_code, 0) + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--attackers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spinefx-login-flood-") as folder:
        port = free_port()
        server = start(Path(folder), port)
        base = f"http://{HOST}:{port}"
        try:
            quiet = learn_latencies(base, args.seconds)
            stop = threading.Event()
            counts: dict[int, int] = {}
            threads = [
                threading.Thread(target=attacker, args=(base, stop, counts, n))
                for n in range(args.attackers)
            ]
            for t in threads:
                t.start()
            time.sleep(1)  # the flood under way
            flooded = learn_latencies(base, args.seconds)
            stop.set()
            for t in threads:
                t.join()
        finally:
            server.terminate()
            server.wait()
    for name, latencies in (("baseline", quiet), ("flood", flooded)):
        figures = Figures(len(latencies), args.seconds, latencies, 0)
        print(
            f"GET /learn {name:8}: {len(latencies):5} requests, median "
            f"{figures.pct(0.5):7.1f} ms, p99 {figures.pct(0.99):7.1f} ms"
        )
    print(f"login answers during the flood: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
