"""Public apply and referral forms: hard to abuse (honeypot, signed stamp, limits per network and
per address, as registration has), and an anonymous submission never changes a stored record:
what it says waits with the application until a recruiter accepts it."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from campaigns.referrals import share_url
from candidates.models import Application, Candidate, Submission
from candidates.pipeline import application_create
from candidates.services import candidate_upsert
from tests.candidates import factories as f
from tests.public_forms import post_like_a_person

PDF = b"%PDF-1.4\n% a cv\n"


def _apply_url(position) -> str:  # type: ignore[no-untyped-def]
    return f"/candidates/jobs/{position.pk}/"


def test_scripted_posts_create_nothing(tenant_a, fresh_form_limits):
    """The issue's 15 scripted posts: without the page's stamp, or with the honeypot filled,
    nothing is stored (the bot is told it worked)."""
    position = f.position()
    client = tenant_a.client()
    statuses = set()
    for n in range(15):
        data = {"first_name": "Bot", "email": f"bot{n}@example.com"}
        if n % 2:
            data["website"] = "http://spam.example"
        statuses.add(client.post(_apply_url(position), data).status_code)
    assert statuses == {400}
    assert not Candidate.objects.exists() and not Application.objects.exists()
    # Filled in faster than a person can: asked to check and send again, nothing stored.
    page = client.get(_apply_url(position))
    quick = client.post(
        _apply_url(position),
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "stamp": page.context["form"]["stamp"].value(),
        },
    )
    assert quick.status_code == 400 and b"That was quick!" in quick.content
    assert not Candidate.objects.exists()


def test_one_network_is_limited_per_hour_with_a_clear_message(tenant_a, fresh_form_limits):
    position = f.position()
    client = tenant_a.client()
    statuses = [
        post_like_a_person(
            client,
            _apply_url(position),
            {"first_name": "P", "email": f"p{n}@example.com"},
            ip="203.0.113.5",
        ).status_code
        for n in range(12)
    ]
    assert statuses == [200] * 10 + [429, 429]
    limited = post_like_a_person(
        client,
        _apply_url(position),
        {"first_name": "P", "email": "late@example.com"},
        ip="203.0.113.5",
    )
    assert b"Too many submissions from your network" in limited.content
    assert Application.objects.filter(position=position).count() == 10
    # Another network is not affected, nor another tenant.
    other = post_like_a_person(
        client,
        _apply_url(position),
        {"first_name": "Q", "email": "q@example.com"},
        ip="203.0.113.6",
    )
    assert other.status_code == 200


def test_one_address_is_limited_per_day(tenant_a, fresh_form_limits):
    client = tenant_a.client()
    statuses = [
        post_like_a_person(
            client,
            _apply_url(f.position()),
            {"first_name": "V", "email": "victim@example.com"},
            ip=f"203.0.113.{10 + n}",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_referral_form_has_the_same_protection(tenant_a, fresh_form_limits):
    ambassador = f.candidate(email="amb@example.com")
    position = f.position()
    url = "/" + share_url(ambassador, position).split("/", 3)[3]
    client = tenant_a.client()
    assert client.post(url, {"first_name": "Bot", "email": "bot@example.com"}).status_code == 400
    statuses = [
        post_like_a_person(
            client, url, {"first_name": "F", "email": f"f{n}@example.com"}, ip="203.0.113.40"
        ).status_code
        for n in range(11)
    ]
    assert statuses[-1] == 429 and statuses[:10] == [200] * 10
    assert not Candidate.objects.filter(email="bot@example.com").exists()


def test_anonymous_apply_changes_no_stored_field(tenant_a, fresh_form_limits):
    ada, _ = candidate_upsert(
        email="ada@example.com", actor=None, source="import", first_name="Ada", last_name="Lovelace"
    )
    applied = f.position(title="Analyst")
    application_create(candidate=ada, position=applied, actor=None)
    # Every stored field but the timeline's clock (an application did arrive).
    before = model_to_dict(Candidate.objects.get(pk=ada.pk), exclude=["last_activity_at"])
    client = tenant_a.client()
    # A stranger who knows Ada's address applies in her name, twice: the same position (which
    # has no CV yet) and a new one.
    for position in (applied, f.position(title="Engineer")):
        response = post_like_a_person(
            client,
            _apply_url(position),
            {
                "first_name": "Mallory",
                "last_name": "Lovelace",
                "email": "ADA@example.com",
                "phone": "+1 555 0100",
                "cv": SimpleUploadedFile("mine.pdf", PDF, content_type="application/pdf"),
            },
        )
        assert response.status_code == 200
    ada.refresh_from_db()
    # No stored field changed, the blank phone included.
    assert model_to_dict(ada, exclude=["last_activity_at"]) == before
    old = Application.objects.get(candidate=ada, position=applied)
    assert not old.cv  # the existing application's CV slot was not filled from outside
    new = Application.objects.get(candidate=ada, position__title="Engineer")
    assert new.cv  # a new application carries its own CV
    submissions = {s.application_id: s for s in Submission.objects.all()}
    assert submissions[old.pk].values == {"first_name": "Mallory", "phone": "+1 555 0100"}
    assert submissions[old.pk].cv
    assert "last_name" not in submissions[new.pk].values  # same as stored: nothing to review

    # The recruiter sees it "submitted with this application" and takes the phone only.
    recruiter = tenant_a.client(tenant_a.recruiter)
    page = recruiter.get(f"/candidates/{ada.pk}/").content.decode()
    assert "Submitted with this application" in page and "+1 555 0100" in page
    recruiter.post(
        f"/candidates/submissions/{submissions[old.pk].pk}/accept/", {"fields": ["phone", "cv"]}
    )
    ada.refresh_from_db()
    assert ada.phone == "+1 555 0100" and ada.first_name == "Ada"
    old.refresh_from_db()
    assert old.cv and old.cv.read() == PDF
    assert not Submission.objects.filter(application=old).exists()
    recruiter.post(f"/candidates/submissions/{submissions[new.pk].pk}/dismiss/")
    assert not Submission.objects.exists()
    ada.refresh_from_db()
    assert ada.first_name == "Ada"


def test_a_referral_for_a_known_person_waits_for_a_recruiter(tenant_a, tenant_b, fresh_form_limits):
    tenant_a.activate()
    ambassador = f.candidate(email="amb@example.com", first_name="Amb")
    pat = f.candidate(email="pat@example.com", first_name="Pat")
    position = f.position()
    url = "/" + share_url(ambassador, position).split("/", 3)[3]
    post_like_a_person(
        tenant_a.client(), url, {"first_name": "Patricia", "email": "pat@example.com"}
    )
    pat.refresh_from_db()
    assert pat.referred_by is None and pat.first_name == "Pat"
    submission = Submission.objects.get(application__candidate=pat)
    assert submission.referred_by == ambassador
    # Another tenant's recruiter cannot act on it.
    response = tenant_b.client(tenant_b.recruiter).post(
        f"/candidates/submissions/{submission.pk}/accept/", {"fields": ["referred_by"]}
    )
    assert response.status_code == 404
    tenant_a.activate()
    tenant_a.client(tenant_a.recruiter).post(
        f"/candidates/submissions/{submission.pk}/accept/", {"fields": ["referred_by"]}
    )
    pat.refresh_from_db()
    assert pat.referred_by == ambassador and pat.first_name == "Pat"


def test_every_collecting_page_shows_the_privacy_notice(tenant_a):
    """From the tenant's settings (HR admins edit them on the branding page) and the registry
    (what happens, how long)."""
    settings_page = tenant_a.client(tenant_a.hr_admin).post(
        "/accounts/settings/",
        {
            "name": "Alpha Corp",
            "primary_colour": "#1f6feb",
            "default_language": "en",
            "time_zone": "Europe/Paris",
            "controller_name": "Alpha Corp SAS",
            "dpo_contact": "dpo@alpha.example",
            "privacy_policy_url": "https://alpha.example/privacy",
            "privacy_notice": "We never sell your data.",
        },
    )
    assert settings_page.status_code == 302
    assert tenant_a.client(tenant_a.recruiter).get("/accounts/settings/").status_code == 403
    ambassador = f.candidate(email="amb@example.com")
    position = f.position()
    from candidates.links import reapply_url
    from consent import links

    client = tenant_a.client()
    pages = {
        "apply": _apply_url(position),
        "referral": "/" + share_url(ambassador, position).split("/", 3)[3],
        "reapply": "/" + reapply_url(ambassador, position).split("/", 3)[3],
        "registration": "/c/join/",
        "newsletter": "/c/newsletter/",
        "optin": "/" + links.optin_url(ambassador, source="test").split("/", 3)[3],
        "preferences": "/" + links.preferences_url(ambassador).split("/", 3)[3],
    }
    for kind, url in pages.items():
        page = client.get(url).content.decode()
        assert 'class="privacy-notice"' in page, kind
        for fact in (
            "Alpha Corp SAS is responsible",
            "dpo@alpha.example",
            "https://alpha.example/privacy",
            "We never sell your data.",
            "How long we keep it:",
        ):
            assert fact in page, (kind, fact)
    assert "24 months after the last application" in client.get(pages["apply"]).content.decode()
