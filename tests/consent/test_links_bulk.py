"""Link keys for many people at once (bulk rejection, nurture digests)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates.models import Candidate
from consent import links
from consent.models import ConsentProfile
from consent.services import profile_ensure
from tests.consent.conftest import path_of, person


def test_links_prepare_creates_missing_keys_in_one_go_and_keeps_existing(tenant_a):
    known = person(first_name="Known")
    key = profile_ensure(candidate=known).link_key
    new = [person() for _ in range(5)]
    fresh = list(
        Candidate.objects.filter(pk__in=[known.pk, *[c.pk for c in new]])
        .select_related("consent_profile")
        .order_by("pk")
    )

    with CaptureQueriesContext(connection) as captured:
        links.links_prepare(fresh)
        urls = [links.optin_url(c, source="rejection") for c in fresh]

    writes = [q for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(writes) == 1
    assert ConsentProfile.objects.filter(candidate__in=fresh).count() == 6
    assert ConsentProfile.objects.get(candidate=known).link_key == key
    client = tenant_a.client()
    for candidate, url in zip(fresh, urls, strict=True):
        assert candidate.consent_profile.link_key
        response = client.get(path_of(url))
        assert response.status_code == 200
        assert f"Stay in touch, {candidate.first_name}".encode() in response.content
