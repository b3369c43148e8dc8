"""Pages for candidates: no login, reached by signed links (or public, for registration).

They are branded with the tenant's logo and colour, load nothing from other hosts, and answer
bad links with a clear page (never a 500): forged, expired, revoked or another tenant's.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.permissions import candidate_token_view, public_view
from candidates.i18n import candidate_language, candidate_render, in_visitor_language
from candidates.sources import source_label
from consent import links
from consent.exports import export_file_response, latest_export
from consent.forms import ChoicesForm, RegistrationForm
from consent.links import LinkData, LinkError, LinkKind
from consent.models import (
    ConsentEvent,
    ConsentText,
    DataRequest,
    ExportStatus,
    Purpose,
    Registration,
    RequestKind,
    RequestStatus,
    Source,
)
from consent.notifications import fresh_link_send
from consent.requests import (
    data_request_confirm,
    data_request_create,
    registration_confirm,
    registration_submit,
)
from consent.selectors import consent_state, texts_current, topic_settings
from consent.services import (
    ConsentError,
    Origin,
    consent_change,
    nurture_withdraw_all,
    profile_language_set,
)
from tenants.i18n import visitor_language
from tenants.public_forms import RateLimited

# The newsletter sign-up offers news-like topics only.
NEWSLETTER_TOPICS = (Purpose.COMPANY_NEWS, Purpose.EVENTS, Purpose.JOB_MARKET)

LINK_ERRORS = {
    "invalid": (
        400,
        _("This link is not valid"),
        _("It may have been cut or mistyped. Use the full link from the email."),
    ),
    "expired": (
        410,
        _("This link has expired"),
        _("For your protection, links stop working after a while."),
    ),
    "other_tenant": (
        403,
        _("This link belongs to another organisation"),
        _(
            "Open it from the email you received: it only works on the site of the company that "
            "sent it."
        ),
    ),
    "revoked": (
        410,
        _("This link is no longer valid"),
        _("It was replaced by a newer one, or the data it pointed to has been erased."),
    ),
}


def link_error(request: HttpRequest, error: LinkError, token: str = "") -> HttpResponse:
    status, title, detail = LINK_ERRORS[error.reason]
    return _render(
        request,
        "consent/public/link_error.html",
        {
            "title": title,
            "detail": detail,
            "can_resend": error.reason == "expired" and error.candidate is not None,
            "token": token,
        },
        candidate=error.candidate,
        status=status,
    )


# Every page here is in the person's language, else the visitor's (candidates.i18n).
_render = candidate_render


def _resolve(kind: LinkKind, token: str) -> LinkData:
    data = links.read(kind, token)
    if data.candidate is None:
        raise LinkError("invalid")
    return data


def _choices_page(
    request: HttpRequest, token: str, *, kind: LinkKind, template: str, source: str
) -> HttpResponse:
    try:
        data = _resolve(kind, token)
    except LinkError as error:
        return link_error(request, error, token)
    candidate = data.candidate
    assert candidate is not None
    language = candidate_language(candidate)
    state = consent_state(candidate)
    is_optin = kind is links.OPTIN
    form = ChoicesForm(
        request.POST if request.method == "POST" else None,
        topics=topic_settings(),
        texts=texts_current(language),
        state=state,
        language=candidate.preferred_language,
        # Whoever agreed to pool invitations can take it back here.
        offer_invitation=bool(
            state.get(Purpose.POOL_INVITATION) and state[Purpose.POOL_INVITATION].granted
        ),
    )
    saved: list[ConsentEvent] | None = None
    granted: list[str] = []
    if request.method == "POST" and form.is_valid():
        grant, withdraw = form.decisions()
        try:
            with transaction.atomic():
                saved = consent_change(
                    candidate=candidate,
                    source=source,
                    grant=grant,
                    withdraw=withdraw,
                    shown=form.shown(),
                    origin=Origin.from_request(request),
                    reason=gettext("From: %(source)s")
                    % {"source": source_label(data.extra.get("s"))}
                    if is_optin and data.extra.get("s")
                    else "",
                )
                profile_language_set(
                    candidate=candidate, language=form.cleaned_data.get("language", "")
                )
        except ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            granted = [_purpose_title(p, form.texts) for p in form.ticked()]
    status = 200 if request.method == "GET" or form.is_valid() else 400
    return _render(
        request,
        template,
        {
            "candidate": candidate,
            "form": form,
            "saved": saved,
            "granted": granted,
            "pool_text": form.texts.get(Purpose.TALENT_POOL),
            "tracking_text": form.texts.get(Purpose.TRACKING),
            "invitation_text": form.texts.get(Purpose.POOL_INVITATION),
            "token": token,
            "preferences_token": links.sign(links.PREFERENCES, candidate=candidate)
            if is_optin
            else token,
        },
        candidate=candidate,
        status=status,
    )


def _purpose_title(purpose: str, texts: dict[str, ConsentText]) -> str:
    text = texts.get(purpose)
    return text.title if text else str(Purpose(purpose).label)


@candidate_token_view
@require_http_methods(["GET", "POST"])
def optin(request: HttpRequest, token: str) -> HttpResponse:
    return _choices_page(
        request,
        token,
        kind=links.OPTIN,
        template="consent/public/optin.html",
        source=Source.OPTIN_LINK,
    )


@candidate_token_view
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    return _choices_page(
        request,
        token,
        kind=links.PREFERENCES,
        template="consent/public/preferences.html",
        source=Source.PREFERENCE_CENTRE,
    )


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" to this URL with no cookies and no
# way to obtain a CSRF token; the signed token in the URL is the authentication.
@candidate_token_view
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = _resolve(links.UNSUBSCRIBE, token)
    except LinkError as error:
        if error.reason != "expired" or error.candidate is None:
            return link_error(request, error, token)
        # Stopping mail must work however old the email is: the signature is genuine.
        data = LinkData(candidate=error.candidate, extra=error.extra)
    candidate = data.candidate
    assert candidate is not None
    topic = data.extra.get("o")
    if topic and topic not in Purpose.values:
        return link_error(request, LinkError("invalid"))
    done = False
    if request.method == "POST":
        origin = Origin.from_request(request)
        with transaction.atomic():
            if topic:
                consent_change(
                    candidate=candidate,
                    source=Source.UNSUBSCRIBE,
                    withdraw=[topic],
                    origin=origin,
                    engaged=False,
                )
            else:
                nurture_withdraw_all(candidate=candidate, source=Source.UNSUBSCRIBE, origin=origin)
        done = True
    language = candidate_language(candidate)
    topic_text = texts_current(language).get(topic) if topic else None
    return _render(
        request,
        "consent/public/unsubscribe.html",
        {
            "candidate": candidate,
            "topic_label": (topic_text.title if topic_text else Purpose(topic).label)
            if topic
            else "",
            "done": done,
            "token": token,
            "all_token": links.sign(links.UNSUBSCRIBE, candidate=candidate) if topic else "",
            "preferences_token": links.sign(links.PREFERENCES, candidate=candidate),
        },
        candidate=candidate,
    )


@candidate_token_view
@require_http_methods(["POST"])
def fresh_link(request: HttpRequest, token: str) -> HttpResponse:
    """An expired link from a genuine email: send a fresh preference-centre link to the address
    we hold (never to an address given here), at most once an hour per person."""
    candidate = None
    for kind in (links.OPTIN, links.PREFERENCES, links.UNSUBSCRIBE):
        try:
            candidate = links.read(kind, token).candidate
        except LinkError as error:
            candidate = error.candidate if error.reason == "expired" else None
        if candidate is not None:
            break
    if candidate is None:
        return link_error(request, LinkError("invalid"))
    if cache.add(f"consent:fresh-link:{candidate.pk}", 1, 3600):
        with transaction.atomic():
            fresh_link_send(candidate=candidate)
    return _render(request, "consent/public/fresh_link_sent.html", {}, candidate=candidate)


# --- Registration (public) ----------------------------------------------------------------------


def _register(request: HttpRequest, *, newsletter: bool) -> HttpResponse:
    language = visitor_language(request)
    texts = texts_current(language)
    topics = topic_settings()
    if newsletter:
        topics = {t: s for t, s in topics.items() if t in NEWSLETTER_TOPICS}
    data = request.POST if request.method == "POST" else None
    form = RegistrationForm(data, request.FILES or None, newsletter=newsletter)
    # The registration page's own act is joining the pool (its button says so); the topics
    # are boxes of their own, never ticked for the person.
    # The language of our emails starts as the one the page is read in: a French visitor who
    # leaves it as it is gets French emails.
    choices = ChoicesForm(
        data,
        topics=topics,
        texts=texts,
        offer_pool=False,
        offer_invitation=newsletter,
        language=language,
    )
    if request.method == "POST":
        if not form.check_human():
            # Say nothing useful to a bot, record nothing.
            return _render(request, "consent/public/register_sent.html", {}, status=400)
        shown = None
        if choices.is_valid():
            pool: dict[str, ConsentText | None] = (
                {} if newsletter else {Purpose.TALENT_POOL: texts.get(Purpose.TALENT_POOL)}
            )
            shown = choices.shown(also=pool)
            if newsletter and not set(shown.ticked) & set(NEWSLETTER_TOPICS):
                choices.add_error(None, _("Choose at least one topic to receive."))
        if form.is_valid() and choices.is_valid() and shown is not None:
            try:
                registration_submit(
                    profile=form.cleaned_data,
                    email=form.cleaned_data["email"],
                    grant={p: choices.cleaned_data.get(f"{p}_frequency", "") for p in shown.ticked},
                    shown=shown,
                    language=choices.cleaned_data.get("language", ""),
                    cv=form.cleaned_data.get("cv"),
                    newsletter=newsletter,
                    origin=Origin.from_request(request),
                    page_language=language,
                )
            except RateLimited as exc:
                return _render(
                    request, "consent/public/rate_limited.html", {"message": str(exc)}, status=429
                )
            return _render(request, "consent/public/register_sent.html", {})
    return _render(
        request,
        "consent/public/register.html",
        {
            "form": form,
            "choices": choices,
            "newsletter": newsletter,
            "pool_text": texts.get(Purpose.TALENT_POOL),
            "tracking_text": texts.get(Purpose.TRACKING),
            "invitation_text": texts.get(Purpose.POOL_INVITATION),
        },
        status=400 if request.method == "POST" else 200,
    )


@public_view
@require_http_methods(["GET", "POST"])
@in_visitor_language
def register(request: HttpRequest) -> HttpResponse:
    return _register(request, newsletter=False)


@public_view
@require_http_methods(["GET", "POST"])
@in_visitor_language
def newsletter(request: HttpRequest) -> HttpResponse:
    return _register(request, newsletter=True)


@candidate_token_view
@require_http_methods(["GET", "POST"])
def register_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: link scanners that open emailed links must not
    confirm on the person's behalf."""
    try:
        data = links.read(links.REGISTRATION_CONFIRM, token)
    except LinkError as error:
        return link_error(request, error)
    registration_id = data.extra.get("r")
    registration = (
        Registration.objects.filter(pk=registration_id).first()
        if registration_id is not None
        else None
    )
    if registration is None:
        return link_error(request, LinkError("revoked"))
    candidate = registration.candidate if registration.confirmed_at else None
    if request.method == "POST" and candidate is None:
        candidate = registration_confirm(
            registration=registration, origin=Origin.from_request(request)
        )
    return _render(
        request,
        "consent/public/register_confirm.html",
        {
            "done": candidate is not None,
            "preferences_token": links.sign(links.PREFERENCES, candidate=candidate)
            if candidate
            else "",
        },
        candidate=candidate,
    )


