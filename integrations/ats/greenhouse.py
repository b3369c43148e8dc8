"""Greenhouse Recruiting web hooks (https://developers.greenhouse.io/webhooks.html).

Signed with the web hook's secret key: `Signature: sha256 <hex HMAC-SHA256 of the raw body>`;
`Greenhouse-Event-ID` identifies a delivery (a retry carries the same id). Handled:
`reject_candidate` and `application_updated` (also `candidate_stage_change`, same application
shape): the candidate (by email), the job, the current stage and, for a rejection, the
`rejection_reason` with its type: "They rejected us" closes the application as withdrawn
(nobody is emailed); anything else is our rejection, through the stage policy.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from integrations.ats.common import (
    Ignored,
    NeedsReview,
    application_for,
    decision_apply,
    mapping_for,
    person_upsert,
    position_for_job,
    require,
    stage_sync,
)
from integrations.models import AtsConnection, AtsEvent, MappingKind, ReasonOutcome

PROVIDER = "greenhouse"
HANDLED = {"reject_candidate", "application_updated", "candidate_stage_change"}
THEY_REJECTED_US = "they rejected us"


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    algorithm, _, digest = (header or "").strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


def _email(candidate: dict[str, Any]) -> str:
    for entry in candidate.get("email_addresses") or []:
        value = (entry or {}).get("value") if isinstance(entry, dict) else None
        if value:
            return str(value).strip()
    raise NeedsReview("The candidate has no email address in Greenhouse; add it there.")


def process(event: AtsEvent, connection: AtsConnection) -> str:
    if event.action not in HANDLED:
        raise Ignored(f"Greenhouse “{event.action}” events are not used")
    application_data = event.payload["payload"]["application"]
    if application_data.get("prospect"):
        raise Ignored("prospects (no application to a job) are not followed")
    person = application_data["candidate"]
    jobs = application_data.get("jobs") or []
    if not jobs:
        raise Ignored("the application is not for a job")
    job = jobs[0]
    stage_data = application_data.get("current_stage") or {}
    status = str(application_data.get("status") or "")
    reason_data = application_data.get("rejection_reason") or {}
    reason_type = str(((reason_data.get("type") or {}).get("name")) or "")
    they_withdrew = reason_type.strip().lower() == THEY_REJECTED_US

    # Everything needed is checked before anything is written.
    stage_row = None
    if stage_data.get("id") is not None:
        stage_row = require(
            PROVIDER, MappingKind.STAGE, stage_data["id"], str(stage_data.get("name", "")), "stage"
        )
    reason_row = None
    if status == "rejected" and not they_withdrew:
        reason_row = (
            require(
                PROVIDER,
                MappingKind.REASON,
                reason_data.get("id", ""),
                str(reason_data.get("name", "")),
                "rejection reason",
            )
            if reason_data
            else None
        )

    candidate = person_upsert(
        email=_email(person),
        first_name=str(person.get("first_name") or ""),
        last_name=str(person.get("last_name") or ""),
        source="Greenhouse",
    )
    linked = mapping_for(PROVIDER, MappingKind.APPLICATION, application_data.get("id"))
    if linked is not None and linked.application is not None:
        application = linked.application
    else:
        position, _ = position_for_job(connection, job.get("id"), str(job.get("name") or ""))
        application = application_for(
            candidate, position, provider=PROVIDER, external_id=application_data.get("id")
        )
    event.candidate, event.application = candidate, application
    done = []
    if (
        stage_row is not None
        and stage_row.stage is not None
        and stage_sync(application, stage_row.stage)
    ):
        done.append(f"moved to {stage_row.stage.name}")
    if status == "rejected":
        reason_name = str(reason_data.get("name") or "no reason given")
        note = f"Greenhouse: {reason_name}" + (f" ({reason_type})" if reason_type else "")
        if reason_row is not None and reason_row.ignore:
            reason_row = None
        outcome: str = ReasonOutcome.WITHDRAWN if they_withdrew else ReasonOutcome.REJECTED
        if reason_row is not None:
            outcome = reason_row.outcome if not they_withdrew else outcome
        done.append(
            decision_apply(
                application=application,
                mapping=reason_row,
                outcome=outcome,
                note=note,
                source="Greenhouse",
            )
        )
    return "; ".join(done) or "nothing to change"
