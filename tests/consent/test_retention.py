"""Daily retention: renewal emails, expiry with a grace period, anonymisation, purges."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditLog
from candidates.models import Candidate, Outcome, Position
from candidates.pipeline import application_create, application_outcome_set
from consent.models import Action, ConsentEvent, Purpose, Registration, Source
from consent.retention import retention_run
from consent.selectors import active_purposes
from consent.services import consent_change, policy_update
from consent.tasks import retention_run_task
from mailing.models import Message
from tests.consent.conftest import person

DAY = timedelta(days=1)


def _grant(candidate: Candidate, *purposes: str) -> None:
    consent_change(candidate=candidate, source=Source.OPTIN_LINK, grant=dict.fromkeys(purposes))


def _renewals(candidate: Candidate) -> int:
    return Message.objects.filter(candidate=candidate, subject__startswith="Do you want").count()


def test_renewal_email_before_expiry_then_expiry_without_engagement(tenant_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ada = person()
        _grant(ada, Purpose.TALENT_POOL, "events")
        clock.shift(690 * DAY)
        assert retention_run().renewals_sent == 0
        clock.shift(12 * DAY)  # 28 days before the 730-day expiry
        assert retention_run().renewals_sent == 1
        assert _renewals(ada) == 1
        assert "/c/o/" in Message.objects.get(candidate=ada).text
        assert retention_run().renewals_sent == 0  # once only
        clock.shift(27 * DAY)
        assert retention_run().consents_expired == 0
        assert "events" in active_purposes(ada)
        clock.shift(2 * DAY)
        report = retention_run()
    assert report.consents_expired == 1
    assert active_purposes(ada) == set()
    expired = ConsentEvent.objects.filter(candidate=ada, action=Action.EXPIRED)
    assert set(expired.values_list("purpose", flat=True)) == {Purpose.TALENT_POOL, "events"}
    assert set(expired.values_list("source", flat=True)) == {Source.EXPIRY}
    assert AuditLog.objects.filter(action="consent.renewal_sent").exists()
    assert AuditLog.objects.filter(action="consent.expired").exists()


def test_engagement_restarts_the_clock(tenant_a, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ada = person()
        _grant(ada, Purpose.TALENT_POOL)
        clock.shift(600 * DAY)
        # Applying again is real engagement (candidates announces it after commit).
        with django_capture_on_commit_callbacks(execute=True):
            application_create(
                candidate=ada, position=Position.objects.create(title="Designer"), actor=None
            )
        clock.shift(200 * DAY)
        report = retention_run()
    assert report.renewals_sent == 0 and report.consents_expired == 0
    assert active_purposes(ada) == {Purpose.TALENT_POOL}


def test_shortened_expiry_asks_first_and_keeps_a_grace_period(tenant_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ada = person()
        _grant(ada, "job_offers")
        clock.shift(300 * DAY)
        policy_update(actor=tenant_a.hr_admin, consent_expiry_months=6, grace_days=14)
        # Already past the new expiry, but nobody was asked: a renewal email, no expiry yet.
        report = retention_run()
        assert (report.renewals_sent, report.consents_expired) == (1, 0)
        assert "job_offers" in active_purposes(ada)
        clock.shift(15 * DAY)
        assert retention_run().consents_expired == 1
    assert active_purposes(ada) == set()


def test_candidates_without_pool_consent_are_anonymised_after_the_retention_period(tenant_a):
    start = timezone.now()
    position = Position.objects.create(title="Analyst")
    with time_machine.travel(start - 25 * 30 * DAY, tick=False):
        old = person(first_name="Old")
        kept = person(first_name="Kept")
        busy = person(first_name="Busy")
        for candidate in (old, kept, busy):
            application, _ = application_create(candidate=candidate, position=position, actor=None)
            if candidate is not busy:
                application_outcome_set(
                    application=application, outcome=Outcome.REJECTED, actor=None
                )
    with time_machine.travel(start - 10 * 30 * DAY, tick=False):
        recent = person(first_name="Recent")
        application_create(candidate=recent, position=position, actor=None)
        application_outcome_set(
            application=recent.applications.get(), outcome=Outcome.REJECTED, actor=None
        )
    _grant(kept, Purpose.TALENT_POOL)

    report = retention_run()
    assert report.anonymised == 1
    anonymised = set(
        Candidate.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)
    )
    assert anonymised == {old.pk}
    assert AuditLog.objects.get(action="candidate.erased").details["reason"].startswith("retention")

    # A German tenant keeps data six months only.
    policy_update(actor=tenant_a.hr_admin, retention_months=6)
    assert retention_run().anonymised == 1
    assert Candidate.objects.get(pk=recent.pk).anonymised_at is not None


def test_unconfirmed_registrations_are_deleted_after_a_week(tenant_a):
    Registration.objects.create(email="old@example.com", created_at=timezone.now() - 8 * DAY)
    Registration.objects.create(email="new@example.com")
    assert retention_run().registrations_deleted == 1
    assert list(Registration.objects.values_list("email", flat=True)) == ["new@example.com"]


def test_retention_task_runs_in_the_tenant_and_is_scheduled_daily(tenant_a):
    Registration.objects.create(email="old@example.com", created_at=timezone.now() - 8 * DAY)
    result = retention_run_task.apply().get()
    assert result["registrations_deleted"] == 1
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["consent.tasks.retention_dispatch_task"]["schedule"] == 24 * 3600


def test_clicks_restart_the_clock_but_opens_do_not(tenant_a):
    from consent.models import ConsentProfile
    from mailing.events import message_status_changed
    from mailing.kinds import MessageKind
    from mailing.models import MessageStatus
    from mailing.services import message_enqueue

    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ada = person()
        _grant(ada, Purpose.TALENT_POOL)
        message = message_enqueue(
            send_key="retention:click",
            kind=MessageKind.TRANSACTIONAL,
            to_email=ada.email,
            subject="Hi",
            html="<p>Hi</p>",
            text="Hi",
            candidate=ada,
        )
        clock.shift(600 * DAY)
        message_status_changed.send(sender=Message, message=message, status=MessageStatus.OPENED)
        assert ConsentProfile.objects.get(candidate=ada).last_engagement_at == start
        message_status_changed.send(sender=Message, message=message, status=MessageStatus.CLICKED)
        assert ConsentProfile.objects.get(candidate=ada).last_engagement_at == timezone.now()
