"""Emails consent sends, all transactional and all through mailing's outbox (written in the
caller's transaction, dispatched after commit). Wording is HR-editable (mailing's template
catalog, registered in consent.registrations)."""

from __future__ import annotations

from django.db import connection
from django.urls import reverse
from django.utils import formats, timezone

from candidates.models import Candidate
from consent import links
from consent.models import DataRequest, Registration, RequestKind
from consent.registrations import (
    TEMPLATE_FRESH_LINK,
    TEMPLATE_REGISTRATION,
    TEMPLATE_RENEWAL,
    TEMPLATE_REQUEST,
)
from mailing.kinds import MessageKind
from mailing.models import Message
from mailing.services import email_template_render, message_enqueue
from tenants.links import tenant_absolute_url


def _language(candidate: Candidate | None) -> str | None:
    if candidate is None:
        return None
    profile = getattr(candidate, "consent_profile", None)
    return (profile.language if profile else "") or candidate.preferred_language or None


def _send(
    *,
    send_key: str,
    template: str,
    to_email: str,
    candidate: Candidate | None,
    context: dict[str, str],
    language: str | None,
) -> Message:
    company = getattr(connection.tenant, "from_name", "")
    rendered = email_template_render(
        key=template, context={"company_name": company, **context}, language=language
    )
    return message_enqueue(
        send_key=send_key,
        kind=MessageKind.TRANSACTIONAL,
        to_email=to_email,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        candidate=candidate,
    )


def fresh_link_send(*, candidate: Candidate) -> Message:
    return _send(
        send_key=f"consent.fresh-link:{candidate.pk}:{timezone.now():%Y%m%d%H}",
        template=TEMPLATE_FRESH_LINK,
        to_email=candidate.email,
        candidate=candidate,
        context={"first_name": candidate.first_name, "link_url": links.preferences_url(candidate)},
        language=_language(candidate),
    )


def registration_confirm_send(*, registration: Registration) -> Message:
    token = links.sign(links.REGISTRATION_CONFIRM, candidate=None, r=registration.pk)
    url = tenant_absolute_url(reverse("consent:register_confirm", args=[token]))
    return _send(
        send_key=f"consent.registration:{registration.pk}",
        template=TEMPLATE_REGISTRATION,
        to_email=registration.email,
        candidate=None,
        context={"first_name": registration.data.get("first_name", ""), "link_url": url},
        language=registration.data.get("language") or None,
    )


def request_confirm_send(*, request: DataRequest) -> Message:
    candidate = request.candidate
    token = links.sign(links.REQUEST_CONFIRM, candidate=candidate, r=request.pk)
    url = tenant_absolute_url(reverse("consent:request_confirm", args=[token]))
    kind = "a copy of my data" if request.kind == RequestKind.ACCESS else "erasure of my data"
    return _send(
        send_key=f"consent.request:{request.pk}",
        template=TEMPLATE_REQUEST,
        to_email=candidate.email,
        candidate=candidate,
        context={"first_name": candidate.first_name, "link_url": url, "request_kind": kind},
        language=_language(candidate),
    )


def renewal_send(*, candidate: Candidate, expires_at: object) -> Message:
    return _send(
        send_key=f"consent.renewal:{candidate.pk}:{timezone.now():%Y%m%d}",
        template=TEMPLATE_RENEWAL,
        to_email=candidate.email,
        candidate=candidate,
        context={
            "first_name": candidate.first_name,
            "link_url": links.optin_url(candidate, source="renewal"),
            "expiry_date": formats.date_format(expires_at, "j F Y"),
        },
        language=_language(candidate),
    )
