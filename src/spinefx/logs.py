"""The logs of ``spinefx serve``: plain lines, or one JSON object a line
(``SPINEFX_LOG_FORMAT=json``) for a log shipper.

Every record made while a request is answered carries that request's id (:data:`REQUEST_ID`,
set by :class:`spinefx.web.security.AccessLog`: the caller's ``X-Request-ID`` when it is a
plain token, else a new one). A JSON line holds ``time`` (UTC, ISO 8601), ``level``,
``logger``, ``message`` and ``request_id``, and the access log's lines also ``method``,
``path`` (never the query string), ``status``, ``duration_ms`` and ``client``. An exception is
logged by its type and frames only: its message may quote what someone typed.

It lives outside :mod:`spinefx.web`, as :mod:`spinefx.settings` does, because each worker of
``spinefx serve --workers N`` sets up its logging from :func:`log_config` before it loads
the app: importing the web app here first took seconds, long enough for uvicorn to think the
worker hung and restart it.

>>> record = logging.LogRecord("spinefx.web.access", logging.INFO, "", 0, "GET / 200", None, None)
>>> record.created = 0.0
>>> print(JsonFormatter().format(record))  # doctest: +NORMALIZE_WHITESPACE
{"time": "1970-01-01T00:00:00.000Z", "level": "INFO", "logger": "spinefx.web.access",
 "message": "GET / 200", "request_id": null}
"""

from __future__ import annotations

import json
import logging
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "ACCESS_FIELDS",
    "REQUEST_ID",
    "TEXT_FORMAT",
    "JsonFormatter",
    "LogFormat",
    "RequestIdFilter",
    "log_config",
]

LogFormat = Literal["text", "json"]
REQUEST_ID: ContextVar[str | None] = ContextVar("spinefx_request_id", default=None)
# What the access log adds to its records (``extra=``), in the order a JSON line shows them.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "client")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request being answered (``None`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line; an exception as its type and frames, never its message."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        entry: dict[str, Any] = {
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])
            entry["frames"] = [f"{f.filename}:{f.lineno} in {f.name}" for f in frames]
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(log_format: LogFormat, level: str = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for spinefx and uvicorn (passed to uvicorn as its
    ``log_config``, so that each worker process applies it too): one handler on stderr."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"spinefx": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "spinefx",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's own handlers are replaced by the root's; its access log stays off
            # (it prints query strings): spinefx.web.access logs each request instead.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # Alembic notes at INFO each time /readyz or /metrics asks the registry for its
            # schema version (nine lines a probe); its warnings and errors still come through.
            "alembic": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
