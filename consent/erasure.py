"""Erasure (GDPR art. 17): a walk of the personal-data registry (tenants.privacy).

Who is erased: the record asked about, every duplicate merged into it and, when the record is
itself a merged duplicate, the record it was merged into (a merge says they are one person),
with all of that record's duplicates.

What happens: every app erases its own rows with the function it registered, later apps first
(their rows point at the earlier apps'), candidates last, which marks the records anonymised.
What stays is anonymous or pseudonymous on purpose (declared `Erase.RETAIN`, shown on the
records of processing page): positions, stages and outcomes of applications, the consent
ledger without IP, browser or free text, and a hash of each address on the suppression list.

Concurrency: the records are locked FOR NO KEY UPDATE, which does not block rows being
inserted that point at them (an email leaving while the erasure runs writes its timeline entry
and is blanked by candidates' timeline service once the erasure committed; see
`candidates.services.activity_record_many`). Mailing erases before candidates, so an email
claimed by a worker either leaves before its row is blanked or is stopped by the claim check.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.services import audit_log_record
from candidates.models import Candidate
from consent.events import candidate_erased
from mailing.models import email_hash
from tenants.privacy import Erasure, erasure_terms, registered


def _family_ids(candidate_ids: Iterable[int]) -> list[int]:
    """The records, the records they were merged into, and every duplicate merged into any of
    those (merges chain: A into B, B into C)."""
    ids = set(candidate_ids)
    while True:
        rows = Candidate.objects.filter(pk__in=ids).values_list("pk", "merged_into_id")
        upward = {into for _, into in rows if into}
        downward = set(
            Candidate.objects.filter(merged_into_id__in=ids).values_list("pk", flat=True)
        )
        grown = ids | upward | downward
        if grown == ids:
            return sorted(ids)
        ids = grown


def _identifying_values(record: Candidate) -> list[str]:
    full_name = record.full_name
    # The slug form catches names turned into tag slugs or file names.
    return [
        record.email,
        record.phone,
        full_name,
        slugify(full_name),
        record.first_name,
        record.last_name,
    ]


def _erase(records: list[Candidate], *, actor: User | None, reason: str) -> Erasure:
    values: list[str] = []
    for record in records:
        values += _identifying_values(record)
    terms, mentions = erasure_terms(values)
    erasure = Erasure(
        candidate_ids=tuple(r.pk for r in records),
        emails=tuple(sorted({r.email.strip().lower() for r in records if r.email})),
        terms=tuple(terms),
        mentions=tuple(mentions),
        actor=actor,
        reason=reason,
        at=timezone.now(),
    )
    for app in reversed(registered()):
        if app.erase is not None:
            app.erase(erasure)
    return erasure


def _lock(candidate_ids: Iterable[int]) -> list[Candidate]:
    """The people's records not yet erased, locked, in a stable order (no deadlock between two
    erasures of overlapping families)."""
    family = _family_ids(candidate_ids)
    locked = list(
        Candidate.objects.select_for_update(no_key=True).filter(pk__in=family).order_by("pk")
    )
    return [record for record in locked if record.anonymised_at is None]


def _announce(erasure: Erasure) -> None:
    ids, reason = list(erasure.candidate_ids), erasure.reason
    hashes = [email_hash(address) for address in erasure.emails]
    transaction.on_commit(
        lambda: candidate_erased.send(
            sender=Candidate, candidate_ids=ids, email_hashes=hashes, reason=reason
        )
    )


@transaction.atomic
def candidate_erase(*, candidate: Candidate, actor: User | None, reason: str = "request") -> int:
    """Erase one person everywhere; returns how many records were erased (0 when they already
    were: asking twice is harmless)."""
    records = _lock([candidate.pk])
    if not records:
        return 0
    erasure = _erase(records, actor=actor, reason=reason)
    audit_log_record(
        actor=actor,
        action="candidate.erased",
        target=f"candidate:{candidate.pk}",
        details={
            "reason": reason,
            "records": list(erasure.candidate_ids),
            "changed": erasure.changed,
        },
    )
    _announce(erasure)
    return len(records)


@transaction.atomic
def candidates_erase(*, candidates: Iterable[Candidate], actor: User | None, reason: str) -> int:
    """Erase several people in one walk of the registry (retention runs); returns how many
    records were erased."""
    records = _lock(c.pk for c in candidates)
    if not records:
        return 0
    erasure = _erase(records, actor=actor, reason=reason)
    for record in records:
        audit_log_record(
            actor=actor,
            action="candidate.erased",
            target=f"candidate:{record.pk}",
            details={"reason": reason},
        )
    _announce(erasure)
    return len(records)
