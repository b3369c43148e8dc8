"""Domain events announced by `candidates` services; later apps subscribe in AppConfig.ready().

Never model signals: these fire from services, once per business fact, after the write.
"""

from __future__ import annotations

from django.dispatch import Signal

# candidate_ids: list[int]; reason: "import" | "edit" | "merge" | "create"
candidates_changed = Signal()
# application: Application; previous_stage: Stage | None
application_stage_changed = Signal()
# application: Application; previous_outcome: str
application_outcome_changed = Signal()
