"""The canary: one person's data in every personal field the registry declares, each value a
marker string ("XylqA…" for the person to erase, "XylqB…" for the control), written through the
apps' own services wherever one exists. `registry_coverage` checks the history really fills
every declared field, so a field declared later without a marker here fails the canary."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.test import Client, override_settings
from django.utils import timezone
from pypdf import PdfReader

from accounts.services import audit_log_record
from campaigns.models import Campaign, ContentItem, Delivery, TopicSchedule
from candidates.import_dry_run import import_dry_run_execute, import_dry_run_start
from candidates.importing import import_job_create, import_job_run, import_mapping_set
from candidates.listing import saved_view_save
from candidates.models import ActivityKind, Candidate, ImportKind, Stage
from candidates.pipeline import application_create, application_stage_move, position_create
from candidates.services import (
    activity_record,
    candidate_note_add,
    candidate_tags_add,
    candidate_update,
    candidate_upsert,
)
from candidates.submissions import application_submit
from consent.exports import access_export_run, access_export_start
from consent.models import ConsentProfile, RequestKind, Source
from consent.requests import data_request_create, registration_submit
from consent.services import Origin, Shown, consent_change, consent_grant
from feedback.content import CallNote
from feedback.models import Rejection, RejectionReason
from feedback.services import application_reject
from integrations.ats.services import ats_connection_save, ats_mapping_add
from integrations.keys import api_key_create
from integrations.models import (
    AtsEventStatus,
    InboundReply,
    MappingKind,
    ReplyStatus,
    UnknownJobPolicy,
    WebhookEventType,
    WebhookSubscription,
)
from integrations.webhooks.outbox import subscription_create
from mailing.dispatch import outbox_dispatch
from mailing.kinds import MessageKind
from mailing.models import Message
from mailing.receivers import tracking_event_record
from mailing.services import message_enqueue
from pools.models import PoolKind
from pools.services import pool_members_add, pool_save, tag_rule_save
from tenants import privacy
from tenants.privacy import Erase, Subject

IPS = {"A": "198.51.100.77", "B": "198.51.100.88"}
GREENHOUSE_SECRET = "canary-greenhouse-secret"
# Two characters cannot hold a marker; erasure is checked on the row instead.
UNMARKABLE = {("candidates.Candidate", "country")}


@dataclass
class Canary:
    tag: str
    candidate: Candidate
    markers: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"xylq{self.tag.lower()}"

    @property
    def binary(self) -> str:
        """The markers' start as pg_dump writes a bytea column (hex)."""
        return f"Xylq{self.tag}".encode().hex()

    @property
    def ip(self) -> str:
        return IPS[self.tag]


def _pdf(marker: str) -> bytes:
    return f"%PDF-1.4\n% {marker}\n%%EOF\n".encode()


