"""Recruiter and HR-admin side: consent pages, texts, settings, criteria, column, merge."""

from __future__ import annotations

import json

from accounts.models import AuditLog
from candidates.columns import list_columns
from candidates.criteria import CriteriaForm, apply_criteria, criteria_from_json
from candidates.models import Activity, ActivityKind, Candidate
from candidates.services import candidate_merge
from consent.exports import access_export_run
from consent.models import (
    AccessExport,
    CandidateConsent,
    ConsentEvent,
    ConsentText,
    Purpose,
    Source,
)
from consent.selectors import active_purposes
from consent.services import consent_grant, consent_withdraw
from tests.consent.conftest import person


def test_consent_home_for_recruiters_only(tenant_a):
    ada = person(first_name="Ada")
    consent_grant(candidate=ada, purpose="events", source=Source.OPTIN_LINK)
    response = tenant_a.client(tenant_a.recruiter).get("/c/")
    assert response.status_code == 200
    assert b"Active consents" in response.content and b"Ada" in response.content
    assert tenant_a.client().get("/c/").status_code == 302


def test_recruiter_records_consent_with_a_reason_and_it_shows_on_the_timeline(tenant_a):
    ada = person(first_name="Ada")
    client = tenant_a.client(tenant_a.recruiter)
    url = f"/c/candidate/{ada.pk}/"
    refused = client.post(url, {"action": "grant", "purposes": ["events"], "reason": ""})
    assert refused.status_code == 200
    assert not ConsentEvent.objects.filter(candidate=ada).exists()
    client.post(url, {"action": "grant", "purposes": ["events"], "reason": "By phone, 3 March"})
    event = ConsentEvent.objects.get(candidate=ada)
    assert (event.source, event.actor, event.reason) == (
        Source.RECRUITER,
        tenant_a.recruiter,
        "By phone, 3 March",
    )
    page = client.get(url)
    assert b"By phone, 3 March" in page.content and b"Granted" in page.content
    timeline = Activity.objects.filter(candidate=ada, kind=ActivityKind.CONSENT).get()
    assert timeline.summary == "Consent granted: Event invitations (monthly)"


def test_hr_admin_edits_a_text_as_a_new_version(tenant_a):
    admin = tenant_a.client(tenant_a.hr_admin)
    assert admin.get("/c/admin/texts/").status_code == 200
    first = ConsentText.objects.get(purpose="events", language="de", version=1)
    response = admin.post(
        "/c/admin/texts/events/de/", {"title": "Veranstaltungen", "body": "Neue Einladungen."}
    )
    assert response.status_code == 302
    latest = ConsentText.objects.filter(purpose="events", language="de").order_by("-version")[0]
    assert (latest.version, latest.title) == (2, "Veranstaltungen")
    first.refresh_from_db()
    assert first.title == "Einladungen zu Veranstaltungen"
    assert AuditLog.objects.filter(action="consent.text_published").exists()
    assert tenant_a.client(tenant_a.recruiter).get("/c/admin/texts/").status_code == 403
    assert admin.get("/c/admin/texts/nothing/en/").status_code == 404


def _settings_form(**overrides: str) -> dict[str, str]:
    data = {}
    ranges = {
        "job_offers": ("weekly", "monthly", "weekly"),
        "events": ("monthly", "quarterly", "monthly"),
        "testimonials": ("monthly", "quarterly", "monthly"),
        "company_news": ("monthly", "quarterly", "monthly"),
        "job_market": ("monthly", "quarterly", "monthly"),
    }
    for topic, (lo, hi, default) in ranges.items():
        data |= {
            f"{topic}-enabled": "on",
            f"{topic}-min_frequency": lo,
            f"{topic}-max_frequency": hi,
            f"{topic}-default_frequency": default,
        }
    data |= {
        "policy-retention_months": "24",
        "policy-consent_expiry_months": "24",
        "policy-renewal_notice_days": "30",
        "policy-grace_days": "14",
        "policy-nurture_cap_days": "3",
    }
    return data | overrides


def test_hr_admin_narrows_a_topic_range_and_existing_choices_follow(tenant_a):
    ada = person()
    consent_grant(candidate=ada, purpose="job_offers", source=Source.OPTIN_LINK)
    admin = tenant_a.client(tenant_a.hr_admin)
    response = admin.post(
        "/c/admin/settings/",
        _settings_form(
            **{
                "job_offers-min_frequency": "monthly",
                "job_offers-default_frequency": "monthly",
                "policy-retention_months": "6",
            }
        ),
    )
    assert response.status_code == 302
    assert CandidateConsent.objects.get(candidate=ada, purpose="job_offers").frequency == "monthly"
    assert AuditLog.objects.filter(action="consent.policy_updated").exists()


