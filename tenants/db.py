"""Raw SQL for set-based statements whose parameters are large arrays."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


@contextmanager
def server_binding_cursor() -> Iterator[CursorWrapper]:
    """A cursor that binds parameters on the server, so `%b` placeholders send them in binary:
    a 100k-element array is packed in one go instead of being quoted element by element into
    the statement text (seconds at that size with Django's client-side binding cursors).

    It runs on Django's connection (same transaction, the tenant's search_path set by the
    wrapper opened first) and is wrapped like Django's own cursors, so query logging and
    execute wrappers still see the statement."""
    with connection.cursor() as django_cursor:
        raw = psycopg.Cursor(django_cursor.cursor.connection)
        # django-stubs types the argument as a CursorWrapper; Django passes (and wraps) the
        # DB-API cursor, as here.
        wrapped = (
            connection.make_debug_cursor(raw)  # type: ignore[arg-type]
            if connection.queries_logged
            else connection.make_cursor(raw)  # type: ignore[arg-type]
        )
        with wrapped:
            yield wrapped
