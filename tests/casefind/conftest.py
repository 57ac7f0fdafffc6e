import pytest

from spinefx.casefind.pipeline import CaseFinder, default_finder


@pytest.fixture(scope="session")
def finder() -> CaseFinder:
    return default_finder()
