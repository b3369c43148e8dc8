"""Single sign-on against a real OpenID Connect provider started here (tests/accounts/
oidc_provider.py): discovery, JWKS, code + PKCE, RS256 ID tokens, all over HTTP on loopback.
The Django test client plays the browser; requests carries it to the provider and back."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import call_command
from django.db import connection

from accounts.crypto import SecretUnreadable, secret_decrypt
from accounts.models import AuditLog, ExternalIdentity, Role, SignInPolicy, User
from tests.accounts.oidc_provider import Provider
from tests.conftest import PASSWORD

CALLBACK = "http://alpha.localhost/accounts/sso/callback/"
SETTINGS = "/accounts/settings/sign-in/"


@pytest.fixture
def op() -> Iterator[Provider]:
    provider = Provider().start()
    provider.redirect_uris.add(CALLBACK)
    provider.add_user("newbie", email="new.person@alpha.example", name="New Person")
    yield provider
    provider.stop()


def _configure(tenant_a, op: Provider, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "form": "sso",
        "sso_enabled": "on",
        "sso_label": "Test IdP",
        "oidc_issuer": op.issuer,
        "oidc_client_id": op.client_id,
        "oidc_client_secret": op.client_secret,
        "sso_default_role": Role.RECRUITER,
        "sso_groups_claim": "groups",
        "hr_admin_groups": "",
        "recruiter_groups": "",
    }
    data.update(changes)
    return tenant_a.client(tenant_a.hr_admin).post(SETTINGS, {k: v for k, v in data.items() if v})


def _start(client, next_url: str = "/") -> str:  # type: ignore[no-untyped-def]
    response = client.post("/accounts/sso/start/", {"next": next_url})
    assert response.status_code == 302, response.content
    return response["Location"]


def _at_provider(location: str) -> str:
    """The browser's visit to the provider (signed in there already): where it sends us back."""
    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _back(client, callback_url: str):  # type: ignore[no-untyped-def]
    url = urlsplit(callback_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == CALLBACK
    return client.get(f"{url.path}?{url.query}")


def _sso(client, op: Provider, username: str, next_url: str = "/"):  # type: ignore[no-untyped-def]
    op.login_as(username)
    return _back(client, _at_provider(_start(client, next_url)))


def _signed_in_as(client) -> User | None:  # type: ignore[no-untyped-def]
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


@pytest.fixture
def sso(tenant_a, op) -> Provider:  # type: ignore[no-untyped-def]
    assert _configure(tenant_a, op).status_code == 302
    return op


def test_first_sign_in_creates_the_user_with_the_default_role(tenant_a, sso):
    client = tenant_a.client()
    response = _sso(client, sso, "newbie", next_url="/candidates/")
    assert response.status_code == 302 and response["Location"] == "/candidates/"
    user = _signed_in_as(client)
    assert user is not None and user.email == "new.person@alpha.example"
    assert user.role == Role.RECRUITER and user.full_name == "New Person"
    assert not user.has_usable_password()
    assert client.session["accounts.signin_method"] == "sso"
    identity = ExternalIdentity.objects.get(user=user)
    assert identity.issuer == sso.issuer and identity.subject == sso.users["newbie"]["sub"]
    assert AuditLog.objects.filter(action="user.created_by_sso", target=user.email).exists()
    assert client.get("/candidates/").status_code == 200


def test_the_flow_uses_pkce_state_and_nonce(tenant_a, sso):
    client = tenant_a.client()
    location = _start(client)
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["redirect_uri"] == CALLBACK
    assert set(params["scope"].split()) == {"openid", "email", "profile"}
    sso.login_as("newbie")
    assert _back(client, _at_provider(location)).status_code == 302
    token_request = sso.token_requests[-1]
    assert token_request["pkce_ok"] is True
    assert "client_secret" not in token_request["form"]  # sent as HTTP Basic


def test_a_known_person_is_found_by_subject_even_after_an_email_change(tenant_a, sso):
    _sso(tenant_a.client(), sso, "newbie")
    sso.users["newbie"]["email"] = "renamed@alpha.example"
    client = tenant_a.client()
    _sso(client, sso, "newbie")
    assert _signed_in_as(client).email == "new.person@alpha.example"
    assert User.objects.filter(email__startswith="renamed").count() == 0


def test_an_existing_account_is_linked_by_email_and_keeps_its_role(tenant_a, sso):
    sso.add_user("boss", email=tenant_a.hr_admin.email.upper(), email_verified=True)
    client = tenant_a.client()
    _sso(client, sso, "boss")
    user = _signed_in_as(client)
    assert user.pk == tenant_a.hr_admin.pk and user.role == Role.HR_ADMIN


def test_an_unverified_email_is_not_linked(tenant_a, sso):
    sso.add_user("sneaky", email=tenant_a.hr_admin.email, email_verified=False)
    client = tenant_a.client()
    response = _sso(client, sso, "sneaky")
    assert response.status_code == 400
    assert b"not verified" in response.content
    assert _signed_in_as(client) is None


def test_groups_give_the_role_and_the_role_follows_them(tenant_a, op):
    assert (
        _configure(
            tenant_a, op, hr_admin_groups="crm-admins\n", recruiter_groups="crm-users\nhr-team"
        ).status_code
        == 302
    )
    op.add_user("ana", email="ana@alpha.example", groups=["staff", "crm-admins"])
    client = tenant_a.client()
    _sso(client, op, "ana")
    assert _signed_in_as(client).role == Role.HR_ADMIN

    op.users["ana"]["groups"] = ["hr-team"]
    client = tenant_a.client()
    _sso(client, op, "ana")
    assert _signed_in_as(client).role == Role.RECRUITER
    change = AuditLog.objects.filter(action="user.role_changed", target="ana@alpha.example").get()
    assert change.details["source"] == "sso groups"


def test_groups_in_the_user_info_only_are_fetched_from_there(tenant_a, op):
    _configure(tenant_a, op, hr_admin_groups="crm-admins")
    op.add_user("bo", email="bo@alpha.example", groups=["crm-admins"])
    op.misbehave["userinfo_only"] = ["groups"]
    client = tenant_a.client()
    _sso(client, op, "bo")
    assert _signed_in_as(client).role == Role.HR_ADMIN


def test_only_members_of_the_groups_may_sign_in_when_asked(tenant_a, op):
    _configure(tenant_a, op, recruiter_groups="crm-users", sso_require_group="on")
    op.add_user("outsider", email="outsider@alpha.example", groups=["finance"])
    client = tenant_a.client()
    response = _sso(client, op, "outsider")
    assert response.status_code == 400 and b"none of the groups" in response.content
    assert not User.objects.filter(email="outsider@alpha.example").exists()


def test_a_deactivated_user_is_refused(tenant_a, sso):
    _sso(tenant_a.client(), sso, "newbie")
    User.objects.filter(email="new.person@alpha.example").update(is_active=False)
    client = tenant_a.client()
    response = _sso(client, sso, "newbie")
    assert response.status_code == 400 and b"deactivated" in response.content
    assert _signed_in_as(client) is None


@pytest.mark.parametrize(
    ("misbehaviour", "reason"),
    [
        ({"iss": "http://127.0.0.1:1/evil"}, b"iss"),
        ({"aud": "another-client"}, b"aud"),
        ({"exp_in": -600}, b"exp"),
        ({"nonce": "replayed-nonce"}, b"nonce"),
        ({"drop_nonce": True}, b"nonce"),
        ({"wrong_key": True}, b"could not be verified"),
        ({"alg": "HS256", "advertised_algs": ["RS256", "HS256"]}, b"could not be verified"),
        ({"alg": "none", "advertised_algs": ["RS256", "none"]}, b"could not be verified"),
    ],
    ids=["issuer", "audience", "expired", "nonce", "no-nonce", "signature", "hs256", "none"],
)
def test_id_tokens_that_fail_a_check_sign_nobody_in(tenant_a, sso, misbehaviour, reason):
    sso.misbehave.update(misbehaviour)
    client = tenant_a.client()
    response = _sso(client, sso, "newbie")
    assert response.status_code == 400, response.content
    assert b"Single sign-on failed" in response.content and reason in response.content
    assert _signed_in_as(client) is None
    assert not User.objects.filter(email="new.person@alpha.example").exists()


def test_a_discovery_document_for_another_issuer_is_refused_at_sign_in(tenant_a, sso):
    sso.misbehave["discovery_issuer"] = "http://127.0.0.1:1/other"
    response = tenant_a.client().post("/accounts/sso/start/", {"next": "/"})
    assert response.status_code == 502 and b"must be identical" in response.content


def test_a_callback_from_another_browser_session_is_refused(tenant_a, sso):
    sso.login_as("newbie")
    callback = _at_provider(_start(tenant_a.client()))
    stranger = tenant_a.client()
    response = _back(stranger, callback)
    assert response.status_code == 400 and b"state" in response.content.lower()
    assert _signed_in_as(stranger) is None


def test_a_callback_works_once(tenant_a, sso):
    client = tenant_a.client()
    sso.login_as("newbie")
    callback = _at_provider(_start(client))
    assert _back(client, callback).status_code == 302
    client.post("/accounts/logout/")
    assert _back(client, callback).status_code == 400


def test_a_stolen_code_is_useless_without_its_pkce_verifier(tenant_a, sso):
    sso.login_as("newbie")
    victim = tenant_a.client()
    stolen_code = parse_qs(urlsplit(_at_provider(_start(victim))).query)["code"][0]
    attacker = tenant_a.client()
    own = parse_qs(urlsplit(_at_provider(_start(attacker))).query)
    injected = f"{CALLBACK}?code={stolen_code}&state={own['state'][0]}"
    response = _back(attacker, injected)
    assert response.status_code == 400
    assert sso.token_requests[-1]["pkce_ok"] is False
    assert _signed_in_as(attacker) is None


def test_a_provider_error_is_shown(tenant_a, sso):
    client = tenant_a.client()
    state = parse_qs(urlsplit(_start(client)).query)["state"][0]
    response = client.get(f"/accounts/sso/callback/?error=access_denied&state={state}")
    assert response.status_code == 400 and b"access_denied" in response.content


def test_an_unreachable_provider_gives_a_clear_page(tenant_a, sso):
    sso.stop()
    response = tenant_a.client().post("/accounts/sso/start/", {"next": "/"})
    assert response.status_code == 502 and b"could not be reached" in response.content


def test_the_login_page_offers_the_button(tenant_a, sso):
    page = tenant_a.client().get("/accounts/login/").content.decode()
    assert "Sign in with Test IdP" in page and 'name="password"' in page


def test_the_secret_is_encrypted_never_rendered_and_never_logged(tenant_a, op, caplog):
    caplog.set_level(logging.DEBUG)
    assert _configure(tenant_a, op).status_code == 302
    client = tenant_a.client()
    _sso(client, op, "newbie")
    assert _signed_in_as(client) is not None

    page = tenant_a.client(tenant_a.hr_admin).get(SETTINGS).content.decode()
    assert op.client_secret not in page and "A secret is stored" in page
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and op.client_secret not in logged
    audit = AuditLog.objects.get(action="settings.sso_changed")
    assert op.client_secret not in str(audit.details)

    stored = SignInPolicy.objects.get().oidc_client_secret_encrypted
    assert op.client_secret not in stored
    assert secret_decrypt(stored) == op.client_secret
    # Bound to this tenant: the same ciphertext does not open in another schema.
    connection.set_schema_to_public()
    with pytest.raises(SecretUnreadable):
        secret_decrypt(stored)
    tenant_a.activate()


def test_saving_without_a_new_secret_keeps_the_stored_one(tenant_a, sso):
    before = SignInPolicy.objects.get().oidc_client_secret_encrypted
    assert _configure(tenant_a, sso, oidc_client_secret="", sso_label="Okta").status_code == 302
    policy = SignInPolicy.objects.get()
    assert policy.sso_label == "Okta" and policy.oidc_client_secret_encrypted == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"discovery_issuer": "http://idp.example/other"}, "must be identical"),
        ({"no_s256": True}, "PKCE with S256"),
    ],
)
def test_settings_check_the_provider_before_saving(tenant_a, op, setup, message):
    if setup.pop("no_s256", False):
        op.code_challenge_methods = ["plain"]
    op.misbehave.update(setup)
    response = _configure(tenant_a, op)
    assert response.status_code == 200 and message in response.content.decode()
    assert not SignInPolicy.objects.filter(sso_enabled=True).exists()


