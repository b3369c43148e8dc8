"""Applications from public forms (career site, a friend's referral link): nobody is signed in,
so nobody is who they say they are.

An anonymous submission never changes a record we already hold: a new address becomes a new
candidate, but for a known one the typed-in values (and a CV for an application that already
exists) stay with the application as a `Submission`, shown to recruiters as "submitted with
this application", until one of them accepts or dismisses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from candidates.models import ActivityKind, Application, Candidate, Position, Submission
from candidates.pipeline import application_create
from candidates.services import activity_record, candidate_update, candidate_upsert, normalise_email
from tenants.public_forms import submission_limit

# What public forms may submit about a person.
SUBMITTED_FIELDS = ("first_name", "last_name", "phone")
FIELD_LABELS = {"first_name": _("First name"), "last_name": _("Last name"), "phone": _("Phone")}
# Per tenant; generous for people sharing an office network, far below a script's pace.
APPLICATIONS_PER_IP_PER_HOUR = 10
APPLICATIONS_PER_EMAIL_PER_DAY = 3


def _known(email: str) -> Candidate | None:
    candidate = Candidate.objects.select_for_update().filter(email__iexact=email).first()
    while candidate is not None and candidate.merged_into_id:
        candidate = Candidate.objects.select_for_update().get(pk=candidate.merged_into_id)
    return candidate


@transaction.atomic
def application_submit(
    *,
    position: Position,
    email: str,
    values: dict[str, Any],
    source: str,
    ip: str | None,
    cv: UploadedFile | None = None,
    referred_by: Candidate | None = None,
) -> Application:
    """Apply from a public form. Counts against the form's limits (per client address and per
    email, raising `tenants.public_forms.RateLimited`); refusals raise `CandidateError`."""
    email = normalise_email(email)
    submission_limit(
        form="apply",  # career site and referral links share the allowance
        ip=ip,
        email=email,
        per_ip_per_hour=APPLICATIONS_PER_IP_PER_HOUR,
        per_email_per_day=APPLICATIONS_PER_EMAIL_PER_DAY,
    )
    values = {
        k: str(v).strip() for k, v in values.items() if k in SUBMITTED_FIELDS and str(v).strip()
    }
    known = _known(email)
    if known is None:
        candidate, _ = candidate_upsert(email=email, actor=None, source=source, **values)
        if referred_by is not None and referred_by.pk != candidate.pk:
            Candidate.objects.filter(pk=candidate.pk, referred_by__isnull=True).update(
                referred_by=referred_by
            )
            activity_record(
                candidate=candidate,
                kind=ActivityKind.EDIT,
                code="candidate.referred",
                params={"referrer": referred_by.full_name, "position": position.title},
            )
        application, _ = application_create(
            candidate=candidate, position=position, actor=None, source=source, cv=cv
        )
        return application

    existing = Application.objects.filter(candidate=known, position=position).first()
    if existing is None:
        # A new application is the submission's own: its CV goes with it.
        application, _ = application_create(
            candidate=known, position=position, actor=None, source=source, cv=cv
        )
        cv = None
    else:
        application = existing
    differing = {k: v for k, v in values.items() if v != getattr(known, k)}
    referrer = (
        referred_by
        if referred_by is not None and referred_by.pk != known.pk and known.referred_by_id is None
        else None
    )
    if differing or cv is not None or referrer is not None:
        submission = Submission(
            application=application, source=source, values=differing, referred_by=referrer
        )
        if cv is not None:
            submission.cv.save(cv.name or "cv", cv, save=False)
        submission.save()
        activity_record(
            candidate=known,
            kind=ActivityKind.APPLICATION,
            code="submission.received",
            params={"position": position.title, "source": source},
            application=application,
        )
    return application


def submission_choices(submission: Submission) -> list[tuple[str, str, str, str]]:
    """(key, label, submitted, stored) for the recruiter's comparison."""
    candidate = submission.application.candidate
    rows = [
        (key, str(FIELD_LABELS.get(key, key)), str(value), str(getattr(candidate, key, "") or ""))
        for key, value in submission.values.items()
    ]
    if submission.cv:
        stored = gettext("a CV") if submission.application.cv else gettext("none")
        rows.append(("cv", gettext("CV"), (submission.cv.name or "").rsplit("/", 1)[-1], stored))
    if submission.referred_by_id:
        referrer = submission.referred_by
        rows.append(
            ("referred_by", gettext("Referred by"), referrer.full_name if referrer else "", "")
        )
    return rows


@transaction.atomic
def submission_accept(*, submission: Submission, fields: Iterable[str], actor: User) -> Candidate:
    """Take the chosen submitted values into the profile (a CV replaces the application's);
    the submission is then gone: what was accepted lives on the record."""
    submission = (
        Submission.objects.select_for_update()
        .select_related("application__candidate", "application__position")
        .get(pk=submission.pk)
    )
    application = submission.application
    candidate = application.candidate
    chosen = [f for f in fields if f in submission.values or f in ("cv", "referred_by")]
    profile = {f: submission.values[f] for f in chosen if f in submission.values}
    if profile:
        candidate_update(candidate=candidate, actor=actor, **profile)
    taken = list(profile)
    if "cv" in chosen and submission.cv:
        if application.cv:
            application.cv.delete(save=False)
        # The file moves to the application (deleting the submission row keeps it).
        application.cv = submission.cv.name
        application.save(update_fields=["cv"])
        taken.append("cv")
    if "referred_by" in chosen and submission.referred_by_id:
        Candidate.objects.filter(pk=candidate.pk, referred_by__isnull=True).update(
            referred_by_id=submission.referred_by_id
        )
        taken.append("referred_by")
    activity_record(
        candidate=candidate,
        kind=ActivityKind.EDIT,
        code="submission.accepted" if taken else "submission.accepted_nothing",
        params={"position": application.position.title, "fields": taken},
        actor=actor,
        application=application,
    )
    Submission.objects.filter(pk=submission.pk).delete()
    return candidate


@transaction.atomic
def submission_dismiss(*, submission: Submission, actor: User) -> None:
    submission = (
        Submission.objects.select_for_update()
        .select_related("application__candidate", "application__position")
        .get(pk=submission.pk)
    )
    if submission.cv:
        submission.cv.delete(save=False)
    application = submission.application
    activity_record(
        candidate=application.candidate,
        kind=ActivityKind.EDIT,
        code="submission.dismissed",
        params={"position": application.position.title},
        actor=actor,
        application=application,
    )
    submission.delete()
