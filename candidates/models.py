from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Func, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from candidates.validators import validate_single_line


class Seniority(models.TextChoices):
    JUNIOR = "junior", _("Junior")
    MID = "mid", _("Mid-level")
    SENIOR = "senior", _("Senior")
    LEAD = "lead", _("Lead")


class AgeBracket(models.TextChoices):
    UNDER_18 = "under_18", _("Under 18")
    B18_24 = "18_24", "18–24"
    B25_34 = "25_34", "25–34"
    B35_44 = "35_44", "35–44"
    B45_54 = "45_54", "45–54"
    B55_PLUS = "55_plus", "55+"


class Skill(TagBase):
    """A skill (Python, SQL, negotiation...). Separate from free tags so matching and filters
    never confuse the two."""

    class Meta:
        verbose_name = _("skill")
        ordering = ["name"]


class CandidateSkill(TaggedItemBase):
    """Candidate-specific through model (indexed FKs, no generic relation)."""

    content_object = models.ForeignKey("Candidate", on_delete=models.CASCADE)
    tag = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="candidate_items")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="uniq_candidate_skill")
        ]
        indexes = [models.Index(fields=["tag", "content_object"])]


class CandidateTag(TaggedItemBase):
    """Free tags on candidates (silver-medalist, young-talent...), candidate-specific through."""

    content_object = models.ForeignKey("Candidate", on_delete=models.CASCADE)
    tag = models.ForeignKey("taggit.Tag", on_delete=models.CASCADE, related_name="candidate_items")
    # Rules (pools) record which tags they set, so they can remove only their own.
    set_by_rule = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="uniq_candidate_tag")
        ]
        indexes = [models.Index(fields=["tag", "content_object"])]


class PositionSkill(TaggedItemBase):
    content_object = models.ForeignKey("Position", on_delete=models.CASCADE)
    tag = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="position_items")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="uniq_position_skill")
        ]


class EmailKey(Func):
    """Canonical form of an email for likely-duplicate detection: lower case, dots and
    +suffix removed from the local part (j.doe+jobs@X.com ~ jdoe@x.com). Immutable SQL, so it
    can be indexed."""

    template = (
        "(regexp_replace(lower(split_part(%(expressions)s, '@', 1)), '(\\+.*$)|\\.', '', 'g')"
        " || '@' || lower(split_part(%(expressions)s, '@', 2)))"
    )
    output_field = models.CharField()


def email_key(email: str) -> str:
    """Python twin of EmailKey (same rules)."""
    local, _, domain = email.strip().lower().partition("@")
    return f"{local.split('+', 1)[0].replace('.', '')}@{domain}"


class CandidateQuerySet(models.QuerySet["Candidate"]):
    def active(self) -> CandidateQuerySet:
        return self.filter(anonymised_at__isnull=True, merged_into__isnull=True)


