"""A recruiter rejects a final-interview candidate with reasons and a call note, previews the
email, sends it, finds it in Sent mail and follows its opt-in link to consent's page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect


def _final_interview_application():  # type: ignore[no-untyped-def]
    from candidates.models import Application, Candidate, Position, PositionStatus, Stage

    candidate = Candidate.objects.create(
        first_name="Maya", last_name="Lindqvist", email="maya@example.com"
    )
    position = Position.objects.create(title="Senior Data Analyst", status=PositionStatus.OPEN)
    stage = Stage.objects.get(slug="final-interview")
    return Application.objects.create(
        candidate=candidate, position=position, stage=stage, furthest_stage=stage
    )


def test_recruiter_rejects_with_personal_feedback_and_the_optin_link_works(
    site, page, settings, django_db_blocker
):
    # Links in emails point at the live server of this test.
    settings.SITE_PORT = str(urlsplit(site.base_url).port)
    with django_db_blocker.unblock():
        site.world.activate()
        application = _final_interview_application()

    site.login(page, site.world.recruiter)
    page.goto(site.url(f"/feedback/applications/{application.pk}/reject/"))
    expect(page.get_by_role("heading", name="Reject Maya Lindqvist")).to_be_visible()

    page.get_by_label("Skills gap").check()
    # htmx: what to write about next to the points, and the reason's tip added to the tips.
    expect(page.locator("#points-guidance")).to_contain_text("Which skills")
    tips = page.get_by_label("Tips for a next application")
    expect(tips).to_have_value(re.compile("Projects or training"))
    page.get_by_label("Personalised points").fill(
        "Your SQL case study was clear; the modelling part needed depth."
    )
    tips.fill(tips.input_value() + "\nPractise dimensional modelling.")

    page.get_by_text("Feedback call (optional)").click()
    page.get_by_label("I had a feedback call").check()
    called = timezone.localtime(timezone.now() - timedelta(hours=1))
    page.get_by_label("Call date").fill(called.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Duration (minutes)").fill("20")
    page.get_by_label("Internal note: what was said").fill("Seemed distracted; moving house.")
    page.get_by_label("Summary for the candidate").fill(
        "We walked through the case study together."
    )

    page.get_by_role("button", name="Preview email").click()
    preview = page.frame_locator("iframe[title='Email preview']")
    expect(preview.get_by_text("the modelling part needed depth", exact=False)).to_be_visible()
    expect(preview.get_by_text("We walked through the case study together.")).to_be_visible()
    expect(preview.get_by_text("moving house", exact=False)).to_have_count(0)
    # The preview says which part of the call goes to the candidate and which stays here.
    expect(page.locator(".call-preview")).to_contain_text("stays here: not in the email")

    page.get_by_role("button", name="Reject and send").click()
    expect(page.get_by_role("heading", name="Feedback for Maya Lindqvist")).to_be_visible()
    expect(page.get_by_text("Skills gap", exact=False).first).to_be_visible()

    page.goto(site.url("/mail/"))
    expect(page.get_by_role("heading", name="Sent mail")).to_be_visible()
    page.get_by_role("link", name=re.compile("Senior Data Analyst")).first.click()
    email = page.frame_locator("iframe[title='The email as the recipient sees it']")
    expect(email.get_by_text("the modelling part needed depth", exact=False)).to_be_visible()
    expect(email.get_by_text("Practise dimensional modelling.")).to_be_visible()
    expect(email.get_by_text("moving house", exact=False)).to_have_count(0)
    optin = email.get_by_role("link", name=re.compile("keep me informed"))
    href = optin.get_attribute("href")
    assert href and href.startswith(site.base_url + "/c/o/")

    page.goto(href)
    expect(page.get_by_role("heading", name="Stay in touch, Maya")).to_be_visible()
    assert site.foreign_requests() == []


def test_bulk_rejection_from_the_position_list(site, page, django_db_blocker):
    from candidates.models import Application, Candidate, Position, PositionStatus, Stage

    with django_db_blocker.unblock():
        site.world.activate()
        position = Position.objects.create(title="Junior Analyst", status=PositionStatus.OPEN)
        people = {}
        for name, slug in [("Ada", "applied"), ("Ben", "screening"), ("Cleo", "final-interview")]:
            stage = Stage.objects.get(slug=slug)
            people[name] = Application.objects.create(
                candidate=Candidate.objects.create(first_name=name, email=f"{name}@example.com"),
                position=position,
                stage=stage,
                furthest_stage=stage,
            )

    site.login(page, site.world.recruiter)
    page.goto(site.url(f"/candidates/positions/{position.pk}/"))
    for name in people:
        page.get_by_label(f"Select {name}").check()
    page.locator("[data-bulk-action='feedback.reject']").click()

    expect(page.get_by_role("heading", name="Reject 2 applications")).to_be_visible()
    needs_personal = page.locator("#needs-personal")
    expect(needs_personal).to_contain_text("Cleo")
    expect(needs_personal.get_by_role("link", name="Cleo")).to_be_visible()
    page.get_by_label("Position filled or closed").check()
    page.get_by_role("button", name="Reject 2 and send automatic emails").click()

    page.wait_for_url(site.url(f"/candidates/positions/{position.pk}/"))
    expect(page.get_by_text("2 applications rejected with the automatic email")).to_be_visible()
    with django_db_blocker.unblock():
        site.world.activate()
        outcomes = {
            a.candidate.first_name: a.outcome
            for a in Application.objects.filter(position=position).select_related("candidate")
        }
    assert outcomes == {"Ada": "rejected", "Ben": "rejected", "Cleo": "active"}
