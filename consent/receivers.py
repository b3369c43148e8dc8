"""What consent hears from other apps: tenant provisioning, mailing's complaints, unsubscribes and
clicks, and candidate merges."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from candidates.events import candidates_changed, candidates_merged
from candidates.models import Candidate
from consent.models import (
    CandidateConsent,
    ConsentEvent,
    ConsentProfile,
    DataRequest,
    Purpose,
    Registration,
    Source,
)
from consent.services import (
    consent_change,
    consent_defaults_install,
    engagement_record,
    nurture_withdraw_all,
)
from mailing.events import message_status_changed, recipient_complained, recipient_unsubscribed
from mailing.models import Message, MessageStatus
from tenants.events import tenant_provisioned


@receiver(tenant_provisioned, dispatch_uid="consent.defaults")
def install_defaults(**_: Any) -> None:
    consent_defaults_install()


def _live_candidate(message: Message) -> Candidate | None:
    candidate = message.candidate
    while candidate is not None and candidate.merged_into_id:
        candidate = candidate.merged_into
    if candidate is None or candidate.anonymised_at is not None:
        return None
    return candidate


@receiver(recipient_complained, dispatch_uid="consent.complaint")
def withdraw_on_complaint(*, message: Message, **_: Any) -> None:
    candidate = _live_candidate(message)
    if candidate is not None:
        nurture_withdraw_all(
            candidate=candidate, source=Source.COMPLAINT, reason=f"Complaint on {message.ref}"
        )


@receiver(recipient_unsubscribed, dispatch_uid="consent.esp_unsubscribe")
def withdraw_on_unsubscribe(*, message: Message, topic: str | None = None, **_: Any) -> None:
    candidate = _live_candidate(message)
    if candidate is None:
        return
    if topic and topic in Purpose.values:
        consent_change(
            candidate=candidate,
            source=Source.UNSUBSCRIBE,
            withdraw=[topic],
            reason=f"Unsubscribed through the email provider ({message.ref})",
            engaged=False,
        )
    else:
        nurture_withdraw_all(
            candidate=candidate,
            source=Source.UNSUBSCRIBE,
            reason=f"Unsubscribed through the email provider ({message.ref})",
        )


@receiver(message_status_changed, dispatch_uid="consent.engagement")
def engagement_on_click(*, message: Message, status: str, **_: Any) -> None:
    # A click is real engagement; an open is not (automated previews open emails too).
    if status != MessageStatus.CLICKED:
        return
    candidate = _live_candidate(message)
    if candidate is not None:
        with transaction.atomic():
            engagement_record(candidate=candidate)


@receiver(candidates_changed, dispatch_uid="consent.application_engagement")
def engagement_on_application(*, candidate_ids: list[int], reason: str, **_: Any) -> None:
    # Applying again is the strongest sign of interest: it restarts the consent clock.
    if reason != "application":
        return
    with transaction.atomic():
        for candidate in Candidate.objects.filter(
            pk__in=candidate_ids, consent_profile__isnull=False
        ).select_related("consent_profile"):
            engagement_record(candidate=candidate)


@receiver(candidates_merged, dispatch_uid="consent.merge")
def repoint_on_merge(*, kept: Candidate, merged: Candidate, **_: Any) -> None:
    """Runs inside the merge transaction: the ledger follows the person. For each purpose the
    most recent decision of either record wins."""
    ConsentEvent.objects.filter(candidate=merged).update(candidate=kept)
    DataRequest.objects.filter(candidate=merged).update(candidate=kept)
    Registration.objects.filter(candidate=merged).update(candidate=kept)
    mine = {c.purpose: c for c in CandidateConsent.objects.filter(candidate=kept)}
    for theirs in CandidateConsent.objects.filter(candidate=merged):
        current = mine.get(theirs.purpose)
        if current is None or theirs.changed_at > current.changed_at:
            if current is not None:
                current.delete()
            theirs.candidate = kept
            theirs.save(update_fields=["candidate"])
        else:
            theirs.delete()
    kept_profile = ConsentProfile.objects.filter(candidate=kept).first()
    merged_profile = ConsentProfile.objects.filter(candidate=merged).first()
    if merged_profile is not None:
        if kept_profile is None:
            # The stub keeps a profile of its own so links sent to it still resolve.
            ConsentProfile.objects.create(
                candidate=kept,
                last_engagement_at=merged_profile.last_engagement_at,
                expires_at=merged_profile.expires_at,
                renewal_sent_at=merged_profile.renewal_sent_at,
            )
        elif merged_profile.last_engagement_at > kept_profile.last_engagement_at:
            engagement_record(candidate=kept, at=merged_profile.last_engagement_at)
