"""Domain events announced by `consent` services; later apps subscribe in AppConfig.ready()
(integrations forwards them to the tenant's outbound webhooks). Sent on commit, once per fact,
never from model signals.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent on commit when a consent change wrote ledger rows. candidate: Candidate;
# events: list[ConsentEvent] (action granted / withdrawn / expired, purpose, source, frequency)
consent_changed = Signal()
# Sent on commit of an erasure (request, HR action, retention). candidate_ids: list[int] (every
# record of the people erased, merged duplicates included; the rows are anonymised by then, only
# their ids mean anything); email_hashes: list[str] (SHA-256 of each lower-cased address they
# had, as on mailing's suppression list, so systems we told about them can find and erase them
# too); reason: str ("data request", "hr admin", "retention: ...").
candidate_erased = Signal()
