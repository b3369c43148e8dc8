"""The access export (GDPR art. 15): everything held about a person, as JSON and as a readable
PDF, prepared by the worker with progress (a long history must not time out a request).

What is exported is what the personal-data registry (tenants.privacy) says: every declared
model with a `person` lookup, each row without the columns declared internal. A model another
app adds later is exported as soon as it is declared. Recruiters' internal notes (call notes,
timeline notes) are included: the right of access covers them.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from candidates.i18n import candidate_language
from candidates.models import Activity, Candidate
from candidates.timeline import activity_text
from consent.export_labels import FIELD_LABELS, SECTION_TITLES
from consent.models import AccessExport, DataRequest, ExportStatus, RequestStatus
from tenants.context import current_tenant_or_none
from tenants.i18n import format_zoned, localised, tenant_zone
from tenants.privacy import Dataset, dataset_for, datasets, export_row, person_filter

# A readable PDF of 10,000 timeline entries helps nobody (and takes minutes to lay out): each
# section shows its newest rows and says how many more the JSON file holds.
PDF_ROWS_PER_SECTION = 300
PROGRESS_EVERY = 1000
ProgressFn = Callable[[int, int], None]


@dataclass
class Section:
    label: str
    title: str
    dataset: Dataset
    rows: models.QuerySet


def family_ids(candidate: Candidate) -> list[int]:
    """The record and every duplicate merged into it (merges chain)."""
    ids = {candidate.pk}
    frontier = {candidate.pk}
    while frontier:
        frontier = (
            set(Candidate.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
            - ids
        )
        ids |= frontier
    return sorted(ids)


def export_sections(candidate: Candidate) -> list[Section]:
    ids = family_ids(candidate)
    sections = []
    for dataset in datasets():
        if not dataset.person:
            continue
        model = dataset.model_class()
        rows = model._default_manager.filter(person_filter(dataset, ids))
        if model is Candidate:
            # The profile comes first on its own; here only the duplicates merged into it.
            rows = rows.exclude(pk=candidate.pk)
        sections.append(
            Section(
                label=model._meta.label_lower,
                title=dataset.description,
                dataset=dataset,
                rows=rows.order_by("-pk"),
            )
        )
    return sections


def candidate_export(candidate: Candidate, progress: ProgressFn | None = None) -> dict[str, Any]:
    sections = export_sections(candidate)
    counts = [section.rows.count() for section in sections]
    total, done = sum(counts) + 1, 1
    profile_dataset = dataset_for(Candidate)
    assert profile_dataset is not None
    profile = export_row(profile_dataset, candidate)
    profile["skills"] = sorted(candidate.skills.names())
    profile["tags"] = sorted(candidate.tags.names())
    records: dict[str, list[dict[str, Any]]] = {}
    titles: dict[str, str] = {}
    language = candidate_language(candidate)
    for section, count in zip(sections, counts, strict=True):
        if not count:
            continue
        rows = []
        for obj in section.rows.iterator(chunk_size=PROGRESS_EVERY):
            row = export_row(section.dataset, obj)
            if isinstance(obj, Activity):
                # A timeline entry is a code and parameters: the person reads the sentence.
                with translation.override(language):
                    row["summary"] = activity_text(obj)
            rows.append(row)
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
        records[section.label] = rows
        titles[section.label] = section.title
    if progress is not None:
        progress(total, total)
    tenant = current_tenant_or_none()
    return {
        "prepared_at": timezone.now(),
        "controller": tenant.controller if tenant is not None else "",
        "profile": profile,
        "records": records,
        "titles": titles,
    }


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def _readable(value: Any) -> str:
    """A value as the person reads it, in the active language and zone."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return str(gettext("yes") if value else gettext("no"))
    if isinstance(value, datetime.datetime):
        return format_zoned(value)
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, int | float | Decimal):
        return formats.number_format(value)
    return str(value)


def _labelled(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(FIELD_LABELS.get(key, key)), _readable(value)) for key, value in row.items()]


