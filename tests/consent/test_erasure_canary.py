"""The canary: after erasing one person, nothing of theirs is left anywhere the product stores
data (a pg_dump of the tenant and public schemas, the media folder, Redis: cache and Celery
queues), and everything of a control person is."""

from __future__ import annotations

import os
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from candidates.services import candidate_note_add
from consent.erasure import candidate_erase
from tests.consent.canary import build, file_text, registry_coverage, unmarkable_blank
from tests.pgdump import dump_schemas


def _media(schema: str) -> dict[str, str]:
    root = os.path.join(settings.MEDIA_ROOT, schema)
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            found[path] = file_text(Path(path)).lower()
    return found


def _redis_text() -> tuple[int, str]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    parts = []
    keys = list(client.scan_iter(count=1000))
    for key in keys:
        parts.append(key.decode("utf-8", "replace"))
        kind = client.type(key).decode()
        if kind == "string":
            parts.append(repr(client.get(key)))
        elif kind == "list":
            parts += [repr(v) for v in client.lrange(key, 0, -1)]
        elif kind == "hash":
            parts += [repr(kv) for kv in client.hgetall(key).items()]
        elif kind == "set":
            parts += [repr(v) for v in client.smembers(key)]
        elif kind == "zset":
            parts += [repr(v) for v in client.zrange(key, 0, -1)]
    return len(keys), "\n".join(parts).lower()


def test_erasure_leaves_no_marker_of_the_person_and_every_marker_of_the_control(
    committed_tenant, fresh_form_limits
):
    committed_tenant.activate()
    hr_admin = committed_tenant.hr_admin
    erased = build("A", hr_admin)
    control = build("B", hr_admin)
    # A note on the control that names the erased person: the name goes, the note stays.
    candidate_note_add(
        candidate=control.candidate,
        body=f"Met {erased.candidate.full_name} <{erased.candidate.email}> and XylqBcrossnote",
        actor=hr_admin,
    )
    control.markers.append("XylqBcrossnote")
    for canary in (erased, control):
        assert registry_coverage(canary) == [], f"{canary.tag}: fields without a marker"

    schema = committed_tenant.tenant.schema_name
    before = dump_schemas(schema, "public").lower()
    assert erased.prefix in before and erased.ip in before and erased.binary in before

    assert candidate_erase(candidate=erased.candidate, actor=hr_admin) == 1

    connection.set_schema_to_public()
    dump = dump_schemas(schema, "public").lower()
    media = _media(schema)
    keys, in_redis = _redis_text()
    committed_tenant.activate()
    leftovers = [line for line in dump.splitlines() if erased.prefix in line]
    assert leftovers == [], leftovers[:10]
    assert erased.ip not in dump
    assert erased.binary not in dump  # binary columns are dumped as hex
    assert [path for path, text in media.items() if erased.prefix in text] == []
    assert keys > 0 and "public-form" in in_redis  # the scan saw the cache and the queues
    assert erased.prefix not in in_redis
    assert unmarkable_blank(erased.candidate)

    everywhere = dump + "\n".join(media.values())
    missing = [
        m
        for m in control.markers
        if m.lower() not in everywhere and m.encode().hex() not in dump  # bytea is dumped as hex
    ]
    assert missing == [], missing
    assert control.ip in dump
    assert control.binary in dump
