"""The OpenAPI document at ``/openapi.json``: FastAPI's, with what it cannot see.

The routes read their bodies themselves (:mod:`spinefx.web.api.bodies`), so the request body
models are added here as components; so is the problem's schema, and the bearer token every
registry operation needs (``spinefx registry token create``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from spinefx.web.api import REGISTRY_PREFIX
from spinefx.web.api.bodies import SCHEMAS
from spinefx.web.errors import PROBLEM_SCHEMA
from spinefx.web.tools import RULES

__all__ = ["REGISTRY_TOKEN", "openapi"]

REGISTRY_TOKEN = "A registry API token, made with `spinefx registry token create`"


def openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the request body models the routes read themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for model in [rule.input for rule in RULES] + list(SCHEMAS):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in model_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components[model.__name__] = model_schema
    # Every registry operation needs a bearer token (``spinefx registry token create``).
    schema["components"]["securitySchemes"] = {
        "registryToken": {"type": "http", "scheme": "bearer", "description": REGISTRY_TOKEN}
    }
    for path, operations in schema.get("paths", {}).items():
        if path.startswith(REGISTRY_PREFIX + "/"):
            for operation in operations.values():
                operation["security"] = [{"registryToken": []}]
    app.openapi_schema = schema
    return schema
