from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaigns.services import campaigns_send_scheduled
from mailing.dispatch import outbox_dispatch
from pools.models import PoolKind
from pools.services import pool_save
from tests.campaigns.helpers import make_candidate

pytestmark = pytest.mark.e2e


def test_hr_admin_creates_an_event_sends_it_to_a_smart_pool_and_sees_the_stats(
    site, page, settings
):
    settings.SITE_SCHEME = "https"
    settings.MAILING_RATE_PER_TENANT = 0
    settings.MAILING_RATE_GLOBAL = 0
    site.world.activate()
    for name in ("Ada", "Grace"):
        make_candidate(
            f"{name.lower()}@example.com",
            first_name=name,
            profession="Data analyst",
            topics={"events": None},
        )
    make_candidate("linus@example.com", profession="Data analyst")  # no consent for events
    make_candidate("nurse@example.com", profession="Nurse", topics={"events": None})
    pool_save(
        actor=site.world.hr_admin,
        name="Data analysts",
        kind=PoolKind.SMART,
        criteria={"profession": "Data analyst"},
    )

    site.login(page, site.world.hr_admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    page.get_by_role("navigation", name="Campaigns").get_by_role(
        "link", name="Content library"
    ).click()
    page.get_by_role("button", name="New: event invitations").click()
    page.get_by_role("textbox", name="Title", exact=True).fill("Data meetup in Lyon")
    page.get_by_label("Date and time").fill("2031-03-12T18:30")
    page.get_by_label("Place").fill("Lyon HQ")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("“Data meetup in Lyon” saved.")).to_be_visible()

    page.get_by_role("link", name="Send to a pool").click()
    page.get_by_label("Pool").select_option(label="Data analysts")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("#audience")).to_have_text(
        "3 in the pool, 2 contactable for event invitations."
    )
    preview = page.frame_locator("iframe[title='Email preview']")
    expect(preview.get_by_text("Data meetup in Lyon")).to_be_visible()
    page.get_by_role("button", name="Send or schedule").click()
    expect(page.get_by_text("Sending now.")).to_be_visible()

    # What the worker does: queue the campaign, then the outbox dispatcher sends it.
    site.world.activate()
    assert campaigns_send_scheduled() == 2  # emails queued
    assert outbox_dispatch(budget_seconds=30).sent == 2

    page.reload()
    stats = page.locator("#campaign-stats")
    for label in ("Queued", "Sent"):
        row = stats.locator("tr").filter(has=page.get_by_role("rowheader", name=label, exact=True))
        expect(row.locator("td").first).to_have_text("2")
    expect(page.get_by_role("img", name="Campaign results")).to_be_visible()
    assert site.foreign_requests() == []
