"""The batch send gate against the one-message gate it replaces, on random histories.

`consent_send_gate` (one message, a handful of queries each) is the plain reading of the rules;
`consent_send_gate_many` (the registered gate) decides a whole claim in a constant number of
queries. For any history of consents, lapses, suppressions, earlier mail and messages held by
other workers, the batch answers must be exactly what the one-message gate answers when it is
asked about the claim's messages one by one in id order, each refused message leaving
`sending` before the next is asked (what the dispatcher did before the batch gate)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates.models import Candidate
from consent import links
from consent.gate import consent_send_gate, consent_send_gate_many
from consent.models import CandidateConsent, ConsentPolicy, ConsentProfile, Source
from consent.selectors import policy_get
from consent.services import consent_grant
from mailing.dispatch import outbox_dispatch
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus
from mailing.services import message_enqueue
from tests.consent.conftest import person

KINDS = [MessageKind.JOB_OFFERS, MessageKind.EVENTS, MessageKind.POOL_INVITATION]
ALL_KINDS = [*KINDS, MessageKind.TRANSACTIONAL]
FREQUENCIES = ["", "weekly", "biweekly", "monthly", "quarterly"]
STATUSES = [
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.OPENED,
    MessageStatus.BOUNCED,
    MessageStatus.COMPLAINED,
    MessageStatus.QUEUED,
    MessageStatus.FAILED,
    MessageStatus.SUPPRESSED,
    MessageStatus.SENDING,  # held by another worker
]
_keys = itertools.count(1)

people = st.lists(
    st.fixed_dictionaries(
        {
            "gone": st.sampled_from([None] * 8 + ["anonymised", "merged"]),
            "lapsed": st.sampled_from([False] * 5 + [True]),
            # Per kind: no consent row, withdrawn, or granted with a frequency.
            "consents": st.lists(
                st.sampled_from([None, "withdrawn", *FREQUENCIES, "", "weekly", "monthly"]),
                min_size=len(KINDS),
                max_size=len(KINDS),
            ),
        }
    ),
    min_size=1,
    max_size=3,
)
# Messages in id order: earlier mail of every kind and status, and the claim's own messages.
messages = st.lists(
    st.fixed_dictionaries(
        {
            "person": st.sampled_from([None, 0, 1, 2, 0, 1, 2, 0, 1, 2]),  # None: no candidate
            "kind": st.sampled_from([*ALL_KINDS, *KINDS[:2]]),
            "claimed": st.booleans(),
            "status": st.sampled_from(STATUSES),
            # Around the 7-day cap window and each frequency's gap.
            "days_ago": st.one_of(st.none(), st.sampled_from([0, 3, 6, 8, 13, 15, 29, 31, 90, 92])),
        }
    ),
    min_size=1,
    max_size=16,
)


def _setup(specs: list[dict], now) -> list[Candidate]:  # type: ignore[no-untyped-def]
    made = []
    for spec in specs:
        candidate = person()
        for kind, state in zip(KINDS, spec["consents"], strict=True):
            if state is None:
                continue
            consent_grant(candidate=candidate, purpose=kind, source=Source.OPTIN_LINK)
            CandidateConsent.objects.filter(candidate=candidate, purpose=kind).update(
                granted=state != "withdrawn", frequency="" if state == "withdrawn" else state
            )
        if spec["lapsed"]:
            ConsentProfile.objects.filter(candidate=candidate).update(
                expires_at=now - timedelta(days=1)
            )
        if spec["gone"] == "anonymised":
            Candidate.objects.filter(pk=candidate.pk).update(anonymised_at=now)
        elif spec["gone"] == "merged":
            Candidate.objects.filter(pk=candidate.pk).update(merged_into=made[0] if made else None)
        made.append(candidate)
    return made


def _message(spec: dict, people: list[Candidate], now) -> Message:  # type: ignore[no-untyped-def]
    candidate = None if spec["person"] is None else people[spec["person"] % len(people)]
    status = MessageStatus.SENDING if spec["claimed"] else spec["status"]
    days = spec["days_ago"]
    left = status in {"sent", "delivered", "opened", "bounced", "complained"}
    return Message.objects.create(
        candidate=candidate,
        to_email=candidate.email if candidate else "nobody@example.com",
        kind=spec["kind"],
        subject="s",
        html="<p>h</p>",
        text="t",
        send_key=f"gate-batch:{next(_keys)}",
        status=status,
        sent_at=now - timedelta(days=days, minutes=1) if left and days is not None else None,
    )


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people_specs=people, message_specs=messages, cap=st.integers(1, 3))
def test_batch_decisions_equal_one_by_one_decisions(tenant_a, people_specs, message_specs, cap):
    now = timezone.now()
    with transaction.atomic():
        ConsentPolicy.objects.filter(pk=policy_get().pk).update(nurture_cap_days=cap)
        candidates = _setup(people_specs, now)
        made = [_message(spec, candidates, now) for spec in message_specs]
        claim_ids = [m.pk for spec, m in zip(message_specs, made, strict=True) if spec["claimed"]]
        claim = list(
            Message.objects.filter(pk__in=claim_ids).select_related("candidate").order_by("pk")
        )

        batch = consent_send_gate_many(claim, now=now)

        one_by_one = []
        for message in claim:
            decision = consent_send_gate(message, now=now)
            one_by_one.append(decision)
            if not decision.allowed:
                Message.objects.filter(pk=message.pk).update(status=MessageStatus.SUPPRESSED)
        assert batch == one_by_one
        transaction.set_rollback(True)


def _nurture_claim(count: int) -> list[Message]:
    claim = []
    for _ in range(count):
        candidate = person()
        consent_grant(candidate=candidate, purpose="job_offers", source=Source.OPTIN_LINK)
        for kind in ("job_offers", "events"):
            claim.append(
                Message.objects.create(
                    candidate=candidate,
                    to_email=candidate.email,
                    kind=kind,
                    subject="s",
                    html="h",
                    text="t",
                    send_key=f"gate-batch-q:{next(_keys)}",
                    status=MessageStatus.SENDING,
                )
            )
    return list(Message.objects.filter(pk__in=[m.pk for m in claim]).select_related("candidate"))


def test_batch_gate_runs_a_constant_number_of_queries(tenant_a):
    small, large = _nurture_claim(2), _nurture_claim(40)
    counts = []
    for claim in (small, large):
        with CaptureQueriesContext(connection) as queries:
            decisions = consent_send_gate_many(claim)
        counts.append(len(queries))
        # Consent for job offers only: each person's job offer leaves, the event invitation not.
        assert [d.allowed for d in decisions] == [m.kind == "job_offers" for m in claim]
    assert counts[0] == counts[1] <= 3


def _consenting_digests(count: int) -> None:
    for _ in range(count):
        candidate = person()
        consent_grant(candidate=candidate, purpose="job_offers", source=Source.OPTIN_LINK)
        message_enqueue(
            send_key=f"gate-batch-d:{next(_keys)}",
            kind="job_offers",
            to_email=candidate.email,
            subject="Jobs",
            html="<p>Jobs</p>",
            text="Jobs",
            candidate=candidate,
            unsubscribe_url=links.unsubscribe_url(candidate, topic="job_offers"),
        )


def test_dispatching_a_claim_runs_the_same_queries_for_5_or_60_messages(tenant_a, settings):
    """Claim, suppression list, consent gate, one batched ESP call, outcomes and timeline: no
    statement per message."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"  # batches, in memory
    settings.MAILING_BATCH_TEMPLATE = "talentcrm-passthrough"
    counts = []
    for size in (5, 60):
        _consenting_digests(size)
        with CaptureQueriesContext(connection) as queries:
            result = outbox_dispatch()
        assert (result.sent, result.esp_calls) == (size, 1)
        counts.append(len(queries))
    assert counts[0] == counts[1]
