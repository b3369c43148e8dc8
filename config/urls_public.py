"""URLs of the public site (the base domain): landing page and the platform admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from taggit.models import Tag

from config.favicon import favicon
from config.health import healthz
from tenants.views import landing

admin.site.site_header = "Talent CRM platform"
# Second factors live in tenant schemas only; the platform admin runs in the public schema, where
# their tables do not exist.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
# taggit registers its Tag admin, but tags live in tenant schemas only: on the public host that
# page could only fail (found by tests/e2e/test_csp.py walking every admin page).
if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)

urlpatterns = [
    path("", landing, name="landing"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
