"""WhatsApp account restrictions into the escalation engine (issue 14): the one route for their messages.

An ``account_suspended`` verdict is the business event of ``business_escalation.whatsapp_account_suspended``
(``engine.on_business_event``: CTO and CEO at once, the continuity meeting within 30 min), with the human runbook
on the incident's timeline. A ``quality_rating_to_medium`` verdict needs no event: its observation is recorded
(``delivery_ops.account_observations``), the engine's matrix reads the ratings from there, and a reconcile plans
``whatsapp_quality_rating_medium``. Both are idempotent: the incident id is per day, the timeline keeps the
first entry of a step, and every ledger row has a deterministic key, so a rerun or a later poll sends nothing new.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from delivery_window.checks.account import MEDIUM, SUSPENDED, AccountVerdict
from delivery_window.escalation import engine, keys
from delivery_window.protocol import Protocol

RUNBOOK_STEP = "runbook_doc"  # the incident's timeline entry naming its human runbook


def suspended_row(protocol: Protocol) -> str:
    """The business_escalation row whose event is ``account_suspended``."""
    return next(k for k, r in protocol.business_escalation.items() if r.threshold.event == SUSPENDED)


def incident_of(day: date, protocol: Protocol) -> str:
    """The day's account-suspended incident id (``<date>:whatsapp_account_suspended``)."""
    return keys.incident_id(day, suspended_row(protocol))


def on_account_observed(
    conn,
    day: date,
    verdict: AccountVerdict,
    at: datetime,
    protocol: Protocol,
    *,
    source: str,
    send: bool = True,
) -> engine.FollowUpResult | None:
    """Escalate what a look at the account found (None when it found nothing). ``send=False`` plans and queues
    only (the monitor sends in its own flush); a dry run or an evaluation is decided by the run's scope."""
    if verdict.verdict == SUSPENDED:
        doc = protocol.whatsapp_account_health.runbook_doc
        details: dict[str, Any] = {"source": source, "reasons": list(verdict.reasons), "runbook_doc": doc}
        result = engine.on_business_event(conn, day, SUSPENDED, at, protocol, details, send=send)
        from delivery_window import store

        store.add_incident_event(conn, incident_of(day, protocol), RUNBOOK_STEP, at, doc=doc)
        conn.commit()
        return result
    if verdict.verdict == MEDIUM:
        if send:
            return engine.follow_up(conn, day, at, protocol)
        result = engine.reconcile(conn, day, at, protocol)
        conn.commit()
        return result
    return None