def build(tag: str, hr_admin: object) -> Canary:
    def m(code: str) -> str:
        value = f"Xylq{tag}{code}"
        canary.markers.append(value)
        return value

    email = f"xylq{tag.lower()}.mail@example.org"
    _webhooks_on()
    candidate, _ = candidate_upsert(email=email, actor=None, source="test", first_name="x")
    canary = Canary(tag, candidate, markers=[email])
    first, last = m("first"), m("last")
    full = f"{first} {last}"
    candidate_update(
        candidate=candidate,
        actor=hr_admin,
        first_name=first,
        last_name=last,
        phone=m("phone-0611"),
        city=m("city"),
        country="FR",
        languages=[m("lang")],
        profession=m("prof"),
        interests=[m("int")],
        desired_positions=[m("dpos")],
        desired_locations=[m("dloc")],
        source=m("src"),
        notes=m("notes"),
        years_experience=7,
        skills=["Python", full],  # a skill named after the person
    )
    # Choice fields hold whatever the column holds; markers prove they are emptied.
    Candidate.objects.filter(pk=candidate.pk).update(
        preferred_language=m("plg"), seniority=m("senr"), age_bracket=m("age")
    )
    candidate.refresh_from_db()
    candidate_tags_add(candidates=[candidate], names=[f"{full} referral", "fair"], actor=hr_admin)
    position = position_create(actor=hr_admin, title=f"Role {tag}", status="open")
    cv = SimpleUploadedFile(f"{m('cv')}.pdf", _pdf(m("cvcontent")), "application/pdf")
    application, _ = application_create(
        candidate=candidate, position=position, actor=hr_admin, cv=None
    )
    application.cv.save(cv.name, cv, save=True)
    # A stranger applies in the person's name: the values wait with the application.
    application_submit(
        position=position,
        email=email,
        values={"first_name": m("subfirst"), "phone": m("subphone")},
        source="career site",
        ip="203.0.113.200",
        cv=SimpleUploadedFile(f"{m('sub')}.pdf", _pdf(m("subcontent")), "application/pdf"),
    )
    candidate_note_add(candidate=candidate, body=f"{m('note')}: family news", actor=hr_admin)
    activity_record(
        candidate=candidate, kind=ActivityKind.NOTE, summary=m("summary"), data={"d": m("data")}
    )
    # A coded entry: its parameters hold what the sentence names.
    activity_record(
        candidate=candidate,
        kind=ActivityKind.EMAIL,
        code="email.sent",
        params={"subject": m("params")},
    )
    origin = Origin(ip=canary.ip, user_agent=m("ua"))
    consent_change(
        candidate=candidate,
        source=Source.OPTIN_LINK,
        grant={"talent_pool": None, "events": None, "tracking": None},
        shown=Shown(
            offered=dict.fromkeys(["talent_pool", "events", "job_offers", "tracking"]),
            ticked=frozenset({"talent_pool", "events", "tracking"}),
        ),
        origin=origin,
    )
    consent_grant(
        candidate=candidate, purpose="job_offers", source=Source.RECRUITER, reason=m("reason")
    )
    ConsentProfile.objects.filter(candidate=candidate).update(link_key=m("key"))
    data_request_create(candidate=candidate, kind=RequestKind.ACCESS, origin=origin)
    registration_submit(
        profile={"first_name": m("regfirst"), "city": m("regcity")},
        email=email,
        grant={"talent_pool": ""},
        shown=Shown(offered={"talent_pool": None}, ticked=frozenset({"talent_pool"})),
        language="en",
        cv=SimpleUploadedFile(f"{m('reg')}.pdf", _pdf(m("regcontent")), "application/pdf"),
        newsletter=False,
        origin=Origin(ip=canary.ip, user_agent=m("regua")),
    )
    _feedback(canary, candidate, position, hr_admin, m)
    _mail(canary, candidate, m)
    _elsewhere(canary, candidate, full, email, hr_admin, m)
    _integrations(canary, candidate, full, email, hr_admin, m)
    access_export_run(export_id=access_export_start(candidate=candidate, actor=hr_admin).pk)
    return canary


def _feedback(canary, candidate, position, hr_admin, m) -> None:  # type: ignore[no-untyped-def]
    other = position_create(actor=hr_admin, title=f"Final role {canary.tag}", status="open")
    application, _ = application_create(candidate=candidate, position=other, actor=hr_admin)
    application_stage_move(
        application=application, stage=Stage.objects.get(slug="final-interview"), actor=hr_admin
    )
    application_reject(
        application=application,
        actor=hr_admin,
        reasons=[RejectionReason.objects.order_by("pk").first()],
        personal_points=m("points"),
        tips=m("tips"),
        call=CallNote(
            timezone.now(), 10, internal_note=m("internal"), candidate_summary=m("callsum")
        ),
        attach_pdf=True,
    )
    # The rejection's language is the candidate's, checked against the product's languages
    # (a marker is none of them); the column still holds whatever it is given.
    Rejection.objects.filter(application=application).update(language=candidate.preferred_language)


def _mail(canary, candidate, m) -> None:  # type: ignore[no-untyped-def]
    sent = message_enqueue(
        send_key=f"canary:{canary.tag}:sent",
        kind=MessageKind.TRANSACTIONAL,
        to_email=candidate.email,
        subject=m("subject"),
        html=f"<p>{m('html')}</p>",
        text=m("text"),
        candidate=candidate,
        headers={"X-Marker": m("hdr")},
        attachments=[(f"{m('att')}.txt", m("attbytes").encode(), "text/plain")],
    )
    message_enqueue(
        send_key=f"canary:{canary.tag}:queued",
        kind=MessageKind.EVENTS,
        to_email=candidate.email,
        subject="Events",
        html="<p>Events</p>",
        text="Events",
        candidate=candidate,
        unsubscribe_url=f"https://alpha.example/c/u/{m('unsub')}/",
        send_after=timezone.now() + timedelta(days=2),
    )
    outbox_dispatch()
    Message.objects.filter(send_key=f"canary:{canary.tag}:queued").update(last_error=m("err"))
    sent.refresh_from_db()
    tracking_event_record(
        message=sent,
        event=AnymailTrackingEvent(
            event_type="delivered",
            event_id=f"canary-{canary.tag}",
            description=f"delivered to {candidate.email} {m('desc')}",
            timestamp=timezone.now(),
        ),
        esp_name="test",
    )


