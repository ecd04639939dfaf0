"""Log lines: one JSON object per line, carrying service, instance and request id."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from datetime import datetime, timezone
from typing import Any

from services.clock import rfc3339
from services.context import current_event_id, current_request_id
from services.identity import mask_national_ids

INSTANCE = f"{socket.gethostname()}:{os.getpid()}"
#: Query parameters whose values are personal data (a person's name): never written to a log.
PERSONAL_QUERY_PARAMETERS = ("name",)
_PERSONAL_QUERY_VALUE = re.compile(rf"([?&](?:{'|'.join(PERSONAL_QUERY_PARAMETERS)})=)[^&#\s\"']*")


def mask_personal_data(text: str) -> str:
    """``text`` with ID numbers masked and the values of personal query parameters (as in an
    access log's request line) replaced by ``***``."""
    return _PERSONAL_QUERY_VALUE.sub(r"\1***", mask_national_ids(text))


class RequestIdFilter(logging.Filter):
    """Adds the current request id and this process's identity to every record."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service or os.environ.get("ALLIANCE_SERVICE", "")

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id.get()
        if not getattr(record, "event_id", None):
            record.event_id = current_event_id.get()
        record.service = self.service
        record.instance = INSTANCE
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object."""

    EXTRA_FIELDS = ("event_id", "event_type", "certificate_number", "job_id")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": rfc3339(datetime.fromtimestamp(record.created, timezone.utc)),
            "level": record.levelname.lower(),
            "service": getattr(record, "service", ""),
            "instance": getattr(record, "instance", INSTANCE),
            "logger": record.name,
            "message": mask_personal_data(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for field in self.EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = mask_personal_data(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The human-readable line, with any ID number or name that slipped into a message masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_data(super().format(record))


TEXT_FORMAT = "%(asctime)s %(levelname)s %(service)s [%(request_id)s] %(name)s: %(message)s"


def logging_config(service: str, level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping for one service process."""
    formatter: dict[str, Any] = (
        {"()": "services.logging.JsonFormatter"}
        if fmt == "json"
        else {"()": "services.logging.TextFormatter", "format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "services.logging.RequestIdFilter", "service": service}},
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        # At DEBUG these libraries write whole documents and RPC replies, people's names among them.
        "loggers": {
            "kombu": {"level": "WARNING"},
            "amqp": {"level": "WARNING"},
            "pymongo": {"level": "WARNING"},
            "nameko.rpc": {"level": "INFO"},
            "nameko.messaging": {"level": "INFO"},
        },
    }
