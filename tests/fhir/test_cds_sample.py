"""The sample CDS Hooks request shipped in docs/fhir/ is current and gets the card."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path

from spinefx.fhir.cds import cards_for

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "fhir" / "cds-request.json"


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("cds_sample", ROOT / "scripts" / "cds_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_sample_is_what_the_script_writes() -> None:
    assert SAMPLE.read_text(encoding="utf-8") == _script().text(), (
        "run: .venv/bin/python scripts/cds_sample.py"
    )


def test_the_sample_gets_one_card_within_a_year_of_the_fracture() -> None:
    body = json.loads(SAMPLE.read_text(encoding="utf-8"))
    fracture_day = date.fromisoformat(
        body["prefetch"]["conditions"]["entry"][0]["resource"]["onsetDateTime"]
    )
    response = cards_for(body, today=fracture_day, app_url="http://127.0.0.1:8000")
    (card,) = response.cards
    assert "very high risk" in card.summary
