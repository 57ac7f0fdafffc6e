"""The registry's pages: login, the worklist, the case page, KPIs, the audit log, save to case.

Every page here needs a login (:data:`~spinefx.web.deps.LoginDep`; without one a GET goes to the
login page) and every form that writes carries the session's CSRF token
(:data:`~spinefx.web.deps.FormLoginDep`). Roles and sites are enforced by the data layer
(:mod:`spinefx.registry.permissions`): another site's case is 404 exactly like a missing one, a
right the role lacks is 403, and the pages only hide the forms a role cannot use. Every write
names the case version the form was made from; a stale one is 409 and the form comes back with
what was typed, not saved, beside a message saying what to do.

Only these pages set a cookie (the session, ``Path=/registry``, ``HttpOnly``,
``SameSite=Strict``, ``Secure`` when ``SPINEFX_HTTPS=1``; and on the login form a CSRF cookie,
since there is no session yet); the patient pages never see it.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from spinefx.clinical.followup import EARLIEST_FRACTURE_DATE as EARLIEST_DATE
from spinefx.clinical.followup import LATEST_DATE
from spinefx.errors import (
    AuthFailure,
    InputError,
    NotAuthenticated,
    NotFound,
    VersionConflict,
)
from spinefx.registry import audit, auth, cases, kpi, users, worklist
from spinefx.registry.assessments import summary as assessment_summary
from spinefx.registry.auth import LoginSession
from spinefx.registry.models import Case
from spinefx.registry.permissions import Action, require
from spinefx.registry.schema import MAX_ID, CaseUpdate, parse
from spinefx.registry.vocab import (
    EVENT_ORDER,
    INSTRUMENT_RANGES,
    CaseStatus,
    FoundBy,
    Instrument,
    Sex,
)
from spinefx.validation import parse_int_text
from spinefx.web.chart_svg import Band, Chart, Series, line_chart_svg
from spinefx.web.deps import (
    SESSION_COOKIE,
    FormLoginDep,
    LoginDep,
    RegistryDep,
    SettingsDep,
)
from spinefx.web.registry_forms import (
    EVENT_NAMES,
    INSTRUMENT_NAMES,
    ROW_FORMS,
    FormField,
    RowForm,
    form_errors,
    form_values,
    read_form,
    values_of,
    word,
)

__all__ = ["PREFIX", "evidence_segments", "is_registry", "login_again", "router", "to_login"]

PREFIX = "/registry"
LOGIN_CSRF_COOKIE = "spinefx_login_csrf"
PAGE_SIZE = 50
router = APIRouter(prefix=PREFIX, include_in_schema=False)

DUE_WINDOWS = {
    "": "Any time",
    "overdue": "Overdue",
    "14": "Due within 2 weeks",
    "28": "Due within 4 weeks",
    "90": "Due within 3 months",
}
KPI_NAMES = {
    "risk-assessment": "Fracture risk assessed within 12 weeks",
    "dxa": "DXA within 12 weeks",
    "falls-assessment": "Falls risk assessed within 12 weeks",
    "medication-recommended": "Medication recommended within 16 weeks",
    "exercise-started": "Exercise started within 16 weeks",
    "monitoring": "Monitoring contact within 16 weeks",
    "medication-started": "Medication started within 16 weeks",
    "on-medication-at-52-weeks": "On medication at 52 weeks (weeks 48-56)",
}
BAND_CLASSES = {"<50": "low", "50-80": "middle", ">=50": "high", ">80": "high"}
KPI_BANDS = (
    Band(0, 50, "<50 %", "#fbe3df"),
    Band(50, 80, "50-80 %", "#fdf1c7"),
    Band(80, 100, ">80 %", "#dcefdc"),
)
CASE_FIELDS: tuple[FormField, ...] = (
    FormField("name", "Name", required=True),
    FormField("birth_date", "Birth date", "date", required=True),
    FormField("sex", "Sex", "select", tuple((s.value, s.value.title()) for s in Sex), True),
    FormField(
        "status",
        "Status",
        "select",
        tuple((s.value, word(s.value)) for s in CaseStatus),
        required=True,
    ),
)
CASE_NAMES = {f.name: f.label for f in CASE_FIELDS}
ASSESSMENT_PAGES = {
    "grading": "Genant grading",
    "candidacy": "Kyphoplasty candidacy",
    "followup": "Osteoporosis follow-up plan",
    "screening": "Self-check",
}


def is_registry(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def today() -> date:
    return date.today()


# --- rendering --------------------------------------------------------------------------------


def _page(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    login: LoginSession | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    actor = login.actor if login else None
    full: dict[str, Any] = {
        "login": login,
        "actor": actor,
        "csrf": login.csrf_token if login else "",
        "can": lambda action: actor is not None and actor.can(Action(action)),
        "word": word,
        "event_names": EVENT_NAMES,
        "instrument_names": INSTRUMENT_NAMES,
        **(context or {}),
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, full, status_code=status, headers=headers
    )
    return response


def _safe_next(target: str | None, default: str = PREFIX) -> str:
    """A path of the registry to go on to (never another site, never a scheme)."""
    if (
        target
        and (target == PREFIX or target.startswith(PREFIX + "/") or target.startswith(PREFIX + "?"))
        and "\\" not in target
    ):
        return target
    return default


def to_login(request: Request) -> Response:
    """Send a GET without a live login to the login page, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/login?next={quote(here, safe='')}", status_code=303)


