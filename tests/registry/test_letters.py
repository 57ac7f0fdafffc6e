"""Letters from a case: to the primary care clinician (findings, treatment, tests due) and to the
patient, from templates an admin can reword; each kept as sent, and laid out as a PDF."""

from __future__ import annotations

import re
import zlib
from datetime import date

import pytest
import sqlalchemy as sa

from spinefx.errors import InputError, PermissionDenied
from spinefx.registry import cases, letters
from spinefx.registry.contacts import ContactsIn, update_contacts
from spinefx.registry.models import AuditEntry, Letter
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.vocab import Role

CLI = Actor.command_line("test")
TODAY = date(2026, 6, 1)
CONTACTS = {
    "phone": "(617) 555-0101",
    "address": "1 Main St\nSpringfield, MA 01101",
    "pcp_name": "Dr. Rosa Diaz",
    "pcp_practice": "Elm Street Family Practice",
    "pcp_fax": "617-555-0199",
    "pcp_email": "front-desk@elm.example.org",
}


@pytest.fixture
def case_id(registry, make_case):
    with registry.transaction() as session:
        case = cases.create_case(session, CLI, parse(CaseIn, make_case("L-1")), create_site=True)
        update_contacts(session, CLI, case.id, 1, ContactsIn(**CONTACTS))
        return case.id


def test_contacts_are_kept_and_their_values_stay_out_of_the_audit_log(registry, case_id):
    with registry.transaction() as session:
        case = cases.get_case(session, CLI, case_id)
        assert {k: getattr(case, k) for k in CONTACTS} == CONTACTS
        assert case.version == 2
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "contacts")).one()
        assert entry.detail == {"fields": sorted(CONTACTS)}
        assert "555" not in str(entry.detail)


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "call me"), ("pcp_email", "not-an-address"), ("pcp_fax", "x" * 41)],
)
def test_a_bad_contact_is_refused_naming_the_field(field, value):
    with pytest.raises(InputError) as caught:
        parse(ContactsIn, {field: value})
    assert caught.value.problems[0].field == field


def test_the_clinician_letter_holds_findings_treatment_and_tests_due(registry, case_id):
    with registry.transaction() as session:
        case = cases.get_case(session, CLI, case_id)
        subject, body, edited = letters.template_of(session, "pcp")
        draft = letters.draft_letter(case, "pcp", subject, body, TODAY)
    assert not edited
    assert draft.recipient == "Dr. Rosa Diaz (fax 617-555-0199)"
    assert "Dear Dr. Rosa Diaz,\nElm Street Family Practice" in draft.body
    assert "- March 2, 2026: vertebral fracture at L2 (Genant grade 2)" in draft.body
    assert "- March 10, 2026: balloon kyphoplasty at L2" in draft.body
    assert "Recommended treatment:\n- not yet decided" in draft.body
    # the DXA is done: every other event is still due, with its date
    assert "a DXA bone density scan" not in draft.body
    assert "- a fracture risk assessment, by May 25, 2026" in draft.body
    assert "$" not in draft.body and "June 1, 2026" in draft.body


def test_recording_a_letter_keeps_its_wording_and_audits_it(registry, case_id):
    with registry.transaction() as session:
        letter = letters.record_letter(session, CLI, case_id, "patient", TODAY)
        letter_id = letter.id
    with registry.transaction() as session:
        kept = session.get(Letter, letter_id)
        assert kept.kind == "patient" and kept.subject == "Your fracture follow-up"
        assert kept.body.startswith("Dear Test Patient (fictional),\n1 Main St")
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "letter")).one()
        assert entry.case_id == case_id and entry.detail == {"kind": "patient"}


def test_an_admins_template_words_the_next_letters(registry, case_id):
    with registry.transaction() as session:
        letters.save_template(session, CLI, "pcp", "FLS note: $patient_name", "Hello $pcp_name.")
    with registry.transaction() as session:
        letter = letters.record_letter(session, CLI, case_id, "pcp", TODAY)
        assert (letter.subject, letter.body) == (
            "FLS note: Test Patient (fictional)",
            "Hello Dr. Rosa Diaz.",
        )
        assert letters.template_of(session, "pcp")[2] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [("Dear $someone", "body"), ("Costs $", "body"), ("", "body")],
)
def test_a_template_with_an_unknown_placeholder_is_refused(registry, body, field):
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        letters.save_template(session, CLI, "pcp", "Subject", body)
    assert caught.value.problems[0].field == field


def test_only_an_admin_rewords_a_template(registry):
    nurse = Actor(1, "nurse@example.org", Role.COORDINATOR, frozenset({1}))
    with pytest.raises(PermissionDenied), registry.transaction() as session:
        letters.save_template(session, nurse, "pcp", "S", "B")


def _pdf_text(content: bytes) -> str:
    """The text drawn on the pages: each content stream inflated."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            shown.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(shown)


def test_the_pdf_is_a_pdf_that_holds_the_letter():
    content = letters.letter_pdf("Subject \u2013 one", "Dear Dr. Diaz,\nline two", "FLS, North")
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    text = _pdf_text(content)
    assert "Subject - one" in text and "Dear Dr. Diaz," in text and "line two" in text
