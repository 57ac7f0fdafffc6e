"""The Learn content: every fact cited, every reference real, the evidence shown in balance."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pydantic import ValidationError

import spinefx
from spinefx.learn import (
    DISCLAIMER,
    REFERENCES,
    TOPICS,
    Fact,
    Reference,
    Section,
    Topic,
    reference,
    topic,
)

STATIC = Path(spinefx.__file__).parent / "web" / "static"
SVG_PATH = STATIC / "img" / "bkp-steps.svg"
SVG_NS = "http://www.w3.org/2000/svg"

READING_ORDER = (
    "causes",
    "how-common",
    "symptoms",
    "diagnosis",
    "kyphoplasty",
    "benefits",
    "risks",
    "insurance",
    "who-performs",
    "prevention",
)

ALL_FACTS = [(t.slug, s.heading, f) for t in TOPICS for s in t.sections for f in s.facts]


def _topic_text(slug: str) -> str:
    page = topic(slug)
    assert page is not None
    return " ".join(f.text for s in page.sections for f in s.facts)


def _doi(number: int) -> str | None:
    return reference(number).doi


# The papers the pages lean on, by DOI (or by a word of the title for official documents), so
# that a renumbering cannot silently point a fact at the wrong source.
DOIS = {
    "FREE": "10.1016/S0140-6736(09)60010-6",
    "BOONEN": "10.1002/jbmr.364",
    "VAN_MEIRHAEGHE": "10.1097/BRS.0b013e31828e8e22",
    "INVEST": "10.1056/NEJMoa0900563",
    "BUCHBINDER": "10.1056/NEJMoa0900429",
    "VAPOUR": "10.1016/S0140-6736(16)31341-1",
    "VERTOS_II": "10.1016/S0140-6736(10)60954-3",
    "BHOF_2022": "10.1007/s00198-021-05900-y",
    "GENANT_1993": "10.1002/jbmr.5650080915",
    "KERKENI_SDI": "10.1007/s00198-008-0832-6",
    "AACE_2020": "10.4158/GL-2020-0524SUPPL",
    "ENDOCRINE_SOCIETY_2019": "10.1210/jc.2019-00221",
    "FLS_KPI": "10.1007/s00198-020-05377-1",
}


def number_of(name: str) -> int:
    """The reference number of a named paper (by DOI) or official page (by its link)."""
    if name in DOIS:
        (found,) = [r.number for r in REFERENCES if r.doi == DOIS[name]]
        return found
    needle = {"LCD_L38201": "LCDId=38201", "FRAX": "frax", "AHCPR_1994": "NBK52120"}[name]
    (found,) = [r.number for r in REFERENCES if needle in (r.url or "")]
    return found


# --- references ---------------------------------------------------------------------------


def test_reference_numbers_run_from_one_without_gap_or_duplicate() -> None:
    assert [r.number for r in REFERENCES] == list(range(1, len(REFERENCES) + 1))


def test_reference_looks_up_by_number() -> None:
    for ref in REFERENCES:
        assert reference(ref.number) is ref


@pytest.mark.parametrize("number", [0, -1, len(REFERENCES) + 1])
def test_reference_with_unknown_number_raises_key_error(number: int) -> None:
    with pytest.raises(KeyError):
        reference(number)


def test_every_reference_has_authors_title_citation_and_a_plausible_year() -> None:
    for ref in REFERENCES:
        assert ref.authors and ref.title and ref.citation, ref
        assert ref.year is None or 1990 <= ref.year <= 2030, ref


def test_dois_are_bare_and_urls_are_https() -> None:
    for ref in REFERENCES:
        if ref.doi is not None:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", ref.doi), ref.doi
            assert ref.doi_url == f"https://doi.org/{ref.doi}"
        if ref.url is not None:
            assert ref.url.startswith("https://"), ref.url


def test_every_reference_is_cited_by_some_fact() -> None:
    cited = {n for _, _, f in ALL_FACTS for n in f.refs}
    assert cited == {r.number for r in REFERENCES}


@pytest.mark.parametrize("name", sorted(DOIS))
def test_each_named_paper_is_in_the_list_once(name: str) -> None:
    assert 1 <= number_of(name) <= len(REFERENCES)


def test_official_pages_carry_their_links() -> None:
    for name in ("LCD_L38201", "FRAX", "AHCPR_1994"):
        assert reference(number_of(name)).url, name


# --- topics -------------------------------------------------------------------------------


def test_topics_come_in_reading_order() -> None:
    assert tuple(t.slug for t in TOPICS) == READING_ORDER


def test_slugs_are_unique_and_url_safe() -> None:
    slugs = [t.slug for t in TOPICS]
    assert len(slugs) == len(set(slugs))
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug), slug


def test_topic_looks_up_by_slug_and_returns_none_when_unknown() -> None:
    for page in TOPICS:
        assert topic(page.slug) is page
    assert topic("no-such-topic") is None


def test_every_topic_has_title_summary_and_sections_with_facts() -> None:
    for page in TOPICS:
        assert page.title and page.summary
        assert page.sections, page.slug
        for section in page.sections:
            assert section.heading
            assert section.facts, (page.slug, section.heading)


@pytest.mark.parametrize(("slug", "heading", "fact"), ALL_FACTS)
def test_every_fact_cites_at_least_one_existing_reference(
    slug: str, heading: str, fact: Fact
) -> None:
    assert fact.text.strip()
    assert fact.refs
    for number in fact.refs:
        reference(number)


def test_topic_refs_lists_each_cited_number_once_in_order() -> None:
    page = topic("benefits")
    assert page is not None
    cited = {n for s in page.sections for f in s.facts for n in f.refs}
    assert page.refs == tuple(sorted(cited))


def test_fact_without_references_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Fact(text="Uncited.", refs=())


def test_topic_with_unsafe_slug_is_rejected() -> None:
    section = Section(heading="h", facts=(Fact(text="t", refs=(1,)),))
    with pytest.raises(ValidationError):
        Topic(slug="Not Safe/", title="t", summary="s", sections=(section,))


def test_content_is_frozen() -> None:
    page = TOPICS[0]
    with pytest.raises(ValidationError):
        page.title = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        REFERENCES[0].year = 1900  # type: ignore[misc]


def test_sentences_stay_short_for_patient_reading() -> None:
    lengths = [
        len(sentence.split())
        for _, _, f in ALL_FACTS
        for sentence in re.split(r"(?<=[.!?])\s+", f.text)
    ]
    assert sum(lengths) / len(lengths) <= 18


def test_disclaimer_says_the_content_does_not_diagnose_and_names_emergencies() -> None:
    text = DISCLAIMER.lower()
    assert "education" in text
    assert "doctor" in text
    assert "emergency" in text


# --- what specific pages must say ----------------------------------------------------------


def test_benefits_gives_the_free_one_month_figures() -> None:
    text = _topic_text("benefits")
    for figure in ("5.2", "2.9 to 7.4", "7.2", "2.0", "0.18", "4.0"):
        assert figure in text, figure


def test_benefits_gives_the_longer_term_results_that_shrank() -> None:
    text = _topic_text("benefits")
    for figure in ("1.5", "3.24", "1.49", "0.80", "3.1", "0.8 degrees", "3.0 seconds"):
        assert figure in text, figure
    assert "not statistically significant" in text


def test_benefits_keeps_the_balance_of_sham_controlled_and_acute_trials() -> None:
    page = topic("benefits")
    assert page is not None
    sham_facts = [f for s in page.sections for f in s.facts if "sham" in f.text.lower()]
    cited = {n for f in sham_facts for n in f.refs}
    assert {number_of("INVEST"), number_of("BUCHBINDER")} <= cited
    assert {number_of("VAPOUR"), number_of("VERTOS_II")} <= set(page.refs)
    text = _topic_text("benefits").lower()
    assert "no benefit" in text or "neither found a benefit" in text


def test_kyphoplasty_describes_each_step() -> None:
    text = _topic_text("kyphoplasty").lower()
    for word in ("x-ray", "pedicle", "balloon", "cavity", "pmma", "minutes", "2.4 ml", "1 cm"):
        assert word in text, word


def test_kyphoplasty_shows_the_step_figure_which_exists() -> None:
    page = topic("kyphoplasty")
    assert page is not None and page.figure is not None
    assert (STATIC / page.figure.src).is_file()
    assert page.figure.alt


def test_risks_names_the_contraindications() -> None:
    text = _topic_text("risks").lower()
    for word in ("leak", "infection", "pregnancy", "not mainly caused by the fracture"):
        assert word in text, word


def test_insurance_gives_codes_and_the_coverage_limits() -> None:
    text = _topic_text("insurance")
    for needle in ("22513", "22514", "22515", "L38201", "at least 5", "at least 8"):
        assert needle in text, needle
    assert "prior authorization" in text


def test_insurance_and_the_candidacy_tool_agree_on_more_than_3_levels() -> None:
    # issue 20: more than 3 levels is a relative contraindication, to weigh and document, in
    # the tool (a caution, no failed criterion) and on the page (not "at most 3")
    from spinefx.clinical.candidacy import MAX_LEVELS, CandidacyInput, assess
    from spinefx.clinical.pathway import REFERENCE_CANDIDACY

    text = " ".join(_topic_text("insurance").split())
    assert "At most 3" not in text
    assert f"more than {MAX_LEVELS} vertebrae in one procedure is not ruled out" in text
    assert "weigh it and write down why" in text
    four = {**REFERENCE_CANDIDACY, "levels": ["L1", "L2", "L3", "L4"], "height_loss_pct": 33}
    result = assess(CandidacyInput.model_validate(four))
    assert result.outcome == "meets-criteria"
    assert "more-than-3-levels" in [c.id for c in result.relative_contraindications]
    # the malignant indication needs the same pain threshold on the page as in the tool
    assert "the same 5 out of 10, or 8 in hospital" in text


def test_who_performs_names_the_four_specialties_and_follow_up() -> None:
    text = _topic_text("who-performs").lower()
    for word in (
        "orthopedic",
        "neurosurgeons",
        "interventional radiologists",
        "neuroradiologists",
        "pain medicine",
        "endocrinologist",
        "primary care",
        "fracture liaison",
    ):
        assert word in text, word


def test_prevention_gives_doses_medicines_and_the_frax_link() -> None:
    page = topic("prevention")
    assert page is not None
    text = _topic_text("prevention")
    for needle in ("5 times", "first year", "1200 mg", "1000 mg", "800 to 1000 IU"):
        assert needle in text, needle
    for drug in ("Bisphosphonates", "Denosumab", "teriparatide", "abaloparatide"):
        assert drug in text, drug
    assert "never be stopped" in text
    assert number_of("FRAX") in page.refs


# --- the step diagram ---------------------------------------------------------------------


def _svg_root() -> ET.Element:
    return ET.parse(SVG_PATH).getroot()


def test_svg_parses_with_title_desc_viewbox_and_img_role() -> None:
    root = _svg_root()
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("viewBox")
    assert root.get("role") == "img"
    title = root.find(f"{{{SVG_NS}}}title")
    desc = root.find(f"{{{SVG_NS}}}desc")
    assert title is not None and (title.text or "").strip()
    assert desc is not None and (desc.text or "").strip()


def test_svg_is_self_contained() -> None:
    raw = SVG_PATH.read_text(encoding="utf-8")
    assert raw.replace(SVG_NS, "").count("http") == 0
    root = _svg_root()
    for element in root.iter():
        assert not element.tag.endswith("script"), element.tag
        assert not element.tag.endswith("image"), element.tag
        for name, value in element.attrib.items():
            if name == "href" or name.endswith("}href"):
                assert value.startswith("#"), value
    assert "@import" not in raw and "url(" not in raw


def test_svg_uses_a_generic_font_and_stays_small() -> None:
    raw = SVG_PATH.read_text(encoding="utf-8")
    assert 'font-family="sans-serif"' in raw
    assert SVG_PATH.stat().st_size < 12 * 1024


def test_reference_model_is_exported() -> None:
    assert isinstance(REFERENCES[0], Reference)


def test_only_the_kyphoplasty_steps_are_ordered_and_no_fact_types_its_own_number() -> None:
    ordered = [(t.slug, s.heading) for t in TOPICS for s in t.sections if s.ordered]
    assert ordered == [("kyphoplasty", "Step by step")]
    for slug, heading, fact in ALL_FACTS:
        assert not re.match(r"\d+\.\s", fact.text), (slug, heading, fact.text)


def test_section_is_unordered_by_default() -> None:
    section = Section(heading="h", facts=(Fact(text="t", refs=(1,)),))
    assert section.ordered is False


def test_benefits_sets_the_sham_trials_review_and_task_force_beside_free_and_vapour() -> None:
    # issue 20 item 6: the evidence balanced, each with its numbered reference
    text = " ".join(_topic_text("benefits").split())
    for needle in ("VERTOS IV", "Cochrane review in 2018", "task force", "FREE", "VAPOUR"):
        assert needle in text, needle
    page = topic("benefits")
    assert page is not None
    cited = {n for s in page.sections for f in s.facts for n in f.refs}
    assert {7, 16, 29, 30, 31} <= cited
    assert "no trial has compared kyphoplasty with a sham" in text
    titles = {r.number: r.title for r in REFERENCES}
    assert "VERTOS IV" in titles[29]
    assert "Percutaneous vertebroplasty" in titles[30]
    assert "ASBMR Task Force" in titles[31]


def test_how_common_calls_the_mortality_link_an_association_not_a_cause() -> None:
    text = " ".join(_topic_text("how-common").split())
    assert "a link seen in studies, not proof" in text
    assert "This is a link, not proof that the fracture causes the deaths" in text
    assert "It raises the chance of further injury, and of dying sooner" not in text


def test_the_risks_page_names_the_serious_risks_plainly() -> None:
    """Issue 24: the serious risks by name (death and paralysis among them), not hinted at
    with words such as "some can kill"; US spelling."""
    page = topic("risks")
    assert page is not None
    text = " ".join([page.summary, *(f.text for s in page.sections for f in s.facts)]).lower()
    for hint in ("can kill", "some can", "could be fatal"):
        assert hint not in text, hint
    summary = page.summary.lower()
    for named in ("heart attack", "stroke", "lungs", "infection", "paralysis", "death"):
        assert named in summary, named
    assert "paralysed" not in text and "paralyzed" in text
