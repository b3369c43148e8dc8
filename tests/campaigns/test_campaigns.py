from __future__ import annotations

import base64
import json

import pytest
import time_machine
from django.core import mail
from django.db import connection

from accounts.models import AuditLog
from campaigns.models import Campaign, CampaignStatus, ContentItem
from campaigns.selectors import campaign_stats
from campaigns.services import (
    CampaignError,
    campaign_audience,
    campaign_cancel,
    campaign_create,
    campaign_schedule,
    campaign_send_due,
    campaigns_send_scheduled,
)
from candidates.pipeline import application_create, application_outcome_set
from consent.models import Source
from consent.services import consent_grant
from mailing.dispatch import outbox_dispatch
from mailing.models import Message, MessageStatus
from pools.models import PoolKind
from pools.services import pool_save
from tests.campaigns.helpers import content_item, make_candidate, open_position, paris

EVENTS = "events"
WEBHOOK = "/mail/webhooks/anymail/postmark/tracking/"
AUTH = "Basic " + base64.b64encode(b"dev-webhook-user:dev-webhook-password").decode()


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):  # type: ignore[no-untyped-def]
    settings.MAILING_RATE_PER_TENANT = 0
    settings.MAILING_RATE_GLOBAL = 0


def _event_item() -> ContentItem:
    return content_item(
        EVENTS,
        "Data meetup",
        event_starts_at=paris(2026, 12, 10, 18, 30),
        event_place="Lyon",
        registration_url="https://example.com/register",
        summary="Talks <b>and</b> pizza",
    )


def _analysts_pool(world):  # type: ignore[no-untyped-def]
    return pool_save(
        actor=world.hr_admin,
        name="Data analysts",
        kind=PoolKind.SMART,
        criteria={"profession": "Data analyst"},
    )


def test_campaign_to_an_empty_pool_is_refused_with_a_clear_message(tenant_a):
    empty = pool_save(actor=tenant_a.hr_admin, name="Nobody yet", kind=PoolKind.STATIC)
    campaign = campaign_create(
        name="Meetup", subject="Join us", item=_event_item(), pool=empty, actor=tenant_a.hr_admin
    )
    with pytest.raises(CampaignError, match="has no members"):
        campaign_schedule(campaign=campaign, at=None, actor=tenant_a.hr_admin)
    response = tenant_a.client(tenant_a.hr_admin).post(
        f"/campaigns/{campaign.pk}/action/", {"action": "schedule"}, follow=True
    )
    assert "has no members: nobody would receive this" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_pool_without_consent_for_the_topic_is_refused(tenant_a):
    make_candidate("nope@example.com", profession="Data analyst", topics={"job_offers": None})
    campaign = campaign_create(
        name="Meetup",
        subject="Join us",
        item=_event_item(),
        pool=_analysts_pool(tenant_a),
        actor=tenant_a.hr_admin,
    )
    assert campaign_audience(campaign).members == 1
    assert campaign_audience(campaign).contactable == 0
    with pytest.raises(
        CampaignError, match="agreed to receive event invitations: nobody would receive this"
    ):
        campaign_schedule(campaign=campaign, at=None, actor=tenant_a.hr_admin)


