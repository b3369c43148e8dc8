from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.services import hr_admin_ensure, password_set_url
from tenants.events import tenant_provisioned


@receiver(tenant_provisioned, dispatch_uid="accounts.hr_admin")
def create_hr_admin(*, admin_email: str, admin_password: str | None, **_: Any) -> str | None:
    user, created = hr_admin_ensure(email=admin_email, password=admin_password)
    if not created:
        return f"HR admin {user.email} already exists."
    if admin_password:
        return f"HR admin {user.email} can sign in with the given password."
    return f"HR admin {user.email}: choose a password at {password_set_url(user)}"
