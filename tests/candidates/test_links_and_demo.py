from __future__ import annotations

import random
from datetime import timedelta
from urllib.parse import urlsplit

import time_machine
from django.utils import timezone

from candidates.demo import demo_seed
from candidates.links import reapply_url
from candidates.models import Application, Candidate, Outcome, Position, PositionStatus
from candidates.services import candidate_merge
from tests.candidates import factories as f


def _path(url: str) -> str:
    return urlsplit(url).path


def test_reapply_link_applies_in_one_step(tenant_a):
    cand = f.candidate(first_name="Ada")
    position = f.position(title="Data engineer")
    url = reapply_url(cand, position)
    assert url.startswith("http://alpha.localhost")
    client = tenant_a.client()
    page = client.get(_path(url))
    assert page.status_code == 200 and "Hello Ada" in page.content.decode()
    assert not Application.objects.exists()  # a GET (mail scanners) does not apply
    assert b"Thank you" in client.post(_path(url)).content
    app = Application.objects.get()
    assert (app.candidate, app.position, app.source) == (cand, position, "re-apply link")
    client.post(_path(url))
    assert Application.objects.count() == 1


def test_reapply_link_is_refused_on_another_tenant(tenant_a, tenant_b):
    tenant_a.activate()
    url = reapply_url(f.candidate(), f.position())
    response = tenant_b.client().get(_path(url))
    assert response.status_code == 400 and "not valid on this site" in response.content.decode()


def test_reapply_link_expires_and_tampering_is_refused(tenant_a):
    url = reapply_url(f.candidate(), f.position())
    client = tenant_a.client()
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        response = client.get(_path(url))
    assert response.status_code == 400 and "expired" in response.content.decode()
    response = client.get(_path(url)[:-3] + "abc/")
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_reapply_link_of_a_closed_position_or_merged_candidate(tenant_a):
    kept, dup = f.candidate(), f.candidate()
    position = f.position()
    url = reapply_url(dup, position)
    candidate_merge(kept=kept, merged=dup, actor=None)
    tenant_a.client().post(_path(url))
    assert Application.objects.get().candidate == kept
    Position.objects.filter(pk=position.pk).update(status=PositionStatus.CLOSED)
    response = tenant_a.client().get(_path(url))
    assert response.status_code == 400 and "no longer open" in response.content.decode()


def test_demo_seed_is_realistic_and_idempotent(tenant_a):
    demo_seed(rng=random.Random(7))
    counts = (Candidate.objects.count(), Position.objects.count(), Application.objects.count())
    assert counts[0] == 300 and counts[1] == 20 and counts[2] > 100
    late = Application.objects.filter(
        outcome=Outcome.REJECTED, furthest_stage__slug__in=["final-interview", "offer"]
    )
    assert late.exists()
    assert Candidate.objects.filter(tags__name="silver-medalist").exists()
    assert Candidate.objects.values("country").distinct().count() >= 4
    assert Candidate.objects.values("seniority").distinct().count() == 4
    demo_seed(rng=random.Random(7))
    assert (
        Candidate.objects.count(),
        Position.objects.count(),
        Application.objects.count(),
    ) == counts
