"""Everything a candidate reads, produced for one person in one language through the real
paths: each email kind as it lands in the outbox, each candidate page as the browser gets it,
each PDF as its text. `artefacts(world, language)` returns {what: text}.

Every value the person or the company typed is in `DATA` (names, titles, free text), so a
check can tell them from the product's own words."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from urllib.parse import urlsplit

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from campaigns.models import ContentItem
from campaigns.referrals import share_url
from campaigns.sending import nurture_run
from campaigns.services import campaign_create, campaign_schedule, campaign_send_due
from candidates.links import reapply_url
from candidates.models import Application, Candidate, Stage
from consent import links
from consent.exports import candidate_export, export_pdf, export_pdf_html
from consent.models import Registration, RequestKind
from consent.notifications import fresh_link_send, renewal_send
from consent.requests import data_request_create, registration_submit
from consent.services import Origin, Shown
from feedback.content import CallNote
from feedback.models import RejectionReason
from feedback.services import application_reject
from mailing.models import Message, MessageAttachment
from mailing.services import email_template_render
from pools.models import PoolKind
from pools.services import pool_save
from tests.campaigns.helpers import make_candidate, open_position, paris
from tests.public_forms import post_like_a_person

MONDAY_10 = paris(2026, 2, 2, 10, 0)
# What people and the company typed: never the product's words.
DATA = [
    "Chloé",
    "Moreau",
    "Analyste SQL",
    "SQL",
    "Python",
    "Lyon",
    "Xqz",
    "Alpha Corp",
    "Recruiter",
]
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)
_ATTRIBUTES = re.compile(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"')


def visible_text(page: str) -> str:
    """What a reader sees (text and the attributes read out), tags gone, entities decoded."""
    shown = " ".join(_ATTRIBUTES.findall(page))
    return html.unescape(_TAGS.sub("\n", page) + "\n" + shown)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _email(message: Message) -> str:
    return f"{message.subject}\n{visible_text(message.html)}\n{message.text}"


def _path(url: str) -> str:
    return urlsplit(url).path


def artefacts(world, language: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out: dict[str, str] = {}
    # Each language from its own address: public forms limit submissions per network.
    ip = f"198.51.100.{10 + ['en', 'fr', 'de', 'it'].index(language)}"
    # Visitors' pages follow the browser; a person's own pages follow their choice.
    visitor = Client(HTTP_HOST=world.host, HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")

    def page(what: str, url: str, client: Client = visitor, method: str = "get", **data) -> None:  # type: ignore[no-untyped-def]
        response = (
            getattr(client, method)(url, data) if data or method == "post" else client.get(url)
        )
        assert response.status_code < 500, (what, response.status_code)
        out[what] = visible_text(response.content.decode())

    with time_machine.travel(MONDAY_10, tick=False):
        topics = ("job_offers", "events", "company_news", "testimonials", "job_market")
        people: dict[str, Candidate] = {
            topic: make_candidate(
                f"{language}.{topic}@example.com",
                first_name="Chloé",
                last_name="Moreau",
                skills=["SQL"],
                topics={topic: None},
                preferred_language=language,
                country="FR",
                profession="Analyste SQL",
            )
            for topic in topics
        }
        people["pool_invitation"] = make_candidate(
            f"{language}.invite@example.com",
            first_name="Chloé",
            topics={"pool_invitation": None},
            preferred_language=language,
        )
        chloe = people["job_offers"]
        position = open_position("Analyste SQL", skills=["SQL", "Python"], location="Lyon")
        item = dict(
            publish_at=paris(2026, 2, 1, 9, 0), summary="Xqz", link_url="https://x.example/"
        )
        ContentItem.objects.create(
            topic="events",
            title="Xqz",
            event_starts_at=paris(2026, 3, 1, 18, 30),
            event_place="Lyon",
            event_online_url="https://x.example/live",
            registration_url="https://x.example/register",
            **item,
        )
        ContentItem.objects.create(topic="company_news", title="Xqz", **item)
        ContentItem.objects.create(
            topic="testimonials", title="Xqz", employee_name="Xqz", employee_role="Xqz", **item
        )
        ContentItem.objects.create(topic="job_market", title="Xqz", **item)
        nurture_run()
        for topic, person in people.items():
            out[f"nurture digest: {topic}"] = _email(Message.objects.get(candidate=person))

    # A one-off campaign to a pool.
    pool = pool_save(
        actor=world.hr_admin,
        name=f"Xqz {language}",
        kind=PoolKind.SMART,
        criteria={"profession": "Analyste SQL"},
    )
    campaign_item = ContentItem.objects.create(
        topic="company_news", title="Xqz", summary="Xqz", link_url="https://x.example/c"
    )
    campaign = campaign_create(
        name="Xqz",
        subject="{{ first_name }}",
        item=campaign_item,
        pool=pool,
        actor=world.hr_admin,
    )
    campaign_schedule(campaign=campaign, at=None, actor=world.hr_admin)
    campaign_send_due(campaign_id=campaign.pk)  # what the worker does once this commits
    news = people["company_news"]
    out["campaign email"] = _email(
        Message.objects.get(send_key=f"campaign:{campaign.pk}:{news.pk}")
    )

    # Rejections: the automatic email, and personalised feedback with a call and the PDF.
    reasons = list(RejectionReason.objects.filter(key__in=["skills-gap", "salary"]))
    early = Application.objects.create(
        candidate=chloe,
        position=position,
        stage=Stage.objects.order_by("order").first(),
        furthest_stage=Stage.objects.order_by("order").first(),
    )
    rejection = application_reject(application=early, actor=world.recruiter, reasons=reasons)
    out["rejection email (automatic)"] = _email(Message.objects.get(pk=rejection.message_id))
    interview = Stage.objects.get(slug="final-interview")
    later = Application.objects.create(
        candidate=people["events"],
        position=open_position("Analyste SQL", skills=["SQL"]),
        stage=interview,
        furthest_stage=interview,
    )
    # The call was at 00:30 in Paris on 11 March: the PDF dates it that day, not the UTC day.
    call = CallNote(
        dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC), 20, "internal", candidate_summary="Xqz"
    )
    personal = application_reject(
        application=later,
        actor=world.recruiter,
        reasons=reasons,
        personal_points="Xqz",
        tips="Xqz",
        call=call,
        attach_pdf=True,
    )
    message = Message.objects.get(pk=personal.message_id)
    out["rejection email (personalised)"] = _email(message)
    attachment = MessageAttachment.objects.get(message=message)
    out["feedback PDF"] = pdf_text(bytes(attachment.content))

    # Consent's emails.
    registration_submit(
        profile={"first_name": "Chloé"},
        email=f"{language}.new@example.com",
        grant={"talent_pool": ""},
        shown=Shown(offered={"talent_pool": None}, ticked=frozenset({"talent_pool"})),
        language=language,
        cv=None,
        newsletter=False,
        origin=Origin(ip=ip),
    )
    out["registration confirmation email"] = _email(
        Message.objects.filter(to_email=f"{language}.new@example.com").latest("pk")
    )
    renewal = renewal_send(candidate=chloe, expires_at=timezone.now() + dt.timedelta(days=30))
    out["renewal email"] = _email(renewal)
    for kind in (RequestKind.ACCESS, RequestKind.ERASURE):
        request = data_request_create(candidate=chloe, kind=kind, origin=Origin())
        out[f"data request email ({kind})"] = _email(
            Message.objects.get(send_key=f"consent.request:{request.pk}")
        )
    out["fresh link email"] = _email(fresh_link_send(candidate=chloe))
    note = email_template_render(
        key="recruiter_note",
        context={"first_name": "Chloé", "last_name": "Moreau", "recruiter_name": "Recruiter"},
        language=chloe.preferred_language,
    )
    out["recruiter's note email"] = f"{note.subject}\n{visible_text(note.html)}\n{note.text}"

    # Pages: the job site (a visitor), then a person's own links.
    page("job list", reverse("candidates:jobs"))
    job = reverse("candidates:job", args=[position.pk])
    page("job page", job)
    page("apply form with errors", job, method="post", first_name="")
    applied = post_like_a_person(
        visitor,
        job,
        {"first_name": "Chloé", "last_name": "Moreau", "email": f"{language}.apply@example.com"},
        ip=ip,
    )
    out["application received page"] = visible_text(applied.content.decode())
    page("re-apply page", _path(reapply_url(chloe, position)))
    page("re-apply page, broken link", reverse("candidates:reapply", args=["broken"]))
    referral = _path(share_url(chloe, position))
    page("referral page", referral)
    done = post_like_a_person(
        visitor,
        referral,
        {"first_name": "Chloé", "last_name": "Moreau", "email": f"{language}.friend@example.com"},
        ip=ip,
    )
    out["referral received page"] = visible_text(done.content.decode())
    page("referral page, broken link", reverse("campaigns:referral", args=["broken"]))
    person = Client(HTTP_HOST=world.host)  # no Accept-Language: their own choice decides
    page("opt-in page", _path(links.optin_url(chloe, source="rejection")), person)
    preferences = _path(links.preferences_url(chloe))
    page("preference centre", preferences, person)
    page(
        "preference centre, saved",
        preferences,
        person,
        method="post",
        job_offers="on",
        language=chloe.preferred_language,
    )
    unsubscribe = _path(links.unsubscribe_url(chloe, "job_offers"))
    page("unsubscribe page", unsubscribe, person)
    page("unsubscribe page, done", unsubscribe, person, method="post")
    token = preferences.rstrip("/").rsplit("/", 1)[-1]
    page("my data page", reverse("consent:my_data", args=[token]), person)
    request = data_request_create(candidate=chloe, kind=RequestKind.ACCESS, origin=Origin())
    confirm = reverse(
        "consent:request_confirm",
        args=[links.sign(links.REQUEST_CONFIRM, candidate=chloe, r=request.pk)],
    )
    page("data request page", confirm, person)
    page("registration page", reverse("consent:register"))
    sent = post_like_a_person(
        visitor,
        reverse("consent:register"),
        # The language select as the page offers it: the page's own language.
        {"first_name": "Chloé", "email": f"{language}.joins@example.com", "language": language},
        ip=ip,
    )
    out["registration sent page"] = visible_text(sent.content.decode())
    registration = Registration.objects.get(email=f"{language}.joins@example.com")
    confirm_link = reverse(
        "consent:register_confirm",
        args=[links.sign(links.REGISTRATION_CONFIRM, candidate=None, r=registration.pk)],
    )
    page("registration confirm page", confirm_link)
    page("registration confirmed page", confirm_link, method="post")
    page("newsletter sign-up page", reverse("consent:newsletter"))
    page("link error page", reverse("consent:preferences", args=["broken"]), visitor)
    page("fresh link sent page", reverse("consent:fresh_link", args=[token]), person, method="post")

    # The access export: its words are the product's; the records' values are shown as they are
    # stored (a timeline entry written in a recruiter's words stays as written), so the check
    # reads the document without them. The PDF itself must carry the translated words.
    data = candidate_export(chloe)
    document = re.sub(r"<dd>.*?</dd>", "", export_pdf_html(chloe, data), flags=re.DOTALL)
    out["data export PDF"] = visible_text(document)
    assert _first_heading(document) in pdf_text(export_pdf(chloe, data))
    return out


def _first_heading(document: str) -> str:
    match = re.search(r"<h2>(.*?)</h2>", document, re.DOTALL)
    assert match is not None
    return html.unescape(match.group(1)).strip()
