"""`{% privacy_notice "apply" %}`: the privacy notice (GDPR art. 13) on a page that collects
personal data, from the tenant's settings (controller, DPO, privacy page, its own words) and the
personal-data registry (what happens, for how long)."""

from __future__ import annotations

from typing import Any

from django import template

from tenants.context import current_tenant_or_none
from tenants.privacy import notice, purposes

register = template.Library()


@register.inclusion_tag("includes/privacy_notice.html")
def privacy_notice(kind: str) -> dict[str, Any]:
    tenant = current_tenant_or_none()
    found = notice(kind)
    if found is None:
        raise template.TemplateSyntaxError(f"No privacy notice is registered for {kind!r}.")
    by_key = {p.key: p for p in purposes()}
    return {
        "tenant": tenant,
        "what": found.what,
        "retention": [by_key[key].retention() for key in found.purposes if key in by_key],
    }
