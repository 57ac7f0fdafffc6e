"""Issue 20 item 6: the emergency signs shown outside the self-check (the home page, the banner
under every patient page, the Learn disclaimer and the symptoms page) include the aortic signs
and a recent bacterial infection, as the self-check's own questions do."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical.screening import EMERGENCY_FLAGS, QUESTION_TEXT, URGENT_FLAGS
from spinefx.web import Settings, create_app

# What each sign is called wherever it is shown; the self-check asks every one of them.
AORTIC = ("tearing", "pulsing lump", "faint")
INFECTION = ("recent", "bacteria", "urine infection")
CAUDA_EQUINA = ("numbness between", "bladder", "bowel", "weakness in your legs")
PATIENT_PAGES = ("/", "/check", "/learn", "/learn/symptoms", "/learn/benefits", "/find")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path_factory.mktemp("data")))) as c:
        yield c


def words(page: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return " ".join(text.split()).lower()


def test_the_self_check_asks_about_the_aortic_signs_and_a_recent_infection() -> None:
    assert "aortic" in EMERGENCY_FLAGS and "recent_infection" in URGENT_FLAGS
    assert all(w in QUESTION_TEXT["aortic"].lower() for w in ("tearing", "pulsing lump", "faint"))
    assert "bacteria" in QUESTION_TEXT["recent_infection"]


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_every_patient_page_banner_names_every_emergency_sign(
    client: TestClient, path: str
) -> None:
    page = client.get(path).text
    banner = re.search(r'<p class="emergency-line">(.*?)</p>', page, re.S)
    assert banner, path
    text = words(banner.group(1))
    for sign in (*CAUDA_EQUINA, *AORTIC, *INFECTION):
        assert sign in text, (path, sign)
    assert "911" in text and "today" in text


def test_the_home_page_notice_names_the_aortic_signs_and_a_recent_infection(
    client: TestClient,
) -> None:
    notice = re.search(
        r'<div class="notice emergency-notice">(.*?)</div>', client.get("/").text, re.S
    )
    assert notice
    text = words(notice.group(1))
    for sign in (*CAUDA_EQUINA, *AORTIC, *INFECTION):
        assert sign in text, sign


def test_the_learn_disclaimer_and_the_symptoms_page_name_them_too(client: TestClient) -> None:
    page = client.get("/learn/symptoms").text
    disclaimer = re.search(r'<p class="disclaimer">(.*?)</p>', page, re.S)
    assert disclaimer
    for sign in (*AORTIC, *INFECTION):
        assert sign in words(disclaimer.group(1)), sign
    body = words(page.split('<p class="disclaimer">')[0])
    for sign in ("tearing or ripping", "pulsing lump", "fainting", "infection caused by bacteria"):
        assert sign in body, sign
