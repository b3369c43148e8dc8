"""Domain events announced by consent services; later apps (integrations) subscribe in their
AppConfig.ready(). Sent on commit, never from model signals."""

from __future__ import annotations

from django.dispatch import Signal

# Sent on commit of an erasure. candidate_ids: list[int] (every record of the people erased,
# merged duplicates included); reason: str ("data request", "hr admin", "retention: ...").
candidate_erased = Signal()