# --- My data (access and erasure requests) ------------------------------------------------------


@candidate_token_view
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = _resolve(links.PREFERENCES, token)
    except LinkError as error:
        return link_error(request, error, token)
    candidate = data.candidate
    assert candidate is not None
    sent = None
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in RequestKind.values:
            return link_error(request, LinkError("invalid"))
        sent = data_request_create(
            candidate=candidate, kind=kind, origin=Origin.from_request(request)
        )
    return _render(
        request,
        "consent/public/my_data.html",
        {"candidate": candidate, "token": token, "sent": sent},
        candidate=candidate,
    )


@candidate_token_view
@require_http_methods(["GET", "POST"])
def request_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = _resolve(links.REQUEST_CONFIRM, token)
    except LinkError as error:
        return link_error(request, error)
    candidate = data.candidate
    assert candidate is not None
    request_id = data.extra.get("r")
    data_request = (
        DataRequest.objects.filter(pk=request_id, candidate=candidate).first()
        if request_id is not None
        else None
    )
    if data_request is None:
        return link_error(request, LinkError("revoked"))
    if request.method == "POST":
        data_request = data_request_confirm(request=data_request)
    context: dict[str, object] = {"data_request": data_request, "token": token}
    if data_request.kind == RequestKind.ACCESS and data_request.status in (
        RequestStatus.CONFIRMED,
        RequestStatus.COMPLETED,
    ):
        export = latest_export(candidate, request=data_request)
        context["export"] = export
        if export is not None and export.status == ExportStatus.DONE:
            context["download_token"] = links.sign(
                links.DOWNLOAD, candidate=candidate, r=data_request.pk
            )
    # The page polls its own progress box while the copy is being prepared.
    template = (
        "consent/public/_export_progress.html"
        if getattr(request, "htmx", False)
        else "consent/public/request_confirm.html"
    )
    return _render(request, template, context, candidate=candidate)


@candidate_token_view
@require_http_methods(["GET"])
def download(request: HttpRequest, token: str, fmt: str) -> HttpResponse | FileResponse:
    try:
        data = _resolve(links.DOWNLOAD, token)
    except LinkError as error:
        return link_error(request, error)
    candidate = data.candidate
    assert candidate is not None
    request_id = data.extra.get("r")
    data_request = (
        DataRequest.objects.filter(
            pk=request_id, candidate=candidate, kind=RequestKind.ACCESS
        ).first()
        if request_id is not None
        else None
    )
    export = latest_export(candidate, request=data_request) if data_request else None
    if export is None or export.status != ExportStatus.DONE or fmt not in ("json", "pdf"):
        return link_error(request, LinkError("revoked"))
    return export_file_response(export, fmt, filename=f"my-data.{fmt}")
