"""Each coordinator's daily reminder: the open cases of their sites whose next FLS event is
overdue or falls due soon (those assigned to them and those assigned to nobody), as an e-mail
digest (:func:`send_digests`, through the SMTP server the settings name) and as a private
iCalendar feed (:func:`calendar_ics`) a calendar app subscribes to.

The feed's address holds a random token; only its SHA-256 is stored, and making a new one
replaces the old (:func:`new_feed_token`). Neither the e-mail nor the calendar names the
patient: each line gives the MRN and the event, and the registry, behind its login, the rest.
Every digest sent and every feed read is recorded in the audit log with the cases it listed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.dates import plain_date
from spinefx.registry import audit, mail
from spinefx.registry.auth import token_digest
from spinefx.registry.mail import SmtpServer
from spinefx.registry.models import CalendarFeed, Case, Site, User, utcnow
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.users import actor_for
from spinefx.registry.vocab import EVENT_NAMES, OPEN_STATUSES, Role

__all__ = [
    "DueItem",
    "SmtpServer",
    "calendar_ics",
    "digest",
    "due_items",
    "feed_actor",
    "has_feed",
    "new_feed_token",
    "send_digests",
]

HORIZON_DAYS = 14  # "falls due soon": within two weeks


@dataclass(frozen=True)
class DueItem:
    case_id: int
    site: str
    mrn: str
    event: str
    due_by: date
    overdue: bool


def due_items(
    session: Session, actor: Actor, today: date, *, horizon_days: int = HORIZON_DAYS
) -> list[DueItem]:
    """The actor's reminders: open cases at their sites, assigned to them or to nobody, whose
    next event is due by ``today + horizon_days``; overdue first."""
    require(actor, Action.READ_CASES)
    conditions = [
        Case.next_due_by.is_not(None),
        Case.next_due_by <= today + timedelta(days=horizon_days),
        Case.status.in_(sorted(s.value for s in OPEN_STATUSES)),
        sa.or_(Case.assigned_user_id.is_(None), Case.assigned_user_id == actor.user_id),
    ]
    if actor.site_ids is not None:
        conditions.append(Case.site_id.in_(sorted(actor.site_ids)))
    rows = session.execute(
        sa.select(Case.id, Site.code, Case.mrn, Case.next_event, Case.next_due_by)
        .join(Site, Site.id == Case.site_id)
        .where(*conditions)
        .order_by(Case.next_due_by, Case.id)
    ).all()
    return [
        DueItem(r.id, r.code, r.mrn, r.next_event, r.next_due_by, r.next_due_by < today)
        for r in rows
    ]


def _line(item: DueItem, today: date) -> str:
    event = EVENT_NAMES.get(item.event, item.event)
    if item.overdue:
        days = (today - item.due_by).days
        return (
            f"- OVERDUE {days} day{'s' if days != 1 else ''}: {event}, MRN {item.mrn} ({item.site})"
        )
    return f"- {event}, MRN {item.mrn} ({item.site}), due by {plain_date(item.due_by)}"


def digest(items: Sequence[DueItem], today: date, base_url: str = "") -> tuple[str, str]:
    """The digest e-mail's subject and text."""
    overdue = sum(1 for i in items if i.overdue)
    subject = (
        f"Registry: {overdue} overdue, {len(items) - overdue} due within "
        f"{HORIZON_DAYS} days ({plain_date(today)})"
    )
    lines = [f"Fracture liaison reminders for {plain_date(today)}.", ""]
    lines += [_line(i, today) for i in items]
    where = f"{base_url.rstrip('/')}/registry" if base_url else "the registry's worklist"
    lines += ["", f"Open {where} to record each event. Patients are named there, not here."]
    return subject, "\n".join(lines) + "\n"


def send_digests(
    session: Session, server: SmtpServer, today: date, *, base_url: str = ""
) -> list[tuple[str, int]]:
    """E-mail each active coordinator their digest (none when nothing is due); who got one
    and how many lines. One SMTP connection for all; each digest sent is audited."""
    coordinators = session.scalars(
        sa.select(User)
        .where(User.active.is_(True), User.role == Role.COORDINATOR.value)
        .order_by(User.email)
    ).all()
    planned = []
    for user in coordinators:
        actor = actor_for(user)
        items = due_items(session, actor, today)
        if items:
            planned.append((user.email, items))
    if not planned:
        return []
    sent = []
    with mail.connect(server) as smtp:
        for email, items in planned:
            subject, body = digest(items, today, base_url)
            smtp.send_message(mail.message(server.sender, email, subject, body))
            audit.record_list(
                session,
                Actor.command_line("remind"),
                "worklist",
                [i.case_id for i in items],
                total=len(items),
                detail={"to": email},
                action="remind",
            )
            sent.append((email, len(items)))
    return sent


def new_feed_token(session: Session, actor: Actor) -> str:
    """A new private calendar token for the actor (the old one stops working)."""
    require(actor, Action.READ_CASES)
    if actor.user_id is None:
        raise ValueError("a calendar feed belongs to a user")
    token = "cal_" + secrets.token_urlsafe(24)
    feed = session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == actor.user_id))
    if feed is None:
        feed = CalendarFeed(user_id=actor.user_id, token_hash="", created_at=utcnow())
        session.add(feed)
    feed.token_hash, feed.created_at = token_digest(token), utcnow()
    audit.record(
        session,
        actor,
        "create",
        "calendar-feed",
        entity_id=actor.user_id,
        site_ids=audit.scope_of(actor),
    )
    return token


def has_feed(session: Session, actor: Actor) -> bool:
    return (
        session.scalar(sa.select(CalendarFeed.id).where(CalendarFeed.user_id == actor.user_id))
        is not None
    )


def feed_actor(session: Session, token: str) -> Actor | None:
    """The active user whose calendar token this is, or ``None``."""
    if not token.startswith("cal_") or len(token) > 100:
        return None
    user = session.scalar(
        sa.select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == token_digest(token))
    )
    if user is None or not user.active:
        return None
    return actor_for(user)


def calendar_ics(session: Session, actor: Actor, today: date, *, base_url: str = "") -> bytes:
    """The actor's reminders as an iCalendar feed: one all-day event on each due date (an
    overdue one on today), named by the event and the MRN; audited as a read."""
    from icalendar import Calendar, Event

    items = due_items(session, actor, today)
    calendar = Calendar()
    calendar.add("prodid", "-//spinefx//registry reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Fracture liaison reminders")
    stamp = datetime.now(tz=utcnow().tzinfo)
    for item in items:
        day = today if item.overdue else item.due_by
        event = Event()
        event.add("uid", f"case-{item.case_id}-{item.event}@spinefx")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        title = EVENT_NAMES.get(item.event, item.event)
        event.add("summary", f"{'OVERDUE: ' if item.overdue else ''}{title}, MRN {item.mrn}")
        if base_url:
            event.add("url", f"{base_url.rstrip('/')}/registry/cases/{item.case_id}")
        event.add("description", f"Due by {plain_date(item.due_by)} at site {item.site}.")
        calendar.add_component(event)
    audit.record_list(session, actor, "calendar-feed", [i.case_id for i in items], total=len(items))
    content: bytes = calendar.to_ical()
    return content
