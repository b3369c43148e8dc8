"""Raw SQL for set-based statements whose parameters are large arrays."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

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


# --- Set-based INSERT and UPDATE from arrays ----------------------------------------------------


@dataclass(frozen=True)
class Each:
    """One value per row, sent as one array of `type` (one parameter for the whole column,
    bound in binary). `type` is an SQL type without a length ("text", not "varchar(200)": a
    cast to varchar(n) truncates silently where the assignment would raise).

    A "jsonb" column takes Python values (lists, dicts, None) and travels as ONE JSON document
    for the whole column, row n picking element n: one JSON encoding per column instead of one
    per cell. None is SQL NULL there, as Django's JSONField stores it."""

    type: str
    values: Sequence[Any]


@dataclass(frozen=True)
class Same:
    """One value for every row, bound once."""

    type: str
    value: Any


@dataclass(frozen=True)
class Sql:
    """An SQL expression written in our code (never user input), e.g. "now()" or "false"."""

    text: str


Column = Each | Same | Sql


def rows_insert(
    table: str,
    columns: Mapping[str, Column],
    *,
    on_conflict: str = "",
    returning: str = "",
) -> list[tuple[Any, ...]]:
    """INSERT INTO table (columns) SELECT … FROM unnest(arrays): any number of rows in one
    statement with one parameter per column. `on_conflict` is what follows ON CONFLICT
    (e.g. "DO NOTHING", "(send_key) DO NOTHING"; the target table is aliased `t`);
    `returning` an SQL list. Returns the RETURNING rows (empty without `returning`, and with
    no rows nothing is sent)."""
    rows, source_params = _rows_source(columns)
    if rows is None:
        return []
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    params: list[Any] = []  # in the order of the placeholders: the SELECT list, then FROM
    values = ", ".join(_select(name, column, params) for name, column in columns.items())
    params.extend(source_params)
    sql = (
        f"INSERT INTO {quote(table)} AS t ({names}) SELECT {values} FROM {rows} AS v"  # noqa: S608 (identifiers quoted, expressions from our code)
        + (f" ON CONFLICT {on_conflict}" if on_conflict else "")
        + (f" RETURNING {returning}" if returning else "")
    )
    with server_binding_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def rows_update(table: str, key: str, columns: Mapping[str, Column], *, where: str = "") -> int:
    """UPDATE table AS t SET … FROM unnest(arrays) AS v WHERE t.key = v.key: one statement for
    any number of rows (Django's bulk_update builds a CASE per row and field). `columns` holds
    the key column (an Each) and the columns to set; `where` adds a condition on `t` (the row)
    and `v` (its new values, by column name). Returns the number of rows updated."""
    if not isinstance(columns.get(key), Each):
        raise ValueError(f"The key column {key!r} needs one value per row (Each).")
    rows, source_params = _rows_source(columns)
    if rows is None:
        return 0
    quote = connection.ops.quote_name
    params: list[Any] = []  # in the order of the placeholders: the SET list, then FROM
    sets = ", ".join(
        f"{quote(name)} = {_select(name, column, params)}"
        for name, column in columns.items()
        if name != key
    )
    params.extend(source_params)
    sql = (
        f"UPDATE {quote(table)} AS t SET {sets} FROM {rows} AS v "  # noqa: S608 (identifiers quoted, expressions from our code)
        f"WHERE t.{quote(key)} = v.{quote(key)}" + (f" AND ({where})" if where else "")
    )
    with server_binding_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _rows_source(columns: Mapping[str, Column]) -> tuple[str | None, list[Any]]:
    """The FROM item that yields one row per element of the Each columns, named by column, and
    its parameters; (None, []) when there are no rows."""
    each = {name: c for name, c in columns.items() if isinstance(c, Each)}
    if not each:
        raise ValueError("At least one column needs one value per row (Each).")
    lengths = {len(c.values) for c in each.values()}
    if len(lengths) > 1:
        raise ValueError(f"The columns hold different numbers of rows: {sorted(lengths)}.")
    if lengths == {0}:
        return None, []
    quote = connection.ops.quote_name
    arrays = {n: c for n, c in each.items() if c.type != "jsonb"}
    documents = {n: c for n, c in each.items() if c.type == "jsonb"}
    params: list[Any] = []
    picked = []
    for name, column in documents.items():
        # nullif: a None travels as JSON null; stored as SQL NULL like Django's JSONField does.
        picked.append(f"nullif(%b::jsonb -> (u.\"#n\"::int - 1), 'null') AS {quote(name)}")
        params.append(json.dumps(list(column.values)))
    if arrays:
        unnest = ", ".join(f"%b::{c.type}[]" for c in arrays.values())
        params.extend(list(c.values) for c in arrays.values())
        listed = ", ".join(quote(n) for n in arrays)
        source = f'unnest({unnest}) WITH ORDINALITY AS u({listed}, "#n")'
    else:
        source = 'generate_series(1, %b::int) AS u("#n")'
        params.append(lengths.pop())
    selected = ", ".join([*(f"u.{quote(n)}" for n in arrays), *picked])
    return f"(SELECT {selected} FROM {source})", params  # noqa: S608 (quoted identifiers)


def _select(name: str, column: Column, params: list[Any]) -> str:
    """The expression giving `name` its value in a row (a bound value is appended to params)."""
    if isinstance(column, Each):
        return f"v.{connection.ops.quote_name(name)}"
    if isinstance(column, Same):
        if column.type == "jsonb":
            params.append(json.dumps(column.value) if column.value is not None else None)
        else:
            params.append(column.value)
        return f"%b::{column.type}"
    return column.text
