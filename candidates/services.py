from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from taggit.models import Tag

from accounts.models import User
from candidates.events import (
    candidates_changed,
    candidates_merged,
)
from candidates.fields import CANDIDATE_FIELDS, LIST_FIELDS
from candidates.models import (
    Activity,
    ActivityKind,
    Application,
    Candidate,
    CandidateSkill,
    CandidateTag,
    Skill,
)
from candidates.timeline import timeline_entry, timeline_summary
from tenants.db import Each, rows_update
from tenants.privacy import ERASED


class CandidateError(Exception):
    """A candidate action was refused; the message is shown to the user."""


MAX_TAG_LENGTH = 100


def changed_on_commit(candidate_ids: Iterable[int], reason: str) -> None:
    ids = sorted(set(candidate_ids))
    if ids:
        transaction.on_commit(
            lambda: candidates_changed.send(sender=Candidate, candidate_ids=ids, reason=reason)
        )


def activity_record(
    *,
    candidate: Candidate,
    kind: str,
    code: str = "",
    params: dict[str, Any] | None = None,
    summary: str = "",
    actor: User | None = None,
    body: str = "",
    application: Application | None = None,
    ref: str = "",
    data: dict[str, Any] | None = None,
    at: Any = None,
) -> Activity:
    """Add an entry to the candidate's timeline (the one feed every app writes to). What
    happened is a `code` of `candidates.timeline` with its `params`, read in each reader's
    language; a bare `summary` is for text nobody translates (a note's first line)."""
    activity = Activity.objects.create(
        candidate=candidate,
        kind=kind,
        code=code,
        params=params or {},
        summary=(timeline_summary(code, params) if code else summary)[:300],
        actor=actor if actor and actor.pk else None,
        body=body,
        application=application,
        ref=ref,
        data=data or {},
        at=at or timezone.now(),
    )
    Candidate.objects.filter(pk=candidate.pk, last_activity_at__lt=activity.at).update(
        last_activity_at=activity.at
    )
    return activity


def activity_record_many(
    *, activities: Sequence[Activity], bump_last_activity: bool = True
) -> list[Activity]:
    """Add many timeline entries (unsaved `Activity` objects) in one INSERT, and move each
    candidate's "last activity" forward in one UPDATE. `bump_last_activity=False` is for entries
    that are not the person's activity (our own automated email leaving the outbox): the "Last
    activity" criterion must keep telling recruiters who actually engaged."""
    now = timezone.now()
    for activity in activities:
        if activity.code and not activity.summary:
            activity.summary = timeline_summary(activity.code, activity.params)
        activity.summary = activity.summary[:300]
        activity.data = activity.data or {}
        activity.at = activity.at or now
    created = Activity.objects.bulk_create(activities, batch_size=1000)
    # Work started before someone was erased can finish after it (an email handed to the ESP
    # while the erasure ran): its entry keeps no text. The insert waited for the erasure's
    # lock on the candidate row, so this statement sees the erasure once it committed.
    Activity.objects.filter(
        pk__in=[a.pk for a in created], candidate__anonymised_at__isnull=False
    ).update(summary=ERASED, body="", data={}, params={})
    if bump_last_activity and created:
        latest: dict[int, Any] = {}
        for activity in created:
            if activity.candidate_id not in latest or activity.at > latest[activity.candidate_id]:
                latest[activity.candidate_id] = activity.at
        rows_update(
            Candidate._meta.db_table,
            "id",
            {
                "id": Each("bigint", list(latest)),
                "last_activity_at": Each("timestamptz", list(latest.values())),
            },
            where="t.last_activity_at < v.last_activity_at",
        )
    return created


def activity_status_set(*, ref: str, status: str) -> int:
    """Keep the status badge of an "Email sent" timeline entry current (mailing calls it when a
    message's status changes): one UPDATE on the indexed `ref`, so the candidate page reads the
    status from its own rows. Per-event entries carry `event`, not `status`, and are left as
    written. Not the person's activity: no event, "last activity" unchanged."""
    return Activity.objects.filter(ref=ref, kind=ActivityKind.EMAIL, data__has_key="status").update(
        data=RawSQL("data || jsonb_build_object('status', %s::text)", [str(status)])
    )


