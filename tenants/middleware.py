from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name, get_tenant_model

from tenants.i18n import tenant_language, tenant_zone


class TenantHostMiddleware(TenantMainMiddleware):
    """Routes the base domain to the public site without a Domain row per deployment; every
    other host must be a tenant's domain (unknown hosts get a 404)."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return super().process_request(request)
        except DatabaseError as exc:
            # Finding the tenant needs the database. When it is down, the health probe must
            # still answer its JSON 503 rather than an error page.
            if request.path_info != "/healthz":
                raise
            return JsonResponse(
                {"status": "error", "checks": {"database": f"error: {type(exc).__name__}"}},
                status=503,
            )

    def get_tenant(self, domain_model: type[models.Model], hostname: str) -> models.Model:
        if hostname in (settings.BASE_DOMAIN, f"www.{settings.BASE_DOMAIN}"):
            return get_tenant_model().objects.get(schema_name=get_public_schema_name())
        return super().get_tenant(domain_model, hostname)


class TenantLocaleMiddleware:
    """Every request runs in its tenant's time zone, and every request ends with the zone and
    language deactivated again (try/finally): a thread serves many tenants in turn, and a zone
    left active would show the next request, possibly another company's, in the wrong time.

    The company's default language is active from here on; once the user is known,
    `accounts.middleware.StaffLanguageMiddleware` switches staff pages to the person's own, and
    candidate pages pick their reader's language themselves (`candidates.i18n`,
    `tenants.i18n.visitor_language`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(tenant_zone(getattr(request, "tenant", None)))
        translation.activate(tenant_language(getattr(request, "tenant", None)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            translation.deactivate()
