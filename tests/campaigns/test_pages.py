from __future__ import annotations

from django.utils import timezone

from accounts.models import AuditLog
from campaigns.defaults import topics_install_defaults
from campaigns.models import ContentItem, NurtureSettings, TopicSchedule, TopicTemplate
from tests.campaigns.helpers import content_item


def test_a_recruiter_creates_an_event_and_bad_input_keeps_what_was_typed(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/campaigns/content/new/events/",
        {
            "title": "Open day",
            "publish_at": "2026-11-25T10:00",
            "event_starts_at": "2026-12-01T18:00",
        },
    )
    assert response.status_code == 200
    assert "An event needs a place or an online link." in response.content.decode()
    assert 'value="Open day"' in response.content.decode()
    assert not ContentItem.objects.exists()
    response = client.post(
        "/campaigns/content/new/events/",
        {
            "title": "Open day",
            "publish_at": "2026-11-25T10:00",
            "event_starts_at": "2026-12-01T18:00",
            "event_place": "Lyon HQ",
            "registration_url": "https://example.com/r",
        },
    )
    assert response.status_code == 302
    item = ContentItem.objects.get()
    # Entered in the tenant's time zone (Paris, UTC+1 in December).
    assert item.event_starts_at.astimezone(timezone.get_fixed_timezone(0)).hour == 17
    listing = client.get("/campaigns/content/").content.decode()
    assert "Open day" in listing and "Lyon HQ" in listing


def test_unknown_topic_is_not_found_and_items_are_per_tenant(tenant_a, tenant_b):
    client = tenant_a.client(tenant_a.recruiter)
    assert client.get("/campaigns/content/new/job_offers/").status_code == 404
    assert client.get("/campaigns/content/new/nonsense/").status_code == 404
    tenant_b.activate()
    other = content_item("company_news", "Beta news")
    tenant_a.activate()
    assert client.get(f"/campaigns/content/{other.pk}/").status_code == 404


def test_archiving_stops_an_item(tenant_a):
    item = content_item("company_news", "Old news")
    client = tenant_a.client(tenant_a.recruiter)
    client.post(f"/campaigns/content/{item.pk}/archive/")
    item.refresh_from_db()
    assert item.archived


def test_topics_page_is_for_hr_admins_and_validates_templates(tenant_a):
    assert tenant_a.client(tenant_a.recruiter).get("/campaigns/topics/").status_code == 403
    client = tenant_a.client(tenant_a.hr_admin)
    page = client.get("/campaigns/topics/").content.decode()
    assert "Job offers" in page and "Weekly to monthly" in page
    schedule = TopicSchedule.objects.get(topic="events")
    response = client.post(
        f"/campaigns/topics/{schedule.pk}/",
        {
            "form": "template",
            "language": "en",
            "subject": "Hi {{ first_name }}",
            "body": "{% debug %} {{ ''.__class__ }}",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Template code such as" in text and "Malformed merge tags" in text
    response = client.post(
        f"/campaigns/topics/{schedule.pk}/",
        {
            "form": "template",
            "language": "fr",
            "subject": "Bonjour {{ first_name }}",
            "body": "Bonjour {{ first_name }}, voici nos événements :\n\n{{ items }}",
        },
    )
    assert response.status_code == 302
    assert TopicTemplate.objects.filter(schedule=schedule, language="fr").exists()
    response = client.post(
        f"/campaigns/topics/{schedule.pk}/",
        {
            "form": "schedule",
            "enabled": "on",
            "send_weekdays": ["1", "3"],
            "send_hour_start": "17",
            "send_hour_end": "9",
            "priority": "5",
        },
    )
    assert "The send window must start before it ends." in response.content.decode()
    client.post(
        f"/campaigns/topics/{schedule.pk}/",
        {
            "form": "schedule",
            "enabled": "on",
            "send_weekdays": ["1", "3"],
            "send_hour_start": "8",
            "send_hour_end": "12",
            "priority": "5",
            "priority_tag": "young-talent",
        },
    )
    schedule.refresh_from_db()
    assert schedule.send_weekdays == [1, 3] and schedule.send_hour_end == 12


def test_nurture_rules_are_hr_configurable_and_audited(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    response = client.post(
        "/campaigns/topics/", {"first_lookback_days": "0", "invitation_interval_days": "90"}
    )
    assert response.status_code == 200
    assert NurtureSettings.load().first_lookback_days == 30
    client.post(
        "/campaigns/topics/", {"first_lookback_days": "14", "invitation_interval_days": "90"}
    )
    assert NurtureSettings.load().first_lookback_days == 14
    assert AuditLog.objects.filter(action="campaigns.nurture_rules_changed").exists()


def test_the_nurture_cap_is_one_setting_on_the_consent_settings(tenant_a):
    """The planner's page points to it; the consent settings hold it (the send gate enforces
    it, the planner pre-filters with the same function)."""
    client = tenant_a.client(tenant_a.hr_admin)
    page = client.get("/campaigns/topics/").content.decode()
    assert 'name="cap_days"' not in page and "nurture cap" in page
    assert 'name="policy-nurture_cap_days"' in client.get("/c/admin/settings/").content.decode()


def test_defaults_are_installed_once(tenant_a):
    before = TopicSchedule.objects.count(), TopicTemplate.objects.count()
    topics_install_defaults()
    assert (TopicSchedule.objects.count(), TopicTemplate.objects.count()) == before
    assert TopicSchedule.objects.get(topic="events").priority_tag == "young-talent"


def test_dashboard_panel_and_pages_render(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    assert "Nurture" in client.get("/").content.decode()
    for url in ["/campaigns/", "/campaigns/new/", "/campaigns/content/", "/campaigns/insights/"]:
        assert client.get(url).status_code == 200, url
