from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from candidates.models import AgeBracket, Outcome, Seniority

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class TagRule(models.Model):
    """An automatic tagging rule: candidates matching every filled condition get `tag`.

    The application conditions (outcome, furthest stage reached) must hold for the *same*
    application; the candidate conditions hold on the candidate. The tag and stage names are
    remembered so a rule whose tag or stage was deleted can say which one it was.
    """

    name = models.CharField(max_length=100, unique=True)
    tag = models.ForeignKey(
        "taggit.Tag", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tag_name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    min_stage = models.ForeignKey(
        "candidates.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    min_stage_name = models.CharField(max_length=60, blank=True)

    skill = models.CharField(max_length=100, blank=True)
    seniority = models.CharField(max_length=10, choices=Seniority.choices, blank=True)
    country = models.CharField(max_length=2, blank=True)
    age_bracket = models.CharField(max_length=10, choices=AgeBracket.choices, blank=True)
    source = models.CharField(max_length=60, blank=True)
    profession = models.CharField(max_length=120, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def problem(self) -> str:
        """Why the rule cannot run ("" when it can); shown on the rule list."""
        if self.tag_id is None:
            return gettext("The tag “%(tag)s” this rule sets was deleted. Choose a tag again.") % {
                "tag": self.tag_name
            }
        if self.min_stage_name and self.min_stage_id is None:
            return gettext(
                "The stage “%(stage)s” this rule checks was deleted. Choose another stage."
            ) % {"stage": self.min_stage_name}
        if not self.has_condition:
            return gettext("This rule has no condition; it would tag everyone. Add a condition.")
        return ""

    @property
    def has_condition(self) -> bool:
        return any(
            [
                self.outcome,
                self.min_stage_name,
                self.skill,
                self.seniority,
                self.country,
                self.age_bracket,
                self.source,
                self.profession,
            ]
        )

    def describe(self) -> str:
        """The condition in words, for lists and the preview."""
        parts: list[str] = []
        if self.outcome or self.min_stage_name:
            application = str(OUTCOME_PHRASES.get(self.outcome, "")) or gettext("an application")
            if self.min_stage_name:
                stage = self.min_stage.name if self.min_stage else self.min_stage_name
                application = gettext("%(application)s after reaching %(stage)s or later") % {
                    "application": application,
                    "stage": stage,
                }
            parts.append(application)
        if self.skill:
            parts.append(gettext("skill %(value)s") % {"value": self.skill})
        if self.seniority:
            parts.append(
                gettext("seniority %(value)s") % {"value": Seniority(self.seniority).label}
            )
        if self.country:
            parts.append(gettext("country %(value)s") % {"value": self.country})
        if self.age_bracket:
            parts.append(gettext("age %(value)s") % {"value": AgeBracket(self.age_bracket).label})
        if self.source:
            parts.append(gettext("source %(value)s") % {"value": self.source})
        if self.profession:
            parts.append(gettext("profession %(value)s") % {"value": self.profession})
        # Translators: joins the conditions of a tagging rule ("skill SQL and country FR").
        return gettext(" and ").join(parts) or gettext("no condition")


# A rule's outcome condition in words (whole phrases: adjectives agree differently per language).
OUTCOME_PHRASES: dict[str, StrOrPromise] = {
    Outcome.ACTIVE: _("an active application"),
    Outcome.REJECTED: _("a rejected application"),
    Outcome.WITHDRAWN: _("a withdrawn application"),
    Outcome.HIRED: _("an application that led to a hire"),
}


class RuleRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RuleRun(models.Model):
    """One re-application of every rule to everyone, run by a Celery worker, with progress."""

    status = models.CharField(
        max_length=10, choices=RuleRunStatus.choices, default=RuleRunStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    tags_added = models.PositiveIntegerField(default=0)
    tags_removed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Rule run {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == RuleRunStatus.DONE:
            return 100
        return min(100, int(self.processed * 100 / self.total)) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (RuleRunStatus.DONE, RuleRunStatus.FAILED)


class PoolKind(models.TextChoices):
    SMART = "smart", _("Smart (saved criteria, always up to date)")
    STATIC = "static", _("Static (hand-picked members)")


class Pool(models.Model):
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=PoolKind.choices)
    description = models.TextField(blank=True)
    # Smart pools only: `candidates.criteria.criteria_to_json` output, evaluated on every read.
    criteria = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_smart(self) -> bool:
        return self.kind == PoolKind.SMART


class PoolMember(models.Model):
    """A hand-picked member of a static pool."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="members")
    candidate = models.ForeignKey(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="pool_memberships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "candidate"], name="uniq_pool_member")
        ]
        # "member of pool" filters go from the pool to candidates; the reverse (which pools is
        # this candidate in) uses this index.
        indexes = [models.Index(fields=["candidate", "pool"])]

    def __str__(self) -> str:
        return f"{self.candidate_id} in {self.pool_id}"
