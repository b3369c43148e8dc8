"""Staff screens and staff emails in the reader's language: their own choice (profile), else the
company's default; never the previous request's, never a candidate's page turned into theirs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation

from accounts.models import User
from mailing.dispatch import outbox_dispatch
from mailing.kinds import MessageKind
from mailing.models import Message


@pytest.fixture
def german_company(tenant_a):  # type: ignore[no-untyped-def]
    tenant_a.activate()
    tenant_a.tenant.default_language = "de"
    tenant_a.tenant.sender_name = "Alpha Recruiting"
    tenant_a.tenant.sender_email = "jobs@alpha.example"
    tenant_a.tenant.save(update_fields=["default_language", "sender_name", "sender_email"])
    return tenant_a


def _heading(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"<h1>(.*?)</h1>", response.content.decode())
    assert match, response.content[:500]
    return match.group(1)


def _speaks(user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_each_user_reads_their_language_and_the_rest_the_companys(german_company):
    world = german_company
    french = world.client(_speaks(world.recruiter, "fr"))
    default = world.client(world.hr_admin)  # no choice of their own
    page = french.get("/")
    assert _heading(page) == "Tableau de bord" and '<html lang="fr">' in page.content.decode()
    assert "Se déconnecter" in page.content.decode()
    page = default.get("/")
    assert _heading(page) == "Übersicht" and '<html lang="de">' in page.content.decode()
    assert "Abmelden" in page.content.decode()
    # Signed out, the sign-in page speaks the company's language.
    assert "Passwort vergessen?" in world.client().get("/accounts/login/").content.decode()


def test_requests_alternating_on_one_thread_never_leak_a_language(german_company):
    """The test client serves every request on this thread: a language left active by one
    request would show in the next."""
    world = german_company
    italian = world.client(_speaks(world.recruiter, "it"))
    default = world.client(world.hr_admin)
    for _ in range(3):
        assert _heading(italian.get("/accounts/settings/audit-log/")) != "Audit log"
        assert _heading(italian.get("/")) == "Cruscotto"
        assert translation.get_language() == "en"  # deactivated after the request
        assert _heading(default.get("/")) == "Übersicht"
        assert _heading(default.get("/accounts/settings/audit-log/")) == "Audit-Protokoll"
        assert translation.get_language() == "en"


def test_candidate_pages_keep_the_candidates_language_for_a_signed_in_recruiter(
    german_company,
):
    french = german_company.client(_speaks(german_company.recruiter, "fr"))
    page = french.get("/candidates/jobs/", HTTP_ACCEPT_LANGUAGE="it")
    assert page.status_code == 200
    assert '<html lang="it">' in page.content.decode()


def test_the_profile_sets_the_language_and_refuses_an_unknown_one(german_company):
    world = german_company
    client = world.client(world.recruiter)
    page = client.get("/accounts/profile/")
    assert _heading(page) == "Ihr Profil"
    response = client.post(
        "/accounts/profile/", {"full_name": "Rita Recruiter", "language": "it", "signature": ""}
    )
    assert response.status_code == 302
    world.recruiter.refresh_from_db()
    assert world.recruiter.language == "it"
    page = client.get(response["Location"])
    assert _heading(page) == "Il suo profilo"
    assert "Il suo profilo è stato salvato." in page.content.decode()  # said in the new language
    refused = client.post("/accounts/profile/", {"full_name": "R", "language": "xx"})
    assert refused.status_code == 200 and "xx" in refused.content.decode()
    world.recruiter.refresh_from_db()
    assert world.recruiter.language == "it" and world.recruiter.full_name == "Rita Recruiter"
    # Back to "the company's language".
    client.post("/accounts/profile/", {"full_name": "Rita Recruiter", "language": ""})
    assert _heading(client.get("/accounts/profile/")) == "Ihr Profil"


def _sent_to(address: str):  # type: ignore[no-untyped-def]
    outbox_dispatch()
    found = [m for m in mail.outbox if m.to == [address]]
    assert len(found) == 1, [m.to for m in mail.outbox]
    return found[0]


def test_an_invitation_leaves_through_the_outbox_branded_in_the_companys_language(
    german_company, django_capture_on_commit_callbacks
):
    world = german_company
    hr = world.client(_speaks(world.hr_admin, "fr"))  # the inviter's language does not matter
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(
            "/accounts/settings/users/",
            {"email": "neu@alpha.example", "full_name": "Neu", "role": "recruiter"},
        )
    assert response.status_code == 302
    stored = Message.objects.get(to_email="neu@alpha.example")
    assert stored.kind == MessageKind.TRANSACTIONAL and stored.status == "queued"
    sent = _sent_to("neu@alpha.example")
    assert sent.from_email == "Alpha Recruiting <jobs@alpha.example>"
    html = dict((mime, body) for body, mime in sent.alternatives)["text/html"]
    assert '<html lang="de">' in html and "Passwort festlegen" in html
    assert "hat Sie als Recruiter in das Talent-CRM von Alpha Recruiting eingeladen" in sent.body
    link = re.search(r"https?://alpha\.localhost\S*/accounts/password-reset/\S+/", sent.body)
    assert link and link.group(0) in html
    assert sent.subject == "Einladung in das Talent-CRM von Alpha Recruiting"


def test_a_password_reset_is_in_the_users_own_language_with_html_and_text(german_company):
    world = german_company
    _speaks(world.recruiter, "it")
    # The reset token (and so the send key) carries the second it was made: time stands still
    # here so that the double submit below is one within the same token.
    with time_machine.travel(timezone.now(), tick=False):
        response = world.client().post(
            "/accounts/password-reset/", {"email": world.recruiter.email}
        )
        assert response.status_code == 302
        sent = _sent_to(world.recruiter.email)
        assert sent.from_email == "Alpha Recruiting <jobs@alpha.example>"
        assert sent.subject == "Reimposti la password per Alpha Recruiting"
        assert "qualcuno ha chiesto di reimpostare la password" in sent.body
        html = dict((mime, body) for body, mime in sent.alternatives)["text/html"]
        assert '<html lang="it">' in html and "Scelga una nuova password" in html
        # A double submit sends one email (same token, same send key); asking later sends anew.
        world.client().post("/accounts/password-reset/", {"email": world.recruiter.email})
        outbox_dispatch()
        assert len([m for m in mail.outbox if m.to == [world.recruiter.email]]) == 1
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        world.client().post("/accounts/password-reset/", {"email": world.recruiter.email})
        outbox_dispatch()
    assert len([m for m in mail.outbox if m.to == [world.recruiter.email]]) == 2


def test_the_leftover_finder_sees_english_on_an_english_page_and_none_on_the_french_one(
    german_company,
):
    """The browser test's check (tests/e2e/test_staff_french.py), able to fail: the same
    screens in English are full of the catalogues' English."""
    from tests.i18n.leftovers import english_strings, leftovers

    english = english_strings("fr")
    world = german_company
    # The users as they are named (the recruiter fixture is called "Recruiter").
    data = [world.tenant.name, world.hr_admin.email, world.recruiter.email, "Recruiter"]
    for language, expect_english in (("en", True), ("fr", False)):
        client = world.client(_speaks(world.hr_admin, language))
        for path in ("/accounts/settings/users/", "/mail/", "/integrations/keys/"):
            page = client.get(path).content.decode()
            main = page[page.index("<main") :]
            text = re.sub(r"<[^>]+>", " ", main)
            assert bool(leftovers(text, english, data)) is expect_english, (language, path)
