"""URLs of the public site (the base domain): landing page and the platform admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from config.favicon import favicon
from config.health import healthz
from tenants.views import landing

admin.site.site_header = "Talent CRM platform"

urlpatterns = [
    path("", landing, name="landing"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
