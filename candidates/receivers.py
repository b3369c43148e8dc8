from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from candidates.defaults import stages_install_defaults
from tenants.events import tenant_provisioned


@receiver(tenant_provisioned, dispatch_uid="candidates.defaults")
def install_defaults(**_: Any) -> None:
    stages_install_defaults()
