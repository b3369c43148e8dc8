"""What an email is for. Transactional mail (rejections, confirmations, data-request replies)
is never capped and needs no nurture consent; every other kind is a nurture topic that the send
gate checks against the candidate's consent for that topic at send time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    JOB_OFFERS = "job_offers", _("Job offers")
    EVENTS = "events", _("Event invitations")
    TESTIMONIALS = "testimonials", _("Employee testimonials")
    COMPANY_NEWS = "company_news", _("Company and sector news")
    JOB_MARKET = "job_market", _("Job-market information")
    POOL_INVITATION = "pool_invitation", _("Invitation to join the talent pool")


NURTURE_KINDS = frozenset(k for k in MessageKind.values if k != MessageKind.TRANSACTIONAL)
CONTENT_TOPICS = (
    MessageKind.JOB_OFFERS,
    MessageKind.EVENTS,
    MessageKind.TESTIMONIALS,
    MessageKind.COMPANY_NEWS,
    MessageKind.JOB_MARKET,
)


def is_nurture(kind: str) -> bool:
    return kind in NURTURE_KINDS
