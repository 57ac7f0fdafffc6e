"""What every test shares: an isolated home and data folder, and the Hypothesis profiles.

Isolation: for the whole session ``HOME`` and the XDG folders point into a temporary folder,
and for each test ``SPINEFX_DATA_DIR`` points into that test's own ``tmp_path``, so no test
(nor a library it calls) writes into the real home folder or the user's data folder.

Hypothesis: ``ci`` is derandomized (the same examples on every run), keeps no example
database and prints the blob of any failure to pin as ``@example``; ``dev`` (the default) is
random but keeps no database either, so no test writes outside a temporary folder. ``.ci/run``
selects ``ci`` with ``SPINEFX_HYPOTHESIS_PROFILE=ci``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", database=None, print_blob=True, deadline=None)
settings.load_profile(os.environ.get("SPINEFX_HYPOTHESIS_PROFILE", "dev"))

# The registry's databases (``registry``, ``db_url``), for any test that asks for them.
pytest_plugins = ("tests.helpers.databases",)

ISOLATED_HOME_VARIABLES = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``HOME`` and the XDG folders inside a temporary folder, for the whole session."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        for name in ISOLATED_HOME_VARIABLES:
            folder = home / name.removeprefix("XDG_").lower()
            folder.mkdir()
            patch.setenv(name, str(folder))
        patch.setenv("SPINEFX_DATA_DIR", str(home / "spinefx-data"))
        yield home


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``SPINEFX_DATA_DIR`` inside the test's own temporary folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(folder))
    return folder
