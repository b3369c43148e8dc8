from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/landing.html", {"base_domain": settings.BASE_DOMAIN})


landing.access = "public"  # type: ignore[attr-defined]


@cache_control(max_age=3600)
def logo(request: HttpRequest) -> FileResponse:
    """The current tenant's logo, served from its own storage prefix only."""
    tenant = connection.tenant
    if not tenant.logo:
        raise Http404("No logo")
    return FileResponse(tenant.logo.open("rb"))


logo.access = "public"  # type: ignore[attr-defined]
