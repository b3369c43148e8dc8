"""Public registration: double opt-in, spam resistance without third parties, CV validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from candidates.models import Candidate
from consent.models import ConsentEvent, Purpose, Registration, Source
from consent.selectors import active_purposes
from mailing.models import Message
from tests.consent.conftest import path_of

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    cache.clear()  # this test run's own Redis database
    yield
    cache.clear()


def _fill(client, url: str = "/c/join/", **fields):  # type: ignore[no-untyped-def]
    """GET the form, wait like a person would, POST it back."""
    ip = fields.pop("ip", "198.51.100.7")
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "",
        "city": "Arlington",
        "profession": "Engineer",
        "stamp": form.fields["stamp"].initial,
        "website": "",
        "job_offers": "on",
        "job_offers_frequency": "weekly",
        "events": "on",
        "events_frequency": "quarterly",
        "company_news": "on",
        "company_news_frequency": "monthly",
    }
    for purpose, text in page.context["choices"].texts.items():
        data[f"text_{purpose}"] = str(text.pk)
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        return client.post(url, data, REMOTE_ADDR=ip)


def _confirm_url() -> str:
    message = Message.objects.order_by("-pk").first()
    assert message is not None
    start = message.text.index("/c/join/confirm/")
    return message.text[start:].split()[0].rstrip(">)")


def test_registration_waits_for_the_emailed_confirmation(tenant_a):
    client = tenant_a.client()
    response = _fill(client, cv=SimpleUploadedFile("cv.pdf", PDF, "application/pdf"))
    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    registration = Registration.objects.get()
    assert registration.cv and registration.cv.name.startswith("consent/registrations/")
    assert not Candidate.objects.filter(email="grace@example.com").exists()
    confirmation = Message.objects.get(to_email="grace@example.com")
    assert confirmation.kind == "transactional"

    url = _confirm_url()
    page = client.get(url)
    assert b"Confirm my registration" in page.content
    assert not Candidate.objects.filter(email="grace@example.com").exists()
    done = client.post(url)
    assert b"Your registration is confirmed." in done.content
    grace = Candidate.objects.get(email="grace@example.com")
    assert grace.city == "Arlington"
    assert active_purposes(grace) == {
        Purpose.TALENT_POOL,
        "job_offers",
        "events",
        "company_news",
    }
    pool = ConsentEvent.objects.get(candidate=grace, purpose=Purpose.TALENT_POOL)
    assert pool.source == Source.REGISTRATION and pool.text is not None
    assert pool.ip_address == "127.0.0.1"
    # Clicking the link again changes nothing.
    count = ConsentEvent.objects.count()
    client.post(url)
    assert ConsentEvent.objects.count() == count
    registration.refresh_from_db()
    assert "first_name" not in registration.data  # the profile now lives on the candidate


def test_newsletter_variant_grants_news_topics_only(tenant_a):
    client = tenant_a.client()
    response = _fill(client, "/c/newsletter/", job_offers=None, email="news@example.com")
    assert response.status_code == 200
    client.post(_confirm_url())
    reader = Candidate.objects.get(email="news@example.com")
    assert active_purposes(reader) == {"events", "company_news"}
    assert ConsentEvent.objects.filter(candidate=reader, source=Source.NEWSLETTER).exists()


def test_newsletter_readers_may_agree_to_pool_invitations(tenant_a):
    client = tenant_a.client()
    page = client.get("/c/newsletter/")
    assert page.context["choices"]["pool_invitation"].initial is False  # never pre-ticked
    _fill(client, "/c/newsletter/", email="invite@example.com", pool_invitation="on")
    client.post(_confirm_url())
    reader = Candidate.objects.get(email="invite@example.com")
    assert Purpose.POOL_INVITATION in active_purposes(reader)
    # The preference centre lets them take it back.
    from consent import links

    prefs = path_of(links.preferences_url(reader))
    assert b'name="pool_invitation"' in client.get(prefs).content
    client.post(prefs, {"events": "on", "company_news": "on", "job_market": "on"})
    assert Purpose.POOL_INVITATION not in active_purposes(reader)


def test_newsletter_without_any_topic_asks_for_one(tenant_a):
    response = _fill(
        tenant_a.client(), "/c/newsletter/", job_offers=None, events=None, company_news=None
    )
    assert response.status_code == 400
    assert b"Choose at least one topic to receive." in response.content
    assert not Registration.objects.exists()


def test_honeypot_and_forged_stamp_record_nothing(tenant_a):
    client = tenant_a.client()
    assert _fill(client, website="http://spam.example").status_code == 400
    assert _fill(client, stamp="forged").status_code == 400
    assert not Registration.objects.exists() and not Message.objects.exists()


def test_a_form_sent_back_too_fast_is_refused_with_a_clear_message(tenant_a):
    client = tenant_a.client()
    page = client.get("/c/join/")
    response = client.post(
        "/c/join/",
        {
            "first_name": "Bot",
            "email": "bot@example.com",
            "stamp": page.context["form"].fields["stamp"].initial,
        },
    )
    assert response.status_code == 400
    assert b"That was quick!" in response.content
    assert not Registration.objects.exists()


def test_bursts_from_one_address_are_rate_limited(tenant_a):
    client = tenant_a.client()
    statuses = [
        _fill(client, email=f"burst{n}@example.com", ip="198.51.100.99").status_code
        for n in range(7)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    assert Registration.objects.count() == 5
    # Another network is not affected.
    assert _fill(client, email="other@example.com", ip="198.51.100.100").status_code == 200


def test_one_address_gets_at_most_three_confirmation_emails_a_day(tenant_a):
    client = tenant_a.client()
    statuses = [
        _fill(client, email="victim@example.com", ip=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert Message.objects.filter(to_email="victim@example.com").count() == 3


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("cv.exe", b"MZ\x90\x00", "application/octet-stream"), b"as PDF, Word"),
        (SimpleUploadedFile("cv.pdf", b"<html>not a pdf", "application/pdf"), b"not a real PDF"),
        (
            SimpleUploadedFile("cv.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf"),
            b"larger than 5 MB",
        ),
    ],
)
def test_bad_cv_uploads_are_refused_and_nothing_is_kept(tenant_a, upload, message):
    response = _fill(tenant_a.client(), cv=upload)
    assert response.status_code == 400
    assert message in response.content
    assert not Registration.objects.exists() and not Message.objects.exists()


def test_expired_confirmation_link_gets_a_clear_page(tenant_a):
    client = tenant_a.client()
    _fill(client)
    url = _confirm_url()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(url)
    assert response.status_code == 410
    assert not Candidate.objects.filter(email="grace@example.com").exists()
    assert path_of(url).startswith("/c/join/confirm/")
