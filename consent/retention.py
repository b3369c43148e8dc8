"""Daily retention for one tenant (GDPR storage limitation), run by consent.tasks.

1. Renewal emails before consent lapses (and a grace period if one was never sent).
2. Consent that lapsed without renewal is recorded as expired.
3. Candidates without talent-pool consent are anonymised N months after their last application
   (the erasure walks the personal-data registry).
4. Unconfirmed registrations are deleted after a week.
5. Every app's own storage limits, registered with the personal-data registry (import files,
   prepared copies of people's data...).
Every step is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.services import audit_log_record
from candidates.models import Application, Candidate, Outcome
from consent.erasure import candidates_erase
from consent.models import CandidateConsent, ConsentProfile, Purpose, Registration, Source
from consent.notifications import renewal_send
from consent.selectors import policy_get
from consent.services import consent_change, expiry_for, months_delta
from tenants.privacy import registered

UNCONFIRMED_REGISTRATION_DAYS = 7
BATCH = 200
# People erased per transaction, sharing one sweep of the schema's free text.
ERASE_CHUNK = 50


@dataclass
class RetentionReport:
    renewals_sent: int = 0
    consents_expired: int = 0
    anonymised: int = 0
    registrations_deleted: int = 0
    # What each app's registered retention did ({"import_files_deleted": 2, ...}).
    apps: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "renewals_sent": self.renewals_sent,
            "consents_expired": self.consents_expired,
            "anonymised": self.anonymised,
            "registrations_deleted": self.registrations_deleted,
            **self.apps,
        }


def _granted(candidate_id: int) -> list[str]:
    return list(
        CandidateConsent.objects.filter(candidate_id=candidate_id, granted=True).values_list(
            "purpose", flat=True
        )
    )


def _has_granted() -> Exists:
    return Exists(CandidateConsent.objects.filter(candidate=OuterRef("candidate"), granted=True))


def _renewals(now: datetime, report: RetentionReport) -> None:
    policy = policy_get()
    due = (
        ConsentProfile.objects.filter(
            _has_granted(),
            expires_at__lte=now + timedelta(days=policy.renewal_notice_days),
            renewal_sent_at__isnull=True,
            candidate__anonymised_at__isnull=True,
            candidate__merged_into__isnull=True,
        )
        .select_related("candidate")
        .order_by("pk")[:BATCH]
    )
    for profile in due:
        with transaction.atomic():
            profile.renewal_sent_at = now
            profile.expires_at = expiry_for(
                last_engagement_at=profile.last_engagement_at, renewal_sent_at=now, policy=policy
            )
            profile.save(update_fields=["renewal_sent_at", "expires_at"])
            renewal_send(candidate=profile.candidate, expires_at=profile.expires_at)
            audit_log_record(
                actor=None,
                action="consent.renewal_sent",
                target=f"candidate:{profile.candidate_id}",
                details={"expires_at": profile.expires_at.isoformat()},
            )
        report.renewals_sent += 1


def _expiries(now: datetime, report: RetentionReport) -> None:
    lapsed = (
        ConsentProfile.objects.filter(
            _has_granted(),
            expires_at__lte=now,
            # Never lapse without having asked: those without a renewal email get one first.
            renewal_sent_at__isnull=False,
            candidate__anonymised_at__isnull=True,
        )
        .select_related("candidate")
        .order_by("pk")[:BATCH]
    )
    for profile in lapsed:
        with transaction.atomic():
            purposes = _granted(profile.candidate_id)
            consent_change(
                candidate=profile.candidate,
                source=Source.EXPIRY,
                expire=purposes,
                engaged=False,
                reason="no engagement since "
                f"{timezone.localtime(profile.last_engagement_at):%Y-%m-%d}",
                at=now,
            )
            audit_log_record(
                actor=None,
                action="consent.expired",
                target=f"candidate:{profile.candidate_id}",
                details={"purposes": purposes},
            )
        report.consents_expired += 1


def retention_candidates(now: datetime) -> list[int]:
    """Ids of candidates due for anonymisation: no active talent-pool consent, no open
    application, and the last application (or the record's creation) older than the policy."""
    cutoff = now - months_delta(policy_get().retention_months)
    pool = CandidateConsent.objects.active(now).filter(
        candidate=OuterRef("pk"), purpose=Purpose.TALENT_POOL
    )
    open_application = Application.objects.filter(candidate=OuterRef("pk"), outcome=Outcome.ACTIVE)
    return list(
        Candidate.objects.filter(anonymised_at__isnull=True, merged_into__isnull=True)
        .exclude(Exists(pool))
        .exclude(Exists(open_application))
        .annotate(
            last_seen=Greatest(
                Coalesce(Max("applications__applied_at"), "created_at"),
                Coalesce(Max("applications__outcome_at"), "created_at"),
            )
        )
        .filter(last_seen__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def _anonymise(now: datetime, report: RetentionReport) -> None:
    months = policy_get().retention_months
    due = retention_candidates(now)
    for start in range(0, len(due), ERASE_CHUNK):
        report.anonymised += candidates_erase(
            candidates=Candidate.objects.filter(pk__in=due[start : start + ERASE_CHUNK]),
            actor=None,
            reason=f"retention: {months} months without consent",
        )


def _registrations(now: datetime, report: RetentionReport) -> None:
    stale = Registration.objects.filter(
        Q(confirmed_at__isnull=True),
        created_at__lt=now - timedelta(days=UNCONFIRMED_REGISTRATION_DAYS),
    )
    for registration in stale:
        if registration.cv:
            registration.cv.delete(save=False)
        registration.delete()
        report.registrations_deleted += 1


def _apps(now: datetime, report: RetentionReport) -> None:
    for app in registered():
        if app.retention is None:
            continue
        with transaction.atomic():
            done = {k: v for k, v in app.retention(now).items() if v}
            if done:
                audit_log_record(
                    actor=None, action="privacy.retention", target=app.app_label, details=done
                )
        for key, value in done.items():
            report.apps[key] = report.apps.get(key, 0) + value


def retention_run(*, now: datetime | None = None) -> RetentionReport:
    now = now or timezone.now()
    report = RetentionReport()
    _renewals(now, report)
    _expiries(now, report)
    _anonymise(now, report)
    _registrations(now, report)
    if report.registrations_deleted:
        audit_log_record(
            actor=None,
            action="consent.registrations_purged",
            details={"count": report.registrations_deleted},
        )
    _apps(now, report)
    return report
