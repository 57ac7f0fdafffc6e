"""The FHIR R4 specification's own examples (npm package hl7.fhir.r4.examples 4.0.1).

Every example of a type the registry import reads (and every example Bundle) either imports or
is refused with an :class:`InputError` that names its file; none raises anything else. Every
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

from spinefx.errors import InputError
from spinefx.fhir.bulk import read_path
from spinefx.fhir.registry_import import IMPORTED_TYPES, cases_from_resources
from spinefx.fhir.reports import REPORT_TYPES, ReportRecord, SkipReason, report_from_resource

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


def test_every_example_of_an_imported_type_imports_or_is_refused_clearly() -> None:
    outcomes: Counter[str] = Counter()
    for path in files_of(set(IMPORTED_TYPES) | {"Bundle"}):
        kind = path.name.split("-", 1)[0]
        try:
            result = cases_from_resources(read_path(path), default_site="examples")
        except InputError as exc:
            assert path.name in str(exc), f"{path.name}: {exc}"
            outcomes[f"{kind}: refused"] += 1
        else:
            outcomes[f"{kind}: {'imported' if result.cases else 'nothing to import'}"] += 1
    # Patients with a vertebral fracture are rare in the examples: most are refused (no
    # fracture) or have nothing the registry keeps; what matters is that none crashed.
    assert sum(outcomes.values()) == len(files_of(set(IMPORTED_TYPES) | {"Bundle"}))
    print(dict(sorted(outcomes.items())))


def test_every_report_example_gives_a_report_or_a_reason() -> None:
    results: Counter[str] = Counter()
    for path in files_of(REPORT_TYPES):
        result = report_from_resource(json.loads(path.read_text(encoding="utf-8")))
        assert isinstance(result, ReportRecord | SkipReason)
        results["report" if isinstance(result, ReportRecord) else result.value] += 1
    assert results["report"] >= 1
    print(dict(results))
