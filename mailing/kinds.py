"""What an email is for. Transactional mail (rejections, confirmations, data-request replies)
is never capped and needs no nurture consent; every other kind is a nurture topic that the send
gate checks against the candidate's consent for that topic at send time."""

from __future__ import annotations

from django.db import models


class MessageKind(models.TextChoices):
    TRANSACTIONAL = "transactional", "Transactional"
    JOB_OFFERS = "job_offers", "Job offers"
    EVENTS = "events", "Event invitations"
    TESTIMONIALS = "testimonials", "Employee testimonials"
    COMPANY_NEWS = "company_news", "Company and sector news"
    JOB_MARKET = "job_market", "Job-market information"
    POOL_INVITATION = "pool_invitation", "Invitation to join the talent pool"


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