def _elsewhere(canary, candidate, full, email, hr_admin, m) -> None:  # type: ignore[no-untyped-def]
    """Rows about nobody in particular that name the person (free text declared SCRUB)."""
    Delivery.objects.create(
        candidate=candidate,
        topic="job_offers",
        period=f"w-{canary.tag}",
        reasons={"1": m("reasons")},
        matched_skills=[m("matched")],
    )
    pool = pool_save(
        actor=hr_admin,
        name=f"{full} picks",
        kind=PoolKind.STATIC,
        description=f"Friends of {email}",
    )
    pool_members_add(actor=hr_admin, pool=pool, candidates=[candidate.pk])
    pool_save(
        actor=hr_admin,
        name=f"{full} smart",
        criteria={"tags_any": [f"{full} referral"]},
    )
    tag_rule_save(
        actor=hr_admin, name=f"{full} rule", tag_name=f"{full} rule tag", profession="Nobody"
    )
    item = ContentItem.objects.create(topic="events", title=f"Meetup {canary.tag}", target_tag=full)
    Campaign.objects.create(name=f"Campaign {canary.tag}", item=item, pool_name=f"{full} picks")
    topic = "events" if canary.tag == "A" else "company_news"
    TopicSchedule.objects.update_or_create(topic=topic, defaults={"priority_tag": full})
    audit_log_record(actor=hr_admin, action="canary.lookup", target=email, details={"who": full})
    saved_view_save(
        owner=hr_admin, name=f"{full} search", query=urlencode({"q": full}), shared=True
    )
    LogEntry.objects.create(
        user=hr_admin,
        content_type=ContentType.objects.get_for_model(Candidate),
        object_id=str(candidate.pk),
        object_repr=full,
        action_flag=CHANGE,
        change_message=f"changed {email}",
    )
    rows = f"first_name,last_name,email\n{m('impfirst')},{m('implast')},{email}\n,,bad-{email}@\n"
    upload = SimpleUploadedFile(f"{canary.prefix}-people.csv", rows.encode(), "text/csv")
    canary.markers.append(f"{canary.prefix}-people.csv")
    job = import_job_create(kind=ImportKind.CANDIDATES, upload=upload, actor=hr_admin)
    import_mapping_set(
        job=job,
        mapping={"first_name": "first_name", "last_name": "last_name", "email": "email"},
        actor=hr_admin,
    )
    # The dry run (normally in the worker) keeps sample rows and errors on the job.
    job = import_dry_run_start(job=job, actor=hr_admin)
    import_dry_run_execute(job.pk, job.dry_run["run"])
    import_job_run(job.pk)


def _webhooks_on() -> None:
    """The company's webhook receiver subscribes to everything, so every consent change and
    re-application of the canaries becomes an outbound event naming them (nobody delivers
    them here: they are still pending when the erasure comes)."""
    if WebhookSubscription.objects.exists():
        return
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True):
        subscription_create(
            url="http://127.0.0.1:9/canary", events=WebhookEventType.values, actor=None
        )


