"""The monitor's tick loop: one code path for live and replay.

Each tick is evaluated "as of" its instant. Live: the loop sleeps until the tick's instant and re-reads the
attempts. Replay (the window has closed): nothing to wait for, so the attempts are read once and every tick
is evaluated at once. Ticks, alerts and dedup keys are therefore the same for a live run and its replay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from delivery_window import notify, store
from delivery_window.connections import PAGERDUTY, SLACK_WAR_ROOM
from delivery_window.monitor import metrics, rules
from delivery_window.protocol import Protocol
from delivery_window.records import Firing

log = logging.getLogger(__name__)


@dataclass
class MonitorSummary:
    mode: str
    ticks: int = 0
    alerts_fired: list[str] = field(default_factory=list)
    notifications_failed: int = 0


def _now() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


def alert_notifications(day: date, firing: Firing, protocol: Protocol) -> list[dict]:
    """The messages a first firing sends: a PagerDuty event when the rule pages, and a war-room post."""
    key = rules.dedup_key(day, firing.rule, firing.scope)
    rule = protocol.alert_rules[firing.rule]
    out = []
    if rule.page:
        out.append(
            {
                "dedup_key": key,
                "channel": PAGERDUTY,
                "kind": "pagerduty_event",
                "payload": notify.pagerduty_trigger(
                    key,
                    f"[{firing.severity}] {firing.summary}",
                    rule.pagerduty_severity,
                    firing.details,
                    "whatsapp",
                ),
            }
        )
    text = f":rotating_light: *{firing.rule}* ({firing.severity}, {firing.scope}) at {firing.at:%H:%M:%S %Z}: {firing.summary}"
    out.append(
        {
            "dedup_key": f"slack:{key}",
            "channel": SLACK_WAR_ROOM,
            "kind": "slack_message",
            "payload": {
                "text": text,
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                    {
                        "type": "context",
                        "elements": [
                            {"type": "mrkdwn", "text": f"runbook: {rule.runbook or 'none'} · dedup {key}"}
                        ],
                    },
                ],
            },
        }
    )
    return out


def run_monitor(
    conn,
    day: date,
    protocol: Protocol,
    *,
    dry_run: bool = False,
    now: Callable[[], datetime] = _now,
    sleep: Callable[[float], None] = time.sleep,
) -> MonitorSummary:
    """Evaluate every tick of the day's window, record ticks and alerts, and notify first firings at once."""
    ticks = metrics.tick_times(day, protocol)
    live = now() < ticks[-1]
    summary = MonitorSummary(mode="live" if live else "replay")
    targeted, _ = store.active_advisors(conn)
    attempts = store.attempts(conn, day)
    for t in ticks:
        if live:
            wait = (t - now()).total_seconds()
            if wait > 0:
                sleep(wait)
            attempts = store.attempts(conn, day)
        scoped = metrics.compute_all_scopes(attempts, t)
        store.record_ticks(conn, day, scoped)
        for firing in rules.evaluate(scoped[0], attempts, t, day, targeted, protocol):
            first = store.record_alert(conn, day, firing, rules.dedup_key(day, firing.rule, firing.scope))
            if first:
                summary.alerts_fired.append(firing.rule)
                log.warning("ALERT %s %s: %s", firing.rule, firing.severity, firing.summary)
                for msg in alert_notifications(day, firing, protocol):
                    notify.enqueue(conn, day, at=t, **msg)
        conn.commit()
        summary.notifications_failed = len(notify.flush(conn, day, dry_run=dry_run).failed)
        summary.ticks += 1
    return summary
