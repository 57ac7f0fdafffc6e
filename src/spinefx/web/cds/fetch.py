"""Reading the prefetch an EHR did not send from its FHIR server, when that is allowed.

CDS Hooks 2.0 ("FHIR Resource Access"): with both ``fhirServer`` and ``fhirAuthorization`` in
the call, a service may read what it needs from the EHR's FHIR server with that access token.
spinefx does so only when the server is on ``SPINEFX_CDS_HOOKS_FHIR_SERVERS`` (an allow-list:
nothing else is ever called), for the prefetch keys the call left out, with the templates the
discovery document names. Everything is read within :data:`FETCH_TIMEOUT_S` seconds; a
redirect is not followed; a search's further pages are followed on the same server only, up to
:data:`MAX_PAGES`; an answer above :data:`MAX_BYTES` is refused. A failure of any kind leaves
the key missing (no card, and the response says why); it never becomes an error of the call.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from spinefx.validation import JsonProblem, decode_json

if TYPE_CHECKING:
    import httpx

    from spinefx.fhir.cds import CdsRequest

__all__ = ["FETCH_TIMEOUT_S", "MAX_BYTES", "MAX_PAGES", "FetchFailed", "Fetched", "fetch_missing"]

log = logging.getLogger("spinefx.web.cds")

# CDS Hooks asks services to answer in about 500 ms; an EHR waits a few seconds at most.
FETCH_TIMEOUT_S: float = 3.0
MAX_PAGES: Final = 5
MAX_BYTES: Final = 4 * 1024 * 1024
# A FHIR resource id (R4 "id" datatype): what may stand for {{context.patientId}} in a URL.
_FHIR_ID: Final = re.compile(r"[A-Za-z0-9.\-]{1,64}")
_JSON_TYPES: Final = ("application/fhir+json", "application/json", "application/json+fhir")

Status = Literal["fetched", "not-offered", "not-allowed", "failed"]


class FetchFailed(Exception):
    """One read went wrong; the message says how (never the URL: it names the patient)."""


@dataclass(frozen=True)
class Fetched:
    """What was read (prefetch key -> resource) and, for the response, how it went."""

    status: Status
    detail: str
    resources: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def extension(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail, "keys": sorted(self.resources)}


def _allowed(server: str, allowed: Sequence[str]) -> bool:
    return server.rstrip("/") in allowed


async def fetch_missing(
    request: CdsRequest,
    keys: Sequence[str],
    templates: Mapping[str, str],
    allowed: Sequence[str],
) -> Fetched:
    """Read the prefetch ``keys`` for ``request`` from its FHIR server, if it is allowed."""
    server, authorization = request.fhirServer, request.fhirAuthorization
    if server is None or authorization is None:
        return Fetched(
            "not-offered", "the call gave no fhirServer and fhirAuthorization to read from"
        )
    if not _allowed(server, allowed):
        return Fetched(
            "not-allowed",
            "the call's fhirServer is not one this service may read "
            "(SPINEFX_CDS_HOOKS_FHIR_SERVERS)",
        )
    patient = request.context.patientId
    if not _FHIR_ID.fullmatch(patient):
        return Fetched("failed", "the context's patientId is not a FHIR id")
    import httpx

    base = server.rstrip("/")
    headers = {
        "Authorization": f"Bearer {authorization.access_token}",
        "Accept": "application/fhir+json",
    }
    try:
        async with (
            asyncio.timeout(FETCH_TIMEOUT_S),
            httpx.AsyncClient(
                headers=headers, timeout=FETCH_TIMEOUT_S, follow_redirects=False
            ) as client,
            asyncio.TaskGroup() as group,  # one read failing stops the others
        ):
            reads = [
                group.create_task(
                    _read(client, base, templates[key].replace("{{context.patientId}}", patient))
                )
                for key in keys
            ]
    except TimeoutError:
        log.warning("CDS Hooks: reading prefetch from %s timed out", base)
        return Fetched("failed", f"the FHIR server did not answer within {FETCH_TIMEOUT_S:g} s")
    except ExceptionGroup as failures:
        first = failures.exceptions[0]
        if not isinstance(first, FetchFailed | httpx.HTTPError):
            raise
        reason = str(first) if isinstance(first, FetchFailed) else type(first).__name__
        log.warning("CDS Hooks: reading prefetch from %s failed: %s", base, reason)
        return Fetched("failed", f"the FHIR server could not be read: {reason}")
    found = [read.result() for read in reads]
    resources = dict(zip(keys, found, strict=True))
    problem = _check(resources, patient)
    if problem:
        return Fetched("failed", f"the FHIR server's answer cannot be used: {problem}")
    log.info("CDS Hooks: read prefetch %s from %s", ", ".join(keys), base)
    return Fetched("fetched", "read from the call's fhirServer", resources)


async def _read(client: httpx.AsyncClient, base: str, query: str) -> dict[str, Any]:
    """One prefetch query; a search's pages joined into one searchset Bundle."""
    resource = await _get(client, f"{base}/{query}")
    if resource.get("resourceType") != "Bundle":
        return resource
    entries = list(resource.get("entry") or [])
    pages = 1
    while (after := _next_link(resource)) is not None:
        if not after.startswith(base + "/") and not after.startswith(base + "?"):
            raise FetchFailed("a search's next page is on another server")
        pages += 1
        if pages > MAX_PAGES:
            raise FetchFailed(f"a search has more than {MAX_PAGES} pages")
        resource = await _get(client, after)
        if resource.get("resourceType") != "Bundle":
            raise FetchFailed("a search's next page is not a Bundle")
        entries.extend(resource.get("entry") or [])
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    links = bundle.get("link")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    async with client.stream("GET", url) as answer:
        if answer.status_code != 200:
            raise FetchFailed(f"HTTP {answer.status_code}")
        media = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in _JSON_TYPES:
            raise FetchFailed(f"the answer is {media or 'untyped'}, not FHIR JSON")
        body = bytearray()
        async for chunk in answer.aiter_bytes():
            body.extend(chunk)
            if len(body) > MAX_BYTES:
                raise FetchFailed(f"an answer is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        resource = decode_json(bytes(body))
    except JsonProblem as exc:
        raise FetchFailed(f"an answer is not JSON ({exc})") from None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise FetchFailed("an answer is not a FHIR resource")
    return resource


def _check(resources: Mapping[str, dict[str, Any]], patient: str) -> str | None:
    """Why what was read cannot stand for the prefetch, or None."""
    for key, resource in resources.items():
        kind = resource["resourceType"]
        if key == "patient":
            if kind != "Patient" or resource.get("id") != patient:
                return "the Patient read is not the patient in context"
        elif kind != "Bundle":
            return f"the search for {key} did not answer a Bundle"
    return None
