from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts import lockout
from accounts.crypto import secret_encrypt
from accounts.models import AuditLog, Role, SignInPolicy, User
from accounts.staffmail import invitation_send
from tenants.links import tenant_absolute_url


class AccountError(Exception):
    """A user-management action was refused; the message is shown to the HR admin."""


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the lockout sees it (X-Forwarded-For only behind trusted
    proxies), so the audit log and lockouts name the same address."""
    return lockout.client_ip(request)


def audit_log_record(
    *,
    actor: User | None,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditLog:
    """Append an entry to the tenant's audit log (exports, erasures, settings changes...)."""
    return AuditLog.objects.create(
        actor=actor if actor and actor.pk else None,
        actor_label=actor.email if actor else "system",
        action=action,
        target=target[:254],
        details=details or {},
        ip_address=client_ip(request),
    )


@transaction.atomic
def tenant_branding_save(
    *, actor: User, form: ModelForm, request: HttpRequest | None = None
) -> None:
    """Save the tenant's branding/sender form and record which fields changed."""
    tenant = form.save()
    audit_log_record(
        actor=actor,
        action="settings.branding_changed",
        target=tenant.name,
        details={"fields": sorted(form.changed_data)},
        request=request,
    )


def password_set_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return tenant_absolute_url(
        reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    )


@transaction.atomic
def user_invite(*, actor: User | None, email: str, role: str, full_name: str = "") -> User:
    """Create a user without a password and email them a link to choose one."""
    email = email.strip().lower()
    if role not in Role.values:
        raise AccountError(_("Unknown role %(role)r.") % {"role": role})
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(_("%(email)s already has an account here.") % {"email": email})
    user = User.objects.create_user(email, role=role, full_name=full_name, invited_by=actor)
    # Through the outbox (mailing registers the sender): the tenant's sender identity, HTML
    # and text, retries; it leaves only after the commit.
    invitation_send(user=user, inviter=actor, link=password_set_url(user))
    audit_log_record(actor=actor, action="user.invited", target=email, details={"role": role})
    return user


@transaction.atomic
def profile_save(*, actor: User, form: ModelForm) -> User:
    """Save the person's own profile form; the audit log names the fields that changed."""
    user = form.save()
    if form.changed_data:
        audit_log_record(
            actor=actor,
            action="user.profile_changed",
            target=user.email,
            details={"fields": sorted(form.changed_data)},
        )
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> None:
    if user.pk == actor.pk:
        raise AccountError(_("You cannot deactivate your own account."))
    if (
        user.role == Role.HR_ADMIN
        and not User.objects.filter(role=Role.HR_ADMIN, is_active=True).exclude(pk=user.pk).exists()
    ):
        raise AccountError(_("Keep at least one active HR admin."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_log_record(actor=actor, action="user.deactivated", target=user.email)


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_log_record(actor=actor, action="user.reactivated", target=user.email)


@transaction.atomic
def user_role_change(*, actor: User, user: User, role: str) -> None:
    if role not in Role.values:
        raise AccountError(_("Unknown role %(role)r.") % {"role": role})
    if user.pk == actor.pk and role != Role.HR_ADMIN:
        raise AccountError(_("You cannot remove your own HR admin role."))
    user.role = role
    user.save(update_fields=["role"])
    audit_log_record(
        actor=actor, action="user.role_changed", target=user.email, details={"role": role}
    )


def hr_admin_ensure(*, email: str, password: str | None) -> tuple[User, bool]:
    """Create the tenant's first HR admin if missing (provisioning); idempotent."""
    user = User.objects.filter(email__iexact=email).first()
    if user:
        return user, False
    user = User.objects.create_user(email, password=password, role=Role.HR_ADMIN)
    audit_log_record(actor=None, action="user.provisioned", target=email)
    return user, True


@transaction.atomic
def user_signin_unlock(*, actor: User, user: User) -> int:
    """Lift every sign-in lock and slow-down on a user's account (HR admin)."""
    cleared = lockout.signin_failures_clear(email=user.email)
    audit_log_record(
        actor=actor, action="user.signin_unlocked", target=user.email, details={"failures": cleared}
    )
    return cleared


@transaction.atomic
def signin_policy_two_factor_set(
    *, actor: User, require: bool, request: HttpRequest | None = None
) -> SignInPolicy:
    policy, _created = SignInPolicy.objects.select_for_update().get_or_create(pk=1)
    if policy.require_two_factor != require:
        policy.require_two_factor = require
        policy.save(update_fields=["require_two_factor", "updated_at"])
        audit_log_record(
            actor=actor,
            action="settings.two_factor_required" if require else "settings.two_factor_optional",
            request=request,
        )
    return policy


@transaction.atomic
def signin_policy_sso_save(
    *, actor: User, form: ModelForm, request: HttpRequest | None = None
) -> SignInPolicy:
    """Save the single sign-on settings from a valid SsoForm; a new client secret is encrypted
    and the audit log records only that it changed, never its value."""
    policy = form.save(commit=False)
    policy.pk = 1
    policy.sso_hr_admin_groups = form.cleaned_data["hr_admin_groups"]
    policy.sso_recruiter_groups = form.cleaned_data["recruiter_groups"]
    changed = sorted(form.changed_data)
    secret = form.cleaned_data.get("oidc_client_secret")
    if secret:
        policy.oidc_client_secret_encrypted = secret_encrypt(secret)
        policy.oidc_secret_set_at = timezone.now()
    policy.save()
    audit_log_record(
        actor=actor,
        action="settings.sso_changed",
        details={"fields": changed, "sso_enabled": policy.sso_enabled, "sso_only": policy.sso_only},
        request=request,
    )
    return policy


@transaction.atomic
def signin_break_glass(*, reason: str) -> SignInPolicy:
    """The platform operator's way back in when the identity provider fails: single sign-on
    stops being the only way in, so password sign-in and resets work again (audited)."""
    policy, _created = SignInPolicy.objects.select_for_update().get_or_create(pk=1)
    policy.sso_only = False
    policy.save(update_fields=["sso_only", "updated_at"])
    audit_log_record(
        actor=None,
        action="signin.break_glass",
        details={"by": "platform operator", "reason": reason},
    )
    return policy
