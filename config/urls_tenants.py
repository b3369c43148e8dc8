"""URLs of a tenant's site (<tenant>.<base domain>)."""

from __future__ import annotations

from django.urls import include, path

from accounts.views import dashboard
from config.favicon import favicon
from config.health import healthz

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("branding/", include("tenants.urls")),
    path("candidates/", include("candidates.urls")),
    path("mail/", include("mailing.urls")),
    path("c/", include("consent.urls")),
    path("pools/", include("pools.urls")),
    path("feedback/", include("feedback.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("integrations/", include("integrations.urls")),
    path("api/v1/", include("integrations.api")),
]
