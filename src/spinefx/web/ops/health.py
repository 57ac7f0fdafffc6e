"""``/healthz`` and ``/readyz``: for load balancers, systemd and container orchestrators.

- ``GET /healthz``: 200 whenever the process answers at all (liveness). It reads nothing.
- ``GET /readyz``: 200 when the specialist directory can be read and the registry database
  answers at the newest schema version; else 503 naming each part that is not ready and why in
  one word (``not-loaded``, ``damaged``, ``not-set-up``, ``unreachable``). Never a file path, a
  URL, a host or a driver's message: the answer may be seen by anyone who can reach the port.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from spinefx.web.deps import DirectoryDep, RegistryDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.api_route("/healthz", methods=["GET", "HEAD"])
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.api_route("/readyz", methods=["GET", "HEAD"])
def readyz(directory: DirectoryDep, registry: RegistryDep) -> JSONResponse:
    checks = {"directory": directory.state(), "registry": registry.state()}
    ready = checks["directory"] == "loaded" and checks["registry"] == "ready"
    failing = sorted(part for part, state in checks.items() if state not in ("loaded", "ready"))
    body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": checks}
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=200 if ready else 503)
