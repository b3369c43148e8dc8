"""The request a staff view receives, as the type checker sees it.

`HttpRequest.user` is typed `User | AnonymousUser`, and `request.htmx` (set by django-htmx's
middleware) is unknown to the stubs. A view behind `recruiter_required` / `hr_admin_required`
(accounts.permissions) only ever runs for a signed-in staff `User`, so a view that reads
`request.user` or `request.htmx` annotates its request as `StaffRequest`. An annotation only:
Django never builds this class and nothing checks it at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class StaffRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
