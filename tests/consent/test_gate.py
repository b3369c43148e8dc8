"""The send gate, alone and driven through mailing's real outbox and dispatcher."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates.models import Candidate
from consent import links
from consent.gate import consent_send_gate
from consent.models import Action, ConsentEvent, Purpose, Source
from consent.selectors import active_purposes, contactable
from consent.services import consent_change, consent_grant, consent_withdraw, policy_update
from mailing.dispatch import outbox_dispatch
from mailing.events import recipient_complained, recipient_unsubscribed
from mailing.kinds import CONTENT_TOPICS, MessageKind
from mailing.models import Message, MessageStatus
from mailing.services import message_enqueue
from tests.consent.conftest import path_of, person

_keys = itertools.count(1)


def _enqueue(candidate: Candidate, kind: str) -> Message:
    return message_enqueue(
        send_key=f"gate-test:{next(_keys)}",
        kind=kind,
        to_email=candidate.email,
        subject="News",
        html="<p>News</p>",
        text="News",
        candidate=candidate,
        unsubscribe_url=links.unsubscribe_url(candidate, topic=kind)
        if kind != MessageKind.TRANSACTIONAL
        else None,
    )


def _send(candidate: Candidate, kind: str) -> Message:
    message = _enqueue(candidate, kind)
    outbox_dispatch()
    message.refresh_from_db()
    return message


def test_transactional_mail_needs_no_consent(tenant_a):
    ada = person()
    assert _send(ada, MessageKind.TRANSACTIONAL).status == MessageStatus.SENT


def test_nurture_mail_needs_consent_for_its_topic(tenant_a):
    ada = person()
    refused = _send(ada, "events")
    assert refused.status == MessageStatus.SUPPRESSED
    assert "No active consent for event invitations" in refused.last_error
    consent_grant(candidate=ada, purpose="events", source=Source.OPTIN_LINK)
    assert _send(ada, "events").status == MessageStatus.SENT
    assert _send(ada, "job_offers").status == MessageStatus.SUPPRESSED


def test_nurture_mail_without_candidate_is_refused(tenant_a):
    message = message_enqueue(
        send_key="gate-test:anonymous",
        kind="events",
        to_email="someone@example.com",
        subject="Hi",
        html="<p>Hi</p>",
        text="Hi",
        unsubscribe_url="https://alpha.localhost/c/u/x/",
    )
    decision = consent_send_gate(message)
    assert not decision.allowed and "without a candidate" in decision.reason


def test_frequency_chosen_by_the_candidate_is_respected(tenant_a):
    ada = person()
    consent_grant(candidate=ada, purpose="events", source=Source.OPTIN_LINK, frequency="monthly")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert _send(ada, "events").status == MessageStatus.SENT
        clock.shift(timedelta(days=20))
        refused = _send(ada, "events")
        assert refused.status == MessageStatus.SUPPRESSED
        assert "monthly" in refused.last_error
        clock.shift(timedelta(days=11))
        assert _send(ada, "events").status == MessageStatus.SENT


def test_two_messages_of_one_topic_in_one_batch_send_only_the_first(tenant_a):
    ada = person()
    consent_grant(candidate=ada, purpose="job_offers", source=Source.OPTIN_LINK)
    first, second = _enqueue(ada, "job_offers"), _enqueue(ada, "job_offers")
    outbox_dispatch()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (MessageStatus.SENT, MessageStatus.SUPPRESSED)


def test_nurture_cap_across_topics(tenant_a):
    """One nurture email every `nurture_cap_days` per person, whatever the topics (the one cap,
    also what the planner pre-filters with)."""
    ada = person()
    policy_update(actor=tenant_a.hr_admin, nurture_cap_days=2)
    for topic in ("job_offers", "events", "company_news"):
        consent_grant(candidate=ada, purpose=topic, source=Source.OPTIN_LINK)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert _send(ada, "job_offers").status == MessageStatus.SENT
        capped = _send(ada, "events")
        assert capped.status == MessageStatus.SUPPRESSED
        assert "at most one nurture email every 2 days" in capped.last_error
        clock.shift(timedelta(days=1, hours=23))
        assert _send(ada, "company_news").status == MessageStatus.SUPPRESSED
        clock.shift(timedelta(hours=2))
        assert _send(ada, "company_news").status == MessageStatus.SENT


def test_lapsed_consent_stops_mail_even_before_the_daily_job(tenant_a):
    ada = person()
    consent_grant(candidate=ada, purpose="events", source=Source.OPTIN_LINK)
    with time_machine.travel(timezone.now() + timedelta(days=800)):
        assert _send(ada, "events").status == MessageStatus.SUPPRESSED
        assert not contactable(Candidate.objects.filter(pk=ada.pk), "events").exists()


def test_complaint_withdraws_every_nurture_consent(tenant_a):
    ada = person()
    for topic in (Purpose.TALENT_POOL, "events", "job_offers"):
        consent_grant(candidate=ada, purpose=topic, source=Source.OPTIN_LINK)
    message = _send(ada, "events")
    recipient_complained.send(sender=Message, message=message)
    assert active_purposes(ada) == {Purpose.TALENT_POOL}
    assert (
        ConsentEvent.objects.filter(
            candidate=ada, source=Source.COMPLAINT, action=Action.WITHDRAWN
        ).count()
        == 2
    )


def test_esp_unsubscribe_withdraws_the_topic(tenant_a):
    ada = person()
    for topic in ("events", "job_offers"):
        consent_grant(candidate=ada, purpose=topic, source=Source.OPTIN_LINK)
    message = _send(ada, "events")
    recipient_unsubscribed.send(sender=Message, message=message, topic="events")
    assert active_purposes(ada) == {"job_offers"}


def test_contactable_selector(tenant_a):
    ada, bob, eve = person(), person(), person()
    consent_grant(candidate=ada, purpose="events", source=Source.OPTIN_LINK)
    consent_grant(candidate=bob, purpose=Purpose.TALENT_POOL, source=Source.OPTIN_LINK)
    consent_grant(candidate=eve, purpose="job_offers", source=Source.OPTIN_LINK)
    consent_withdraw(candidate=eve, purpose="job_offers", source=Source.UNSUBSCRIBE)
    everyone = Candidate.objects.all()
    assert set(contactable(everyone)) == {ada}
    assert set(contactable(everyone, "events")) == {ada}
    assert set(contactable(everyone, "job_offers")) == set()


# --- Property: in every sequence, a nurture email leaves only with consent at send time ---------

TOPICS = [str(t) for t in CONTENT_TOPICS]
STEP = timedelta(days=100)  # longer than any frequency, so only consent decides
EXPIRY = timedelta(days=730)  # the default 24 months

operations = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.sampled_from(TOPICS)),
        st.tuples(st.just("withdraw"), st.sampled_from(TOPICS)),
        st.tuples(st.just("complaint"), st.none()),
        st.tuples(st.just("unsubscribe_all"), st.none()),
        st.tuples(st.just("lapse"), st.none()),
        st.tuples(st.just("send"), st.sampled_from(TOPICS)),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_nurture_mail_leaves_only_with_active_consent_at_send_time(tenant_a, ops):
    candidate = person()
    granted: set[str] = set()
    last_engaged = None
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for op, topic in ops:
            clock.shift(STEP)
            now = timezone.now()
            if op == "grant":
                consent_change(candidate=candidate, source=Source.OPTIN_LINK, grant={topic: None})
                granted.add(topic)
                last_engaged = now
            elif op == "withdraw":
                consent_change(
                    candidate=candidate, source=Source.UNSUBSCRIBE, withdraw=[topic], engaged=False
                )
                granted.discard(topic)
            elif op == "complaint":
                carrier = _enqueue(candidate, MessageKind.TRANSACTIONAL)
                recipient_complained.send(sender=Message, message=carrier)
                granted.clear()
            elif op == "unsubscribe_all":
                response = tenant_a.client().post(path_of(links.unsubscribe_url(candidate)))
                assert response.status_code == 200
                granted.clear()
            elif op == "lapse":
                clock.shift(EXPIRY)
            else:
                active = (
                    topic in granted
                    and last_engaged is not None
                    and timezone.now() < last_engaged + EXPIRY
                )
                message = _send(candidate, topic)
                assert (message.status == MessageStatus.SENT) == active, (op, topic, message)
                if message.status == MessageStatus.SENT:
                    # Independently of the model: the ledger shows a grant as the last word.
                    last = ConsentEvent.objects.filter(candidate=candidate, purpose=topic).first()
                    assert last is not None and last.action == Action.GRANTED


def test_opens_and_clicks_are_recorded_only_with_tracking_consent(tenant_a):
    from mailing.gate import tracking_allowed

    ada = person()
    message = _enqueue(ada, MessageKind.TRANSACTIONAL)
    assert not tracking_allowed(message)
    consent_grant(candidate=ada, purpose=Purpose.TRACKING, source=Source.OPTIN_LINK)
    assert tracking_allowed(message)
