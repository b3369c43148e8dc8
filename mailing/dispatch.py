"""The dispatcher: the only code that calls the ESP (through `mailing.delivery`).

Exactly-once rules:

1. `send_key` is unique: one logical send is one row, whatever the business code retries.
2. Claim: `SELECT … FOR UPDATE SKIP LOCKED` on due `queued` rows, set them `sending` with a lease
   (`lease_until`) and a claim token, and **commit before calling the ESP**. Two workers never
   hold the same row; several claimers of one tenant each get their own rows.
3. After the ESP answers, the ESP message id and `sent` are written as the calls answer. A row
   is therefore `sending` without an ESP id only if its worker died (SIGKILL, OOM, lost box)
   during or right after the ESP call — the one moment where we cannot know whether the ESP
   accepted it.
4. Such a row is not blindly re-sent. Once its lease has lapsed, any dispatcher of the tenant
   (or the sweeper) puts it back to `queued` flagged `needs_reconcile`; before sending a flagged
   row the dispatcher asks the ESP whether it already has a message carrying our `mailing_key`
   metadata (Postmark's message search). Found: record it as sent, no second email. Not found:
   send. The same applies after a timeout or 5xx, where the ESP may also have accepted the
   message. For ESPs we cannot ask, the message is re-sent (at-least-once for that rare case,
   documented) — the stable Message-ID then lets receiving servers and the ESP collapse the
   duplicate.
5. The lease is short (MAILING_LEASE_SECONDS, 5 s) so a dead worker's messages come back within
   seconds, and a live worker keeps it: its dispatching thread renews the claim's leases every
   quarter lease while the ESP calls run on other threads, whatever the ESP's latency. An ESP
   call starts only under a lease renewed less than half a lease ago and still held, so a worker
   that could not renew (database unreachable, process frozen) stops before its next call.

Recovery within seconds: a dispatcher that finds nothing to claim waits for leases that stopped
being renewed and takes their messages over; a dispatcher whose worker died is noticed by the
other workers' watchdogs (`mailing.runs`), which start a new one for the tenant. Parallel
dispatch: a dispatcher whose claims come back full starts helpers (`mailing.runs`), up to
MAILING_DISPATCHERS_PER_TENANT per tenant, so every worker process helps with a large backlog.

Rate limits: a Redis token bucket per tenant and one global (see `mailing.ratelimit`); Celery's
own `rate_limit` counts tasks per worker process, not messages per tenant across all workers.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from mailing import esp, ratelimit
from mailing.delivery import (
    DispatchResult,
    Holder,
    apply,
    build_job,
    finish_many,
    messages_send,
    retry_or_fail,
    send_jobs,
    sent_fields,
)
from mailing.gate import GateDecision, send_gate, tracking_decisions
from mailing.models import (
    Message,
    MessageAttachment,
    MessageStatus,
    Suppression,
    SuppressionReason,
    email_hash,
)
from mailing.runs import DispatchRun
from tenants.context import current_schema

__all__ = ["DispatchResult", "message_claim", "messages_send", "outbox_dispatch", "outbox_sweep"]

log = logging.getLogger(__name__)


def _now() -> datetime:
    return timezone.now()


_MESSAGE_FIELDS = tuple(f.name for f in Message._meta.concrete_fields)


def message_claim(*, limit: int) -> list[Message]:
    """Claim up to `limit` due messages for this worker (committed before returning)."""
    now = _now()
    with transaction.atomic():
        ids = list(
            Message.objects.due()
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.SENDING,
            lease_until=now + timedelta(seconds=settings.MAILING_LEASE_SECONDS),
            claim_token=uuid.uuid4(),
            updated_at=now,
        )
    messages = list(
        Message.objects.filter(pk__in=ids)
        .select_related("candidate")
        # The gate needs only these of the candidate (its lists and notes cost JSON decoding
        # for nothing: a third of loading a claim).
        .only(*_MESSAGE_FIELDS, "candidate__anonymised_at", "candidate__merged_into_id")
        .order_by("id")
    )
    with_attachments = set(
        MessageAttachment.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
    )
    for message in messages:
        message.has_attachments = message.pk in with_attachments
    return messages


def _suppressed(claimed: list[Message]) -> dict[int, GateDecision]:
    """Refusals by mailing's own suppression list (one query)."""
    reasons = dict(
        Suppression.objects.filter(
            email_hash__in=[email_hash(m.to_email) for m in claimed]
        ).values_list("email_hash", "reason")
    )
    refused = {}
    for message in claimed:
        reason = reasons.get(email_hash(message.to_email))
        if reason is not None:
            label = SuppressionReason(reason).label.lower()
            refused[message.pk] = GateDecision(
                False, f"The address is on the suppression list ({label})."
            )
    return refused


