from __future__ import annotations

import re

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from tenants.context import current_tenant_or_none


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/landing.html", {"base_domain": settings.BASE_DOMAIN})


landing.access = "public"  # type: ignore[attr-defined]


@cache_control(max_age=3600, public=True)
def logo(request: HttpRequest) -> FileResponse:
    """The current tenant's logo, served from its own storage prefix only."""
    tenant = current_tenant_or_none()
    if tenant is None or not tenant.logo:
        raise Http404("No logo")
    return FileResponse(tenant.logo.open("rb"))


logo.access = "public"  # type: ignore[attr-defined]


_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


@cache_control(max_age=86400, public=True)
def theme(request: HttpRequest) -> HttpResponse:
    """The tenant's colour as a stylesheet: the Content-Security-Policy allows no inline style.
    Pages link it with ?v=<colour>, so a new colour is a new URL and a day of caching is safe."""
    tenant = current_tenant_or_none()
    colour = tenant.primary_colour if tenant is not None else ""
    if not _COLOUR.fullmatch(colour or ""):
        colour = "#1f6feb"
    return HttpResponse(f":root {{ --brand: {colour}; }}\n", content_type="text/css")


theme.access = "public"  # type: ignore[attr-defined]
