"""Every template of every catalogue (config.catalogues.CATALOGUES) has no visible text outside
a translate tag (tests/i18n/template_lint.py says what counts as visible), so a new sentence
written in English only fails `make test` instead of reaching a French recruiter.

A catalogue's templates are linted as soon as CATALOGUES lists it. To lint templates that
belong to no catalogue, add them to EXTRA_TEMPLATES."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.catalogues import CATALOGUES, ROOT
from tests.i18n.template_lint import untranslated

TEMPLATE_SUFFIXES = {".html", ".txt"}
# Directories or files (relative to the project root) linted beyond the catalogues' templates.
EXTRA_TEMPLATES: tuple[str, ...] = ()
# Written the same in every language: brand names, acronyms, units. Matched as whole words.
ALLOWED = (
    "API",
    "ATS",
    "CSV",
    "CV",
    "HTTP",
    "JSON",
    "OpenID Connect",
    "PDF",
    "Talent CRM",
    "URL",
    "ms",
)
# Known leftovers in templates another branch owns, with who fixes them: delete the line then.
PENDING: dict[str, str] = {
    "templates/consent/public/base.html": 'i16f: aria-label="Company"',
}


def linted_templates() -> list[Path]:
    found: dict[Path, None] = {}
    for catalogue in CATALOGUES:
        for path in catalogue.files():
            if path.suffix in TEMPLATE_SUFFIXES:
                found[path] = None
    for entry in EXTRA_TEMPLATES:
        base = ROOT / entry
        for path in sorted(base.rglob("*")) if base.is_dir() else [base]:
            if path.suffix in TEMPLATE_SUFFIXES:
                found[path] = None
    return sorted(found)


@pytest.mark.parametrize("path", linted_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_visible_text_is_inside_a_translate_tag(path):
    leftovers = untranslated(path, allowed=ALLOWED, root=ROOT)
    if str(path.relative_to(ROOT)) in PENDING:
        assert leftovers, f"{path} is clean now: remove it from PENDING"
        return
    assert leftovers == [], "\n".join(map(str, leftovers))


def test_the_lint_sees_text_attributes_and_phrases_and_passes_translated_ones(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "{% load i18n %}\n"
        '<h1>{% translate "Users" %}</h1>\n'
        "<p>{% blocktranslate with n=count %}{{ n }} people{% endblocktranslate %}</p>\n"
        "{# a comment #}{% comment %}Also a comment{% endcomment %}\n"
        "<script>var words = 'not read';</script><code>webhook-id</code>\n"
        '<a href="{% url "x" %}" title="Open it">→</a>\n'
        "<p>Talent CRM · API</p>\n"
        "<p>Invite a user</p>\n"
        '<input type="submit" value="Send">\n'
        '<button name="action" value="save">{% translate "Save" %}</button>\n'
        '{{ name|default:"No name" }} {{ name|default:_("No name") }}\n'
    )
    found = [(u.line, u.text) for u in untranslated(page, allowed=ALLOWED)]
    assert found == [(6, "Open it"), (8, "Invite a user"), (9, "Send"), (11, "No name")]
