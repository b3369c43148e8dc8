"""The main staff screens in French, in a real Chromium: a recruiter whose profile says French
signs in and walks the dashboard, candidates, a candidate, pools, campaigns, sent mail, settings
and integrations. Headings and navigation are French, and no English string of the translation
catalogues (config.catalogues.CATALOGUES, read from their .po files) is left on any of them.

A page belongs to an app; while that app's staff catalogue does not exist yet, only the shared
chrome (top bar) of its page is checked, so the check widens by itself as catalogues are added."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from config.catalogues import CATALOGUES, ROOT
from tests.candidates import factories as f
from tests.i18n.leftovers import english_strings, leftovers

pytestmark = pytest.mark.e2e

TRANSLATED_APPS = {c.directory.parent.name for c in CATALOGUES if c.directory != ROOT / "locale"}
# Dashboard panels by the app that registers them.
PANEL_APPS = {
    "mailing": "mailing",
    "integrations": "integrations",
    "pools": "pools",
    "feedback": "feedback",
    "campaigns": "campaigns",
    "consent_requests": "consent",
}
# What a reader sees on the page: its text and the attributes read aloud or shown on hover,
# without code samples and without the regions `skip` names.
_VISIBLE_TEXT = """(skip) => {
  const body = document.body.cloneNode(true);
  for (const selector of ["script", "style", "code", "pre", "iframe", ...skip]) {
    body.querySelectorAll(selector).forEach((node) => node.remove());
  }
  const attributes = [];
  body.querySelectorAll("[title], [aria-label], [placeholder], [alt]").forEach((node) => {
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
      if (node.getAttribute(name)) attributes.push(node.getAttribute(name));
    }
  });
  document.body.appendChild(body);
  body.style.display = "block";
  const text = body.innerText;
  body.remove();
  return text + "\\n" + attributes.join("\\n");
}"""


def _skip_for(app: str) -> list[str]:
    """The regions not checked yet: a page's main content while its app is untranslated, and
    dashboard panels of untranslated apps."""
    skip = [] if app in TRANSLATED_APPS else ["main"]
    skip += [f"#panel-{key}" for key, owner in PANEL_APPS.items() if owner not in TRANSLATED_APPS]
    return skip


@pytest.fixture
def french_recruiter(site):  # type: ignore[no-untyped-def]
    site.world.activate()
    user = site.world.hr_admin
    user.language = "fr"
    user.save(update_fields=["language"])
    candidate = f.candidate(first_name="Ada", last_name="Lovelace", profession="Ingénieure")
    return user, candidate


def test_a_french_recruiter_sees_the_staff_screens_in_french(site, page, french_recruiter):
    user, candidate = french_recruiter
    english = english_strings("fr")
    assert len(english) > 300  # read from the catalogues, not a hand-made list
    site.login(page, user)
    nav = page.get_by_role("navigation", name="Principale")
    for label in ["Tableau de bord", "Candidats", "Viviers", "Campagnes", "Paramètres"]:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    walk = [
        ("/", "accounts", "Tableau de bord"),
        ("/candidates/", "candidates", None),
        (f"/candidates/{candidate.pk}/", "candidates", None),
        ("/pools/", "pools", None),
        ("/campaigns/", "campaigns", None),
        ("/mail/", "mailing", "E-mails envoyés"),
        ("/mail/templates/", "mailing", "Modèles d'e-mail"),
        ("/accounts/settings/", "accounts", "Paramètres"),
        ("/accounts/settings/users/", "accounts", "Utilisateurs"),
        ("/accounts/settings/sign-in/", "accounts", "Paramètres"),
        ("/accounts/settings/audit-log/", "accounts", "Journal d'audit"),
        ("/accounts/profile/", "accounts", "Votre profil"),
        ("/accounts/two-factor/", "accounts", "Connexion à deux facteurs"),
        ("/integrations/keys/", "integrations", "Intégrations : clés API"),
        ("/integrations/webhooks/", "integrations", "Intégrations : webhooks"),
        ("/integrations/ats/", "integrations", "Intégrations : connecteurs ATS"),
        ("/integrations/replies/", "integrations", "Réponses"),
    ]
    # What the page shows as it was entered: people's names and addresses, the company's name.
    data = [site.world.tenant.name, candidate.full_name]
    for person in (site.world.hr_admin, site.world.recruiter):
        data += [person.email, person.full_name]
    found: dict[str, list[str]] = {}
    for path, app, heading in walk:
        response = page.goto(site.url(path))
        assert response is not None and response.status == 200, path
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        text = page.evaluate(_VISIBLE_TEXT, _skip_for(app))
        assert "Se déconnecter" in text, path  # the chrome is checked on every page
        left = leftovers(text, english, data)
        if left:
            found[path] = left
    assert not found, "\n".join(f"{path}: {left}" for path, left in found.items())
    assert site.foreign_requests() == []
