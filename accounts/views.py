from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import (
    AuditFilterForm,
    audit_action_label,
    audit_csv_lines,
    audit_entries,
    details_fields,
)
from accounts.dashboard import panels_for
from accounts.forms import BrandingForm, InviteForm, ProfileForm
from accounts.http import StaffRequest
from accounts.i18n import staff_language
from accounts.lockout import LockStatus, signin_lock_status
from accounts.models import Role, User
from accounts.permissions import hr_admin_required, public_view, recruiter_required
from accounts.services import (
    AccountError,
    audit_log_record,
    profile_save,
    tenant_branding_save,
    user_deactivate,
    user_invite,
    user_reactivate,
    user_role_change,
    user_signin_unlock,
)
from accounts.twofactor import two_factor_remove, users_with_second_factor

logout_view = public_view(auth_views.LogoutView.as_view())
password_reset_done = public_view(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_complete = public_view(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)


@recruiter_required
def dashboard(request: StaffRequest) -> HttpResponse:
    return render(request, "accounts/dashboard.html", {"panels": panels_for(request)})


@recruiter_required
def profile(request: StaffRequest) -> HttpResponse:
    """The signed-in person's own settings; a new language applies from the next page on."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = profile_save(actor=request.user, form=form)
        with translation.override(staff_language(user)):
            messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@dataclass(frozen=True)
class UserRow:
    """A line of the users page: the account, its sign-in locks and whether it has a 2nd factor."""

    user: User
    lock_status: LockStatus | None
    has_second_factor: bool


@hr_admin_required
def user_list(request: StaffRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_invite(actor=request.user, **form.cleaned_data)
        except AccountError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
            return redirect("accounts:users")
    users = list(User.objects.order_by("-is_active", "email"))
    locks = signin_lock_status(emails=[u.email for u in users])
    with_factor = users_with_second_factor(users)
    rows = [UserRow(u, locks.get(u.email), u.pk in with_factor) for u in users]
    return render(
        request, "accounts/users.html", {"rows": rows, "form": form, "roles": Role.choices}
    )


@hr_admin_required
@require_POST
def user_update(request: StaffRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    action = request.POST.get("action")
    try:
        if action == "deactivate":
            user_deactivate(actor=request.user, user=user)
            messages.success(request, _("%(email)s can no longer sign in.") % {"email": user.email})
        elif action == "reactivate":
            user_reactivate(actor=request.user, user=user)
            messages.success(request, _("%(email)s can sign in again.") % {"email": user.email})
        elif action == "unlock":
            user_signin_unlock(actor=request.user, user=user)
            messages.success(request, _("%(email)s can sign in again.") % {"email": user.email})
        elif action == "reset_two_factor":
            two_factor_remove(actor=request.user, user=user)
            messages.success(
                request,
                _("Two-factor sign-in of %(email)s was reset; they set it up again at sign-in.")
                % {"email": user.email},
            )
        elif action == "role":
            user_role_change(actor=request.user, user=user, role=request.POST.get("role", ""))
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": user.email, "role": user.get_role_display()},
            )
        else:
            messages.error(request, _("Unknown action."))
    except AccountError as exc:
        messages.error(request, str(exc))
    return redirect("accounts:users")


@hr_admin_required
def settings_branding(request: StaffRequest) -> HttpResponse:
    tenant = request.tenant
    form = BrandingForm(request.POST or None, request.FILES or None, instance=tenant)
    if request.method == "POST" and form.is_valid():
        tenant_branding_save(actor=request.user, form=form, request=request)
        messages.success(request, _("Branding and sender identity saved."))
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})


@hr_admin_required
def audit_log(request: StaffRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    page = Paginator(audit_entries(cleaned), 50).get_page(request.GET.get("page"))
    rows = [
        (entry, audit_action_label(entry.action), details_fields(entry.details)) for entry in page
    ]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"page": page, "rows": rows, "form": form, "export_qs": params.urlencode()},
    )


@hr_admin_required
def audit_log_export(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(f"{reverse('accounts:audit_log')}?{request.GET.urlencode()}")
    cleaned = form.cleaned_data if form.is_bound else {}
    entries = audit_entries(cleaned)
    count = entries.count()
    audit_log_record(
        actor=request.user,
        action="accounts.audit_export",
        details={k: str(v) for k, v in cleaned.items() if v} | {"count": count},
        request=request,
    )
    response = StreamingHttpResponse(
        audit_csv_lines(entries.iterator()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
