"""URLs of the public site (the base domain): landing page and the platform admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from taggit.models import Tag

from config.health import healthz
from tenants.views import landing

admin.site.site_header = "Talent CRM platform"
# taggit registers its Tag admin, but tags live in tenant schemas only: on the public host that
# page could only fail (found by tests/e2e/test_csp.py walking every admin page).
if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)

urlpatterns = [
    path("", landing, name="landing"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