def export_pdf_html(candidate: Candidate, data: dict[str, Any]) -> str:
    """The PDF's HTML in the person's language, times in the company's zone (named)."""
    titles = {model.lower(): title for model, title in SECTION_TITLES.items()}
    with localised(language=candidate_language(candidate), zone=tenant_zone()):
        sections = [
            {
                "title": str(titles.get(label, data["titles"][label])),
                "count": len(rows),
                "rows": [_labelled(row) for row in rows[:PDF_ROWS_PER_SECTION]],
                "more": max(0, len(rows) - PDF_ROWS_PER_SECTION),
            }
            for label, rows in data["records"].items()
        ]
        return render_to_string(
            "consent/export_pdf.html",
            {
                "lang": translation.get_language(),
                "candidate": candidate,
                "profile": _labelled(data["profile"]),
                "sections": sections,
                "current_tenant": current_tenant_or_none(),
                "prepared_at": format_zoned(data["prepared_at"]),
            },
        )


def export_pdf(candidate: Candidate, data: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = export_pdf_html(candidate, data)
    # No base URL: the document can load nothing from anywhere.
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return pdf


def candidate_export_json(candidate: Candidate) -> bytes:
    return export_json(candidate_export(candidate))


def candidate_export_pdf(candidate: Candidate) -> bytes:
    return export_pdf(candidate, candidate_export(candidate))


# --- The worker job -------------------------------------------------------------------------------


@transaction.atomic
def access_export_start(
    *,
    candidate: Candidate,
    actor: User | None = None,
    request: DataRequest | None = None,
) -> AccessExport:
    """Queue a copy of the person's data (enqueued once this transaction commits). One that is
    already waiting or running for the same person is returned instead of a second one."""
    from consent.tasks import access_export_task  # tasks import this module

    running = AccessExport.objects.filter(
        candidate=candidate, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).first()
    if running is not None:
        if request is not None and running.request_id is None:
            running.request = request
            running.save(update_fields=["request"])
        return running
    export = AccessExport.objects.create(
        candidate=candidate, request=request, requested_by=actor if actor and actor.pk else None
    )
    transaction.on_commit(lambda: access_export_task.delay(export.pk))
    return export


def _progress(export_id: int) -> ProgressFn:
    def report(done: int, total: int) -> None:
        # Outside any transaction: the page polling the job sees each step at once.
        AccessExport.objects.filter(pk=export_id).update(processed=done, total=total)

    return report


def access_export_run(*, export_id: int) -> AccessExport | None:
    """Prepare the files. Safe to run twice (a finished export is left alone), and it writes
    nothing if the person was erased meanwhile (the erasure deleted the export)."""
    with transaction.atomic():
        export = (
            AccessExport.objects.select_for_update(skip_locked=True)
            .filter(pk=export_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
            .select_related("candidate")
            .first()
        )
        if export is None:
            return AccessExport.objects.filter(pk=export_id).first()
        export.status = ExportStatus.RUNNING
        export.save(update_fields=["status"])
    candidate = export.candidate
    try:
        data = candidate_export(candidate, progress=_progress(export.pk))
        as_json, as_pdf = export_json(data), export_pdf(candidate, data)
    except Exception as exc:
        AccessExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:300] or type(exc).__name__
        )
        raise
    return _finish(export.pk, as_json, as_pdf)


@transaction.atomic
def _finish(export_id: int, as_json: bytes, as_pdf: bytes) -> AccessExport | None:
    export = AccessExport.objects.select_for_update().filter(pk=export_id).first()
    if export is None:
        return None
    # The same lock an erasure takes: either it ran first (the person is anonymised and the
    # copy is dropped), or it waits and then deletes the files written here.
    person = Candidate.objects.select_for_update(no_key=True).get(pk=export.candidate_id)
    if person.anonymised_at is not None:
        export.delete()
        return None
    stem = f"access-{export.pk}-{secrets.token_hex(8)}"
    export.json_file.save(f"{stem}.json", ContentFile(as_json), save=False)
    export.pdf_file.save(f"{stem}.pdf", ContentFile(as_pdf), save=False)
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    export.save()
    if export.request_id is not None:
        DataRequest.objects.filter(pk=export.request_id).exclude(
            status=RequestStatus.CANCELLED
        ).update(status=RequestStatus.COMPLETED, completed_at=export.finished_at)
    return export


def latest_export(candidate: Candidate, request: DataRequest | None = None) -> AccessExport | None:
    exports = AccessExport.objects.filter(candidate=candidate)
    if request is not None:
        exports = exports.filter(request=request)
    return exports.order_by("-created_at", "-id").first()


def export_file_response(export: AccessExport, fmt: str, *, filename: str) -> FileResponse:
    stored = export.pdf_file if fmt == "pdf" else export.json_file
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf" if fmt == "pdf" else "application/json; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response
