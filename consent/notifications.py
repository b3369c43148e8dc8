"""Emails consent sends, all transactional and all through mailing's outbox (written in the
caller's transaction, dispatched after commit). Wording is HR-editable (mailing's template
catalog, registered in consent.registrations). Each is composed in the person's language
(candidates.i18n) with dates in the company's time zone, values included."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from candidates.i18n import candidate_language
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
from tenants.context import current_tenant_or_none
from tenants.i18n import language_chain, localised, tenant_zone
from tenants.links import tenant_absolute_url


def _send(
    *,
    send_key: str,
    template: str,
    to_email: str,
    candidate: Candidate | None,
    context: dict[str, str],
    language: str,
) -> Message:
    tenant = current_tenant_or_none()
    company = tenant.from_name if tenant is not None else ""
    with localised(language=language, zone=tenant_zone()):
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
        language=candidate_language(candidate),
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
        # The language chosen on the form, else the page's (the person read it in that one).
        language=language_chain(
            registration.data.get("language") or registration.data.get("page_language")
        )[0],
    )


def request_confirm_send(*, request: DataRequest) -> Message:
    candidate = request.candidate
    token = links.sign(links.REQUEST_CONFIRM, candidate=candidate, r=request.pk)
    url = tenant_absolute_url(reverse("consent:request_confirm", args=[token]))
    language = candidate_language(candidate)
    with localised(language=language):
        kind = (
            gettext("a copy of my data")
            if request.kind == RequestKind.ACCESS
            else gettext("erasure of my data")
        )
    return _send(
        send_key=f"consent.request:{request.pk}",
        template=TEMPLATE_REQUEST,
        to_email=candidate.email,
        candidate=candidate,
        context={"first_name": candidate.first_name, "link_url": url, "request_kind": kind},
        language=language,
    )


def renewal_send(*, candidate: Candidate, expires_at: datetime) -> Message:
    language = candidate_language(candidate)
    # The day consent lapses, as the company's calendar has it, in the person's words.
    with localised(language=language, zone=tenant_zone()):
        expiry = formats.date_format(timezone.localtime(expires_at), "DATE_FORMAT")
    return _send(
        send_key=f"consent.renewal:{candidate.pk}:{timezone.now():%Y%m%d}",
        template=TEMPLATE_RENEWAL,
        to_email=candidate.email,
        candidate=candidate,
        context={
            "first_name": candidate.first_name,
            "link_url": links.optin_url(candidate, source="renewal"),
            "expiry_date": expiry,
        },
        language=language,
    )
