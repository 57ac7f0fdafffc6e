"""``/api/v1/registry/kpis``: the IOF Capture the Fracture patient-level KPIs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse

from spinefx.clinical.followup import IsoDate
from spinefx.registry.kpi import kpi_report
from spinefx.web.api import REGISTRY_PREFIX, REGISTRY_TAGS
from spinefx.web.api.params import ERRORS, KpiReader, QueryDate

__all__ = ["router"]

router = APIRouter(prefix=REGISTRY_PREFIX, tags=list(REGISTRY_TAGS))


@router.get(
    "/kpis",
    summary="IOF Capture the Fracture patient-level KPIs for index fractures FROM to TO",
    responses=ERRORS,
)
def get_kpis(
    caller: KpiReader,
    from_: Annotated[IsoDate, Query(alias="from")],
    to: IsoDate,
    as_of: QueryDate = None,
    site: str | None = None,
) -> JSONResponse:
    with caller.registry.transaction() as session:
        report = kpi_report(
            session, caller.actor, start=from_, end=to, as_of=as_of or date.today(), site=site
        )
    return JSONResponse(report.as_json())
