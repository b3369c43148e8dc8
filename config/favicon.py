"""/favicon.ico on every host: browsers ask for it whatever the page links to."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from accounts.permissions import public_view

FAVICON = settings.BASE_DIR / "static" / "img" / "favicon.ico"


@cache
def _icon() -> bytes:
    return FAVICON.read_bytes()


@public_view
@require_safe
@cache_control(public=True, max_age=24 * 3600)
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_icon(), content_type="image/x-icon")
