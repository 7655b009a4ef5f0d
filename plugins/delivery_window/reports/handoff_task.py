"""06:30: the handoff task: the day's records → handoff sections (pure, ``reports.handoff``) → ``handoff_log``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from delivery_window import store
from delivery_window.checkpoint_task import record_items
from delivery_window.escalation import publish, silences
from delivery_window.escalation.clock import utcnow
from delivery_window.protocol import get_protocol
from delivery_window.reports.assemble import findings_of, report_inputs


def hand_off_to_day_team(day: date) -> dict[str, Any]:
    """06:30: the handoff log (the required sections and the briefing's), and its Confluence page queued."""
    from delivery_window import checkpoint as cp
    from delivery_window.reports import briefing as notes
    from delivery_window.reports import handoff_page
    from delivery_window.reports.handoff import build_sections
    from delivery_window.window import at, tz

    p = get_protocol()
    until = at(day, "final_report")
    briefing = p.shift_handoff.incoming_engineer_briefing
    since = until - timedelta(minutes=briefing.incident_log_lookback_minutes)
    ahead = timedelta(minutes=briefing.maintenance_lookahead_minutes)
    with store.report_db() as conn:
        i = report_inputs(conn, day, final=True)
        report = store.execute(conn, "select_daily_report", {"delivery_date": day})
        summary = report[0]["summary"] if report else None
        if summary is None:  # no report row (its task failed): hand off from the records alone
            from delivery_window.reports.daily import build_summary

            summary = build_summary(
                i["window_run"], i["alerts"], i["checks"], i["decision"], i["advisor_summary"]["count"]
            )
        sections = build_sections(
            summary=summary,
            incidents=store.incidents_of(conn, day),
            advisor_summary=i["advisor_summary"],
            runbook_steps=store.runbook_runs(conn, day),
            incident_log=store.incident_log(conn, day, since, until),
            alert_log=store.alert_log(conn, since, until),
            since=since,
            until=until,
            open_incidents=i["open_incidents"],
            findings=findings_of(i),
            protocol=p,
            tz=tz(),
            maintenance=silences.as_handoff(
                silences.current_and_upcoming(conn, until, ahead),
                p,
                until,
            ),
            planned_changes=notes.changes_as_handoff(notes.changes_at(conn, until, ahead), until, tz()),
            notes=notes.notes_as_handoff(notes.notes_at(conn, until), tz()),
        )
        now = utcnow()
        for section, content in sections.items():
            store.record_handoff(conn, day, section, content, now)
        # issue 14: the page the protocol names (confluence/on_call_handoff_log), a new version every shift
        # change; queued here, sent by the next flush (post_daily_summary's), retried while it fails
        title, body = handoff_page.render(day, sections, p)
        publish.publish_handoff(conn, day, title, body, handoff_page.digest(body), until, p)
        conn.commit()
    counts = sections["pending_issues"]["counts"]
    record_items(
        day,
        [
            cp.final_report_item(
                "hand_off_to_day_team_with_summary",
                report is not None and bool(report),
                f"{len(sections)} handoff sections written; findings: "
                + ", ".join(f"{k} {v}" for k, v in counts.items())
                + ("" if report else "; no daily report row to summarise"),
                {"sections": list(sections), "findings": counts},
            )
        ],
    )
    return counts
