from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import time_machine

from campaigns.models import Delivery, DeliveryStatus, NurtureSettings, TopicSchedule
from campaigns.planner import in_window, nurture_plan
from campaigns.sending import nurture_run, nurture_send_batch
from candidates.pipeline import position_update
from consent.models import Source
from consent.services import consent_withdraw
from mailing.models import Message
from tests.campaigns.helpers import content_item, make_candidate, open_position, paris

JOBS = "job_offers"
EVENTS = "events"
NEWS = "company_news"


def _nurture(candidate) -> list[Message]:
    return list(Message.objects.filter(candidate=candidate).order_by("queued_at", "id"))


def test_weeks_of_nurture_respect_frequency_cap_consent_and_content(tenant_a):
    with time_machine.travel(paris(2026, 1, 5, 8, 0), tick=False) as traveller:
        weekly = make_candidate(
            "weekly@example.com",
            skills=["SQL", "Python"],
            topics={JOBS: "weekly", EVENTS: "monthly"},
        )
        monthly = make_candidate("monthly@example.com", skills=["SQL"], topics={JOBS: "monthly"})
        no_consent = make_candidate("silent@example.com", skills=["SQL", "Python"])
        no_skills = make_candidate("blank@example.com", topics={JOBS: "weekly"})
        content_item(EVENTS, "Open day", event_starts_at=paris(2026, 6, 1, 18, 0))

        start = paris(2026, 1, 5, 10, 0)
        for day in range(8 * 7):
            now = start + dt.timedelta(days=day)
            traveller.move_to(now)
            if now.weekday() == 0:
                open_position(f"Data analyst week {day // 7}", skills=["SQL"])
            nurture_run()

    sent = defaultdict(list)
    for message in Message.objects.filter(kind__in=[JOBS, EVENTS]):
        sent[(message.candidate_id, message.kind)].append(message.queued_at)

    weekly_jobs = sorted(sent[(weekly.pk, JOBS)])
    assert len(weekly_jobs) >= 6
    for earlier, later in itertools.pairwise(weekly_jobs):
        assert later - earlier >= dt.timedelta(days=7)
    assert len({d.isocalendar()[:2] for d in weekly_jobs}) == len(weekly_jobs)
    assert len(sent[(weekly.pk, EVENTS)]) == 1  # one event item: nothing new after that

    monthly_jobs = sorted(sent[(monthly.pk, JOBS)])
    assert 1 <= len(monthly_jobs) <= 2
    assert len({(d.year, d.month) for d in monthly_jobs}) == len(monthly_jobs)

    every = sorted(d for (cid, _), dates in sent.items() if cid == weekly.pk for d in dates)
    for earlier, later in itertools.pairwise(every):
        assert later - earlier >= dt.timedelta(days=NurtureSettings.load().cap_days)

    assert _nurture(no_consent) == []
    assert _nurture(no_skills) == []
    for message in Message.objects.all():
        assert "Data analyst" in message.text or "Open day" in message.text
        assert message.unsubscribe_url


