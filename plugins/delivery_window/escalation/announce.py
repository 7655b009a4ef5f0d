"""Messages of no incident, and sends without the ledger's database (the rest of the engine's entry points).

* the window's status lines (``post_window_status``), the go/no-go alerts (``on_go_no_go``), the daily summary
  (``post_daily_summary``) and the late-checkpoint notice (``on_checkpoint_late``): each a ledger row first,
  then an outbox row (``record_and_enqueue``), worded by ``posts``;
* ``send_pending``: send (and retry) every pending message of a day;
* ``page_without_database`` / ``record_sent_directly``: the monitor's Sev1 database page while the report
  database is away, recorded under the keys the plan gives it once the database is back;
* ``post_without_database``: a task failure the engine could not record (its database is away, or the
  follow-up itself failed) is still posted to #engineering-alerts, never silent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from delivery_window import scope, store
from delivery_window.escalation import clock, comms, keys, outbox, posts
from delivery_window.escalation.alert_rows import incident_alert_rows, orphan_alert_rows
from delivery_window.escalation.model import (
    LEVEL_SEVERITY,
    TECHNICAL,
    AlertRef,
    IncidentFacts,
    LedgerRow,
    WindowFigures,
)
from delivery_window.masking import masked_logger
from delivery_window.protocol import Protocol

log = masked_logger(__name__)


def record_and_enqueue(conn, rows: list[LedgerRow], now: datetime | None = None) -> list[str]:
    """Write ledger rows (new keys only) and put them in the outbox; returns the keys newly enqueued. The
    caller commits and sends (``send_pending``)."""
    store.insert_escalations(conn, rows, now or clock.utcnow())
    new = []
    for row in rows:
        if row.status == "pending" and outbox.enqueue(
            conn,
            row.delivery_date,
            dedup_key=row.dedup_key,
            channel=row.conn_id,
            kind=row.kind,
            payload=row.payload,
            at=row.due_at,
        ):
            new.append(row.dedup_key)
    return new


def post_window_status(conn, day: date, what: str, figures: WindowFigures, protocol: Protocol) -> bool:
    """The monitor's status line (``opened``, ``minute``, ``closed``) to #delivery-ops; False when a rerun
    finds it already queued."""
    return bool(record_and_enqueue(conn, [posts.status_row(day, what, figures, protocol)]))


def on_go_no_go(conn, day: date, alerts, at: datetime, protocol: Protocol) -> int:
    """The go/no-go decision's alerts (``runbooks.go_no_go.alerts``): page and post; returns how many were new."""
    return len(record_and_enqueue(conn, posts.go_no_go_rows(day, alerts, at, protocol)))


def post_daily_summary(conn, day: date, payload: dict[str, Any], at: datetime, protocol: Protocol) -> bool:
    """The 06:30 report's post to #delivery-ops (rendered by ``reports.daily.slack_payload``)."""
    return bool(record_and_enqueue(conn, [posts.daily_summary_row(day, payload, at, protocol)]))


def on_checkpoint_late(
    conn, day: date, run_id: str, deadline: str | None, at: datetime, protocol: Protocol
) -> bool:
    """The 06:05 checkpoint missed its deadline (DeadlineAlert callback): tell the protocol's channel once."""
    return bool(record_and_enqueue(conn, [posts.checkpoint_late_row(day, run_id, deadline, at, protocol)]))


def send_pending(
    conn,
    day: date,
    *,
    dry_run: bool = False,
    backoff: outbox.ChannelBackoff | None = None,
    sender: Callable[[str, str, dict[str, Any]], None] | None = None,
) -> outbox.FlushResult:
    """Send every pending message of ``day`` (and retry the failed ones); see ``outbox.flush``."""
    return outbox.flush(conn, day, dry_run=dry_run, backoff=backoff, **({"sender": sender} if sender else {}))


# --- the database is away: page without the ledger, record it once it is back --------------------------------
def page_without_database(day: date, firing, protocol: Protocol, *, dry_run: bool) -> list[LedgerRow]:
    """A first firing seen while the report database is down (the Sev1 database rule): its incident's first
    alert batch is sent straight through the providers (the outbox lives in that database). Returns the rows
    to record with ``record_sent_directly`` once the database is back: the same keys the plan will give them.
    """
    rule = protocol.alert_rules[firing.rule]
    ref = AlertRef(firing.rule, firing.scope, rule.level, firing.at, firing.summary)
    if rule.runbook:
        incident = keys.incident_id(day, rule.runbook)
        facts = IncidentFacts(
            incident, day, TECHNICAL, LEVEL_SEVERITY.get(rule.level, "minor"), firing.at,
            runbook=rule.runbook, alerts=(ref,),
        )  # fmt: skip
        rows = incident_alert_rows(facts, protocol, firing.at)
    else:
        rows = orphan_alert_rows(day, ref, protocol)
    dry_run = not scope.may_send(dry_run)  # an evaluation sends nothing unless asked
    if not dry_run:
        for r in rows:
            try:
                outbox.send_via_providers(r.conn_id, r.kind, r.payload)
            except Exception as exc:  # recorded as sent-or-not once the database is back; logged now
                log.error("direct send of %s failed: %s", r.dedup_key, exc)
    return rows


def record_sent_directly(conn, rows: list[LedgerRow], *, dry_run: bool) -> None:
    """Ledger and outbox rows for messages ``page_without_database`` sent, marked sent (or dry_run)."""
    record_and_enqueue(conn, rows)
    status = "sent" if scope.may_send(dry_run) else "dry_run"
    for r in rows:
        store.execute(
            conn, "mark_notification", {"dedup_key": r.dedup_key, "status": status, "last_error": None}
        )
        store.mark_escalation_notified(conn, r.dedup_key, status, None)


def post_without_database(purpose: str, text: str, protocol: Protocol, *, dry_run: bool) -> None:
    """Post ``text`` to the Slack ``purpose`` straight through the provider (no ledger: its database is what
    failed); logged, never raised. A dry run only logs it."""
    route = comms.slack_route(purpose, protocol)
    if not scope.may_send(dry_run):
        log.warning("dry run: not posted to %s: %s", route.channel, text)
        return
    try:
        outbox.send_via_providers(
            route.conn_id, route.kind, comms.slack_blocks("delivery_window", text, [], "critical")
        )
    except Exception as exc:  # the last resort failed too: the log is all that is left
        log.error("direct post to %s failed: %s (%s)", route.channel, exc, text)
