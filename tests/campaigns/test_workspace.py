"""Campaign progress and rates, the nurture operations page (the preview writes nothing; "run
now" goes to the worker), the referral funnel, and the referrer on the candidate's profile."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import AuditLog
from campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus, TopicSchedule
from campaigns.operations import nurture_preview
from campaigns.selectors import CampaignStats, referral_funnel
from candidates.models import Application, Candidate
from candidates.pipeline import application_create, application_outcome_set
from mailing.models import Message
from pools.models import PoolKind
from pools.services import pool_save
from tests.campaigns.helpers import content_item, make_candidate, open_position
from tests.worker import wait_until


def _open_all_windows() -> None:
    TopicSchedule.objects.update(send_weekdays=list(range(7)), send_hour_start=0, send_hour_end=24)


def test_rates_sit_beside_counts():
    stats = CampaignStats(
        recipients=10,
        sent=10,
        delivered=8,
        opened=4,
        clicked=2,
        unsubscribed=1,
        complaints=0,
        bounced=2,
        refused=0,
        reapplied=1,
        hired=0,
    )
    rows = {label: (n, rate) for label, n, rate in stats.rated_rows()}
    assert rows["Delivered"] == (8, "80%")
    assert rows["Opened"] == (4, "50%") and rows["Clicked"] == (2, "25%")
    assert rows["Unsubscribed"] == (1, "12%") and rows["Bounced"] == (2, "20%")
    assert rows["Queued"] == (10, "")


def test_progress_polls_while_sending_then_reloads_once_and_offers_no_withdraw(tenant_a):
    candidate = make_candidate("ev@example.com", topics={"events": None})
    pool = pool_save(actor=tenant_a.hr_admin, name="P", kind=PoolKind.STATIC, criteria={})
    from pools.services import pool_members_add

    pool_members_add(actor=None, pool=pool, candidates=Candidate.objects.filter(pk=candidate.pk))
    campaign = Campaign.objects.create(
        name="C",
        subject="S",
        item=content_item("events", "Meetup"),
        pool=pool,
        pool_name="P",
        status=CampaignStatus.SENDING,
    )
    client = tenant_a.client(tenant_a.recruiter)
    partial = client.get(f"/campaigns/{campaign.pk}/progress/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in partial.content.decode()
    assert "HX-Refresh" not in partial
    from campaigns.services import campaign_send_due

    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)
    campaign.refresh_from_db()
    from django.utils import timezone

    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now())
    assert campaign_send_due(campaign_id=campaign.pk) == 1
    waiting = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Withdraw the emails not yet sent" in waiting  # one email still in the outbox
    Message.objects.update(status="delivered")
    done = client.get(f"/campaigns/{campaign.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and "every 2s" not in done.content.decode()
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Withdraw the emails not yet sent" not in page and 'id="campaign-stats"' in page


def test_nurture_preview_shows_who_gets_what_and_why_and_writes_nothing(tenant_a):
    _open_all_windows()
    make_candidate(
        "go@example.com", first_name="Gopher", skills=["Go"], topics={"job_offers": "weekly"}
    )
    make_candidate("no@example.com", first_name="Nobody", skills=["Go"])  # no consent
    open_position("Go developer", skills=["Go"])
    before = (Delivery.objects.count(), Message.objects.count())
    preview = nurture_preview()
    assert (Delivery.objects.count(), Message.objects.count()) == before
    jobs = next(row for row in preview.topics if row.topic == "job_offers")
    assert jobs.open and jobs.planned == 1 and jobs.held.consent >= 1
    [digest] = [d for d in preview.sample if d.topic_label == "Job offers"]
    assert digest.candidate.first_name == "Gopher"
    assert digest.matched_skills == ["Go"] and digest.positions[0][0] == "Go developer"
    page = tenant_a.client(tenant_a.hr_admin).get("/campaigns/nurture/").content.decode()
    assert "Gopher" in page and "Go developer" in page and "Held back: no consent" in page
    assert tenant_a.client(tenant_a.recruiter).get("/campaigns/nurture/").status_code == 403


def test_a_closed_window_previews_its_next_opening(tenant_a):
    TopicSchedule.objects.update(send_weekdays=[], send_hour_start=9, send_hour_end=10)
    TopicSchedule.objects.filter(topic="job_offers").update(send_weekdays=list(range(7)))
    preview = nurture_preview()
    jobs = next(row for row in preview.topics if row.topic == "job_offers")
    assert jobs.open  # the preview moved to the next time the job offers window is open
    assert preview.at.astimezone(preview.at.tzinfo).hour in (8, 9)  # 9:00 in Paris
    never = [row for row in preview.topics if row.topic != "job_offers"]
    assert never and all(not r.open and r.next_open is None for r in never)


@pytest.mark.worker
def test_run_now_enqueues_the_tenants_nurture_on_the_worker(committed_tenant, celery_worker):
    committed_tenant.activate()
    _open_all_windows()
    candidate = make_candidate("go@example.com", skills=["Go"], topics={"job_offers": "weekly"})
    open_position("Go developer", skills=["Go"])
    client = committed_tenant.client(committed_tenant.hr_admin)
    response = client.post("/campaigns/nurture/run/")
    assert response.status_code == 302
    committed_tenant.activate()
    assert AuditLog.objects.filter(action="campaigns.nurture_run_now").exists()
    assert wait_until(lambda: Message.objects.filter(candidate=candidate).exists(), timeout=60)
    assert Delivery.objects.filter(candidate=candidate, status=DeliveryStatus.QUEUED).exists()
    connection.set_schema_to_public()


def test_referral_funnel_and_the_referrer_on_both_profiles(tenant_a):
    ambassador = make_candidate("amb@example.com", first_name="Amb")
    position = open_position("SQL analyst")
    friends = [make_candidate(f"f{n}@example.com", first_name=f"Friend{n}") for n in range(2)]
    Candidate.objects.filter(pk__in=[p.pk for p in friends]).update(referred_by=ambassador)
    apps = [
        application_create(candidate=p, position=position, actor=None, source="referral")[0]
        for p in friends
    ]
    application_outcome_set(application=apps[0], outcome="hired", actor=None)
    Delivery.objects.create(
        candidate=ambassador,
        topic="job_offers",
        period="w1",
        status=DeliveryStatus.QUEUED,
        position_ids=[position.pk, position.pk + 1000],
    )
    funnel = referral_funnel()
    assert funnel.steps() == [
        ("Share links sent", 2),
        ("Referred applications", 2),
        ("Referred hires", 1),
    ]
    assert [(p, n, h) for p, n, h in funnel.ambassadors] == [(ambassador, 2, 1)]
    client = tenant_a.client(tenant_a.recruiter)
    friend_page = client.get(f"/candidates/{friends[0].pk}/").content.decode()
    assert 'id="referred-by"' in friend_page and "Amb" in friend_page
    assert "· Referral" in friend_page  # the application's source, in the one wording
    amb_page = client.get(f"/candidates/{ambassador.pk}/").content.decode()
    assert "Friend0" in amb_page and "Friend1" in amb_page
    insights = client.get("/campaigns/insights/").content.decode()
    assert "Referrals: shares, applications, hires" in insights and 'id="ambassadors"' in insights
    assert Application.objects.filter(source="referral").count() == 2


def test_a_digest_reapplication_reads_talent_pool_digest(tenant_a):
    person = make_candidate("re@example.com")
    position = open_position("Nurse")
    application_create(candidate=person, position=position, actor=None, source="re-apply link")
    page = tenant_a.client(tenant_a.recruiter).get(f"/candidates/{person.pk}/").content.decode()
    assert "Talent pool digest" in page and "re-apply link" not in page
