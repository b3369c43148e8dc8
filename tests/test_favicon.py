"""/favicon.ico is a real icon on the public site and on tenant hosts; pages link to it."""

from __future__ import annotations

import io
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image


def _assert_icon(content: bytes) -> None:
    with Image.open(io.BytesIO(content)) as icon:
        assert icon.format == "ICO"
        assert (32, 32) in icon.info["sizes"]


def test_public_site_serves_the_favicon(db):
    response = Client(HTTP_HOST="localhost").get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age" in response["Cache-Control"]
    _assert_icon(response.content)


def test_tenant_host_serves_the_favicon_without_login(tenant_a):
    response = tenant_a.client().get("/favicon.ico")
    assert response.status_code == 200
    _assert_icon(response.content)


def test_pages_link_icons_that_exist(tenant_a):
    page = tenant_a.client().get("/accounts/login/").content.decode()
    hrefs = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert len(hrefs) == 2, page[:800]
    for href in hrefs:
        assert href.startswith(settings.STATIC_URL)
        found = finders.find(href.removeprefix(settings.STATIC_URL))
        assert found, href
        body = Path(found).read_bytes()
        if href.endswith(".ico"):
            _assert_icon(body)
        else:
            assert body.lstrip().startswith(b"<svg")


def test_posting_to_the_favicon_is_refused(tenant_a):
    assert tenant_a.client().post("/favicon.ico").status_code == 405
