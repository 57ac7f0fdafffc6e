"""Shared fixtures for the web tests: one small demo directory per session, and app clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinefx.web import Settings, create_app


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding a 2,000-row demo directory, built once and shared by every test."""
    from spinefx.directory.demo import load_demo

    path = tmp_path_factory.mktemp("spinefx-demo-2000")
    load_demo(path / "directory.duckdb", rows=2000)
    return path


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data_dir))) as c:
        yield c


@pytest.fixture(scope="module")
def empty_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app whose data dir has no directory loaded."""
    with TestClient(create_app(Settings(data_dir=tmp_path_factory.mktemp("empty")))) as c:
        yield c
