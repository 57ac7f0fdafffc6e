"""Every criterion a rule returns has its words in the core, which the CLI and the web share."""

from __future__ import annotations

import pytest

from spinefx.clinical import candidacy, followup, screening
from spinefx.clinical.pathway import reference_patient_pathway


def test_every_screening_criterion_has_words() -> None:
    result = reference_patient_pathway().screening
    ids = {c.id for c in result.criteria}
    assert ids == set(screening.CRITERION_TEXT)
    assert screening.criterion_text("severe-pain") == "The pain is severe: 7 or more out of 10."
    assert screening.criterion_text("red-flag:aortic").startswith("Tearing pain")


@pytest.mark.parametrize("malignant", [False, True])
def test_every_candidacy_criterion_has_words(malignant: bool) -> None:
    result = candidacy.assess(candidacy.CandidacyInput(levels=["L2"], malignant=malignant))
    coded = {c.id for c in result.codes.criteria}  # what decided the diagnosis code
    assert {c.id for c in result.criteria} | coded == set(candidacy.CRITERION_TEXT)
    assert candidacy.criterion_text("not-chronic") == "Fracture not chronic (52 weeks old or less)"
    assert candidacy.criterion_text("pain-threshold") == (
        "Pain NRS at least 8 in hospital, at least 5 otherwise"
    )


def test_every_followup_criterion_has_words() -> None:
    plan = reference_patient_pathway().followup
    assert {c.id for c in plan.risk_reasons} == set(followup.CRITERION_TEXT)
    assert followup.criterion_text("frax-hip-over-4-5") == (
        "FRAX hip fracture probability above 4.5 %"
    )


def test_an_unknown_id_is_shown_as_itself() -> None:
    assert screening.criterion_text("something-new") == "something-new"
