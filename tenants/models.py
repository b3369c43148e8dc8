from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f6feb."))


class Tenant(TenantMixin):
    """A client company: its own schema, branding and sender identity."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)

    # Branding shown on recruiter pages, candidate pages, emails and PDFs.
    logo = models.ImageField(upload_to="branding/", blank=True)
    primary_colour = models.CharField(max_length=7, default="#1f6feb", validators=[hex_colour])

    # Sender identity and legal details used in every email footer and candidate page.
    sender_name = models.CharField(max_length=120, blank=True)
    sender_email = models.EmailField(blank=True)
    reply_to = models.EmailField(blank=True)
    postal_address = models.TextField(blank=True)
    privacy_policy_url = models.URLField(blank=True)
    dpo_contact = models.CharField(max_length=200, blank=True, help_text="Data protection officer")
    # The privacy notice on every page that collects personal data (GDPR art. 13).
    controller_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Legal name of the data controller, if not the company name above.",
    )
    privacy_notice = models.TextField(
        blank=True,
        max_length=1000,
        help_text="What you do with candidates' data, in a few sentences (shown on application "
        "and sign-up forms under the standard notice).",
    )
    default_language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(max_length=64, default="Europe/Paris")

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def from_name(self) -> str:
        return self.sender_name or self.name

    @property
    def controller(self) -> str:
        return self.controller_name or self.name


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
