"""Helpers of the browser tests."""

from __future__ import annotations

from typing import Any

__all__ = ["submit_login"]


def submit_login(page: Any, email: str, password: str) -> None:
    """On the registry's login form (already open), log in and wait for the worklist."""
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/registry")
