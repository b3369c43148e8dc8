from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.context import current_tenant_or_none


def tenant_branding(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None) or current_tenant_or_none()
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return {"current_tenant": None}
    return {"current_tenant": tenant}
