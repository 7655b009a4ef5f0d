"""The task body of the 06:00-06:05 window monitor: open its connections, run the tick loop, summarise."""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import store
from delivery_window.protocol import get_protocol


def monitor_window(day: date, dry_run: bool = False) -> dict[str, Any]:
    """Tick through 06:00–06:05 (+grace): metrics, alert rules, incidents, pages, status posts, Datadog.

    Live while the window is open, a replay after it; a retried task resumes after the last tick it wrote.
    The monitor commits every tick itself, reads a live tick on two connections at once, and after a database
    failure carries on with new ones.
    """
    from delivery_window.monitor.loop import run_monitor

    conns = [store.connect_report_db()]

    def connect():
        conns.append(store.connect_report_db())
        return conns[-1]

    try:
        s = run_monitor(conns[0], day, get_protocol(), dry_run=dry_run, connect=connect)
    finally:
        for conn in conns:
            try:
                conn.close()
            except Exception:  # a connection the database already dropped
                pass
    tick_ms = sorted(s.tick_ms)
    return {
        "mode": s.mode,
        "ticks": s.ticks,
        "resumed_after": s.resumed_after.isoformat() if s.resumed_after else None,
        "alerts": s.alerts_fired,
        "notifications_failed": s.notifications_failed,
        "status_posts": s.status_posts,
        "datadog_pushed": s.datadog_pushed,
        "db_failures": s.db_failures,
        "ticks_missed": s.ticks_missed,
        "tick_ms_p95": round(tick_ms[max(0, (95 * len(tick_ms) + 99) // 100 - 1)], 1) if tick_ms else None,
    }
