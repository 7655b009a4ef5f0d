"""The daily summary to #delivery-ops: the report rendered for Slack, sent once per day by the escalation engine
(a ledger row, then the outbox), then a retry of anything still pending."""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import store
from delivery_window.escalation import announce
from delivery_window.escalation.clock import utcnow
from delivery_window.protocol import get_protocol


def post_daily_summary(day: date, dry_run: bool = False) -> dict[str, Any]:
    """Post the report to #delivery-ops once per day, and retry anything still pending."""
    from delivery_window.reports.daily import slack_payload

    with store.report_db() as conn:
        report = store.execute(conn, "select_daily_report", {"delivery_date": day})[0]
        s = report["summary"]
        payload = slack_payload(
            day.isoformat(),
            s,
            report["report_text"],
            s.get("minute_attempts", []),
            s.get("minute_failed", []),
        )
        announce.post_daily_summary(conn, day, payload, utcnow(), get_protocol())
        conn.commit()
        result = announce.send_pending(conn, day, dry_run=dry_run)
    return {"sent": result.sent, "dry_run": result.dry_run, "still_pending": len(result.failed)}
