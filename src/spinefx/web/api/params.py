"""What the registry API's routes declare alike: who may call (one dependency per right, all
through :func:`spinefx.web.deps.allowed`), the numbers and dates of their paths and queries,
and the problems they document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query

from spinefx.clinical.followup import IsoDate
from spinefx.registry.permissions import Action
from spinefx.registry.schema import MAX_ID
from spinefx.registry.worklist import MAX_PAGE
from spinefx.web.deps import Caller, allowed
from spinefx.web.errors import PROBLEM_RESPONSE

__all__ = [
    "ERRORS",
    "WRITE_ERRORS",
    "AuditReader",
    "CaseId",
    "CaseWriter",
    "KpiReader",
    "Limit",
    "Offset",
    "QueryDate",
    "Reader",
    "RowIdPath",
]

Reader = Annotated[Caller, Depends(allowed(Action.READ_CASES))]
CaseWriter = Annotated[Caller, Depends(allowed(Action.WRITE_CASES))]
KpiReader = Annotated[Caller, Depends(allowed(Action.READ_KPIS))]
AuditReader = Annotated[Caller, Depends(allowed(Action.READ_AUDIT))]

# Every number that names a row, a version or a place in a list is within the databases'
# INTEGER (a larger one is a 422 naming it, not an overflow in the driver); every date is
# YYYY-MM-DD within the years the rules take (a number or 9999-12-31 is a 422 naming it).
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
QueryDate = IsoDate | None

ERRORS: dict[int | str, dict[str, Any]] = {
    401: PROBLEM_RESPONSE,
    403: PROBLEM_RESPONSE,
    404: PROBLEM_RESPONSE,
    422: PROBLEM_RESPONSE,
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: PROBLEM_RESPONSE,
    409: PROBLEM_RESPONSE,
    413: PROBLEM_RESPONSE,
    415: PROBLEM_RESPONSE,
}
