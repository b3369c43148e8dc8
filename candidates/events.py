"""Domain events announced by `candidates` services; later apps subscribe in AppConfig.ready().

Never model signals: these fire from services, once per business fact, after the write.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent on commit. candidate_ids: list[int]; reason: "create" | "edit" | "import" | "merge" |
# "tags" | "application" | "outcome" (a bulk outcome change: one event for all instead of an
# application_outcome_changed per application).
candidates_changed = Signal()
# Sent on commit. application: Application; previous_stage: Stage | None
application_stage_changed = Signal()
# Sent on commit. application: Application; previous_outcome: str
application_outcome_changed = Signal()
# Sent on commit when `application_create` created a new application (not for imported past
# applications). application: Application (candidate and position loaded)
application_created = Signal()
# Sent INSIDE the merge transaction, before the merged record becomes a stub: receivers repoint
# their own rows (consent ledger, mailing messages...) from `merged` to `kept` in the same
# transaction, so a failure rolls the whole merge back. kept, merged: Candidate
candidates_merged = Signal()
