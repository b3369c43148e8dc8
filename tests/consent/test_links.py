"""Signed links: absolute, bound to tenant and person, expiring, revocable; bad ones get a clear
page, never a 500."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import signing
from django.utils import timezone

from consent import links
from consent.models import ConsentEvent
from consent.services import links_revoke
from tests.consent.conftest import path_of, person


def test_links_are_absolute_on_the_tenant_host(tenant_a):
    ada = person()
    for url in (
        links.optin_url(ada, source="rejection"),
        links.preferences_url(ada),
        links.unsubscribe_url(ada),
        links.unsubscribe_url(ada, topic="events"),
    ):
        assert url.startswith("https://alpha.localhost")
        assert "/c/" in url


def test_each_link_opens_its_page(tenant_a):
    ada = person(first_name="Ada")
    client = tenant_a.client()
    optin = client.get(path_of(links.optin_url(ada, source="rejection")))
    assert optin.status_code == 200 and b"Stay in touch, Ada" in optin.content
    prefs = client.get(path_of(links.preferences_url(ada)))
    assert prefs.status_code == 200 and b"Your preferences" in prefs.content
    unsub = client.get(path_of(links.unsubscribe_url(ada, topic="events")))
    assert unsub.status_code == 200 and b"Stop receiving event invitations?" in unsub.content


def test_forged_token_gets_a_clear_page(tenant_a):
    ada = person()
    url = path_of(links.preferences_url(ada))
    forged = url[:-6] + ("A" if url[-6] != "A" else "B") + url[-5:]
    response = tenant_a.client().get(forged)
    assert response.status_code == 400
    assert b"This link is not valid" in response.content
    assert tenant_a.client().get("/c/p/garbage/").status_code == 400


def test_a_token_for_one_page_does_not_open_another(tenant_a):
    ada = person()
    token = links.sign(links.PREFERENCES, candidate=ada)
    response = tenant_a.client().post(f"/c/u/{token}/")
    assert response.status_code == 400
    assert not ConsentEvent.objects.filter(candidate=ada).exists()


def test_expired_link_offers_a_fresh_one_sent_to_the_known_address(tenant_a):
    ada = person(email="ada@example.com")
    url = path_of(links.optin_url(ada, source="rejection"))
    with time_machine.travel(timezone.now() + timedelta(days=200)):
        response = tenant_a.client().get(url)
        assert response.status_code == 410
        assert b"This link has expired" in response.content
        assert b"Email me a new link" in response.content
        token = url.split("/")[3]
        sent = tenant_a.client().post(f"/c/fresh/{token}/")
    assert sent.status_code == 200
    from mailing.models import Message

    message = Message.objects.get(to_email="ada@example.com")
    assert "/c/p/" in message.text


def test_token_of_another_tenant_is_refused(tenant_a, tenant_b):
    tenant_a.activate()
    ada = person()
    url = path_of(links.preferences_url(ada))
    tenant_b.activate()
    response = tenant_b.client().get(url)
    assert response.status_code == 403
    assert b"belongs to another organisation" in response.content


def test_revoked_links_stop_working(tenant_a):
    ada = person()
    url = path_of(links.unsubscribe_url(ada))
    links_revoke(candidate=ada)
    response = tenant_a.client().post(url)
    assert response.status_code == 410
    assert b"no longer valid" in response.content


def test_payload_is_signed_not_encrypted_but_tampering_fails(tenant_a):
    ada = person()
    token = links.sign(links.PREFERENCES, candidate=ada)
    payload = signing.loads(token, salt=links.PREFERENCES.salt)
    other = person()
    payload["c"] = other.pk
    # Re-signing needs the secret key; with another salt it does not validate either.
    forged = signing.dumps(payload, salt="something-else", compress=True)
    assert tenant_a.client().get(f"/c/p/{forged}/").status_code == 400


def test_an_old_unsubscribe_link_still_unsubscribes(tenant_a):
    from consent.services import consent_grant

    ada = person()
    consent_grant(candidate=ada, purpose="events", source="optin_link")
    url = path_of(links.unsubscribe_url(ada, topic="events"))
    with time_machine.travel(timezone.now() + timedelta(days=5 * 365)):
        response = tenant_a.client().post(url)
    assert response.status_code == 200
    assert ConsentEvent.objects.filter(
        candidate=ada, purpose="events", action="withdrawn", source="unsubscribe"
    ).exists()


def test_batch_links_are_the_single_links_and_open_their_pages(tenant_a):
    ada = person(first_name="Ada")
    with time_machine.travel(timezone.now(), tick=False):
        batch = links.CandidateLinks()
        pairs = [
            (batch.optin(ada, source="pool"), links.optin_url(ada, source="pool")),
            (batch.preferences(ada), links.preferences_url(ada)),
            (batch.unsubscribe(ada), links.unsubscribe_url(ada)),
            (batch.unsubscribe(ada, "events"), links.unsubscribe_url(ada, topic="events")),
        ]
    for built, single in pairs:
        assert built == single
    client = tenant_a.client()
    unsub = client.get(path_of(pairs[3][0]))
    assert unsub.status_code == 200 and b"Stop receiving event invitations?" in unsub.content
