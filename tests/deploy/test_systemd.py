"""``deploy/spinefx.service``: systemd accepts it (``systemd-analyze verify``, where systemd is
installed), its command is one ``spinefx serve`` takes, and it agrees with the nginx site on the
address and with the docs on the settings it sets."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spinefx.cli import run
from spinefx.settings import Settings

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "spinefx.service"
SITE = REPO / "deploy" / "nginx-spinefx.conf"
INSTALLED_COMMAND = "/opt/spinefx/venv/bin/spinefx"


def service_section() -> dict[str, list[str]]:
    """The [Service] section, each key with every value it is given (systemd allows repeats)."""
    values: dict[str, list[str]] = {}
    section = ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def environment() -> dict[str, str]:
    pairs = (v.partition("=") for v in service_section()["Environment"])
    return {key: value for key, _, value in pairs}


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that the command exists: point it at this checkout's spinefx
    here = Path(sys.executable).with_name("spinefx")
    unit = tmp_path / "spinefx.service"
    text = UNIT.read_text(encoding="utf-8")
    assert INSTALLED_COMMAND in text
    unit.write_text(text.replace(INSTALLED_COMMAND, str(here)), encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "spinefx.service" not in done.stderr, done.stderr  # no warning about the unit


def test_its_command_is_one_spinefx_serve_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.setattr("logging.config.dictConfig", lambda config: None)
    for key, value in environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SPINEFX_DATA_DIR", "/nonexistent/spinefx")  # nothing is read
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    (exec_start,) = service_section()["ExecStart"]
    program, *args = shlex.split(exec_start)
    assert program == INSTALLED_COMMAND
    assert run(args) == 0
    (kwargs,) = calls
    assert kwargs["proxy_headers"] is True and kwargs["forwarded_allow_ips"] == "127.0.0.1"
    assert kwargs["workers"] == 2


def test_every_setting_it_sets_is_a_spinefx_setting() -> None:
    known = {f"SPINEFX_{name.upper()}" for name in Settings.model_fields}
    assert set(environment()) <= known
    assert environment()["SPINEFX_HTTPS"] == "1"  # nginx serves TLS: HSTS and Secure cookies


def test_nginx_sends_requests_where_the_service_listens() -> None:
    env = environment()
    site = SITE.read_text(encoding="utf-8")
    assert f"server {env['SPINEFX_HOST']}:{env['SPINEFX_PORT']};" in site


def test_the_unit_is_well_formed_ini() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    assert parser["Install"]["WantedBy"] == "multi-user.target"
