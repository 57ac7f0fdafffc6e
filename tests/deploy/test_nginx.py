"""The documented deployment, run: Debian's nginx with ``deploy/nginx-spinefx.conf`` (TLS on a
self-signed certificate made here; ports and paths swapped for free ones on loopback) in front
of ``spinefx serve`` as ``deploy/spinefx.service`` starts it (two workers, proxies believed from
127.0.0.1, HTTPS, JSON logs, metrics). Checked through nginx: a page, the health checks, HSTS,
gzip, the client's own address and nginx's request id in spinefx's log, no query string in
either log, the body limit, /metrics closed to other hosts, and the redirect from plain HTTP.

nginx missing: skipped here, a failure in CI (``CI`` or ``SPINEFX_REQUIRE_NGINX=1``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SITE_CONF = REPO / "deploy" / "nginx-spinefx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENT_ADDRESS = "127.0.0.2"  # the "browser": any loopback address but nginx's own 127.0.0.1
ANSWERS_QUERY = "age=58&onset=sudden&pain_nrs=9&zip=02139"


def require_nginx() -> str:
    if Path(NGINX).is_file() and os.access(NGINX, os.X_OK):
        return NGINX
    message = f"nginx is not installed (looked for {NGINX}): apt-get install nginx"
    if os.environ.get("CI") or os.environ.get("SPINEFX_REQUIRE_NGINX") == "1":
        pytest.fail(f"{message}; CI requires the nginx deployment test to run")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def swapped(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; the documented file must still hold it."""
    assert old in text, f"deploy/nginx-spinefx.conf no longer has {old!r}: update this test"
    return text.replace(old, new)


def site_for_test(prefix: Path, *, http: int, https: int, upstream: int) -> str:
    cert, key = self_signed(prefix)
    site = SITE_CONF.read_text(encoding="utf-8")
    site = swapped(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    site = swapped(site, "    listen 80;\n", f"    listen 127.0.0.1:{http};\n")
    site = swapped(
        site, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https} ssl http2;\n"
    )
    site = swapped(site, "    listen [::]:80;\n", "")
    site = swapped(site, "    listen [::]:443 ssl http2;\n", "")
    site = swapped(site, "/etc/ssl/certs/spinefx.example.org.pem", str(cert))
    site = swapped(site, "/etc/ssl/private/spinefx.example.org.key", str(key))
    site = swapped(site, "/var/log/nginx/spinefx.access.log", str(prefix / "access.log"))
    return site


