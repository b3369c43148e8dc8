"""Sign-in in a real browser: single sign-on through the test provider's own login form, an
authenticator app set up and used, and a passkey (Chromium's virtual authenticator) registered
and used as the second factor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from playwright.sync_api import expect

from accounts.crypto import secret_encrypt
from accounts.models import SignInPolicy, User
from tests.accounts.oidc_provider import Provider


def _totp(secret: str, at: float) -> str:
    secret = secret.replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, int(at // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def _sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")


def _password_step(site, page, user) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    page.goto(site.url("/accounts/login/"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_single_sign_on_through_the_providers_login_page(site, page):
    provider = Provider().start()
    try:
        provider.redirect_uris.add(site.url("/accounts/sso/callback/"))
        provider.add_user("dana", password="idp-pass", email="dana@example.org", name="Dana")
        site.world.activate()
        SignInPolicy.objects.update_or_create(
            pk=1,
            defaults={
                "sso_enabled": True,
                "sso_label": "Test IdP",
                "oidc_issuer": provider.issuer,
                "oidc_client_id": provider.client_id,
                "oidc_client_secret_encrypted": secret_encrypt(provider.client_secret),
            },
        )
        page.goto(site.url("/accounts/login/"))
        page.get_by_role("button", name="Sign in with Test IdP").click()
        expect(page.get_by_role("heading", name="Test IdP sign-in")).to_be_visible()
        page.get_by_label("Username").fill("dana")
        page.get_by_label("Password").fill("idp-pass")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(site.url("/"))
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        site.world.activate()
        assert User.objects.get(email="dana@example.org").full_name == "Dana"
    finally:
        provider.stop()


def test_authenticator_app_set_up_and_used_to_sign_in(site, page):
    user = site.world.recruiter
    site.login(page, user)
    page.get_by_role("link", name="Security").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    page.get_by_text("Cannot scan? Type this key instead").click()
    secret = page.locator("code.totp-secret").inner_text()
    page.get_by_label("Code shown by the app").fill(_totp(secret, time.time()))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("ol.recovery-codes li")).to_have_count(10)
    page.get_by_role("button", name="I have saved them").click()
    _sign_out(page)

    _password_step(site, page, user)
    page.wait_for_url("**/accounts/login/verify/")
    # The code of the next 30-second step (the one used for setting up is spent); the server
    # accepts one step of drift.
    page.get_by_label("Code").fill(_totp(secret, time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(site.url("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_passkey_registered_and_used_as_the_second_factor(site, page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    user = site.world.hr_admin
    site.login(page, user)
    page.goto(site.url("/accounts/two-factor/"))
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("button", name="Remove")).to_have_count(1)
    _sign_out(page)

    _password_step(site, page, user)
    page.wait_for_url("**/accounts/login/verify/")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(site.url("/"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
