"""The escalation follow-up task bodies: send what the ledger says is due, cancel what resolution made moot.

``send_due_escalations`` runs in the delivery_window DAG right after remediation (engineering incidents of the
day); ``follow_up_escalations`` is the delivery_window_escalations DAG's task, every few minutes, over every
recent delivery date with an open incident or an unsent step. Both go through ``engine.follow_up``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window import store, window
from delivery_window.escalation.clock import engine_now, utcnow
from delivery_window.protocol import get_protocol


def send_due_escalations(day: date, dry_run: bool = False, as_of: datetime | None = None) -> dict[str, Any]:
    """The remediation's escalation follow-up: plan the engineering incidents, cancel what resolution made
    unnecessary, send what is due, retry failed sends. ``as_of`` defaults to now in a live run and to the
    monitor's close in a replay. Business incidents are left to their entry points and the follow-up DAG."""
    from delivery_window.escalation import engine

    p = get_protocol()
    when = as_of or engine_now(day, window.close(day, p), p.timezone)
    with store.report_db() as conn:
        result = engine.follow_up(conn, day, when, p, dry_run=dry_run, kinds=engine.ENGINEERING)
    return {"delivery_date": day.isoformat(), "as_of": when.isoformat(), **result.as_dict()}


def follow_up_escalations(
    day: date | None = None,
    as_of: datetime | None = None,
    dry_run: bool = False,
    resolve: list[str] | None = None,
    until: datetime | None = None,
    sleep=None,
) -> list[dict[str, Any]]:
    """The follow-up DAG's task: every delivery date with open incidents or unsent steps (or just ``day``).

    ``resolve`` closes incidents by hand first (their steps not yet due are cancelled). With ``until`` (a live
    run: now until just before the next scheduled run) the task then waits for each step falling due before
    ``until`` and sends it at its due time, so a delayed step leaves within seconds of it, not at the next
    scheduled run (issue 13).
    """
    import time

    from delivery_window.escalation import engine

    p = get_protocol()
    when = as_of or utcnow()
    out = []
    with store.report_db() as conn:
        for incident in resolve or []:
            engine.resolve(conn, incident, when, "follow-up DAG (resolve param)")
        conn.commit()
        since = when.astimezone(ZoneInfo(p.timezone)).date() - timedelta(
            days=p.incident_automation.follow_up_lookback_days
        )
        while True:
            days = [day] if day else store.followup_days(conn, since)
            for d in days:
                result = engine.follow_up(conn, d, when, p, dry_run=dry_run)
                out.append({"delivery_date": d.isoformat(), "as_of": when.isoformat(), **result.as_dict()})
            if until is None or as_of is not None:
                return out
            nxt = store.execute(conn, "select_next_due_escalation", {"as_of": when, "since": day or since})[0]
            conn.commit()
            if nxt["next_due"] is None or nxt["next_due"] > until:
                return out
            (sleep or time.sleep)(max(0.0, (nxt["next_due"] - utcnow()).total_seconds()))
            when = max(utcnow(), nxt["next_due"])
