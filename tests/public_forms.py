"""Posting public forms (tenants.public_forms) the way a person does: load the page, take its
signed stamp, fill it in for a while, send it from an address."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone


@pytest.fixture
def fresh_form_limits():  # type: ignore[no-untyped-def]
    """The limits count in this run's own Redis database; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def post_like_a_person(
    client: Any, url: str, data: dict[str, Any], *, ip: str = "198.51.100.20"
) -> Any:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    stamp = page.context["form"]["stamp"].value()
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        return client.post(url, {"stamp": stamp, "website": "", **data}, REMOTE_ADDR=ip)
