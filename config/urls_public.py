"""URLs of the public site (the base domain): landing page and the platform admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from config.health import healthz
from tenants.views import landing

admin.site.site_header = "Talent CRM platform"

urlpatterns = [
    path("", landing, name="landing"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
