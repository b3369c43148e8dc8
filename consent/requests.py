"""Services for what candidates ask through the public pages: registration (double opt-in) and
data requests (a copy, or erasure), each confirmed by an emailed link before anything happens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_log_record
from candidates.models import Candidate
from candidates.services import candidate_upsert
from consent.erasure import candidate_erase
from consent.exports import access_export_start
from consent.models import (
    DATA_REQUEST_DEADLINE,
    ConsentText,
    DataRequest,
    Purpose,
    Registration,
    RequestKind,
    RequestStatus,
    Source,
)
from consent.notifications import registration_confirm_send, request_confirm_send
from consent.services import (
    ConsentError,
    Origin,
    Shown,
    consent_change,
    profile_language_set,
)
from tenants.public_forms import submission_limit

REGISTRATIONS_PER_IP_PER_HOUR = 5
# Nobody's inbox gets flooded with confirmation requests typed in by someone else.
REGISTRATIONS_PER_EMAIL_PER_DAY = 3
PROFILE_FIELDS = ("first_name", "last_name", "phone", "city", "profession")


@transaction.atomic
def registration_submit(
    *,
    profile: Mapping[str, str],
    email: str,
    grant: Mapping[str, str],
    shown: Shown,
    language: str,
    cv: UploadedFile | None,
    newsletter: bool,
    origin: Origin,
    page_language: str = "",
) -> Registration:
    """Keep the submission aside and email a confirmation link. Nothing enters the candidate
    base before the click (double opt-in), so a bot or a typo never creates a person.
    `language` is the one chosen on the form ("" = the company's); the confirmation email is
    in it, else in `page_language`, the one the form was read in."""
    email = email.strip().lower()
    submission_limit(
        form="register",
        ip=origin.ip,
        email=email,
        per_ip_per_hour=REGISTRATIONS_PER_IP_PER_HOUR,
        per_email_per_day=REGISTRATIONS_PER_EMAIL_PER_DAY,
    )
    data: dict[str, Any] = {k: (profile.get(k) or "").strip() for k in PROFILE_FIELDS}
    data.update(
        language=language,
        page_language=page_language,
        grant=dict(grant),
        # The form as shown, recorded as the consent capture when the link is clicked.
        offered={purpose: text.pk if text else None for purpose, text in shown.offered.items()},
        ticked=sorted(shown.ticked),
    )
    cv_name = (cv.name or "") if cv is not None else ""
    registration = Registration.objects.create(
        email=email,
        data=data,
        newsletter=newsletter,
        ip_address=origin.ip,
        user_agent=origin.user_agent,
        cv_name=cv_name[-200:],
    )
    if cv is not None:
        registration.cv.save(f"{registration.pk}-{cv_name[-80:]}", cv, save=True)
    registration_confirm_send(registration=registration)
    return registration


def _shown(data: Mapping[str, Any]) -> Shown:
    if "offered" not in data:
        # Submitted on the old form, whose topics were ticked in advance: only joining the
        # pool (that page's own button) was an act of the person.
        offered = dict(data.get("texts", {}))
        ticked = {Purpose.TALENT_POOL} & set(data.get("grant", {}))
    else:
        offered = data["offered"]
        ticked = set(data.get("ticked", []))
    texts = ConsentText.objects.in_bulk([pk for pk in offered.values() if pk])
    return Shown(
        offered={purpose: texts.get(pk) if pk else None for purpose, pk in offered.items()},
        ticked=frozenset(ticked),
    )


@transaction.atomic
def registration_confirm(*, registration: Registration, origin: Origin) -> Candidate:
    """The emailed link was clicked: create or complete the candidate and record the consent.
    A second click finds the registration confirmed and changes nothing."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.confirmed_at and registration.candidate:
        return registration.candidate
    data = registration.data
    fields = {k: data.get(k, "") for k in PROFILE_FIELDS}
    source = Source.NEWSLETTER if registration.newsletter else Source.REGISTRATION
    candidate, _ = candidate_upsert(email=registration.email, actor=None, source=source, **fields)
    shown = _shown(data)
    consent_change(
        candidate=candidate,
        source=source,
        grant={p: f for p, f in data.get("grant", {}).items() if p in shown.ticked},
        shown=shown,
        origin=origin,
        reason="double opt-in confirmed",
    )
    if data.get("language"):
        profile_language_set(candidate=candidate, language=data["language"])
    registration.confirmed_at = timezone.now()
    registration.candidate = candidate
    # Data minimisation: the profile now lives on the candidate; keep only the consent facts.
    registration.data = {k: data[k] for k in ("grant", "offered", "ticked") if k in data}
    registration.save(update_fields=["confirmed_at", "candidate", "data"])
    return candidate


@transaction.atomic
def data_request_create(*, candidate: Candidate, kind: str, origin: Origin) -> DataRequest:
    """Open a request and email the confirmation link. Asking twice while one is awaiting
    confirmation returns it (and sends no second email)."""
    if kind not in RequestKind.values:
        raise ConsentError("Unknown request.")
    existing = DataRequest.objects.filter(
        candidate=candidate, kind=kind, status=RequestStatus.AWAITING_CONFIRMATION
    ).first()
    if existing:
        return existing
    now = timezone.now()
    request = DataRequest.objects.create(
        candidate=candidate,
        kind=kind,
        requested_at=now,
        due_at=now + DATA_REQUEST_DEADLINE,
        ip_address=origin.ip,
    )
    request_confirm_send(request=request)
    return request


@transaction.atomic
def data_request_confirm(*, request: DataRequest, actor: User | None = None) -> DataRequest:
    """The candidate confirmed (by the emailed link): act now. Erasure happens at once; an
    access request starts the copy on the worker and is completed when the copy is ready (the
    confirmation page shows its progress, then the downloads)."""
    request = DataRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.AWAITING_CONFIRMATION:
        return request
    now = timezone.now()
    request.confirmed_at = now
    request.completed_by = actor if actor and actor.pk else None
    if request.kind == RequestKind.ERASURE:
        candidate_erase(candidate=request.candidate, actor=actor, reason="data request")
        request.status = RequestStatus.COMPLETED
        request.completed_at = now
    else:
        request.status = RequestStatus.CONFIRMED
        access_export_start(candidate=request.candidate, actor=actor, request=request)
        audit_log_record(
            actor=actor,
            action="candidate.export",
            target=f"candidate:{request.candidate_id}",
            details={"by": "data subject", "request": request.pk},
        )
    request.save(update_fields=["status", "confirmed_at", "completed_at", "completed_by"])
    return request


@transaction.atomic
def data_request_cancel(*, request: DataRequest, actor: User) -> DataRequest:
    if request.is_open:
        request.status = RequestStatus.CANCELLED
        request.completed_by = actor
        request.completed_at = timezone.now()
        request.save(update_fields=["status", "completed_by", "completed_at"])
        audit_log_record(
            actor=actor, action="consent.request_cancelled", target=f"request:{request.pk}"
        )
    return request
