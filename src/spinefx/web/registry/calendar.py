"""``/registry/calendar``: a user's private iCalendar feed of their reminders (the events of
their cases overdue or due within two weeks), for a calendar app to subscribe to; the page
makes (or replaces) its secret address, ``/registry/calendar/<token>.ics``, which needs no
login: whoever holds the address reads the feed, so it is shown once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.errors import NotFound
from spinefx.registry import reminders
from spinefx.web.deps import FormLoginDep, LoginDep, RegistryDep
from spinefx.web.registry.pages import PREFIX, page, today

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _base(request: Request) -> str:
    configured: str = request.app.state.settings.public_url
    return configured.rstrip("/") or str(request.base_url).rstrip("/")


@router.api_route("/calendar", methods=["GET", "HEAD"])
def calendar_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    with registry.transaction() as session:
        made = reminders.has_feed(session, login.actor)
        count = len(reminders.due_items(session, login.actor, today()))
    return page(request, "registry/calendar.html", {"made": made, "count": count}, login=login)


@router.post("/calendar")
def calendar_new(request: Request, login: FormLoginDep, registry: RegistryDep) -> Response:
    with registry.transaction() as session:
        token = reminders.new_feed_token(session, login.actor)
        count = len(reminders.due_items(session, login.actor, today()))
    address = f"{_base(request)}{PREFIX}/calendar/{token}.ics"
    return page(
        request,
        "registry/calendar.html",
        {"made": True, "address": address, "count": count},
        login=login,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, request: Request, registry: RegistryDep) -> Response:
    with registry.transaction() as session:
        actor = reminders.feed_actor(session, token)
        if actor is None:
            raise NotFound("no such calendar")
        content = reminders.calendar_ics(session, actor, today(), base_url=_base(request))
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'inline; filename="reminders.ics"',
        },
    )
