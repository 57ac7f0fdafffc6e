"""``/healthz`` and ``/readyz``: liveness always, readiness only when the directory and the
registry answer; a 503 names the failing part and nothing else (no path, URL or password)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinefx.registry.db import Registry
from spinefx.web import Settings, create_app


@contextmanager
def client_for(data_dir: Path, database_url: str | None = None) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data_dir, database_url=database_url))) as c:
        yield c


def loaded_directory(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "directory.duckdb", folder / "directory.duckdb")
    return folder


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthz_answers_even_with_nothing_loaded(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_the_directory_and_the_registry_answer(
    data_dir: Path, db_url: str, tmp_path: Path
) -> None:
    folder = loaded_directory(data_dir, tmp_path / "data")
    with client_for(folder, db_url) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"directory": "loaded", "registry": "ready"},
    }


def test_readyz_is_503_naming_both_parts_when_nothing_is_set_up(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["directory", "registry"]
    assert body["checks"] == {"directory": "not-loaded", "registry": "not-set-up"}
    assert str(tmp_path) not in response.text
    # asking made no registry file
    assert not (tmp_path / "registry.sqlite3").exists()


def test_readyz_names_a_damaged_directory_alone(data_dir: Path, tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    registry.init()
    registry.dispose()
    (tmp_path / "directory.duckdb").write_bytes(b"this is not a database" * 100)
    with client_for(tmp_path) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["directory"]
    assert response.json()["checks"]["directory"] == "damaged"


def test_readyz_never_shows_the_database_url_or_its_password(
    data_dir: Path, tmp_path: Path
) -> None:
    pytest.importorskip("psycopg")
    folder = loaded_directory(data_dir, tmp_path / "data")
    url = f"postgresql+psycopg://opsuser:s3cret-pw@127.0.0.1:{closed_port()}/spinefx_reg"
    with client_for(folder, url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"directory": "loaded", "registry": "unreachable"}
    for secret in ("s3cret-pw", "opsuser", "spinefx_reg", "127.0.0.1", str(folder)):
        assert secret not in response.text


def test_readyz_sees_a_registry_migrated_after_start(data_dir: Path, tmp_path: Path) -> None:
    folder = loaded_directory(data_dir, tmp_path / "data")
    with client_for(folder) as client:
        assert client.get("/readyz").status_code == 503
        registry = Registry.open(f"sqlite:///{folder / 'registry.sqlite3'}")
        registry.init()
        registry.dispose()
        assert client.get("/readyz").status_code == 200
