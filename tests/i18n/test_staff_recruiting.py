"""The recruiting screens (candidates, positions, board, import, pools, tagging rules, campaigns,
nurture operations, insights) in the staff member's own language.

A recruiter whose profile says French (German, Italian) gets every one of these pages in that
language: no English string of the candidates, pools or campaigns catalogue (read from their
.po files, not a hand-made list) is left in the page's content, and a few words we know are
there. Counts agree with their number, dates are written the local way, messages after an
action and CSV headers follow the reader too; an English reader still gets English."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import translation
from django.utils.formats import date_format

from campaigns.services import campaign_create
from candidates.criteria import CriteriaForm
from candidates.models import Application, Stage
from candidates.pipeline import application_create
from config.catalogues import CAMPAIGNS, CANDIDATES_STAFF, POOLS
from pools.models import PoolKind
from pools.services import pool_members_add, pool_save
from tests.campaigns.helpers import content_item, make_candidate, open_position
from tests.i18n.artefacts import visible_text
from tests.i18n.leftovers import english_strings as shared_english_strings
from tests.i18n.leftovers import leftovers as shared_leftovers

LANGUAGES = ("fr", "de", "it")
STAFF_CATALOGUES = (CANDIDATES_STAFF, POOLS, CAMPAIGNS)
# What the people and the company typed (names, titles): never the product's words.
DATA = ["Zoé Lefèvre", "Zoé", "Lefèvre", "Jörg Brandt", "Jörg", "Brandt", "Analyste données"]
# Words that are the same in every language.
ALLOWED = {"CSV", "XLSX", "PDF", "CV", "API", "Python", "SQL", "Markdown", "UTF-8", "Latin-1"}
_MAIN = re.compile(r"<main\b.*?</main>", re.DOTALL)


def english_strings(language: str) -> list[str]:
    """The English of the recruiting catalogues (tests/i18n/leftovers.py), minus the words
    every language writes the same."""
    return [s for s in shared_english_strings(language, STAFF_CATALOGUES) if s not in ALLOWED]


def leftovers(page: str, strings: list[str], data: list[str]) -> list[str]:
    """Catalogue English found in the page's own content (the shared header is not ours),
    timeline included: its entries are codes read in the reader's language."""
    main = _MAIN.search(page)
    return shared_leftovers(visible_text(main.group(0) if main else page), strings, data)


