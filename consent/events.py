"""Domain events announced by `consent` services; later apps subscribe in AppConfig.ready()
(integrations forwards them to the tenant's outbound webhooks). Sent on commit, once per fact.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent on commit when a consent change wrote ledger rows. candidate: Candidate;
# events: list[ConsentEvent] (action granted / withdrawn / expired, purpose, source, frequency)
consent_changed = Signal()
# Sent on commit after a person's data was erased (request, retention). candidate_id: int
# (the row is anonymised by then; only its id means anything), email_hash: str (SHA-256 of the
# lower-cased address they had, as on mailing's suppression list, so systems we told about
# them can find and erase them too), reason: str
candidate_erased = Signal()