# --- Candidates ---------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CandidateError(
            gettext("“%(email)s” is not a valid email address.") % {"email": email}
        ) from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CANDIDATE_FIELDS)
    if unknown:
        raise CandidateError(
            gettext("Unknown candidate fields: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "country" and isinstance(value, str):
            value = value.upper()
        cleaned[name] = value
    return cleaned


def _validate(candidate: Candidate) -> None:
    try:
        # Uniqueness is enforced by the database (and handled by the callers).
        candidate.full_clean(
            exclude=["referred_by", "merged_into"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise CandidateError(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        ) from None


def _skills_add(candidate: Candidate, names: Iterable[str]) -> None:
    skills = skills_get_or_create(names)
    CandidateSkill.objects.bulk_create(
        [CandidateSkill(content_object=candidate, tag=skill) for skill in skills],
        ignore_conflicts=True,
    )


def skills_get_or_create(names: Iterable[str]) -> list[Skill]:
    """Skills by name, case-insensitively (an existing "Python" absorbs "python")."""
    wanted: dict[str, str] = {}
    for name in names:
        name = " ".join(str(name).split())[:MAX_TAG_LENGTH]
        if name:
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return []
    found = {s.name.lower(): s for s in _by_lower_name(Skill, list(wanted))}
    missing = [name for key, name in wanted.items() if key not in found]
    for name in missing:
        skill = Skill(name=name, slug=unique_slug(Skill, name))
        try:
            with transaction.atomic():
                skill.save()
        except IntegrityError:
            skill = Skill.objects.get(name__iexact=name)
        found[name.lower()] = skill
    return [found[key] for key in wanted]


def _by_lower_name(model: Any, lowered: list[str]) -> QuerySet:
    return model.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=lowered)


def unique_slug(model: type[Model], name: str) -> str:
    base = slugify(name)[:90] or "item"
    slug, n = base, 1
    while model._default_manager.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def candidate_upsert(
    *, email: str, actor: User | None, source: str, **fields: Any
) -> tuple[Candidate, bool]:
    """Create the candidate, or complete the existing one with the same email (any case).

    Never overwrites a filled field, and never blanks one: imports and forms only add what we did
    not know. `skills` (names) are added to the existing ones. A merged record forwards to the
    record it was merged into.
    """
    email = normalise_email(email)
    skills = fields.pop("skills", None) or []
    fields = _clean_fields(fields)
    candidate = Candidate.objects.select_for_update().filter(email__iexact=email).first()
    while candidate is not None and candidate.merged_into_id:
        candidate = Candidate.objects.select_for_update().get(pk=candidate.merged_into_id)
    created = candidate is None
    if candidate is None:
        values = {k: v for k, v in fields.items() if not _is_blank(v)}
        values.setdefault("source", source)
        candidate = Candidate(email=email, **values)
        _validate(candidate)
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError:
            # Another request created the same person meanwhile: complete theirs instead.
            return candidate_upsert(
                email=email, actor=actor, source=source, skills=skills, **fields
            )
        activity_record(
            candidate=candidate,
            kind=ActivityKind.EDIT,
            code="candidate.added_from" if source else "candidate.added",
            params={"source": source} if source else {},
            actor=actor,
        )
    else:
        changed = [
            name
            for name, value in fields.items()
            if not _is_blank(value) and _is_blank(getattr(candidate, name))
        ]
        for name in changed:
            setattr(candidate, name, fields[name])
        if changed:
            _validate(candidate)
            candidate.save(update_fields=[*changed, "updated_at"])
            activity_record(
                candidate=candidate,
                kind=ActivityKind.EDIT,
                code="candidate.completed" if source else "candidate.completed_form",
                params={"source": source, "fields": changed} if source else {"fields": changed},
                actor=actor,
            )
    if skills:
        _skills_add(candidate, skills)
    changed_on_commit([candidate.pk], "create" if created else "edit")
    return candidate, created


@transaction.atomic
def candidate_update(
    *, candidate: Candidate, actor: User | None, email: str | None = None, **fields: Any
) -> Candidate:
    """Edit a profile (the recruiter's form: here blank values DO clear fields)."""
    skills = fields.pop("skills", None)
    fields = _clean_fields(fields)
    changed = [name for name, value in fields.items() if getattr(candidate, name) != value]
    for name in changed:
        setattr(candidate, name, fields[name])
    if email is not None:
        email = normalise_email(email)
        if email != candidate.email:
            clash = Candidate.objects.filter(email__iexact=email).exclude(pk=candidate.pk).first()
            if clash:
                raise CandidateError(
                    gettext("%(email)s already belongs to %(name)s; merge the two records instead.")
                    % {"email": email, "name": clash.full_name}
                )
            candidate.email = email
            changed.append("email")
    if changed:
        _validate(candidate)
        candidate.save(update_fields=[*changed, "updated_at"])
    if skills is not None:
        wanted = skills_get_or_create(skills)
        current = set(candidate.skills.values_list("pk", flat=True))
        if current != {s.pk for s in wanted}:
            CandidateSkill.objects.filter(content_object=candidate).exclude(tag__in=wanted).delete()
            _skills_add(candidate, [s.name for s in wanted])
            changed.append("skills")
    if changed:
        activity_record(
            candidate=candidate,
            kind=ActivityKind.EDIT,
            code="candidate.edited",
            params={"fields": changed},
            actor=actor,
        )
        changed_on_commit([candidate.pk], "edit")
    return candidate


@transaction.atomic
def candidate_note_add(*, candidate: Candidate, body: str, actor: User | None) -> Activity:
    body = (body or "").strip()
    if not body:
        raise CandidateError(gettext("A note cannot be empty."))
    if len(body) > 10_000:
        raise CandidateError(gettext("A note is limited to 10,000 characters."))
    first_line = body.splitlines()[0]
    return activity_record(
        candidate=candidate,
        kind=ActivityKind.NOTE,
        summary=first_line[:120] + ("…" if len(first_line) > 120 else ""),
        body=body,
        actor=actor,
    )


# --- Tags ---------------------------------------------------------------------------------------


def tag_names_validate(names: Iterable[str]) -> list[str]:
    """Trimmed, printable, 1-100 characters; duplicates (any case) removed, order kept."""
    result: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise CandidateError(
                gettext("A tag has at most %(max)s characters: “%(name)s…”.")
                % {"max": MAX_TAG_LENGTH, "name": name[:30]}
            )
        if not name.isprintable():
            raise CandidateError(
                gettext("The tag “%(name)s” contains invisible characters.") % {"name": repr(name)}
            )
        result.setdefault(name.lower(), name)
    if not result:
        raise CandidateError(gettext("Give at least one tag name."))
    return list(result.values())


def tags_get_or_create(names: list[str]) -> list[Tag]:
    found = {t.name.lower(): t for t in _by_lower_name(Tag, [n.lower() for n in names])}
    tags = []
    for name in names:
        tag = found.get(name.lower())
        if tag is None:
            tag = Tag(name=name, slug=unique_slug(Tag, name))
            try:
                with transaction.atomic():
                    tag.save()
            except IntegrityError:
                tag = Tag.objects.get(name__iexact=name)
        tags.append(tag)
    return tags


def _candidate_ids(candidates: Iterable[Candidate] | QuerySet) -> list[int]:
    if isinstance(candidates, QuerySet):
        return list(candidates.values_list("pk", flat=True))
    return [c.pk for c in candidates]


@transaction.atomic
def candidate_tags_add(
    *, candidates: Iterable[Candidate] | QuerySet, names: Iterable[str], actor: User | None
) -> int:
    """Tag candidates by hand; returns how many (candidate, tag) pairs were new. A tag a rule
    had set becomes a manual one (so the rule will not remove it)."""
    tags = tags_get_or_create(tag_names_validate(names))
    ids = _candidate_ids(candidates)
    existing = set(
        CandidateTag.objects.filter(content_object_id__in=ids, tag__in=tags).values_list(
            "content_object_id", "tag_id"
        )
    )
    rows = [
        CandidateTag(content_object_id=cid, tag=tag, set_by_rule=False)
        for cid in ids
        for tag in tags
    ]
    CandidateTag.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["content_object", "tag"],
        update_fields=["set_by_rule"],
        batch_size=2000,
    )
    names = [t.name for t in tags]
    new_pairs = len(rows) - len(existing)
    Activity.objects.bulk_create(
        [
            timeline_entry(
                code="candidate.tagged",
                params={"tags": names},
                candidate_id=cid,
                kind=ActivityKind.TAG,
                actor=actor if actor and actor.pk else None,
            )
            for cid in ids
        ],
        batch_size=2000,
    )
    Candidate.objects.filter(pk__in=ids).update(last_activity_at=timezone.now())
    changed_on_commit(ids, "tags")
    return new_pairs


@transaction.atomic
def candidate_tags_remove(
    *, candidates: Iterable[Candidate] | QuerySet, names: Iterable[str], actor: User | None
) -> int:
    lowered = [n.lower() for n in tag_names_validate(names)]
    ids = _candidate_ids(candidates)
    tags = [t for t in Tag.objects.all() if t.name.lower() in lowered]
    removed, _ = CandidateTag.objects.filter(content_object_id__in=ids, tag__in=tags).delete()
    if removed:
        names = [t.name for t in tags]
        Activity.objects.bulk_create(
            [
                timeline_entry(
                    code="candidate.untagged",
                    params={"tags": names},
                    candidate_id=cid,
                    kind=ActivityKind.TAG,
                    actor=actor if actor and actor.pk else None,
                )
                for cid in ids
            ],
            batch_size=2000,
        )
        changed_on_commit(ids, "tags")
    return removed


# --- Merge --------------------------------------------------------------------------------------


@transaction.atomic
def candidate_merge(*, kept: Candidate, merged: Candidate, actor: User | None) -> Candidate:
    """Fold `merged` into `kept` without losing anything: blanks filled, applications, timeline,
    skills, tags and referrals moved; other apps move their own rows on `candidates_merged`.
    The merged row stays as a forwarding stub (merged_into) so old links and ids still resolve."""
    if kept.pk == merged.pk:
        raise CandidateError(gettext("A record cannot be merged into itself."))
    locked = {
        c.pk: c
        for c in Candidate.objects.select_for_update()
        .filter(pk__in=[kept.pk, merged.pk])
        .order_by("pk")
    }
    kept, merged = locked[kept.pk], locked[merged.pk]
    if kept.merged_into_id or merged.merged_into_id:
        raise CandidateError(gettext("One of these records was already merged."))

    filled = []
    for name in CANDIDATE_FIELDS:
        mine, theirs = getattr(kept, name), getattr(merged, name)
        if name in LIST_FIELDS:
            union = list(dict.fromkeys([*mine, *theirs]))
            if union != mine:
                setattr(kept, name, union)
                filled.append(name)
        elif name == "notes" and theirs and theirs not in mine:
            kept.notes = f"{mine}\n\n{theirs}".strip()
            filled.append(name)
        elif _is_blank(mine) and not _is_blank(theirs):
            setattr(kept, name, theirs)
            filled.append(name)
    if kept.last_activity_at < merged.last_activity_at:
        kept.last_activity_at = merged.last_activity_at
    kept.save()

    kept_by_position = {
        a.position_id: a for a in kept.applications.select_related("furthest_stage")
    }
    for application in merged.applications.select_related("furthest_stage", "position"):
        twin = kept_by_position.get(application.position_id)
        if twin is None:
            application.candidate = kept
            application.save(update_fields=["candidate"])
            continue
        # Both applied to the same position: keep one application, the furthest along.
        if application.furthest_stage.order > twin.furthest_stage.order:
            twin.furthest_stage = application.furthest_stage
            twin.save(update_fields=["furthest_stage"])
        Activity.objects.filter(application=application).update(application=twin)
        application.delete()

    Activity.objects.filter(candidate=merged).update(candidate=kept)
    CandidateSkill.objects.bulk_create(
        [
            CandidateSkill(content_object=kept, tag_id=t)
            for t in CandidateSkill.objects.filter(content_object=merged).values_list(
                "tag_id", flat=True
            )
        ],
        ignore_conflicts=True,
    )
    CandidateTag.objects.bulk_create(
        [
            CandidateTag(content_object=kept, tag_id=t, set_by_rule=r)
            for t, r in CandidateTag.objects.filter(content_object=merged).values_list(
                "tag_id", "set_by_rule"
            )
        ],
        ignore_conflicts=True,
    )
    CandidateSkill.objects.filter(content_object=merged).delete()
    CandidateTag.objects.filter(content_object=merged).delete()
    Candidate.objects.filter(referred_by=merged).exclude(pk=kept.pk).update(referred_by=kept)
    Candidate.objects.filter(merged_into=merged).update(merged_into=kept)

    candidates_merged.send(sender=Candidate, kept=kept, merged=merged)

    merged.merged_into = kept
    merged.save(update_fields=["merged_into", "updated_at"])
    activity_record(
        candidate=kept,
        kind=ActivityKind.MERGE,
        code="candidate.merged",
        params={"name": merged.full_name, "email": merged.email},
        actor=actor,
        data={"merged_id": merged.pk, "filled": filled},
    )
    changed_on_commit([kept.pk, merged.pk], "merge")
    return kept
