from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.services import DEMO_PASSWORD, demo_seed_all
from tenants.services import ProvisioningError

# Exit code when the tenant and logins are ready but some app's demo data failed.
PARTIAL_DEMO_DATA = 3


class Command(BaseCommand):
    help = "Provision the demo tenant with users and each app's demo data. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--again",
            action="store_true",
            help="run every app's demo_seed again, not only those not seeded yet",
        )
        parser.add_argument(
            "--logins-only",
            action="store_true",
            help="only the tenant and its logins, no app demo data (quick)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_seed_all(again=options["again"], with_data=not options["logins_only"])
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        verb = "Created" if result.created else "Kept existing"
        seeded = ", ".join(result.seeded_apps) or "none"
        kept = ", ".join(result.kept_apps) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} demo tenant {result.tenant.name}; demo data seeded: {seeded}; kept: {kept}"
            )
        )
        for email, role in result.logins:
            self.stdout.write(f"  {role}: {email} / {DEMO_PASSWORD}")
        for app, trace in result.failed_apps.items():
            self.stderr.write(f"Demo data of {app} failed (rolled back):\n{trace}")
        if result.failed_apps:
            raise CommandError(
                f"Demo data failed for: {', '.join(result.failed_apps)}",
                returncode=PARTIAL_DEMO_DATA,
            )