def test_audience_preview_and_test_send_over_http(tenant_a):
    make_candidate("ana@example.com", profession="Data analyst", topics={EVENTS: None})
    make_candidate("bo@example.com", profession="Data analyst")
    pool = _analysts_pool(tenant_a)
    client = tenant_a.client(tenant_a.hr_admin)
    item = _event_item()
    response = client.post(
        "/campaigns/new/",
        {
            "name": "Meetup",
            "subject": "{{ first_name }}, join us",
            "item": item.pk,
            "pool": pool.pk,
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "<strong>2</strong> in the pool, <strong>1</strong> contactable" in page
    preview = client.get(f"/campaigns/{campaign.pk}/preview/")
    assert b"Data meetup" in preview.content
    assert b"Talks &lt;b&gt;and&lt;/b&gt; pizza" in preview.content
    assert "sandbox" in preview["Content-Security-Policy"]
    client.post(f"/campaigns/{campaign.pk}/action/", {"action": "test"})
    test_message = Message.objects.get(to_email=tenant_a.hr_admin.email)
    assert test_message.subject == "[Test] Alex, join us"
    assert test_message.kind == "transactional"


def test_unknown_merge_tag_in_campaign_subject_is_refused(tenant_a):
    pool = _analysts_pool(tenant_a)
    response = tenant_a.client(tenant_a.hr_admin).post(
        "/campaigns/new/",
        {
            "name": "x",
            "subject": "{{ settings.SECRET_KEY }}",
            "item": _event_item().pk,
            "pool": pool.pk,
        },
    )
    assert response.status_code == 200
    assert "Malformed merge tags" in response.content.decode()
    assert not Campaign.objects.exists()


def test_scheduled_campaign_waits_then_sends_once(tenant_a):
    with time_machine.travel(paris(2026, 11, 2, 9, 0), tick=False) as traveller:
        ana = make_candidate("ana@example.com", profession="Data analyst", topics={EVENTS: None})
        campaign = campaign_create(
            name="Meetup",
            subject="Join us",
            item=_event_item(),
            pool=_analysts_pool(tenant_a),
            actor=tenant_a.hr_admin,
        )
        campaign_schedule(campaign=campaign, at=paris(2026, 11, 3, 10, 0), actor=tenant_a.hr_admin)
        assert campaigns_send_scheduled() == 0
        traveller.move_to(paris(2026, 11, 3, 10, 1))
        assert campaigns_send_scheduled() == 1
        assert campaigns_send_scheduled() == 0
        assert campaign_send_due(campaign_id=campaign.pk) == 0
    message = Message.objects.get(candidate=ana)
    assert message.send_key == f"campaign:{campaign.pk}:{ana.pk}"
    assert AuditLog.objects.filter(action="campaigns.campaign_scheduled").exists()


def test_cancelling_a_scheduled_campaign_sends_nothing(tenant_a):
    make_candidate("ana@example.com", profession="Data analyst", topics={EVENTS: None})
    campaign = campaign_create(
        name="Meetup",
        subject="Join us",
        item=_event_item(),
        pool=_analysts_pool(tenant_a),
        actor=tenant_a.hr_admin,
    )
    campaign_schedule(campaign=campaign, at=paris(2030, 1, 1, 10, 0), actor=tenant_a.hr_admin)
    campaign_cancel(campaign=campaign, actor=tenant_a.hr_admin)
    assert campaign_send_due(campaign_id=campaign.pk) == 0
    assert not Message.objects.exists()


def _webhook(world, message, record_type, **extra):  # type: ignore[no-untyped-def]
    payload = {
        "RecordType": record_type,
        "MessageID": message.esp_message_id,
        "Recipient": message.to_email,
        "Email": message.to_email,
        "DeliveredAt": "2026-11-25T19:00:00Z",
        "ReceivedAt": "2026-11-25T19:01:00Z",
        "BouncedAt": "2026-11-25T19:00:30Z",
        "Metadata": {"schema": connection.schema_name, "message_id": str(message.pk)},
        **extra,
    }
    response = world.client().post(
        WEBHOOK,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 200


def test_campaign_stats_come_from_webhook_events_and_applications(
    tenant_a, django_capture_on_commit_callbacks
):
    people = [
        make_candidate(f"p{i}@example.com", profession="Data analyst", topics={EVENTS: None})
        for i in range(4)
    ]
    for person in people[:2]:
        consent_grant(candidate=person, purpose="tracking", source=Source.OPTIN_LINK)
    campaign = campaign_create(
        name="Meetup",
        subject="Join us",
        item=_event_item(),
        pool=_analysts_pool(tenant_a),
        actor=tenant_a.hr_admin,
    )
    campaign_schedule(campaign=campaign, at=None, actor=tenant_a.hr_admin)
    assert campaign_send_due(campaign_id=campaign.pk) == 4
    outbox_dispatch(budget_seconds=30)
    assert len(mail.outbox) == 4
    by_person = {m.candidate_id: m for m in Message.objects.filter(kind=EVENTS)}
    first, second, third, fourth = (by_person[p.pk] for p in people)
    for message in (first, second, third):
        _webhook(tenant_a, message, "Delivery")
    _webhook(tenant_a, first, "Open", ID="o1", FirstOpen=True, ReceivedAt="2026-11-25T19:02:00Z")
    _webhook(
        tenant_a,
        first,
        "Click",
        ID="c1",
        OriginalLink="https://example.com/register",
        ReceivedAt="2026-11-25T19:03:00Z",
    )
    with django_capture_on_commit_callbacks(execute=True):
        _webhook(tenant_a, third, "SpamComplaint", ID=99)

    position = open_position("Data analyst")
    application, _ = application_create(
        candidate=people[1], position=position, actor=None, source="talent pool"
    )
    application_outcome_set(application=application, outcome="hired", actor=None)

    stats = campaign_stats(campaign)
    assert stats.recipients == 4
    assert stats.sent == 4
    assert stats.delivered == 3
    assert stats.opened == 1 and stats.clicked == 1
    assert stats.complaints == 1
    assert stats.unsubscribed == 1  # a complaint withdraws consent
    assert stats.reapplied == 1 and stats.hired == 1
    assert fourth.status == MessageStatus.SENT
    page = tenant_a.client(tenant_a.hr_admin).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page
    assert '<th scope="row">Complaints</th><td>1</td>' in page
