"""Logging for `newsqa serve`: uvicorn's terminal format (the default) or one JSON object a
line (NEWSQA_LOG_FORMAT=json), for every logger, with the request id of the request a line was
logged in."""

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Literal

from service.api.context import current_request_id

# What the access log line adds to a record (service/api/observability.py).
ACCESS_FIELDS = ("request_id", "method", "route", "status", "duration_ms", "mode")


class RequestIdFilter(logging.Filter):
    """A line logged while a request is served carries its id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ACCESS_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(log_format: Literal["text", "json"]) -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn's `log_config`: uvicorn applies it in every
    worker process too. Its own access log is left off: the app writes one line a request."""
    formatter: dict[str, Any] = (
        {"()": "service.logs.JsonFormatter"}
        if log_format == "json"
        else {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "default",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "service.logs.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        # Libraries speak at WARNING; newsqa and uvicorn's start-up lines at INFO.
        "root": {"handlers": ["default"], "level": "WARNING"},
        "loggers": {
            name: {"level": "INFO"} for name in ("newsqa", "service", "uvicorn", "uvicorn.error")
        },
    }


def configure_logging(log_format: Literal["text", "json"]) -> dict[str, Any]:
    """Apply the set-up now, so start-up lines (a store repair) and library warnings come in the
    same format, and return it for uvicorn, which applies it again in every worker."""
    config = log_config(log_format)
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
    return config
