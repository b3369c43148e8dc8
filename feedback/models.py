from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.i18n import pick_language


class ReasonCategory(models.TextChoices):
    WE_DECIDED = "we_decided", _("We decided")
    CANDIDATE_DECLINED = "candidate_declined", _("The candidate declined")


class RejectionReasonQuerySet(models.QuerySet["RejectionReason"]):
    def active(self) -> RejectionReasonQuerySet:
        return self.filter(is_active=True)


class RejectionReason(models.Model):
    """One entry of the tenant's rejection taxonomy. Reasons are deactivated, never deleted, so
    past rejections keep their wording.

    The candidate-facing wording and tip exist per language: `candidate_wording`/`tip` in
    `language`, the others in `translations` ({"fr": {"wording": …, "tip": …}}). A candidate
    gets them in their language, else the company's, else English (`text_in`)."""

    # Stable identifier of a default reason, so installing defaults twice adds nothing.
    key = models.SlugField(max_length=60, unique=True)
    category = models.CharField(max_length=20, choices=ReasonCategory.choices)
    label = models.CharField(max_length=100, help_text=_("What recruiters see, e.g. “Skills gap”."))
    candidate_wording = models.TextField(
        help_text=_("How the reason is explained to the candidate in the email.")
    )
    tip = models.TextField(blank=True, help_text=_("A suggested tip for a next application."))
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the wording and tip above."),
    )
    translations = models.JSONField(default=dict, blank=True)
    order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RejectionReasonQuerySet.as_manager()

    class Meta:
        ordering = ["category", "order", "label", "id"]

    def __str__(self) -> str:
        return self.label

    def texts(self) -> dict[str, tuple[str, str]]:
        """(wording, tip) by language, for the languages it has a wording in."""
        found: dict[str, tuple[str, str]] = {}
        if self.candidate_wording.strip():
            found[self.language] = (self.candidate_wording.strip(), self.tip.strip())
        for language, text in (self.translations or {}).items():
            wording = str(text.get("wording") or "").strip()
            if wording and language not in found:
                found[language] = (wording, str(text.get("tip") or "").strip())
        return found

    def text_in(self, language: str | None) -> tuple[str, str]:
        """(wording, tip) for a reader of `language`: theirs, else the company's, else
        English, else whichever exists (tenants.i18n.pick_language)."""
        texts = self.texts()
        chosen = pick_language(texts, language)
        return texts[chosen] if chosen else ("", "")


class FeedbackPolicy(models.Model):
    """The tenant's stage policy: one row per tenant schema (enforced by the unique `scope`)."""

    scope = models.CharField(max_length=10, default="tenant", unique=True, editable=False)
    # SET_NULL: deleting the stage must not be blocked by this setting; without a stage every
    # rejection is personalised until an HR admin picks a new one (never a downgrade).
    personalised_from = models.ForeignKey(
        "candidates.Stage",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "From this stage on, rejections need personalised feedback written by the "
            "recruiter; earlier rejections get the automatic email."
        ),
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "feedback policies"

    def __str__(self) -> str:
        return f"Personalised from {self.personalised_from or 'every stage'}"


class Branch(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic email")
    PERSONALISED = "personalised", _("Personalised feedback")


class FeedbackTemplate(models.Model):
    """Subject and body of the rejection email for one stage group and language. The text holds
    allow-listed merge tags only and is never executed as template code."""

    group = models.CharField(max_length=20, choices=Branch.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text=_("Markdown with merge tags like {{ first_name }}."))
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["group", "language"]
        constraints = [
            models.UniqueConstraint(fields=["group", "language"], name="uniq_feedback_template")
        ]

    def __str__(self) -> str:
        return f"{self.get_group_display()} ({self.language})"


class Rejection(models.Model):
    """The decision to reject an application and the feedback given. One per application, ever:
    a reopened and re-rejected application keeps its first rejection (and its one email)."""

    application = models.OneToOneField(
        "candidates.Application", on_delete=models.CASCADE, related_name="rejection"
    )
    # The furthest stage the application had reached when it was rejected (for the figures);
    # SET_NULL so a later stage deletion is never blocked by history.
    stage = models.ForeignKey(
        "candidates.Stage",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    branch = models.CharField(max_length=20, choices=Branch.choices)
    reasons = models.ManyToManyField(RejectionReason, blank=True, related_name="rejections")
    personal_points = models.TextField(blank=True)
    tips = models.TextField(blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    attach_pdf = models.BooleanField(default=False)
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # None = as soon as possible.
    send_at = models.DateTimeField(null=True, blank=True)
    # The outbox row (mailing.Message) of the feedback email, whose status says whether it is
    # scheduled, sent, delivered or cancelled. A plain id: the rejection outlives mailing's
    # retention of old messages.
    message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Counts emails queued for this rejection: a cancelled email that never left may be
    # replaced by a new one (its own send key), so at most one ever reaches the candidate.
    email_attempt = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["branch", "decided_at"])]

    def __str__(self) -> str:
        return f"Rejection of {self.application}"


class FeedbackCall(models.Model):
    """A feedback call with the candidate, logged with the rejection: the recruiter's internal
    note, and what (if anything) the candidate is told about it."""

    rejection = models.OneToOneField(Rejection, on_delete=models.CASCADE, related_name="call")
    called_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    # Never leaves the product: not in any email, PDF or merge tag.
    internal_note = models.TextField()
    # Optional, written for the candidate: the `{{ call_summary }}` merge tag and the PDF.
    candidate_summary = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Call on {self.called_at:%Y-%m-%d}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BulkRejectRun(models.Model):
    """A large bulk rejection handed to the worker, so the request never times out; the
    feedback page shows its result."""

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application_ids = models.JSONField(default=list)
    reason_ids = models.JSONField(default=list)
    send_at = models.DateTimeField(null=True, blank=True)
    # Each email at the next 9:00 in its candidate's time zone (send_at is then empty).
    next_morning = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    rejected_count = models.PositiveIntegerField(default=0)
    needs_personal_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Bulk rejection #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class FeedbackTaskStatus(models.TextChoices):
    OPEN = "open", _("To write")
    DONE = "done", _("Written")
    CANCELLED = "cancelled", pgettext_lazy("feedback task status", "Cancelled")


class FeedbackTask(models.Model):
    """ "Feedback to write": an application rejected in another system (the ATS, the API) after
    it reached the policy's personalised stage. No email leaves until a recruiter writes the
    feedback on the rejection page; the application stays open until then. One per application."""

    application = models.OneToOneField(
        "candidates.Application", on_delete=models.CASCADE, related_name="feedback_task"
    )
    reasons = models.ManyToManyField(RejectionReason, blank=True, related_name="+")
    status = models.CharField(
        max_length=10,
        choices=FeedbackTaskStatus.choices,
        default=FeedbackTaskStatus.OPEN,
        db_index=True,
    )
    # Where the decision was taken ("greenhouse", "lever", "api: <key name>").
    source = models.CharField(max_length=100)
    # What the other system said (its rejection reason and note), shown to the recruiter.
    note = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The recruiter expected to write it (None: anyone).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    rejection = models.OneToOneField(
        Rejection, null=True, blank=True, on_delete=models.SET_NULL, related_name="task"
    )

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"Feedback to write for {self.application}"
