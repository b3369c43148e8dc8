"""After "Send", the campaign page follows the real worker until every email has left, then
stops asking, shows the results with their rates and offers only the actions that apply."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignStatus, ContentItem
from campaigns.services import campaign_create
from pools.models import PoolKind
from pools.services import pool_save
from tests.campaigns.helpers import make_candidate

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_live_progress_until_done_then_rates_and_no_withdraw(site, page, celery_worker):
    site.world.activate()
    for n in range(6):
        make_candidate(
            f"analyst{n}@example.com",
            first_name=f"Analyst{n}",
            profession="Data analyst",
            topics={"events": None},
        )
    pool = pool_save(
        actor=site.world.hr_admin,
        name="Analysts",
        kind=PoolKind.SMART,
        criteria={"profession": "Data analyst"},
    )
    item = ContentItem.objects.filter(topic="events").first() or ContentItem.objects.create(
        topic="events", title="Data meetup", summary="Come and meet us."
    )
    campaign = campaign_create(
        actor=site.world.hr_admin, name="Meetup", subject="Data meetup", item=item, pool=pool
    )
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/progress/" in r.url else None)
    site.login(page, site.world.hr_admin)
    page.goto(site.url(f"/campaigns/{campaign.pk}/"))
    page.get_by_role("button", name="Send or schedule").click()
    expect(page.get_by_text("Sending now.")).to_be_visible()
    # Not "Scheduled" until a reload: the page watches the sending...
    expect(page.locator("#campaign-progress")).to_be_visible()
    # ...until the worker has queued and sent all six, then it shows the outcome.
    expect(page.locator("#campaign-status")).to_have_text("Sent", timeout=60_000)
    expect(page.locator("#progress-sent")).to_have_text("6")
    expect(page.locator("#progress-waiting")).to_have_text("0")
    assert polls, "the page never asked for the progress"
    stats = page.locator("#campaign-stats")
    delivered = stats.locator("tr").filter(
        has=page.get_by_role("rowheader", name="Sent", exact=True)
    )
    expect(delivered.locator("td").first).to_have_text("6")
    expect(stats).to_contain_text("Opened")
    # Done: no more polling, and nothing left to withdraw.
    asked = len(polls)
    page.wait_for_timeout(3000)
    assert len(polls) == asked
    expect(page.get_by_role("button", name="Withdraw the emails not yet sent")).to_have_count(0)
    site.world.activate()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT
