"""Absolute links for emails: the tenant's primary domain is asked once, not for every link."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import links
from tenants.models import Domain


def test_links_use_the_primary_domain_and_ask_for_it_once(tenant_a, settings):
    settings.SITE_SCHEME, settings.SITE_PORT = "https", ""
    tenant = connection.tenant
    first = links.tenant_absolute_url("/c/x/")
    with CaptureQueriesContext(connection) as captured:
        urls = [links.tenant_absolute_url(f"/c/{n}/") for n in range(50)]
    assert first == "https://alpha.localhost/c/x/"
    assert urls[7] == "https://alpha.localhost/c/7/"
    assert captured.captured_queries == []
    # A domain move shows once the memo expires (a fresh request has a fresh tenant object).
    Domain.objects.filter(tenant=tenant).update(domain="careers.alpha.localhost")
    tenant._links_host_memo = (0.0, "alpha.localhost")
    try:
        assert links.tenant_absolute_url("/c/x/") == "https://careers.alpha.localhost/c/x/"
    finally:
        del tenant._links_host_memo


def test_token_urls_are_what_reverse_gives(tenant_a):
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps({"t": "alpha", "c": 12, "k": "abc"}, salt="test", compress=True)
    for name in ("consent:optin", "consent:unsubscribe", "campaigns:referral"):
        for value in (token, "odd token é"):
            expected = links.tenant_absolute_url(reverse(name, args=[value]))
            assert links.tenant_token_url(name, value) == expected


def test_a_token_url_builder_gives_the_links_tenant_token_url_gives(tenant_a):
    from django.urls import reverse

    build = links.tenant_token_url_builder("consent:unsubscribe")
    with CaptureQueriesContext(connection) as captured:
        for value in ("abc:1xW:sig-_", "odd token é"):
            assert build(value) == links.tenant_token_url("consent:unsubscribe", value)
            assert build(value) == links.tenant_absolute_url(
                reverse("consent:unsubscribe", args=[value])
            )
    assert captured.captured_queries == []
