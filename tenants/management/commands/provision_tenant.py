from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.services import ProvisioningError, tenant_provision


class Command(BaseCommand):
    help = "Create a tenant (schema, domain, HR admin, defaults). Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", required=True, help="e.g. acme.localhost")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--schema", default=None, help="defaults to the domain's first label")
        parser.add_argument("--admin-password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = tenant_provision(
                name=options["name"],
                domain=options["domain"],
                admin_email=options["admin_email"],
                schema_name=options["schema"],
                admin_password=options["admin_password"],
            )
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        verb = "Created" if result.created else "Already provisioned; defaults checked for"
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"{verb} tenant {result.tenant.name} ({elapsed:.1f}s)")
        )
        for note in result.notes:
            self.stdout.write(f"  {note}")
