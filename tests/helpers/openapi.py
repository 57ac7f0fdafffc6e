"""What every answer of a generated API request must show (the OpenAPI conformance runs)."""

from __future__ import annotations

__all__ = ["refusals_name_a_field"]


def refusals_name_a_field(response: object) -> None:
    """No answer is a 5xx, and a 422 names at least one field, each one by name."""
    status = getattr(response, "status_code", 0)
    assert status < 500
    if status == 422:
        body = response.json()  # type: ignore[attr-defined]
        assert body["errors"] and all(e["field"] for e in body["errors"]), body