def test_default_outside_the_range_is_refused(tenant_a):
    admin = tenant_a.client(tenant_a.hr_admin)
    response = admin.post(
        "/c/admin/settings/", _settings_form(**{"events-default_frequency": "weekly"})
    )
    assert b"The default frequency must lie within the allowed range." in response.content
    assert not AuditLog.objects.filter(action="consent.policy_updated").exists()


def test_hr_admin_exports_and_erases_from_the_consent_page(tenant_a):
    ada = person(first_name="Ada", email="ada@example.com")
    admin = tenant_a.client(tenant_a.hr_admin)
    assert admin.post(f"/c/candidate/{ada.pk}/export/").status_code == 302
    export = AccessExport.objects.get(candidate=ada)
    page = admin.get(f"/c/candidate/{ada.pk}/")
    assert b"Waiting for the worker" in page.content and b"every 2s" in page.content
    access_export_run(export_id=export.pk)
    assert b"every 2s" not in admin.get(f"/c/candidate/{ada.pk}/exports/").content
    download = admin.get(f"/c/export/{export.pk}.json")
    assert json.loads(b"".join(download.streaming_content))["profile"]["email"] == (
        "ada@example.com"
    )
    assert AuditLog.objects.filter(action="candidate.export").exists()
    recruiter = tenant_a.client(tenant_a.recruiter)
    assert recruiter.get(f"/c/export/{export.pk}.json").status_code == 403
    assert recruiter.post(f"/c/candidate/{ada.pk}/export/").status_code == 403
    admin.post(f"/c/candidate/{ada.pk}/erase/", {"confirm": "yes"})
    assert Candidate.objects.get(pk=ada.pk).anonymised_at is None
    admin.post(f"/c/candidate/{ada.pk}/erase/", {"confirm": "ERASE"})
    assert Candidate.objects.get(pk=ada.pk).anonymised_at is not None


def test_criteria_contactable_and_pool_consent(tenant_a):
    ada, bob, eve = person(), person(), person()
    consent_grant(candidate=ada, purpose="events", source=Source.OPTIN_LINK)
    consent_grant(candidate=bob, purpose=Purpose.TALENT_POOL, source=Source.OPTIN_LINK)

    def matching(data: dict[str, str]) -> set[Candidate]:
        form = CriteriaForm(data)
        assert form.is_valid(), form.errors
        return set(apply_criteria(Candidate.objects.all(), form.active()))

    assert matching({"contactable": "events"}) == {ada}
    assert matching({"contactable": "any"}) == {ada}
    assert matching({"contactable": "none"}) == {bob, eve}
    assert matching({"consent_pool": "yes"}) == {bob}
    assert matching({"consent_pool": "no"}) == {ada, eve}
    # Saved smart pools reload the same criteria.
    assert criteria_from_json({"contactable": "events"}) == {"contactable": "events"}


def test_consent_column_on_the_candidate_list(tenant_a):
    ada = person()
    consent_grant(candidate=ada, purpose=Purpose.TALENT_POOL, source=Source.OPTIN_LINK)
    consent_grant(candidate=ada, purpose="events", source=Source.OPTIN_LINK)
    column = next(c for c in list_columns() if c.key == "consent")
    row = column.annotate(Candidate.objects.filter(pk=ada.pk)).get()
    assert column.render(row) == f'<a href="/c/candidate/{ada.pk}/">Pool · Emails</a>'


def test_merge_moves_the_ledger_and_keeps_the_latest_decision(tenant_a):
    kept, dup = person(), person()
    consent_grant(candidate=kept, purpose="events", source=Source.OPTIN_LINK)
    consent_grant(candidate=dup, purpose="job_offers", source=Source.OPTIN_LINK)
    consent_grant(candidate=dup, purpose="events", source=Source.OPTIN_LINK)
    consent_withdraw(candidate=dup, purpose="events", source=Source.UNSUBSCRIBE)
    candidate_merge(kept=kept, merged=dup, actor=tenant_a.hr_admin)
    assert ConsentEvent.objects.filter(candidate=dup).count() == 0
    assert ConsentEvent.objects.filter(candidate=kept).count() == 4
    # The duplicate's later "withdraw events" wins over the kept record's older grant.
    assert active_purposes(kept) == {"job_offers"}


def test_data_requests_panel_on_the_hr_dashboard(tenant_a):
    response = tenant_a.client(tenant_a.hr_admin).get("/")
    assert b"Data requests" in response.content


def test_defaults_install_is_idempotent(tenant_a):
    from consent.models import ConsentPolicy, TopicSetting
    from consent.services import consent_defaults_install

    texts, topics = ConsentText.objects.count(), TopicSetting.objects.count()
    assert texts == 8 * 4 and topics == 5
    consent_defaults_install()
    consent_defaults_install()
    assert (ConsentText.objects.count(), TopicSetting.objects.count()) == (texts, topics)
    assert ConsentPolicy.objects.count() == 1
    assert ConsentPolicy.objects.get().retention_months == 24
