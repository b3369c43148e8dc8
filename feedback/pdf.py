"""The branded one-page feedback summary (WeasyPrint). Only local resources: fonts come from
the system (DejaVu), the logo is inlined as a data: URI and the fetcher refuses every other
URL, so rendering never reaches the network.

It is written in the candidate's language (the project catalogue) with every date in the
company's time zone: a call at 00:30 in Paris is dated that day, not the UTC day before."""

from __future__ import annotations

import base64
import functools
import mimetypes

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify

from feedback.content import FeedbackContent, one_line
from tenants.context import current_tenant_or_none
from tenants.i18n import localised, tenant_zone


@functools.cache
def _local_only_fetcher():  # type: ignore[no-untyped-def]
    # WeasyPrint is imported on first use: importing it costs over a second, which every
    # manage.py command and worker start would otherwise pay.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def _logo_data_uri() -> str:
    tenant = current_tenant_or_none()
    logo = tenant.logo if tenant is not None else None
    if not logo:
        return ""
    try:
        with logo.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    mimetype = mimetypes.guess_type(logo.name or "")[0] or "image/png"
    return f"data:{mimetype};base64,{base64.b64encode(data).decode()}"


def _font_size(content: FeedbackContent) -> float:
    """Smaller type for long feedback, so the summary stays on one page (the form caps the
    texts at 3000 + 1500 + 1500 characters)."""
    length = sum(
        len(text)
        for text in (
            content.personal_points,
            content.tips,
            content.call.candidate_summary if content.call else "",
            *content.reason_lines,
        )
    )
    for limit, size in ((2200, 10.0), (3400, 9.0), (4600, 8.0)):
        if length <= limit:
            return size
    return 7.0


def feedback_pdf_html(content: FeedbackContent) -> str:
    with localised(language=content.language, zone=tenant_zone()):
        return _html(content)


def _html(content: FeedbackContent) -> str:
    tenant = current_tenant_or_none()
    call = content.call
    return render_to_string(
        "feedback/pdf.html",
        {
            "font_size": _font_size(content),
            "lang": translation.get_language(),
            "company": (tenant.from_name or tenant.name) if tenant is not None else "",
            "colour": tenant.primary_colour if tenant is not None else "#1f6feb",
            "logo": _logo_data_uri(),
            "candidate_name": content.candidate_name,
            "position_title": one_line(content.application.position.title),
            "date": timezone.localdate(),
            "reasons": content.reason_lines,
            "points": content.personal_points,
            "tips": content.tips,
            # The internal note never reaches the PDF; a call without a summary for the
            # candidate is not mentioned.
            "call": call if call and call.candidate_summary.strip() else None,
            "recruiter": content.recruiter,
            "optin_url": content.optin_url,
        },
    )


def feedback_pdf_render(content: FeedbackContent) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=feedback_pdf_html(content), url_fetcher=_local_only_fetcher()).write_pdf()
    assert pdf is not None
    return pdf


def feedback_pdf_filename(content: FeedbackContent) -> str:
    name = slugify(content.candidate_name) or "candidate"
    return f"feedback-{name}.pdf"
