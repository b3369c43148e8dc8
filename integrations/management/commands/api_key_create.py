"""`manage.py api_key_create --tenant <schema> --name <name> --scopes read,write` prints a new
API key for an operator (shown once; only its hash is stored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from integrations.keys import ApiKeyError, api_key_create
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it (it is shown only this once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's schema name.")
        parser.add_argument("--name", required=True, help="What will use the key.")
        parser.add_argument(
            "--scopes",
            default="read",
            help="Comma-separated: read, write, reject (default: read).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schema = options["tenant"]
        if not Tenant.objects.filter(schema_name=schema).exclude(schema_name="public").exists():
            raise CommandError(f"No tenant with the schema {schema!r}.")
        scopes = [s for s in options["scopes"].replace(" ", ",").split(",") if s]
        with schema_context(schema):
            try:
                created = api_key_create(name=options["name"], scopes=scopes, actor=None)
            except ApiKeyError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(created.secret)
        self.stderr.write(
            f"Key {created.key.prefix}… for {schema} ({', '.join(created.key.scopes)}). "
            "Store it now: it cannot be shown again."
        )
