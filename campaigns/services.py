"""Writes of the campaigns app: content items, topic schedules and templates, nurture rules,
one-off campaigns and referral applications. The nurture planner lives in `planner.py`."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import audit_log_record
from campaigns.defaults import template_for
from campaigns.digest import SUBJECT_TAGS, body_tags, items_digest
from campaigns.models import (
    Campaign,
    CampaignStatus,
    ContentItem,
    Delivery,
    DeliveryStatus,
    NurtureSettings,
    TopicSchedule,
    TopicTemplate,
)
from campaigns.referrals import Referral
from candidates.i18n import candidate_language
from candidates.models import Application, Candidate
from candidates.submissions import application_submit
from consent.links import preferences_url, unsubscribe_url
from consent.selectors import contactable
from mailing.kinds import MessageKind
from mailing.merge import validate_merge_tags
from mailing.models import Message
from mailing.rendering import RenderedEmail, render_email
from mailing.services import OutgoingEmail, message_cancel, message_enqueue, message_enqueue_many
from pools.selectors import pool_members
from tenants.context import current_tenant
from tenants.i18n import tenant_language, tenant_zone

CAMPAIGN_BATCH = 1000


class CampaignError(Exception):
    """A campaign action was refused; the message is shown to the user."""


# --- Content library ----------------------------------------------------------------------------


@transaction.atomic
def content_item_save(*, item: ContentItem, actor: User) -> ContentItem:
    """Create or update an item (fields already validated by the form)."""
    if item.topic == MessageKind.EVENTS and not item.event_starts_at:
        raise ValidationError(_("An event needs a date and time."))
    if item.topic == MessageKind.EVENTS and not (item.event_place or item.event_online_url):
        raise ValidationError(_("An event needs a place or an online link."))
    if item.pk is None:
        item.created_by = actor if actor.pk else None
    item.save()
    return item


@transaction.atomic
def content_item_archive(*, item: ContentItem, actor: User) -> ContentItem:
    item.archived = True
    item.save(update_fields=["archived"])
    return item


# --- Topic schedules, templates and nurture rules -----------------------------------------------


def topic_template_validate(*, topic: str, subject: str, body: str) -> None:
    validate_merge_tags(subject, SUBJECT_TAGS)
    validate_merge_tags(body, body_tags(topic))
    if topic != MessageKind.POOL_INVITATION and "{{ items }}" not in body:
        raise ValidationError(_("The body must contain {{ items }} where the digest goes."))


@transaction.atomic
def topic_schedule_update(
    *, schedule: TopicSchedule, actor: User, request: Any = None, **fields: Any
) -> TopicSchedule:
    weekdays = sorted({int(d) for d in fields.get("send_weekdays", schedule.send_weekdays)})
    if not weekdays or any(d < 0 or d > 6 for d in weekdays):
        raise ValidationError(_("Choose at least one weekday for the send window."))
    start = int(fields.get("send_hour_start", schedule.send_hour_start))
    end = int(fields.get("send_hour_end", schedule.send_hour_end))
    if not 0 <= start < end <= 24:
        raise ValidationError(_("The send window must start before it ends, between 0 and 24 h."))
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.send_weekdays = weekdays
    schedule.save()
    audit_log_record(
        actor=actor,
        action="campaigns.topic_changed",
        target=schedule.get_topic_display(),
        details={"fields": sorted(fields)},
        request=request,
    )
    return schedule


@transaction.atomic
def topic_template_save(
    *, schedule: TopicSchedule, language: str, subject: str, body: str, actor: User
) -> TopicTemplate:
    topic_template_validate(topic=schedule.topic, subject=subject, body=body)
    template, _created = TopicTemplate.objects.update_or_create(
        schedule=schedule, language=language, defaults={"subject": subject, "body": body}
    )
    return template


@transaction.atomic
def nurture_settings_update(*, actor: User, request: Any = None, **values: int) -> NurtureSettings:
    rules = NurtureSettings.load()
    for name, value in values.items():
        setattr(rules, name, value)
    rules.full_clean()
    rules.save()
    audit_log_record(
        actor=actor,
        action="campaigns.nurture_rules_changed",
        details={k: int(v) for k, v in values.items()},
        request=request,
    )
    return rules


# --- Campaigns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    members: int
    contactable: int


def campaign_audience(campaign: Campaign) -> Audience:
    if campaign.pool is None:
        return Audience(0, 0)
    members = pool_members(campaign.pool)
    return Audience(
        members=members.count(),
        contactable=contactable(members, topic=campaign.item.topic).count(),
    )


def _audience_problem(campaign: Campaign, audience: Audience) -> str:
    if campaign.pool is None:
        return _("The pool of this campaign was deleted; choose another pool.")
    if audience.members == 0:
        return _("The pool “%(pool)s” has no members: nobody would receive this.") % {
            "pool": campaign.pool.name
        }
    if audience.contactable == 0:
        return ngettext(
            "The only member of “%(pool)s” has not agreed to receive %(topic)s: "
            "nobody would receive this.",
            "None of the %(n)s members of “%(pool)s” has agreed to receive %(topic)s: "
            "nobody would receive this.",
            audience.members,
        ) % {
            "n": audience.members,
            "pool": campaign.pool.name,
            "topic": str(campaign.item.get_topic_display()).lower(),
        }
    return ""


@transaction.atomic
def campaign_create(
    *, name: str, subject: str, item: ContentItem, pool: Any, actor: User
) -> Campaign:
    validate_merge_tags(subject, SUBJECT_TAGS)
    if item.archived:
        raise CampaignError(_("This content item is archived."))
    return Campaign.objects.create(
        name=name.strip(),
        subject=subject.strip(),
        item=item,
        pool=pool,
        pool_name=pool.name,
        created_by=actor if actor.pk else None,
    )


def _render(
    campaign: Campaign,
    candidate: Candidate | None,
    templates: dict[str, TopicTemplate],
    unsubscribe: str | None = None,
) -> RenderedEmail:
    """The campaign email for `candidate` (sample values when None) in their language (HR's
    digest template in it, else the built-in one); `templates` are the topic's templates by
    language. The subject is the campaign's own, as HR wrote it."""
    tenant = current_tenant()
    template = template_for(templates, campaign.item.topic, candidate_language(candidate))
    language = template.language if template else tenant_language()
    base = {
        "first_name": candidate.first_name if candidate else "Alex",
        "last_name": candidate.last_name if candidate else "Martin",
        "company_name": tenant.from_name,
    }
    digest = items_digest(
        template_body=template.body if template else "Hello {{ first_name }},\n\n{{ items }}",
        items=[campaign.item],
        language=language,
        base=base,
        tz=tenant_zone(),
    )
    return render_email(
        subject_source=campaign.subject,
        body_source=digest.body_source,
        context=digest.context,
        allowed_tags=digest.allowed_tags,
        tenant=tenant,
        unsubscribe_url=unsubscribe,
        preferences_url=preferences_url(candidate) if candidate else None,
        language=language,
    )


