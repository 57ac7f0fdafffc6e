"""A case's contacts and letters on the pages: contacts saved from the case page, a letter to
the primary care clinician drafted, recorded as sent (on the timeline), printable and as PDF;
an admin rewords a template (each test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import html
import re
import sys

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.helpers.registry_pages import World, log_in, version_of

from spinefx.registry.db import Registry
from spinefx.registry.models import Case, Letter

CONTACTS = {
    "phone": "(617) 555-0101",
    "address": "1 Main St, Springfield",
    "pcp_name": "Dr. Rosa Diaz",
    "pcp_practice": "Elm Street Family Practice",
    "pcp_fax": "617-555-0199",
    "pcp_email": "",
}


def _save_contacts(client: TestClient, world: World, csrf: str, **changes: str):
    page = client.get(f"/registry/cases/{world.active}").text
    data = {"csrf_token": csrf, "version": str(version_of(page)), **CONTACTS, **changes}
    return client.post(f"/registry/cases/{world.active}/contacts", data=data)


def test_contacts_are_saved_from_the_case_page_and_shown(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    answer = _save_contacts(client, world, csrf)
    assert answer.status_code == 303
    page = html.unescape(client.get(answer.headers["location"]).text)
    assert "Saved:" in page and "Dr. Rosa Diaz, Elm Street Family Practice" in page
    with registry.transaction() as session:
        case = session.get(Case, world.active)
        assert case is not None and case.pcp_fax == "617-555-0199" and case.pcp_email is None


def test_a_bad_contact_comes_back_in_the_forms_words(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.email("coordinator"))
    answer = _save_contacts(client, world, csrf, pcp_email="nobody")
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    assert "Practice e-mail: an e-mail address, name@example.org." in text
    assert 'name="pcp_email" id="pcp_email" value="nobody"' in text


def test_a_clinician_letter_is_drafted_recorded_printed_and_downloaded(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    _save_contacts(client, world, csrf)
    draft = client.get(f"/registry/cases/{world.active}/letters/new/pcp")
    assert draft.status_code == 200
    text = html.unescape(draft.text)
    assert "To: Dr. Rosa Diaz (fax 617-555-0199)." in text
    assert "Findings:" in text and "Tests and contacts still due:" in text
    recorded = client.post(
        f"/registry/cases/{world.active}/letters/new/pcp", data={"csrf_token": csrf}
    )
    assert recorded.status_code == 303
    where = recorded.headers["location"]
    letter_id = int(re.search(r"/letters/(\d+)\?saved=1$", where).group(1))  # type: ignore[union-attr]
    shown = html.unescape(client.get(where).text)
    assert "Saved:" in shown and "Download the PDF" in shown
    pdf = client.get(f"/registry/cases/{world.active}/letters/{letter_id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    case_page = html.unescape(client.get(f"/registry/cases/{world.active}").text)
    assert "Letter to the primary care clinician" in case_page
    assert f'id="letter-{letter_id}"' in case_page  # on the timeline
    with registry.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 1


def test_another_sites_letter_and_an_unknown_kind_are_404(client: TestClient, world: World) -> None:
    log_in(client, world.email("coordinator"))
    assert client.get(f"/registry/cases/{world.south}/letters/new/pcp").status_code == 404
    assert client.get(f"/registry/cases/{world.active}/letters/new/boss").status_code == 404
    assert client.get(f"/registry/cases/{world.active}/letters/99/pdf").status_code == 404


def test_an_admin_rewords_a_template_and_a_coordinator_cannot(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, world.email("admin"))
    page = client.get("/registry/letter-templates")
    assert page.status_code == 200 and "$findings" in page.text
    bad = client.post(
        "/registry/letter-templates/pcp",
        data={"csrf_token": csrf, "subject": "Note", "body": "Dear $nobody"},
    )
    assert bad.status_code == 422 and "Letter text: placeholders among" in html.unescape(bad.text)
    good = client.post(
        "/registry/letter-templates/pcp",
        data={"csrf_token": csrf, "subject": "Note on $patient_name", "body": "Dear $pcp_name."},
    )
    assert good.status_code == 303
    draft = html.unescape(client.get(f"/registry/cases/{world.active}/letters/new/pcp").text)
    assert "Note on Patient N-1 (fictional)" in draft
    client.cookies.clear()
    log_in(client, world.email("coordinator"))
    assert client.get("/registry/letter-templates").status_code == 403


def test_without_the_pdf_extra_the_download_is_503_naming_it_and_the_letter_still_prints(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    _save_contacts(client, world, csrf)
    recorded = client.post(
        f"/registry/cases/{world.active}/letters/new/pcp", data={"csrf_token": csrf}
    )
    where = recorded.headers["location"]
    letter_id = int(re.search(r"/letters/(\d+)\?saved=1$", where).group(1))  # type: ignore[union-attr]
    monkeypatch.setitem(sys.modules, "fpdf", None)  # None in sys.modules: "not installed"
    pdf = client.get(f"/registry/cases/{world.active}/letters/{letter_id}/pdf")
    assert pdf.status_code == 503
    assert "pip install 'spinefx[pdf]'" in html.unescape(pdf.text)
    assert client.get(where).status_code == 200  # the printable page needs no extra
