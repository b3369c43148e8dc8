"""The consent and feedback staff screens in French for a recruiter and an HR admin who chose
French: every page, form error, flash message, htmx partial, dashboard panel and PDF, with data
on them (a ledger, a data request, rejections with a call, a feedback task, a bulk run). None
may show an English string of the consent or feedback catalogue, read from the catalogues
themselves (each msgid whose French differs), so a string added later without a translation,
or shown without being wrapped, fails here. English users keep reading English."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from candidates.models import Position, Stage
from config.catalogues import CATALOGUES, CONSENT_STAFF, FEEDBACK, read
from consent.models import ConsentText, Purpose, RequestKind, Source
from consent.requests import data_request_create
from consent.services import Origin, consent_change
from feedback.content import CallNote
from feedback.defaults import DEFAULT_TEMPLATES
from feedback.models import BulkRejectRun, FeedbackTemplate, RejectionReason, RunStatus
from feedback.services import application_reject
from feedback.todo import feedback_task_request
from tenants.privacy import datasets, purposes, registered
from tests.consent.conftest import person
from tests.feedback.helpers import application_at, reasons
from tests.i18n.artefacts import pdf_text, visible_text
from tests.i18n.leftovers import english_strings, leftovers


def company_data() -> list[str]:
    """What the company wrote, in its own language (English here): stages, positions, reasons,
    consent wording."""
    texts: list[str] = []
    texts += Stage.objects.values_list("name", flat=True)
    texts += Position.objects.values_list("title", flat=True)
    for reason in RejectionReason.objects.all():
        texts += [reason.label, reason.candidate_wording, reason.tip]
        for text in (reason.translations or {}).values():
            texts += [text.get("wording", ""), text.get("tip", "")]
    for title, body in ConsentText.objects.values_list("title", "body"):
        texts += [title, body]
    # Rejection emails: the candidate's language, whatever the recruiter reads.
    for subject, body in DEFAULT_TEMPLATES.values():
        texts += [subject, *body.splitlines()]
    texts += FeedbackTemplate.objects.values_list("subject", flat=True)
    # The records of processing name each personal field in words and by its column (data).
    texts += [name for d in datasets() for name in d.personal]
    return texts


@pytest.fixture
def world(tenant_a):  # type: ignore[no-untyped-def]
    """A French HR admin and recruiter, and something on every screen."""
    tenant_a.activate()
    for user in (tenant_a.hr_admin, tenant_a.recruiter):
        user.language = "fr"
        user.save(update_fields=["language"])
    zoe = person(first_name="Zoé", last_name="Martin", email="zoe@i18n.example")
    consent_change(
        candidate=zoe,
        source=Source.RECRUITER,
        grant={Purpose.TALENT_POOL: None},
        actor=tenant_a.recruiter,
        reason="Xqz",
    )
    data_request_create(candidate=zoe, kind=RequestKind.ACCESS, origin=Origin())
    late = application_at(
        "final-interview", first_name="Léa", language="fr", email="lea@i18n.example"
    )
    rejection = application_reject(
        application=late,
        actor=tenant_a.recruiter,
        reasons=reasons("skills-gap"),
        personal_points="Xqz",
        call=CallNote(
            called_at=timezone.now() - timedelta(hours=2),
            duration_minutes=20,
            internal_note="Xqz",
            candidate_summary="Xqz",
        ),
        send_at=timezone.now() + timedelta(days=1),
    )
    early = application_at("applied", first_name="Hugo", language="fr", email="hugo@i18n.example")
    application_reject(application=early, actor=tenant_a.recruiter, reasons=[])
    waiting = application_at(
        "final-interview", first_name="Inès", language="fr", email="ines@i18n.example"
    )
    feedback_task_request(
        application=waiting, actor=None, reasons=reasons("skills-gap"), source="Xqz", note="Xqz"
    )
    BulkRejectRun.objects.create(
        created_by=tenant_a.recruiter,
        application_ids=[1, 2, 3, 4],
        status=RunStatus.DONE,
        rejected_count=2,
        needs_personal_count=1,
        skipped_count=1,
    )
    tenant_a.zoe, tenant_a.late, tenant_a.rejection, tenant_a.waiting = (
        zoe,
        late,
        rejection,
        waiting,
    )
    return tenant_a


def _pages(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What a French reader sees on each screen: {what: visible text}."""
    admin = world.client(world.hr_admin)
    recruiter = world.client(world.recruiter)
    zoe, late, waiting = world.zoe, world.late, world.waiting
    shown: dict[str, str] = {}

    def get(client, name: str, url: str, status: int = 200, **kwargs) -> None:  # type: ignore[no-untyped-def]
        response = client.get(url, **kwargs)
        assert response.status_code == status, (name, response.status_code)
        body = response.content.decode()
        if "<html" in body:
            assert '<html lang="fr"' in body, name
        shown[name] = visible_text(body)

    def post(client, name: str, url: str, data: dict, status: int = 200) -> None:  # type: ignore[no-untyped-def]
        response = client.post(url, data, follow=True)
        assert response.status_code == status, (name, response.status_code)
        shown[name] = visible_text(response.content.decode())

    # Consent
    get(recruiter, "consent home", reverse("consent:home"))
    get(admin, "consent of a person", reverse("consent:candidate", args=[zoe.pk]))
    get(admin, "exports partial", reverse("consent:candidate_exports", args=[zoe.pk]))
    get(admin, "consent texts", reverse("consent:texts"))
    get(admin, "consent text edit", reverse("consent:text_edit", args=["talent_pool", "fr"]))
    get(admin, "topics and retention", reverse("consent:settings"))
    get(admin, "data requests", reverse("consent:requests") + "?show=all")
    get(admin, "records of processing", reverse("consent:records"))
    get(admin, "consent report", reverse("consent:report"))
    get(
        admin,
        "consent report, backwards period",
        reverse("consent:report") + "?start=2026-05-01&end=2026-04-01",
        status=400,
    )
    post(
        recruiter,
        "record consent without a reason",
        reverse("consent:candidate", args=[zoe.pk]),
        {"action": "grant", "purposes": [Purpose.JOB_OFFERS]},
    )
    post(
        recruiter,
        "record consent (message)",
        reverse("consent:candidate", args=[zoe.pk]),
        {"action": "withdraw", "purposes": [Purpose.TALENT_POOL], "reason": "Xqz"},
    )
    post(admin, "erase without ERASE", reverse("consent:candidate_erase", args=[zoe.pk]), {})
    # Feedback
    get(recruiter, "feedback home", reverse("feedback:home"))
    get(recruiter, "feedback of an application", reverse("feedback:application", args=[late.pk]))
    get(recruiter, "reject page with a task", reverse("feedback:reject", args=[waiting.pk]))
    post(
        recruiter,
        "reject with nothing filled in",
        reverse("feedback:reject", args=[waiting.pk]),
        {"timing": "custom", "log_call": "on", "action": "preview"},
    )
    post(
        recruiter,
        "reject preview with a call",
        reverse("feedback:reject", args=[waiting.pk]),
        {
            "timing": "next_morning",
            "reasons": [r.pk for r in reasons("skills-gap")],
            "personal_points": "Xqz",
            "log_call": "on",
            "call_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "call_minutes": "15",
            "call_note": "Xqz",
            "call_summary": "Xqz",
            "attach_pdf": "on",
            "action": "preview",
        },
    )
    early = application_at("applied", first_name="Noé", language="fr", email="noe@i18n.example")
    post(
        recruiter,
        "bulk reject page",
        reverse("feedback:bulk"),
        {"application_ids": [early.pk, waiting.pk, late.pk, 999999]},
    )
    get(admin, "rejection reasons", reverse("feedback:reasons"))
    get(admin, "edit a reason", reverse("feedback:reason_edit", args=[reasons("skills-gap")[0].pk]))
    get(admin, "feedback policy", reverse("feedback:policy"))
    get(admin, "rejection emails", reverse("feedback:templates"))
    post(
        admin,
        "rejection email preview in French",
        reverse("feedback:template_edit", args=["automatic", "fr"]),
        {"subject": "Xqz", "body": "{{ first_name }} {{ optin_url }}", "action": "preview"},
    )
    post(
        admin,
        "rejection email without the opt-in link",
        reverse("feedback:template_edit", args=["automatic", "fr"]),
        {"subject": "Xqz", "body": "Xqz", "action": "save"},
    )
    # Dashboard panels and the candidate page's consent box, rendered as the dashboard does.
    from consent.registrations import _panel_context, _profile_panel_context
    from feedback.apps import _dashboard_context

    request = admin.get(reverse("consent:home")).wsgi_request
    with translation.override("fr"):
        shown["feedback dashboard panel"] = visible_text(
            render_to_string("feedback/_dashboard.html", {"panel_ctx": _dashboard_context(request)})
        )
        shown["data requests panel"] = visible_text(
            render_to_string("consent/_panel_requests.html", {"panel_ctx": _panel_context(request)})
        )
        shown["consent box on the profile"] = visible_text(
            render_to_string(
                "consent/_profile_panel.html",
                {**_profile_panel_context(zoe, request), "candidate": zoe},
            )
        )
    # PDFs
    for name, url in (
        ("records of processing PDF", reverse("consent:records") + "?format=pdf"),
        (
            "consent report PDF",
            reverse("consent:report") + "?start=2026-01-01&end=2026-12-31&format=pdf",
        ),
        ("proof of consent PDF", reverse("consent:proof", args=[zoe.pk, "pdf"])),
    ):
        response = admin.get(url)
        assert response.status_code == 200, name
        shown[name] = pdf_text(response.content)
    return shown