def _templates(topic: str) -> dict[str, TopicTemplate]:
    return {t.language: t for t in TopicTemplate.objects.filter(schedule__topic=topic)}


def campaign_preview(campaign: Campaign) -> RenderedEmail:
    """The email as the first contactable member would get it, else with sample values."""
    sample = None
    if campaign.pool is not None:
        sample = (
            contactable(pool_members(campaign.pool), topic=campaign.item.topic)
            .order_by("pk")
            .first()
        )
    return _render(
        campaign,
        sample,
        _templates(campaign.item.topic),
        unsubscribe_url(sample, campaign.item.topic) if sample else None,
    )


@transaction.atomic
def campaign_send_test(*, campaign: Campaign, actor: User) -> Message:
    """Send the campaign to the user who asks, marked as a test (transactional: the user is
    not a candidate and gave no nurture consent)."""
    rendered = _render(campaign, None, _templates(campaign.item.topic))
    return message_enqueue(
        send_key=f"campaign-test:{campaign.pk}:{uuid.uuid4().hex}",
        kind=MessageKind.TRANSACTIONAL,
        to_email=actor.email,
        subject=f"[Test] {rendered.subject}",
        html=rendered.html,
        text=rendered.text,
    )


@transaction.atomic
def campaign_schedule(
    *, campaign: Campaign, at: dt.datetime | None, actor: User, request: Any = None
) -> Campaign:
    """Send now (`at` None or past) or at `at`. Refused for an empty audience."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise CampaignError(
            _("This campaign is %(status)s.")
            % {"status": str(campaign.get_status_display()).lower()}
        )
    problem = _audience_problem(campaign, campaign_audience(campaign))
    if problem:
        raise CampaignError(problem)
    now = timezone.now()
    campaign.scheduled_at = at if at and at > now else now
    campaign.status = CampaignStatus.SCHEDULED
    campaign.save(update_fields=["scheduled_at", "status"])
    audit_log_record(
        actor=actor,
        action="campaigns.campaign_scheduled",
        target=campaign.name,
        details={"at": campaign.scheduled_at.isoformat()},
        request=request,
    )
    if campaign.scheduled_at <= now:
        from campaigns.tasks import campaign_send_task

        transaction.on_commit(lambda: campaign_send_task.delay(campaign.pk))
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor: User, request: Any = None) -> int:
    """Cancel a draft or scheduled campaign, or stop what has not left yet of one being sent.
    Returns how many queued emails were withdrawn."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.CANCELLED:
        raise CampaignError(_("This campaign is already cancelled."))
    withdrawn = 0
    message_ids = campaign.deliveries.exclude(message_id=None).values_list("message_id", flat=True)
    for message in Message.objects.filter(pk__in=list(message_ids)):
        withdrawn += message_cancel(message=message)
    if campaign.status == CampaignStatus.SENT and not withdrawn:
        raise CampaignError(_("This campaign has already been sent."))
    campaign.status = CampaignStatus.CANCELLED
    campaign.save(update_fields=["status"])
    audit_log_record(
        actor=actor,
        action="campaigns.campaign_cancelled",
        target=campaign.name,
        details={"withdrawn": withdrawn},
        request=request,
    )
    return withdrawn


