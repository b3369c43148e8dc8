"""Defaults installed in every new tenant (idempotent): send windows, which topic goes first when
the cap forces a choice, the digest templates and the global cap. Topic frequencies (job offers
weekly to monthly, the others monthly to quarterly) are consent's defaults."""

from __future__ import annotations

from django.db import connection

from campaigns.models import NurtureSettings, TopicSchedule, TopicTemplate
from mailing.kinds import MessageKind

YOUNG_TALENT_TAG = "young-talent"

_DIGEST_BODY = """Hello {{ first_name }},

{{ items }}

You receive this because you asked {{ company_name }} to keep you posted on this topic.
"""

INVITATION_BODY = """Hello {{ first_name }},

Thank you for reading the {{ company_name }} newsletter. Join our talent pool: complete a short
profile and choose the topics you want to hear about, so we can tell you about the jobs that fit.

[Join the talent pool]({{ join_url }})

Not interested? [Tell us]({{ decline_url }}) and we will not ask again.
"""

DEFAULT_SCHEDULES: list[dict[str, object]] = [
    {
        "topic": MessageKind.JOB_OFFERS,
        "priority": 10,
        "subject": "{{ first_name }}, new jobs that match your skills",
    },
    {
        "topic": MessageKind.EVENTS,
        "priority": 20,
        "priority_tag": YOUNG_TALENT_TAG,
        "subject": "{{ first_name }}, you are invited: events at {{ company_name }}",
    },
    {
        "topic": MessageKind.COMPANY_NEWS,
        "priority": 30,
        "subject": "News from {{ company_name }}",
    },
    {
        "topic": MessageKind.TESTIMONIALS,
        "priority": 40,
        "subject": "Life at {{ company_name }}: our people tell their story",
    },
    {
        "topic": MessageKind.JOB_MARKET,
        "priority": 50,
        "subject": "Jobs, training and your rights: the latest from {{ company_name }}",
    },
    {
        "topic": MessageKind.POOL_INVITATION,
        "priority": 90,
        "subject": "{{ first_name }}, join the {{ company_name }} talent pool",
    },
]


def topics_install_defaults() -> None:
    tenant = getattr(connection, "tenant", None)
    language = getattr(tenant, "default_language", "") or "en"
    for spec in DEFAULT_SCHEDULES:
        spec = dict(spec)
        subject = str(spec.pop("subject"))
        schedule, _ = TopicSchedule.objects.get_or_create(topic=spec.pop("topic"), defaults=spec)
        if not schedule.templates.exists():
            body = (
                INVITATION_BODY if schedule.topic == MessageKind.POOL_INVITATION else _DIGEST_BODY
            )
            TopicTemplate.objects.create(
                schedule=schedule, language=language, subject=subject, body=body
            )
    NurtureSettings.load()
