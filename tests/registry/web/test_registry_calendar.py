"""The calendar page: a private feed address made once, the feed read without login, a new
address replacing the old (each test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from icalendar import Calendar
from tests.helpers.registry_pages import World, log_in


def test_the_feed_address_is_shown_once_and_read_without_login(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    page = client.get("/registry/calendar")
    assert page.status_code == 200 and "Make my calendar address" in page.text
    made = client.post("/registry/calendar", data={"csrf_token": csrf})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    found = re.search(r'id="feed-address" value="([^"]+)"', html.unescape(made.text))
    assert found is not None
    path = found.group(1).split("://", 1)[1].split("/", 1)[1]
    assert re.fullmatch(r"registry/calendar/cal_[A-Za-z0-9_-]+\.ics", path)
    again = client.get("/registry/calendar").text
    assert "cal_" not in again  # shown once
    client.cookies.clear()
    feed = client.get(f"/{path}")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert events and all("MRN N-" in str(e["summary"]) for e in events)
    assert "Patient N-" not in feed.text
    fresh = log_in(client, world.email("coordinator"))
    assert client.post("/registry/calendar", data={"csrf_token": fresh}).status_code == 200
    client.cookies.clear()
    assert client.get(f"/{path}").status_code == 404
    assert client.get("/registry/calendar/cal_nope.ics").status_code == 404
