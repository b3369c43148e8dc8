"""Demo data: a few past rejections with feedback, on the demo candidates' applications."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Role, User
from candidates.models import Application, Outcome
from feedback.content import CallNote
from feedback.models import Branch, Rejection, RejectionReason
from feedback.selectors import application_branch
from feedback.services import application_reject

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
                called_at=decided, duration_minutes=rng.choice([15, 20, 30]), summary=call
            ),
            attach_pdf=True,
        )
        _backdate(rejection, decided)


def _backdate(rejection: Rejection, decided: object) -> None:
    # Demo history: the decision happened in the past (the email still goes through the outbox).
    Rejection.objects.filter(pk=rejection.pk).update(decided_at=decided)