@pytest.fixture
def world(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        zoe = make_candidate(
            "zoe@example.com",
            first_name="Zoé",
            last_name="Lefèvre",
            skills=["Python"],
            topics={"events": None},
            country="FR",
            profession="Analyste données",
        )
        jorg = make_candidate("jorg@example.com", first_name="Jörg", last_name="Brandt")
        position = open_position("Analyste données", skills=["Python"])
        application, _created = application_create(candidate=zoe, position=position, actor=None)
        criteria = CriteriaForm({"skills_all": "Python"})
        assert criteria.is_valid(), criteria.errors
        smart = pool_save(
            actor=None, name="Vivier Python", kind=PoolKind.SMART, criteria=criteria.active()
        )
        static = pool_save(actor=None, name="Équipe", kind=PoolKind.STATIC)
        pool_members_add(actor=None, pool=static, candidates=[zoe.pk, jorg.pk])
        item = content_item("events", "Soirée", event_place="Lyon")
        campaign = campaign_create(
            name="Soirée", subject="Soirée", item=item, pool=smart, actor=tenant_a.hr_admin
        )
    return {
        "zoe": zoe,
        "position": position,
        "application": application,
        "smart": smart,
        "static": static,
        "item": item,
        "campaign": campaign,
    }


def _pages(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    zoe, position = world["zoe"], world["position"]
    return {
        "candidate list": "/candidates/",
        "candidate page": f"/candidates/{zoe.pk}/",
        "candidate form": f"/candidates/{zoe.pk}/edit/",
        "positions": "/candidates/positions/",
        "position": f"/candidates/positions/{position.pk}/",
        "board": f"/candidates/positions/{position.pk}/board/",
        "position form": f"/candidates/positions/{position.pk}/edit/",
        "stages": "/candidates/stages/",
        "import": "/candidates/import/",
        "pools": "/pools/",
        "smart pool": f"/pools/{world['smart'].pk}/",
        "static pool": f"/pools/{world['static'].pk}/",
        "pool form": f"/pools/{world['smart'].pk}/edit/",
        "tagging rules": "/pools/rules/",
        "new rule": "/pools/rules/new/",
        "campaigns": "/campaigns/",
        "campaign": f"/campaigns/{world['campaign'].pk}/",
        "new campaign": "/campaigns/new/",
        "content library": "/campaigns/content/",
        "content form": f"/campaigns/content/{world['item'].pk}/",
        "topics": "/campaigns/topics/",
        "nurture operations": "/campaigns/nurture/",
        "insights": "/campaigns/insights/",
    }


def _as(tenant_a, language: str):  # type: ignore[no-untyped-def]
    user = tenant_a.hr_admin
    user.language = language
    user.save(update_fields=["language"])
    return tenant_a.client(user)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_recruiting_screen_is_in_the_staff_members_language(tenant_a, world, language):
    client = _as(tenant_a, language)
    strings = english_strings(language)
    assert len(strings) > 300  # read from the catalogues, not an empty list
    # The company's pipeline stages are its own data (written in its language, here English).
    data = [*DATA, *Stage.objects.values_list("name", flat=True)]
    found = {}
    for name, url in _pages(world).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        left = leftovers(response.content.decode(), strings, data)
        if left:
            found[name] = left
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_check_sees_the_english_of_an_english_page(tenant_a, world):
    """The finder above, able to fail: the same screens read in English are full of it."""
    client = _as(tenant_a, "en")
    strings = english_strings("fr")
    pages = _pages(world)
    for name in ("candidate list", "pools", "campaigns"):
        assert len(leftovers(client.get(pages[name]).content.decode(), strings, DATA)) > 5, name


EXPECTED = {
    # page: words the page must show, per language
    "candidate list": {
        "fr": "Ajouter un candidat",
        "de": "Kandidaten hinzufügen",
        "it": "Aggiungi un candidato",
    },
    "pools": {
        "fr": "Nouveau vivier dynamique",
        "de": "Neuer dynamischer Talentpool",
        "it": "Nuovo bacino dinamico",
    },
    "smart pool": {
        "fr": "Filtrer les membres",
        "de": "Mitglieder filtern",
        "it": "Filtra i membri",
    },
    "board": {"fr": "Déplacer vers…", "de": "Verschieben nach…", "it": "Sposta in…"},
    "campaigns": {"fr": "Nouvelle campagne", "de": "Neue Kampagne", "it": "Nuova campagna"},
    "insights": {
        "fr": "Taux de consentement",
        "de": "Einwilligungsquote",
        "it": "Tasso di consenso",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_known_words_are_there_and_english_is_not(tenant_a, world, language):
    client = _as(tenant_a, language)
    pages = _pages(world)
    for page, words in EXPECTED.items():
        text = visible_text(client.get(pages[page]).content.decode())
        assert words[language] in text, (page, language)
    english = _as(tenant_a, "en")
    text = visible_text(english.get(pages["candidate list"]).content.decode())
    assert "Add a candidate" in text


def test_counts_agree_with_their_number(tenant_a, world):
    client = _as(tenant_a, "fr")
    one = visible_text(client.get("/candidates/?q=Zoé").content.decode())
    assert re.search(r"\b1 candidat\b", one)
    two = visible_text(client.get("/candidates/").content.decode())
    assert re.search(r"\b2 candidats\b", two)
    pool = visible_text(client.get(f"/pools/{world['static'].pk}/").content.decode())
    assert "2 affichés" in " ".join(pool.split())


def test_dates_are_written_the_readers_way(tenant_a, world):
    applied = dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC)
    Application.objects.filter(pk=world["application"].pk).update(applied_at=applied)
    for language, month in (("fr", "février"), ("de", "februar"), ("it", "febbraio")):
        client = _as(tenant_a, language)
        text = visible_text(
            client.get(f"/candidates/positions/{world['position'].pk}/").content.decode()
        )
        with translation.override(language):
            expected = date_format(applied, "DATE_FORMAT")
        assert expected in text and month in expected.lower()
        assert "Feb " not in text and "February" not in text


def test_messages_after_an_action_follow_the_reader(tenant_a, world):
    client = _as(tenant_a, "de")
    response = client.post(
        f"/candidates/{world['zoe'].pk}/notes/", {"body": "Gutes Gespräch"}, follow=True
    )
    assert "Notiz hinzugefügt." in response.content.decode()
    response = client.post(
        f"/pools/{world['static'].pk}/add/", {"emails": "nobody@example.com"}, follow=True
    )
    page = response.content.decode()
    assert "0 neue Mitglieder hinzugefügt." in page
    assert "1 Adresse passt zu keinem Kandidaten" in page


def test_csv_headers_follow_the_reader(tenant_a, world):
    """The rows stream after the view returned (the request's language is gone by then): the
    header is made in the reader's language all the same."""
    client = _as(tenant_a, "it")
    for url in ("/candidates/export.csv", f"/pools/{world['static'].pk}/export.csv"):
        response = client.get(url)
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(body)))
        assert header[:3] == ["Nome", "Cognome", "E-mail"], url
    english = _as(tenant_a, "en").get("/candidates/export.csv")
    body = b"".join(english.streaming_content).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(body)))[:2] == ["First name", "Last name"]


def test_insights_pdf_is_in_the_readers_language(tenant_a, world):
    from tests.i18n.artefacts import pdf_text

    client = _as(tenant_a, "fr")
    response = client.get("/campaigns/insights/report.pdf")
    assert response.status_code == 200
    text = " ".join(pdf_text(response.content).split())
    assert "Analyses des talents" in text and "Taux de consentement" in text
    assert "Talent insights" not in text and "Opt-in rate" not in text
