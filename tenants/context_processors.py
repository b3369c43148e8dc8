from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest


def tenant_branding(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return {"current_tenant": None}
    return {"current_tenant": tenant}
