"""Absolute links for emails: the tenant's primary domain is asked once, not for every link."""

from __future__ import annotations

import datetime as dt

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


# --- signed_link_load: the one loader of signed links ------------------------------------------


def _token(payload, salt="test.links"):  # type: ignore[no-untyped-def]
    from tenants import signing as bulk_signing

    return bulk_signing.dumps(payload, salt=salt)


def test_signed_link_load_tells_forged_expired_and_foreign_apart(tenant_a):
    import time_machine
    from django.utils import timezone

    good = _token({"s": "alpha", "c": 7})
    loaded = links.signed_link_load(good, salt="test.links", max_age=60)
    assert loaded == links.SignedLink(payload={"s": "alpha", "c": 7}, expired=False)

    def reason(token, **options):  # type: ignore[no-untyped-def]
        try:
            links.signed_link_load(token, salt="test.links", max_age=60, **options)
        except links.SignedLinkError as error:
            return error.reason
        return None

    assert reason(good[:-2] + ("AA" if not good.endswith("AA") else "BB")) == "invalid"
    assert reason(_token({"s": "alpha"}, salt="another.salt")) == "invalid"
    assert reason(_token(["s", "alpha"])) == "invalid"
    assert reason(_token({"s": "beta", "c": 7})) == "other_tenant"
    assert reason(_token({"t": "alpha"}), schema_key="t") is None
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert reason(good) == "expired"
        late = links.signed_link_load(good, salt="test.links", max_age=60, allow_expired=True)
        assert late.expired and late.payload["c"] == 7
    # A genuine expired token of another tenant is that tenant's, not an expired one here.
    expired_foreign = _token({"s": "beta"})
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert reason(expired_foreign, allow_expired=True) == "other_tenant"


def test_no_app_loads_signed_links_itself():
    """Links are read through `tenants.links.signed_link_load` only (one truth for expiry,
    forgery and the tenant check). Other signed values (a form's stamp, the lockout's device
    cookie) are not links."""
    import ast

    from tests.sources import ROOT, app_sources

    allowed = {"tenants/links.py", "tenants/public_forms.py", "accounts/lockout.py"}
    found = []
    for file in app_sources():
        relative = file.relative_to(ROOT).as_posix()
        if relative not in allowed:
            for node in ast.walk(ast.parse(file.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in {"loads", "unsign", "unsign_object"}
                    and isinstance(node.value, ast.Name)
                    and node.value.id in {"signing", "signer", "TimestampSigner", "Signer"}
                ):
                    found.append(f"{relative}:{node.lineno}")
    assert found == []