def _integrations(canary, candidate, full, email, hr_admin, m) -> None:  # type: ignore[no-untyped-def]
    """What integrations keeps, through its HTTP endpoints: an API answer kept for its
    Idempotency-Key, the ATS's link to an application, a "feedback to write" note from the API,
    ATS events (one applied, one held for review because the ATS sent a name as the address),
    and two replies (one answering our email, one out of the blue)."""
    client = Client(HTTP_HOST=connection.tenant.get_primary_domain().domain)
    key = api_key_create(
        name=f"Canary sync {canary.tag}", scopes=["read", "write", "reject"], actor=hr_admin
    )

    def api(path: str, data: dict, **headers: str) -> dict:
        response = client.post(
            f"/api/v1{path}",
            json.dumps(data),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key.secret}",
            **headers,
        )
        assert response.status_code in (200, 201), response.content
        return response.json()

    # Some clients key their retries by the person's address.
    api("/candidates", {"email": email}, HTTP_IDEMPOTENCY_KEY=f"crm-sync-{email}")
    opportunity = m("opp")
    ats_mapping_add(
        provider="lever",
        kind=MappingKind.APPLICATION,
        external_id=opportunity,
        external_name=f"{full} (Lever opportunity)",
        actor=hr_admin,
    )
    position = position_create(actor=hr_admin, title=f"API role {canary.tag}", status="open")
    application = api(
        "/applications",
        {
            "candidate_email": email,
            "position_id": position.pk,
            "ats": {"provider": "lever", "id": opportunity},
        },
    )
    api(f"/applications/{application['id']}/stage", {"stage": "final-interview"})
    reason = RejectionReason.objects.order_by("pk").first()
    rejected = api(
        f"/applications/{application['id']}/reject",
        {"reasons": [reason.key], "note": m("tasknote")},  # type: ignore[union-attr]
    )
    assert rejected["result"] == "feedback_to_write", rejected

    ats_connection_save(
        provider="greenhouse",
        secret=GREENHOUSE_SECRET,
        enabled=True,
        unknown_job=UnknownJobPolicy.CREATE,
        actor=hr_admin,
    )
    first, last = candidate.first_name, candidate.last_name
    for number, address in enumerate([email, f"{full} <{email}>"], start=1):
        body = json.dumps(
            {
                "action": "application_updated",
                "payload": {
                    "application": {
                        "id": 7300000 + 10 * ord(canary.tag) + number,
                        "prospect": False,
                        "status": "active",
                        "candidate": {
                            "first_name": first,
                            "last_name": last,
                            "email_addresses": [{"value": address, "type": "personal"}],
                            "phone_numbers": [{"value": m("ghphone"), "type": "mobile"}],
                        },
                        "jobs": [{"id": 66000 + ord(canary.tag), "name": f"Job {canary.tag}"}],
                    }
                },
            }
        ).encode()
        signature = hmac.new(GREENHOUSE_SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = client.post(
            "/integrations/ats/greenhouse/webhook/",
            body,
            content_type="application/json",
            HTTP_SIGNATURE=f"sha256 {signature}",
            HTTP_GREENHOUSE_EVENT_ID=f"canary-{canary.tag}-{number}",
        )
        expected = AtsEventStatus.PROCESSED if number == 1 else AtsEventStatus.REVIEW
        assert response.json()["status"] == expected, response.content

    sent = Message.objects.get(send_key=f"canary:{canary.tag}:sent")
    _inbound(
        client,
        sender=email,
        name=full,
        subject=m("rsubj"),
        text=m("rtext"),
        message_id=f"canary-{canary.tag}-reply",
        headers={"In-Reply-To": sent.headers["Message-ID"]},
    )
    # No ESP id: the mail's own Message-ID, with the sender's domain, becomes the key.
    _inbound(
        client,
        sender=email,
        name=full,
        subject=m("rsubj2"),
        text=m("rtext2"),
        headers={"Message-ID": f"<{m('mid')}@{canary.prefix}-family.example>"},
    )
    statuses = sorted(
        InboundReply.objects.filter(from_email=email).values_list("status", flat=True)
    )
    assert statuses == [ReplyStatus.MATCHED, ReplyStatus.REVIEW], statuses


def _inbound(client, *, sender, name, subject, text, headers, message_id=None) -> None:  # type: ignore[no-untyped-def]
    """Postmark's documented inbound payload, authenticated as the ESP is."""
    payload = {
        "FromFull": {"Email": sender, "Name": name},
        "ToFull": [{"Email": "jobs@replies.example.com", "Name": ""}],
        "OriginalRecipient": "jobs@replies.example.com",
        "Subject": subject,
        "TextBody": text,
        "HtmlBody": f"<p>{text}</p>",
        "Headers": [{"Name": n, "Value": v} for n, v in headers.items()],
        "Attachments": [],
    }
    if message_id:
        payload["MessageID"] = message_id
    auth = base64.b64encode(settings.ANYMAIL["WEBHOOK_SECRET"].encode()).decode()
    response = client.post(
        "/integrations/inbound/postmark/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )
    assert response.status_code == 200, response.content


# --- Checking -----------------------------------------------------------------------------------


def file_text(path: Path) -> str:
    data = path.read_bytes()
    text = data.decode("utf-8", "replace")
    if data.startswith(b"%PDF"):
        # The canary's own fake PDFs do not parse; their raw bytes hold the marker.
        with contextlib.suppress(Exception):
            text += " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return f"{path.name}\n{text}"


def _holds(value: object, canary: Canary) -> bool:
    if value is None:
        return False
    if isinstance(value, bytes | memoryview):
        return canary.prefix.encode() in bytes(value).lower()
    if isinstance(value, FieldFile):
        return bool(value) and canary.prefix in file_text(Path(value.path)).lower()
    return canary.prefix in str(value).lower() or str(value) == canary.ip


def registry_coverage(canary: Canary) -> list[str]:
    """Declared candidate fields that hold none of this canary's markers in any row."""
    missing = []
    for dataset in privacy.datasets():
        model = dataset.model_class()
        for name, spec in dataset.personal.items():
            if spec.subject != Subject.CANDIDATE or spec.erase == Erase.RETAIN:
                continue
            if (dataset.model, name) in UNMARKABLE:
                continue
            rows = model._default_manager.all()
            values = (getattr(row, name) for row in rows.iterator())
            if not any(_holds(v, canary) for v in values):
                missing.append(f"{dataset.model}.{name}")
    return missing


def unmarkable_blank(candidate: Candidate) -> bool:
    candidate.refresh_from_db()
    return all(getattr(candidate, name) in ("", None) for _, name in UNMARKABLE)
