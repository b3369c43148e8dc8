"""Candidate pages over HTTP: opt-in, preference centre, unsubscribe (page and RFC 8058 POST)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from consent import links
from consent.models import (
    Action,
    CandidateConsent,
    ConsentCapture,
    ConsentEvent,
    ConsentText,
    Purpose,
    Source,
)
from consent.selectors import active_purposes
from consent.services import ConsentError, Shown, consent_change, consent_text_publish
from tests.consent.conftest import path_of, person

TOPIC_DEFAULTS = {
    "job_offers": "weekly",
    "events": "monthly",
    "testimonials": "monthly",
    "company_news": "monthly",
    "job_market": "monthly",
}


def _optin_form(text_ids: dict[str, int] | None = None, **overrides: str) -> dict[str, str]:
    """Everything ticked by the person (the pool and every topic)."""
    data = {"talent_pool": "on"}
    for topic, frequency in TOPIC_DEFAULTS.items():
        data[topic] = "on"
        data[f"{topic}_frequency"] = frequency
    for key, value in (text_ids or {}).items():
        data[f"text_{key}"] = str(value)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_optin_page_ticks_nothing_for_the_person(tenant_a):
    ada = person()
    response = tenant_a.client().get(path_of(links.optin_url(ada, source="rejection")))
    form = response.context["form"]
    for purpose in [Purpose.TALENT_POOL, *TOPIC_DEFAULTS, Purpose.TRACKING]:
        assert form[purpose].initial is False, purpose
    assert " checked" not in response.content.decode()
    # The frequency offered if a topic is ticked is the tenant's default.
    for topic, frequency in TOPIC_DEFAULTS.items():
        assert form[f"{topic}_frequency"].initial == frequency
    # Job offers may be weekly to monthly, the others monthly to quarterly.
    assert [c[0] for c in form.fields["job_offers_frequency"].choices] == [
        "weekly",
        "biweekly",
        "monthly",
    ]
    assert [c[0] for c in form.fields["events_frequency"].choices] == ["monthly", "quarterly"]
    # "Select all" is a button the person clicks (static/js/consent.js), hidden without JS.
    assert 'data-select-all="topics"' in response.content.decode()


def test_submitting_nothing_records_no_consent_and_says_so_kindly(tenant_a):
    ada = person()
    url = path_of(links.optin_url(ada, source="rejection"))
    client = tenant_a.client()
    texts = client.get(url).context["form"].texts
    response = client.post(url, {f"text_{p}": t.pk for p, t in texts.items()})
    assert response.status_code == 200
    assert b"You did not tick anything, so we have recorded no consent" in response.content
    assert not ConsentEvent.objects.filter(candidate=ada).exists()
    assert active_purposes(ada) == set()
    # What was shown is still on record, with nothing ticked.
    capture = ConsentCapture.objects.get(candidate=ada)
    assert capture.ticked == []
    assert [o["purpose"] for o in capture.offered] == [
        Purpose.TALENT_POOL,
        *TOPIC_DEFAULTS,
        Purpose.TRACKING,
    ]


def test_a_grant_without_its_ticked_box_is_refused(tenant_a):
    ada = person()
    shown = Shown(offered={"events": None, "job_offers": None}, ticked=frozenset({"events"}))
    with pytest.raises(ConsentError, match="job_offers was not ticked"):
        consent_change(
            candidate=ada,
            source=Source.OPTIN_LINK,
            grant={"events": None, "job_offers": None},
            shown=shown,
        )
    assert not ConsentEvent.objects.filter(candidate=ada).exists()


def test_optin_records_consent_with_the_exact_text_shown_and_twice_changes_nothing(tenant_a):
    ada = person()
    url = path_of(links.optin_url(ada, source="rejection"))
    client = tenant_a.client()
    shown = client.get(url).context["form"].texts
    # HR publishes a new wording while the page is open: the ledger keeps what Ada saw.
    consent_text_publish(
        purpose=Purpose.TALENT_POOL,
        language="en",
        title="New title",
        body="New wording.",
        actor=tenant_a.hr_admin,
    )
    data = _optin_form(
        {p: t.pk for p, t in shown.items()},
        job_offers_frequency="monthly",
        testimonials=None,
    )
    response = client.post(url, data, HTTP_USER_AGENT="TestBrowser/1.0")
    assert response.status_code == 200
    assert b"We have recorded your choices" in response.content
    assert active_purposes(ada) == {
        Purpose.TALENT_POOL,
        "job_offers",
        "events",
        "company_news",
        "job_market",
    }
    pool = ConsentEvent.objects.get(candidate=ada, purpose=Purpose.TALENT_POOL)
    assert pool.text == shown[Purpose.TALENT_POOL]
    assert pool.text.title != "New title"
    assert pool.source == Source.OPTIN_LINK and pool.reason == "From: Rejection email"
    assert pool.user_agent == "TestBrowser/1.0" and pool.ip_address == "127.0.0.1"
    # The ledger says what was offered (with each wording version) and what was ticked.
    capture = pool.capture
    assert capture is not None and capture.source == Source.OPTIN_LINK
    assert set(capture.ticked) == {Purpose.TALENT_POOL, *TOPIC_DEFAULTS} - {"testimonials"}
    offered = {o["purpose"]: o for o in capture.offered}
    assert "testimonials" in offered and Purpose.TRACKING in offered
    assert offered[Purpose.TALENT_POOL]["version"] == shown[Purpose.TALENT_POOL].version
    assert set(ConsentEvent.objects.filter(candidate=ada).values_list("capture", flat=True)) == {
        capture.pk
    }
    assert CandidateConsent.objects.get(candidate=ada, purpose="job_offers").frequency == "monthly"
    count = ConsentEvent.objects.count()

    again = client.post(url, data)
    assert again.status_code == 200
    assert b"nothing changed" in again.content
    assert ConsentEvent.objects.count() == count


def test_frequency_outside_the_allowed_range_is_refused_and_nothing_recorded(tenant_a):
    ada = person()
    url = path_of(links.optin_url(ada, source="rejection"))
    response = tenant_a.client().post(url, _optin_form(events_frequency="weekly"))
    assert response.status_code == 400
    assert b"Choose one of the frequencies offered for this topic." in response.content
    assert not ConsentEvent.objects.filter(candidate=ada).exists()


def test_preference_centre_changes_topics_frequency_and_language(tenant_a):
    ada = person()
    client = tenant_a.client()
    client.post(path_of(links.optin_url(ada, source="rejection")), _optin_form())
    url = path_of(links.preferences_url(ada))
    data = _optin_form(
        talent_pool="on", events=None, job_offers_frequency="biweekly", language="fr"
    )
    response = client.post(url, data)
    assert response.status_code == 200
    # Saved, and the page already answers in the language just chosen.
    assert "Vos choix sont enregistrés." in response.content.decode()
    assert "events" not in active_purposes(ada)
    assert CandidateConsent.objects.get(candidate=ada, purpose="job_offers").frequency == "biweekly"
    ada.refresh_from_db()
    assert ada.preferred_language == "fr"
    # The page now speaks French consent wording.
    page = client.get(url)
    assert page.context["pool_text"].language == "fr"


def test_preference_centre_can_leave_the_pool(tenant_a):
    ada = person()
    client = tenant_a.client()
    client.post(path_of(links.optin_url(ada, source="rejection")), _optin_form())
    client.post(path_of(links.preferences_url(ada)), {})
    assert active_purposes(ada) == set()
    withdrawn = ConsentEvent.objects.filter(candidate=ada, action=Action.WITHDRAWN)
    assert withdrawn.filter(purpose=Purpose.TALENT_POOL).exists()


def test_one_click_unsubscribe_post_needs_no_cookie_and_no_csrf_token(tenant_a):
    ada = person()
    tenant_a.client().post(path_of(links.optin_url(ada, source="rejection")), _optin_form())
    mail_client = Client(HTTP_HOST=tenant_a.host, enforce_csrf_checks=True)
    response = mail_client.post(
        path_of(links.unsubscribe_url(ada, topic="events")),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "events" not in active_purposes(ada)
    assert "job_offers" in active_purposes(ada)
    event = ConsentEvent.objects.get(candidate=ada, purpose="events", action=Action.WITHDRAWN)
    assert event.source == Source.UNSUBSCRIBE


def test_unsubscribe_from_everything_keeps_the_talent_pool(tenant_a):
    ada = person()
    tenant_a.client().post(path_of(links.optin_url(ada, source="rejection")), _optin_form())
    page_url = path_of(links.unsubscribe_url(ada))
    page = tenant_a.client().get(page_url)
    assert b"Stop receiving all our newsletters and offers?" in page.content
    assert tenant_a.client().post(page_url).status_code == 200
    assert active_purposes(ada) == {Purpose.TALENT_POOL}
    # A second click is harmless.
    count = ConsentEvent.objects.count()
    assert tenant_a.client().post(page_url).status_code == 200
    assert ConsentEvent.objects.count() == count


def test_candidate_pages_are_branded_and_load_nothing_from_other_hosts(tenant_a):
    tenant = tenant_a.tenant
    tenant.primary_colour = "#aa3300"
    tenant.privacy_policy_url = "https://alpha.example/privacy"
    tenant.save()
    ada = person()
    html = tenant_a.client().get(path_of(links.preferences_url(ada))).content.decode()
    # The colour comes in a stylesheet (the CSP allows no inline style).
    theme = re.search(r'href="(/branding/theme\.css\?v=[^"]*)"', html).group(1)
    assert "--brand: #aa3300" in tenant_a.client().get(theme).content.decode()
    assert "Alpha Corp" in html
    assert 'aria-label="Main"' not in html  # no staff navigation
    for attribute in ("src=", "href="):
        for chunk in html.split(attribute)[1:]:
            target = chunk[1:].split(chunk[0])[0]
            if target.startswith("http") and "alpha.example/privacy" not in target:
                raise AssertionError(f"external resource {target}")


def test_texts_exist_in_four_languages_after_provisioning(tenant_a):
    languages = set(
        ConsentText.objects.filter(purpose=Purpose.TALENT_POOL).values_list("language", flat=True)
    )
    assert {"en", "fr", "de", "it"} <= languages


def test_topic_unsubscribe_page_also_offers_everything(tenant_a):
    ada = person()
    tenant_a.client().post(path_of(links.optin_url(ada, source="rejection")), _optin_form())
    page = tenant_a.client().get(path_of(links.unsubscribe_url(ada, topic="events")))
    everything = page.context["all_token"]
    assert b"Unsubscribe from all our emails" in page.content
    tenant_a.client().post(f"/c/u/{everything}/")
    assert active_purposes(ada) == {Purpose.TALENT_POOL}


def test_pages_speak_the_candidates_language(tenant_a):
    from consent.services import profile_language_set

    ada = person(first_name="Ada")
    profile_language_set(candidate=ada, language="fr")
    client = tenant_a.client()
    optin = client.get(path_of(links.optin_url(ada, source="rejection"))).content.decode()
    assert "Restons en contact, Ada" in optin
    assert '<html lang="fr">' in optin
    assert "Conserver mon profil dans le vivier de talents" in optin  # the French consent text
    assert "Chaque semaine" in optin
    unsubscribe = client.get(path_of(links.unsubscribe_url(ada, topic="events"))).content.decode()
    assert "Ne plus recevoir : invitations aux événements ?" in unsubscribe
    # Nothing leaks into the next request: a person without a language gets the company's.
    bob = person()
    assert b"Stay in touch" in client.get(path_of(links.optin_url(bob, source="x"))).content


def test_public_pages_follow_the_browser_language(tenant_a):
    page = tenant_a.client().get("/c/join/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert "Treten Sie unserem Talentpool bei" in page.content.decode()
    assert "Wir speichern Ihr Profil" in page.content.decode()  # the German consent text
    bad = tenant_a.client().get("/c/p/nonsense/", HTTP_ACCEPT_LANGUAGE="it")
    assert "Questo link non è valido" in bad.content.decode()
