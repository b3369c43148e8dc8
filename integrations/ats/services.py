"""HR admins' side of the ATS connectors: connections, mappings, the review queue."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_log_record
from candidates.models import Application, Position
from integrations.ats import PROCESSORS
from integrations.ats.common import ats_event_apply
from integrations.models import (
    AtsConnection,
    AtsEvent,
    AtsEventStatus,
    AtsMapping,
    MappingKind,
    ReasonOutcome,
)


class AtsError(Exception):
    """An ATS settings action was refused; the message is shown to the user."""


@transaction.atomic
def ats_connection_save(
    *, provider: str, secret: str, enabled: bool, unknown_job: str, actor: User | None
) -> AtsConnection:
    connection, _ = AtsConnection.objects.update_or_create(
        provider=provider,
        defaults={"secret": secret, "enabled": enabled, "unknown_job": unknown_job},
    )
    audit_log_record(actor=actor, action="integrations.ats_connection_save", target=provider)
    return connection


@transaction.atomic
def ats_mapping_add(
    *, provider: str, kind: str, external_id: str, external_name: str, actor: User | None
) -> AtsMapping:
    row, _ = AtsMapping.objects.get_or_create(
        provider=provider,
        kind=kind,
        external_id=external_id.strip()[:200],
        defaults={"external_name": external_name.strip()[:300]},
    )
    return row


@transaction.atomic
def ats_mapping_save(
    *, mapping: AtsMapping, values: dict[str, Any], actor: User | None
) -> AtsMapping:
    """Set what their item means here (`values`: the MappingForm's cleaned data)."""
    mapping.ignore = bool(values.get("ignore"))
    if mapping.kind == MappingKind.STAGE:
        mapping.stage = values.get("stage")
    elif mapping.kind == MappingKind.REASON:
        mapping.reason = values.get("reason")
        mapping.outcome = values.get("outcome") or ReasonOutcome.REJECTED
        if mapping.outcome == ReasonOutcome.REJECTED and not mapping.reason and not mapping.ignore:
            raise AtsError(_("Choose which of our rejection reasons this is."))
    elif mapping.kind == MappingKind.JOB:
        mapping.position = values.get("position")
    elif mapping.kind == MappingKind.APPLICATION and not mapping.ignore:
        email, position = values.get("candidate_email"), values.get("application_position")
        application = (
            Application.objects.filter(candidate__email__iexact=email, position=position).first()
            if email and isinstance(position, Position)
            else None
        )
        if application is None:
            raise AtsError(_("No application of this candidate to this position exists here."))
        mapping.application = application
    mapping.save()
    audit_log_record(
        actor=actor,
        action="integrations.ats_mapping_save",
        target=f"{mapping.provider} {mapping.kind} {mapping.external_id}",
    )
    return mapping


def ats_event_retry(*, event: AtsEvent, actor: User | None) -> AtsEvent:
    """Apply an event held for review again (after its items were mapped)."""
    if event.status not in (AtsEventStatus.REVIEW, AtsEventStatus.FAILED):
        raise AtsError(_("Only events waiting for review can be retried."))
    connection = AtsConnection.objects.filter(provider=event.provider).first()
    if connection is None:
        raise AtsError(_("This ATS is no longer connected."))
    return ats_event_apply(event=event, connection=connection, process=PROCESSORS[event.provider])


def ats_events_retry_all(*, actor: User | None) -> int:
    """Retry every event waiting for review; returns how many were processed now."""
    processed = 0
    for event in AtsEvent.objects.filter(status=AtsEventStatus.REVIEW).order_by("received_at"):
        processed += ats_event_retry(event=event, actor=actor).status == AtsEventStatus.PROCESSED
    return processed


@transaction.atomic
def ats_event_dismiss(*, event: AtsEvent, actor: User | None) -> AtsEvent:
    event.status, event.result = AtsEventStatus.IGNORED, "dismissed by an HR admin"
    event.save(update_fields=["status", "result"])
    audit_log_record(actor=actor, action="integrations.ats_event_dismiss", target=str(event.pk))
    return event
