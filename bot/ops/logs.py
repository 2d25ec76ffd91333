"""Log lines: plain text for a person at a terminal, or one JSON object per line (`LOG_FORMAT=json`) for a
log collector. Every line written while an update is handled carries its id (`update_id`)."""

from __future__ import annotations

import contextvars
import logging
import sys
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

# The update being handled in this task (and the tasks it starts): set by bot.ops.updates.
current_update_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_update_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(update)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class UpdateContext(logging.Filter):
    """Adds `update_id` (or None) to every record, and `update` (" [update 42]" or "") for plain text."""

    def filter(self, record: logging.LogRecord) -> bool:
        update_id = current_update_id.get()
        record.update_id = update_id
        record.update = f" [update {update_id}]" if update_id is not None else ""
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        reserved_attrs=[*_RESERVED, "update"],
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        timestamp=False,
    )


# What a LogRecord always has: kept out of the JSON unless named in the format (python-json-logger's list,
# plus what Python 3.12 added).
_RESERVED = [
    "args", "asctime", "created", "exc_info", "exc_text", "filename", "funcName", "levelname", "levelno",
    "lineno", "module", "msecs", "message", "msg", "name", "pathname", "process", "processName",
    "relativeCreated", "stack_info", "thread", "threadName", "taskName",
]  # fmt: skip


def configure(level: int = logging.INFO, fmt: LogFormat = "text", stream: TextIO | None = None) -> None:
    """Replace the root logger's handlers by one on `stream` (stderr) in the format asked for."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(UpdateContext())
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
