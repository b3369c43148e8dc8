"""/healthz: is this process able to serve? Checks PostgreSQL and Redis, answers JSON."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from accounts.permissions import public_view
from tenants.context import in_public_schema


@public_view
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # the probe reports any failure instead of raising
        checks["database"] = f"error: {type(exc).__name__}"
    worker_seen = None
    try:
        cache.set("healthz", "1", 5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: read back failed"
        if not in_public_schema():
            worker_seen = cache.get("worker:heartbeat")
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks, "worker_last_seen": worker_seen},
        status=200 if healthy else 503,
    )
