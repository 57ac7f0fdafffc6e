"""spinefx without its extras: what ``pip install spinefx`` (no ``[nlp]``, ``[spark]``,
``[postgres]`` or ``[fhir]``) gives.

Each test runs spinefx in a child Python whose ``sitecustomize`` makes every extra's package
fail to import (and to be found), as in an environment where it was never installed; worker
processes started by the child inherit it through ``PYTHONPATH``. The core commands work; a
command that needs an extra prints one line naming the pip command and exits with status 1.
(.ci/wheel checks the same against the built wheel in a real venv without the extras.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from spinefx.extras import EXTRAS, MissingExtra, installed, missing_extra_for, require

HIDDEN = ("spacy", "pyspark", "psycopg", "fhir", "jwt", "cryptography", "fpdf")

SITECUSTOMIZE = f"""
import sys
from importlib.abc import MetaPathFinder

HIDDEN = {HIDDEN!r}


class HideExtras(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, HideExtras())
"""

# Packages that make up the core: each of their modules imports without any extra.
CORE_PACKAGES = (
    "spinefx.cli",
    "spinefx.clinical",
    "spinefx.directory",
    "spinefx.learn",
    "spinefx.registry",
    "spinefx.web",
)

REPORTS = '{"id": "r1", "text": "Acute compression fracture of L2 with 30% height loss."}\n'


@pytest.fixture(scope="module")
def hidden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("no-extras")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return folder


def _env(hidden: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hidden), env.get("PYTHONPATH")) if p)
    env["COLUMNS"] = "100"
    return env


def spinefx(hidden: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spinefx", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(hidden),
        timeout=120,
        check=False,
    )


def _python(hidden: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(hidden),
        timeout=120,
        check=False,
    )


def test_the_child_really_lacks_the_extras(hidden: Path) -> None:
    code = (
        "import json\nfrom spinefx.extras import EXTRAS, installed\n"
        "print(json.dumps({e: installed(e) for e in EXTRAS}))\n"
        "try:\n    import spacy\nexcept ImportError:\n    print('no spacy')\n"
    )
    child = _python(hidden, code)
    assert child.returncode == 0, child.stderr
    first, second = child.stdout.splitlines()
    assert json.loads(first) == dict.fromkeys(EXTRAS, False)
    assert second == "no spacy"


def test_every_core_module_imports_without_extras_and_the_rest_fail_as_an_extra(
    hidden: Path,
) -> None:
    """A module that needs an extra may only fail with that extra's ImportError, which
    the edges turn into the one-line message; the core packages never fail."""
    code = """
import importlib, json, pkgutil
import spinefx
from spinefx.extras import missing_extra_for
failed = {}
for info in pkgutil.walk_packages(spinefx.__path__, "spinefx."):
    name = info.name
    if name == "spinefx.__main__" or name.startswith("spinefx.registry.migrations"):
        continue
    try:
        importlib.import_module(name)
    except ImportError as exc:
        missing = missing_extra_for(exc)
        failed[name] = missing.extra if missing else repr(exc)
