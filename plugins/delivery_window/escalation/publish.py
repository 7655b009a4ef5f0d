"""Documents the package publishes through the outbox (issue 14): the handoff's Confluence page.

``publish_handoff`` writes a ledger row and an outbox row (kind ``confluence_page``, connection ``confluence``);
the next flush (the 06:30 summary task's, the follow-up's) sends it, and a failed publish stays pending and is
retried like any message. The key carries the page body's digest: a rerun with an unchanged handoff queues
nothing, a changed one (a note added, an incident closed) publishes a new version of the page.
"""

from __future__ import annotations

from datetime import date, datetime

from delivery_window.connections import CONFLUENCE
from delivery_window.escalation import keys
from delivery_window.escalation.announce import record_and_enqueue
from delivery_window.escalation.model import LedgerRow
from delivery_window.protocol import Protocol


def handoff_row(day: date, title: str, body: str, digest: str, at: datetime, protocol: Protocol) -> LedgerRow:
    """The ledger row that publishes the day's handoff page (due at the handoff instant ``at``)."""
    location = protocol.shift_handoff.handoff_documentation.location
    return LedgerRow(
        dedup_key=keys.handoff_page_key(day, digest),
        delivery_date=day,
        incident_id=None,
        source="handoff",
        target="incoming_engineer",
        channel=location,
        conn_id=CONFLUENCE,
        kind="confluence_page",
        due_at=at,
        payload={"title": title, "body": body, "version_message": f"handoff {day.isoformat()} ({digest})"},
        action="handoff_publish",
        reason=f"06:30 handoff to {location} ({protocol.shift_handoff.handoff_documentation.update_frequency})",
    )


def publish_handoff(
    conn, day: date, title: str, body: str, digest: str, at: datetime, protocol: Protocol
) -> bool:
    """Queue the handoff page; False when this exact page was already queued (a rerun, unchanged)."""
    return bool(record_and_enqueue(conn, [handoff_row(day, title, body, digest, at, protocol)]))
