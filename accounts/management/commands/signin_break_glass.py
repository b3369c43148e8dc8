"""The platform operator's way into a tenant whose single sign-on fails (identity provider
down, expired secret, wrong settings) while SSO is the only way in.

    manage.py signin_break_glass --schema acme --reason "IdP outage, ticket 123" \
        [--email hr@acme.example]

Single sign-on stops being the only way in (SSO itself stays on), so password sign-in and
password resets work again; with --email it prints a one-time link for that person to choose a
password (valid PASSWORD_RESET_TIMEOUT). Recorded in the tenant's audit log. The HR admin fixes
the settings and switches "only way in" back on after signing in with SSO once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from accounts.models import User
from accounts.services import password_set_url, signin_break_glass
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Re-open password sign-in for a tenant whose single sign-on fails (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="the tenant's schema name")
        parser.add_argument("--reason", required=True, help="recorded in the audit log")
        parser.add_argument("--email", default=None, help="print a set-password link for them")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(schema_name=options["schema"]).first()
        if tenant is None or tenant.schema_name == "public":
            raise CommandError(f"No tenant with schema {options['schema']!r}.")
        reason = options["reason"].strip()
        if not reason:
            raise CommandError("Give a --reason; it goes into the tenant's audit log.")
        with tenant_context(tenant):
            user = None
            if options["email"]:
                user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
                if user is None:
                    raise CommandError(f"No active user {options['email']} at {tenant.name}.")
            signin_break_glass(reason=reason)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{tenant.name}: single sign-on is no longer the only way in; "
                    "password sign-in and resets work again."
                )
            )
            if user is not None:
                self.stdout.write(
                    f"  {user.email} can choose a password at {password_set_url(user)}"
                )