print(json.dumps(failed))
"""
    child = _python(hidden, code)
    assert child.returncode == 0, child.stderr
    failed: dict[str, str] = json.loads(child.stdout)
    core = {n: why for n, why in failed.items() if n.startswith(CORE_PACKAGES)}
    assert core == {}, "these core modules import an extra's package at import time"
    assert set(failed.values()) <= set(EXTRAS), failed
    # where case-finding calls extras.require: they must import to get that far
    assert not failed.keys() & {f"spinefx.casefind.{m}" for m in ("engine", "spark", "reports")}


def test_help_and_the_clinical_commands_work_without_extras(hidden: Path) -> None:
    assert spinefx(hidden, "--help").returncode == 0
    answers = {"age": 58, "onset": "sudden", "pain_nrs": 9, "pain_quality": "sharp"}
    child = spinefx(hidden, "screen", "--json", "-", stdin=json.dumps(answers))
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout)


def test_the_registry_works_on_sqlite_without_extras(hidden: Path, tmp_path: Path) -> None:
    demo = spinefx(hidden, "registry", "demo")
    assert demo.returncode == 0, demo.stderr
    assert "demo login" in demo.stdout
    assert (tmp_path / "data" / "registry.sqlite3").is_file()
    kpi = spinefx(hidden, "registry", "kpi", "--from", "2020-01-01", "--to", "2030-12-31")
    assert kpi.returncode == 0, kpi.stderr


def _one_error_line(child: subprocess.CompletedProcess[str], extra: str, feature: str) -> None:
    assert child.returncode == 1
    assert child.stderr.splitlines() == [
        f"error: {feature} needs the {extra} extra: pip install 'spinefx[{extra}]'"
    ]
    assert "Traceback" not in child.stdout + child.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_casefind_without_nlp_is_one_line_naming_the_pip_command(
    hidden: Path, tmp_path: Path, workers: str
) -> None:
    reports = tmp_path / "reports.jsonl"
    reports.write_text(REPORTS, encoding="utf-8")
    out = tmp_path / "findings.jsonl"
    child = spinefx(hidden, "casefind", str(reports), "--out", str(out), "--workers", workers)
    _one_error_line(child, "nlp", "case-finding")
    assert [p.name for p in tmp_path.iterdir() if p.name != "data"] == ["reports.jsonl"]


def test_casefind_evaluate_without_nlp_is_one_line(hidden: Path, tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        json.dumps({"id": "1", "text": "No fracture.", "label": "absent"}) + "\n", encoding="utf-8"
    )
    _one_error_line(spinefx(hidden, "casefind", "evaluate", str(labelled)), "nlp", "case-finding")


def test_the_spark_engine_without_spark_is_one_line(hidden: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports.jsonl"
    reports.write_text(REPORTS, encoding="utf-8")
    out = tmp_path / "findings.parquet"
    child = spinefx(hidden, "casefind", str(reports), "--out", str(out), "--engine", "spark")
    _one_error_line(child, "spark", "the Spark engine")
    assert not out.exists()


def test_the_registry_on_postgresql_without_psycopg_is_one_line(
    hidden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPINEFX_DATABASE_URL", "postgresql+psycopg://spinefx:secret@127.0.0.1:1/no")
    child = spinefx(hidden, "registry", "init")
    _one_error_line(child, "postgres", "the registry on PostgreSQL")
    assert "secret" not in child.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(hidden: Path) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "spinefx", "serve", "--port", str(port)],
        env=_env(hidden),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
        assert "Traceback" not in errors


def test_serve_starts_and_answers_without_extras(served: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(served + "/", timeout=5) as page:
                assert page.status == 200
                assert b"compression fracture" in page.read().lower()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# In this process every extra is installed (make test installs them all).


def test_require_passes_when_the_extra_is_installed() -> None:
    assert all(installed(extra) for extra in EXTRAS)
    require("nlp")
    require("fhir", "the CDS Hooks service")


def test_a_missing_extra_names_the_feature_and_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "jwt", None)  # None in sys.modules: "not installed"
    assert not installed("fhir")
    with pytest.raises(MissingExtra) as caught:
        require("fhir", "the CDS Hooks service")
    assert str(caught.value) == (
        "the CDS Hooks service needs the fhir extra: pip install 'spinefx[fhir]'"
    )
    assert caught.value.extra == "fhir"


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("spacy", "nlp"),
        ("spacy.matcher", "nlp"),
        ("pyspark.sql", "spark"),
        ("pandas", "spark"),
        ("psycopg", "postgres"),
        ("fhir", "fhir"),
        ("fhir.resources.R4B", "fhir"),
        ("jwt", "fhir"),
        ("cryptography.hazmat", "fhir"),
        ("fpdf", "pdf"),
    ],
)
def test_an_import_error_of_an_extras_package_maps_to_that_extra(name: str, extra: str) -> None:
    missing = missing_extra_for(ModuleNotFoundError(f"No module named {name!r}", name=name))
    assert missing is not None and missing.extra == extra


@pytest.mark.parametrize("name", [None, "spacyx", "fhirpy", "numpy", "jwtlib"])
def test_other_import_errors_are_no_extras(name: str | None) -> None:
    assert missing_extra_for(ImportError("boom", name=name)) is None


@pytest.mark.parametrize("command", ["export", "import"])
def test_the_registry_fhir_exchange_without_fhir_is_one_line(
    hidden: Path, tmp_path: Path, command: str
) -> None:
    folder = tmp_path / "fhir-export"
    folder.mkdir()
    child = spinefx(hidden, "registry", command, str(folder), "--format", "fhir")
    _one_error_line(child, "fhir", f"the FHIR {command}")
    assert list(folder.iterdir()) == []
