from __future__ import annotations

import random

from campaigns.demo import demo_seed
from campaigns.models import Campaign, CampaignStatus, ContentItem
from pools.models import PoolKind
from pools.services import pool_save
from tests.campaigns.helpers import make_candidate


def test_demo_content_and_past_campaign_are_seeded_once(tenant_a):
    make_candidate("ana@example.com", profession="Data analyst", topics={"events": None})
    pool_save(
        actor=tenant_a.hr_admin,
        name="Data analysts",
        kind=PoolKind.SMART,
        criteria={"profession": "Data analyst"},
    )
    demo_seed(rng=random.Random(1))
    demo_seed(rng=random.Random(2))
    assert ContentItem.objects.count() == 5
    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.SENT
    assert campaign.queued_count == 1
