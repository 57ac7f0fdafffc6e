"""Imaging reports out of a Bulk FHIR export (NDJSON), as plain records for case-finding.

One resource per line (FHIR Bulk Data, ``application/fhir+ndjson``). A ``DiagnosticReport``
gives the text of its ``presentedForm`` attachments (base64 ``text/plain``, or ``text/html``
turned into plain text), else its ``conclusion``; a ``DocumentReference`` gives the text of its
``content[].attachment``. The record keeps the resource ``id``, the patient of ``subject``
(``Patient/123`` -> ``123``) and the report's date as written.

Lines are read as JSON and only the elements used are looked at: a full fhir.resources
validation of each line costs about 15 times the JSON parse itself (docs/fhir.md, measured),
which would take a large share of case-finding's time for checks it does not need. A line that
is not a JSON object is an :class:`~spinefx.errors.InputError` naming its line; a resource that
gives no text (another resource type, no text, an attachment that is only a ``url``, a PDF) is
counted under its :class:`SkipReason` and left out, never an error.

>>> import base64, json
>>> data = base64.b64encode(b"Mild wedge fracture of T8.").decode()
>>> line = json.dumps({"resourceType": "DiagnosticReport", "id": "r1", "status": "final",
...     "subject": {"reference": "Patient/123"}, "effectiveDateTime": "2026-03-02",
...     "presentedForm": [{"contentType": "text/plain", "data": data}]})
>>> skipped = SkipCounter()
>>> list(iter_fhir_reports([line, '{"resourceType": "Patient", "id": "123"}'], skipped))
[ReportRecord(id='r1', patient='123', date='2026-03-02', text='Mild wedge fracture of T8.')]
>>> dict(skipped)
{'other-resource-type': 1}
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any, Final

from spinefx.errors import InputError
from spinefx.validation import json_lines

__all__ = [
    "REPORT_TYPES",
    "ReportRecord",
    "SkipCounter",
    "SkipReason",
    "html_to_text",
    "is_fhir_ndjson",
    "iter_fhir_reports",
    "patient_id",
    "report_from_resource",
]

REPORT_TYPES: Final = frozenset({"DiagnosticReport", "DocumentReference"})


class SkipReason(StrEnum):
    OTHER_TYPE = "other-resource-type"
    NO_ID = "no-id"
    ENTERED_IN_ERROR = "entered-in-error"
    NO_TEXT = "no-text"
    URL_ONLY = "url-only-attachment"
    UNSUPPORTED_CONTENT = "unsupported-content-type"
    UNDECODABLE = "undecodable-attachment"

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    SkipReason.OTHER_TYPE: "not a DiagnosticReport or DocumentReference",
    SkipReason.NO_ID: "no resource id",
    SkipReason.ENTERED_IN_ERROR: "status entered-in-error",
    SkipReason.NO_TEXT: "no text: no attachment with text and no conclusion",
    SkipReason.URL_ONLY: "the text is only at a url (not fetched)",
    SkipReason.UNSUPPORTED_CONTENT: "the attachment is not text/plain or text/html (e.g. a PDF)",
    SkipReason.UNDECODABLE: "the attachment's data is not valid base64 text",
}


class SkipCounter(Counter[str]):
    """Resources left out, counted by :class:`SkipReason` value."""

    def lines(self) -> list[str]:
        """One line per reason, for a run's summary: ``3 skipped: no text: ...``."""
        return [f"{n} skipped: {SkipReason(reason).message}" for reason, n in sorted(self.items())]


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """One report as case-finding reads it."""

    id: str
    patient: str | None
    date: str | None
    text: str


def is_fhir_ndjson(first_line: str) -> bool:
    """Whether the first line of a ``.ndjson``/``.jsonl`` file is a FHIR resource (has a
    ``resourceType``), rather than a flat report row with a text column."""
    try:
        value = json.loads(first_line.lstrip("\ufeff"))
    except (json.JSONDecodeError, TypeError):
        return False
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def patient_id(reference: Any) -> str | None:
    """The Patient id of a Reference (as JSON): ``Patient/123``, an absolute URL ending in
    ``Patient/123`` or with ``/_history/2`` after it all give ``123``; another type, ``None``.

    >>> patient_id({"reference": "https://ehr.example/fhir/Patient/123/_history/2"})
    '123'
    >>> patient_id({"reference": "Group/7"}) is None
    True
    """
    if not isinstance(reference, Mapping):
        return None
    ref = reference.get("reference")
    if not isinstance(ref, str):
        return None
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
        return parts[-1]
    return None


