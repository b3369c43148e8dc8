from __future__ import annotations

import time_machine
from django.core import signing
from django.utils import timezone

from campaigns.referrals import share_token, share_url, share_url_builder
from candidates.links import reapply_load, reapply_url, reapply_url_builder
from candidates.models import Application, Candidate
from candidates.pipeline import position_update
from tests.campaigns.helpers import make_candidate, open_position
from tests.public_forms import post_like_a_person


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_a_friend_applies_through_the_share_link_and_the_ambassador_is_credited(
    tenant_a, fresh_form_limits
):
    ambassador = make_candidate("amb@example.com", skills=["SQL"])
    position = open_position("SQL analyst", skills=["SQL"])
    url = share_url(ambassador, position)
    client = tenant_a.client()
    page = client.get(_path(url)).content.decode()
    assert "SQL analyst" in page and "Amb thought this job" in page
    response = post_like_a_person(
        client,
        _path(url),
        {"first_name": "Friend", "last_name": "One", "email": "Friend@Example.com"},
    )
    assert "has been received" in response.content.decode()
    friend = Candidate.objects.get(email__iexact="friend@example.com")
    assert friend.referred_by == ambassador
    application = Application.objects.get(candidate=friend, position=position)
    assert application.source == "referral"
    assert list(ambassador.referrals.all()) == [friend]


def test_an_earlier_referrer_is_never_replaced_and_self_referral_is_not_credited(
    tenant_a, fresh_form_limits
):
    first = make_candidate("first@example.com")
    second = make_candidate("second@example.com")
    position = open_position("Tester")
    client = tenant_a.client()
    for referrer in (first, second):
        post_like_a_person(
            client,
            _path(share_url(referrer, position)),
            {"first_name": "Pat", "email": "pat@example.com"},
        )
    assert Candidate.objects.get(email="pat@example.com").referred_by == first
    post_like_a_person(
        client, _path(share_url(first, position)), {"first_name": "F", "email": "first@example.com"}
    )
    first.refresh_from_db()
    assert first.referred_by is None


def test_forged_other_tenant_and_closed_position_links_are_refused(tenant_a, tenant_b):
    tenant_a.activate()
    ambassador = make_candidate("amb@example.com")
    position = open_position("Closed soon")
    token = share_token(ambassador, position)
    client = tenant_a.client()
    forged = signing.dumps({"s": "alpha", "c": ambassador.pk, "p": position.pk}, salt="other")
    response = client.get(f"/campaigns/r/{forged}/")
    assert response.status_code == 410 and "not valid" in response.content.decode()
    response = tenant_b.client().get(f"/campaigns/r/{token}/")
    assert response.status_code == 410
    assert "not valid on this site" in response.content.decode()
    tenant_a.activate()
    position_update(position=position, actor=None, status="closed")
    response = client.get(f"/campaigns/r/{token}/")
    assert "no longer open" in response.content.decode()
    assert not Application.objects.exists()


def test_bots_filling_the_hidden_field_create_nothing(tenant_a):
    ambassador = make_candidate("amb@example.com")
    position = open_position("Tester")
    tenant_a.client().post(
        _path(share_url(ambassador, position)),
        {"first_name": "Bot", "email": "bot@example.com", "website": "http://spam"},
    )
    assert not Candidate.objects.filter(email="bot@example.com").exists()


def test_batch_share_and_reapply_links_are_the_single_links(tenant_a):
    ambassador = make_candidate("amb@example.com")
    position = open_position("Analyst")
    with time_machine.travel(timezone.now(), tick=False):
        share, reapply = share_url_builder(), reapply_url_builder()
        assert share(ambassador, position) == share_url(ambassador, position)
        assert reapply(ambassador, position) == reapply_url(ambassador, position)
    token = reapply(ambassador, position).rstrip("/").rsplit("/", 1)[1]
    loaded = reapply_load(token)
    assert (loaded.candidate, loaded.position) == (ambassador, position)
    page = tenant_a.client().get(_path(share(ambassador, position)))
    assert "Analyst" in page.content.decode()
