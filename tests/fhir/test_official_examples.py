"""The FHIR R4 specification's own examples (npm package hl7.fhir.r4.examples 4.0.1).

Every example of a type the registry import reads (and every example Bundle) either imports
(through ``registry import --format fhir``'s own path, into a registry on SQLite and on
PostgreSQL) or is refused with an :class:`InputError` that names its file; none raises anything
else, and on the command line a refusal is one line and exit status 2. Every
DiagnosticReport and DocumentReference example gives a report or a reason it gives none.

The package is not committed: ``.ci/run`` fetches it and points ``SPINEFX_FHIR_EXAMPLES`` at
its ``package`` folder. Without it the tests are skipped on a developer's machine, and fail in
CI (``.ci/run`` sets ``SPINEFX_REQUIRE_FHIR_EXAMPLES=1``; ``CI`` set does the same), so that CI
cannot pass without having run them. A ``SPINEFX_FHIR_EXAMPLES`` that names no folder fails.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from spinefx.cli import run
from spinefx.errors import InputError
from spinefx.fhir.registry_import import IMPORTED_TYPES
from spinefx.fhir.registry_io import import_fhir
from spinefx.fhir.reports import REPORT_TYPES, ReportRecord, SkipReason, report_from_resource
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor

ENV = "SPINEFX_FHIR_EXAMPLES"
REQUIRE_ENV = "SPINEFX_REQUIRE_FHIR_EXAMPLES"


def examples_required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1" or bool(os.environ.get("CI"))


def examples_folder() -> Path:
    value = os.environ.get(ENV)
    folder = Path(value) if value else None
    if folder is None or not folder.is_dir():
        message = f"{ENV} does not name the hl7.fhir.r4.examples package folder ({value!r})"
        if value or examples_required():
            pytest.fail(message)
        pytest.skip(message)
    return folder


def files_of(kinds: frozenset[str] | set[str]) -> list[Path]:
    folder = examples_folder()
    found = sorted(p for p in folder.glob("*.json") if p.name.split("-", 1)[0] in kinds)
    assert found, f"no examples of {sorted(kinds)} in {folder}"
    return found


def test_every_example_of_an_imported_type_imports_or_is_refused_clearly(
    registry: Registry,
) -> None:
    """Through the registry import itself (read, checked, written), on SQLite and PostgreSQL."""
    outcomes: Counter[str] = Counter()
    actor = Actor.command_line("test")
    for path in files_of(set(IMPORTED_TYPES) | {"Bundle"}):
        kind = path.name.split("-", 1)[0]
        try:
            done = import_fhir(registry, path, actor, default_site="examples")
        except InputError as exc:
            assert path.name in str(exc), f"{path.name}: {exc}"
            outcomes[f"{kind}: refused"] += 1
        else:
            imported = done.report.created + done.report.updated
            outcomes[f"{kind}: {'imported' if imported else 'nothing to import'}"] += 1
    # Patients with a vertebral fracture are rare in the examples: most are refused (no
    # fracture) or have nothing the registry keeps; what matters is that none crashed.
    assert sum(outcomes.values()) == len(files_of(set(IMPORTED_TYPES) | {"Bundle"}))
    print(dict(sorted(outcomes.items())))


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ("Patient-example.json", "Patient-example.json line 1: (Patient)"),
        ("Bundle-bundle-transaction.json", "Bundle-bundle-transaction.json entry "),
    ],
)
def test_a_refused_example_is_one_line_and_exit_2_on_the_command_line(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    example: str,
    message: str,
) -> None:
    monkeypatch.setenv("SPINEFX_DATABASE_URL", db_url)
    path = examples_folder() / example
    status = run(["registry", "import", str(path), "--format", "fhir", "--site", "examples"])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith(f"error: {message}") and err.count("\n") == 1, err


def test_every_report_example_gives_a_report_or_a_reason() -> None:
    results: Counter[str] = Counter()
    for path in files_of(REPORT_TYPES):
        result = report_from_resource(json.loads(path.read_text(encoding="utf-8")))
        assert isinstance(result, ReportRecord | SkipReason)
        results["report" if isinstance(result, ReportRecord) else result.value] += 1
    assert results["report"] >= 1
    print(dict(results))


@pytest.mark.parametrize(
    ("value", "require", "outcome"),
    [
        (None, None, pytest.skip.Exception),  # a developer's machine without the package
        (None, "1", pytest.fail.Exception),  # .ci/run
        ("/nonexistent/package", None, pytest.fail.Exception),  # set, but wrong
    ],
)
def test_missing_examples_fail_where_they_are_required(
    monkeypatch: pytest.MonkeyPatch, value: str | None, require: str | None, outcome: type
) -> None:
    monkeypatch.delenv("CI", raising=False)
    for name, setting in ((ENV, value), (REQUIRE_ENV, require)):
        if setting is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, setting)
    with pytest.raises(outcome):
        examples_folder()
