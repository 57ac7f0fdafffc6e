"""The shapes of the Learn content: references, and topics made of sections of cited facts.

The content itself lives in files (``spinefx/learn/content/``) read by
:mod:`spinefx.learn.loader`; these models hold what was read, frozen.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SLUG_PATTERN", "Fact", "Figure", "Part", "Reference", "Section", "Topic"]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Reference(BaseModel):
    """One source, as a reader would cite it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int = Field(ge=1)
    authors: str = Field(min_length=1)
    """Ends with a full stop, so that ``authors title. citation.`` reads as a citation."""
    title: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    """Journal, year, volume and pages, or the publisher and document number."""
    year: int | None = None
    """``None`` only for a source that carries no date."""
    doi: str | None = None
    url: str | None = None
    note: str = ""
    """What this source supports, in a few words, for the reader of the reference list."""
    seed: bool = False
    """One of the seed patient page's own references (numbered 1-9, in its order)."""

    @property
    def doi_url(self) -> str | None:
        """The DOI as a resolvable link, or ``None``."""
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def formatted(self) -> str:
        """Authors, title and citation as one line: ``Ross PD. Clinical ... Am J Med. 1997;...``."""
        return f"{self.authors} {self.title}. {self.citation}."


class Part(BaseModel):
    """A run of a fact's text; with ``href``, a link to another page of this site."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1)
    href: str | None = Field(default=None, pattern=r"^/([A-Za-z0-9_.?=&#-][A-Za-z0-9/_.?=&#-]*)?$")


class Fact(BaseModel):
    """One statement a patient reads, with the numbers of the references behind it.

    ``text`` is the plain text (link words included, their addresses left out); ``parts`` is the
    same text split where it links to another page of this site (empty: no link).
    """

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1)
    refs: tuple[int, ...] = Field(min_length=1)
    parts: tuple[Part, ...] = ()

    @property
    def pieces(self) -> tuple[Part, ...]:
        """The runs to render, in order: ``parts``, or the whole text as one run."""
        return self.parts or (Part(text=self.text),)


class Section(BaseModel):
    """A heading and the facts under it, in reading order.

    ``ordered`` marks steps that happen in sequence: the page numbers them (an ``<ol>``), so the
    text carries no numbers of its own.
    """

    model_config = ConfigDict(frozen=True)

    heading: str = Field(min_length=1)
    facts: tuple[Fact, ...] = Field(min_length=1)
    ordered: bool = False


class Figure(BaseModel):
    """A picture shown with a topic; ``src`` is relative to the web app's static folder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    src: str = Field(min_length=1)
    alt: str = Field(min_length=1)
    caption: str = Field(min_length=1)


class Topic(BaseModel):
    """One Learn page."""

    model_config = ConfigDict(frozen=True)

    slug: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    order: int = 0
    sections: tuple[Section, ...] = Field(min_length=1)
    figure: Figure | None = None

    @property
    def refs(self) -> tuple[int, ...]:
        """Every reference number the topic cites, sorted, each once."""
        return tuple(sorted({n for s in self.sections for f in s.facts for n in f.refs}))

    @property
    def facts(self) -> tuple[Fact, ...]:
        """Every fact of the topic, in reading order."""
        return tuple(f for s in self.sections for f in s.facts)