def _decide(claimed: list[Message]) -> list[GateDecision]:
    """The suppression list, then the registered gate for the rest of the claim, in a constant
    number of queries. Messages refused by the list leave `sending` before the gate is asked
    (the gate's contract: a refused message is never in flight)."""
    decisions = _suppressed(claimed)
    if decisions:
        refused = [m for m in claimed if m.pk in decisions]
        for message in refused:
            apply(message, MessageStatus.SUPPRESSED, last_error=decisions[message.pk].reason)
        with transaction.atomic():
            finish_many(refused)
    rest = [m for m in claimed if m.pk not in decisions]
    gate = send_gate()
    if gate is not None:
        answers = gate(rest) if rest else []
    else:
        refusal = GateDecision(False, "No consent gate is registered: nurture mail is refused.")
        answers = [refusal if m.is_nurture else GateDecision(True) for m in rest]
    decisions |= {m.pk: d for m, d in zip(rest, answers, strict=True)}
    return [decisions[m.pk] for m in claimed]


def _reconcile(
    flagged: list[Message], pool: esp.EspPool, holder: Holder, result: DispatchResult
) -> list[Message]:
    """Ask the ESP (concurrently) about messages an earlier attempt may have sent; record the
    ones it has, retry later the ones it could not answer for; return the ones to send."""
    futures = [
        (m, pool.call(functools.partial(esp.lookup, m.to_email, esp.mailing_key(m))))
        for m in flagged
    ]
    to_send, found = [], []
    with transaction.atomic():
        for message, future in futures:
            try:
                esp_id = future.result()
            except esp.LookupFailed as exc:
                retry_or_fail(message, f"Could not ask the ESP about an earlier attempt: {exc}")
                holder.done([message])
                result.retrying += 1
                continue
            if esp_id:
                apply(message, MessageStatus.SENT, **sent_fields(message, None))
                message.esp_message_id = esp_id
                found.append(message)
            else:
                to_send.append(message)
        if found:
            finish_many(found)
            holder.done(found)
            result.sent += len(found)
    return to_send


def _process(
    claimed: list[Message], result: DispatchResult, pool: esp.EspPool, run: DispatchRun
) -> None:
    holder = Holder(claimed, on_beat=run.beat)
    refused, ready, flagged = [], [], []
    for message, decision in zip(claimed, _decide(claimed), strict=True):
        if not decision.allowed:
            if message.status != MessageStatus.SUPPRESSED:  # not yet written by _decide
                apply(message, MessageStatus.SUPPRESSED, last_error=decision.reason)
                refused.append(message)
            result.suppressed += 1
        elif message.needs_reconcile:
            flagged.append(message)
        else:
            ready.append(message)
    holder.done([m for m in claimed if m.status == MessageStatus.SUPPRESSED])
    if refused:
        with transaction.atomic():
            finish_many(refused)
    if flagged:
        ready = sorted(ready + _reconcile(flagged, pool, holder, result), key=lambda m: m.pk)
    tracking = tracking_decisions(ready)
    for message in ready:
        message.track_engagement = tracking[message.pk]
    style = esp.batch_style()
    batches, singles = _batches(ready, style)
    jobs = [build_job(batch, style) for batch in batches] + [build_job([m]) for m in singles]
    send_jobs(jobs, holder, pool, result)


def _batch_key(message: Message) -> tuple[object, ...]:
    """What must be equal for messages to share one ESP call: options anymail sets per call,
    not per recipient (the ESP's tracking switch)."""
    return (message.track_engagement,)


