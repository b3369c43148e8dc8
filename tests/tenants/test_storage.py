"""Uploaded files live under MEDIA_ROOT/<schema>/ and are invisible to other tenants."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image


@pytest.fixture
def media_root(tmp_path):  # type: ignore[no-untyped-def]
    # MULTITENANT_RELATIVE_MEDIA_ROOT is overridden too: django-tenants' storage only drops its
    # cached root when that setting changes.
    with override_settings(MEDIA_ROOT=str(tmp_path), MULTITENANT_RELATIVE_MEDIA_ROOT="%s"):
        yield tmp_path


def test_files_saved_in_a_tenant_land_under_its_schema_and_stay_there(
    tenant_a, tenant_b, media_root
):
    tenant_a.activate()
    name = default_storage.save("cv/ada.txt", ContentFile(b"alpha's file"))
    assert (media_root / "alpha" / name).read_bytes() == b"alpha's file"
    assert default_storage.exists(name)

    tenant_b.activate()
    assert not default_storage.exists(name)
    with pytest.raises(FileNotFoundError):
        default_storage.open(name)
    other = default_storage.save("cv/ada.txt", ContentFile(b"beta's file"))
    assert (media_root / "beta" / other).read_bytes() == b"beta's file"

    tenant_a.activate()
    with default_storage.open(name) as handle:
        assert handle.read() == b"alpha's file"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#1f6feb").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_tenant_logo_is_served_only_on_its_own_site(tenant_a, tenant_b, media_root):
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        "/accounts/settings/",
        {
            "name": "Alpha Corp",
            "logo": SimpleUploadedFile("logo.png", _png(), content_type="image/png"),
            "primary_colour": "#1f6feb",
            "default_language": "en",
            "time_zone": "Europe/Paris",
        },
    )
    assert response.status_code == 302
    stored = list((media_root / "alpha" / "branding").iterdir())
    assert len(stored) == 1
    logo = tenant_a.client().get("/branding/logo")
    assert logo.status_code == 200
    assert b"".join(logo.streaming_content) == _png()

    tenant_b.activate()
    assert tenant_b.client().get("/branding/logo").status_code == 404
    assert not (media_root / "beta").exists()


def test_a_logo_that_is_not_an_image_is_refused(tenant_a, media_root):
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        "/accounts/settings/",
        {
            "name": "Alpha Corp",
            "logo": SimpleUploadedFile("logo.png", b"<script>", content_type="image/png"),
            "primary_colour": "#1f6feb",
            "default_language": "en",
            "time_zone": "Europe/Paris",
        },
    )
    assert response.status_code == 200
    assert b"Upload a valid image" in response.content
    assert not (media_root / "alpha").exists()
