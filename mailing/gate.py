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
- The **tracking check** decides whether opens and clicks may be recorded for a candidate
  (tracking needs consent). Without one, opens and clicks are not recorded.
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

_send_gate: SendGate | None = None
_tracking_check: TrackingCheck | None = None


def register_send_gate(fn: SendGate | None) -> None:
    """Install the send gate (None removes it, e.g. in tests)."""
    global _send_gate
    _send_gate = fn


def register_tracking_check(fn: TrackingCheck | None) -> None:
    global _tracking_check
    _tracking_check = fn


def send_gate() -> SendGate | None:
    return _send_gate


def tracking_allowed(message: Message) -> bool:
    return bool(_tracking_check and _tracking_check(message))
