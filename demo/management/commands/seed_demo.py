from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo.services import DEMO_PASSWORD, demo_seed_all
from tenants.services import ProvisioningError


class Command(BaseCommand):
    help = "Provision the demo tenant with users and each app's demo data. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_seed_all()
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        verb = "Created" if result.created else "Kept existing"
        apps = ", ".join(result.seeded_apps) or "none yet"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} demo tenant {result.tenant.name}; demo data: {apps}")
        )
        for email, role in result.logins:
            self.stdout.write(f"  {role}: {email} / {DEMO_PASSWORD}")
