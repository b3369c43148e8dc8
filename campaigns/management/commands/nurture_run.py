"""Run one tenant's nurture planner by hand: what the beat task does every 15 minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from campaigns.models import PLANNED_TOPIC_CHOICES, TopicSchedule
from campaigns.planner import HeldBack, PlanResult
from campaigns.sending import SendResult, nurture_run
from tenants.i18n import tenant_zone
from tenants.models import Tenant

TOPIC_LABELS = dict(PLANNED_TOPIC_CHOICES)


class Command(BaseCommand):
    help = (
        "Plan and queue one tenant's nurture digests now (or as at --at) exactly as the beat "
        "task (campaigns.tasks.nurture_dispatch_task, per tenant) would, and print per topic "
        "the digests queued and the candidates held back by consent, send window and cap. "
        "Queued digests wait in the mail outbox until a Celery worker sends them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="tenant schema")
        parser.add_argument(
            "--at",
            metavar="ISO_TIME",
            help=(
                "plan as at this time instead of now, e.g. 2026-12-01T10:00. Without a UTC "
                "offset it is read in the tenant's time zone; with one (+01:00, Z) as given. "
                "Send windows, intervals, the cap and content freshness follow it; consent is "
                "checked as it stands now."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would be queued; write nothing, enqueue nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = _tenant(options["tenant"])
        with tenant_context(tenant):
            zone = tenant_zone()
            at = _parse_at(options["at"], zone) if options["at"] else timezone.now()
            if options["dry_run"]:
                with transaction.atomic():
                    plan, sent = nurture_run(now=at, count_held_back=True)
                    # Deliveries and messages go with the rollback, and so does the on-commit
                    # work (the outbox dispatcher is never enqueued).
                    transaction.set_rollback(True)
            else:
                plan, sent = nurture_run(now=at, count_held_back=True)
            topics = list(
                TopicSchedule.objects.filter(enabled=True).values_list("topic", flat=True)
            )
        self._report(tenant, at.astimezone(zone), topics, plan, sent, dry_run=options["dry_run"])

    def _report(
        self,
        tenant: Tenant,
        when: dt.datetime,
        topics: list[str],
        plan: PlanResult,
        sent: SendResult,
        *,
        dry_run: bool,
    ) -> None:
        mode = "dry run: nothing written, nothing enqueued" if dry_run else "queued"
        write = self.stdout.write
        write(f"Nurture for {tenant.name} ({tenant.schema_name}) at {when:%a %Y-%m-%d %H:%M}")
        write(f"  in {when.tzinfo} ({mode})")
        rows = [("topic", "window", "digests", "held back: consent", "window", "cap")]
        for topic in [*topics, *sorted(set(sent.by_topic) - set(topics))]:
            held = plan.held_back.get(topic, HeldBack())
            rows.append(
                (
                    str(TOPIC_LABELS.get(topic, topic)),
                    "open" if topic in plan.open_topics else "closed",
                    str(sent.by_topic[topic]),
                    str(held.consent),
                    str(held.window),
                    str(held.cap),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
            write("  " + "  ".join(cells))
        if sent.dropped:
            dropped = ", ".join(f"{reason}: {n}" for reason, n in sorted(sent.dropped.items()))
            write(f"  Planned, then dropped while rendering: {dropped}")
        if dry_run:
            write(self.style.SUCCESS(f"{sent.queued} digest(s) would be queued."))
        else:
            write(
                self.style.SUCCESS(
                    f"{sent.queued} digest(s) queued in the outbox; a running worker sends "
                    "them (make run starts one)."
                )
            )


def _tenant(schema: str) -> Tenant:
    if schema == get_public_schema_name():
        raise CommandError("public is the shared schema, not a tenant: give a tenant's schema.")
    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is None:
        known = ", ".join(
            Tenant.objects.exclude(schema_name=get_public_schema_name())
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )
        raise CommandError(f"No tenant with schema {schema!r}. Tenants: {known or 'none'}.")
    if not tenant.is_active:
        raise CommandError(f"Tenant {schema!r} is inactive; the beat task skips it.")
    return tenant


def _parse_at(value: str, zone: dt.tzinfo) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--at {value!r} is not an ISO 8601 time; e.g. 2026-12-01T10:00 (the tenant's "
            "time zone) or 2026-12-01T10:00+01:00."
        ) from None
    return at.replace(tzinfo=zone) if at.tzinfo is None else at
