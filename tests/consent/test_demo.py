from __future__ import annotations

import random

from consent.demo import demo_seed
from consent.models import CandidateConsent, ConsentEvent, DataRequest
from tests.consent.conftest import person


def test_demo_seed_is_idempotent(tenant_a):
    for _ in range(12):
        person()
    demo_seed(rng=random.Random(42))
    events = ConsentEvent.objects.count()
    assert events > 0 and CandidateConsent.objects.filter(granted=True).exists()
    assert DataRequest.objects.count() == 1
    demo_seed(rng=random.Random(42))
    assert ConsentEvent.objects.count() == events
    assert DataRequest.objects.count() == 1
