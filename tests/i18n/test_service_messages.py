"""A refusal from the service layer reaches staff in their own language (the request's), not in
the English it is written in; the API keeps English (tests/integrations/test_api_language.py)."""

from __future__ import annotations

import html

from accounts.models import User


def _speaks(user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def _add_stage(client, name: str) -> str:  # type: ignore[no-untyped-def]
    page = client.post("/candidates/stages/", {"action": "add", "name": name}, follow=True)
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def test_a_duplicate_stage_is_refused_in_the_readers_language(tenant_a):
    world = tenant_a
    french = world.client(_speaks(world.hr_admin, "fr"))
    _add_stage(french, "Assessment")
    page = _add_stage(french, "assessment")
    assert "Il existe déjà une étape nommée « assessment »." in page
    assert "There is already a stage called" not in page

    english = world.client(_speaks(world.hr_admin, "en"))
    page = _add_stage(english, "Assessment")
    assert "There is already a stage called “Assessment”." in page
