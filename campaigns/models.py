from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mailing.kinds import CONTENT_TOPICS, MessageKind
from tenants.i18n import pick_language

TOPIC_CHOICES = [(k.value, k.label) for k in CONTENT_TOPICS]
PLANNED_TOPIC_CHOICES = [*TOPIC_CHOICES, (MessageKind.POOL_INVITATION.value, _("Pool invitation"))]
# Content items are authored per topic; job offers come from open positions instead.
ITEM_TOPIC_CHOICES = [c for c in TOPIC_CHOICES if c[0] != MessageKind.JOB_OFFERS]


def period_key(frequency: str, day: dt.date) -> str:
    """The calendar period a send belongs to (consent's frequency names); part of the unique
    send key, so a re-run in the same period can never produce a second email."""
    if frequency == "weekly":
        year, week, _ = day.isocalendar()
        return f"w{year}-{week:02d}"
    if frequency == "biweekly":
        year, week, _ = day.isocalendar()
        return f"b{year}-{(week - 1) // 2:02d}"
    if frequency == "monthly":
        return f"m{day.year}-{day.month:02d}"
    return f"q{day.year}-{(day.month - 1) // 3 + 1}"


def _weekdays_default() -> list[int]:
    return [0, 1, 2, 3, 4]


class TopicSchedule(models.Model):
    """When one nurture topic is sent in this tenant, and which topic wins when the cap allows
    only one. The frequencies a candidate may choose (and the default) belong to consent
    (`consent.models.TopicSetting`); this app reads them there."""

    topic = models.CharField(max_length=20, choices=PLANNED_TOPIC_CHOICES, unique=True)
    enabled = models.BooleanField(default=True)
    # Monday = 0 … Sunday = 6, in the tenant's time zone.
    send_weekdays = models.JSONField(default=_weekdays_default)
    send_hour_start = models.PositiveSmallIntegerField(
        default=9, validators=[MaxValueValidator(23)]
    )
    send_hour_end = models.PositiveSmallIntegerField(
        default=17, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    # When the cap allows only one topic, the lowest number wins; candidates carrying
    # `priority_tag` get this topic before any other (e.g. events for young-talent).
    priority = models.PositiveSmallIntegerField(default=50)
    priority_tag = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["priority", "topic"]

    def __str__(self) -> str:
        return self.get_topic_display()

    def template_languages(self) -> list[str]:
        """Languages HR has a template in (uses a prefetched `templates` when there is one)."""
        return [t.language for t in self.templates.all()]


class TopicTemplate(models.Model):
    """Subject and body of a topic's digest in one language; HR admins edit them with
    allow-listed merge tags only (validated on save by the form)."""

    schedule = models.ForeignKey(TopicSchedule, on_delete=models.CASCADE, related_name="templates")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["schedule", "language"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "language"], name="uniq_topic_template")
        ]

    def __str__(self) -> str:
        return f"{self.schedule} ({self.language})"


class NurtureSettings(models.Model):
    """Tenant-wide nurture rules (a single row)."""

    first_lookback_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("For a candidate's first email of a topic, content this recent counts as new."),
    )
    invitation_interval_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(30), MaxValueValidator(365)],
        help_text=_("Days between two invitations to join the talent pool."),
    )

    class Meta:
        verbose_name_plural = _("nurture settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="nurture_singleton")]

    def __str__(self) -> str:
        return str(_("Nurture settings"))

    @classmethod
    def load(cls) -> NurtureSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class ContentItemQuerySet(models.QuerySet["ContentItem"]):
    def published(self, at: dt.datetime | None = None) -> ContentItemQuerySet:
        return self.filter(archived=False, publish_at__lte=at or timezone.now())


class ContentItem(models.Model):
    """A piece of nurture content authored by recruiters (events, testimonials, articles).

    `title` and `summary` are in `language`; the same in other languages in `translations`
    ({"fr": {"title": …, "summary": …}}). A reader gets their language, else the company's,
    else English, else the main text (`text_in`)."""

    topic = models.CharField(max_length=20, choices=ITEM_TOPIC_CHOICES, db_index=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text=_("Plain text or Markdown."))
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the title and summary above."),
    )
    translations = models.JSONField(default=dict, blank=True)
    link_url = models.URLField(blank=True, help_text=_("Read more"))
    publish_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Targeting: empty means everyone with consent for the topic.
    target_profession = models.CharField(max_length=120, blank=True)
    target_sector = models.CharField(max_length=120, blank=True)
    target_tag = models.CharField(max_length=100, blank=True, help_text=_("e.g. young-talent"))
    target_pool = models.ForeignKey(
        "pools.Pool", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Events
    event_starts_at = models.DateTimeField(null=True, blank=True)
    event_place = models.CharField(max_length=200, blank=True)
    event_online_url = models.URLField(blank=True)
    registration_url = models.URLField(blank=True)
    audience = models.CharField(max_length=200, blank=True)
    # Testimonials
    employee_name = models.CharField(max_length=120, blank=True)
    employee_role = models.CharField(max_length=120, blank=True)

    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ContentItemQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def texts(self) -> dict[str, tuple[str, str]]:
        """(title, summary) by language, for the languages it has a title in."""
        found = {self.language: (self.title, self.summary)} if self.title.strip() else {}
        for language, text in (self.translations or {}).items():
            title = str(text.get("title") or "").strip()
            if title and language not in found:
                found[language] = (title, str(text.get("summary") or "").strip())
        return found

    def text_in(self, language: str | None) -> tuple[str, str]:
        texts = self.texts()
        chosen = pick_language(texts, language)
        return texts[chosen] if chosen else (self.title, self.summary)


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
    SCHEDULED = "scheduled", pgettext_lazy("campaign status", "Scheduled")
    SENDING = "sending", pgettext_lazy("campaign status", "Sending")
    SENT = "sent", pgettext_lazy("campaign status", "Sent")
    CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")


class Campaign(models.Model):
    """A one-off send of one content item to a pool, now or at a scheduled time."""

    name = models.CharField(max_length=200)
    subject = models.CharField(
        max_length=200, default="", help_text=_("Merge tags: {{ first_name }}, {{ company_name }}")
    )
    item = models.ForeignKey(ContentItem, on_delete=models.PROTECT, related_name="campaigns")
    # A pool may be deleted later; the campaign keeps its name for the record.
    pool = models.ForeignKey(
        "pools.Pool", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pool_name = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    audience_count = models.PositiveIntegerField(default=0)
    queued_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    QUEUED = "queued", _("Queued")


class Delivery(models.Model):
    """One nurture or campaign email planned for one candidate: what the planner and the cap
    look at ("when did this person last hear from us about this topic?") and what insights
    count. The email itself is the mailing outbox row `message_id`."""

    candidate = models.ForeignKey(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="+"
    )
    topic = models.CharField(max_length=20, choices=PLANNED_TOPIC_CHOICES)
    period = models.CharField(max_length=40)
    sent_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PLANNED
    )
    message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    position_ids = models.JSONField(default=list, blank=True)
    # position id -> why it was chosen ("Matches your skills: SQL, Python")
    reasons = models.JSONField(default=dict, blank=True)
    item_ids = models.JSONField(default=list, blank=True)
    matched_skills = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "topic", "period"], name="uniq_delivery_period"
            )
        ]
        indexes = [
            models.Index(fields=["candidate", "-sent_at"]),
            models.Index(fields=["topic", "candidate", "-sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.candidate_id} ({self.period})"