# django-taggit has no stubs: the plugin cannot type the reverse managers of the through models
# (CandidateSkill, CandidateTag, PositionSkill) built on its TaggedItemBase.
class Candidate(models.Model):  # type: ignore[django-manager-missing]
    first_name = models.CharField(max_length=100, validators=[validate_single_line])
    last_name = models.CharField(max_length=100, blank=True, validators=[validate_single_line])
    email = models.EmailField(max_length=254, validators=[validate_single_line])
    phone = models.CharField(max_length=40, blank=True, validators=[validate_single_line])
    city = models.CharField(max_length=100, blank=True, validators=[validate_single_line])
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. FR"))
    languages = models.JSONField(default=list, blank=True, help_text=_("e.g. ['fr', 'en']"))
    preferred_language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES)
    profession = models.CharField(
        max_length=120, blank=True, db_index=True, validators=[validate_single_line]
    )
    seniority = models.CharField(max_length=10, choices=Seniority.choices, blank=True)
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    interests = models.JSONField(default=list, blank=True)
    desired_positions = models.JSONField(default=list, blank=True)
    desired_locations = models.JSONField(default=list, blank=True)
    age_bracket = models.CharField(max_length=10, choices=AgeBracket.choices, blank=True)
    source = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("import, career site, referral…"),
        validators=[validate_single_line],
    )
    referred_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    notes = models.TextField(blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set when a duplicate was merged into another record; the row stays as a forwarding stub.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)

    skills = TaggableManager(through=CandidateSkill, related_name="candidates", blank=True)
    tags = TaggableManager(through=CandidateTag, related_name="candidates", blank=True)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="uniq_candidate_email_ci"),
        ]
        indexes = [
            models.Index(fields=["country"]),
            models.Index(fields=["seniority"]),
            GinIndex(
                name="candidate_search_trgm",
                fields=["first_name", "last_name", "email", "profession"],
                opclasses=["gin_trgm_ops"] * 4,
            ),
            models.Index(EmailKey("email"), name="candidate_email_key"),
            # Smart pools and list filters combine country with tag/skill EXISTS on active
            # candidates only. Partial (active rows: the condition every pool/list query has)
            # and holding the id, so "active FR candidates" is an index-only scan in id order
            # that merges/hashes with the through tables' (tag, candidate) index, instead of a
            # heap lookup per tagged candidate to read country and the active flags.
            # Pool count at 1M: ~157k -> ~18k buffers.
            models.Index(
                fields=["country", "id"],
                name="candidate_active_country",
                condition=Q(anonymised_at__isnull=True, merged_into__isnull=True),
            ),
            # The first page (most recently active first) of a country-filtered pool or list:
            # walks only that country's active candidates in page order, instead of every
            # candidate through the last_activity_at index with a heap filter on country.
            # Pool first page at 1M: ~93k -> ~39k buffers.
            models.Index(
                fields=["country", "-last_activity_at", "-id"],
                name="candidate_active_recent",
                condition=Q(anonymised_at__isnull=True, merged_into__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Stage(models.Model):
    """A pipeline stage, configured per tenant; `order` defines how far along it is."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class PositionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RemotePolicy(models.TextChoices):
    # Shown on the public job pages and in job digests: translated.
    ONSITE = "onsite", _("On site")
    HYBRID = "hybrid", _("Hybrid")
    REMOTE = "remote", _("Remote")


class Position(models.Model):  # type: ignore[django-manager-missing]  # see Candidate
    title = models.CharField(max_length=200)
    profession = models.CharField(max_length=120, blank=True, db_index=True)
    department = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=2, blank=True)
    remote_policy = models.CharField(
        max_length=10, choices=RemotePolicy.choices, default=RemotePolicy.ONSITE
    )
    seniority = models.CharField(max_length=10, choices=Seniority.choices, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=PositionStatus.choices, default=PositionStatus.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    required_skills = TaggableManager(through=PositionSkill, related_name="positions", blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.title


class Outcome(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("application outcome", "Active")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    HIRED = "hired", _("Hired")


class Application(models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="applications")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="applications")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    furthest_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.ACTIVE, db_index=True
    )
    source = models.CharField(max_length=60, blank=True)
    # Stored under MEDIA_ROOT/<schema>/ (tenant storage) and served only through a recruiter view.
    cv = models.FileField(upload_to="cvs/%Y/%m/", blank=True, max_length=255)
    applied_at = models.DateTimeField(default=timezone.now)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-applied_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "position"], name="uniq_application")
        ]
        indexes = [models.Index(fields=["furthest_stage", "outcome"])]

    def __str__(self) -> str:
        return f"{self.candidate} → {self.position}"


class Submission(models.Model):
    """What someone typed into a public form (apply, referral) for a person we already know.
    Anyone who knows an address can fill in these forms, so anonymous input never changes the
    stored record: it waits here, shown as "submitted with this application", until a recruiter
    accepts it (it then goes to the profile) or dismisses it; either way this row goes."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="submissions"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=60, blank=True)
    # Profile field -> submitted value, only where it differs from the stored record.
    values = models.JSONField(default=dict, blank=True)
    cv = models.FileField(upload_to="submissions/%Y/%m/", blank=True, max_length=255)
    # A referral link names an ambassador; the record's `referred_by` is set only on accept.
    referred_by = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Submission #{self.pk} for application {self.application_id}"


class ActivityKind(models.TextChoices):
    APPLICATION = "application", _("Application")
    STAGE = "stage", _("Stage move")
    OUTCOME = "outcome", _("Outcome")
    NOTE = "note", _("Note")
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    CONSENT = "consent", _("Consent")
    IMPORT = "import", _("Import")
    EDIT = "edit", _("Profile edit")
    MERGE = "merge", _("Merge")
    TAG = "tag", _("Tag")


class Activity(models.Model):
    """One entry of a candidate's timeline. Later apps write here through
    `candidates.services.activity_record`, linking their own object by (kind, ref)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # What happened, as a code of the timeline's registry (`candidates.timeline`) and its
    # parameters: read as a sentence in the reader's language. `summary` keeps the English
    # sentence as written, shown as is for entries without a known code (legacy text, notes).
    code = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    summary = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    # A pointer to the object another app owns (e.g. "mailing.message:42"), for links/status.
    ref = models.CharField(max_length=80, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["candidate", "-at"])]

    def __str__(self) -> str:
        return self.summary

    @property
    def text(self) -> str:
        """The entry as a sentence in the active language."""
        from candidates.timeline import activity_text

        return activity_text(self)

    @property
    def status_text(self) -> str:
        """Its current status (an email's delivery) in the active language."""
        from candidates.timeline import status_text

        return status_text(self)


class ImportKind(models.TextChoices):
    CANDIDATES = "candidates", _("Candidates")
    APPLICATIONS = "applications", _("Applications")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DryRunStatus(models.TextChoices):
    NONE = "", _("Not run")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Checking")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One import of a file. The decoded rows live in `file` (tenant storage); `cursor` is the
    number of data rows already committed, so a re-run after a crash continues from there (and
    the upserts are idempotent, so repeating a chunk changes nothing)."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Advanced with every committed chunk: a running job whose progress is old was killed.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=255)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)  # header -> field name
    total_rows = models.PositiveIntegerField(default=0)
    cursor = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"line": 3, "column": "email", "reason": "..."}], capped (the count is exact).
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=300, blank=True)
    # When the uploaded file and the error details were deleted (IMPORT_FILE_RETENTION_DAYS
    # after the import finished): the counts stay, the people's data does not.
    purged_at = models.DateTimeField(null=True, blank=True)
    # The dry run (candidates/import_dry_run.py) runs in the worker; the page polls these.
    dry_run_status = models.CharField(
        max_length=10, choices=DryRunStatus.choices, blank=True, default=DryRunStatus.NONE
    )
    dry_run_checked = models.PositiveIntegerField(default=0)  # rows checked so far
    # {"run": id of the current run, "mapping": the mapping it checks, "estimate": rows,
    #  "result": {...} once done, "message": why it failed}
    dry_run = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.original_name}"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(self.cursor * 100 / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def dry_run_percent(self) -> int:
        if self.dry_run_status == DryRunStatus.DONE:
            return 100
        estimate = self.dry_run.get("estimate") or 0
        return min(99, int(self.dry_run_checked * 100 / estimate)) if estimate else 0


class ImportMapping(models.Model):
    """The last column mapping used for a given set of headers, so the next file exported from
    the same system is mapped automatically."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    signature = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "signature"], name="uniq_import_mapping")
        ]

    def __str__(self) -> str:
        return f"{self.kind} mapping {self.signature[:8]}"


class ListPreference(models.Model):
    """A staff user's columns on the candidate list, kept server-side so they follow the user
    from one browser to another."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="candidate_list_pref"
    )
    columns = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"List columns of {self.user_id}"


class SavedView(models.Model):
    """A named candidate-list query (filters and sort) of one user, optionally shared with the
    company's other recruiters."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_candidate_views"
    )
    name = models.CharField(max_length=80, validators=[validate_single_line])
    query = models.CharField(max_length=2000, blank=True)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="candidates_view_owner_name")
        ]

    def __str__(self) -> str:
        return self.name
