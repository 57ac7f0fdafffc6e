"""The Learn content loader reads topic files and the reference list, and rejects bad ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spinefx.errors import DataError
from spinefx.learn import TOPICS, ContentError, load_content
from spinefx.learn.loader import CONTENT_DIR, load_references, parse_topic

KNOWN = frozenset(range(1, 12))

GOOD = """+++
title = "A page"
summary = "What the page says."
order = 1
+++

## First

- A fact that runs
  over two lines. [1, 3]
- A fact citing a range. [7-9]

## Steps

1. First step. [2]
2. Second step with a [link](/find). [2]
"""


def test_a_good_page_parses_into_sections_facts_and_references() -> None:
    page = parse_topic(GOOD, "a-page", KNOWN)
    assert page.title == "A page" and page.summary == "What the page says."
    assert [s.heading for s in page.sections] == ["First", "Steps"]
    assert [s.ordered for s in page.sections] == [False, True]
    first, ranged = page.sections[0].facts
    assert first.text == "A fact that runs over two lines."
    assert first.refs == (1, 3)
    assert ranged.refs == (7, 8, 9)
    assert page.refs == (1, 2, 3, 7, 8, 9)


def test_a_link_to_this_site_becomes_its_own_part() -> None:
    fact = parse_topic(GOOD, "a-page", KNOWN).sections[1].facts[1]
    assert fact.text == "Second step with a link."
    assert [(p.text, p.href) for p in fact.pieces] == [
        ("Second step with a ", None),
        ("link", "/find"),
        (".", None),
    ]


def test_a_fact_without_a_link_renders_as_one_plain_piece() -> None:
    fact = parse_topic(GOOD, "a-page", KNOWN).sections[0].facts[0]
    assert fact.parts == ()
    assert [(p.text, p.href) for p in fact.pieces] == [(fact.text, None)]


def test_a_page_citing_an_unknown_reference_is_rejected() -> None:
    with pytest.raises(ContentError, match=r"a-page.md:9: unknown reference numbers \[12\]"):
        parse_topic(GOOD.replace("[1, 3]", "[1, 12]"), "a-page", KNOWN)


def test_a_page_citing_a_range_that_runs_past_the_list_is_rejected() -> None:
    with pytest.raises(ContentError, match=r"unknown reference numbers \[12\]"):
        parse_topic(GOOD.replace("[7-9]", "[10-12]"), "a-page", KNOWN)


def test_a_page_without_summary_is_rejected() -> None:
    with pytest.raises(ContentError, match="has no summary"):
        parse_topic(GOOD.replace('summary = "What the page says."\n', ""), "a-page", KNOWN)


def test_a_page_with_an_empty_summary_is_rejected() -> None:
    with pytest.raises(ContentError, match="has no summary"):
        parse_topic(GOOD.replace('"What the page says."', '"  "'), "a-page", KNOWN)


def test_a_fact_without_references_is_rejected() -> None:
    with pytest.raises(ContentError, match=r"ends with its reference numbers"):
        parse_topic(GOOD.replace("First step. [2]", "First step."), "a-page", KNOWN)


@pytest.mark.parametrize(
    "markup",
    [
        "some *emphasis*",
        "some _emphasis_",
        "`code`",
        "<b>bold</b>",
        "<script>alert(1)</script>",
        "an &amp; entity",
        "![image](/static/x.png)",
        "a [stray bracket",
        "a back\\slash",
        "a | table",
    ],
)
def test_markup_the_format_does_not_allow_is_rejected(markup: str) -> None:
    with pytest.raises(ContentError, match="markup this format does not allow"):
        parse_topic(GOOD.replace("First step.", markup), "a-page", KNOWN)


@pytest.mark.parametrize(
    "href", ["https://example.com/", "//example.com/x", "javascript:alert(1)", "find"]
)
def test_a_link_off_this_site_is_rejected(href: str) -> None:
    rejected = "only links to this site's own pages|markup this format does not allow"
    with pytest.raises(ContentError, match=rejected):
        parse_topic(GOOD.replace("(/find)", f"({href})"), "a-page", KNOWN)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("+++\ntitle", "title", "starts with TOML front matter"),
        ("order = 1\n+++", "order = 1\n", "no closing"),
        ("order = 1", 'order = 1\nauthor = "x"', "unknown front matter keys"),
        ("order = 1", "", "has no order"),
        ('title = "A page"\n', "", "has no title"),
        ("## First\n", "", "comes before any '## ' heading"),
        ("2. Second", "3. Second", "should be 2."),
        ("2. Second", "- Second", "mixes"),
        ("## Steps\n", "## Steps\n\nA loose paragraph. [1]\n", "only '## ' headings"),
        ("## First", "# A second title\n\n## First", "only '## ' headings"),
        ("## Steps", "### Steps", "only '## ' headings"),
    ],
)
def test_malformed_pages_are_rejected_with_a_reason(old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(ContentError, match=message):
        parse_topic(GOOD.replace(old, new, 1), "a-page", KNOWN)


def test_a_section_without_facts_is_rejected() -> None:
    with pytest.raises(ContentError, match="has no facts"):
        parse_topic(GOOD.replace("## Steps", "## Empty\n\n## Steps"), "a-page", KNOWN)


def test_a_file_name_that_is_not_a_slug_is_rejected() -> None:
    with pytest.raises(ContentError, match="not a URL-safe slug"):
        parse_topic(GOOD, "Not_A_Slug", KNOWN)


def test_content_errors_are_data_errors() -> None:
    assert issubclass(ContentError, DataError)


# --- the reference list -----------------------------------------------------------------------


def _refs(numbers: list[int], seed: int = 9) -> str:
    return "\n".join(
        f'[[reference]]\nnumber = {n}\nauthors = "A B."\ntitle = "T"\ncitation = "C"\n'
        + ("seed = true\n" if i < seed else "")
        for i, n in enumerate(numbers)
    )


def test_a_reference_list_numbered_one_to_n_with_nine_seed_references_loads() -> None:
    refs = load_references(_refs(list(range(1, 12))))
    assert [r.number for r in refs] == list(range(1, 12))
    assert [r.number for r in refs if r.seed] == list(range(1, 10))


@pytest.mark.parametrize(
    ("numbers", "seed", "message"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 11], 9, "numbered 11"),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 9], 9, "numbered 9"),
        (list(range(1, 12)), 8, "must be numbers 1-9"),
        (list(range(1, 12)), 10, "must be numbers 1-9"),
    ],
)
def test_a_bad_reference_list_is_rejected(numbers: list[int], seed: int, message: str) -> None:
    with pytest.raises(ContentError, match=message):
        load_references(_refs(numbers, seed))


def test_a_reference_with_an_unknown_field_is_rejected() -> None:
    with pytest.raises(ContentError, match="reference 1"):
        load_references(_refs(list(range(1, 10))).replace('title = "T"', 'titel = "T"', 1))


def test_authors_without_a_closing_full_stop_are_rejected() -> None:
    with pytest.raises(ContentError, match="full stop"):
        load_references(_refs(list(range(1, 10))).replace('"A B."', '"A B"', 1))


# --- the whole folder --------------------------------------------------------------------------


def _copy_content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def test_the_shipped_content_loads_in_the_order_its_front_matter_gives() -> None:
    content = load_content()
    assert content.topics == TOPICS
    assert [t.order for t in content.topics] == sorted(t.order for t in content.topics)


def test_a_shipped_page_edited_to_cite_an_unknown_reference_stops_the_load(
    tmp_path: Path,
) -> None:
    folder = _copy_content(tmp_path)
    page = folder / "topics" / "risks.md"
    page.write_text(page.read_text(encoding="utf-8").replace("[18]", "[999]", 1), "utf-8")
    with pytest.raises(ContentError, match=r"risks.md:\d+: unknown reference numbers \[999\]"):
        load_content(folder)


def test_two_pages_with_the_same_order_stop_the_load(tmp_path: Path) -> None:
    folder = _copy_content(tmp_path)
    page = folder / "topics" / "risks.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("order = 7", "order = 1"), "utf-8")
    with pytest.raises(ContentError, match="share an order"):
        load_content(folder)


def test_a_missing_reference_list_stops_the_load(tmp_path: Path) -> None:
    folder = _copy_content(tmp_path)
    (folder / "references.toml").unlink()
    with pytest.raises(ContentError, match="cannot read"):
        load_content(folder)
