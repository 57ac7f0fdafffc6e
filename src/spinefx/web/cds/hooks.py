"""``GET /cds-services`` (discovery) and ``POST /cds-services/{id}`` (a call), CDS Hooks 2.0.

Each checks the EHR's signed JWT first (:func:`~spinefx.web.cds.config.authenticate`; 401
otherwise). A call's body is read as JSON (415 when not JSON, 400 when malformed) and checked
(422 naming each bad field); a prefetch the EHR left out is read from its FHIR server when
allowed (:mod:`~spinefx.web.cds.fetch`), else the answer is no card and its ``extension``
says so. Each card served is written to the registry's audit log before it is answered (503,
and no card, when the log cannot be written).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from spinefx.web.api.bodies import read_json
from spinefx.web.cds import PREFIX
from spinefx.web.cds import config as cds_config
from spinefx.web.cds.config import ServiceConfigDep
from spinefx.web.cds.fetch import fetch_missing
from spinefx.web.deps import RegistryDep

__all__ = ["router"]

log = logging.getLogger("spinefx.web.cds")

# Not in the OpenAPI document: CDS Hooks has its own (the discovery document).
router = APIRouter(include_in_schema=False, lifespan=cds_config.lifespan)

EXT_FETCH = "spinefx-prefetch-fetch"


@router.get(PREFIX)
def discovery_document(request: Request, config: ServiceConfigDep) -> JSONResponse:
    from spinefx.fhir.cds import discovery

    cds_config.authenticate(request, config, PREFIX)
    return JSONResponse(discovery())


@router.options(PREFIX)
@router.options(PREFIX + "/{service_id}")
def options(config: ServiceConfigDep) -> Response:
    """An OPTIONS that is no CORS preflight (those are answered by the gate)."""
    return Response(status_code=204, headers={"allow": "GET, POST, OPTIONS"})


@router.post(PREFIX + "/{service_id}")
async def call(
    service_id: str, request: Request, config: ServiceConfigDep, registry: RegistryDep
) -> JSONResponse:
    from spinefx.fhir.cds import PREFETCH, SERVICE_ID, cards_for, missing_prefetch, parse_request

    if service_id != SERVICE_ID:
        raise HTTPException(404, f"No CDS service here has the id {service_id[:80]!r}.")
    claims = cds_config.authenticate(request, config, f"{PREFIX}/{SERVICE_ID}")
    cds_request = parse_request(await read_json(request))
    fetch: dict[str, Any] | None = None
    missing = missing_prefetch(cds_request)
    if missing:
        keys = [*missing]
        if "observations" not in (cds_request.prefetch or {}):
            keys.append("observations")  # optional, read along when the server is read
        fetched = await fetch_missing(cds_request, keys, PREFETCH, config.fhir_servers)
        fetch = fetched.extension()
        if fetched.resources:
            prefetch = {**(cds_request.prefetch or {}), **fetched.resources}
            cds_request = cds_request.model_copy(update={"prefetch": prefetch})
    base = cds_config.base_url(config, request)
    response = cards_for(cds_request, today=date.today(), app_url=base)
    if response.cards:
        await run_in_threadpool(
            cds_config.record_cards,
            registry,
            claims,
            str(cds_request.hookInstance),
            response,
            SERVICE_ID,
        )
    body = response.json_body()
    if fetch is not None:
        body.setdefault("extension", {})[EXT_FETCH] = fetch
    log.info(
        "CDS Hooks: %s answered %d card(s) to %s",
        SERVICE_ID,
        len(response.cards),
        claims.iss if claims else cds_config.INSECURE_ISSUER,
    )
    return JSONResponse(body)
