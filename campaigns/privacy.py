"""What campaigns holds about people (tenants.privacy registry): why each email was chosen for
someone (their matched skills), and employees quoted in testimonials."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from campaigns.models import Delivery
from tenants.privacy import (
    AppPrivacy,
    Category,
    Dataset,
    Erase,
    Erasure,
    Notice,
    Personal,
    Subject,
    person_filter,
    rows_erase,
    scrub_mentions,
)

_MENTIONS = Personal(Category.FREE_TEXT, Erase.SCRUB)

DELIVERY = Dataset(
    model="campaigns.Delivery",
    description=gettext_noop("Nurture emails planned"),
    person="candidate",
    purposes=("nurture",),
    personal={
        "reasons": Personal(Category.PROFILE),
        "matched_skills": Personal(Category.PROFILE),
    },
    not_personal=("topic", "period", "status", "position_ids", "item_ids"),
)
DATASETS = [
    DELIVERY,
    Dataset(
        model="campaigns.ContentItem",
        description=gettext_noop("Nurture content"),
        personal={
            # An employee quoted in a testimonial agreed to it as staff; not candidate data.
            "employee_name": Personal(Category.IDENTITY, subject=Subject.STAFF),
            "employee_role": Personal(Category.PROFILE, subject=Subject.STAFF),
            "target_tag": _MENTIONS,
        },
        not_personal=(
            "topic",
            "title",
            "summary",
            "language",
            "translations",
            "link_url",
            "target_profession",
            "target_sector",
            "event_place",
            "event_online_url",
            "registration_url",
            "audience",
        ),
    ),
    Dataset(
        model="campaigns.Campaign",
        description=gettext_noop("Campaigns"),
        personal={"pool_name": _MENTIONS},
        not_personal=("name", "subject", "status"),
    ),
    Dataset(
        model="campaigns.TopicSchedule",
        description=gettext_noop("Topic schedules"),
        personal={"priority_tag": _MENTIONS},
        not_personal=("topic", "send_weekdays"),
    ),
    Dataset(
        model="campaigns.TopicTemplate",
        description=gettext_noop("Topic templates"),
        not_personal=("language", "subject", "body"),
    ),
]


def campaigns_personal_erase(erasure: Erasure) -> None:
    """Deliveries stay (the cap and the figures count them) without the person's skills."""
    rows = Delivery.objects.filter(person_filter(DELIVERY, erasure.candidate_ids))
    erasure.count("campaigns.delivery", rows_erase(DELIVERY, rows, erasure))
    for dataset in DATASETS:
        erasure.count(f"{dataset.model.lower()} mentions", scrub_mentions(dataset, erasure))


NOTICES = [
    Notice(
        "referral",
        _(
            "We use your details to assess your application, and note who recommended the "
            "job to you. Nothing you type here changes a profile we already hold."
        ),
        ("recruitment",),
    )
]

PRIVACY = AppPrivacy(
    app_label="campaigns",
    datasets=DATASETS,
    erase=campaigns_personal_erase,
    notices=NOTICES,
)