def _batches(
    messages: list[Message], style: esp.BatchStyle | None
) -> tuple[list[list[Message]], list[Message]]:
    """Split claimed messages into ESP calls within the ESP's limits: recipients per call and
    bytes per recipient and per call. A batch never holds one address twice (merge data is
    keyed by address); repeats, attachments, transactional mail and messages too large for a
    batch go out on their own."""
    if style is None:
        return [], list(messages)
    singles: list[Message] = []
    batches: list[list[Message]] = []
    open_batches: dict[tuple[object, ...], tuple[list[Message], set[str], list[int]]] = {}
    for message in messages:
        size = len(message.subject) + len(message.html.encode()) + len(message.text.encode())
        if (
            not message.is_nurture
            or message.has_attachments
            or (style.recipient_bytes and size > style.recipient_bytes)
        ):
            singles.append(message)
            continue
        key = _batch_key(message)
        current, seen, used = open_batches.setdefault(key, ([], set(), [0]))
        address = message.to_email.lower()
        if address in seen:
            singles.append(message)
            continue
        if current and (
            len(current) >= style.limit
            or (style.call_bytes and used[0] + size > style.call_bytes * 0.9)
        ):
            batches.append(current)
            current, seen, used = open_batches[key] = ([], set(), [0])
        current.append(message)
        seen.add(address)
        used[0] += size
    for current, _, _ in open_batches.values():
        if len(current) > 1:
            batches.append(current)
        else:
            singles += current
    return batches, singles


def _orphans_due_in() -> float | None:
    """Seconds until the earliest lease that stopped being renewed lapses (its worker may be
    dead: renewals come every quarter lease), None if there is none."""
    now = _now()
    soonest = Message.objects.filter(
        status=MessageStatus.SENDING,
        lease_until__lt=now + timedelta(seconds=settings.MAILING_LEASE_SECONDS / 2),
    ).aggregate(at=Min("lease_until"))["at"]
    return None if soonest is None else max((soonest - now).total_seconds(), 0.0)


def outbox_dispatch(
    *,
    budget_seconds: float | None = None,
    run_id: str = "",
    start_helper: Callable[[str], object] | None = None,
) -> DispatchResult:
    """Send due messages of the current tenant until none is left or the time budget is used.

    `start_helper(run_id)` enqueues another dispatcher for this tenant (the Celery task passes
    it); without it this run claims alone."""
    result = DispatchResult()
    budget = settings.MAILING_DISPATCH_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    pool = esp.EspPool(settings.MAILING_SEND_CONCURRENCY)
    try:
        with DispatchRun(current_schema(), run_id) as run:
            while True:
                if time.monotonic() - started > budget:
                    result.more = Message.objects.due().exists()
                    return result
                _recover(_now())
                size = max(esp.batch_limit(), settings.MAILING_CLAIM_SIZE)
                granted, wait = ratelimit.acquire(current_schema(), size)
                if granted == 0:
                    result.more, result.wait = Message.objects.due().exists(), wait
                    return result
                claimed = message_claim(limit=granted)
                if len(claimed) < granted:
                    ratelimit.refund(current_schema(), granted - len(claimed))
                if not claimed:
                    pause = _orphans_due_in()
                    if pause is None or time.monotonic() - started + pause > budget:
                        result.more = pause is not None
                        result.wait = pause or 0.0
                        return result
                    run.beat()
                    time.sleep(pause + 0.05)
                    continue
                if start_helper is not None and len(claimed) == granted:
                    result.helpers += run.start_helpers(start_helper)
                _process(claimed, result, pool, run)
    finally:
        pool.close()


def _recover(now: datetime) -> int:
    """Messages whose lease lapsed (their worker died) back to the queue, flagged so the ESP is
    asked before they are sent again (an index probe when there are none)."""
    return Message.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now).update(
        status=MessageStatus.QUEUED, lease_until=None, needs_reconcile=True, updated_at=now
    )


def next_retry_at() -> datetime | None:
    """When the earliest postponed message becomes due (for scheduling the next run)."""
    return (
        Message.objects.filter(status=MessageStatus.QUEUED, send_after__gt=_now())
        .order_by("send_after")
        .values_list("send_after", flat=True)
        .first()
    )


@transaction.atomic
def outbox_sweep(*, now: datetime | None = None) -> int:
    """Put messages whose worker died (lease expired while `sending`) back in the queue,
    flagged so the ESP is asked before they are sent again. Returns how many are due."""
    _recover(now or _now())
    return Message.objects.due().count()