class _TextOfHtml(HTMLParser):
    _BLOCKS: Final = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "table"}
    )
    _HIDDEN: Final = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML report: tags dropped, blocks on their own lines, spaces tidied.

    >>> html_to_text("<html><body><p>FINDINGS: L1 fracture.</p><p>IMPRESSION:&nbsp;acute</p>")
    'FINDINGS: L1 fracture.\\nIMPRESSION: acute'
    """
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _media_type(content_type: Any) -> tuple[str, str]:
    if not isinstance(content_type, str):
        return "", "utf-8"
    kind, _, params = content_type.partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return kind.strip().lower(), charset


def _attachment_text(attachment: Any) -> tuple[str | None, SkipReason | None]:
    """(text, None) or (None, why not)."""
    if not isinstance(attachment, Mapping):
        return None, SkipReason.NO_TEXT
    data = attachment.get("data")
    if not isinstance(data, str) or not data:
        return None, SkipReason.URL_ONLY if attachment.get("url") else SkipReason.NO_TEXT
    kind, charset = _media_type(attachment.get("contentType"))
    if kind not in ("text/plain", "text/html", ""):
        return None, SkipReason.UNSUPPORTED_CONTENT
    try:
        text = base64.b64decode(data, validate=False).decode(charset)
    except (binascii.Error, ValueError, LookupError):
        return None, SkipReason.UNDECODABLE
    if kind == "text/html":
        text = html_to_text(text)
    return (text, None) if text.strip() else (None, SkipReason.NO_TEXT)


def _attachments_text(attachments: Iterable[Any]) -> tuple[str | None, SkipReason | None]:
    """The text of a report's attachments: its plain-text ones, else its HTML ones (the same
    report is often sent in both forms), joined by a blank line."""
    found: dict[str, list[str]] = {"text/plain": [], "text/html": []}
    why: SkipReason | None = None
    for attachment in attachments:
        text, reason = _attachment_text(attachment)
        if text is None:
            if why is None or why == SkipReason.NO_TEXT:
                why = reason  # the most telling reason: a url or a PDF over "no text"
            continue
        kind, _ = _media_type(attachment.get("contentType"))
        found["text/html" if kind == "text/html" else "text/plain"].append(text)
    texts = found["text/plain"] or found["text/html"]
    if texts:
        return "\n\n".join(texts), None
    return None, why or SkipReason.NO_TEXT


def _date(resource: Mapping[str, Any]) -> str | None:
    if resource.get("resourceType") == "DiagnosticReport":
        when = resource.get("effectiveDateTime")
        if not isinstance(when, str):
            period = resource.get("effectivePeriod")
            when = period.get("start") if isinstance(period, Mapping) else None
        if not isinstance(when, str):
            when = resource.get("issued")
    else:
        when = resource.get("date")
        if not isinstance(when, str):
            context = resource.get("context")
            period = context.get("period") if isinstance(context, Mapping) else None
            when = period.get("start") if isinstance(period, Mapping) else None
    return when if isinstance(when, str) else None


def report_from_resource(resource: Mapping[str, Any]) -> ReportRecord | SkipReason:
    """The report record of one resource (as JSON), or why it gives none."""
    kind = resource.get("resourceType")
    if kind not in REPORT_TYPES:
        return SkipReason.OTHER_TYPE
    rid = resource.get("id")
    if not isinstance(rid, str) or not rid:
        return SkipReason.NO_ID
    if "entered-in-error" in (resource.get("status"), resource.get("docStatus")):
        return SkipReason.ENTERED_IN_ERROR
    if kind == "DiagnosticReport":
        forms = resource.get("presentedForm")
        text, why = _attachments_text(forms if isinstance(forms, list) else ())
        if text is None:
            conclusion = resource.get("conclusion")
            if isinstance(conclusion, str) and conclusion.strip():
                text = conclusion
    else:
        content = resource.get("content")
        text, why = _attachments_text(
            c.get("attachment")
            for c in (content if isinstance(content, list) else ())
            if isinstance(c, Mapping)
        )
    if text is None:
        return why or SkipReason.NO_TEXT
    return ReportRecord(rid, patient_id(resource.get("subject")), _date(resource), text)


def iter_fhir_reports(
    lines: Iterable[str], skipped: Counter[str] | None = None, *, source: str = "REPORTS"
) -> Iterator[ReportRecord]:
    """The report records of NDJSON ``lines``, streamed; blank lines are ignored.

    Resources that give no report are counted in ``skipped`` (by :class:`SkipReason` value). A
    line that is not one JSON object raises an :class:`InputError` naming ``source`` and the
    line number (from 1).
    """
    counts: Counter[str] = skipped if skipped is not None else Counter()
    for line in json_lines(lines):
        where, resource = f"{source} line {line.number}", line.value
        if line.error is not None:
            raise InputError(where, line.text[:60], f"one FHIR resource as JSON ({line.error})")
        if not isinstance(resource, dict):
            raise InputError(where, line.text[:60], "one FHIR resource as a JSON object")
        result = report_from_resource(resource)
        if isinstance(result, SkipReason):
            counts[result.value] += 1
        else:
            yield result
