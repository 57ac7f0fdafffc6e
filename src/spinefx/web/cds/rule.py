"""``/cds-services/vertebral-fracture-care/rule``: what the CDS Hooks card means, and its source.

Each card's ``source.url`` links here (:data:`spinefx.fhir.cds.RULE_DOC_PATH`), so a clinician
can read in the chart why the card was shown: the criteria, the codes and drugs read, the
AACE/ACE 2020 reason and what the card cannot know. Served while the service is switched on.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from spinefx.web.cds import PREFIX
from spinefx.web.cds.config import switched_on
from spinefx.web.deps import TemplatesDep
from spinefx.web.templating import render

__all__ = ["RULE_PATH", "router"]

router = APIRouter(include_in_schema=False)

# spinefx.fhir.cds.RULE_DOC_PATH (not imported here: the module loads at the first call)
RULE_PATH = f"{PREFIX}/vertebral-fracture-care/rule"


@router.api_route(RULE_PATH, methods=["GET", "HEAD"], dependencies=[Depends(switched_on)])
def rule_page(request: Request, templates: TemplatesDep) -> Response:
    from spinefx.clinical import sources
    from spinefx.fhir import codes, drugs
    from spinefx.fhir.cds import PREFETCH, SERVICE_ID, SUMMARY_LIMIT

    icd10 = [f"{p[:3]}.{p[3:]}-" for p in codes.VERTEBRAL_FRACTURE_ICD10CM_PREFIXES]
    context = {
        "service_id": SERVICE_ID,
        "prefetch": PREFETCH,
        "icd10": icd10,
        "snomed": sorted(codes.VERTEBRAL_FRACTURE_SNOMED.items()),
        "drugs": drugs.DRUGS,
        "summary_limit": SUMMARY_LIMIT,
        "aace_2020": sources.AACE_2020,
    }
    return render(templates, request, "cds_rule.html", context)
