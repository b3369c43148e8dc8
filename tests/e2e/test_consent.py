"""Candidate consent pages in a real browser: opt-in from a rejection-like email (no box ticked in
advance; sending none records nothing; "select all" only as a click), unsubscribe from one
topic, and the RFC 8058 one-click POST without cookies."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail
from playwright.sync_api import expect

from candidates.services import candidate_upsert
from consent import links
from consent.models import CandidateConsent, ConsentCapture, ConsentEvent, Source
from consent.selectors import active_purposes
from consent.services import consent_change
from mailing.dispatch import outbox_dispatch
from mailing.kinds import MessageKind
from mailing.services import message_enqueue


def _point_links_at(site, settings) -> None:  # type: ignore[no-untyped-def]
    parts = urlsplit(site.base_url)
    settings.SITE_SCHEME = parts.scheme
    settings.SITE_PORT = str(parts.port)
    settings.MAILING_RATE_PER_TENANT = 0
    settings.MAILING_RATE_GLOBAL = 0


def test_optin_from_rejection_email_then_unsubscribe_from_one_topic(site, page, settings):
    _point_links_at(site, settings)
    site.world.activate()
    grace, _ = candidate_upsert(
        email="grace@example.com", actor=None, source="test", first_name="Grace"
    )
    optin = links.optin_url(grace, source="rejection")
    message_enqueue(
        send_key="e2e:rejection",
        kind=MessageKind.TRANSACTIONAL,
        to_email=grace.email,
        subject="Your application",
        html=f'<p>We chose another candidate. <a href="{optin}">Stay in touch</a></p>',
        text=f"We chose another candidate. Stay in touch: {optin}",
        candidate=grace,
    )
    outbox_dispatch()
    sent = next(m for m in mail.outbox if m.to == ["grace@example.com"])
    link = re.search(r"https?://\S+/c/o/\S+/", sent.body).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Stay in touch, Grace")).to_be_visible()
    # Nothing is ticked for her; sending the page as it is records no consent, kindly.
    expect(page.locator("input[type=checkbox]")).to_have_count(7)
    expect(page.locator("input[type=checkbox]:checked")).to_have_count(0)
    page.get_by_role("button", name="Save my choices").click()
    expect(
        page.get_by_text("You did not tick anything, so we have recorded no consent")
    ).to_be_visible()
    site.world.activate()
    assert not ConsentEvent.objects.filter(candidate=grace).exists()
    assert active_purposes(grace) == set()
    assert ConsentCapture.objects.get(candidate=grace).ticked == []

    # "Select all topics" ticks the topics only when clicked (static/js/consent.js); the pool
    # and tracking stay hers to tick.
    page.goto(link)
    page.get_by_role("button", name="Select all topics").click()
    expect(page.get_by_label("Employee testimonials")).to_be_checked()
    expect(page.get_by_label("Open and click tracking")).not_to_be_checked()
    page.get_by_label("Employee testimonials").uncheck()
    page.get_by_label("Keep my profile in the talent pool").check()
    page.locator("#id_job_offers_frequency").select_option("monthly")
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("We have recorded your choices:")).to_be_visible()

    site.world.activate()
    assert active_purposes(grace) == {
        "talent_pool",
        "job_offers",
        "events",
        "company_news",
        "job_market",
    }
    assert CandidateConsent.objects.get(candidate=grace, purpose="job_offers").frequency == (
        "monthly"
    )
    assert ConsentEvent.objects.filter(candidate=grace, source=Source.OPTIN_LINK).count() == 5

    page.goto(links.unsubscribe_url(grace, topic="events"))
    expect(page.get_by_text("Stop receiving event invitations?")).to_be_visible()
    page.get_by_role("button", name="Unsubscribe", exact=True).click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    site.world.activate()
    assert "events" not in active_purposes(grace)
    assert "job_offers" in active_purposes(grace)

    page.goto(links.preferences_url(grace))
    expect(page.get_by_label("Event invitations")).not_to_be_checked()
    expect(page.get_by_label("Job offers")).to_be_checked()
    assert site.foreign_requests() == []


def test_one_click_unsubscribe_post_works_without_cookies(site, browser, settings):
    _point_links_at(site, settings)
    site.world.activate()
    ada, _ = candidate_upsert(email="ada@example.com", actor=None, source="test", first_name="Ada")
    consent_change(
        candidate=ada, source=Source.OPTIN_LINK, grant={"job_offers": None, "events": None}
    )
    url = links.unsubscribe_url(ada, topic="job_offers")
    # What a mail client does: a bare POST, no cookies, no CSRF token, no page visited first.
    context = browser.new_context()
    try:
        mail_client = context.new_page()
        mail_client.goto(site.url("/healthz"))
        status = mail_client.evaluate(
            """async (url) => {
                const response = await fetch(url, {
                    method: "POST",
                    credentials: "omit",
                    headers: {"Content-Type": "application/x-www-form-urlencoded"},
                    body: "List-Unsubscribe=One-Click",
                });
                return response.status;
            }""",
            url,
        )
        assert context.cookies() == []
    finally:
        context.close()
    assert status == 200
    site.world.activate()
    assert active_purposes(ada) == {"events"}
