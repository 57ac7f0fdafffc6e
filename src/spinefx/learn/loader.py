"""Read and check the Learn content files: ``references.toml``, ``learn.toml`` and ``topics/*.md``.

The content is prose that clinicians review, so it lives in files beside this module, not in
Python. It is read once, the first time :func:`default_content` is called (the web app calls it
when it starts), and every problem stops the load with a :class:`ContentError` naming the file
and line::

    >>> content = default_content()
    >>> content.topics[0].slug, len(content.references) >= 9
    ('causes', True)

A topic file is a small TOML front matter between ``+++`` lines (``title``, ``summary``,
``order``, optionally a ``[figure]`` table), then Markdown restricted to what a page of cited
facts needs::

    +++
    title = "How a spine fracture is diagnosed"
    summary = "One or two sentences for the index page."
    order = 4
    +++

    ## A heading

    - A fact, in plain words, that may run over
      indented lines and ends with its references. [2, 20]
    - A fact may link to [another page of this site](/find). [28]

    ## Steps in order

    1. A numbered list becomes a numbered list on the page. [7, 9]
    2. Numbers run 1, 2, 3 and are not part of the text. [7, 9]

Anything else (a paragraph outside a list, emphasis, HTML, an image, a link off this site, a
fact without references, a reference number that does not exist) is rejected: the page is
rendered with autoescaping from these plain runs of text, never from raw Markdown or HTML.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spinefx.errors import DataError
from spinefx.learn.models import SLUG_PATTERN, Fact, Figure, Part, Reference, Section, Topic

__all__ = [
    "CONTENT_DIR",
    "ContentError",
    "LearnContent",
    "default_content",
    "load_content",
    "load_references",
    "parse_topic",
]

CONTENT_DIR = Path(__file__).parent / "content"
SEED_COUNT = 9
"""The seed patient page has nine references; they keep its numbers, 1-9."""

_FRONT_MATTER_KEYS = {"title", "summary", "order", "figure"}
_CITATION = re.compile(r"^(?P<body>.*\S)\s*\[(?P<refs>\d+(?:-\d+)?(?:,\s*\d+(?:-\d+)?)*)\]$")
_LINK = re.compile(r"\[(?P<text>[^\[\]]+)\]\((?P<href>[^()\s]*)\)")
_HREF = re.compile(r"^/(?!/)[A-Za-z0-9/_.?=&#-]*$")
_NUMBERED = re.compile(r"^(?P<n>\d+)\. (?P<text>.*)$")
# Markup this format does not allow in text: emphasis, code, HTML, escapes, tables, brackets
# outside a link or the citation, HTML character references.
_FORBIDDEN = re.compile(r"[*_`<>\\|\[\]]|&[A-Za-z#0-9]+;|~~")


class ContentError(DataError):
    """A Learn content file is malformed; the message names the file and, where known, line."""


@dataclass(frozen=True)
class LearnContent:
    """Everything the Learn section shows, loaded and checked."""

    references: tuple[Reference, ...]
    topics: tuple[Topic, ...]
    disclaimer: str


def _problem(source: str, line: int | None, message: str) -> ContentError:
    where = f"{source}:{line}" if line is not None else source
    return ContentError(f"{where}: {message}")


# --- references -------------------------------------------------------------------------------


def load_references(text: str, source: str = "references.toml") -> tuple[Reference, ...]:
    """The reference list from ``references.toml`` text, checked.

    Numbers run 1..N in file order without gaps; the seed page's references (``seed = true``)
    are exactly numbers 1..9; every author list ends with a full stop.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _problem(source, None, f"not valid TOML ({exc})") from exc
    unknown = set(data) - {"reference"}
    if unknown:
        raise _problem(source, None, f"unknown keys {sorted(unknown)}; expected [[reference]]")
    refs: list[Reference] = []
    for position, raw in enumerate(data.get("reference", []), start=1):
        try:
            ref = Reference.model_validate(raw)
        except ValidationError as exc:
            raise _problem(source, None, f"reference {position}: {exc}") from exc
        if ref.number != position:
            raise _problem(
                source, None, f"reference {position} is numbered {ref.number}; numbers run 1..N"
            )
        if not ref.authors.endswith("."):
            raise _problem(source, None, f"reference {ref.number}: authors end with a full stop")
        refs.append(ref)
    seed = [r.number for r in refs if r.seed]
    if seed != list(range(1, SEED_COUNT + 1)):
        raise _problem(
            source,
            None,
            f"the seed page's {SEED_COUNT} references must be numbers 1-{SEED_COUNT} "
            f"(seed = true), found {seed}",
        )
    return tuple(refs)


