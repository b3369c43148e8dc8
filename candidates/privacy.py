"""What candidates holds about people (tenants.privacy registry), and how it erases it.

Also declares taggit's `Tag`: free tags are candidates' (DESIGN §2), and a tag can be named
after someone ("referred by Anna Schmidt").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from candidates.importing import ImportFileError, job_parse
from candidates.models import (
    Activity,
    ActivityKind,
    Candidate,
    CandidateSkill,
    CandidateTag,
    ImportJob,
    ImportStatus,
)
from candidates.timeline import timeline_entry
from tenants.privacy import (
    AppPrivacy,
    Category,
    Dataset,
    Erase,
    Erasure,
    Notice,
    Personal,
    Purpose,
    files_delete,
    person_filter,
    rows_erase,
    scrub_mentions,
)

ERASED_DOMAIN = "invalid.invalid"


def erased_email() -> Concat:
    """The address an erased record keeps: unique, and undeliverable by definition."""
    return Concat(Value("erased-"), Cast("pk", models.CharField()), Value(f"@{ERASED_DOMAIN}"))


def _blank(category: Category, *, mentions: bool = False) -> Personal:
    return Personal(category, Erase.BLANK, mentions=mentions)


CANDIDATE = Dataset(
    model="candidates.Candidate",
    description=gettext_noop("Candidate profile"),
    person="pk",
    purposes=("recruitment", "talent_pool"),
    personal={
        "first_name": Personal(Category.IDENTITY, Erase.REPLACE, replacement="Erased"),
        "last_name": _blank(Category.IDENTITY),
        "email": Personal(Category.CONTACT, Erase.REPLACE, replacement=erased_email()),
        "phone": _blank(Category.CONTACT),
        "city": _blank(Category.CONTACT),
        "country": _blank(Category.PROFILE),
        "languages": _blank(Category.PROFILE),
        "preferred_language": _blank(Category.PROFILE),
        "profession": _blank(Category.PROFILE),
        "seniority": _blank(Category.PROFILE),
        "interests": _blank(Category.PROFILE),
        "desired_positions": _blank(Category.PROFILE),
        "desired_locations": _blank(Category.PROFILE),
        "age_bracket": _blank(Category.PROFILE),
        # Free text ("referral from Anna Schmidt"), so it goes too.
        "source": _blank(Category.PROFILE),
        "notes": _blank(Category.ASSESSMENT, mentions=True),
    },
)

DATASETS = [
    CANDIDATE,
    Dataset(
        model="candidates.Application",
        description=gettext_noop("Applications"),
        person="candidate",
        purposes=("recruitment",),
        personal={"cv": Personal(Category.DOCUMENTS, Erase.DELETE_FILE)},
        not_personal=("outcome", "source"),
    ),
    Dataset(
        model="candidates.Submission",
        description=gettext_noop("Details submitted with an application, waiting for a recruiter"),
        person="application__candidate",
        purposes=("recruitment",),
        personal={
            "values": Personal(Category.CONTACT, Erase.DELETE_ROW),
            "cv": Personal(Category.DOCUMENTS, Erase.DELETE_FILE),
        },
        not_personal=("source",),
    ),
    Dataset(
        model="candidates.Activity",
        description=gettext_noop("Timeline"),
        person="candidate",
        purposes=("recruitment",),
        personal={
            # What happened when stays ("Stage move", "Email"), nothing of what it said.
            "summary": Personal(
                Category.ASSESSMENT,
                Erase.REPLACE,
                replacement=Case(
                    *(
                        When(kind=value, then=Value(str(label)))
                        for value, label in ActivityKind.choices
                    ),
                    default=Value("Entry"),
                ),
                mentions=True,
            ),
            # Notes can hold anything (health, family): gone with the person.
            "body": _blank(Category.ASSESSMENT, mentions=True),
            "data": _blank(Category.ASSESSMENT),
            # What the sentence names (a position, a subject, another person): the entry then
            # reads as its kind only (candidates.timeline.activity_text).
            "params": _blank(Category.ASSESSMENT, mentions=True),
        },
        # The code says which sentence; the summary says it in words, for the export.
        not_personal=("kind", "ref", "code"),
        internal=("code", "params"),
    ),
    Dataset(
        model="candidates.ImportJob",
        description=gettext_noop("Imports"),
        purposes=("imports",),
        personal={
            # Deleted (whole file) when it holds an erased person, and after the retention.
            "file": Personal(Category.DOCUMENTS, Erase.DELETE_FILE),
            "original_name": Personal(Category.FREE_TEXT, Erase.SCRUB),
            "errors": Personal(Category.FREE_TEXT, Erase.SCRUB),
            # The worker's dry run keeps sample rows and errors of the file.
            "dry_run": Personal(Category.FREE_TEXT, Erase.SCRUB),
        },
        not_personal=(
            "kind",
            "status",
            "dry_run_status",
            "encoding",
            "delimiter",
            "headers",
            "mapping",
            "message",
        ),
    ),
    Dataset(
        model="candidates.ImportMapping",
        description=gettext_noop("Saved import column mappings"),
        not_personal=("kind", "signature", "mapping"),
    ),
    Dataset(
        model="candidates.Position",
        description=gettext_noop("Positions"),
        not_personal=(
            "title",
            "profession",
            "department",
            "location",
            "country",
            "remote_policy",
            "seniority",
            "description",
            "status",
        ),
    ),
    Dataset(
        model="candidates.Stage", description=gettext_noop("Stages"), not_personal=("name", "slug")
    ),
    Dataset(
        model="candidates.ListPreference",
        description=gettext_noop("Candidate list columns chosen by each staff user"),
        not_personal=("columns",),
    ),
    Dataset(
        model="candidates.SavedView",
        description=gettext_noop("Saved candidate-list views (a search may name someone)"),
        personal={
            "name": Personal(Category.FREE_TEXT, Erase.SCRUB),
            "query": Personal(Category.FREE_TEXT, Erase.SCRUB),
        },
        not_personal=("shared",),
    ),
    Dataset(
        model="candidates.Skill",
        description=gettext_noop("Skills"),
        personal={
            "name": Personal(Category.FREE_TEXT, Erase.SCRUB),
            "slug": Personal(Category.FREE_TEXT, Erase.SCRUB),
        },
    ),
    Dataset(
        model="taggit.Tag",
        description=gettext_noop("Tags"),
        personal={
            "name": Personal(Category.FREE_TEXT, Erase.SCRUB),
            "slug": Personal(Category.FREE_TEXT, Erase.SCRUB),
        },
    ),
]


def _import_retention() -> str:
    return gettext(
        "Uploaded files and the details of their errors: %(days)s days after the import finished."
    ) % {"days": settings.IMPORT_FILE_RETENTION_DAYS}


_APPLY = _(
    "We use your details and CV to assess your application and to contact you about it. "
    "Nothing you type here changes a profile we already hold: a recruiter checks it first."
)
NOTICES = [
    Notice("apply", _APPLY, ("recruitment",)),
    Notice(
        "reapply",
        _("We add this application to the profile we hold about you and assess it."),
        ("recruitment",),
    ),
]


PURPOSES = [
    Purpose(
        key="imports",
        label=gettext_noop("Importing candidates from files"),
        basis=gettext_noop(
            "Legitimate interest (moving existing candidate records into the product)"
        ),
        retention=_import_retention,
    ),
]


# --- Erasure --------------------------------------------------------------------------------------


def _holds_person(job: ImportJob, needles: set[str]) -> bool:
    """Whether the stored import file has a cell equal to one of the person's addresses or
    phone numbers (CSV and XLSX alike, through the importer's own reader)."""
    try:
        parsed = job_parse(job)
    except (ImportFileError, OSError):
        return True  # unreadable: cannot prove it does not hold them, so it goes
    return any(cell.strip().lower() in needles for row in parsed.rows() for cell in row.cells)


def _purge(job_ids: list[int], now: datetime) -> None:
    """Delete the jobs' files and keep nothing of their contents: the name becomes
    "import-<id>.<ext>", errors keep their line and column but not the reason (which quotes the
    file's values), the dry run's sample rows go. Counts and the mapping stay."""
    files_delete(ImportJob.objects.filter(pk__in=job_ids), ["file"])
    for job in ImportJob.objects.filter(pk__in=job_ids).only("pk", "original_name", "errors"):
        extension = job.original_name.rsplit(".", 1)[-1][:8] if "." in job.original_name else ""
        ImportJob.objects.filter(pk=job.pk).update(
            file="",
            original_name=f"import-{job.pk}.{extension}" if extension else f"import-{job.pk}",
            errors=[{"line": e.get("line"), "column": e.get("column", "")} for e in job.errors],
            dry_run={},
            purged_at=now,
        )


def _imports_erase(erasure: Erasure, needles: set[str]) -> None:
    """Every import whose file holds the person is purged now, not at the end of its
    retention; one still running stops (the rows committed so far stay)."""
    holding = [
        job
        for job in ImportJob.objects.filter(purged_at__isnull=True).exclude(file="")
        if _holds_person(job, needles)
    ]
    _purge([job.pk for job in holding], erasure.at)
    unfinished = [j.pk for j in holding if j.status not in (ImportStatus.DONE, ImportStatus.FAILED)]
    ImportJob.objects.filter(pk__in=unfinished).update(
        status=ImportStatus.FAILED,
        message="Stopped: the file held a person whose data was erased. Upload it again "
        "without them to import the rest.",
    )
    erasure.count("candidates.importjob purged", len(holding))


def candidates_personal_erase(erasure: Erasure) -> None:
    """Erase the people's profile, applications, submissions, timeline, tags and skills, and
    every import file that holds them; scrub their long identifiers from free text anywhere."""
    ids = erasure.candidate_ids
    by_model = {d.model: d for d in DATASETS}
    for through in (CandidateTag, CandidateSkill):
        deleted, _ = through.objects.filter(content_object_id__in=ids).delete()
        erasure.count(through._meta.label_lower, deleted)
    for label in ("candidates.Submission", "candidates.Application", "candidates.Activity"):
        dataset = by_model[label]
        model = dataset.model_class()
        own = model._default_manager.filter(person_filter(dataset, ids))
        erasure.count(label.lower(), rows_erase(dataset, own, erasure))
    needles = {e.lower() for e in erasure.emails}
    needles |= {t.lower() for t in erasure.terms if any(ch.isdigit() for ch in t)}
    _imports_erase(erasure, needles)
    for dataset in DATASETS:
        erasure.count(f"{dataset.model.lower()} mentions", scrub_mentions(dataset, erasure))
    profile = Candidate.objects.filter(pk__in=ids)
    rows_erase(CANDIDATE, profile, erasure)
    profile.update(referred_by=None, years_experience=None, anonymised_at=erasure.at)
    erasure.count("candidates.candidate", len(ids))
    Activity.objects.bulk_create(
        timeline_entry(
            code="candidate.erased",
            candidate_id=pk,
            kind=ActivityKind.EDIT,
            actor=erasure.actor if erasure.actor and erasure.actor.pk else None,
            at=erasure.at,
        )
        for pk in ids
    )


# --- Retention ------------------------------------------------------------------------------------


def import_files_expire(now: datetime) -> Mapping[str, int]:
    """Imports finished longer ago than IMPORT_FILE_RETENTION_DAYS lose their file, their file
    name and the details of their errors (which quote the file's values); counts stay."""
    cutoff = now - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    finished = Q(status__in=[ImportStatus.DONE, ImportStatus.FAILED]) & (
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True)
    )
    # An upload that was never started is as finished as it will ever be.
    abandoned = Q(status=ImportStatus.UPLOADED)
    due = ImportJob.objects.filter(
        finished | abandoned, purged_at__isnull=True, updated_at__lt=cutoff
    )
    ids = list(due.values_list("pk", flat=True))
    _purge(ids, now)
    return {"import_files_deleted": len(ids)}


PRIVACY = AppPrivacy(
    app_label="candidates",
    datasets=DATASETS,
    erase=candidates_personal_erase,
    retention=import_files_expire,
    purposes=PURPOSES,
    notices=NOTICES,
)
