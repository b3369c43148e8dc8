"""What integrations holds about people (tenants.privacy registry), how it erases it and how
long it keeps it.

Candidates' data passes through this app on its way in or out of the company's other systems:
events announced to its webhook receivers, events its ATS sent, replies candidates mailed back,
and the answers to API requests kept for Idempotency-Key replays. None of it is the record
itself (that is candidates'), so erasure takes it all and retention keeps none of it for long.

Erasure, in the erasure's own transaction like every app's: the person's webhook events lose
their payload and deliveries not yet made are cancelled (a later `candidate.erased` event tells
the receivers, with ids and hashes only: integrations/receivers.py); ATS events about them (by
the record, or by their address in the payload of an event still waiting for review) lose their
payload and leave the review queue; links of their applications to the ATS's ids are deleted;
their replies (filed under them, from their address, or answering mail we sent them) lose
sender, subject and text; stored API answers that mention them are deleted. Their long
identifiers are scrubbed from everyone else's rows too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Cast, Concat, Lower
from django.utils.translation import gettext, gettext_noop

from integrations.models import (
    AtsEvent,
    AtsEventStatus,
    AtsMapping,
    DeliveryStatus,
    IdempotencyRecord,
    InboundReply,
    ReplyStatus,
    WebhookDelivery,
    WebhookEvent,
)
from integrations.services import idempotency_records_expire
from mailing.models import Message
from tenants.privacy import (
    ERASED,
    AppPrivacy,
    Category,
    Dataset,
    Erase,
    Erasure,
    Personal,
    Purpose,
    person_filter,
    rows_erase,
    scrub_mentions,
)

ERASED_PAYLOAD = {"erased": True}  # delivery_replay refuses events carrying it
_UNFINISHED = [DeliveryStatus.PENDING, DeliveryStatus.DELIVERING]
_WAITING = [AtsEventStatus.REVIEW, AtsEventStatus.FAILED]
_MENTIONS = Personal(Category.FREE_TEXT, Erase.SCRUB, mentions=True)

WEBHOOK_EVENT = Dataset(
    model="integrations.WebhookEvent",
    description=gettext_noop("Events sent to the company's webhook receivers"),
    person="candidate_id",
    purposes=("integrations",),
    personal={
        # The person as {"id", "email", "first_name", "last_name"} with what happened.
        "payload": Personal(
            Category.CONTACT, Erase.REPLACE, replacement=ERASED_PAYLOAD, mentions=True
        ),
    },
    not_personal=("msg_id", "event_type"),
    internal=("msg_id",),
)
ATS_EVENT = Dataset(
    model="integrations.AtsEvent",
    description=gettext_noop("Events received from the company's ATS"),
    person="candidate",
    purposes=("integrations",),
    personal={
        # The ATS's application as it sent it: name, addresses, phone numbers, its notes.
        "payload": Personal(Category.PROFILE, Erase.BLANK, mentions=True),
        # Why it waits for review; can quote the payload ("“Anna <anna@…>” is not a valid
        # email address").
        "problem": _MENTIONS,
    },
    # What we did, in our words ("moved to Interview"), and the ATS's delivery id.
    not_personal=("provider", "dedupe_key", "action", "status", "result"),
    internal=("dedupe_key", "attempts"),
)
ATS_MAPPING = Dataset(
    model="integrations.AtsMapping",
    description=gettext_noop("Links of the ATS's stages, reasons, jobs and applications to ours"),
    person="application__candidate",
    purposes=("integrations",),
    personal={
        # For an application: the ATS's id of the person's application, a key to them there.
        "external_id": Personal(Category.TECHNICAL, Erase.DELETE_ROW),
        # Typed by an HR admin or sent by the ATS ("Anna Schmidt, Data Analyst").
        "external_name": _MENTIONS,
    },
    not_personal=("provider", "kind", "outcome"),
)
REPLY = Dataset(
    model="integrations.InboundReply",
    description=gettext_noop("Replies to our emails"),
    person="candidate",
    purposes=("email", "replies"),
    personal={
        "from_email": Personal(Category.CONTACT),
        "from_name": Personal(Category.IDENTITY, mentions=True),
        "subject": Personal(
            Category.COMMUNICATIONS, Erase.REPLACE, replacement=ERASED, mentions=True
        ),
        "text": Personal(Category.COMMUNICATIONS, mentions=True),
        # The ESP's id, or else the mail's Message-ID, which can carry the sender's own domain.
        "dedupe_key": Personal(
            Category.TECHNICAL,
            Erase.REPLACE,
            replacement=Concat(Value("erased-"), Cast("pk", models.CharField())),
            export=False,
        ),
    },
    # `to_email` is the address it reached: ours (the replies domain's reply+token address).
    not_personal=("status", "to_email", "matched_by"),
    internal=("dedupe_key", "message_id"),
)
IDEMPOTENCY = Dataset(
    model="integrations.IdempotencyRecord",
    description=gettext_noop("API answers kept 24 hours for Idempotency-Key replays"),
    purposes=("integrations",),
    personal={
        # The answer (a candidate as the API shows them, or an error quoting their name);
        # a row mentioning an erased person goes whole: it is only a replay cache.
        "body": Personal(Category.FREE_TEXT, Erase.DELETE_ROW),
        # Chosen by the client; some use the person's address or their own record's name.
        "key": Personal(Category.FREE_TEXT, Erase.DELETE_ROW),
    },
    # The path holds our ids only (query strings are not kept); the hash is of the request and
    # cannot be turned back into it; the headers are Content-Type, Location and ETag.
    not_personal=("method", "path", "request_hash", "headers"),
)
DATASETS = [
    WEBHOOK_EVENT,
    ATS_EVENT,
    ATS_MAPPING,
    REPLY,
    IDEMPOTENCY,
    Dataset(
        model="integrations.ApiKey",
        description=gettext_noop("API keys (a label, the visible prefix and a hash of the key)"),
        purposes=("integrations",),
        not_personal=("name", "prefix", "key_hash", "scopes"),
    ),
    Dataset(
        model="integrations.AtsConnection",
        description=gettext_noop("ATS connections"),
        purposes=("integrations",),
        not_personal=("provider", "secret", "unknown_job"),
    ),
    Dataset(
        model="integrations.WebhookSubscription",
        description=gettext_noop("Webhook receivers of the company"),
        purposes=("integrations",),
        not_personal=("url", "description", "events", "secret", "disabled_reason"),
    ),
    # Our transport's own words ("HTTP 500", "TimeoutError: timed out"): the receiver's answer
    # is read and dropped, never stored.
    Dataset(
        model="integrations.WebhookDelivery",
        description=gettext_noop("Webhook deliveries"),
        purposes=("integrations",),
        not_personal=("status", "last_error"),
    ),
    Dataset(
        model="integrations.DeliveryAttempt",
        description=gettext_noop("Webhook delivery log"),
        purposes=("integrations",),
        not_personal=("error",),
    ),
]


# --- Purposes -------------------------------------------------------------------------------------


def _integrations_retention() -> str:
    return gettext(
        "Events sent to or received from the company's systems: %(days)s days (an ATS event "
        "still waiting for review: %(review)s days), then their content is deleted; API "
        "answers kept for retries: %(hours)s hours. Erased with the candidate, and the "
        "company's receivers are told of the erasure."
    ) % {
        "days": settings.INTEGRATIONS_LOG_RETENTION_DAYS,
        "review": settings.INTEGRATIONS_REVIEW_RETENTION_DAYS,
        "hours": settings.API_IDEMPOTENCY_HOURS,
    }


def _replies_retention() -> str:
    return gettext(
        "A reply matched to the candidate is kept on their timeline; its own copy is deleted "
        "%(days)s days after it arrived, like a dismissed one. One nobody could match is deleted "
        "after %(review)s days. Erased with the candidate."
    ) % {
        "days": settings.INTEGRATIONS_LOG_RETENTION_DAYS,
        "review": settings.INTEGRATIONS_REVIEW_RETENTION_DAYS,
    }


PURPOSES = [
    Purpose(
        "integrations",
        gettext_noop(
            "Keeping the company's own systems in step: its ATS (events in), its API clients, "
            "and the webhook receivers it configures (events out)"
        ),
        gettext_noop(
            "Legitimate interest (Art. 6(1)(f)) in one consistent record across the company's "
            "recruiting systems; erasures are passed on to them (Art. 19)"
        ),
        _integrations_retention,
    ),
    Purpose(
        "replies",
        gettext_noop("Receiving candidates' replies to our emails"),
        gettext_noop("Legitimate interest (Art. 6(1)(f)) in answering people who write to us"),
        _replies_retention,
    ),
]


# --- Erasure --------------------------------------------------------------------------------------


def _pattern(values: Iterable[str]) -> str:
    """A case-insensitive regular expression matching any of the values, also as JSON writes
    them: API answers escape non-ASCII ("Zo\\u00eb"), so "Zoë" alone would miss them."""
    forms = {form for v in values if v for form in (v, json.dumps(v)[1:-1])}
    return "|".join(re.escape(form) for form in sorted(forms, key=lambda f: (-len(f), f)))


def _mentioning(queryset: QuerySet, names: Iterable[str], values: Iterable[str]) -> list[int]:
    """Ids of the rows whose text or JSON fields `names` contain one of `values`."""
    pattern = _pattern(values)
    if not pattern:
        return []
    condition = Q()
    for name in names:
        column = f"_{name}_text"
        queryset = queryset.annotate(**{column: Cast(name, models.TextField())})
        condition |= Q(**{f"{column}__iregex": pattern})
    return list(queryset.filter(condition).values_list("pk", flat=True))


def _webhook_events_erase(erasure: Erasure) -> None:
    ids = list(
        WebhookEvent.objects.filter(
            person_filter(WEBHOOK_EVENT, erasure.candidate_ids)
        ).values_list("pk", flat=True)
    )
    cancelled = WebhookDelivery.objects.filter(event_id__in=ids, status__in=_UNFINISHED).update(
        status=DeliveryStatus.CANCELLED,
        lease_until=None,
        last_error="cancelled: the person's data was erased",
    )
    erasure.count("integrations.webhookdelivery cancelled", cancelled)
    events = WebhookEvent.objects.filter(pk__in=ids)
    erasure.count("integrations.webhookevent", rows_erase(WEBHOOK_EVENT, events, erasure))


def _ats_erase(erasure: Erasure) -> None:
    """Events linked to the record, and events that never got that far (held for review
    before the person was stored) whose payload holds one of their addresses."""
    linked = AtsEvent.objects.filter(person_filter(ATS_EVENT, erasure.candidate_ids))
    named = _mentioning(AtsEvent.objects.all(), ["payload"], erasure.emails)
    events = AtsEvent.objects.filter(Q(pk__in=linked.values("pk")) | Q(pk__in=named))
    ids = list(events.values_list("pk", flat=True))
    # Applying one now would store the person again: they leave the review queue.
    AtsEvent.objects.filter(pk__in=ids, status__in=_WAITING).update(
        status=AtsEventStatus.IGNORED, result="not applied: the person's data was erased"
    )
    own = AtsEvent.objects.filter(pk__in=ids)
    erasure.count("integrations.atsevent", rows_erase(ATS_EVENT, own, erasure))
    links = AtsMapping.objects.filter(person_filter(ATS_MAPPING, erasure.candidate_ids))
    erasure.count("integrations.atsmapping", rows_erase(ATS_MAPPING, links, erasure))


def _replies_erase(erasure: Erasure) -> None:
    """Filed under them, sent from one of their addresses (also unmatched ones waiting for
    review), or answering an email we sent them."""
    theirs = Message.objects.filter(candidate_id__in=erasure.candidate_ids).values("pk")
    ids = list(
        InboundReply.objects.annotate(_from=Lower("from_email"))
        .filter(
            person_filter(REPLY, erasure.candidate_ids)
            | Q(_from__in=[e.lower() for e in erasure.emails])
            | Q(message_id__in=theirs)
        )
        .values_list("pk", flat=True)
    )
    InboundReply.objects.filter(pk__in=ids, status=ReplyStatus.REVIEW).update(
        status=ReplyStatus.DISMISSED
    )
    own = InboundReply.objects.filter(pk__in=ids)
    erasure.count("integrations.inboundreply", rows_erase(REPLY, own, erasure))


def _idempotency_erase(erasure: Erasure) -> None:
    """A stored answer that mentions them is dropped: a retry with its key within the day runs
    the request again, as it would after the day."""
    values = [*erasure.emails, *erasure.mentions]
    ids = _mentioning(IdempotencyRecord.objects.all(), ["key", "body"], values)
    deleted, _ = IdempotencyRecord.objects.filter(pk__in=ids).delete()
    erasure.count("integrations.idempotencyrecord", deleted)


def integrations_personal_erase(erasure: Erasure) -> None:
    _webhook_events_erase(erasure)
    _ats_erase(erasure)
    _replies_erase(erasure)
    _idempotency_erase(erasure)
    for dataset in DATASETS:
        erasure.count(f"{dataset.model.lower()} mentions", scrub_mentions(dataset, erasure))


# --- Retention ------------------------------------------------------------------------------------


def integrations_retention(now: datetime) -> Mapping[str, int]:
    """Storage limitation, daily per tenant (see INTEGRATIONS_*_RETENTION_DAYS)."""
    log_cutoff = now - timedelta(days=settings.INTEGRATIONS_LOG_RETENTION_DAYS)
    review_cutoff = now - timedelta(days=settings.INTEGRATIONS_REVIEW_RETENTION_DAYS)
    done = {"idempotency_records_deleted": idempotency_records_expire(now=now)}

    # A delivery still under way, or replayed within the period, keeps its event.
    recent = WebhookDelivery.objects.filter(
        Q(status__in=_UNFINISHED) | Q(window_start__gte=log_cutoff)
    ).values("event_id")
    old = WebhookEvent.objects.filter(created_at__lt=log_cutoff).exclude(pk__in=recent)
    _, per_model = old.delete()
    done["webhook_events_deleted"] = per_model.get(WebhookEvent._meta.label, 0)

    # The row stays (its delivery id keeps a replayed delivery from being applied again).
    applied = AtsEvent.objects.exclude(status__in=_WAITING).filter(
        Q(processed_at__lt=log_cutoff) | Q(processed_at__isnull=True, received_at__lt=log_cutoff)
    )
    done["ats_payloads_deleted"] = applied.exclude(payload={}, problem="").update(
        payload={}, problem=""
    )
    stale = AtsEvent.objects.filter(status__in=_WAITING, received_at__lt=review_cutoff)
    done["ats_reviews_given_up"] = stale.update(
        status=AtsEventStatus.IGNORED,
        result=f"not resolved within {settings.INTEGRATIONS_REVIEW_RETENTION_DAYS} days",
        payload={},
        problem="",
    )

    replies = InboundReply.objects.filter(
        Q(status__in=[ReplyStatus.MATCHED, ReplyStatus.DISMISSED], received_at__lt=log_cutoff)
        | Q(status=ReplyStatus.REVIEW, received_at__lt=review_cutoff)
    )
    done["replies_deleted"], _ = replies.delete()
    return done


PRIVACY = AppPrivacy(
    app_label="integrations",
    datasets=DATASETS,
    erase=integrations_personal_erase,
    retention=integrations_retention,
    purposes=PURPOSES,
)