@transaction.atomic
def campaign_send_due(*, campaign_id: int) -> int:
    """Queue the campaign's emails if it is due; returns how many were queued. Safe to repeat:
    one send key per campaign and candidate."""
    campaign = (
        Campaign.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("item", "pool")
        .filter(pk=campaign_id, status=CampaignStatus.SCHEDULED, scheduled_at__lte=timezone.now())
        .first()
    )
    if campaign is None:
        return 0
    campaign.status = CampaignStatus.SENDING
    campaign.save(update_fields=["status"])
    topic = campaign.item.topic
    members = pool_members(campaign.pool) if campaign.pool else Candidate.objects.none()
    campaign.audience_count = members.count()
    recipients = contactable(members, topic=topic).select_related("consent_profile")
    now = timezone.now()
    queued = _send_to(campaign, recipients, _templates(topic), now)
    campaign.queued_count = queued
    campaign.status = CampaignStatus.SENT
    campaign.sent_at = now
    campaign.save(update_fields=["audience_count", "queued_count", "status", "sent_at"])
    return queued


def _send_to(
    campaign: Campaign, recipients: Any, templates: dict[str, TopicTemplate], now: dt.datetime
) -> int:
    topic = campaign.item.topic
    queued = 0
    deliveries: list[Delivery] = []
    emails: list[OutgoingEmail] = []

    def flush() -> None:
        # One outbox INSERT per chunk of recipients (rendered bodies are not all held at once).
        for delivery, message in zip(
            deliveries[-len(emails) :], message_enqueue_many(emails=emails), strict=True
        ):
            delivery.message_id = message.pk
        emails.clear()

    for candidate in recipients.order_by("pk").iterator(chunk_size=CAMPAIGN_BATCH):
        unsubscribe = unsubscribe_url(candidate, topic)
        rendered = _render(campaign, candidate, templates, unsubscribe)
        emails.append(
            OutgoingEmail(
                send_key=f"campaign:{campaign.pk}:{candidate.pk}",
                kind=topic,
                to_email=candidate.email,
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                candidate=candidate,
                topic=topic,
                unsubscribe_url=unsubscribe,
            )
        )
        deliveries.append(
            Delivery(
                candidate=candidate,
                topic=topic,
                period=f"c{campaign.pk}",
                sent_at=now,
                status=DeliveryStatus.QUEUED,
                campaign=campaign,
                item_ids=[campaign.item_id],
            )
        )
        queued += 1
        if len(emails) >= CAMPAIGN_BATCH:
            flush()
    if emails:
        flush()
    Delivery.objects.bulk_create(deliveries, batch_size=5000, ignore_conflicts=True)
    return queued


def campaigns_send_scheduled() -> int:
    """Queue every scheduled campaign whose time has come (the periodic task); returns how
    many emails were queued."""
    due = Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED, scheduled_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(campaign_send_due(campaign_id=pk) for pk in list(due))


# --- Referrals ----------------------------------------------------------------------------------


@transaction.atomic
def referral_apply(
    *, referral: Referral, email: str, first_name: str, last_name: str = "", ip: str | None = None
) -> Application:
    """A friend applies through an ambassador's link, with source "referral". A public form:
    for an address we already know nothing is changed on the record; the typed-in names and
    the ambassador wait with the application for a recruiter (candidates.submissions). A new
    person is credited to the ambassador at once (nobody refers themselves)."""
    return application_submit(
        position=referral.position,
        email=email,
        values={"first_name": first_name, "last_name": last_name},
        source="referral",
        ip=ip,
        referred_by=referral.referrer,
    )
