"""The consent box on the candidate page (candidates' profile-panel registry)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import Source
from consent.services import consent_change, consent_grant
from tests.consent.conftest import person


def _page(world, candidate):  # type: ignore[no-untyped-def]
    response = world.client(world.recruiter).get(f"/candidates/{candidate.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_panel_shows_pool_state_topics_source_and_links(tenant_a):
    someone = person(first_name="Giulia")
    consent_grant(candidate=someone, purpose="talent_pool", source=Source.OPTIN_LINK)
    consent_grant(
        candidate=someone, purpose="job_offers", source=Source.OPTIN_LINK, frequency="monthly"
    )
    page = _page(tenant_a, someone)
    panel = page.split('id="panel-consent"', 1)[1].split("</article>", 1)[0]
    assert "In the talent pool" in panel
    assert "Job offers" in panel and "monthly" in panel
    assert "Opt-in link (rejection email)" in panel
    assert f'href="/c/candidate/{someone.pk}/"' in panel
    assert f'href="/c/candidate/{someone.pk}/#record"' in panel


def test_panel_says_when_nobody_consented_or_it_was_withdrawn(tenant_a):
    nobody = person()
    assert "Not in the talent pool" in _page(tenant_a, nobody)
    gone = person()
    consent_grant(candidate=gone, purpose="talent_pool", source=Source.REGISTRATION)
    consent_change(candidate=gone, source=Source.UNSUBSCRIBE, withdraw=["talent_pool"])
    page = _page(tenant_a, gone)
    assert "Not in the talent pool" in page
    assert "Withdrawn or expired: Keep my profile in the talent pool" in page


def test_panel_queries_do_not_grow_with_the_history(tenant_a):
    def queries(candidate):  # type: ignore[no-untyped-def]
        client = tenant_a.client(tenant_a.recruiter)
        client.get(f"/candidates/{candidate.pk}/")  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/candidates/{candidate.pk}/").status_code == 200
        return len(ctx.captured_queries)

    few = person()
    consent_grant(candidate=few, purpose="talent_pool", source=Source.OPTIN_LINK)
    many = person()
    for topic in ("talent_pool", "job_offers", "events", "testimonials", "company_news"):
        consent_grant(candidate=many, purpose=topic, source=Source.OPTIN_LINK, frequency=None)
    consent_change(candidate=many, source=Source.UNSUBSCRIBE, withdraw=["events"])
    assert queries(many) == queries(few)
