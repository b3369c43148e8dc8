"""Demo content for `make run`: one item per topic and a past campaign to a pool.
Idempotent: nothing is added once the library has content."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Role, User
from campaigns.defaults import topics_install_defaults
from campaigns.models import ContentItem
from campaigns.services import CampaignError, campaign_create, campaign_schedule, campaign_send_due
from pools.models import Pool


def demo_seed(*, rng: random.Random) -> None:
    topics_install_defaults()
    if ContentItem.objects.exists():
        return
    now = timezone.now()
    open_day = ContentItem.objects.create(
        topic="events",
        title="Open day at our Lyon office",
        summary="Meet the teams, see how we work and talk to the people who hire.",
        publish_at=now - timedelta(days=rng.randint(3, 10)),
        event_starts_at=now + timedelta(days=21, hours=2),
        event_place="Lyon, 12 rue de la République",
        registration_url="https://example.com/open-day",
        audience="Students and young graduates",
    )
    ContentItem.objects.create(
        topic="events",
        title="Online meetup: data careers",
        summary="Forty minutes with our data team, questions welcome.",
        publish_at=now - timedelta(days=2),
        event_starts_at=now + timedelta(days=9, hours=1),
        event_online_url="https://example.com/meetup",
        target_profession="Data analyst",
    )
    ContentItem.objects.create(
        topic="testimonials",
        title="“I applied twice, and the second time was the right one”",
        summary="Sara was a finalist in 2024; a year later she joined as a product designer.",
        employee_name="Sara B.",
        employee_role="Product designer",
        target_sector="Design",
        publish_at=now - timedelta(days=12),
    )
    ContentItem.objects.create(
        topic="company_news",
        title="We are opening a new office in Milan",
        summary="Thirty positions over the next year, across engineering and sales.",
        link_url="https://example.com/news/milan",
        publish_at=now - timedelta(days=5),
    )
    ContentItem.objects.create(
        topic="job_market",
        title="Training budgets: what you are entitled to in 2026",
        summary="A short guide to personal training accounts and how to use them.",
        link_url="https://example.com/guide/training",
        publish_at=now - timedelta(days=15),
    )
    hr_admin = User.objects.filter(role=Role.HR_ADMIN, is_active=True).order_by("pk").first()
    pool = Pool.objects.order_by("pk").first()
    if hr_admin is None or pool is None:
        return
    campaign = campaign_create(
        name="Open day invitation",
        subject="{{ first_name }}, come and meet us at our open day",
        item=open_day,
        pool=pool,
        actor=hr_admin,
    )
    try:
        campaign_schedule(campaign=campaign, at=None, actor=hr_admin)
    except CampaignError:
        return  # nobody in the pool is contactable for events: the draft stays
    campaign_send_due(campaign_id=campaign.pk)