def test_consent_and_feedback_staff_screens_speak_french(world):
    shown = _pages(world)
    english = english_strings("fr", [CONSENT_STAFF, FEEDBACK])
    assert len(english) > 300  # the check reads the real catalogues
    data = company_data()
    found = {name: leftovers(text, english, data) for name, text in shown.items()}
    left = {name: words for name, words in found.items() if words}
    assert left == {}, "\n".join(f"{name}: {words}" for name, words in left.items())
    # The words are French, not merely "not English": a few landmarks per screen.
    expected = {
        "consent home": "Modifications récentes du consentement",
        "consent of a person": "Droits des personnes concernées",
        "data requests": "Demandes d'accès et d'effacement",
        "records of processing": "Registre des traitements (RGPD art. 30)",
        "consent report, backwards period": "La période doit commencer avant de finir.",
        "record consent without a reason": "Ce champ est obligatoire.",
        "record consent (message)": "1 modification enregistrée.",
        "erase without ERASE": "Saisissez ERASE pour confirmer",
        "feedback home": "Retours à rédiger",
        "reject page with a task": "Rien n'a encore été envoyé",
        "reject with nothing filled in": "Quand l'appel a-t-il eu lieu ?",
        "reject preview with a call": "Aperçu : exactement ce que Inès recevra",
        "bulk reject page": "1 candidature sélectionnée n'existe plus.",
        "rejection reasons": "Motifs de refus",
        "rejection email without the opt-in link": "Le contenu doit contenir le lien d'opt-in",
        "feedback dashboard panel": "Refus en fin de processus avec retour personnalisé",
        "records of processing PDF": "Mesures de sécurité",
        "proof of consent PDF": "Preuve du consentement",
    }
    missing = {
        name: text for name, text in expected.items() if text not in " ".join(shown[name].split())
    }
    assert missing == {}


