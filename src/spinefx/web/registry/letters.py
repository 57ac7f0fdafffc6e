"""``/registry/cases/{case_id}/letters/...``: a case's letters, to the primary care clinician and
to the patient: the draft worded from the case now, recorded as sent (kept and shown on the
timeline), printable and as PDF; ``/registry/letter-templates``: an admin rewords them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from spinefx.errors import InputError
from spinefx.registry import cases, letters
from spinefx.registry.models import Letter
from spinefx.registry.permissions import Action, require
from spinefx.web.deps import FormLoginDep, LoginDep, RegistryDep
from spinefx.web.registry import pages
from spinefx.web.registry.timeline import LETTER_TITLES

__all__ = ["router"]

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)

TEMPLATE_NAMES = {"subject": "Subject", "body": "Letter text"}


@router.api_route("/cases/{case_id}/letters/new/{kind}", methods=["GET", "HEAD"])
def letter_draft(
    case_id: pages.CaseId, kind: str, request: Request, login: LoginDep, registry: RegistryDep
) -> Response:
    title = pages.known(LETTER_TITLES, kind, "letter kind")
    with registry.transaction() as session:
        case = cases.get_case(session, login.actor, case_id)
        subject, body, _ = letters.template_of(session, kind)
        draft = letters.draft_letter(case, kind, subject, body, pages.today())
        context = {"case": case, "draft": draft, "title": title, "kind": kind}
    return pages.page(request, "registry/letter.html", context, login=login)


@router.post("/cases/{case_id}/letters/new/{kind}")
async def letter_record(
    case_id: pages.CaseId, kind: str, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    pages.known(LETTER_TITLES, kind, "letter kind")
    with registry.transaction() as session:
        letter = letters.record_letter(session, login.actor, case_id, kind, pages.today())
        letter_id = letter.id
    return RedirectResponse(
        f"{pages.PREFIX}/cases/{case_id}/letters/{letter_id}?saved=1", status_code=303
    )


def _letter(session: Any, login: Any, case_id: int, letter_id: int) -> tuple[Any, Letter]:
    case = cases.get_case(session, login.actor, case_id)
    return case, pages.row_in(case.letters, letter_id, "letter", case_id)


@router.api_route("/cases/{case_id}/letters/{letter_id}", methods=["GET", "HEAD"])
def letter_page(
    case_id: pages.CaseId,
    letter_id: pages.RowId,
    request: Request,
    login: LoginDep,
    registry: RegistryDep,
) -> Response:
    with registry.transaction() as session:
        case, letter = _letter(session, login, case_id, letter_id)
        context = {
            "case": case,
            "letter": letter,
            "title": LETTER_TITLES.get(letter.kind, letter.kind),
            "saved": request.query_params.get("saved") == "1",
        }
    return pages.page(request, "registry/letter.html", context, login=login)


@router.api_route("/cases/{case_id}/letters/{letter_id}/pdf", methods=["GET", "HEAD"])
def letter_pdf(
    case_id: pages.CaseId,
    letter_id: pages.RowId,
    login: LoginDep,
    registry: RegistryDep,
) -> Response:
    with registry.transaction() as session:
        case, letter = _letter(session, login, case_id, letter_id)
        heading = f"Fracture liaison service, {case.site.label}"
        content = letters.letter_pdf(letter.subject, letter.body, heading)
    name = f"letter-{case_id}-{letter_id}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _templates_page(
    request: Request,
    registry: Any,
    login: Any,
    *,
    typed: dict[str, dict[str, str]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    saved: str = "",
    status: int = 200,
) -> Response:
    require(login.actor, Action.MANAGE_USERS)
    shown = []
    with registry.transaction() as session:
        for kind, title in LETTER_TITLES.items():
            subject, body, edited = letters.template_of(session, kind)
            mine = (typed or {}).get(kind)
            shown.append(
                {
                    "kind": kind,
                    "title": title,
                    "subject": mine["subject"] if mine else subject,
                    "body": mine["body"] if mine else body,
                    "edited": edited,
                    "errors": (errors or {}).get(kind, {}),
                }
            )
    context = {
        "templates": shown,
        "placeholders": letters.PLACEHOLDERS,
        "names": TEMPLATE_NAMES,
        "saved": LETTER_TITLES.get(saved, ""),
    }
    return pages.page(
        request, "registry/letter_templates.html", context, login=login, status=status
    )


@router.api_route("/letter-templates", methods=["GET", "HEAD"])
def templates_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    return _templates_page(request, registry, login, saved=request.query_params.get("saved", ""))


@router.post("/letter-templates/{kind}")
async def template_save(
    kind: str, request: Request, login: FormLoginDep, registry: RegistryDep
) -> Response:
    pages.known(LETTER_TITLES, kind, "letter kind")
    data = await request.form()
    subject, body = pages.form_text(data, "subject"), pages.form_text(data, "body")
    try:
        with registry.transaction() as session:
            letters.save_template(session, login.actor, kind, subject, body)
    except InputError as exc:
        problem = exc.problems[0]
        label = TEMPLATE_NAMES.get(problem.field, problem.field)
        message = f"{label}: {problem.allowed}."
        return _templates_page(
            request,
            registry,
            login,
            typed={kind: {"subject": subject, "body": body}},
            errors={kind: {problem.field: message}},
            status=422,
        )
    return RedirectResponse(f"{pages.PREFIX}/letter-templates?saved={kind}", status_code=303)
