"""How the outbox stores rendered bodies."""

from __future__ import annotations

from django.db import connection


def test_message_bodies_are_compressed_with_lz4_where_the_server_has_it(tenant_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        (has_lz4,) = cursor.fetchone()
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute "
            "WHERE attrelid = 'mailing_message'::regclass AND attname IN ('html', 'text')"
        )
        compression = dict(cursor.fetchall())
    expected = "l" if has_lz4 else ""
    assert compression == {"html": expected, "text": expected}
