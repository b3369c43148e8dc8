"""ATS connectors: inbound, signed webhooks per tenant (Greenhouse, Lever)."""

from __future__ import annotations

from integrations.ats import greenhouse, lever
from integrations.ats.common import Processor

PROCESSORS: dict[str, Processor] = {
    greenhouse.PROVIDER: greenhouse.process,
    lever.PROVIDER: lever.process,
}
