"""What accounts holds about people (tenants.privacy registry): staff accounts, the audit log,
and the login machinery it uses from Django and django-axes (sessions, the admin log, login
attempts), which are declared here because accounts is the app that owns signing in.

Candidate erasure touches only free text here: an audit entry or admin log line naming the
person loses the name. Staff data follows the user account; login attempts are visitors' data.
"""

from __future__ import annotations

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
_AXES = ("user_agent", "ip_address", "username", "http_accept", "path_info")

AUDIT = Dataset(
    model="accounts.AuditLog",
    description="Audit log",
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
    description="Platform admin log",
    purposes=("staff_accounts",),
    personal={"object_repr": _MENTIONS, "change_message": _MENTIONS},
    not_personal=("object_id",),
)
DATASETS = [
    Dataset(
        model="accounts.User",
        description="Staff accounts",
        purposes=("staff_accounts",),
        personal={
            "email": _STAFF_ID,
            "full_name": _STAFF_ID,
            "signature": _STAFF_ID,
            "password": _STAFF_TECH,
        },
        not_personal=("role",),
    ),
    AUDIT,
    ADMIN_LOG,
    Dataset(
        model="sessions.Session",
        description="Staff sessions",
        purposes=("staff_accounts",),
        personal={"session_data": _STAFF_TECH},
        not_personal=("session_key",),
    ),
    Dataset(
        model="axes.AccessAttempt",
        description="Failed sign-in attempts",
        purposes=("staff_accounts",),
        personal={name: _VISITOR for name in (*_AXES, "get_data", "post_data")},
    ),
    Dataset(
        model="axes.AccessLog",
        description="Sign-ins",
        purposes=("staff_accounts",),
        personal={name: _VISITOR for name in (*_AXES, "session_hash")},
    ),
    Dataset(
        model="axes.AccessFailureLog",
        description="Failed sign-ins",
        purposes=("staff_accounts",),
        personal={name: _VISITOR for name in _AXES},
    ),
]


def _staff_retention() -> str:
    return (
        "Staff accounts: while the person works with the product. Audit log: for the life "
        "of the account of the company (accountability, Art. 5(2)). Sign-in attempts: "
        "reset on the next successful sign-in."
    )


PURPOSES = [
    Purpose(
        "staff_accounts",
        "Staff sign-in, security and the audit log",
        "Contract with the company; legitimate interest in security (Art. 6(1)(f))",
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
