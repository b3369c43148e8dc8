from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.navigation import safe_next
from accounts.permissions import hr_admin_required, recruiter_required
from mailing.catalog import get_template_kind, template_kinds
from mailing.forms import EmailTemplateForm, MessageFilterForm
from mailing.models import EmailTemplate, Message, MessageStatus
from mailing.previews import email_frame_response, preview_load
from mailing.rendering import render_email
from mailing.selectors import message_timeline, messages_filtered, status_counts
from mailing.services import (
    email_template_save,
    email_template_send_test,
    email_template_source,
    message_send_now,
)
from tenants.i18n import language_codes, missing_languages, tenant_language


@recruiter_required
def message_list(request: StaffRequest) -> HttpResponse:
    form = MessageFilterForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    queryset = messages_filtered(status=cleaned.get("status", ""), q=cleaned.get("q", ""))
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    counts = status_counts()
    status_choices = [("", _("All statuses (%(n)s)") % {"n": sum(counts.values())})] + [
        (value, f"{label} ({counts.get(value, 0)})") for value, label in MessageStatus.choices
    ]
    context = {
        "form": form,
        "page": page,
        "status_choices": status_choices,
        "now": timezone.now(),
    }
    template = "mailing/_rows.html" if request.htmx else "mailing/list.html"
    return render(request, template, context)


@recruiter_required
def message_detail(request: StaffRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message.objects.select_related("candidate"), pk=pk)
    return render(
        request,
        "mailing/detail.html",
        {
            "message": message,
            "timeline": message_timeline(message),
            "attachments": message.attachments.defer("content"),
            "scheduled": message.status == MessageStatus.QUEUED
            and message.send_after is not None
            and message.send_after > timezone.now(),
        },
    )


@recruiter_required
@require_POST
def message_send_now_view(request: StaffRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message, pk=pk)
    if message_send_now(message=message, actor=request.user):
        messages.success(request, _("The email is on its way now."))
    else:
        messages.info(request, _("This email is no longer waiting: it was sent or cancelled."))
    return redirect(safe_next(request, reverse("mailing:detail", args=[message.pk])))


@recruiter_required
@xframe_options_sameorigin
def message_html(request: StaffRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message, pk=pk)
    return email_frame_response(message.html)


@recruiter_required
def preview_frame(request: StaffRequest, key: str) -> HttpResponse:
    html = preview_load(key, user=request.user)
    if html is None:
        raise Http404("This preview has expired: preview again.")
    return email_frame_response(html)


@hr_admin_required
def template_list(request: StaffRequest) -> HttpResponse:
    edited: dict[str, list[str]] = {}
    for row in EmailTemplate.objects.all():
        edited.setdefault(row.key, []).append(row.language)
    # Languages HR has not written yet go out with the built-in text: shown as missing once HR
    # has written the template in another language (their words would not reach those people).
    kinds = [
        (
            k,
            sorted(edited.get(k.key, [])),
            missing_languages(edited[k.key]) if k.key in edited else [],
        )
        for k in template_kinds()
    ]
    return render(request, "mailing/templates.html", {"kinds": kinds})


@hr_admin_required
def template_edit(request: StaffRequest, key: str) -> HttpResponse:
    try:
        kind = get_template_kind(key)
    except ValidationError:
        return render(request, "404.html", status=404)
    language = request.GET.get("language") or tenant_language()
    if language not in language_codes():
        language = tenant_language()
    subject, body, _source = email_template_source(key=key, language=language)
    edited = set(EmailTemplate.objects.filter(key=key).values_list("language", flat=True))
    form = EmailTemplateForm(
        request.POST or None, initial={"language": language, "subject": subject, "body": body}
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        action = request.POST.get("action", "save")
        try:
            if action == "test":
                email_template_send_test(
                    key=key,
                    language=data["language"],
                    subject=data["subject"],
                    body=data["body"],
                    actor=request.user,
                )
                messages.success(
                    request,
                    _("A test email is on its way to %(email)s.") % {"email": request.user.email},
                )
            elif action == "preview":
                preview = render_email(
                    subject_source=data["subject"],
                    body_source=data["body"],
                    context=kind.sample,
                    allowed_tags=kind.allowed_tags,
                    language=data["language"],
                )
            else:
                email_template_save(
                    key=key,
                    language=data["language"],
                    subject=data["subject"],
                    body=data["body"],
                    actor=request.user,
                )
                messages.success(request, _("Template saved."))
                return redirect(f"{request.path}?language={data['language']}")
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error(None, error)
    elif request.method == "GET":
        preview = render_email(
            subject_source=subject,
            body_source=body,
            context=kind.sample,
            allowed_tags=kind.allowed_tags,
            language=language,
        )
    return render(
        request,
        "mailing/template_edit.html",
        {
            "kind": kind,
            "form": form,
            "preview": preview,
            "language": language,
            "builtin": language not in edited,
            "edited": sorted(edited),
        },
    )


def dashboard_context(request: HttpRequest) -> dict[str, object]:
    counts = status_counts()
    return {
        "queued": counts.get(MessageStatus.QUEUED, 0) + counts.get(MessageStatus.SENDING, 0),
        "failed": counts.get(MessageStatus.FAILED, 0) + counts.get(MessageStatus.BOUNCED, 0),
        "recent": Message.objects.defer("html", "text")[:5],
    }
