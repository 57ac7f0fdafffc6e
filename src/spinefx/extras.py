"""The optional parts of spinefx (pip "extras") and the one error for a part not installed.

``pip install spinefx`` gives the patient site, the directory, the clinician tools and the
registry on SQLite. Heavier parts come with an extra::

    nlp       spaCy                         case-finding in report text
    spark     PySpark, pandas (and nlp)     case-finding on Apache Spark
    postgres  psycopg                       the registry on PostgreSQL
    fhir      fhir.resources, PyJWT,        FHIR R4 export and import, the CDS Hooks service
              httpx
    pdf       fpdf2                         the registry's letters as PDF files
    all       every extra above

Code that needs an extra calls :func:`require` before it imports the extra's packages, in the
process that the user started (before any worker pool), so that a missing extra is one
:class:`MissingExtra` error (one line and exit status 1 on the command line, 503 on the web)
instead of an ``ImportError`` traceback from deep inside a worker.

>>> require("nlp", "case-finding") is None  # spaCy is installed here
True
>>> str(MissingExtra("fhir", "FHIR export"))
"FHIR export needs the fhir extra: pip install 'spinefx[fhir]'"
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from spinefx.errors import SpinefxError

__all__ = ["EXTRAS", "MissingExtra", "installed", "missing_extra_for", "require"]

# Each extra's importable modules (what pyproject.toml's optional-dependencies install) and what
# it gives, for the message.
EXTRAS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "nlp": (("spacy",), "case-finding"),
    "spark": (("pyspark", "pandas", "spacy"), "the Spark engine"),  # mapInArrow needs pandas
    "postgres": (("psycopg",), "the registry on PostgreSQL"),
    "fhir": (("fhir.resources", "jwt", "cryptography", "httpx"), "FHIR and CDS Hooks"),
    "pdf": (("fpdf",), "letters as PDF"),
}


class MissingExtra(SpinefxError):
    """A feature needs an extra that is not installed; the message names the pip command."""

    def __init__(self, extra: str, feature: str | None = None) -> None:
        self.extra = extra
        self.feature = feature or EXTRAS[extra][1]
        super().__init__(f"{self.feature} needs the {extra} extra: pip install 'spinefx[{extra}]'")


def _importable(module: str) -> bool:
    """Whether ``module`` can be found, without importing it (spaCy takes a second)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a broken install
        return False


def installed(extra: str) -> bool:
    """Whether every package of ``extra`` can be imported."""
    modules, _ = EXTRAS[extra]
    return all(_importable(m) for m in modules)


def require(extra: str, feature: str | None = None) -> None:
    """Raise :class:`MissingExtra` unless ``extra`` is installed.

    ``feature`` names what needs it in the message (default: what the extra gives).
    """
    if not installed(extra):
        raise MissingExtra(extra, feature)


def missing_extra_for(error: ImportError) -> MissingExtra | None:
    """The extra an ``ImportError`` of one of its packages means, or None if it is no extra's.

    A safety net for the edges (the command line, the web app): code should call
    :func:`require` first, which names the feature too.

    >>> str(missing_extra_for(ModuleNotFoundError("No module named 'pyspark'", name="pyspark")))
    "the Spark engine needs the spark extra: pip install 'spinefx[spark]'"
    >>> missing_extra_for(ModuleNotFoundError("No module named 'nope'", name="nope")) is None
    True
    """
    name = error.name or ""
    for extra, (modules, _) in EXTRAS.items():
        for module in modules:
            if name == module or name.startswith(module + ".") or module.startswith(name + "."):
                return MissingExtra(extra)
    return None
