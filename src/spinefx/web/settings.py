"""The web app's settings: spinefx's own (:mod:`spinefx.settings`, read from ``SPINEFX_*``
environment variables) and the limits of the web front end."""

from __future__ import annotations

from spinefx.settings import Settings, default_data_dir

__all__ = ["MAX_BODY_BYTES", "Settings", "default_data_dir"]

MAX_BODY_BYTES = 64 * 1024  # any request body above this is refused with 413
