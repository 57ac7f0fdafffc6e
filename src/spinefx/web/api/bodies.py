"""JSON bodies in and out of the API: the body read and decoded by the route itself (so that its
errors are ours), the request bodies the OpenAPI document names, and the registry's writes,
each made on a case version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, Field, create_model
from starlette.responses import JSONResponse

from spinefx.errors import InputError, ProblemKind
from spinefx.registry import cases
from spinefx.registry.models import Case
from spinefx.registry.schema import (
    MAX_ID,
    CaseIn,
    CaseUpdate,
    EventIn,
    FractureIn,
    OutcomeIn,
    ProcedureIn,
    parse,
)
from spinefx.validation import JsonProblem, decode_json, refuse_unstorable_text
from spinefx.web.deps import Caller
from spinefx.web.errors import ProblemError

__all__ = [
    "SCHEMAS",
    "WRITE_BODIES",
    "Dismissal",
    "Versioned",
    "case_answer",
    "read_json",
    "reload",
    "request_body",
    "split_version",
    "versioned",
    "write",
]

ModelT = TypeVar("ModelT", bound=BaseModel)


async def read_json(request: Request) -> Any:
    """The decoded JSON body, or a 415 (not JSON), 400 (malformed) or 422 (a NUL) problem."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise ProblemError(
            415,
            f"Send the body as JSON with Content-Type: application/json (got "
            f"{media_type or 'no content type'}).",
        )
    body = await request.body()
    try:
        data = decode_json(body)
    except JsonProblem as exc:
        raise ProblemError(400, f"The body is not valid JSON: {exc}.") from None
    refuse_unstorable_text(data)  # a NUL anywhere is a 422 naming its field, on both databases
    return data


def request_body(name: str) -> dict[str, Any]:
    """``openapi_extra`` naming the request body (read by :func:`read_json`, not by FastAPI)."""
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


# --- the registry's writes ----------------------------------------------------------------------

Version = Annotated[int, Field(ge=1, le=MAX_ID)]


class Versioned(BaseModel):
    """The case version a write was made on (every write body carries it)."""

    version: Version


class Dismissal(BaseModel):
    version: Version
    reason: str


def _with_version(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` plus the required ``version`` field: the body of a write on a case."""
    return create_model(
        f"{model.__name__}Write",
        __base__=model,
        __doc__=f"{model.__name__} and the case version the write was made on.",
        version=(Version, ...),
    )


WRITE_BODIES: dict[str, type[BaseModel]] = {
    m.__name__: _with_version(m) for m in (CaseUpdate, FractureIn, EventIn, ProcedureIn, OutcomeIn)
}
# The request bodies the registry's routes read, for the OpenAPI document.
SCHEMAS: tuple[type[BaseModel], ...] = (
    CaseIn,
    Versioned,
    Dismissal,
    *WRITE_BODIES.values(),
)


def write_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` naming ``model`` with its ``version`` as the request body."""
    return request_body(WRITE_BODIES[model.__name__].__name__)


def split_version(data: Any) -> tuple[int, dict[str, Any]]:
    """The ``version`` of a write body, and the rest of it."""
    if not isinstance(data, dict):
        raise InputError("(body)", data, "a JSON object", kind=ProblemKind.TYPE, expects="object")
    rest = dict(data)
    version = rest.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_ID:
        raise InputError(
            "version", version, f"the case version the edit was made on (1 to {MAX_ID})"
        )
    return version, rest


async def versioned(request: Request, model: type[ModelT]) -> tuple[int, ModelT]:
    """The body's ``version`` and the rest of it validated into ``model``."""
    version, rest = split_version(await read_json(request))
    return version, parse(model, rest)


def case_answer(case: Case, status_code: int = 200) -> JSONResponse:
    return JSONResponse(cases.case_document(case), status_code=status_code)


def reload(caller: Caller, case_id: int) -> JSONResponse:
    """The case as it now is (an audited read)."""
    with caller.registry.transaction() as session:
        return case_answer(cases.get_case(session, caller.actor, case_id))


def write(caller: Caller, case_id: int, change: Callable[[Any], object]) -> JSONResponse:
    """Run ``change`` in one transaction, then answer with the case as it now is."""
    with caller.registry.transaction() as session:
        change(session)
    return reload(caller, case_id)
