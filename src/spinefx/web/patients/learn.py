"""``/learn``: the Learn pages, each topic with its numbered references."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.learn import DISCLAIMER, REFERENCES, TOPICS, topic
from spinefx.web.deps import TemplatesDep
from spinefx.web.errors import error_page
from spinefx.web.templating import render

__all__ = ["FIGURE_STEPS", "router"]

router = APIRouter(include_in_schema=False)

# The numbered panels of a Learn figure, captioned in the page (not in the drawing) so that the
# words keep the page's type size on a phone.
FIGURE_STEPS: dict[str, tuple[str, ...]] = {
    "img/bkp-steps.svg": (
        "A needle enters the collapsed bone from the back.",
        "A balloon inflates inside the bone and lifts it.",
        "The balloon is removed, leaving a cavity.",
        "Bone cement fills the cavity and sets hard.",
    ),
}


@router.api_route("/learn", methods=["GET", "HEAD"])
def learn_index(request: Request, templates: TemplatesDep) -> Response:
    return render(
        templates, request, "learn_index.html", {"topics": TOPICS, "disclaimer": DISCLAIMER}
    )


@router.api_route("/learn/references", methods=["GET", "HEAD"])
def learn_references(request: Request, templates: TemplatesDep) -> Response:
    return render(
        templates,
        request,
        "references.html",
        {
            "seed": [r for r in REFERENCES if r.seed],
            "added": [r for r in REFERENCES if not r.seed],
        },
    )


@router.api_route("/learn/{slug}", methods=["GET", "HEAD"])
def learn_topic(request: Request, slug: str, templates: TemplatesDep) -> Response:
    found = topic(slug)
    if found is None:
        return error_page(
            request, 404, "Page not found", f"There is no Learn page called “{slug}”."
        )
    position = [t.slug for t in TOPICS].index(found.slug)
    return render(
        templates,
        request,
        "learn_topic.html",
        {
            "topic": found,
            "disclaimer": DISCLAIMER,
            "previous": TOPICS[position - 1] if position > 0 else None,
            "next": TOPICS[position + 1] if position + 1 < len(TOPICS) else None,
            "figure_steps": FIGURE_STEPS.get(found.figure.src, ()) if found.figure else (),
        },
    )
