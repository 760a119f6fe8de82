"""The logs of `twilio-acs serve`: one level and one format for the shim, adapter and uvicorn.

Access-log lines never carry a query string: Event Grid deliveries bring their secret there.
In embedded mode the emulator's (and the local media server's) uvicorn run in threads of the
same process and share uvicorn's global loggers; only the thread that serves the REST face
writes access lines and uvicorn's info lines, so theirs (requests, start-up and shutdown)
never reach the output, while their warnings and errors still do.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import datetime, timezone

APP_LOGGERS = ("twilio_compat", "acs_adapter", "uvicorn")
ACCESS_LOGGER = "uvicorn.access"
_PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, process id and message, plus the
    access fields (client, method, path, http_version, status) on access lines."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple):
            line.update(zip(_ACCESS_FIELDS, record.args, strict=False))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class AccessFilter(logging.Filter):
    """Keeps the access lines of the thread that serves the app, with their query strings cut."""

    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread_id:
            return False
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class OtherServersQuiet(logging.Filter):
    """Drops uvicorn's info lines written by threads other than the one serving the app."""

    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("uvicorn"):
            return True
        return record.thread == self.thread_id or record.levelno >= logging.WARNING


def configure_logging(level: str = "info", *, json_lines: bool = False) -> None:
    """Send the shim's, the adapter's and uvicorn's logs at `level` to stderr, and the access
    log to stdout, each line plain or JSON.

    Call it from the thread that will run the server, after the runtime is open (an embedded
    emulator reconfigures uvicorn's loggers when it starts).
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    formatter: logging.Formatter = JsonFormatter() if json_lines else logging.Formatter(_PLAIN)
    server_thread = threading.get_ident()
    errors = logging.StreamHandler(sys.stderr)
    errors.setFormatter(formatter)
    errors.addFilter(OtherServersQuiet(server_thread))
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [errors]
        logger.setLevel(numeric)
        logger.propagate = False
    for name in ("uvicorn.error", "uvicorn.asgi"):
        child = logging.getLogger(name)
        child.handlers = []
        child.setLevel(logging.NOTSET)
        child.propagate = True
    access = logging.StreamHandler(sys.stdout)
    access.setFormatter(
        formatter if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    )
    access.addFilter(AccessFilter(server_thread))
    access_logger = logging.getLogger(ACCESS_LOGGER)
    access_logger.handlers = [access]
    access_logger.setLevel(numeric)
    access_logger.propagate = False
