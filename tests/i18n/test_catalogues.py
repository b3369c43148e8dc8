"""The translation catalogue is complete and current (this runs in `make test`), its check
sees each kind of problem, the compiled catalogue is what Django reads, and the built-in texts
kept per language in code exist in every language with the same merge tags."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from django.conf import settings
from django.utils import translation

from campaigns.defaults import SUBJECTS, builtin_template
from config.catalogues import (
    CATALOGUES,
    TRANSLATED,
    Catalogue,
    compile_all,
    disagreements,
    problems,
    shared_sources,
)
from feedback.defaults import DEFAULT_REASONS, DEFAULT_TEMPLATES, REASON_TRANSLATIONS
from mailing.catalog import template_kinds

TAG = re.compile(r"\{\{\s*(\w+)\s*\}\}")
OTHERS = [code for code, _ in settings.LANGUAGES if code != "en"]


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda catalogue: catalogue.name)
def test_every_catalogue_is_complete_and_current(catalogue):
    """Every translatable string of the catalogue's sources is in each .po, translated, not
    fuzzy, with the same placeholders; no entry is left that no source uses."""
    assert problems(catalogue) == []
    assert set(TRANSLATED) == set(OTHERS)


def test_each_source_file_belongs_to_one_catalogue_and_shared_words_agree():
    """Django merges the catalogues into one per language: a msgid two catalogues translate
    differently would show one of them, chosen by precedence, not by anyone."""
    assert shared_sources() == []
    assert disagreements() == []
    assert {"candidate", "accounts", "mailing", "tenants", "integrations"} <= {
        catalogue.name for catalogue in CATALOGUES
    }


def test_sharing_and_disagreement_are_seen(tmp_path):
    (tmp_path / "a.html").write_text('{% load i18n %}{% translate "Save" %}')
    one = Catalogue(name="one", directory=tmp_path / "one", sources=("a.html",), root=tmp_path)
    two = Catalogue(name="two", directory=tmp_path / "two", sources=("*.html",), root=tmp_path)
    assert shared_sources([one, two]) == ["a.html: in both 'one' and 'two'"]
    for catalogue, word in ((one, "Enregistrer"), (two, "Sauvegarder")):
        po = Catalog(locale="fr", domain="django")
        po.add("Save", word)
        path = catalogue.po_path("fr")
        path.parent.mkdir(parents=True)
        with path.open("wb") as handle:
            write_po(handle, po)
    assert disagreements([one, two], ["fr"]) == [
        "fr: 'Save' is 'Enregistrer' in 'one' but 'Sauvegarder' in 'two'"
    ]


def test_every_staff_catalogue_is_found_by_django():
    """A staff catalogue lives in an installed app's locale/ (or in LOCALE_PATHS): anywhere
    else Django would never read it."""
    from django.apps import apps

    places = {Path(app.path) / "locale" for app in apps.get_app_configs()}
    places |= {Path(path) for path in settings.LOCALE_PATHS}
    for catalogue in CATALOGUES:
        assert catalogue.directory in places, catalogue.name


def _catalogue(tmp_path: Path, template: str, entries: dict[str, tuple[str, bool]]) -> Catalogue:
    (tmp_path / "page.html").write_text(template)
    catalogue = Catalogue(
        name="t", directory=tmp_path / "locale", sources=("page.html",), root=tmp_path
    )
    for language in TRANSLATED:
        po = Catalog(locale=language, domain="django")
        for msgid, (msgstr, fuzzy) in entries.items():
            po.add(msgid, msgstr, flags=("fuzzy",) if fuzzy else ())
        path = catalogue.po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, po)
    return catalogue


@pytest.mark.parametrize(
    ("template", "entries", "expected"),
    [
        (
            '{% load i18n %}{% translate "Hello" %}{% translate "New words" %}',
            {"Hello": ("Bonjour", False)},
            "stale, no entry for 'New words'",
        ),
        ('{% load i18n %}{% translate "Hello" %}', {"Hello": ("", False)}, "untranslated 'Hello'"),
        ('{% load i18n %}{% translate "Hello" %}', {"Hello": ("Bonjour", True)}, "fuzzy 'Hello'"),
        (
            '{% load i18n %}{% translate "Hello" %}',
            {"Hello": ("Bonjour", False), "Gone": ("Parti", False)},
            "obsolete entry 'Gone'",
        ),
        (
            "{% load i18n %}{% blocktranslate with name=n %}Hi {{ name }}{% endblocktranslate %}",
            {"Hi %(name)s": ("Salut %(nom)s", False)},
            "placeholders of 'Hi %(name)s' differ",
        ),
    ],
)
def test_the_check_sees_stale_obsolete_untranslated_fuzzy_and_broken_entries(
    tmp_path, template, entries, expected
):
    found = problems(_catalogue(tmp_path, template, entries))
    assert any(expected in problem for problem in found), found


def test_the_check_passes_a_good_catalogue_and_compiling_writes_what_gettext_reads(tmp_path):
    catalogue = _catalogue(
        tmp_path, '{% load i18n %}{% translate "Hello" %}', {"Hello": ("Bonjour", False)}
    )
    assert problems(catalogue) == []
    assert compile_all([catalogue]) == len(TRANSLATED)
    assert compile_all([catalogue]) == 0  # up to date: nothing rewritten
    mo = catalogue.po_path("fr").with_suffix(".mo")
    with mo.open("rb") as handle:
        assert gettext.GNUTranslations(handle).gettext("Hello") == "Bonjour"


def test_django_reads_the_compiled_project_and_app_catalogues():
    for language, expected, staff in (
        ("fr", "Postes ouverts", "Tableau de bord"),
        ("de", "Offene Stellen", "Übersicht"),
        ("it", "Posizioni aperte", "Cruscotto"),
    ):
        with translation.override(language):
            assert translation.gettext("Open positions") == expected
            assert translation.gettext("Sign out") != "Sign out"
            assert translation.gettext("Dashboard") == staff


def _tags(text: str) -> set[str]:
    return set(TAG.findall(text))


def test_built_in_email_templates_exist_in_every_language_with_the_same_tags():
    for kind in template_kinds():
        for language in OTHERS:
            builtin = kind.builtin(language)
            assert builtin is not None, (kind.key, language)
            assert _tags(builtin[0]) == _tags(kind.default_subject), (kind.key, language)
            assert _tags(builtin[1]) == _tags(kind.default_body), (kind.key, language)


def test_built_in_rejection_emails_digests_and_reasons_exist_in_every_language():
    for group in {group for group, _ in DEFAULT_TEMPLATES}:
        subject, body = DEFAULT_TEMPLATES[(group, "en")]
        for language in OTHERS:
            other_subject, other_body = DEFAULT_TEMPLATES[(group, language)]
            assert _tags(other_subject) == _tags(subject) and _tags(other_body) == _tags(body)
    for topic in SUBJECTS:
        english = builtin_template(topic, "en")
        for language in OTHERS:
            other = builtin_template(topic, language)
            assert english and other, (topic, language)
            assert [_tags(t) for t in other] == [_tags(t) for t in english], (topic, language)
    for key, _category, _label, _wording, tip in DEFAULT_REASONS:
        for language in OTHERS:
            wording, other_tip = REASON_TRANSLATIONS[key][language]
            assert wording and bool(other_tip) == bool(tip), (key, language)
