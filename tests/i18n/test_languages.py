"""One language per candidate, read the same way by every email, page and PDF; tenant-edited
content per language with one fallback chain (reader → company default → English); editors
that say which languages are missing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from campaigns.defaults import template_for, topics_install_defaults
from campaigns.digest import items_digest
from campaigns.models import ContentItem, TopicSchedule, TopicTemplate
from candidates.i18n import candidate_language
from consent import links
from consent.models import ConsentText, Purpose
from consent.notifications import fresh_link_send
from consent.selectors import texts_current
from consent.services import consent_text_publish, profile_language_set
from feedback.configuration import reason_save
from feedback.models import RejectionReason
from feedback.services import application_reject
from mailing.models import Message
from mailing.services import email_template_render, email_template_save
from tenants.i18n import language_chain, missing_languages, pick_language
from tests.campaigns.helpers import make_candidate, paris
from tests.feedback.helpers import application_at, reasons


@pytest.fixture
def german_company(tenant_a):  # type: ignore[no-untyped-def]
    tenant_a.tenant.default_language = "de"
    tenant_a.tenant.save(update_fields=["default_language"])
    return tenant_a


def test_the_chain_is_reader_then_company_then_english(german_company):
    assert language_chain("it") == ("it", "de", "en")
    assert language_chain("") == ("de", "en")
    assert language_chain("xx") == ("de", "en")  # not a language we speak
    assert pick_language({"fr", "en"}, "it") == "en"
    assert pick_language({"fr", "de"}, "it") == "de"
    assert pick_language({"fr"}, "it") == "fr"  # whatever exists, rather than nothing
    assert pick_language(set(), "it") is None
    assert missing_languages(["en", "de"]) == ["fr", "it"]


def test_the_preference_centres_choice_is_the_language_of_everything(tenant_a, settings):
    """The preference centre's choice used to live beside the candidate's language, and the
    rejection email read only the latter."""
    settings.SITE_SCHEME = "https"
    application = application_at("applied", language="fr")
    candidate = application.candidate
    page = tenant_a.client().post(
        reverse("consent:preferences", args=[links.preferences_url(candidate).split("/")[-2]]),
        {"language": "de"},
    )
    assert page.status_code == 200
    candidate.refresh_from_db()
    assert candidate.preferred_language == "de" and candidate_language(candidate) == "de"
    rejection = application_reject(application=application, actor=tenant_a.recruiter, reasons=[])
    assert Message.objects.get(pk=rejection.message_id).text.startswith("Guten Tag")
    assert "Hallo" in fresh_link_send(candidate=candidate).text
    # "Same as the company's": the company's language, whatever it is.
    profile_language_set(candidate=candidate, language="")
    assert candidate_language(candidate) == "en"


def test_a_candidate_without_a_preference_reads_the_companys_language(german_company):
    application = application_at("applied")
    rejection = application_reject(
        application=application, actor=german_company.recruiter, reasons=reasons("salary")
    )
    message = Message.objects.get(pk=rejection.message_id)
    assert rejection.language == "de"
    assert "Wir konnten Ihren Gehaltsvorstellungen" in message.text  # the reason, in German
    assert '<html lang="de">' in message.html


def test_reason_wording_falls_back_reader_company_english(german_company):
    reason = reason_save(
        actor=german_company.hr_admin,
        category="we_decided",
        label="Portfolio",
        candidate_wording="Your portfolio did not show the projects we need.",
        tip="Show two recent projects.",
        language="en",
        translations={"fr": {"wording": "Votre portfolio ne montrait pas les projets attendus."}},
    )
    assert reason.text_in("fr") == ("Votre portfolio ne montrait pas les projets attendus.", "")
    assert reason.text_in("it")[0].startswith("Your portfolio")  # no it, no de: English
    reason_save(
        actor=german_company.hr_admin,
        reason=reason,
        category="we_decided",
        label="Portfolio",
        candidate_wording=reason.candidate_wording,
        tip=reason.tip,
        translations={
            "fr": {"wording": "Votre portfolio ne montrait pas les projets attendus."},
            "de": {"wording": "Ihr Portfolio zeigte nicht die Projekte, die wir brauchen."},
        },
    )
    reason.refresh_from_db()
    assert reason.text_in("it")[0].startswith("Ihr Portfolio")  # the company's language
    application = application_at("applied", language="it")
    rejection = application_reject(
        application=application, actor=german_company.recruiter, reasons=[reason]
    )
    assert "Ihr Portfolio" in Message.objects.get(pk=rejection.message_id).text


def test_default_reasons_come_in_every_language(tenant_a):
    for reason in RejectionReason.objects.filter(key__in=["skills-gap", "candidate-declined"]):
        assert set(reason.texts()) == {"en", "fr", "de", "it"}


def test_content_item_text_follows_the_chain(german_company):
    item = ContentItem.objects.create(
        topic="company_news",
        title="We moved",
        summary="New office.",
        language="en",
        translations={"de": {"title": "Wir sind umgezogen", "summary": "Neues Büro."}},
    )
    assert item.text_in("de") == ("Wir sind umgezogen", "Neues Büro.")
    assert item.text_in("it") == ("Wir sind umgezogen", "Neues Büro.")  # the company's
    assert item.text_in("en") == ("We moved", "New office.")
    digest = items_digest(
        template_body="{{ items }}",
        items=[item],
        language="it",
        base={},
        tz=dt.UTC,
    )
    assert digest.context["item_1_title"] == "Wir sind umgezogen"


def test_consent_wording_falls_back_to_the_companys_language(german_company):
    ConsentText.objects.filter(purpose=Purpose.EVENTS, language="it").delete()
    assert texts_current("it")[Purpose.EVENTS].language == "de"
    consent_text_publish(
        purpose=Purpose.EVENTS, language="it", title="Eventi", body="Inviti.", actor=None
    )
    assert texts_current("it")[Purpose.EVENTS].title == "Eventi"


def test_email_templates_are_hrs_in_that_language_else_ours_in_it(tenant_a):
    email_template_save(
        key="consent_fresh_link",
        language="fr",
        subject="Votre lien, {{ first_name }}",
        body="Bonjour {{ first_name }} : [ici]({{ link_url }})",
        actor=None,
    )
    french = email_template_render(
        key="consent_fresh_link", context={"first_name": "Ada"}, language="fr"
    )
    german = email_template_render(
        key="consent_fresh_link", context={"first_name": "Ada"}, language="de"
    )
    assert french.subject == "Votre lien, Ada"
    assert german.subject.startswith("Ihr Link") and '<html lang="de">' in german.html
    assert "E-Mail-Einstellungen" not in german.html  # no footer links on transactional mail


def test_digest_template_is_hrs_else_the_built_in_one(tenant_a):
    schedule = TopicSchedule.objects.get(topic="company_news")
    schedule.templates.all().delete()
    topics_install_defaults()  # what a new tenant gets: every language
    rows = {t.language: t for t in schedule.templates.all()}
    assert set(rows) == {"en", "fr", "de", "it"}
    TopicTemplate.objects.filter(schedule=schedule, language="it").delete()
    rows = {t.language: t for t in schedule.templates.all()}
    italian = template_for(rows, "company_news", "it")
    assert italian is not None and italian.pk is None and italian.language == "it"
    assert italian.subject.startswith("Novità")


def test_editors_say_which_languages_are_missing(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    reason_save(
        actor=tenant_a.hr_admin,
        category="we_decided",
        label="Portfolio",
        candidate_wording="Your portfolio did not show the projects we need.",
        language="en",
        translations={"fr": {"wording": "Votre portfolio ne montrait pas les projets attendus."}},
    )
    assert "missing: de, it" in client.get(reverse("feedback:reasons")).content.decode()
    ContentItem.objects.create(topic="company_news", title="We moved", language="en")
    assert "missing: fr, de, it" in client.get(reverse("campaigns:content")).content.decode()
    ConsentText.objects.filter(purpose=Purpose.EVENTS, language="it").delete()
    assert "missing: it" in client.get(reverse("consent:texts")).content.decode()
    email_template_save(
        key="recruiter_note", language="en", subject="Hi {{ first_name }}", body="Hi", actor=None
    )
    page = client.get(reverse("mailing:templates")).content.decode()
    assert "missing: fr, de, it" in page
    TopicTemplate.objects.filter(schedule__topic="events", language="de").delete()
    assert re.search(
        r"missing: [a-z, ]*\bde\b", client.get(reverse("campaigns:topics")).content.decode()
    )


def test_the_reason_editor_keeps_each_language(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    response = client.post(
        reverse("feedback:reasons"),
        {
            "category": "we_decided",
            "label": "Portfolio",
            "language": "en",
            "candidate_wording": "Your portfolio did not show the projects we need.",
            "tip": "",
            "order": 100,
            "is_active": "on",
            "wording_it": "Il portfolio non mostrava i progetti richiesti.",
            "tip_it": "Mostri due progetti recenti.",
            "tip_de": "Zeigen Sie zwei Projekte.",  # a tip without the wording: refused
        },
    )
    assert response.status_code == 200
    assert "A tip needs the wording in that language too." in response.content.decode()
    assert not RejectionReason.objects.filter(label="Portfolio").exists()
    client.post(
        reverse("feedback:reasons"),
        {
            "category": "we_decided",
            "label": "Portfolio",
            "language": "en",
            "candidate_wording": "Your portfolio did not show the projects we need.",
            "order": 100,
            "is_active": "on",
            "wording_it": "Il portfolio non mostrava i progetti richiesti.",
            "tip_it": "Mostri due progetti recenti.",
        },
    )
    reason = RejectionReason.objects.get(label="Portfolio")
    assert reason.translations == {
        "it": {
            "wording": "Il portfolio non mostrava i progetti richiesti.",
            "tip": "Mostri due progetti recenti.",
        }
    }


def test_a_content_item_in_the_readers_language_reaches_their_digest(tenant_a, settings):
    settings.SITE_SCHEME = "https"
    settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
    with time_machine.travel(paris(2026, 2, 2, 10, 0), tick=False):
        reader = make_candidate(
            "it@example.com", topics={"company_news": "monthly"}, preferred_language="it"
        )
        ContentItem.objects.create(
            topic="company_news",
            title="We moved",
            language="en",
            translations={"it": {"title": "Ci siamo trasferiti", "summary": ""}},
            publish_at=paris(2026, 2, 1, 9, 0),
        )
        from campaigns.sending import nurture_run

        nurture_run()
    text = Message.objects.get(candidate=reader).text
    assert "Ci siamo trasferiti" in text and "We moved" not in text


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "Postes ouverts"),
        ("ja, it;q=0.5", "Posizioni aperte"),
        ("ja", "Offene Stellen"),  # nothing we speak: the company's language
        ("", "Offene Stellen"),
    ],
)
def test_visitors_get_their_browsers_language_else_the_companys(german_company, accept, expected):
    client = german_company.client()
    page = client.get(reverse("candidates:jobs"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert expected in page


def test_the_sign_up_form_offers_the_pages_language_for_our_emails(tenant_a):
    page = tenant_a.client().get(reverse("consent:register"), HTTP_ACCEPT_LANGUAGE="it")
    assert '<option value="it" selected>' in page.content.decode()
