"""Every fact of the seed patient page is in the Learn section, cited, and its nine references
are references 1-9, exactly as that page gives them (see ``shared/reference/seed_page.md``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinefx.learn import DISCLAIMER, REFERENCES, SEED_REFERENCES, TOPICS, Fact, reference, topic
from spinefx.web.app import create_app
from spinefx.web.settings import Settings

# The seed page's reference list, one line each, as its bibliographic data gives it.
SEED_LIST = (
    "Lau E, Ong K, Kurtz S, et al. Mortality following the diagnosis of a vertebral compression "
    "fracture in the Medicare population. J Bone Joint Surg Am. 2008;90(7):1479-86.",
    "Brunton S, Carmichael B, Gold D, et al. Vertebral compression fractures in primary care: "
    "recommendations from a consensus panel. J Fam Pract. 2005;54(9):781-8.",
    "Vedantam R. Management of osteoporotic vertebral compression fractures: a review. "
    "Am J Clin Med. 2009;6(4):14-8.",
    "Ross PD. Clinical consequences of vertebral fractures. Am J Med. 1997;103(2A):30S-43S.",
    "Gold DT. The clinical impact of vertebral fractures: quality of life in women with "
    "osteoporosis. Bone. 1996;18(3 Suppl):185S-189S.",
    "Silverman SL. The clinical consequences of vertebral compression fracture. Bone. "
    "1992;13 Suppl 2:S27-31.",
    "Wardlaw D, Cummings SR, Van Meirhaeghe J, et al. Efficacy and safety of balloon kyphoplasty "
    "compared with non-surgical care for vertebral compression fracture (FREE): a randomised "
    "controlled trial. Lancet. 2009;373(9668):1016-24.",
    "Boonen S, Van Meirhaeghe J, Bastian L, et al. Balloon kyphoplasty for the treatment of acute "
    "vertebral compression fractures: 2-year results from a randomized trial. J Bone Miner Res. "
    "2011;26(7):1627-37.",
    "Van Meirhaeghe J, Bastian L, Boonen S, et al. A randomized trial of balloon kyphoplasty and "
    "nonsurgical management for treating acute vertebral compression fractures: vertebral body "
    "kyphosis correction and surgical parameters. Spine. 2013;38(12):971-83.",
)


def _number(title_start: str) -> int:
    (found,) = [r.number for r in REFERENCES if r.title.startswith(title_start)]
    return found


LAU = 1
BRUNTON_TO_SILVERMAN = {2, 3, 4, 5, 6}
FREE, BOONEN, VAN_MEIRHAEGHE = 7, 8, 9
SEED_PAGE = _number("The patient page spinefx grew from")
COOPER = _number("Incidence of clinically diagnosed vertebral fractures")
MELTON = _number("Bone density and fracture risk in men")
KANIS = _number("Long-term risk of osteoporotic fracture")
AHCPR = _number("Acute Low Back Problems in Adults")
LCD = _number("Local Coverage Determination (LCD) L38201")


def _facts(slug: str) -> tuple[Fact, ...]:
    page = topic(slug)
    assert page is not None, slug
    return page.facts


def _text(slug: str) -> str:
    page = topic(slug)
    assert page is not None, slug
    return " ".join([page.summary, *(f.text for f in page.facts)])


def _find(slug: str, *patterns: str) -> Fact:
    """The one fact on the page whose text matches every pattern (case-insensitive)."""
    found = [f for f in _facts(slug) if all(re.search(p, f.text, re.IGNORECASE) for p in patterns)]
    assert found, f"no fact on /learn/{slug} matches {patterns}"
    return found[0]


# --- references 1-9 and 10 on -----------------------------------------------------------------


@pytest.mark.parametrize(("number", "line"), list(enumerate(SEED_LIST, start=1)))
def test_references_one_to_nine_are_the_seed_pages_own_list_in_its_order(
    number: int, line: str
) -> None:
    ref = reference(number)
    assert ref.seed
    assert ref.formatted == line


def test_the_seed_pages_doi_for_reference_one_is_kept() -> None:
    assert reference(1).doi == "10.2106/JBJS.G.00675"


def test_exactly_the_first_nine_are_seed_references_and_what_spinefx_adds_starts_at_ten() -> None:
    assert tuple(range(1, 10)) == SEED_REFERENCES
    added = [r for r in REFERENCES if not r.seed]
    assert added[0].number == 10
    assert [r.number for r in added] == list(range(10, len(REFERENCES) + 1))


@pytest.mark.parametrize(
    "title_start",
    [
        "A randomized trial of vertebroplasty for osteoporotic spinal fractures",  # INVEST
        "A randomized trial of vertebroplasty for painful osteoporotic",  # Buchbinder
        "Safety and efficacy of vertebroplasty for acute painful",  # VAPOUR
        "Vertebroplasty versus conservative treatment",  # VERTOS II
        "Local Coverage Determination (LCD) L38201",
        "The clinician's guide to prevention and treatment of osteoporosis",
        "Bone density and fracture risk in men",  # Melton 1998
        "Long-term risk of osteoporotic fracture",  # Kanis 2000
        "Incidence of clinically diagnosed vertebral fractures",  # Cooper 1992
    ],
)
def test_the_sources_spinefx_adds_are_numbered_from_ten(title_start: str) -> None:
    assert _number(title_start) >= 10


def test_no_reference_note_says_the_seed_list_is_unknown_or_reconstructed() -> None:
    for ref in REFERENCES:
        text = f"{ref.title} {ref.note}".lower()
        assert "reconstruct" not in text and "not in our" not in text, ref.number


# --- the risks --------------------------------------------------------------------------------

SEED_RISKS = {
    "heart attack": [r"heart attack"],
    "cardiac arrest": [r"cardiac arrest"],
    "stroke": [r"\bstroke\b"],
    "embolism of blood, fat or cement to the lungs or heart": [
        r"embolism",
        r"blood clot",
        r"\bfat\b",
        r"cement",
        r"lungs",
        r"heart",
    ],
    "infection": [r"infection"],
    "cement leaking near the spinal cord and nerves, rarely paralysis": [
        r"cement",
        r"leak",
        r"spinal cord",
        r"nerves",
        r"rare",
        r"paraly",
    ],
    "cement in blood vessels damaging vessels, lungs or heart": [
        r"cement",
        r"blood vessel",
        r"damage",
        r"lungs",
        r"heart",
    ],
    "uncommon but serious, even fatal": [r"not common|uncommon", r"serious", r"death|fatal"],
    "talk to a doctor about benefits and risks": [r"doctor", r"risks", r"benefits"],
}


@pytest.mark.parametrize("risk", sorted(SEED_RISKS))
def test_every_seed_risk_is_on_the_risks_page_with_its_source(risk: str) -> None:
    fact = _find("risks", *SEED_RISKS[risk])
    assert SEED_PAGE in fact.refs


def test_the_risks_page_opens_with_the_serious_risks_and_never_calls_the_procedure_small() -> None:
    page = topic("risks")
    assert page is not None
    opening = f"{page.title} {page.summary} {page.sections[0].heading}".lower()
    for softener in ("small", "minor", "simple", "safe"):
        assert softener not in opening, softener
    assert "serious" in page.sections[0].heading.lower()
    first_fact = page.sections[0].facts[0].text.lower()
    assert "serious" in first_fact and "death" in first_fact


# --- every other fact of the seed page --------------------------------------------------------

# (what the seed page says, the page it is on, patterns the fact must match, references it cites)
SEED_FACTS = [
    ("osteoporosis is the most common cause", "causes", [r"most common cause", r"osteoporosis"]),
    ("tumors and cancers can cause them", "causes", [r"tumor", r"cancer"]),
    ("benign lesions, treated by BKP too", "causes", [r"not cancer", r"benign", r"kyphoplasty"]),
    ("a sneeze or lifting something light", "causes", [r"sneeze", r"lifting something light"]),
    ("pain may be mild or severe", "symptoms", [r"mild or severe"]),
    ("undiagnosed, taken for ageing", "how-common", [r"never diagnosed", r"older", r"mention"]),
    ("untreated: more injury and death", "how-common", [r"untreated", r"injury", r"dying"]),
    ("only a third come to attention", "how-common", [r"1 spine fracture in 3", r"attention"]),
    ("the self-check checklist", "symptoms", [r"sudden", r"severe and sharp", r"3 days", r"50"]),
    ("the self-check is not validated", "symptoms", [r"patient-education page", r"not a valid"]),
    ("the doctor presses along the back", "diagnosis", [r"presses along your spine"]),
    ("an X-ray or MRI confirms", "diagnosis", [r"X-ray or an MRI", r"confirms"]),
    ("benefits against a brace and pain tablets", "benefits", [r"brace", r"pain tablets"]),
    ("local or general anesthesia, the doctor decides", "kyphoplasty", [r"general", r"local"]),
    ("one or two incisions of about 1 cm", "kyphoplasty", [r"one or two", r"1 cm"]),
    ("a narrow path into the bone", "kyphoplasty", [r"narrow path"]),
    ("the balloon lifts the bone", "kyphoplasty", [r"balloon", r"pushes the squashed bone"]),
    ("the balloon comes out, leaving a cavity", "kyphoplasty", [r"taken out", r"cavity"]),
    ("cement like an internal cast", "kyphoplasty", [r"cast on the inside", r"collapsing"]),
    ("usually from both sides", "kyphoplasty", [r"usually", r"both sides"]),
    ("Medicare and private insurers cover it", "insurance", [r"Medicare", r"private insurers"]),
    ("ask your insurer", "insurance", [r"ask your insurer"]),
    ("primary care first, then a specialist", "who-performs", [r"primary care", r"refer"]),
    ("find a specialist near you", "who-performs", [r"near you", r"Find a specialist"]),
    ("some of these specialists perform it", "who-performs", [r"only some doctors"]),
    ("an endocrinologist treats the osteoporosis", "who-performs", [r"endocrinologist"]),
    ("calcium and a bisphosphonate", "who-performs", [r"calcium", r"bisphosphonate"]),
]


@pytest.mark.parametrize(("what", "slug", "patterns"), SEED_FACTS, ids=[f[0] for f in SEED_FACTS])
def test_every_seed_fact_is_on_its_page_with_a_reference(
    what: str, slug: str, patterns: list[str]
) -> None:
    fact = _find(slug, *patterns)
    assert fact.refs
    for number in fact.refs:
        reference(number)


def test_the_untreated_fracture_risks_cite_references_two_to_six() -> None:
    for patterns in ([r"never diagnosed"], [r"untreated", r"dying"]):
        assert set(_find("how-common", *patterns).refs) >= BRUNTON_TO_SILVERMAN


def test_the_third_that_come_to_attention_cites_cooper_1992() -> None:
    assert COOPER in _find("how-common", r"1 spine fracture in 3").refs


def test_the_how_common_figure_is_the_iofs_with_its_two_sources() -> None:
    fact = _find("how-common", r"1 woman\s+in 3", r"1 man in 5", r"International Osteoporosis")
    assert set(fact.refs) == {MELTON, KANIS}


def test_no_page_gives_the_seed_pages_unsourced_one_in_eight_figure() -> None:
    for page in TOPICS:
        for fact in page.facts:
            assert not re.search(r"1 (man )?in 8|one in eight", fact.text, re.IGNORECASE)


def test_the_mortality_study_is_cited_for_what_it_studied() -> None:
    fact = _find("how-common", r"Medicare", r"twice the rate")
    assert LAU in fact.refs
    for page in TOPICS:
        for other in page.facts:
            if LAU in other.refs:
                assert "died" in other.text or "dying" in other.text, other.text


def test_the_benefits_against_non_surgical_care_cite_the_free_trial_papers() -> None:
    fact = _find("benefits", r"less back pain", r"quality of life", r"moved")
    assert {FREE, BOONEN, VAN_MEIRHAEGHE} <= set(fact.refs)
    rest = _find("benefits", r"fewer days in bed", r"satisfied")
    assert FREE in rest.refs


def test_the_self_check_is_called_a_checklist_never_a_published_or_validated_rule() -> None:
    for page in TOPICS:
        text = _text(page.slug).lower()
        assert "published rule" not in text
        assert "validated rule" not in text.replace("not a validated clinical rule", "")
    assert AHCPR in _find("symptoms", r"over 50", r"whatever the pain feels like").refs


def test_the_medicare_coverage_cites_the_lcd() -> None:
    assert LCD in _find("insurance", r"private insurers").refs


def test_the_disclaimer_says_information_only_and_not_a_substitute_for_a_doctor() -> None:
    text = DISCLAIMER.lower()
    assert "education only" in text
    assert "does not replace" in text and "doctor" in text


def test_no_page_promises_going_home_the_same_day() -> None:
    for page in TOPICS:
        assert "home the same day" not in _text(page.slug).lower()


# --- the rendered pages -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("learn-no-directory")
    with TestClient(create_app(Settings(data_dir=data_dir))) as c:
        yield c


def test_every_citation_on_every_page_resolves_to_an_entry_of_the_reference_page(
    client: TestClient,
) -> None:
    anchors = set(re.findall(r'<li id="ref-(\d+)"', client.get("/learn/references").text))
    assert anchors == {str(r.number) for r in REFERENCES}
    for page in TOPICS:
        html = client.get(f"/learn/{page.slug}").text
        cited = set(re.findall(r'href="/learn/references#ref-(\d+)"', html))
        assert cited and cited <= anchors, page.slug


def test_the_reference_page_numbers_the_seed_list_one_to_nine_in_order(
    client: TestClient,
) -> None:
    html = client.get("/learn/references").text
    items = re.findall(r'<li id="ref-(\d+)" value="(\d+)">\s*<span class="authors">([^<]*)', html)
    assert [int(n) for n, v, _ in items] == list(range(1, len(REFERENCES) + 1))
    assert all(n == v for n, v, _ in items)
    assert [a for _, _, a in items[:9]] == [line.split(". ")[0] + "." for line in SEED_LIST]


def test_links_inside_facts_point_at_pages_that_exist(client: TestClient) -> None:
    hrefs = {p.href for t in TOPICS for f in t.facts for p in f.pieces if p.href}
    assert hrefs >= {"/check", "/find"}
    for href in hrefs:
        assert client.get(href).status_code == 200, href
    html = client.get("/learn/who-performs").text
    assert '<a href="/find">Find a specialist</a>' in html


def test_the_reference_page_puts_the_seed_list_and_the_additions_under_their_own_headings(
    client: TestClient,
) -> None:
    html = client.get("/learn/references").text
    seed_at, added_at = html.index('<h2 id="seed">'), html.index('<h2 id="added">')
    assert seed_at < html.index('id="ref-1"') < html.index('id="ref-9"') < added_at
    assert added_at < html.index('id="ref-10"')
    assert '<ol class="references" start="10">' in html
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "J Bone Joint Surg Am. 2008;90(7):1479-86. DOI: 10.2106/JBJS.G.00675" in text
