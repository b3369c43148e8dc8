"""Every email kind, candidate page and PDF, produced in French, German and Italian through the
real paths (tests/i18n/artefacts.py), must not contain a word of English:

1. no English string of the catalogue (its msgids, read from locale/<lang>/django.po, not a
   hand-made list) appears where that language has another word for it;
2. no English line of the built-in texts (email templates, rejection emails, digests, reason
   wordings, which live per language in code) appears;
3. nothing the product wrote is the same in English and in the other language: the same
   artefact is produced in English too, and a line found in both, once the person's and the
   company's own values are taken out, is a string nobody translated (or forgot to wrap).

Proper nouns and brand names that are the same in every language are allowed by `ALLOWED`."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings

from config.catalogues import CANDIDATE, read
from consent.registrations import TEMPLATE_KINDS
from feedback.defaults import DEFAULT_REASONS, DEFAULT_TEMPLATES
from mailing.catalog import template_kinds
from tests.i18n.artefacts import DATA, artefacts

LANGUAGES = ("fr", "de", "it")
# Words that are the same everywhere: names of things, not words to translate.
ALLOWED = {"CV", "PDF", "JSON", "SQL", "Python", "IP"}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|<[^>]+>|\{\{[^}]*\}\}|\[|\]\([^)]*\)|\*\*")
_URL_OR_MAIL = re.compile(r"https?://\S+|<https?://[^>]*>|\S+@\S+")
_WORD = re.compile(r"[^\W\d_]{3,}")


@pytest.fixture(autouse=True)
def _mail(settings):  # type: ignore[no-untyped-def]
    settings.SITE_SCHEME = "https"
    settings.MAILING_RATE_PER_TENANT = 0
    settings.MAILING_RATE_GLOBAL = 0


def _fragments(english: str) -> list[str]:
    """The literal pieces of a string around its placeholders, markup and merge tags."""
    return [
        " ".join(piece.split())
        for piece in _PLACEHOLDER.split(english)
        if len(_WORD.findall(piece)) >= 1 and len(piece.strip()) >= 3
    ]


def english_strings(language: str) -> list[str]:
    """Catalogue msgids whose translation differs and whose words are not words of this
    language too (Italian "Data" translates "Date": it is no English leftover)."""
    po = read(CANDIDATE, language)
    translated_words: set[str] = set()
    pairs = []
    for message in po:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for english, translation in zip(ids, strings, strict=False):
            translated_words.update(" ".join(translation.split()) for translation in strings)
            pairs.append((english, translation))
    # A single word the language's own built-in texts use is a word of that language too:
    # German greets with "Guten Tag", Italian says "Open day" (the staff labels "Tag" and
    # "Open" of candidates/models.py share the catalogue).
    vocabulary = {w for text in builtin_texts(language) for w in _WORD.findall(text)}
    found = []
    for english, translation in pairs:
        if " ".join(english.split()) == " ".join(translation.split()):
            continue
        found += [
            f
            for f in _fragments(english)
            if f not in translated_words and not (" " not in f and f in vocabulary)
        ]
    return sorted(set(found))


def builtin_texts(language: str) -> list[str]:
    """The built-in texts HR can edit, as written in `language` (kept per language in code)."""
    from campaigns.defaults import SUBJECTS, builtin_template
    from consent.defaults import TEXT_DEFAULTS

    texts: list[str] = []
    for (_group, lang), pair in DEFAULT_TEMPLATES.items():
        if lang == language:
            texts += list(pair)
    for by_language in TEXT_DEFAULTS.values():
        texts += list(by_language.get(language, ()))
    for topic in SUBJECTS:
        texts += list(builtin_template(topic, language) or ())
    return texts


def builtin_english_lines() -> list[str]:
    """Sentences of the built-in English texts that HR can edit (kept per language in code)."""
    sources: list[str] = []
    for kind in template_kinds():
        sources += [kind.default_subject, kind.default_body]
    for (_group, language), (subject, body) in DEFAULT_TEMPLATES.items():
        if language == "en":
            sources += [subject, body]
    for _key, _category, _label, wording, tip in DEFAULT_REASONS:
        sources += [wording, tip]
    from campaigns.defaults import SUBJECTS, builtin_template

    for topic in SUBJECTS:
        sources += list(builtin_template(topic, "en") or ())
    lines = []
    for source in sources:
        for line in re.split(r"\n+|(?<=[.:!?])\s+", source):
            lines += [f for f in _fragments(line) if len(f.split()) >= 3]
    assert len(TEMPLATE_KINDS) >= 4  # consent's kinds are registered
    return sorted(set(lines))


def _leftovers(text: str, strings: list[str]) -> list[str]:
    flat = " ".join(text.split())
    return [
        s for s in strings if s not in ALLOWED and re.search(rf"(?<!\w){re.escape(s)}(?!\w)", flat)
    ]


def _product_words(line: str) -> list[str]:
    for value in sorted(DATA, key=len, reverse=True):
        line = line.replace(value, " ")
    line = _URL_OR_MAIL.sub(" ", line)
    return [w for w in _WORD.findall(line) if w not in ALLOWED]


def _lines(text: str) -> set[str]:
    return {" ".join(line.split()) for line in text.splitlines() if line.strip()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_page_and_pdf_is_in_the_readers_language(tenant_a, language, fresh_form_limits):
    produced = artefacts(tenant_a, language)
    english = artefacts(tenant_a, "en")
    assert set(produced) == set(english) and len(produced) >= 35
    catalogue = english_strings(language)
    assert len(catalogue) > 150  # derived from the catalogue, not an empty list
    builtin = builtin_english_lines()
    problems = []
    for what, text in produced.items():
        for leftover in _leftovers(text, catalogue):
            problems.append(f"{what}: English catalogue string {leftover!r}")
        for leftover in _leftovers(text, builtin):
            problems.append(f"{what}: English built-in text {leftover!r}")
        for line in sorted(_lines(text) & _lines(english[what])):
            if len(_product_words(line)) >= 2:
                problems.append(f"{what}: the same in English: {line!r}")
    assert problems == [], "\n".join(problems)


def test_the_checks_see_english_when_there_is_some(tenant_a, fresh_form_limits):
    """The three checks above are not blind: English output fails each of them."""
    english = artefacts(tenant_a, "en")
    french_strings = english_strings("fr")
    assert _leftovers(english["preference centre"], french_strings)
    assert _leftovers(english["rejection email (automatic)"], builtin_english_lines())
    assert len(_product_words("Your application for Analyste SQL was received.")) >= 2
    assert _product_words("Chloé Moreau · Lyon") == []
    assert "fr" in dict(django_settings.LANGUAGES)
