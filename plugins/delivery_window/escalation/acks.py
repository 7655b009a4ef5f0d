"""Acknowledgement of a page, read back from PagerDuty (issue 13; Sev-1 step 1, "acknowledge < 1 minute").

The engine pages PagerDuty under one key per incident (``keys.page_key``). Whether a person acknowledged it is
PagerDuty's to say: ``read_ack`` reads the incident back through the REST API (``pagerduty_api``), and
``verdict`` (pure) decides: acknowledged (time to acknowledge, on PagerDuty's own clock), a breach (nobody
acknowledged within ``severity_1.immediate_actions[acknowledge_pagerduty_alert].deadline_minutes``: step 5, page the
secondary engineer, through the chain), or still waiting. Both go on the incident timeline once
(``pagerduty_acknowledged``, ``ack_breach``); in a replay the instants are the page's protocol instant plus the
delay PagerDuty measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from delivery_window.protocol import Protocol

ACK_STEP, SECONDARY_STEP = "acknowledge_pagerduty_alert", "page_secondary_engineer_if_needed"


@dataclass(frozen=True)
class AckVerdict:
    """``acknowledged`` (``at``, ``seconds``, ``by``), ``breach`` (``at``: the deadline) or ``waiting``."""

    state: str
    at: datetime | None = None
    seconds: float | None = None
    by: str | None = None


def ack_deadline(p: Protocol) -> timedelta:
    """The protocol's time to acknowledge a Sev-1 page."""
    step = next(s for s in p.severity_1.immediate_actions if s.action == ACK_STEP)
    return timedelta(minutes=step.deadline_minutes or 0)


def secondary_role(p: Protocol) -> str | None:
    """Who step 5 pages (``page_secondary_engineer_if_needed``)."""
    return next((s.role for s in p.severity_1.immediate_actions if s.action == SECONDARY_STEP), None)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def verdict(
    paged_at: datetime, incident: dict[str, Any] | None, as_of: datetime, deadline: timedelta
) -> AckVerdict:
    """Judge one page from the PagerDuty incident read back (None: not found yet) at ``as_of``."""
    acks = (incident or {}).get("acknowledgements") or []
    if incident and acks:
        first = min(acks, key=lambda a: a["at"])
        seconds = max(0.0, (_when(first["at"]) - _when(incident["created_at"])).total_seconds())
        who = (first.get("acknowledger") or {}).get("summary")
        return AckVerdict("acknowledged", paged_at + timedelta(seconds=seconds), round(seconds, 1), who)
    if as_of >= paged_at + deadline:
        return AckVerdict("breach", paged_at + deadline)
    return AckVerdict("waiting")
