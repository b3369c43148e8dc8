from __future__ import annotations

import random

from candidates.models import Candidate
from mailing.demo import demo_seed
from mailing.models import Message, MessageStatus


def test_demo_seed_is_idempotent_and_shows_a_lifecycle(tenant_a):
    for n in range(3):
        Candidate.objects.create(first_name=f"Demo{n}", email=f"demo{n}@example.com")
    demo_seed(rng=random.Random(1))
    demo_seed(rng=random.Random(1))
    messages = Message.objects.filter(send_key__startswith="demo:")
    assert messages.count() == 3
    assert set(messages.values_list("status", flat=True)) == {
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.OPENED,
    }
    opened = messages.get(status=MessageStatus.OPENED)
    assert list(opened.events.values_list("event_type", flat=True)) == ["delivered", "opened"]
