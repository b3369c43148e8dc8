"""Demo data for `make run`: a few hundred candidates, ~20 positions, applications across the
pipeline (some rejected at the final interview or the offer: the silver medalists pools find).
Idempotent: candidates are upserted by email, positions by title, applications are unique."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from candidates.models import (
    Activity,
    Application,
    Candidate,
    Outcome,
    Position,
    PositionStatus,
    Stage,
)
from candidates.pipeline import application_create, position_create
from candidates.services import candidate_tags_add, candidate_upsert

FIRST = [
    "Ada",
    "Ben",
    "Chloé",
    "David",
    "Emma",
    "Felix",
    "Giulia",
    "Hugo",
    "Inès",
    "Jonas",
    "Karin",
    "Luca",
    "Marie",
    "Nils",
    "Olivia",
    "Paul",
    "Quentin",
    "Rosa",
    "Sami",
    "Tara",
    "Ugo",
    "Vera",
    "Wim",
    "Yara",
    "Zoé",
    "Léa",
    "Noah",
    "Mila",
    "Elias",
    "Sofia",
]
LAST = [
    "Martin",
    "Bernard",
    "Müller",
    "Schmidt",
    "Rossi",
    "Russo",
    "Dubois",
    "Moreau",
    "Fischer",
    "Weber",
    "Bianchi",
    "Romano",
    "Laurent",
    "Keller",
    "Ferrari",
    "Lefèvre",
    "Wagner",
    "Costa",
    "Meyer",
    "Conti",
]
CITIES = {
    "FR": ["Paris", "Lyon", "Nantes"],
    "DE": ["Berlin", "Munich", "Hamburg"],
    "IT": ["Milan", "Rome", "Turin"],
    "CH": ["Zurich", "Geneva"],
    "BE": ["Brussels"],
}
LANGS = {"FR": "fr", "DE": "de", "IT": "it", "CH": "de", "BE": "fr"}
PROFESSIONS = {
    "Software engineer": ["Python", "Django", "PostgreSQL", "JavaScript", "Go", "Docker", "AWS"],
    "Data scientist": ["Python", "SQL", "Machine learning", "Statistics", "Pandas"],
    "Product manager": ["Roadmapping", "User research", "Agile", "SQL"],
    "UX designer": ["Figma", "User research", "Prototyping", "Accessibility"],
    "Sales manager": ["Negotiation", "CRM", "B2B sales", "Salesforce"],
    "Accountant": ["IFRS", "Excel", "SAP", "Auditing"],
    "Nurse": ["Patient care", "Triage", "Pediatrics"],
    "Marketing specialist": ["SEO", "Content", "Google Ads", "Analytics"],
}
SENIORITIES = ["junior", "mid", "senior", "lead"]
INTERESTS = ["Climate tech", "Healthcare", "Fintech", "Open source", "Remote work", "Startups"]
AGES = ["18_24", "25_34", "35_44", "45_54", "55_plus", ""]
SOURCES = ["career site", "referral", "LinkedIn", "job fair", "import"]
DEPARTMENTS = {
    "Software engineer": "Engineering",
    "Data scientist": "Data",
    "Product manager": "Product",
    "UX designer": "Design",
    "Sales manager": "Sales",
    "Accountant": "Finance",
    "Nurse": "Care",
    "Marketing specialist": "Marketing",
}


@transaction.atomic
def demo_seed(*, rng: random.Random) -> None:
    stages = list(Stage.objects.order_by("order"))
    if not stages:
        return
    positions = _positions(rng)
    candidates = _candidates(rng, 300)
    # Pipelines are seeded once: a second run (any seed) must not add applications.
    if not Application.objects.filter(source__in=SOURCES).exists():
        _applications(rng, candidates, positions, stages)
    silver = Candidate.objects.filter(
        applications__outcome=Outcome.REJECTED,
        applications__furthest_stage__order__gte=stages[-2].order,
    ).distinct()
    if silver.exists():
        candidate_tags_add(candidates=silver, names=["silver-medalist"], actor=None)


def _positions(rng: random.Random) -> list[Position]:
    positions = []
    for index in range(20):
        profession = list(PROFESSIONS)[index % len(PROFESSIONS)]
        seniority = SENIORITIES[index % 4]
        country = list(CITIES)[index % len(CITIES)]
        title = f"{seniority.capitalize()} {profession.lower()} — {CITIES[country][0]}"
        existing = Position.objects.filter(title=title).first()
        if existing is None:
            existing = position_create(
                actor=None,
                title=title,
                profession=profession,
                department=DEPARTMENTS[profession],
                location=CITIES[country][0],
                country=country,
                remote_policy=rng.choice(["onsite", "hybrid", "remote"]),
                seniority=seniority,
                status=PositionStatus.OPEN if index % 4 else PositionStatus.CLOSED,
                description=f"We are looking for a {seniority} {profession.lower()} to join our "
                f"{DEPARTMENTS[profession]} team in {CITIES[country][0]}.",
                required_skills=rng.sample(PROFESSIONS[profession], 3),
            )
        positions.append(existing)
    return positions


def _candidates(rng: random.Random, count: int) -> list[Candidate]:
    result = []
    for index in range(count):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        country = rng.choice(list(CITIES))
        profession = rng.choice(list(PROFESSIONS))
        seniority = rng.choice(SENIORITIES)
        email = (
            f"{first.lower()}.{last.lower()}{index}@example.com".replace("é", "e")
            .replace("è", "e")
            .replace("ü", "u")
            .replace("ï", "i")
        )
        candidate, _ = candidate_upsert(
            email=email,
            actor=None,
            source=rng.choice(SOURCES),
            first_name=first,
            last_name=last,
            phone=f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            city=rng.choice(CITIES[country]),
            country=country,
            languages=sorted({LANGS[country], "en"}),
            preferred_language=LANGS[country],
            profession=profession,
            seniority=seniority,
            years_experience={"junior": 1, "mid": 4, "senior": 8, "lead": 12}[seniority]
            + rng.randint(0, 3),
            interests=rng.sample(INTERESTS, 2),
            desired_positions=[profession],
            desired_locations=[rng.choice(CITIES[country])],
            age_bracket=rng.choice(AGES),
            skills=rng.sample(PROFESSIONS[profession], min(4, len(PROFESSIONS[profession]))),
        )
        result.append(candidate)
    return result


def _applications(
    rng: random.Random, candidates: list[Candidate], positions: list[Position], stages: list[Stage]
) -> None:
    by_profession: dict[str, list[Position]] = {}
    for position in positions:
        by_profession.setdefault(position.profession, []).append(position)
    for candidate in candidates:
        if rng.random() < 0.3:
            continue
        for position in rng.sample(by_profession[candidate.profession], 1):
            application, created = application_create(
                candidate=candidate, position=position, actor=None, source=candidate.source
            )
            if not created:
                continue
            # Seeded straight to a stage and outcome: the demo's past, not live moves that
            # would trigger rejection emails.
            reached = stages[min(len(stages) - 1, int(rng.random() ** 1.6 * len(stages)))]
            outcome = Outcome.ACTIVE
            if position.status == PositionStatus.CLOSED or rng.random() < 0.45:
                outcome = Outcome.REJECTED if rng.random() < 0.85 else Outcome.WITHDRAWN
            if reached == stages[-1] and rng.random() < 0.3:
                outcome = Outcome.HIRED
            applied_at = timezone.now() - timedelta(days=rng.randint(5, 400))
            Application.objects.filter(pk=application.pk).update(
                stage=reached,
                furthest_stage=reached,
                outcome=outcome,
                applied_at=applied_at,
                # Decided in the past, never after today.
                outcome_at=min(
                    applied_at + timedelta(days=rng.randint(3, 40)),
                    timezone.now() - timedelta(days=1),
                )
                if outcome != Outcome.ACTIVE
                else None,
            )
            Activity.objects.filter(application=application).update(at=applied_at)
