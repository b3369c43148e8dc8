from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from candidates.models import AgeBracket, Outcome, Seniority


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
            return f"The tag “{self.tag_name}” this rule sets was deleted. Choose a tag again."
        if self.min_stage_name and self.min_stage_id is None:
            return (
                f"The stage “{self.min_stage_name}” this rule checks was deleted. "
                "Choose another stage."
            )
        if not self.has_condition:
            return "This rule has no condition; it would tag everyone. Add a condition."
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
            application = "an application"
            if self.outcome:
                application += f" {Outcome(self.outcome).label.lower()}"
            if self.min_stage_name:
                stage = self.min_stage.name if self.min_stage else self.min_stage_name
                application += f" after reaching {stage} or later"
            parts.append(application)
        if self.skill:
            parts.append(f"skill {self.skill}")
        if self.seniority:
            parts.append(f"seniority {Seniority(self.seniority).label}")
        if self.country:
            parts.append(f"country {self.country}")
        if self.age_bracket:
            parts.append(f"age {AgeBracket(self.age_bracket).label}")
        if self.source:
            parts.append(f"source {self.source}")
        if self.profession:
            parts.append(f"profession {self.profession}")
        return " and ".join(parts) or "no condition"


class RuleRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


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
    SMART = "smart", "Smart (saved criteria, always up to date)"
    STATIC = "static", "Static (hand-picked members)"


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
