"""``delivery-window compliance notified``: SEBI was notified of a compliance incident (or it was not required).

Records the filing through ``engine.record_regulatory_filing`` (the timeline keeps who, when and SEBI's
reference; the reminders and overdue escalations still to come are cancelled) and rewrites the incident's
documents so they say so. Bad input is a :class:`NotifiedError`, printed as one line with exit 2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window import store
from delivery_window.compliance.document_task import is_compliance_incident, write_documents
from delivery_window.protocol import Protocol


class NotifiedError(ValueError):
    """Why the filing cannot be recorded (one line)."""


def parse_at(text: str | None, now: datetime, p: Protocol) -> datetime:
    """``--at``: ISO 8601 (no offset: IST), not in the future; default now."""
    if not text:
        return now
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise NotifiedError(f"--at {text!r} is not an ISO 8601 time (e.g. 2026-04-15T04:10)") from None
    at = at if at.tzinfo else at.replace(tzinfo=ZoneInfo(p.timezone))
    if at > now:
        raise NotifiedError(f"--at {text} is in the future")
    return at


def record(
    conn, incident_id: str, reference: str, by: str, at: datetime, p: Protocol, *, outcome: str = "filed"
) -> dict[str, Any]:
    """Record the filing of ``incident_id``; returns the cancelled ledger keys and the documents' versions."""
    from delivery_window.escalation import engine

    if not reference.strip() or not by.strip():
        raise NotifiedError("--reference and --by must not be empty")
    found = store.execute(conn, "select_incident", {"incident_id": incident_id})
    if not found:
        raise NotifiedError(f"no incident {incident_id!r}")
    rows = [
        r
        for r in store.escalation_incidents(conn, found[0]["delivery_date"])
        if r["incident_id"] == incident_id
    ]
    row = rows[0]
    if not is_compliance_incident(row):
        raise NotifiedError(
            f"incident {incident_id} is not a compliance incident (no SEBI violation on its timeline)"
        )
    done = next((e for e in row.get("timeline") or [] if e.get("step") == "regulatory_closed"), None)
    if done:
        raise NotifiedError(
            f"the SEBI notification of {incident_id} was already recorded at {done['at']} by {done.get('by')}"
        )
    detected = next(e for e in row["timeline"] if e.get("step", "").startswith("event:"))
    if at < datetime.fromisoformat(detected["at"]):
        raise NotifiedError(f"--at {at.isoformat()} is before the violation was detected ({detected['at']})")
    cancelled = engine.record_regulatory_filing(conn, incident_id, at, outcome, by, reference=reference)
    row = [
        r for r in store.escalation_incidents(conn, row["delivery_date"]) if r["incident_id"] == incident_id
    ][0]
    versions = write_documents(conn, row, p)
    conn.commit()
    return {"cancelled": cancelled, "documents": versions}
