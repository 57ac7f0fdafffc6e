"""``/clinician``: the clinician tools' index."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.web.deps import TemplatesDep
from spinefx.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.api_route("/clinician", methods=["GET", "HEAD"])
def clinician(request: Request, templates: TemplatesDep) -> Response:
    return render(templates, request, "clinician.html")
