"""What accounts holds about people (tenants.privacy registry): staff accounts, the audit log,
and the sign-in machinery it uses (sessions, the admin log, failed sign-ins, single sign-on
identities, django-otp's second factors and passkeys), which are declared here because accounts
is the app that owns signing in.

Candidate erasure touches only free text here: an audit entry or admin log line naming the
person loses the name. Staff data follows the user account; login attempts are visitors' data.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from tenants.privacy import (
    AppPrivacy,
    Category,
    Dataset,
    Erase,
    Erasure,
    Personal,
    Purpose,
    Subject,
    scrub_mentions,
)

_STAFF_ID = Personal(Category.ACCOUNT, subject=Subject.STAFF)
_STAFF_TECH = Personal(Category.TECHNICAL, subject=Subject.STAFF, export=False)
_VISITOR = Personal(Category.TECHNICAL, subject=Subject.VISITOR, export=False)
_MENTIONS = Personal(Category.FREE_TEXT, Erase.SCRUB)

AUDIT = Dataset(
    model="accounts.AuditLog",
    description=gettext_noop("Audit log"),
    purposes=("staff_accounts",),
    personal={
        "actor_label": _STAFF_ID,
        "ip_address": _STAFF_TECH,
        "target": _MENTIONS,
        "details": _MENTIONS,
    },
    not_personal=("action",),
)
ADMIN_LOG = Dataset(
    model="admin.LogEntry",
    description=gettext_noop("Platform admin log"),
    purposes=("staff_accounts",),
    personal={"object_repr": _MENTIONS, "change_message": _MENTIONS},
    not_personal=("object_id",),
)
DATASETS = [
    Dataset(
        model="accounts.User",
        description=gettext_noop("Staff accounts"),
        purposes=("staff_accounts",),
        personal={
            "email": _STAFF_ID,
            "full_name": _STAFF_ID,
            "signature": _STAFF_ID,
            # Their chosen language: a preference of an identified person.
            "language": _STAFF_ID,
            "password": _STAFF_TECH,
        },
        not_personal=("role",),
    ),
    AUDIT,
    ADMIN_LOG,
    Dataset(
        model="sessions.Session",
        description=gettext_noop("Staff sessions"),
        purposes=("staff_accounts",),
        personal={"session_data": _STAFF_TECH},
        not_personal=("session_key",),
    ),
    Dataset(
        model="accounts.SignInFailure",
        description=gettext_noop(
            "Failed sign-ins (keyed hash of the typed address, client address)"
        ),
        purposes=("staff_accounts",),
        personal={"account": _VISITOR, "ip_address": _VISITOR},
    ),
    Dataset(
        model="accounts.ExternalIdentity",
        description=gettext_noop(
            "Single sign-on identities (issuer and subject at the company's provider)"
        ),
        purposes=("staff_accounts",),
        personal={"issuer": _STAFF_TECH, "subject": _STAFF_TECH},
    ),
    Dataset(
        model="accounts.SignInPolicy",
        description=gettext_noop("Sign-in settings of the company"),
        purposes=("staff_accounts",),
        not_personal=(
            "sso_label",
            "oidc_issuer",
            "oidc_client_id",
            "oidc_client_secret_encrypted",
            "sso_default_role",
            "sso_groups_claim",
            "sso_hr_admin_groups",
            "sso_recruiter_groups",
        ),
    ),
    Dataset(
        model="otp_totp.TOTPDevice",
        description=gettext_noop("Authenticator apps (second factor)"),
        purposes=("staff_accounts",),
        personal={"name": _STAFF_TECH, "key": _STAFF_TECH},
    ),
    Dataset(
        model="otp_static.StaticDevice",
        description=gettext_noop("Recovery code sets (second factor)"),
        purposes=("staff_accounts",),
        personal={"name": _STAFF_TECH},
    ),
    Dataset(
        model="otp_static.StaticToken",
        description=gettext_noop("Recovery codes (keyed hashes)"),
        purposes=("staff_accounts",),
        personal={"token": _STAFF_TECH},
    ),
    Dataset(
        model="django_otp_webauthn.WebAuthnCredential",
        description=gettext_noop("Passkeys (second factor)"),
        purposes=("staff_accounts",),
        personal={
            name: _STAFF_TECH
            for name in (
                "name",
                "credential_id",
                "credential_id_sha256",
                "public_key",
                "aaguid",
                "transports",
            )
        },
        not_personal=("credential_type",),
    ),
    Dataset(
        model="django_otp_webauthn.WebAuthnAttestation",
        description=gettext_noop("Passkey attestations"),
        purposes=("staff_accounts",),
        personal={"data": _STAFF_TECH, "client_data_json": _STAFF_TECH},
        not_personal=("fmt",),
    ),
    Dataset(
        model="django_otp_webauthn.WebAuthnUserHandle",
        description=gettext_noop("Passkey user handles"),
        purposes=("staff_accounts",),
        personal={"handle_hex": _STAFF_TECH},
    ),
]


def _staff_retention() -> str:
    return gettext(
        "Staff accounts: while the person works with the product. Audit log: for the life "
        "of the account of the company (accountability, Art. 5(2)). Failed sign-ins: "
        "30 minutes after the last one. Second factors and SSO identities: with the account."
    )


PURPOSES = [
    Purpose(
        "staff_accounts",
        gettext_noop("Staff sign-in, security and the audit log"),
        gettext_noop("Contract with the company; legitimate interest in security (Art. 6(1)(f))"),
        _staff_retention,
    )
]


def accounts_personal_erase(erasure: Erasure) -> None:
    """Audit entries and admin log lines that name an erased candidate lose the name."""
    for dataset in (AUDIT, ADMIN_LOG):
        erasure.count(f"{dataset.model.lower()} mentions", scrub_mentions(dataset, erasure))


PRIVACY = AppPrivacy(
    app_label="accounts",
    datasets=DATASETS,
    erase=accounts_personal_erase,
    purposes=PURPOSES,
)
