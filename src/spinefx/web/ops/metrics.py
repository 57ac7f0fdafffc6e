"""``GET /metrics``: the Prometheus text format (:mod:`.instruments`); added to the app only
when ``SPINEFX_METRICS=1``, so that while off the path is a plain 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.web.ops.instruments import CONTENT_TYPE_LATEST, Instruments

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    instruments: Instruments = request.app.state.instruments
    return Response(instruments.exposition(), media_type=CONTENT_TYPE_LATEST)
