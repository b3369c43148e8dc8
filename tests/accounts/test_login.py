"""Sign-in: lockout per account and per client IP (per tenant), password reset by email."""

from __future__ import annotations

import re

from django.core import mail

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
WRONG = "not-the-password"


def _sign_in(client, email: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return "_auth_user_id" in client.session


def _locked(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 429 and b"Too many failed sign-in attempts" in response.content


def test_correct_password_signs_in_and_logout_signs_out(tenant_a):
    client = tenant_a.client()
    response = _sign_in(client, tenant_a.recruiter.email, PASSWORD, "10.0.0.1")
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in(client)
    client.post("/accounts/logout/")
    assert not _signed_in(client)
    assert client.get("/").status_code == 302


def test_an_account_is_locked_after_five_bad_passwords_from_any_address(tenant_a):
    client = tenant_a.client()
    for attempt in range(5):
        response = _sign_in(client, tenant_a.recruiter.email, WRONG, f"10.0.1.{attempt}")
        assert not _locked(response) or attempt == 4
    # The right password, from yet another address, no longer opens the account.
    response = _sign_in(client, tenant_a.recruiter.email, PASSWORD, "10.0.1.99")
    assert _locked(response)
    assert not _signed_in(client)
    # Other accounts are unaffected.
    assert _sign_in(client, tenant_a.hr_admin.email, PASSWORD, "10.0.1.100").status_code == 302


def test_a_client_address_is_locked_after_five_failures_across_accounts(tenant_a):
    client = tenant_a.client()
    for attempt in range(5):
        _sign_in(client, f"guess{attempt}@alpha.example", WRONG, "10.0.2.7")
    response = _sign_in(client, tenant_a.hr_admin.email, PASSWORD, "10.0.2.7")
    assert _locked(response)
    assert not _signed_in(client)
    # The same account from another address still works: the lock is on the address.
    assert _sign_in(client, tenant_a.hr_admin.email, PASSWORD, "10.0.2.8").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_address_lock(tenant_a):
    client = tenant_a.client()
    for attempt in range(5):
        _sign_in(client, f"guess{attempt}@alpha.example", WRONG, "10.0.3.7")
    response = client.post(
        LOGIN,
        {"username": tenant_a.hr_admin.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.3.7",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    assert _locked(response)


def test_lockouts_are_per_tenant(tenant_a, tenant_b):
    for attempt in range(5):
        _sign_in(tenant_a.client(), f"guess{attempt}@alpha.example", WRONG, "10.0.4.7")
    assert _locked(_sign_in(tenant_a.client(), tenant_a.hr_admin.email, PASSWORD, "10.0.4.7"))
    tenant_b.activate()
    client = tenant_b.client()
    assert _sign_in(client, tenant_b.hr_admin.email, PASSWORD, "10.0.4.7").status_code == 302
    assert _signed_in(client)


def test_password_reset_sends_a_link_that_sets_a_new_password(tenant_a):
    client = tenant_a.client()
    response = client.post("/accounts/password-reset/", {"email": tenant_a.recruiter.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [tenant_a.recruiter.email]
    link = re.search(r"http://alpha\.localhost(/accounts/password-reset/\S+/)", message.body)
    assert link, message.body

    # Django swaps the token for a session marker and redirects to the set-password form.
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/done/"

    fresh = tenant_a.client()
    assert _sign_in(fresh, tenant_a.recruiter.email, "a-brand-new-passphrase", "10.0.5.1")
    assert _signed_in(fresh)
    # The link works once.
    assert b"This link has expired" in client.get(link.group(1), follow=True).content


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(tenant_a):
    response = tenant_a.client().post("/accounts/password-reset/", {"email": "nobody@x.example"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_a_user_of_another_tenant_gets_no_reset_mail_here(tenant_a, tenant_b):
    tenant_b.activate()
    tenant_b.client().post("/accounts/password-reset/", {"email": tenant_a.recruiter.email})
    assert mail.outbox == []
