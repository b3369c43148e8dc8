"""Lever webhooks (https://hire.lever.co/developer/documentation#webhooks).

Each POST carries `token`, `triggeredAt` (ms) and `signature` = hex HMAC-SHA256 of
`token + triggeredAt` keyed with the webhook's signature token (the body itself is not signed,
so a delivery is accepted once: its signature is the replay key). Handled:
`candidateStageChange` (`toStageId`) and `candidateArchiveChange` (`toArchived.reason`, an
archive reason id). Lever sends ids only, so an opportunity is known by its link to one of our
applications (made when an HR admin links it in the review queue, or by the API client that
created the application); an unknown opportunity waits for review.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from integrations.ats.common import (
    Ignored,
    NeedsReview,
    Unknown,
    decision_apply,
    mapping_for,
    require,
    stage_sync,
)
from integrations.models import AtsConnection, AtsEvent, MappingKind

PROVIDER = "lever"
HANDLED = {"candidateStageChange", "candidateArchiveChange"}


def signature_valid(secret: str, payload: dict[str, Any]) -> bool:
    token, triggered_at, signature = (
        payload.get("token"),
        payload.get("triggeredAt"),
        payload.get("signature"),
    )
    if not isinstance(token, str) or not isinstance(signature, str) or triggered_at is None:
        return False
    signed = f"{token}{triggered_at}".encode()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def process(event: AtsEvent, connection: AtsConnection) -> str:
    if event.action not in HANDLED:
        raise Ignored(f"Lever “{event.action}” events are not used")
    data = event.payload["data"]
    opportunity = str(data.get("opportunityId") or "")
    linked = mapping_for(PROVIDER, MappingKind.APPLICATION, opportunity)
    if linked is not None and linked.ignore:
        raise Ignored("this opportunity is set to be ignored")
    if linked is None or not linked.application_id:
        raise NeedsReview(
            f"Unknown Lever opportunity {opportunity}: link it to one of our applications, "
            "then retry.",
            [Unknown(MappingKind.APPLICATION, opportunity, f"opportunity {opportunity}")],
        )
    application = linked.application
    event.candidate_id = application.candidate_id  # type: ignore[union-attr]
    event.application = application
    if event.action == "candidateStageChange":
        row = require(PROVIDER, MappingKind.STAGE, data.get("toStageId"), "", "stage")
        if row.ignore or not row.stage_id:
            raise Ignored("the stage is set to be ignored")
        moved = stage_sync(application, row.stage)  # type: ignore[arg-type]
        return f"moved to {row.stage.name}" if moved else "already at that stage"  # type: ignore[union-attr]
    archived = data.get("toArchived")
    if not archived:
        raise Ignored("unarchived in Lever: reopen the application here if needed")
    reason_id = archived.get("reason") if isinstance(archived, dict) else None
    if not reason_id:
        raise NeedsReview("Archived in Lever without a reason: decide here.")
    row = require(PROVIDER, MappingKind.REASON, reason_id, "", "archive reason")
    if row.ignore:
        raise Ignored("the archive reason is set to be ignored")
    return decision_apply(
        application=application,  # type: ignore[arg-type]
        mapping=row,
        outcome=row.outcome,
        note=f"Lever: archived ({row.external_name or reason_id})",
        source="Lever",
    )