def test_an_english_reader_keeps_english(world):
    english_user: User = world.hr_admin
    english_user.language = "en"
    english_user.save(update_fields=["language"])
    page = world.client(english_user).get(reverse("consent:home")).content.decode()
    assert "Recent consent changes" in page and '<html lang="en"' in page
    page = world.client(english_user).get(reverse("feedback:home")).content.decode()
    assert "Feedback to write" in page


def test_the_check_sees_an_english_leftover(world):
    """The checker itself: an English msgid on a French page is found, a translated one not."""
    english = english_strings("fr", [CONSENT_STAFF])
    assert leftovers("Registre des traitements — Security measures", english) == [
        "Security measures"
    ]
    assert leftovers("Registre des traitements — Mesures de sécurité", english) == []
    # What the page shows as typed is taken out; an empty value (a user without a name) takes
    # out nothing, rather than spacing out every letter of the page.
    assert leftovers("Alpha Corp: Security measures", english, ["", "Alpha Corp"]) == [
        "Security measures"
    ]


def _declared_texts() -> list[str]:
    """What each app's privacy.py declares for people to read: dataset descriptions, why a
    field is kept, purposes' names and legal bases."""
    texts = [d.description for d in datasets()]
    texts += [p.why for d in datasets() for p in d.personal.values() if p.why]
    texts += [text for p in purposes() for text in (p.label, p.basis)]
    return texts


