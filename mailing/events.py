"""Domain events announced by mailing; later apps subscribe in their AppConfig.ready().

All are sent after the change is committed (or from a webhook after it is recorded).
"""

from __future__ import annotations

from django.dispatch import Signal

# `message`, `status`: a message moved to a new status (sent, delivered, bounced…).
message_status_changed = Signal()
# `message`: the recipient marked the message as spam; consent withdraws all nurture consent.
recipient_complained = Signal()
# `message`, `topic` (None = everything): the recipient unsubscribed through the ESP.
recipient_unsubscribed = Signal()
