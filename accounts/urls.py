from __future__ import annotations

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from accounts import passkeys, security_views, signin_views, views
from accounts.permissions import public_view

app_name = "accounts"

urlpatterns = [
    path("login/", signin_views.login_view, name="login"),
    path("login/verify/", signin_views.login_verify, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("sso/start/", signin_views.sso_start, name="sso_start"),
    path("sso/callback/", signin_views.sso_callback, name="sso_callback"),
    path("password-reset/", signin_views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        signin_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("two-factor/", security_views.two_factor, name="two_factor"),
    path("two-factor/app/", security_views.two_factor_app, name="two_factor_app"),
    path(
        "two-factor/recovery-codes/",
        security_views.recovery_codes_new,
        name="recovery_codes_new",
    ),
    path("two-factor/off/", security_views.two_factor_off, name="two_factor_off"),
    path(
        "two-factor/passkeys/<int:pk>/remove/",
        security_views.passkey_remove,
        name="passkey_remove",
    ),
    path(
        "two-factor/passkeys/register/begin/",
        passkeys.registration_begin,
        name="passkey_register_begin",
    ),
    path(
        "two-factor/passkeys/register/complete/",
        passkeys.registration_complete,
        name="passkey_register_complete",
    ),
    path("login/passkey/begin/", passkeys.authentication_begin, name="passkey_authenticate_begin"),
    path(
        "login/passkey/complete/",
        passkeys.authentication_complete,
        name="passkey_authenticate_complete",
    ),
    # The passkey scripts' own messages (django-otp-webauthn's translations).
    path(
        "passkeys/jsi18n/",
        public_view(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="passkey_jsi18n",
    ),
    path("profile/", views.profile, name="profile"),
    path("settings/users/", views.user_list, name="users"),
    path("settings/users/<int:pk>/", views.user_update, name="user_update"),
    path("settings/", views.settings_branding, name="settings"),
    path("settings/sign-in/", security_views.signin_settings, name="signin_settings"),
    path("settings/audit-log/", views.audit_log, name="audit_log"),
    path("settings/audit-log/export.csv", views.audit_log_export, name="audit_export"),
]
