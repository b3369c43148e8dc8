"""What feedback holds about people (tenants.privacy registry): the recruiter's written
feedback and call notes, erased with the person; the decision itself (stage, branch, reasons,
dates) stays for the figures."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from feedback.models import FeedbackCall, FeedbackTask, Rejection
from tenants.privacy import (
    AppPrivacy,
    Category,
    Dataset,
    Erasure,
    Personal,
    person_filter,
    rows_erase,
)

_FEEDBACK = Personal(Category.ASSESSMENT)

REJECTION = Dataset(
    model="feedback.Rejection",
    description=gettext_noop("Rejections and the feedback given"),
    person="application__candidate",
    purposes=("feedback",),
    personal={
        "personal_points": _FEEDBACK,
        "tips": _FEEDBACK,
        # The candidate's language, copied at the decision (the canary found the copy).
        "language": Personal(Category.PROFILE),
    },
    not_personal=("branch",),
    internal=("email_attempt",),
)
CALL = Dataset(
    model="feedback.FeedbackCall",
    description=gettext_noop("Feedback calls"),
    person="rejection__application__candidate",
    purposes=("feedback",),
    personal={"internal_note": _FEEDBACK, "candidate_summary": _FEEDBACK},
)
TASK = Dataset(
    model="feedback.FeedbackTask",
    description=gettext_noop(
        "Feedback to write (rejections decided in the ATS or through the API)"
    ),
    person="application__candidate",
    purposes=("feedback",),
    # What the other system said about the decision: its reason, a recruiter's note there.
    personal={"note": _FEEDBACK},
    not_personal=("status", "source"),
)
DATASETS = [
    REJECTION,
    CALL,
    TASK,
    Dataset(
        model="feedback.RejectionReason",
        description=gettext_noop("Rejection reasons"),
        not_personal=(
            "key",
            "category",
            "label",
            "candidate_wording",
            "tip",
            "language",
            "translations",
        ),
    ),
    Dataset(
        model="feedback.FeedbackPolicy",
        description=gettext_noop("Feedback policy"),
        not_personal=("scope",),
    ),
    Dataset(
        model="feedback.FeedbackTemplate",
        description=gettext_noop("Feedback email templates"),
        not_personal=("group", "language", "subject", "body"),
    ),
    Dataset(
        model="feedback.BulkRejectRun",
        description=gettext_noop("Bulk rejections"),
        # Ids and a system message.
        not_personal=("application_ids", "reason_ids", "status", "error"),
    ),
]


def feedback_personal_erase(erasure: Erasure) -> None:
    ids = erasure.candidate_ids
    for dataset, model in ((CALL, FeedbackCall), (TASK, FeedbackTask), (REJECTION, Rejection)):
        rows = model.objects.filter(person_filter(dataset, ids))
        erasure.count(dataset.model.lower(), rows_erase(dataset, rows, erasure))


PRIVACY = AppPrivacy(app_label="feedback", datasets=DATASETS, erase=feedback_personal_erase)
