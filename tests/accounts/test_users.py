"""HR admins manage users (invite, deactivate, roles) and branding; each action is audited."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import AuditLog, Role, User
from accounts.services import AccountError, user_deactivate, user_role_change
from mailing.dispatch import outbox_dispatch
from tests.conftest import PASSWORD


def _set_password_through(client, body: str, password: str) -> None:  # type: ignore[no-untyped-def]
    link = re.search(r"https?://alpha\.localhost(?::\d+)?(/accounts/password-reset/\S+/)", body)
    assert link, body
    page = client.get(link.group(1), follow=True)
    assert page.status_code == 200
    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert response.status_code == 302


def test_invited_user_sets_a_password_and_signs_in(tenant_a, django_capture_on_commit_callbacks):
    hr = tenant_a.client(tenant_a.hr_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(
            "/accounts/settings/users/",
            {"email": "New.Person@Alpha.example", "full_name": "New Person", "role": "recruiter"},
        )
    assert response.status_code == 302
    invited = User.objects.get(email="new.person@alpha.example")
    assert invited.role == Role.RECRUITER and not invited.has_usable_password()
    assert invited.invited_by == tenant_a.hr_admin
    outbox_dispatch()
    assert [m.to for m in mail.outbox] == [["new.person@alpha.example"]]

    _set_password_through(tenant_a.client(), mail.outbox[0].body, "invited-and-welcome-2026")
    client = tenant_a.client()
    response = client.post(
        "/accounts/login/",
        {"username": "new.person@alpha.example", "password": "invited-and-welcome-2026"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200

    entry = AuditLog.objects.get(action="user.invited")
    assert entry.actor == tenant_a.hr_admin
    assert entry.target == "new.person@alpha.example"
    assert entry.details == {"role": "recruiter"}


def test_inviting_an_existing_address_is_refused_with_a_message(tenant_a):
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        "/accounts/settings/users/", {"email": tenant_a.recruiter.email.upper(), "role": "hr_admin"}
    )
    assert response.status_code == 200
    assert b"already has an account here" in response.content
    assert mail.outbox == []
    assert not AuditLog.objects.filter(action="user.invited").exists()


def test_invalid_invitation_input_is_reported_not_crashed(tenant_a):
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post("/accounts/settings/users/", {"email": "not-an-email", "role": "boss"})
    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content
    assert b"Select a valid choice" in response.content


def test_deactivated_users_session_stops_working(tenant_a):
    recruiter = tenant_a.client(tenant_a.recruiter)
    assert recruiter.get("/").status_code == 200
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        f"/accounts/settings/users/{tenant_a.recruiter.pk}/", {"action": "deactivate"}
    )
    assert response.status_code == 302
    after = recruiter.get("/")
    assert after.status_code == 302 and "/accounts/login/" in after["Location"]
    # Nor can they sign in again.
    login = tenant_a.client().post(
        "/accounts/login/", {"username": tenant_a.recruiter.email, "password": PASSWORD}
    )
    assert login.status_code == 200
    entry = AuditLog.objects.get(action="user.deactivated")
    assert (entry.actor, entry.target) == (tenant_a.hr_admin, tenant_a.recruiter.email)

    hr.post(f"/accounts/settings/users/{tenant_a.recruiter.pk}/", {"action": "reactivate"})
    assert AuditLog.objects.filter(action="user.reactivated").count() == 1
    assert tenant_a.client(tenant_a.recruiter).get("/").status_code == 200


def test_hr_admins_cannot_deactivate_themselves(tenant_a):
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        f"/accounts/settings/users/{tenant_a.hr_admin.pk}/", {"action": "deactivate"}, follow=True
    )
    assert b"You cannot deactivate your own account" in response.content
    tenant_a.hr_admin.refresh_from_db()
    assert tenant_a.hr_admin.is_active


def test_the_last_active_hr_admin_cannot_be_deactivated(tenant_a):
    # An operator acting as someone else (e.g. a script running as a recruiter account).
    with pytest.raises(AccountError, match="Keep at least one active HR admin"):
        user_deactivate(actor=tenant_a.recruiter, user=tenant_a.hr_admin)
    tenant_a.hr_admin.refresh_from_db()
    assert tenant_a.hr_admin.is_active
    assert not AuditLog.objects.filter(action="user.deactivated").exists()

    second = User.objects.create_user("second.hr@alpha.example", role=Role.HR_ADMIN)
    user_deactivate(actor=tenant_a.recruiter, user=tenant_a.hr_admin)
    tenant_a.hr_admin.refresh_from_db()
    assert not tenant_a.hr_admin.is_active
    with pytest.raises(AccountError, match="Keep at least one active HR admin"):
        user_deactivate(actor=tenant_a.recruiter, user=second)


def test_role_changes_are_audited_and_you_cannot_demote_yourself(tenant_a):
    user_role_change(actor=tenant_a.hr_admin, user=tenant_a.recruiter, role=Role.HR_ADMIN)
    tenant_a.recruiter.refresh_from_db()
    assert tenant_a.recruiter.is_hr_admin
    entry = AuditLog.objects.get(action="user.role_changed")
    assert entry.details == {"role": "hr_admin"}
    with pytest.raises(AccountError, match="your own HR admin role"):
        user_role_change(actor=tenant_a.hr_admin, user=tenant_a.hr_admin, role=Role.RECRUITER)
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        f"/accounts/settings/users/{tenant_a.recruiter.pk}/",
        {"action": "role", "role": "emperor"},
        follow=True,
    )
    assert b"Unknown role" in response.content


def test_users_of_other_tenants_cannot_be_managed_here(tenant_a, tenant_b):
    tenant_b.activate()
    beta_recruiter_pk = tenant_b.recruiter.pk
    tenant_a.activate()
    foreign = User.objects.filter(pk=beta_recruiter_pk).first()
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(f"/accounts/settings/users/{beta_recruiter_pk}/", {"action": "deactivate"})
    # The same primary key may exist here for a different person; it is never beta's user.
    if foreign is None:
        assert response.status_code == 404
    tenant_b.activate()
    tenant_b.recruiter.refresh_from_db()
    assert tenant_b.recruiter.is_active


def test_branding_change_is_saved_and_audited(tenant_a):
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        "/accounts/settings/",
        {
            "name": "Alpha Corp",
            "primary_colour": "#123456",
            "sender_name": "Alpha Talent",
            "sender_email": "talent@alpha.example",
            "default_language": "en",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    tenant_a.tenant.refresh_from_db()
    assert tenant_a.tenant.primary_colour == "#123456"
    assert tenant_a.tenant.time_zone == "Europe/Berlin"
    entry = AuditLog.objects.get(action="settings.branding_changed")
    assert entry.actor == tenant_a.hr_admin
    assert {"primary_colour", "sender_name", "time_zone"} <= set(entry.details["fields"])
    assert entry.ip_address == "127.0.0.1"
    log_page = hr.get("/accounts/settings/audit-log/")
    assert b"settings.branding_changed" in log_page.content


def test_bad_branding_input_is_explained_and_nothing_is_saved(tenant_a):
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        "/accounts/settings/",
        {
            "name": "Alpha Corp",
            "primary_colour": "red",
            "default_language": "en",
            "time_zone": "Mars/Olympus",
        },
    )
    assert response.status_code == 200
    assert b"Use a colour like #1f6feb" in response.content
    assert b"is not a known time zone" in response.content
    tenant_a.tenant.refresh_from_db()
    assert tenant_a.tenant.time_zone != "Mars/Olympus"
    assert not AuditLog.objects.filter(action="settings.branding_changed").exists()