def test_every_text_of_the_personal_data_registry_is_translated(tenant_a):
    """A declaration added without gettext_noop (or a notice without gettext_lazy) is in no
    catalogue, so `check` cannot ask for its translation: it fails here instead."""
    msgids = {
        " ".join(message.id.split())
        for catalogue in CATALOGUES
        for message in read(catalogue, "fr")
        if isinstance(message.id, str) and message.id and not message.context
    }
    untranslatable = [t for t in _declared_texts() if " ".join(t.split()) not in msgids]
    assert untranslatable == []
    for language in ("fr", "de", "it"):
        with translation.override("en"):
            english = [p.retention() for p in purposes()]
            english += [str(n.what) for app in registered() for n in app.notices]
        with translation.override(language):
            local = [p.retention() for p in purposes()]
            local += [str(n.what) for app in registered() for n in app.notices]
        assert [e for e, t in zip(english, local, strict=True) if e == t] == [], language


def test_records_of_processing_and_privacy_notices_in_french(world):
    """Every app's declarations on the records page (HTML and PDF) and in the notices of the
    pages that collect data, checked against the English of every catalogue."""
    english = english_strings("fr")
    admin = world.client(world.hr_admin)
    page = visible_text(admin.get(reverse("consent:records")).content.decode())
    pdf = pdf_text(admin.get(reverse("consent:records") + "?format=pdf").content)
    data = [*company_data(), world.tenant.name, "Postmark (ActiveCampaign)"]
    for name, text in (("page", page), ("pdf", pdf)):
        assert leftovers(text, english, data) == [], name
        flat = " ".join(text.split())
        for landmark in (
            "Comptes du personnel",  # accounts
            "Profil du candidat",  # candidates
            "Liste d'exclusion",  # mailing
            "Appartenances aux viviers",  # pools
            "E-mails de suivi planifiés",  # campaigns
            "Réponses à nos e-mails",  # integrations
            "Conservation du profil dans le vivier de talents",  # consent, as before
            "Prénom first_name",  # a field in words, then its column
            "Adresse e-mail hachée email_hash",
        ):
            assert landmark in flat, (name, landmark)
    kinds = [n.kind for app in registered() for n in app.notices]
    assert len(kinds) >= 7
    with translation.override("fr"):
        for kind in kinds:
            notice = visible_text(
                Template("{% load privacy_notice %}{% privacy_notice kind %}").render(
                    Context({"kind": kind})
                )
            )
            assert leftovers(notice, english, [world.tenant.name]) == [], kind


def _csv_header(response) -> list[str]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return next(csv.reader(io.StringIO(body)))


def test_consent_csv_headers_follow_the_reader(world):
    """The CSVs are documents for people (docs/CONTRACTS.md): headers in the exporting staff
    user's language, like the labels under them; English keeps its column names."""
    report = reverse("consent:report") + "?start=2026-01-01&end=2026-12-31&format=csv"
    proof = reverse("consent:proof", args=[world.zoe.pk, "csv"])
    french = world.client(world.hr_admin)
    assert _csv_header(french.get(report)) == [
        "début de période",
        "fin de période",
        "finalité",
        "origine",
        "accordés",
        "retirés",
        "expirés",
    ]
    header = _csv_header(french.get(proof))
    assert header[:4] == ["quand", "finalité", "modification", "comment"]
    assert header[-3:] == ["adresse IP", "navigateur", "motif"]
    english_user: User = world.hr_admin
    english_user.language = "en"
    english_user.save(update_fields=["language"])
    english = world.client(english_user)
    assert _csv_header(english.get(report))[:3] == ["period_start", "period_end", "purpose"]
    assert _csv_header(english.get(proof))[:4] == ["when", "purpose", "change", "how"]