def test_rerunning_the_planner_never_doubles(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        candidate = make_candidate("twice@example.com", skills=["Go"], topics={JOBS: "weekly"})
        open_position("Go developer", skills=["Go"])
        nurture_run()
        nurture_run()
        plan = nurture_plan()
    assert plan.planned == 0
    assert Message.objects.filter(candidate=candidate).count() == 1
    message = Message.objects.get(candidate=candidate)
    assert message.send_key == f"nurture:{JOBS}:{candidate.pk}:w2026-06"


def test_nothing_is_sent_outside_the_send_window(tenant_a):
    with time_machine.travel(paris(2026, 2, 7, 11, 0), tick=False):  # a Saturday
        make_candidate("weekend@example.com", skills=["Go"], topics={JOBS: "weekly"})
        open_position("Go developer", skills=["Go"])
        assert nurture_plan().open_topics == []
    with time_machine.travel(paris(2026, 2, 9, 18, 30), tick=False):  # Monday evening
        assert nurture_plan().planned == 0
    with time_machine.travel(paris(2026, 2, 9, 9, 0), tick=False):
        assert nurture_plan().planned == 1


def test_send_window_follows_local_wall_clock_across_daylight_saving(tenant_a):
    schedule = TopicSchedule.objects.get(topic=JOBS)
    utc = dt.UTC
    # Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    before = dt.datetime(2026, 3, 27, 8, 30, tzinfo=utc)  # Friday 09:30 CET
    after = dt.datetime(2026, 3, 30, 8, 30, tzinfo=utc)  # Monday 10:30 CEST
    early_after = dt.datetime(2026, 3, 30, 6, 30, tzinfo=utc)  # Monday 08:30 CEST
    late_before = dt.datetime(2026, 3, 27, 16, 30, tzinfo=utc)  # Friday 17:30 CET
    assert in_window(schedule, before.astimezone(paris(2026, 1, 1).tzinfo))
    assert in_window(schedule, after.astimezone(paris(2026, 1, 1).tzinfo))
    assert not in_window(schedule, early_after.astimezone(paris(2026, 1, 1).tzinfo))
    assert not in_window(schedule, late_before.astimezone(paris(2026, 1, 1).tzinfo))
    with time_machine.travel(early_after, tick=False):
        assert JOBS not in nurture_plan().open_topics
    with time_machine.travel(dt.datetime(2026, 3, 30, 7, 0, tzinfo=utc), tick=False):
        assert JOBS in nurture_plan().open_topics  # 09:00 CEST, the first hour of the window
    # The autumn change: 25 October 2026, Paris back to UTC+1; 16:59 local is 15:59 UTC.
    with time_machine.travel(dt.datetime(2026, 10, 26, 15, 59, tzinfo=utc), tick=False):
        assert JOBS in nurture_plan().open_topics
    with time_machine.travel(dt.datetime(2026, 10, 26, 16, 0, tzinfo=utc), tick=False):
        assert JOBS not in nurture_plan().open_topics


def test_consent_withdrawn_between_planning_and_sending_is_not_sent(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        candidate = make_candidate("leaving@example.com", skills=["Go"], topics={JOBS: "weekly"})
        open_position("Go developer", skills=["Go"])
        assert nurture_plan().planned == 1
        consent_withdraw(candidate=candidate, purpose=JOBS, source=Source.UNSUBSCRIBE)
        result = nurture_send_batch(
            delivery_ids=list(Delivery.objects.values_list("pk", flat=True))
        )
    assert result.queued == 0
    assert result.dropped["no consent"] == 1
    assert not Message.objects.filter(candidate=candidate).exists()
    assert not Delivery.objects.filter(candidate=candidate).exists()


def test_position_closed_between_planning_and_sending_is_dropped(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        candidate = make_candidate(
            "jobs@example.com", skills=["Go", "SQL"], topics={JOBS: "weekly"}
        )
        kept = open_position("Go developer", skills=["Go"])
        closed = open_position("SQL analyst", skills=["SQL"])
        nurture_plan()
        position_update(position=closed, actor=None, status="closed")
        nurture_send_batch(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))
    message = Message.objects.get(candidate=candidate)
    assert kept.title in message.text
    assert closed.title not in message.text
    assert Delivery.objects.get(candidate=candidate).position_ids == [kept.pk]


def test_digest_whose_only_position_closed_is_not_sent(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        candidate = make_candidate("empty@example.com", skills=["SQL"], topics={JOBS: "weekly"})
        closed = open_position("SQL analyst", skills=["SQL"])
        nurture_plan()
        position_update(position=closed, actor=None, status="closed")
        result = nurture_send_batch(
            delivery_ids=list(Delivery.objects.values_list("pk", flat=True))
        )
    assert result.dropped["positions closed"] == 1
    assert not Message.objects.filter(candidate=candidate).exists()


def test_topic_without_content_sends_nothing(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        make_candidate("news@example.com", topics={NEWS: "monthly"})
        plan, sent = nurture_run()
    assert plan.planned == 0 and sent.queued == 0
    assert not Message.objects.exists()


def test_cap_gives_event_first_to_young_talent_and_jobs_first_to_others(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        topics = {JOBS: "weekly", EVENTS: "monthly"}
        young = make_candidate(
            "young@example.com", skills=["SQL"], topics=topics, tags=["young-talent"]
        )
        other = make_candidate("senior@example.com", skills=["SQL"], topics=topics)
        open_position("SQL analyst", skills=["SQL"])
        content_item(EVENTS, "Graduate day", event_starts_at=paris(2026, 3, 1, 18, 0))
        nurture_run()
    assert [m.kind for m in _nurture(young)] == [EVENTS]
    assert [m.kind for m in _nurture(other)] == [JOBS]
    with time_machine.travel(paris(2026, 2, 4, 10, 0), tick=False):
        assert nurture_run()[1].queued == 0  # the 3-day cap
    with time_machine.travel(paris(2026, 2, 5, 10, 0), tick=False):
        nurture_run()
    assert [m.kind for m in _nurture(young)] == [EVENTS, JOBS]
    assert [m.kind for m in _nurture(other)] == [JOBS, EVENTS]


def test_digest_uses_the_candidates_language_and_carries_links(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        candidate = make_candidate(
            "fr@example.com", skills=["SQL"], topics={JOBS: "weekly"}, preferred_language="fr"
        )
        open_position("Analyste SQL", skills=["SQL"])
        nurture_run()
    message = Message.objects.get(candidate=candidate)
    assert "Postuler en un clic" in message.text
    assert "/campaigns/r/" in message.html
    # Why the job was chosen is in the reader's language too.
    assert "Correspond à vos compétences : SQL" in message.text
    assert Delivery.objects.get(candidate=candidate).status == DeliveryStatus.QUEUED


def test_newsletter_only_subscribers_are_invited_until_they_join_or_decline(tenant_a):
    invitation = "pool_invitation"
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False) as traveller:
        reader = make_candidate("reader@example.com", topics={invitation: None})
        decliner = make_candidate("decliner@example.com", topics={invitation: None})
        member = make_candidate(
            "member@example.com", topics={invitation: None, "talent_pool": None}
        )
        nurture_run()
        sent = {m.candidate_id: m for m in Message.objects.filter(kind=invitation)}
        assert set(sent) == {reader.pk, decliner.pk}
        assert "/c/" in sent[reader.pk].text  # the opt-in page to join, and the decline link
        consent_withdraw(candidate=decliner, purpose=invitation, source=Source.UNSUBSCRIBE)
        traveller.move_to(paris(2026, 3, 2, 10, 0))
        assert nurture_run()[1].queued == 0  # low cadence: 90 days by default
        traveller.move_to(paris(2026, 5, 4, 10, 0))
        nurture_run()
    invited = Message.objects.filter(kind=invitation)
    assert invited.filter(candidate=reader).count() == 2
    assert invited.filter(candidate=decliner).count() == 1
    assert not invited.filter(candidate=member).exists()


def test_language_chosen_in_the_preference_centre_wins(tenant_a):
    from consent.services import profile_language_set

    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        candidate = make_candidate(
            "de@example.com", skills=["SQL"], topics={JOBS: "weekly"}, preferred_language="fr"
        )
        profile_language_set(candidate=candidate, language="de")
        open_position("SQL Analyst", skills=["SQL"])
        nurture_run()
    assert "Mit einem Klick bewerben" in Message.objects.get(candidate=candidate).text


def test_a_candidate_without_content_in_the_first_topic_gets_the_next_one(tenant_a):
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        make_candidate(
            "nurse@example.com", skills=["Care"], topics={JOBS: "weekly", NEWS: "monthly"}
        )
        open_position("SQL analyst", skills=["SQL"])  # nothing for a nurse
        content_item(NEWS, "We moved", publish_at=paris(2026, 2, 1, 9, 0))
        plan, sent = nurture_run()
    assert dict(plan.by_topic) == {NEWS: 1} and sent.queued == 1
    assert [m.kind for m in Message.objects.all()] == [NEWS]
