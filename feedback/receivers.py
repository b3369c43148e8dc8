from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from feedback.defaults import feedback_install_defaults
from tenants.events import tenant_provisioned


@receiver(tenant_provisioned, dispatch_uid="feedback.defaults")
def install_defaults(**_: Any) -> None:
    feedback_install_defaults()
