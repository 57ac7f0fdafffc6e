"""Reports out of Bulk FHIR NDJSON: text, patient and date of each; what is left out, and why."""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.patient import Patient

from spinefx.errors import InputError
from spinefx.fhir.reports import (
    ReportRecord,
    SkipCounter,
    SkipReason,
    html_to_text,
    is_fhir_ndjson,
    iter_fhir_reports,
)

TEXT = "FINDINGS: Moderate wedge compression fracture of L2, about 30 % loss of height."


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode()


def diagnostic_report(**fields: object) -> str:
    base: dict[str, object] = {
        "id": "r1",
        "status": "final",
        "code": {"text": "XR lumbar spine"},
        "subject": {"reference": "Patient/123"},
        "effectiveDateTime": "2026-03-02",
    }
    base.update(fields)
    return DiagnosticReport(**base).model_dump_json(exclude_none=True)


def document_reference(**fields: object) -> str:
    base: dict[str, object] = {
        "id": "d1",
        "status": "current",
        "subject": {"reference": "Patient/456"},
        "date": "2026-03-04T10:00:00Z",
        "content": [{"attachment": {"contentType": "text/plain", "data": b64(TEXT)}}],
    }
    base.update(fields)
    return DocumentReference(**base).model_dump_json(exclude_none=True)


def read(*lines: str) -> tuple[list[ReportRecord], Counter[str]]:
    skipped = SkipCounter()
    return list(iter_fhir_reports(lines, skipped)), skipped


def test_diagnostic_report_text_from_a_plain_text_attachment() -> None:
    records, skipped = read(
        diagnostic_report(presentedForm=[{"contentType": "text/plain", "data": b64(TEXT)}])
    )
    assert records == [ReportRecord("r1", "123", "2026-03-02", TEXT)]
    assert not skipped


def test_html_attachment_is_turned_into_plain_text() -> None:
    html = "<html><head><title>x</title></head><body><p>FINDINGS:</p><p>L1 &amp; L2 fractures</p>"
    records, _ = read(
        diagnostic_report(
            presentedForm=[{"contentType": "text/html; charset=utf-8", "data": b64(html)}]
        )
    )
    assert records[0].text == "FINDINGS:\nL1 & L2 fractures"


def test_plain_text_is_preferred_when_the_report_comes_in_both_forms() -> None:
    records, _ = read(
        diagnostic_report(
            presentedForm=[
                {"contentType": "text/html", "data": b64("<p>html copy</p>")},
                {"contentType": "text/plain", "data": b64(TEXT)},
            ]
        )
    )
    assert records[0].text == TEXT


def test_charset_of_the_attachment_is_honoured() -> None:
    records, _ = read(
        diagnostic_report(
            presentedForm=[
                {
                    "contentType": "text/plain; charset=latin-1",
                    "data": b64("Fracture à L1", "latin-1"),
                }
            ]
        )
    )
    assert records[0].text == "Fracture à L1"


def test_conclusion_is_the_text_when_there_is_no_attachment() -> None:
    records, _ = read(diagnostic_report(conclusion="Acute T12 compression fracture."))
    assert records[0].text == "Acute T12 compression fracture."


def test_conclusion_is_used_when_the_attachment_is_only_a_url() -> None:
    records, skipped = read(
        diagnostic_report(
            presentedForm=[{"contentType": "text/plain", "url": "https://ehr.example/r1.txt"}],
            conclusion="T8 fracture.",
        )
    )
    assert records[0].text == "T8 fracture." and not skipped


def test_document_reference_text_patient_and_date() -> None:
    records, _ = read(document_reference())
    assert records == [ReportRecord("d1", "456", "2026-03-04T10:00:00Z", TEXT)]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (Patient(id="123").model_dump_json(), SkipReason.OTHER_TYPE),
        (diagnostic_report(), SkipReason.NO_TEXT),
        (
            diagnostic_report(presentedForm=[{"contentType": "text/plain", "url": "https://x/r"}]),
            SkipReason.URL_ONLY,
        ),
        (
            diagnostic_report(
                presentedForm=[{"contentType": "application/pdf", "data": b64("%PDF")}]
            ),
            SkipReason.UNSUPPORTED_CONTENT,
        ),
        (
            diagnostic_report(status="entered-in-error", conclusion="wrong patient"),
            SkipReason.ENTERED_IN_ERROR,
        ),
        (
            document_reference(content=[{"attachment": {"url": "https://x/d1.pdf"}}]),
            SkipReason.URL_ONLY,
        ),
        (document_reference(docStatus="entered-in-error"), SkipReason.ENTERED_IN_ERROR),
        (json.dumps({"resourceType": "DiagnosticReport", "conclusion": "x"}), SkipReason.NO_ID),
    ],
)
def test_resources_without_a_report_are_counted_by_reason(line: str, reason: SkipReason) -> None:
    records, skipped = read(line)
    assert records == []
    assert skipped == {reason.value: 1}


def test_skipped_reasons_read_as_sentences() -> None:
    skipped = SkipCounter({SkipReason.URL_ONLY.value: 3})
    assert skipped.lines() == ["3 skipped: the text is only at a url (not fetched)"]


def test_undecodable_base64_is_counted_not_raised() -> None:
    line = diagnostic_report(presentedForm=[{"contentType": "text/plain", "data": b64("x")}])
    bad = line.replace(b64("x"), "////")  # valid base64 alphabet, not UTF-8 text
    records, skipped = read(bad)
    assert records == [] and skipped == {SkipReason.UNDECODABLE.value: 1}


@pytest.mark.parametrize(
    ("subject", "patient"),
    [
        ({"reference": "Patient/123"}, "123"),
        ({"reference": "https://ehr.example/fhir/Patient/abc"}, "abc"),
        ({"reference": "Patient/123/_history/4"}, "123"),
        ({"reference": "Group/9"}, None),
        ({"display": "no reference"}, None),
    ],
)
def test_patient_of_the_subject_reference(subject: dict[str, str], patient: str | None) -> None:
    records, _ = read(diagnostic_report(subject=subject, conclusion="x"))
    assert records[0].patient == patient


def test_report_date_falls_back_to_issued() -> None:
    records, _ = read(
        diagnostic_report(conclusion="x", effectiveDateTime=None, issued="2026-03-05T08:00:00Z")
    )
    assert records[0].date == "2026-03-05T08:00:00Z"


@pytest.mark.parametrize("bad", ['{"resourceType": "DiagnosticReport",', "[1, 2]", "42"])
def test_malformed_line_names_its_line_number(bad: str) -> None:
    good = diagnostic_report(conclusion="x")
    with pytest.raises(InputError) as caught:
        read(good, "", good, bad)
    assert caught.value.field == "REPORTS line 4"


def test_reading_is_streamed_one_line_at_a_time() -> None:
    def lines() -> object:
        yield diagnostic_report(conclusion="first")
        raise AssertionError("read past the first record")

    first = next(iter_fhir_reports(lines()))  # type: ignore[arg-type]
    assert first.text == "first"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"resourceType": "DiagnosticReport", "id": "1"}', True),
        ('\ufeff{"resourceType": "Bundle"}', True),
        ('{"id": "1", "text": "L1 fracture"}', False),
        ("id,text", False),
        ("", False),
    ],
)
def test_fhir_ndjson_is_told_from_flat_rows(line: str, expected: bool) -> None:
    assert is_fhir_ndjson(line) is expected


def test_html_to_text_keeps_blocks_on_their_own_lines() -> None:
    assert html_to_text("<div>A<br>B</div><script>x()</script><ul><li>C</li></ul>") == "A\nB\nC"
