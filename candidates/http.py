"""Typed requests for views, as the type checker sees them.

`HttpRequest.user` is typed `User | AnonymousUser` and `request.htmx` is set by django-htmx's
middleware, unknown to the stubs. A view behind `recruiter_required` / `hr_admin_required`
(accounts.permissions) only ever runs for a signed-in staff `User`, so it annotates its request as
`StaffRequest`; a view that reads `request.htmx` without a login annotates it as `HtmxRequest`.
These classes are annotations only: Django never builds them, nothing checks them at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


class StaffRequest(HtmxRequest):
    user: User
