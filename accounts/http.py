"""The typed request of staff views (annotations only: Django builds the objects).

`StaffRequest` is what a view behind `recruiter_required` / `hr_admin_required` receives: the
decorator has already turned anonymous visitors away, so `request.user` is a signed-in staff
`User` (never `AnonymousUser`); `request.tenant` is set by django-tenants' middleware and
`request.htmx` by django-htmx's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User
    from tenants.models import Tenant


class StaffRequest(HttpRequest):
    """A request to a staff view: signed in, role checked."""

    user: User
    tenant: Tenant
    htmx: HtmxDetails
