"""Role checks on every tenant view.

Walks config.urls_tenants (with every app URL conf it includes, so views added later are covered
without touching this file): each view must declare its access with an accounts.permissions
decorator, and each is requested with dummy URL arguments as anonymous, recruiter and HR admin.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from accounts.permissions import API_KEY, CANDIDATE, HR_ADMIN, PUBLIC, RECRUITER

DUMMY_VALUES = ["1", "x", str(uuid.UUID(int=1)), "x/y"]
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class TenantView:
    url: str
    name: str
    access: str | None

    def __str__(self) -> str:
        return f"{self.url} ({self.name})"


def _dummy_for(converter: object) -> str:
    regex = getattr(converter, "regex", "[^/]+")
    for value in DUMMY_VALUES:
        if re.fullmatch(regex, value):
            return value
    raise AssertionError(f"No dummy value matches converter {converter!r}; extend DUMMY_VALUES.")


def _route_to_url(pattern: RoutePattern) -> str:
    route = str(pattern)

    def replace(match: re.Match[str]) -> str:
        return _dummy_for(pattern.converters[match.group("name")])

    return _ROUTE_PARAM.sub(replace, route)


def _regex_to_url(pattern: RegexPattern) -> str:
    """A concrete path for a re_path(): try the dummy values for every group until it matches."""
    source = pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
    for value in DUMMY_VALUES:
        candidate = re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", value, source).replace("\\", "")
        if pattern.regex.fullmatch(candidate) or pattern.regex.match(candidate):
            return candidate
    raise AssertionError(f"Cannot build a URL for {pattern.regex.pattern!r}; use path().")


def _to_url(pattern: object) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_to_url(pattern)
    if isinstance(pattern, RegexPattern):
        return _regex_to_url(pattern)
    raise AssertionError(f"Unknown URL pattern type {type(pattern).__name__}")


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[TenantView]:
    found: list[TenantView] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            found += _walk(entry, prefix + _to_url(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            found.append(
                TenantView(
                    url="/" + prefix + _to_url(entry.pattern),
                    name=f"{namespace}{entry.name or entry.lookup_str}",
                    access=getattr(entry.callback, "access", None),
                )
            )
    return found


TENANT_VIEWS = _walk(get_resolver("config.urls_tenants"))
PROTECTED = [v for v in TENANT_VIEWS if v.access in (RECRUITER, HR_ADMIN)]
HR_ONLY = [v for v in TENANT_VIEWS if v.access == HR_ADMIN]
OPEN = [v for v in TENANT_VIEWS if v.access in (PUBLIC, CANDIDATE, API_KEY)]
NOT_A_SERVER_ERROR = {200, 201, 204, 301, 302, 303, 400, 401, 403, 404, 405, 409, 410, 422, 429}


def _is_login_redirect(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_walk_finds_the_foundation_views():
    names = {view.name for view in TENANT_VIEWS}
    assert {"dashboard", "accounts:login", "accounts:users", "accounts:audit_log"} <= names


def test_every_tenant_view_declares_who_may_use_it():
    undeclared = [
        str(v)
        for v in TENANT_VIEWS
        if v.access not in (PUBLIC, CANDIDATE, RECRUITER, HR_ADMIN, API_KEY)
    ]
    assert undeclared == [], (
        "Decorate these views with one of accounts.permissions.recruiter_required, "
        "hr_admin_required, public_view, candidate_token_view (API operations: the gateway)"
    )


@pytest.mark.parametrize("view", PROTECTED, ids=str)
def test_anonymous_visitors_are_sent_to_login(tenant_a, view):
    client = tenant_a.client()
    response = client.get(view.url)
    # A POST-only view may answer 405 before the role check: it reveals nothing either way.
    assert _is_login_redirect(response) or response.status_code == 405, (
        view,
        response.status_code,
    )
    posted = client.post(view.url)
    assert _is_login_redirect(posted) or posted.status_code == 405, (view, posted.status_code)


@pytest.mark.parametrize("view", PROTECTED, ids=str)
def test_anonymous_htmx_requests_get_401_with_a_login_redirect(tenant_a, view):
    response = tenant_a.client().get(view.url, HTTP_HX_REQUEST="true")
    if response.status_code == 405:
        return
    assert response.status_code == 401, (view, response.status_code)
    assert "/accounts/login/" in response["HX-Redirect"]


@pytest.mark.parametrize("view", HR_ONLY, ids=str)
def test_recruiters_are_refused_hr_admin_views(tenant_a, view):
    client = tenant_a.client(tenant_a.recruiter)
    for response in (client.get(view.url), client.post(view.url)):
        assert response.status_code in (403, 405), (view, response.status_code)


@pytest.mark.parametrize("view", PROTECTED, ids=str)
def test_signed_in_roles_never_get_a_server_error(tenant_a, view):
    users = [tenant_a.hr_admin] + ([tenant_a.recruiter] if view.access == RECRUITER else [])
    for user in users:
        response = tenant_a.client(user).get(view.url)
        assert response.status_code in NOT_A_SERVER_ERROR, (view, user, response.status_code)


@pytest.mark.parametrize("view", OPEN, ids=str)
def test_public_and_candidate_views_never_give_a_server_error(tenant_a, view):
    response = tenant_a.client().get(view.url)
    assert response.status_code in NOT_A_SERVER_ERROR, (view, response.status_code)


def test_protected_pages_do_not_exist_on_the_public_site(db):
    from django.test import Client

    response = Client(HTTP_HOST="localhost").get("/accounts/settings/")
    assert response.status_code == 404
