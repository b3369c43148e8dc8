"""Sign-in and its lockout: per (account, address), per address, a slow-down per account that
browsers the person used before skip; how a locked person gets back in; password reset."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import AuditLog, SignInFailure
from mailing.dispatch import outbox_dispatch
from mailing.models import Message
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
WRONG = "not-the-password"


def _sign_in(client, email: str, password: str, ip: str, **extra):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


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


def test_a_wrong_password_is_refused_with_the_form_again(tenant_a):
    response = _sign_in(tenant_a.client(), tenant_a.recruiter.email, WRONG, "10.0.0.2")
    assert response.status_code == 200
    assert b"Please enter a correct email and password" in response.content


def test_an_account_is_locked_from_an_address_after_five_failures_there(tenant_a):
    client = tenant_a.client()
    for attempt in range(5):
        assert not _locked(_sign_in(client, tenant_a.recruiter.email, WRONG, "10.0.1.1")), attempt
    # The right password from that address no longer opens the account...
    response = _sign_in(client, tenant_a.recruiter.email, PASSWORD, "10.0.1.1")
    assert _locked(response)
    assert 0 < int(response["Retry-After"]) <= 30 * 60
    assert b"ask an HR admin to unlock your account" in response.content
    assert not _signed_in(client)
    # ... other accounts from that address are unaffected.
    assert _sign_in(client, tenant_a.hr_admin.email, PASSWORD, "10.0.1.1").status_code == 302


def test_an_attacker_at_one_address_cannot_lock_the_user_out_at_another(tenant_a):
    attacker = tenant_a.client()
    for _ in range(50):
        _sign_in(attacker, tenant_a.recruiter.email, WRONG, "203.0.113.66")
    assert _locked(_sign_in(attacker, tenant_a.recruiter.email, PASSWORD, "203.0.113.66"))
    # Refused attempts are not even counted: only the five that were checked.
    assert SignInFailure.objects.count() == 5

    user = tenant_a.client()
    response = _sign_in(user, tenant_a.recruiter.email, PASSWORD, "198.51.100.7")
    assert response.status_code == 302
    assert _signed_in(user)


def test_hammering_a_lock_does_not_prolong_it(tenant_a):
    client = tenant_a.client()
    for _ in range(5):
        _sign_in(client, tenant_a.recruiter.email, WRONG, "10.0.1.2")
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        response = _sign_in(client, tenant_a.recruiter.email, WRONG, "10.0.1.2")
        assert _locked(response)
        assert int(response["Retry-After"]) <= 10 * 60
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        assert _sign_in(client, tenant_a.recruiter.email, PASSWORD, "10.0.1.2").status_code == 302


def test_an_address_is_locked_after_many_failures_across_accounts(tenant_a, settings):
    settings.SIGNIN_ADDRESS_LIMIT = 8  # 30 by default: the same rule, fewer password hashes
    client = tenant_a.client()
    for attempt in range(settings.SIGNIN_ADDRESS_LIMIT):
        _sign_in(client, f"guess{attempt}@alpha.example", WRONG, "10.0.2.7")
    response = _sign_in(client, tenant_a.hr_admin.email, PASSWORD, "10.0.2.7")
    assert _locked(response)
    assert b"from your network" in response.content
    assert not _signed_in(client)
    # The same account from another address still works: the lock is on the address.
    assert _sign_in(client, tenant_a.hr_admin.email, PASSWORD, "10.0.2.8").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(tenant_a):
    client = tenant_a.client()
    for attempt in range(5):
        _sign_in(
            client,
            tenant_a.recruiter.email,
            WRONG,
            "10.0.3.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
    response = _sign_in(
        client, tenant_a.recruiter.email, PASSWORD, "10.0.3.7", HTTP_X_FORWARDED_FOR="203.0.113.99"
    )
    assert _locked(response)


def test_guessing_from_many_addresses_slows_the_account_down_for_new_browsers_only(
    tenant_a, settings
):
    email = tenant_a.recruiter.email
    office = tenant_a.client()  # the recruiter's own browser: signed in here before
    assert _sign_in(office, email, PASSWORD, "192.0.2.10").status_code == 302
    office.post("/accounts/logout/")

    with time_machine.travel(timezone.now(), tick=False) as clock:
        # A botnet: one guess from each of many addresses, each as soon as the slow-down lets
        # it (a minute apart), never enough at one address for a lock.
        for n in range(20):
            clock.shift(timedelta(seconds=61))
            response = _sign_in(tenant_a.client(), email, WRONG, f"198.18.0.{n + 1}")
            assert response.status_code == 200, n
        clock.shift(timedelta(seconds=1))
        # In between, every stranger is turned away without the password being checked...
        assert _sign_in(tenant_a.client(), email, WRONG, "198.18.1.1").status_code == 429

        # ... but the recruiter's own browser is not slowed down, from any address.
        assert _sign_in(office, email, PASSWORD, "192.0.2.99").status_code == 302
        office.post("/accounts/logout/")

        # A browser they never used must wait, briefly: a slow-down, never a lock.
        laptop = tenant_a.client()
        response = _sign_in(laptop, email, PASSWORD, "192.0.2.11")
        assert response.status_code == 429
        assert b"Please wait" in response.content
        wait = int(response["Retry-After"])
        assert 0 < wait <= settings.SIGNIN_SLOWDOWN_MAX_SECONDS
        clock.shift(timedelta(seconds=wait))
        assert _sign_in(laptop, email, PASSWORD, "192.0.2.11").status_code == 302
        assert _signed_in(laptop)


def test_a_device_cookie_for_another_account_does_not_skip_the_slow_down(tenant_a, settings):
    own = tenant_a.client()
    assert _sign_in(own, tenant_a.hr_admin.email, PASSWORD, "192.0.2.20").status_code == 302
    own.post("/accounts/logout/")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(settings.SIGNIN_SLOWDOWN_AFTER + 2):
            clock.shift(timedelta(seconds=61))
            _sign_in(tenant_a.client(), tenant_a.recruiter.email, WRONG, f"198.19.0.{n + 1}")
        # The cookie names the HR admin's account, not the recruiter's.
        assert _sign_in(own, tenant_a.recruiter.email, PASSWORD, "192.0.2.20").status_code == 429


def test_failures_store_a_keyed_hash_not_what_was_typed(tenant_a):
    typed = "s3cret.Pass@alpha.example"
    _sign_in(tenant_a.client(), typed, WRONG, "10.0.7.1")
    row = SignInFailure.objects.get()
    assert typed not in row.account and len(row.account) == 64
    assert row.ip_address == "10.0.7.1"


def test_an_hr_admin_unlocks_a_locked_user(tenant_a):
    for _ in range(5):
        _sign_in(tenant_a.client(), tenant_a.recruiter.email, WRONG, "10.0.6.1")
    hr = tenant_a.client(tenant_a.hr_admin)
    page = hr.get("/accounts/settings/users/").content.decode()
    assert "Locked from 10.0.6.1" in page
    response = hr.post(f"/accounts/settings/users/{tenant_a.recruiter.pk}/", {"action": "unlock"})
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="user.signin_unlocked").exists()
    assert "Locked from" not in hr.get("/accounts/settings/users/").content.decode()
    client = tenant_a.client()
    assert _sign_in(client, tenant_a.recruiter.email, PASSWORD, "10.0.6.1").status_code == 302


def test_recruiters_cannot_unlock(tenant_a):
    for _ in range(5):
        _sign_in(tenant_a.client(), tenant_a.hr_admin.email, WRONG, "10.0.6.2")
    recruiter = tenant_a.client(tenant_a.recruiter)
    response = recruiter.post(
        f"/accounts/settings/users/{tenant_a.hr_admin.pk}/", {"action": "unlock"}
    )
    assert response.status_code == 403
    assert _locked(_sign_in(tenant_a.client(), tenant_a.hr_admin.email, PASSWORD, "10.0.6.2"))


def test_lockouts_are_per_tenant(tenant_a, tenant_b, settings):
    settings.SIGNIN_ADDRESS_LIMIT = 8
    for attempt in range(settings.SIGNIN_ADDRESS_LIMIT):
        _sign_in(tenant_a.client(), f"guess{attempt}@alpha.example", WRONG, "10.0.4.7")
    assert _locked(_sign_in(tenant_a.client(), tenant_a.hr_admin.email, PASSWORD, "10.0.4.7"))
    tenant_b.activate()
    client = tenant_b.client()
    assert _sign_in(client, tenant_b.hr_admin.email, PASSWORD, "10.0.4.7").status_code == 302
    assert _signed_in(client)


def _reset_link(client, email: str) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/accounts/password-reset/", {"email": email})
    assert response.status_code == 302
    outbox_dispatch()  # staff mail leaves through the outbox like every email
    message = mail.outbox[-1]
    assert message.to == [email]
    link = re.search(
        r"http://alpha\.localhost(?::\d+)?(/accounts/password-reset/\S+/)", message.body
    )
    assert link, message.body
    return link.group(1)


def _set_password(client, link: str, password: str):  # type: ignore[no-untyped-def]
    # Django swaps the token for a session marker and redirects to the set-password form.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    return client.post(set_password_url, {"new_password1": password, "new_password2": password})


def test_password_reset_sends_a_link_that_sets_a_new_password(tenant_a):
    client = tenant_a.client()
    link = _reset_link(client, tenant_a.recruiter.email)
    response = _set_password(client, link, "a-brand-new-passphrase")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/done/"

    fresh = tenant_a.client()
    assert _sign_in(fresh, tenant_a.recruiter.email, "a-brand-new-passphrase", "10.0.5.1")
    assert _signed_in(fresh)
    # The link works once.
    assert b"This link has expired" in client.get(link, follow=True).content


def test_a_password_reset_lifts_the_locks_on_the_account(tenant_a):
    for _ in range(5):
        _sign_in(tenant_a.client(), tenant_a.recruiter.email, WRONG, "10.0.5.9")
    assert _locked(_sign_in(tenant_a.client(), tenant_a.recruiter.email, WRONG, "10.0.5.9"))
    client = tenant_a.client()
    _set_password(client, _reset_link(client, tenant_a.recruiter.email), "another-passphrase-9")
    response = _sign_in(
        tenant_a.client(), tenant_a.recruiter.email, "another-passphrase-9", "10.0.5.9"
    )
    assert response.status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(tenant_a):
    response = tenant_a.client().post("/accounts/password-reset/", {"email": "nobody@x.example"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    outbox_dispatch()
    assert mail.outbox == [] and not Message.objects.exists()


def test_a_user_of_another_tenant_gets_no_reset_mail_here(tenant_a, tenant_b):
    tenant_b.activate()
    tenant_b.client().post("/accounts/password-reset/", {"email": tenant_a.recruiter.email})
    outbox_dispatch()
    assert mail.outbox == [] and not Message.objects.exists()


def test_next_is_followed_on_this_host_only(tenant_a):
    client = tenant_a.client()
    response = client.post(
        LOGIN + "?next=/candidates/",
        {"username": tenant_a.recruiter.email, "password": PASSWORD, "next": "/candidates/"},
        REMOTE_ADDR="10.0.8.1",
    )
    assert response["Location"] == "/candidates/"
    other = tenant_a.client()
    response = other.post(
        LOGIN,
        {
            "username": tenant_a.recruiter.email,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
        REMOTE_ADDR="10.0.8.2",
    )
    assert response["Location"] == "/"
