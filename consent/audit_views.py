"""Records an auditor asks for (HR admins): the records of processing (Art. 30), the consent
report over a period, and the proof of one person's consent, on screen, as CSV and as PDF."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.http import StaffRequest
from accounts.permissions import hr_admin_required
from accounts.services import audit_log_record
from candidates.exporting import csv_lines
from candidates.models import Candidate
from consent.forms import ReportPeriodForm
from consent.records import records_of_processing
from consent.reports import (
    consent_counts,
    consent_proof,
    counts_csv_rows,
    proof_csv_rows,
    report_pdf,
)


def _csv(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@hr_admin_required
def records(request: StaffRequest) -> HttpResponse:
    context = {"records": records_of_processing()}
    if request.GET.get("format") == "pdf":
        return _pdf(report_pdf("consent/records_pdf.html", context), "records-of-processing.pdf")
    return render(request, "consent/records.html", context)


@hr_admin_required
def report(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    today = timezone.localdate()
    data = request.GET if "start" in request.GET else None
    form = ReportPeriodForm(data, initial={"start": today - timedelta(days=30), "end": today})
    if data is None:
        period = {"start": today - timedelta(days=30), "end": today}
    elif form.is_valid():
        period = form.cleaned_data
    else:
        return render(request, "consent/report.html", {"form": form}, status=400)
    counts = consent_counts(**period)
    fmt = request.GET.get("format")
    if fmt in ("csv", "pdf"):
        audit_log_record(
            actor=request.user,
            action="consent.report_exported",
            details={"format": fmt, "start": str(counts.start), "end": str(counts.end)},
            request=request,
        )
        name = f"consent-report-{counts.start}-{counts.end}"
        if fmt == "csv":
            return _csv(counts_csv_rows(counts), f"{name}.csv")
        return _pdf(report_pdf("consent/report_pdf.html", {"counts": counts}), f"{name}.pdf")
    return render(request, "consent/report.html", {"form": form, "counts": counts})


@hr_admin_required
def proof(request: StaffRequest, pk: int, fmt: str) -> HttpResponse | StreamingHttpResponse:
    person = get_object_or_404(Candidate, pk=pk)
    rows = consent_proof(person)
    audit_log_record(
        actor=request.user,
        action="consent.proof_exported",
        target=f"candidate:{person.pk}",
        details={"format": fmt},
        request=request,
    )
    if fmt == "csv":
        return _csv(proof_csv_rows(rows), f"consent-proof-{person.pk}.csv")
    if fmt == "pdf":
        pdf = report_pdf("consent/proof_pdf.html", {"person": person, "rows": rows})
        return _pdf(pdf, f"consent-proof-{person.pk}.pdf")
    return HttpResponse(_("Unknown format: use csv or pdf."), status=404)
