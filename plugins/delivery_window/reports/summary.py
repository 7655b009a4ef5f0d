"""The daily summary to #delivery-ops: once per day through the outbox, then a retry of anything still pending."""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import store
from delivery_window.connections import SLACK_DELIVERY_OPS
from delivery_window.escalation import outbox
from delivery_window.escalation.clock import utcnow


def post_daily_summary(day: date, dry_run: bool = False) -> dict[str, Any]:
    """Post the report to #delivery-ops once per day (outbox), and retry anything still pending."""
    from delivery_window.reports.daily import slack_payload

    with store.report_db() as conn:
        report = store.execute(conn, "select_daily_report", {"delivery_date": day})[0]
        s = report["summary"]
        outbox.enqueue(
            conn,
            day,
            dedup_key=f"slack:delivery_window:{day}:daily_summary",
            channel=SLACK_DELIVERY_OPS,
            kind="slack_message",
            payload=slack_payload(
                day.isoformat(),
                s,
                report["report_text"],
                s.get("minute_attempts", []),
                s.get("minute_failed", []),
            ),
            at=utcnow(),
        )
        conn.commit()
        result = outbox.flush(conn, day, dry_run=dry_run)
    return {"sent": result.sent, "dry_run": result.dry_run, "still_pending": len(result.failed)}
