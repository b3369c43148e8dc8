from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.services import template_schema_refresh


class Command(BaseCommand):
    help = "Rebuild the template schema that new tenants are cloned from, if it is behind."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        rebuilt = template_schema_refresh(force=options["force"])
        self.stdout.write("Template schema rebuilt." if rebuilt else "Template schema is current.")
