"""The access export of a person with 10,000 timeline entries: the request only queues it; a real
worker prepares the files with progress the page polls; nothing is lost."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from candidates.models import Activity, ActivityKind
from candidates.services import activity_record_many
from consent.exports import PDF_ROWS_PER_SECTION, candidate_export
from consent.models import AccessExport, ExportStatus
from tests.consent.conftest import person
from tests.worker import wait_until

ENTRIES = 10_000


def _history(candidate, n: int) -> None:  # type: ignore[no-untyped-def]
    activity_record_many(
        activities=[
            Activity(
                candidate_id=candidate.pk,
                kind=ActivityKind.NOTE,
                summary=f"Note {i}",
                body=f"Entry number {i} of a long history",
            )
            for i in range(n)
        ]
    )


def test_progress_is_reported_while_the_export_walks_the_rows(tenant_a):
    zoe = person()
    _history(zoe, 2_500)
    seen: list[tuple[int, int]] = []
    data = candidate_export(zoe, progress=lambda done, total: seen.append((done, total)))
    total = seen[-1][1]
    assert total > 2_500
    assert [done for done, _ in seen] == [1000, 2000, total]
    assert len(data["records"]["candidates.activity"]) == 2_501  # + "Added (test)"


@pytest.mark.worker
def test_a_long_history_is_exported_by_the_worker_with_progress(committed_tenant, celery_worker):
    committed_tenant.activate()
    zoe = person(first_name="Zoe", last_name="Long")
    _history(zoe, ENTRIES)
    admin = committed_tenant.client(committed_tenant.hr_admin)
    response = admin.post(f"/c/candidate/{zoe.pk}/export/")
    # The request only queued the work: it answers with a redirect, not a file.
    assert response.status_code == 302
    assert response.get("Content-Disposition") is None
    export = AccessExport.objects.get(candidate=zoe)
    partial = f"/c/candidate/{zoe.pk}/exports/"
    polled: list[str] = []

    def done() -> bool:
        committed_tenant.activate()
        polled.append(admin.get(partial, headers={"HX-Request": "true"}).content.decode())
        export.refresh_from_db()
        return export.is_finished

    assert wait_until(done, timeout=180), celery_worker.log()[-3000:]
    assert export.status == ExportStatus.DONE, export.error
    assert export.total > ENTRIES and export.processed == export.total
    # While it ran, the box polled itself; once ready it offers the files and stops polling.
    assert all("every 2s" in page for page in polled[:-1])
    assert "every 2s" not in polled[-1] and f"/c/export/{export.pk}.json" in polled[-1]
    download = admin.get(f"/c/export/{export.pk}.json")
    data = json.loads(b"".join(download.streaming_content))
    notes = [a for a in data["records"]["candidates.activity"] if a["kind"] == "note"]
    assert len(notes) == ENTRIES
    pdf = PdfReader(io.BytesIO(b"".join(admin.get(f"/c/export/{export.pk}.pdf").streaming_content)))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    # Readable: the newest entries, and a note saying where the rest is.
    older = ENTRIES + 1 - PDF_ROWS_PER_SECTION
    assert f"… and {older} older entries, in the JSON file." in text
