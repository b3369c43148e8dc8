"""Hooks later apps register with mailing (DESIGN §2: the send gate is a registration).

- The **send gate** decides at send time whether messages may leave. `consent` registers it in
  its `ready()`. Without a registered gate, nurture mail is refused (transactional mail only
  passes the suppression list, which mailing checks itself).

  Contract: `gate(messages) -> decisions`, one `GateDecision` per message, in the order given.
  `messages` is (part of) one claim: rows this worker holds in `sending`, in id order, with
  `candidate` loaded (`anonymised_at`, `merged_into_id`; the rest deferred), not on the
  suppression list. The gate answers as if it had been asked
  about each message alone, in id order, with every message it refused leaving `sending`
  before the next one is asked (so a refused message never counts as "in flight" for a later
  one, an allowed one always does). It runs a constant number of queries for the whole list,
  whatever its length: the dispatcher calls it once per claim of up to 500 messages.
- The **tracking check** decides whether opens and clicks may be tracked for a candidate
  (tracking needs consent). It is asked twice: at send time, for the ESP's per-message
  `track_opens` / `track_clicks` (so no pixel or rewritten link reaches someone who did not
  agree; `register_tracking_check_many` answers a whole claim in one query), and when an open
  or click arrives (recorded only if allowed). Without a check nothing is tracked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailing.models import Message


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reason: str = ""


SendGate = Callable[[Sequence["Message"]], list[GateDecision]]
TrackingCheck = Callable[["Message"], bool]
# The ids of the messages whose recipient agreed to tracking, for many messages at once.
TrackingCheckMany = Callable[[Sequence["Message"]], set[int]]

_send_gate: SendGate | None = None
_tracking_check: TrackingCheck | None = None
_tracking_check_many: TrackingCheckMany | None = None


def register_send_gate(fn: SendGate | None) -> None:
    """Install the send gate (None removes it, e.g. in tests)."""
    global _send_gate
    _send_gate = fn


def register_tracking_check(fn: TrackingCheck | None) -> None:
    global _tracking_check
    _tracking_check = fn


def register_tracking_check_many(fn: TrackingCheckMany | None) -> None:
    global _tracking_check_many
    _tracking_check_many = fn


def send_gate() -> SendGate | None:
    return _send_gate


def tracking_allowed(message: Message) -> bool:
    return bool(_tracking_check and _tracking_check(message))


def tracking_decisions(messages: Sequence[Message]) -> dict[int, bool]:
    """Whether the ESP may track each message's opens and clicks: off when unknown."""
    if _tracking_check_many is not None:
        allowed = _tracking_check_many(messages)
        return {m.pk: m.pk in allowed for m in messages}
    return {m.pk: tracking_allowed(m) for m in messages}