# --- topics -----------------------------------------------------------------------------------


def _split_front_matter(text: str, source: str) -> tuple[dict[str, Any], list[str], int]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        raise _problem(source, 1, "a topic starts with TOML front matter between '+++' lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise _problem(source, 1, "the front matter has no closing '+++' line") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise _problem(source, 1, f"front matter is not valid TOML ({exc})") from exc
    return meta, lines[end + 1 :], end + 2


def _expand(refs: str) -> tuple[int, ...]:
    numbers: list[int] = []
    for item in refs.split(","):
        first, _, last = item.strip().partition("-")
        numbers.extend(range(int(first), int(last or first) + 1))
    return tuple(numbers)


def _check_plain(text: str, source: str, line: int, what: str) -> None:
    bad = _FORBIDDEN.search(text)
    if bad:
        raise _problem(
            source,
            line,
            f"{what} has markup this format does not allow ({bad.group(0)!r}): write plain "
            "text, links as [words](/page)",
        )


def _fact(text: str, source: str, line: int, known: frozenset[int]) -> Fact:
    cited = _CITATION.match(text)
    if not cited:
        raise _problem(
            source, line, "a fact ends with its reference numbers in brackets, e.g. [7, 9]"
        )
    body, refs = cited.group("body"), _expand(cited.group("refs"))  # shown in number order
    unknown = [n for n in refs if n not in known]
    if unknown:
        raise _problem(source, line, f"unknown reference numbers {unknown}")
    if len(set(refs)) != len(refs):
        raise _problem(source, line, f"a reference is cited twice in {list(refs)}")
    refs = tuple(sorted(refs))
    parts: list[Part] = []
    position = 0
    for link in _LINK.finditer(body):
        href = link.group("href")
        if not _HREF.match(href):
            raise _problem(
                source, line, f"link {href!r}: only links to this site's own pages, like /find"
            )
        before = body[position : link.start()]
        if before.endswith("!"):
            raise _problem(source, line, "markup this format does not allow ('!['): no images")
        _check_plain(before, source, line, "a fact")
        _check_plain(link.group("text"), source, line, "a link")
        if before:
            parts.append(Part(text=before))
        parts.append(Part(text=link.group("text"), href=href))
        position = link.end()
    rest = body[position:]
    _check_plain(rest, source, line, "a fact")
    if parts and rest:
        parts.append(Part(text=rest))
    plain = "".join(p.text for p in parts) if parts else body
    return Fact(text=plain, refs=refs, parts=tuple(parts))


def parse_topic(text: str, slug: str, known: frozenset[int], source: str | None = None) -> Topic:
    """One topic from the text of its Markdown file; ``known`` are the reference numbers."""
    source = source or f"{slug}.md"
    if not re.match(SLUG_PATTERN, slug):
        raise _problem(source, None, f"file name {slug!r} is not a URL-safe slug")
    meta, body, first_line = _split_front_matter(text, source)
    unknown_keys = set(meta) - _FRONT_MATTER_KEYS
    if unknown_keys:
        raise _problem(source, 1, f"unknown front matter keys {sorted(unknown_keys)}")
    for key in ("title", "summary"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise _problem(source, 1, f"the page has no {key} (front matter '{key} = \"...\"')")
        _check_plain(meta[key], source, 1, key)
    if not isinstance(meta.get("order"), int):
        raise _problem(source, 1, "the page has no order (front matter 'order = 1')")

    sections: list[Section] = []
    heading: str | None = None
    facts: list[Fact] = []
    kind: str | None = None  # "ul" or "ol" for the current section
    item: list[str] = []
    item_line = 0
    expected_number = 1

    def close_item() -> None:
        nonlocal item
        if item:
            facts.append(_fact(" ".join(item), source, item_line, known))
            item = []

    def close_section(line: int) -> None:
        nonlocal facts, kind, expected_number
        close_item()
        if heading is not None:
            if not facts:
                raise _problem(source, line, f"section {heading!r} has no facts")
            sections.append(Section(heading=heading, facts=tuple(facts), ordered=kind == "ol"))
        facts, kind, expected_number = [], None, 1

    for offset, raw in enumerate(body):
        line = first_line + offset
        stripped = raw.strip()
        if not stripped:
            close_item()
            continue
        if raw.startswith("## "):
            close_section(line)
            heading = raw[3:].strip()
            _check_plain(heading, source, line, "a heading")
            continue
        numbered = _NUMBERED.match(raw)
        if raw.startswith("- ") or numbered:
            if heading is None:
                raise _problem(source, line, "a list item comes before any '## ' heading")
            this_kind = "ol" if numbered else "ul"
            if kind not in (None, this_kind):
                raise _problem(source, line, "a section mixes '- ' and numbered items")
            kind = this_kind
            if numbered:
                if int(numbered.group("n")) != expected_number:
                    raise _problem(source, line, f"numbered item should be {expected_number}.")
                expected_number += 1
            close_item()
            item = [(numbered.group("text") if numbered else raw[2:]).strip()]
            item_line = line
            continue
        if raw.startswith("  ") and item:
            item.append(stripped)
            continue
        raise _problem(
            source,
            line,
            "only '## ' headings and '- ' or '1. ' list items (with indented continuation "
            "lines) are allowed",
        )
    close_section(first_line + len(body))
    if not sections:
        raise _problem(source, None, "the page has no sections")

    figure = None
    if "figure" in meta:
        try:
            figure = Figure.model_validate(meta["figure"])
        except ValidationError as exc:
            raise _problem(source, 1, f"figure: {exc}") from exc
    return Topic(
        slug=slug,
        title=meta["title"].strip(),
        summary=meta["summary"].strip(),
        order=meta["order"],
        sections=tuple(sections),
        figure=figure,
    )


# --- everything -------------------------------------------------------------------------------


def load_content(folder: Path = CONTENT_DIR) -> LearnContent:
    """Read and check every Learn content file under ``folder``."""
    try:
        refs_text = (folder / "references.toml").read_text(encoding="utf-8")
        site_text = (folder / "learn.toml").read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(f"cannot read the Learn content in {folder}: {exc}") from exc
    references = load_references(refs_text, str(folder / "references.toml"))
    known = frozenset(r.number for r in references)

    try:
        site = tomllib.loads(site_text)
    except tomllib.TOMLDecodeError as exc:
        raise _problem(str(folder / "learn.toml"), None, f"not valid TOML ({exc})") from exc
    disclaimer = site.get("disclaimer")
    if not isinstance(disclaimer, str) or not disclaimer.strip():
        raise _problem(str(folder / "learn.toml"), None, "no disclaimer")

    paths = sorted((folder / "topics").glob("*.md"))
    if not paths:
        raise ContentError(f"no topic files in {folder / 'topics'}")
    topics = [
        parse_topic(p.read_text(encoding="utf-8"), p.stem, known, source=str(p)) for p in paths
    ]
    orders = [t.order for t in topics]
    if len(set(orders)) != len(orders):
        raise ContentError(f"two topics share an order number: {sorted(orders)}")
    topics.sort(key=lambda t: t.order)
    return LearnContent(
        references=references, topics=tuple(topics), disclaimer=" ".join(disclaimer.split())
    )


@cache
def default_content() -> LearnContent:
    """The content shipped with spinefx, loaded and checked once."""
    return load_content()
