from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HR_ADMIN = "hr_admin", _("HR admin")
    RECRUITER = "recruiter", _("Recruiter")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.HR_ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a recruiter or HR admin of one tenant (their schema), or a
    platform operator in the public schema."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RECRUITER)
    signature = models.TextField(
        _("Signature"), blank=True, help_text=_("Used in personalised feedback emails.")
    )
    # The language of this person's screens and staff emails; blank = the company's default
    # (accounts.i18n.staff_language).
    language = models.CharField(
        _("Language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Leave empty to use your company's language."),
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text=_("Platform admin site access."))
    date_joined = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_hr_admin(self) -> bool:
        return self.role == Role.HR_ADMIN

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else "") or self.email


class AuditLog(models.Model):
    """Append-only record of sensitive actions (exports, erasures, settings changes...)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=254, help_text="Kept if the user is deleted.")
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=254, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"


class SignInPolicy(models.Model):
    """How staff of this tenant sign in: one row per tenant schema (pk 1), edited by HR admins.

    The OIDC client secret is stored encrypted (accounts.crypto) and never rendered back."""

    require_two_factor = models.BooleanField(
        _("Require two-factor sign-in for everyone"),
        default=False,
        help_text=_(
            "Staff who sign in with a password must use an authenticator app or a passkey; "
            "those without one are asked to set it up before they can continue."
        ),
    )
    sso_enabled = models.BooleanField(_("Offer single sign-on"), default=False)
    sso_only = models.BooleanField(
        _("Single sign-on is the only way in"),
        default=False,
        help_text=_("Password sign-in and password resets are refused for every staff member."),
    )
    sso_label = models.CharField(
        _("Button label"),
        max_length=60,
        blank=True,
        help_text=_("Shown as “Sign in with …”, e.g. your identity provider's name."),
    )
    oidc_issuer = models.URLField(_("Issuer URL"), max_length=300, blank=True)
    oidc_client_id = models.CharField(_("Client ID"), max_length=255, blank=True)
    oidc_client_secret_encrypted = models.TextField(blank=True)
    oidc_secret_set_at = models.DateTimeField(null=True, blank=True)
    sso_default_role = models.CharField(
        _("Role of new users"), max_length=20, choices=Role.choices, default=Role.RECRUITER
    )
    sso_groups_claim = models.CharField(
        _("Groups claim"),
        max_length=100,
        default="groups",
        help_text=_("The ID token or user info claim that lists a person's groups."),
    )
    sso_hr_admin_groups = models.JSONField(default=list, blank=True)
    sso_recruiter_groups = models.JSONField(default=list, blank=True)
    sso_require_group = models.BooleanField(
        _("Only members of these groups may sign in"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="signin_policy_single_row")
        ]

    def __str__(self) -> str:
        return "Sign-in policy"

    @property
    def sso_configured(self) -> bool:
        return bool(
            self.sso_enabled
            and self.oidc_issuer
            and self.oidc_client_id
            and self.oidc_client_secret_encrypted
        )

    @property
    def sso_maps_groups(self) -> bool:
        return bool(self.sso_hr_admin_groups or self.sso_recruiter_groups)


class ExternalIdentity(models.Model):
    """A staff user's account at the tenant's OpenID Connect provider: (issuer, subject) is the
    stable key; the email address may change at the provider."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class SignInFailure(models.Model):
    """One failed password sign-in (accounts.lockout counts these). `account` is a keyed hash of
    the typed address, so a password typed into the email field is never stored."""

    at = models.DateTimeField(default=timezone.now)
    account = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField()
    trusted_device = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["account", "at"], name="signin_failure_account"),
            models.Index(fields=["ip_address", "at"], name="signin_failure_address"),
            models.Index(fields=["at"], name="signin_failure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.ip_address}"
