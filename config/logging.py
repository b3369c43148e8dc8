"""Log context: every record carries the tenant schema and the request id (structured logging)."""

from __future__ import annotations

import contextvars
import logging

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from django.db import connection

        record.schema = getattr(connection, "schema_name", "-")
        record.request_id = request_id_var.get()
        return True
