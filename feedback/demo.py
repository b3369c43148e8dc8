"""Demo data: feedback for every past rejection of the demo pipeline, and what followed it.

Past rejections (seeded by candidates' demo) get their `Rejection` row: personalised from the
policy stage on (with personal points), automatic before. About two thirds of the personally
rejected and a third of the automatically rejected then opted in through the rejection email's
link (consent's ledger, with the text version they saw), more often in Italy and among
18-24 year-olds, less often in Germany, as in the survey the product is based on. A few live
rejections go through the real flow (emails in the outbox)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Role, User
from candidates.models import ActivityKind, Application, Candidate, Outcome
from candidates.services import activity_record
from consent.models import Source
from consent.selectors import texts_current, topic_settings
from consent.services import Origin, Shown, consent_change
from feedback.content import CallNote
from feedback.models import Branch, Rejection, RejectionReason
from feedback.selectors import application_branch, rejection_content
from feedback.services import application_reject, feedback_email_render
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus, TrackingEvent
from mailing.services import message_enqueue

PERSONAL_NOTES = [
    (
        "Your case study was clear and well structured, and the team enjoyed your questions. "
        "What made the difference was depth in the technical part.",
        "Walk us through one project end to end next time, including what you would change.",
        "Explained the decision, talked through the case study; the candidate asked for "
        "reading suggestions.",
    ),
    (
        "You brought real energy and a thoughtful approach to the team exercise. Another "
        "finalist had more hands-on experience with our stack.",
        "A short side project with the tools listed in the offer would strengthen your profile.",
        "Shared the feedback; the candidate would like to hear about future openings.",
    ),
]


def demo_seed(*, rng: random.Random) -> None:
    if Rejection.objects.exists():
        return
    recruiter = User.objects.filter(role=Role.RECRUITER).order_by("id").first()
    candidates = list(
        Application.objects.filter(outcome=Outcome.ACTIVE, rejection__isnull=True)
        .select_related("candidate", "position", "furthest_stage")
        .order_by("id")[:60]
    )
    rng.shuffle(candidates)
    early = [a for a in candidates if application_branch(a) == Branch.AUTOMATIC][:3]
    late = [a for a in candidates if application_branch(a) == Branch.PERSONALISED][:2]
    reasons = {r.key: r for r in RejectionReason.objects.active()}
    now = timezone.now()
    _history(rng=rng, recruiter=recruiter, reasons=reasons, now=now)

    for application in early:
        rejection = application_reject(
            application=application,
            actor=recruiter,
            reasons=[reasons[k] for k in ("closer-fit",) if k in reasons],
        )
        _backdate(rejection, now - timedelta(days=rng.randint(3, 40)))
    for application, (points, tips, call) in zip(late, PERSONAL_NOTES, strict=False):
        decided = now - timedelta(days=rng.randint(2, 30))
        rejection = application_reject(
            application=application,
            actor=recruiter,
            reasons=[reasons[k] for k in ("skills-gap", "closer-fit") if k in reasons],
            personal_points=points,
            tips=tips,
            call=CallNote(
                called_at=decided,
                duration_minutes=rng.choice([15, 20, 30]),
                internal_note=call,
                candidate_summary="Thank you for taking the time to talk it through with us.",
            ),
            attach_pdf=True,
        )
        _backdate(rejection, decided)


def _backdate(rejection: Rejection, decided: object) -> None:
    # Demo history: the decision happened in the past (the email still goes through the outbox).
    Rejection.objects.filter(pk=rejection.pk).update(decided_at=decided)


OPTIN_RATE: dict[str, float] = {Branch.PERSONALISED: 0.65, Branch.AUTOMATIC: 0.33}
COUNTRY_SHIFT = {"IT": 0.2, "DE": -0.12}
YOUNG_SHIFT = 0.12
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/131.0",
]


def _history(*, rng: random.Random, recruiter: User | None, reasons: dict, now: datetime) -> None:
    """A `Rejection` for each past rejected application, then the opt-ins that followed."""
    early_reasons = [reasons[k] for k in ("closer-fit",) if k in reasons]
    late_reasons = [reasons[k] for k in ("skills-gap", "closer-fit") if k in reasons]
    past = (
        Application.objects.filter(outcome=Outcome.REJECTED, rejection__isnull=True)
        .select_related("candidate", "furthest_stage", "position")
        .order_by("id")
    )
    # Systematic sampling per (branch, country): each person opts in with their probability,
    # and the totals of a small demo still land on the rates (a plain coin flip per person
    # could show Germany above Italy by chance).
    threshold: dict[tuple[str, str], float] = {}
    for application in past:
        branch = application_branch(application)
        personal = branch == Branch.PERSONALISED
        points, tips, _call = rng.choice(PERSONAL_NOTES)
        candidate = application.candidate
        decided = application.outcome_at or application.applied_at
        rejection = Rejection.objects.create(
            application=application,
            stage=application.furthest_stage,
            branch=branch,
            language=candidate.preferred_language or "en",
            personal_points=points if personal else "",
            tips=tips if personal else "",
            decided_at=decided,
            decided_by=recruiter if personal else None,
        )
        rejection.reasons.set(late_reasons if personal else early_reasons)
        _email_sent(rejection=rejection, rng=rng)
        activity_record(
            candidate=candidate,
            kind=ActivityKind.OUTCOME,
            code="feedback.rejected_branch",
            params={"position": application.position.title, "branch": branch},
            application=application,
            actor=rejection.decided_by,
            at=decided,
        )
        rate = (
            OPTIN_RATE[branch]
            + COUNTRY_SHIFT.get(candidate.country, 0)
            + (YOUNG_SHIFT if candidate.age_bracket == "18_24" else 0)
        )
        stratum = (branch, candidate.country)
        threshold.setdefault(stratum, rng.random())
        threshold[stratum] -= rate
        if threshold[stratum] < 0:
            threshold[stratum] += 1
            _opt_in(candidate=candidate, after=decided, rng=rng, now=now)


def _email_sent(*, rejection: Rejection, rng: random.Random) -> None:
    """Demo history: the rejection's own email (rendered as feedback sends it) left a few hours
    after the decision and was delivered, often opened; the timeline entry carries its status."""
    rendered = feedback_email_render(rejection_content(rejection))
    application = rejection.application
    message = message_enqueue(
        send_key=f"rejection:{application.pk}",
        kind=MessageKind.TRANSACTIONAL,
        to_email=application.candidate.email,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        candidate=application.candidate,
    )
    sent_at = rejection.decided_at + timedelta(hours=rng.randint(1, 6))
    status, events = rng.choice(
        [
            (MessageStatus.DELIVERED, ["delivered"]),
            (MessageStatus.OPENED, ["delivered", "opened"]),
            (MessageStatus.OPENED, ["delivered", "opened"]),
        ]
    )
    Message.objects.filter(pk=message.pk).update(
        status=status, sent_at=sent_at, attempts=1, esp_message_id=f"demo-{message.pk}"
    )
    TrackingEvent.objects.bulk_create(
        TrackingEvent(
            event_id=f"demo:{message.pk}:{event}",
            message=message,
            event_type=event,
            at=sent_at + timedelta(minutes=11 * offset),
        )
        for offset, event in enumerate(events, start=1)
    )
    Rejection.objects.filter(pk=rejection.pk).update(message_id=message.pk)
    activity_record(
        candidate=application.candidate,
        kind=ActivityKind.EMAIL,
        code="email.sent",
        params={"subject": message.subject},
        application=application,
        ref=message.ref,
        data={"status": status, "kind": message.kind},
        at=sent_at,
    )


def _opt_in(*, candidate: Candidate, after: datetime, rng: random.Random, now: datetime) -> None:
    """The rejection email's opt-in link, clicked within a few days, with some topics."""
    topics = topic_settings()
    chosen = rng.sample(sorted(topics), k=rng.randint(1, len(topics)))
    grant: dict[str, str | None] = {"talent_pool": None}
    for topic in chosen:
        grant[topic] = rng.choice(topics[topic].allowed_frequencies)
    if rng.random() < 0.4:
        grant["tracking"] = None
    texts = texts_current(candidate.preferred_language or "en")
    # The opt-in page shows the pool, every topic and tracking, none ticked.
    offered = ["talent_pool", *sorted(topics), "tracking"]
    consent_change(
        candidate=candidate,
        source=Source.OPTIN_LINK,
        grant=grant,
        shown=Shown(offered={p: texts.get(p) for p in offered}, ticked=frozenset(grant)),
        origin=Origin(ip=f"198.51.100.{rng.randint(1, 254)}", user_agent=rng.choice(USER_AGENTS)),
        at=min(after + timedelta(hours=rng.randint(1, 72)), now),
    )
