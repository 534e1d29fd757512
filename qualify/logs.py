"""Structured logs (issue 18): with QUALIFY_LOG_FORMAT=json every log record is one
JSON object per line, carrying the request id the audit events of the same request
carry (qualify.audit.context), so a log line and the trail's events are joined on it.

Written here rather than with python-json-logger: the formatter is twenty lines of the
standard library, and the one thing it adds (the request id) is Qualify's own."""

import datetime as dt
import json
import logging

from qualify.audit.context import _current


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = _current.get()
        request = getattr(record, "request", None)
        # Django logs a 4xx/5xx response after the middleware (and so the context) has
        # finished; the request object still carries its id (audit.middleware).
        request_id = (
            getattr(record, "request_id", None)
            or (ctx.request_id if ctx else None)
            or getattr(request, "request_id", None)
        )
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id,
            "source": ctx.source if ctx else None,
        }
        if request is not None and hasattr(request, "path"):
            line["method"] = request.method
            line["path"] = request.path
        if getattr(record, "status_code", None) is not None:
            line["status"] = record.status_code
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