def test_settings_refuse_an_unreachable_or_plain_http_issuer(tenant_a, op, settings):
    response = _configure(tenant_a, op, oidc_issuer="http://127.0.0.1:9/nothing")
    assert "Could not reach the provider" in response.content.decode()
    settings.SSO_ALLOW_HTTP_ISSUER = False
    response = _configure(tenant_a, op)
    assert "must be an https:// address" in response.content.decode()


def test_settings_need_the_fields_for_sso(tenant_a, op):
    response = _configure(tenant_a, op, oidc_client_id="", oidc_client_secret="")
    assert response.status_code == 200
    assert response.content.decode().count("Needed for single sign-on.") == 2


def test_the_tenant_two_factor_requirement_is_met_by_sso(tenant_a, sso):
    SignInPolicy.objects.filter(pk=1).update(require_two_factor=True)
    client = tenant_a.client()
    _sso(client, sso, "newbie")
    assert client.get("/").status_code == 200


def _sso_only(tenant_a, sso) -> None:  # type: ignore[no-untyped-def]
    sso.add_user("boss", email=tenant_a.hr_admin.email, email_verified=True)
    hr = tenant_a.client()
    _sso(hr, sso, "boss")
    data = {
        "form": "sso",
        "sso_enabled": "on",
        "sso_only": "on",
        "sso_label": "Test IdP",
        "oidc_issuer": sso.issuer,
        "oidc_client_id": sso.client_id,
        "sso_default_role": Role.RECRUITER,
        "sso_groups_claim": "groups",
    }
    assert hr.post(SETTINGS, data).status_code == 302


