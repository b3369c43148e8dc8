"""A recruiter reads a sent email as the candidate sees it, in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mailing.kinds import MessageKind
from mailing.rendering import render_email
from mailing.services import message_enqueue

pytestmark = pytest.mark.e2e


def test_recruiter_opens_sent_mail_and_sees_the_rendered_email(site, page):
    site.world.activate()
    rendered = render_email(
        subject_source="Your application at {{ company_name }}",
        body_source="Hello **{{ first_name }}**,\n\nThank you for applying.",
        context={"first_name": "Ada <b>", "company_name": "Test Corp"},
        allowed_tags=("first_name", "company_name"),
    )
    message_enqueue(
        send_key="e2e:1",
        kind=MessageKind.TRANSACTIONAL,
        to_email="ada@example.com",
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
    )
    site.login(page, site.world.recruiter)
    page.get_by_role("link", name="All sent mail →").click()
    expect(page.get_by_role("heading", name="Sent mail")).to_be_visible()
    page.get_by_role("link", name="Your application at Test Corp").click()
    frame = page.frame_locator("iframe[title='The email as the recipient sees it']")
    expect(frame.get_by_text("Thank you for applying.")).to_be_visible()
    expect(frame.locator("strong")).to_have_text("Ada <b>")  # escaped, shown as text
    page.get_by_text("Text version").click()
    expect(page.locator("pre.email-text")).to_contain_text("Hello Ada <b>")
    assert site.foreign_requests() == []
