"""Demo data: candidates who joined the talent pool without being rejected first (registration
form, newsletter, a recruiter on the phone), with their own topics and frequencies; a few
unsubscribes and one open data request. Opt-ins through the rejection email's link follow the
rejections, in feedback's demo."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Role, User
from candidates.models import Candidate, Outcome
from consent.models import DATA_REQUEST_DEADLINE, ConsentEvent, DataRequest, RequestKind, Source
from consent.selectors import texts_current, topic_settings
from consent.services import Origin, Shown, consent_change, consent_defaults_install

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/131.0",
]


def demo_seed(*, rng: random.Random) -> None:
    consent_defaults_install()
    if ConsentEvent.objects.exists():
        return
    recruiter = User.objects.filter(role=Role.RECRUITER).order_by("id").first()
    topics = topic_settings()
    texts = texts_current("en")
    candidates = list(Candidate.objects.active().order_by("id"))
    rejected = set(
        Candidate.objects.filter(applications__outcome=Outcome.REJECTED).values_list(
            "pk", flat=True
        )
    )
    now = timezone.now()
    for candidate in candidates:
        if candidate.pk in rejected or rng.random() > 0.35:
            continue
        chosen = rng.sample(sorted(topics), k=rng.randint(1, len(topics)))
        grant: dict[str, str | None] = {"talent_pool": None}
        for topic in chosen:
            grant[topic] = rng.choice(topics[topic].allowed_frequencies)
        if rng.random() < 0.3:
            grant["tracking"] = None
        source = rng.choice([Source.REGISTRATION, Source.REGISTRATION, Source.NEWSLETTER])
        by_recruiter = recruiter is not None and rng.random() < 0.1
        at = now - timedelta(days=rng.randint(1, 400))
        # A form shows every topic (none ticked) and the person ticks some; a recruiter
        # records what was said on the phone.
        offered = ["talent_pool", *sorted(topics), "tracking"]
        consent_change(
            candidate=candidate,
            source=Source.RECRUITER if by_recruiter else source,
            grant=grant,
            texts={p: t for p, t in texts.items() if p in grant},
            shown=None
            if by_recruiter
            else Shown(offered={p: texts.get(p) for p in offered}, ticked=frozenset(grant)),
            actor=recruiter if by_recruiter else None,
            reason="Agreed by phone after the final interview" if by_recruiter else "",
            origin=Origin(
                ip=f"198.51.100.{rng.randint(1, 254)}", user_agent=rng.choice(USER_AGENTS)
            ),
            at=at,
        )
        if len(chosen) > 1 and rng.random() < 0.15:
            consent_change(
                candidate=candidate,
                source=Source.UNSUBSCRIBE,
                withdraw=[chosen[0]],
                engaged=False,
                at=at + timedelta(days=rng.randint(1, 30)),
            )
    if candidates:
        someone = rng.choice(candidates)
        asked = now - timedelta(days=12)
        DataRequest.objects.create(
            candidate=someone,
            kind=RequestKind.ACCESS,
            requested_at=asked,
            due_at=asked + DATA_REQUEST_DEADLINE,
        )