def main_conf(prefix: Path, site: Path) -> str:
    temp = {name: prefix / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir()
    return f"""
daemon off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, **kwargs: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the process exited:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2, **kwargs)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in 60 s:\n{log.read_text()[-3000:]}")


@dataclass
class Stack:
    https_url: str
    http_url: str
    spinefx_log: Path
    nginx_log: Path
    client: httpx.Client  # from CLIENT_ADDRESS, trusting the test certificate
    trust: ssl.SSLContext  # the test certificate, for a client from 127.0.0.1

    def spinefx_records(self) -> list[dict[str, Any]]:
        lines = self.spinefx_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def access_record(self, request_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 5  # the worker may flush a moment after answering
        while time.monotonic() < deadline:
            for record in self.spinefx_records():
                if record.get("request_id") == request_id and "status" in record:
                    return record
            time.sleep(0.1)
        raise AssertionError(f"no access record with request id {request_id}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    nginx = require_nginx()
    from spinefx.directory.demo import load_demo
    from spinefx.registry.db import Registry

    data = tmp_path_factory.mktemp("spinefx-data")
    load_demo(data / "directory.duckdb", rows=300)
    registry = Registry.open(f"sqlite:///{data / 'registry.sqlite3'}")
    registry.init()
    registry.dispose()

    upstream, http, https = free_port(), free_port(), free_port()
    spinefx_log = data / "spinefx.log"
    env = {
        **os.environ,
        "SPINEFX_DATA_DIR": str(data),
        "SPINEFX_HTTPS": "1",
        "SPINEFX_LOG_FORMAT": "json",
        "SPINEFX_METRICS": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # As deploy/spinefx.service runs it, on a free port.
    command = [sys.executable, "-m", "spinefx", "serve", "--port", str(upstream)]
    command += ["--workers", "2", "--forwarded-allow-ips", "127.0.0.1"]
    with spinefx_log.open("wb") as out:
        app = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    prefix = tmp_path_factory.mktemp("nginx")
    site = prefix / "spinefx.conf"
    site.write_text(site_for_test(prefix, http=http, https=https, upstream=upstream))
    conf = prefix / "nginx.conf"
    conf.write_text(main_conf(prefix, site))
    nginx_out = prefix / "nginx.out"
    proxy: subprocess.Popen[bytes] | None = None
    client: httpx.Client | None = None
    try:
        wait_for(f"http://127.0.0.1:{upstream}/healthz", app, spinefx_log)
        with nginx_out.open("wb") as out:
            proxy = subprocess.Popen(
                [nginx, "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        trust = ssl.create_default_context(cafile=str(prefix / "cert.pem"))
        wait_for(f"https://127.0.0.1:{https}/healthz", proxy, nginx_out, verify=trust)
        transport = httpx.HTTPTransport(verify=trust, local_address=CLIENT_ADDRESS)
        client = httpx.Client(transport=transport, timeout=20, follow_redirects=False)
        yield Stack(
            https_url=f"https://127.0.0.1:{https}",
            http_url=f"http://127.0.0.1:{http}",
            spinefx_log=spinefx_log,
            nginx_log=prefix / "access.log",
            client=client,
            trust=trust,
        )
    finally:
        if client is not None:
            client.close()
        if proxy is not None:
            stop(proxy)
        stop(app)


def test_a_page_is_served_through_nginx_over_tls_with_hsts(stack: Stack) -> None:
    response = stack.client.get(stack.https_url + "/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "spinefx" in response.text.lower()
    assert response.headers.get_list("strict-transport-security") == ["max-age=31536000"]
    assert len(response.headers.get_list("content-security-policy")) == 1


def test_the_health_checks_answer_through_nginx(stack: Stack) -> None:
    assert stack.client.get(stack.https_url + "/healthz").json() == {"status": "ok"}
    ready = stack.client.get(stack.https_url + "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"directory": "loaded", "registry": "ready"}
    messages = [r["message"] for r in stack.spinefx_records()]
    assert sum(m.startswith("Started server process") for m in messages) == 2  # two workers
    assert not [m for m in messages if "died" in m or "failed" in m]  # none restarted


def test_spinefx_logs_the_clients_own_address_and_nginxs_request_id(stack: Stack) -> None:
    response = stack.client.get(stack.https_url + "/learn")
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, echoed
    record = stack.access_record(request_id)
    assert record["client"] == CLIENT_ADDRESS  # not nginx's 127.0.0.1
    assert (record["method"], record["path"], record["status"]) == ("GET", "/learn", 200)
    assert f"rid={request_id}" in stack.nginx_log.read_text()


def test_a_client_cannot_choose_its_logged_address(stack: Stack) -> None:
    response = stack.client.get(
        stack.https_url + "/healthz", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    record = stack.access_record(response.headers["x-request-id"])
    assert record["client"] == CLIENT_ADDRESS


def test_neither_log_holds_the_query_string_of_a_result(stack: Stack) -> None:
    response = stack.client.get(stack.https_url + "/check/result?" + ANSWERS_QUERY)
    record = stack.access_record(response.headers["x-request-id"])
    assert record["path"] == "/check/result"
    for log in (stack.spinefx_log, stack.nginx_log):
        text = log.read_text(encoding="utf-8")
        assert "/check/result" in text
        for secret in ("age=58", "sudden", "02139", "?"):
            assert secret not in text, (log.name, secret)


def test_answers_are_gzipped_through_nginx(stack: Stack) -> None:
    response = stack.client.get(
        stack.https_url + "/static/css/site.css", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"


def test_a_body_over_the_documented_limit_is_refused_by_nginx(stack: Stack) -> None:
    response = stack.client.post(
        stack.https_url + "/cds-services/vertebral-fracture-care",
        content=b"x" * (4 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "x-request-id" not in response.headers  # nginx answered; spinefx never saw it


def test_metrics_are_closed_to_other_hosts(stack: Stack) -> None:
    assert stack.client.get(stack.https_url + "/metrics").status_code == 403
    local = httpx.get(stack.https_url + "/metrics", verify=stack.trust)  # from 127.0.0.1
    assert local.status_code == 200
    assert "spinefx_http_requests_total" in local.text


def test_plain_http_is_redirected_to_https(stack: Stack) -> None:
    response = stack.client.get(stack.http_url + "/find?zip=02139")
    assert response.status_code == 301
    assert response.headers["location"].startswith("https://")
    assert "02139" not in stack.nginx_log.read_text()


@pytest.mark.parametrize(
    ("env", "outcome"),
    [({"CI": "true"}, "fail"), ({"SPINEFX_REQUIRE_NGINX": "1"}, "fail"), ({}, "skip")],
)
def test_without_nginx_ci_fails_and_a_workstation_skips(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], outcome: str
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "NGINX", str(tmp_path / "no-nginx"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SPINEFX_REQUIRE_NGINX", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected):
        require_nginx()
