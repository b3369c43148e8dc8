"""The feedback PDF: branded with the tenant's logo, local fonts only, one page."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from feedback.pdf import feedback_pdf_render
from feedback.selectors import rejection_content
from feedback.services import application_reject
from tests.feedback.helpers import application_at, reasons


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (120, 40), "#d1242f").save(buffer, format="PNG")
    return buffer.getvalue()


def _fonts(reader: PdfReader) -> set[str]:
    resources = reader.pages[0]["/Resources"]
    return {str(font.get_object()["/BaseFont"]) for font in resources["/Font"].values()}


def test_pdf_carries_the_logo_and_embeds_only_local_dejavu_fonts(tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    tenant_a.tenant.logo.save("logo.png", ContentFile(_png()), save=False)
    app = application_at("final-interview")
    rejection = application_reject(
        application=app,
        actor=tenant_a.recruiter,
        reasons=reasons("closer-fit"),
        personal_points="Long feedback. " * 120,
        tips="Tip. " * 60,
    )
    reader = PdfReader(BytesIO(feedback_pdf_render(rejection_content(rejection))))
    assert len(reader.pages) == 1
    assert len(reader.pages[0].images) == 1
    assert all("DejaVu" in name for name in _fonts(reader))


@pytest.mark.parametrize("total", [2200, 3400, 4600, 6000])
def test_feedback_up_to_the_form_limits_fits_on_one_page(tenant_a, total):
    from datetime import timedelta

    from django.utils import timezone

    from feedback.content import CallNote

    app = application_at("final-interview")
    words = "Feedback with some longer words to fill the page properly. "
    rejection = application_reject(
        application=app,
        actor=tenant_a.recruiter,
        reasons=reasons("skills-gap", "experience-level", "closer-fit", "language", "team-fit"),
        personal_points=(words * 60)[: total // 2],
        tips=(words * 30)[: total // 4],
        call=CallNote(timezone.now() - timedelta(hours=1), 30, (words * 30)[: total // 4]),
    )
    reader = PdfReader(BytesIO(feedback_pdf_render(rejection_content(rejection))))
    assert len(reader.pages) == 1
    assert "/c/o/" in reader.pages[0].extract_text().replace("\n", "")
