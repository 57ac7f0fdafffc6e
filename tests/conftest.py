"""What every test shares: an isolated home and data folder, and the Hypothesis profiles.

Isolation: for the whole session ``HOME`` and the XDG folders point into a temporary folder,
and for each test ``SPINEFX_DATA_DIR`` points into that test's own ``tmp_path``, so no test
(nor a library it calls) writes into the real home folder or the user's data folder.

The source tree: ``git status`` is read when the session starts and when it ends; a file that
the run made, changed or deleted in the checkout fails the session (tests write under
``tmp_path`` only). Without git (an unpacked sdist) there is nothing to compare.

Hypothesis: ``ci`` is derandomized (the same examples on every run), keeps no example
database and prints the blob of any failure to pin as ``@example``; ``dev`` (the default) is
random but keeps no database either, so no test writes outside a temporary folder. ``.ci/run``
selects ``ci`` with ``SPINEFX_HYPOTHESIS_PROFILE=ci``.
"""

from __future__ import annotations

import os
import subprocess
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


SOURCE_TREE = Path(__file__).resolve().parent.parent
_TREE_BEFORE = pytest.StashKey[set[str] | None]()


def _tree_status() -> set[str] | None:
    """``git status --porcelain`` of the checkout, one entry per path; None without git."""
    try:
        status = subprocess.run(
            ["git", "-C", str(SOURCE_TREE), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return set(status.stdout.splitlines())


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_TREE_BEFORE] = _tree_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_TREE_BEFORE, None)
    after = _tree_status() if before is not None else None
    if before is None or after is None:
        return
    changed = sorted(after - before)
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the test run changed the source tree (tests must write under tmp_path):"
        lines = [message, *(f"    {line}" for line in changed)]
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line("\n".join(lines), red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