def test_sso_only_needs_the_hr_admin_to_have_used_sso_first(tenant_a, sso):
    response = _configure(tenant_a, sso, sso_only="on")
    assert response.status_code == 200
    assert "Sign in with single sign-on yourself once" in response.content.decode()
    assert not SignInPolicy.objects.get().sso_only


def test_sso_only_refuses_passwords_and_resets_but_not_sso(tenant_a, sso):
    _sso_only(tenant_a, sso)
    client = tenant_a.client()
    page = client.get("/accounts/login/").content.decode()
    assert 'name="password"' not in page and "Sign in with Test IdP" in page
    response = client.post(
        "/accounts/login/", {"username": tenant_a.recruiter.email, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert b"single sign-on only" in response.content
    assert _signed_in_as(client) is None
    reset = client.post("/accounts/password-reset/", {"email": tenant_a.recruiter.email})
    assert reset.status_code == 403
    _sso(client, sso, "newbie")
    assert _signed_in_as(client) is not None


def test_the_platform_operator_breaks_the_glass(tenant_a, sso):
    _sso_only(tenant_a, sso)
    out = io.StringIO()
    call_command(
        "signin_break_glass",
        schema="alpha",
        reason="IdP outage",
        email=tenant_a.hr_admin.email,
        stdout=out,
    )
    tenant_a.activate()
    assert not SignInPolicy.objects.get().sso_only
    assert "/accounts/password-reset/" in out.getvalue()
    entry = AuditLog.objects.get(action="signin.break_glass")
    assert entry.details == {"by": "platform operator", "reason": "IdP outage"}
    response = tenant_a.client().post(
        "/accounts/login/",
        {"username": tenant_a.hr_admin.email, "password": PASSWORD},
        REMOTE_ADDR="10.2.0.1",
    )
    assert response.status_code == 302


def test_break_glass_refuses_unknown_tenants_and_people(tenant_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No tenant"):
        call_command("signin_break_glass", schema="nope", reason="x")
    with pytest.raises(CommandError, match="No active user"):
        call_command("signin_break_glass", schema="alpha", reason="x", email="who@x.example")


def test_without_sso_set_up_there_is_no_button_and_no_flow(tenant_a):
    page = tenant_a.client().get("/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert tenant_a.client().post("/accounts/sso/start/").status_code == 404
    response = tenant_a.client().get("/accounts/sso/callback/?code=x&state=y")
    assert response.status_code == 400 and b"not set up" in response.content
