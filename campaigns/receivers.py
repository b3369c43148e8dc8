from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from campaigns.defaults import topics_install_defaults
from tenants.events import tenant_provisioned


@receiver(tenant_provisioned, dispatch_uid="campaigns.defaults")
def install_defaults(**_: Any) -> None:
    topics_install_defaults()