def login_again(request: Request) -> Response:
    """A form sent without a live login: the login page, saying so (401)."""
    return _login_page(request, message="Your login has ended: please log in again.", status=401)


def _login_page(
    request: Request,
    *,
    message: str = "",
    email: str = "",
    next_url: str = PREFIX,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    carry: Mapping[str, str] | None = None,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = _page(
        request,
        "registry/login.html",
        {
            "message": message,
            "email": email,
            "next_url": next_url,
            "login_csrf": token,
            "carry": dict(carry or {}),
            "limits": {
                "throttle_after": auth.THROTTLE_AFTER,
                "lock_after": auth.LOCK_AFTER,
                "lock_minutes": auth.LOCK_MINUTES,
                "idle_minutes": auth.IDLE_MINUTES,
            },
        },
        status=status,
        headers=headers,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.https,
    )
    return response


def _text(data: FormData, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _version(data: FormData) -> int:
    raw = _text(data, "version")
    version = _whole_number(raw)
    if version is None:
        raise InputError("version", raw, "the case version the form was made from")
    return version


# A case, row, page or version number: ASCII digits (``"¹".isdigit()`` is true, and int()
# refuses it) within the databases' INTEGER, so no number typed into a URL reaches the driver
# as an overflow. A path id out of that range is a 422 page, as any bad path value.
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _whole_number(raw: str, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``raw`` as a whole number from ``low`` to ``high``, or ``None``."""
    number = parse_int_text(raw) if raw.strip().isascii() else None
    return number if number is not None and low <= number <= high else None


def _page_number(raw: str, size: int) -> int:
    """The page asked for: 1 when the text is no page number, and at most the last page a
    database offset can reach (an empty page, past every row)."""
    number = parse_int_text(raw) if raw.strip().isascii() else None
    return 1 if number is None or number < 1 else min(number, MAX_ID // size)


# --- login and logout -------------------------------------------------------------------------


@router.api_route("/login", methods=["GET", "HEAD"])
def login_form(request: Request, registry: RegistryDep) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        try:
            with registry.transaction() as session:
                auth.session_actor(session, token)
            return RedirectResponse(next_url, status_code=303)
        except NotAuthenticated:
            pass
    message = "You have logged out." if request.query_params.get("done") == "logout" else ""
    return _login_page(request, next_url=next_url, message=message)


@router.post("/login")
async def login_submit(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    data = await request.form()
    email = _text(data, "email")
    password = data.get("password")
    next_url = _safe_next(_text(data, "next"))
    carry = {k: _text(data, k) for k in ("save_kind", "save_input") if _text(data, k)}
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    submitted = _text(data, "csrf_token")
    if not expected or not hmac.compare_digest(expected, submitted):
        return _login_page(
            request,
            message="The login form had expired: please log in again.",
            email=email,
            next_url=next_url,
            status=403,
            carry=carry,
        )
    try:
        login = auth.login(registry, email, password if isinstance(password, str) else "")
    except NotAuthenticated as exc:
        if exc.retry_after:
            wait = _wait_words(exc.retry_after)
            message = (
                f"This account is locked after repeated failed logins. Try again in {wait}."
                if exc.reason is AuthFailure.LOCKED
                else f"Too many failed logins in a row. Wait {wait}, then try again."
            )
            return _login_page(
                request,
                message=message,
                email=email,
                next_url=next_url,
                status=429,
                headers={"retry-after": str(exc.retry_after)},
                carry=carry,
            )
        return _login_page(
            request,
            message="Wrong e-mail address or password.",
            email=email,
            next_url=next_url,
            status=401,
            carry=carry,
        )
    if carry.get("save_kind"):
        response = _save_chooser(request, registry, login, carry["save_kind"], carry["save_input"])
    else:
        response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=settings.https,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"


@router.post("/logout")
async def logout(request: Request, login: FormLoginDep, registry: RegistryDep) -> Response:
    with registry.transaction() as session:
        auth.end_session(session, login.token)
    response = RedirectResponse(f"{PREFIX}/login?done=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# --- the worklist -----------------------------------------------------------------------------


@router.api_route("", methods=["GET", "HEAD"])
def worklist_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    site = params.get("site") or None
    status = params.get("status") or None
    due = params.get("due", "")
    found = params.get("found_by") or None
    page_no = params.get("page", "1")
    now = today()
    errors: dict[str, str] = {}
    if status is not None and status not in {s.value for s in CaseStatus}:
        errors["status"] = "Choose one of the listed statuses."
        status = None
    if due not in DUE_WINDOWS:
        errors["due"] = "Choose one of the listed due windows."
        due = ""
    if found is not None and found not in {f.value for f in FoundBy}:
        errors["found_by"] = "Choose how the case was found."
        found = None
    number = _page_number(page_no, PAGE_SIZE)
    with registry.transaction() as session:
        sites = users.list_sites(session, login.actor)
        if site is not None and site not in {s.code for s in sites}:
            errors["site"] = "Choose one of your sites."
            site = None
        result = worklist.worklist(
            session,
            login.actor,
            today=now,
            site=site,
            statuses=[status] if status else None,
            due_before=now + timedelta(days=int(due)) if due.isdigit() else None,
            overdue_only=due == "overdue",
            found_by=found,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
    query = {
        k: v
        for k, v in (("site", site), ("status", status), ("due", due), ("found_by", found))
        if v
    }
    pages = {
        "previous": f"{PREFIX}?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
        "next": f"{PREFIX}?{urlencode({**query, 'page': number + 1})}"
        if number * PAGE_SIZE < result.total
        else None,
    }
    return _page(
        request,
        "registry/worklist.html",
        {
            "rows": result.items,
            "total": result.total,
            "first": (number - 1) * PAGE_SIZE + 1,
            "pages": pages,
            "sites": sites,
            "chosen": {
                "site": site or "",
                "status": status or "",
                "due": due,
                "found_by": found or "",
            },
            "statuses": [s for s in CaseStatus if s.value in ("to-review", "active")],
            "due_windows": DUE_WINDOWS,
            "errors": errors,
            "today": now,
            "here": f"{PREFIX}?{urlencode(query)}" if query else PREFIX,
        },
        login=login,
        status=422 if errors else 200,
    )


# --- the case page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    day: date
    kind: str  # fractures, events, procedures, outcomes, assessments
    title: str
    detail: str
    edit_url: str | None
    anchor: str


def evidence_segments(evidence: Any) -> list[tuple[str, str | None]]:
    """The report text cut into (text, status) pieces: ``status`` set on the evidence spans.

    Spans whose offsets do not match their text, or that overlap one already taken, are not
    highlighted (the text is shown whole all the same). Without a report text, each evidence
    snippet is one piece.
    """
    if not isinstance(evidence, Mapping):
        return []
    spans = evidence.get("evidence") or evidence.get("spans") or []
    report = evidence.get("report_text") or evidence.get("text")
    if not isinstance(spans, Sequence) or isinstance(spans, str):
        spans = []
    if not isinstance(report, str):
        return [
            (str(s.get("text", "")), str(s.get("status") or "present"))
            for s in spans
            if isinstance(s, Mapping) and s.get("text")
        ]
    pieces: list[tuple[str, str | None]] = []
    at = 0
    good = []
    for s in spans:
        if not isinstance(s, Mapping):
            continue
        start, end = s.get("start"), s.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            continue
        if end > len(report):
            continue
        if s.get("text") is not None and report[start:end] != s.get("text"):
            continue
        good.append((start, end, str(s.get("status") or "present")))
    for start, end, status in sorted(good):
        if start < at:
            continue
        if start > at:
            pieces.append((report[at:start], None))
        pieces.append((report[start:end], status))
        at = end
    if at < len(report):
        pieces.append((report[at:], None))
    return pieces


def _outcome_charts(case: Case) -> list[tuple[str, Any, list[tuple[date, float]]]]:
    charts = []
    ticks = {
        Instrument.NRS: (0, 2, 4, 6, 8, 10),
        Instrument.RDQ: (0, 6, 12, 18, 24),
        Instrument.ODI: (0, 25, 50, 75, 100),
    }
    for instrument in Instrument:
        points = sorted(
            (o.date, float(o.score)) for o in case.outcomes if o.instrument == instrument.value
        )
        low, high = INSTRUMENT_RANGES[instrument]
        unit = " %" if instrument is Instrument.ODI else ""
        svg = line_chart_svg(
            Chart(
                f"{INSTRUMENT_NAMES[instrument.value]} over time",
                low,
                high,
                (Series(instrument.value.upper(), tuple(points)),),
                unit=unit,
                y_ticks=ticks[instrument],
                dom_id=f"chart-{instrument.value}",
            )
        )
        charts.append((instrument.value, svg, points))
    return charts


def _timeline(case: Case) -> list[TimelineItem]:
    base = f"{PREFIX}/cases/{case.id}"
    items: list[TimelineItem] = []
    for f in case.fractures:
        where = ", ".join(f.levels) if f.levels else (f.site or "")
        grade = f", Genant grade {f.genant_grade}" if f.genant_grade is not None else ""
        items.append(
            TimelineItem(
                f.date,
                "fractures",
                f"Fracture {where}",
                f"Found: {word(f.found_by)}{grade}",
                f"{base}/fractures/{f.id}/edit",
                f"fracture-{f.id}",
            )
        )
    for e in case.events:
        items.append(
            TimelineItem(
                e.date,
                "events",
                EVENT_NAMES.get(e.type, e.type),
                word(e.status) + (f". {e.note}" if e.note else ""),
                f"{base}/events/{e.id}/edit",
                f"event-{e.id}",
            )
        )
    for p in case.procedures:
        cement = ", ".join(f"{k} {v:g} ml" for k, v in dict(p.cement_ml).items())
        parts = [word(x) for x in (p.approach, p.anaesthesia) if x]
        if cement:
            parts.append(f"cement {cement}")
        parts.append(
            "complications: "
            + (", ".join(word(c) for c in p.complications) if p.complications else "none")
        )
        if p.operator_npi:
            parts.append(f"operator NPI {p.operator_npi}")
        items.append(
            TimelineItem(
                p.date,
                "procedures",
                f"{word(p.kind)} {', '.join(p.levels)}",
                "; ".join(parts),
                f"{base}/procedures/{p.id}/edit",
                f"procedure-{p.id}",
            )
        )
    for o in case.outcomes:
        unit = " %" if o.instrument == Instrument.ODI.value else ""
        when = f" ({word(o.timepoint)})" if o.timepoint else ""
        items.append(
            TimelineItem(
                o.date,
                "outcomes",
                f"{INSTRUMENT_NAMES.get(o.instrument, o.instrument)}",
                f"{o.score:g}{unit}{when}",
                f"{base}/outcomes/{o.id}/edit",
                f"outcome-{o.id}",
            )
        )
    for a in case.assessments:
        items.append(
            TimelineItem(
                a.created_at.date(),
                "assessments",
                f"{ASSESSMENT_PAGES.get(a.kind, a.kind)} saved",
                f"{assessment_summary(a.kind, a.result)} (spinefx {a.spinefx_version})",
                None,
                f"assessment-{a.id}",
            )
        )
    order = {"fractures": 0, "procedures": 1, "assessments": 2, "events": 3, "outcomes": 4}
    return sorted(items, key=lambda i: (i.day, order[i.kind], i.anchor))


def _case_context(case: Case) -> dict[str, Any]:
    found = [f for f in case.fractures if f.found_by == FoundBy.CASE_FINDING.value]
    recorded = {e.type for e in case.events}
    return {
        "case": case,
        "timeline": _timeline(case),
        "charts": _outcome_charts(case),
        "findings": [(f, evidence_segments(f.evidence)) for f in found],
        "event_plan": [(t.value, EVENT_NAMES[t.value], t.value in recorded) for t in EVENT_ORDER],
        "row_forms": ROW_FORMS,
        "case_fields": CASE_FIELDS,
        "case_values": {
            "name": case.name,
            "birth_date": case.birth_date.isoformat(),
            "sex": case.sex,
            "status": case.status,
        },
        "today": today(),
    }


def _show_case(
    request: Request,
    registry: Any,
    login: LoginSession,
    case_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        context = _case_context(case)
    context.update(extra)
    return _page(request, "registry/case.html", context, login=login, status=status)


@router.api_route("/cases/{case_id}", methods=["GET", "HEAD"])
def case_page(
    case_id: CaseId, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    return _show_case(request, registry, login, case_id)


@router.api_route("/cases/{case_id}/print", methods=["GET", "HEAD"])
def case_print(
    case_id: CaseId, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        context = _case_context(case)
    return _page(request, "registry/print.html", context, login=login)


def _conflict_text(exc: VersionConflict) -> str:
    return (
        "Someone else changed this case after you opened the form, so nothing was saved. "
        "Your entries are still below: check the case as it is now (shown on this page), "
        "then save again."
    )


@router.post("/cases/{case_id}/accept")
async def case_accept(
    case_id: CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    data = await request.form()
    next_url = _safe_next(_text(data, "next"), f"{PREFIX}/cases/{case_id}")
    try:
        with registry.transaction() as session:
            cases.accept(session, login.actor, case_id, _version(data))
    except VersionConflict as exc:
        return _show_case(
            request, registry, login, case_id, status=409, conflict=_conflict_text(exc)
        )
    except InputError as exc:
        return _show_case(request, registry, login, case_id, status=422, review_error=str(exc))
    return RedirectResponse(next_url, status_code=303)


@router.post("/cases/{case_id}/dismiss")
async def case_dismiss(
    case_id: CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    data = await request.form()
    reason = _text(data, "reason")
    next_url = _safe_next(_text(data, "next"), f"{PREFIX}/cases/{case_id}")
    try:
        with registry.transaction() as session:
            cases.dismiss(session, login.actor, case_id, _version(data), reason)
    except VersionConflict as exc:
        return _show_case(
            request,
            registry,
            login,
            case_id,
            status=409,
            conflict=_conflict_text(exc),
            reason=reason,
        )
    except InputError as exc:
        message = (
            "Write a few words on why the case is dismissed."
            if any(p.field == "reason" for p in exc.problems)
            else str(exc)
        )
        return _show_case(
            request, registry, login, case_id, status=422, review_error=message, reason=reason
        )
    return RedirectResponse(next_url, status_code=303)


@router.post("/cases/{case_id}")
async def case_update(
    case_id: CaseId, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    data = await request.form()
    typed = {f.name: _text(data, f.name) for f in CASE_FIELDS}
    try:
        version = _version(data)
        changes = parse(CaseUpdate, {k: v for k, v in typed.items() if v})
        with registry.transaction() as session:
            cases.update_case(session, login.actor, case_id, version, changes)
    except VersionConflict as exc:
        return _show_case(
            request,
            registry,
            login,
            case_id,
            status=409,
            case_conflict=_conflict_text(exc),
            case_values=typed,
        )
    except InputError as exc:
        return _show_case(
            request,
            registry,
            login,
            case_id,
            status=422,
            case_errors=form_errors(exc.problems, CASE_NAMES),
            case_values=typed,
        )
    return RedirectResponse(f"{PREFIX}/cases/{case_id}#details", status_code=303)


def _row_form_page(
    request: Request,
    registry: Any,
    login: LoginSession,
    case_id: int,
    spec: RowForm,
    *,
    row_id: int | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    conflict: str = "",
    status: int = 200,
    version: int | None = None,
) -> Response:
    """The add/edit form of one row; ``version`` is the one the user's form was made from
    (kept when the form comes back with a message), the stored one after a conflict."""
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        require(login.actor, spec.action, site_id=case.site_id)
        rows = getattr(case, spec.relation)
        current = next((r for r in rows if r.id == row_id), None) if row_id else None
        if row_id is not None and current is None:
            raise NotFound(f"no {spec.title} {row_id} in case {case_id}")
        context = {
            "case": case,
            "spec": spec,
            "row_id": row_id,
            "values": values,
            "errors": dict(errors or {}),
            "names": {f.name: f.label for f in spec.fields},
            "conflict": conflict,
            "version": case.version if version is None else version,
            "stored": values_of(spec, current) if current is not None and conflict else None,
            "timeline": [i for i in _timeline(case) if i.kind == spec.kind],
        }
    return _page(request, "registry/row_form.html", context, login=login, status=status)


def _spec(kind: str) -> RowForm:
    spec = ROW_FORMS.get(kind)
    if spec is None:
        raise NotFound(f"no page {kind}")
    return spec


@router.api_route("/cases/{case_id}/{kind}/new", methods=["GET", "HEAD"])
def row_new(
    case_id: CaseId, kind: str, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    spec = _spec(kind)
    return _row_form_page(request, registry, login, case_id, spec, row_id=None, values={})


@router.api_route("/cases/{case_id}/{kind}/{row_id}/edit", methods=["GET", "HEAD"])
def row_edit(
    case_id: CaseId,
    kind: str,
    row_id: RowId,
    request: Request,
    login: LoginDep,
    registry: RegistryDep,
) -> Response:
    spec = _spec(kind)
    with registry.transaction() as session:
        case = cases.load_case(session, login.actor, case_id, full=True)
        row = next((r for r in getattr(case, spec.relation) if r.id == row_id), None)
        if row is None:
            raise NotFound(f"no {spec.title} {row_id} in case {case_id}")
        values = values_of(spec, row)
    return _row_form_page(request, registry, login, case_id, spec, row_id=row_id, values=values)


async def _save_row(
    request: Request,
    registry: Any,
    login: LoginSession,
    case_id: int,
    kind: str,
    row_id: int | None,
) -> Response:
    spec = _spec(kind)
    data = await request.form()
    typed = form_values(spec, data)
    names = {f.name: f.label for f in spec.fields}
    version: int | None = None
    try:
        version = _version(data)
        parsed = parse(spec.model, read_form(spec, data))
        with registry.transaction() as session:
            if row_id is None:
                spec.add(session, login.actor, case_id, version, parsed)
            else:
                spec.update(session, login.actor, case_id, row_id, version, parsed)
    except VersionConflict as exc:
        return _row_form_page(
            request,
            registry,
            login,
            case_id,
            spec,
            row_id=row_id,
            values=typed,
            conflict=_conflict_text(exc),
            status=409,
        )
    except InputError as exc:
        return _row_form_page(
            request,
            registry,
            login,
            case_id,
            spec,
            row_id=row_id,
            values=typed,
            errors=form_errors(exc.problems, names),
            status=422,
            version=version,
        )
    return RedirectResponse(f"{PREFIX}/cases/{case_id}#timeline", status_code=303)


@router.post("/cases/{case_id}/{kind}")
async def row_add(
    case_id: CaseId, kind: str, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    return await _save_row(request, registry, login, case_id, kind, None)


@router.post("/cases/{case_id}/{kind}/{row_id}")
async def row_update(
    case_id: CaseId,
    kind: str,
    row_id: RowId,
    request: Request,
    login: FormLoginDep,
    registry: RegistryDep,
) -> Response:
    return await _save_row(request, registry, login, case_id, kind, row_id)


# --- KPIs -------------------------------------------------------------------------------------


def _date_param(
    params: Mapping[str, str], name: str, default: date, errors: dict[str, str]
) -> date:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not EARLIEST_DATE <= day <= LATEST_DATE:
        errors[name] = f"Enter a date as YYYY-MM-DD, from {EARLIEST_DATE} to {LATEST_DATE}."
        return default
    return day


@router.api_route("/kpi", methods=["GET", "HEAD"])
def kpi_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    now = today()
    errors: dict[str, str] = {}
    start = _date_param(params, "from", date(now.year - 1, 1, 1), errors)
    end = _date_param(params, "to", date(now.year - 1, 12, 31), errors)
    as_of = _date_param(params, "as_of", now, errors)
    site = params.get("site") or None
    if end < start:
        errors["to"] = "The end of the period must be on or after its start."
        end = start
    if (end - start).days > 3 * 366:
        errors["to"] = "Choose a period of at most three years."
        end = start + timedelta(days=3 * 366)
    with registry.transaction() as session:
        sites = users.list_sites(session, login.actor)
        if site is not None and site not in {s.code for s in sites}:
            errors["site"] = "Choose one of your sites."
            site = None
        report = kpi.kpi_report(session, login.actor, start=start, end=end, as_of=as_of, site=site)
        months = kpi.kpi_monthly(session, login.actor, start=start, end=end, as_of=as_of, site=site)
    charts = []
    for index, item in enumerate(report.kpis):
        points = tuple((month, m.kpis[index].percent) for month, m in months)
        svg = line_chart_svg(
            Chart(
                f"{KPI_NAMES[item.id]}, by month of the index fracture",
                0,
                100,
                (Series(item.id, points),),
                unit=" %",
                bands=KPI_BANDS,
                y_ticks=(0, 25, 50, 75, 100),
                dom_id=f"kpi-{item.id}",
            )
        )
        rows = [(month, m.kpis[index]) for month, m in months]
        charts.append((item, svg, rows))
    return _page(
        request,
        "registry/kpi.html",
        {
            "report": report,
            "charts": charts,
            "names": KPI_NAMES,
            "band_classes": BAND_CLASSES,
            "sites": sites,
            "chosen": {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "as_of": as_of.isoformat(),
                "site": site or "",
            },
            "errors": errors,
        },
        login=login,
        status=422 if errors else 200,
    )


# --- the audit log ----------------------------------------------------------------------------


@router.api_route("/audit", methods=["GET", "HEAD"])
def audit_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    raw_case = params.get("case", "")
    case_id = _whole_number(raw_case, low=1)
    page_no = params.get("page", "1")
    size = 100
    number = _page_number(page_no, size)
    with registry.transaction() as session:
        found = audit.entries(
            session, login.actor, case_id=case_id, limit=size, offset=(number - 1) * size
        )
    query = {"case": str(case_id)} if case_id else {}
    return _page(
        request,
        "registry/audit.html",
        {
            "entries": found.items,
            "total": found.total,
            "case_id": case_id,
            "first": (number - 1) * size + 1,
            "previous": f"{PREFIX}/audit?{urlencode({**query, 'page': number - 1})}"
            if number > 1
            else None,
            "next": f"{PREFIX}/audit?{urlencode({**query, 'page': number + 1})}"
            if number * size < found.total
            else None,
        },
        login=login,
    )


# --- save a clinician tool's result to a case -------------------------------------------------


def _rule(kind: str) -> Any:
    from spinefx.web.routes.api import RULES

    for rule in RULES:
        if rule.path == kind:
            return rule
    raise InputError("kind", kind, "one of " + ", ".join(r.path for r in RULES))


def _run_rule(kind: str, raw_input: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tool's input as sent and its result as the core computes it now."""
    from spinefx.validation import parse_input

    rule = _rule(kind)
    try:
        data = json.loads(raw_input)
    except ValueError:
        raise InputError("input", raw_input[:40], "the tool's answers as JSON") from None
    inp = parse_input(rule.input, data)
    return inp.model_dump(mode="json"), rule.run(inp).model_dump(mode="json")


def _save_chooser(
    request: Request,
    registry: Any,
    login: LoginSession,
    kind: str,
    raw_input: str,
    *,
    mrn: str = "",
    message: str = "",
    status: int = 200,
) -> Response:
    _, result = _run_rule(kind, raw_input)
    with registry.transaction() as session:
        require(login.actor, Action.READ_CASES)
        found = cases.list_cases(session, login.actor, mrn=mrn or None, limit=30)
    return _page(
        request,
        "registry/save.html",
        {
            "kind": kind,
            "kind_name": ASSESSMENT_PAGES.get(kind, kind),
            "raw_input": raw_input,
            "result": result,
            "outcome": result.get("outcome"),
            "found": found.items,
            "total": found.total,
            "mrn": mrn,
            "message": message,
            "allowed": login.actor.can(Action.WRITE_ASSESSMENTS),
        },
        login=login,
        status=status,
    )


@router.post("/save")
async def save_start(request: Request, registry: RegistryDep) -> Response:
    """From a clinician page's result: pick the case (log in first when needed). Writes nothing."""
    from spinefx.web.deps import get_login

    data = await request.form()
    kind, raw = _text(data, "save_kind"), _text(data, "save_input")
    _run_rule(kind, raw)  # a bad payload is 422 here, before any login
    try:
        login = get_login(request, registry)
    except NotAuthenticated:
        return _login_page(
            request,
            message="Log in to the registry to save this result to a case.",
            carry={"save_kind": kind, "save_input": raw},
        )
    return _save_chooser(request, registry, login, kind, raw, mrn=_text(data, "mrn"))


@router.post("/save/confirm")
async def save_confirm(request: Request, login: FormLoginDep, registry: RegistryDep) -> Response:
    data = await request.form()
    kind, raw = _text(data, "save_kind"), _text(data, "save_input")
    chosen = _text(data, "case")
    case_id = _whole_number(chosen, low=1)
    if case_id is None:
        return _save_chooser(
            request,
            registry,
            login,
            kind,
            raw,
            status=422,
            message="Choose the case to save the result to.",
        )
    sent, result = _run_rule(kind, raw)
    with registry.transaction() as session:
        case = cases.load_case(session, login.actor, case_id)
        version = case.version
        cases.save_assessment(
            session, login.actor, case_id, version, kind=kind, input=sent, result=result
        )
    return RedirectResponse(f"{PREFIX}/cases/{case_id}#timeline", status_code=303)
