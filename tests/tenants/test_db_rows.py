"""tenants.db.rows_insert / rows_update: the one way to write many rows from arrays."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection

from tenants.db import Each, Same, Sql, rows_insert, rows_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(tenant_a):
    """A table with identifiers that need quoting (a reserved word, capitals, a space)."""
    tenant_a.activate()
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TEMPORARY TABLE "rows Test" (id bigserial PRIMARY KEY, '
            '"order" text UNIQUE, "Count" int, at timestamptz, data jsonb, flag boolean, '
            "note text NOT NULL DEFAULT '')"
        )
    yield "rows Test"
    with connection.cursor() as cursor:
        cursor.execute('DROP TABLE "rows Test"')


def _all(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "order", "Count", at, data, flag, note FROM "{table}" ORDER BY id'  # noqa: S608
        )
        # Django's connection reads jsonb as text (its JSONField decodes it).
        return [(*r[:3], json.loads(r[3]) if r[3] else r[3], *r[4:]) for r in cursor.fetchall()]


def test_insert_writes_each_row_with_constants_expressions_and_json(table):
    at = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    returned = rows_insert(
        table,
        {
            "order": Each("text", ["a", "b", "c"]),
            "Count": Each("int", [1, None, 3]),
            "data": Each("jsonb", [[1, 2], None, {"k": "é"}]),
            "at": Same("timestamptz", at),
            "flag": Sql("true"),
        },
        returning='"order", id',
    )
    assert [r[0] for r in returned] == ["a", "b", "c"]
    assert _all(table) == [
        ("a", 1, at, [1, 2], True, ""),
        ("b", None, at, None, True, ""),
        ("c", 3, at, {"k": "é"}, True, ""),
    ]


def test_insert_of_nothing_sends_nothing(table, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_insert(table, {"order": Each("text", [])}, returning="id") == []
    assert _all(table) == []


def test_insert_only_json_columns(table):
    rows_insert(table, {"data": Each("jsonb", [[1], [2]]), "note": Same("text", "x")})
    assert [(r[3], r[5]) for r in _all(table)] == [([1], "x"), ([2], "x")]


def test_conflicts_are_skipped_or_updated_as_asked(table):
    rows_insert(table, {"order": Each("text", ["a", "b"]), "Count": Each("int", [1, 2])})
    inserted = rows_insert(
        table,
        {"order": Each("text", ["b", "c"]), "Count": Each("int", [20, 30])},
        on_conflict="DO NOTHING",
        returning='"order"',
    )
    assert inserted == [("c",)]
    updated = rows_insert(
        table,
        {"order": Each("text", ["a", "b"]), "Count": Each("int", [10, 20])},
        on_conflict='("order") DO UPDATE SET "Count" = excluded."Count" WHERE t."Count" < 2',
        returning='"order"',
    )
    assert updated == [("a",)]
    assert [(r[0], r[1]) for r in _all(table)] == [("a", 10), ("b", 2), ("c", 30)]


def test_update_sets_values_per_row_and_honours_the_condition(table):
    rows_insert(table, {"order": Each("text", ["a", "b", "c"]), "Count": Each("int", [1, 5, 3])})
    count = rows_update(
        table,
        "order",
        {
            "order": Each("text", ["a", "b", "zz"]),
            "Count": Each("int", [4, 4, 4]),
            "data": Each("jsonb", [["x"], ["y"], None]),
            "note": Same("text", "it's set"),
            "flag": Sql("NOT coalesce(t.flag, false)"),
        },
        where='t."Count" < v."Count"',
    )
    assert count == 1
    assert _all(table) == [
        ("a", 4, None, ["x"], True, "it's set"),
        ("b", 5, None, None, None, ""),
        ("c", 3, None, None, None, ""),
    ]


def test_update_can_set_null(table):
    rows_insert(table, {"order": Each("text", ["a"]), "Count": Each("int", [1])})
    assert rows_update(table, "order", {"order": Each("text", ["a"]), "Count": Same("int", None)})
    assert _all(table)[0][1] is None


def test_update_of_nothing_sends_nothing(table, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert (
            rows_update(table, "order", {"order": Each("text", []), "Count": Same("int", 1)}) == 0
        )


def test_columns_of_different_lengths_are_refused(table):
    with pytest.raises(ValueError, match="different numbers of rows"):
        rows_insert(table, {"order": Each("text", ["a"]), "Count": Each("int", [1, 2])})


def test_the_update_key_must_be_given_per_row(table):
    with pytest.raises(ValueError, match="key column"):
        rows_update(table, "order", {"order": Same("text", "a"), "Count": Each("int", [1])})
