"""Reply addresses: how the Reply-To of an outgoing message is made.

`mailing` owns the headers of every message (callers may not set Reply-To themselves), but it
does not know how replies come back in: a later app (integrations: inbound replies) registers a
function here in its `ready()`. With none registered, messages carry no Reply-To and replies go
to the From address.

Contract: `fn(schema, send_key) -> str | None` returns a plain address (no display name, no line
breaks) or None; it is called once per message while it is queued, so it must be cheap and
deterministic (the same message always gets the same address, retries included) and must not
touch the database.
"""

from __future__ import annotations

from collections.abc import Callable

ReplyAddress = Callable[[str, str], "str | None"]

_reply_address: ReplyAddress | None = None


def register_reply_address(fn: ReplyAddress | None) -> None:
    """Install (or with None remove) the function that makes Reply-To addresses."""
    global _reply_address
    _reply_address = fn


def reply_address(*, schema: str, send_key: str) -> str | None:
    return _reply_address(schema, send_key) if _reply_address is not None else None
