"""Task bodies: fetch, call a pure function, record, act. The DAG file only wires these.

Each takes plain values (the delivery date, flags) so it can be called from a test without Airflow's
context. Every one records what it saw in ``delivery_ops`` before deciding anything.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window import store, window
from delivery_window.checkpoint_task import record_items
from delivery_window.connections import SLACK_DELIVERY_OPS
from delivery_window.escalation import outbox
from delivery_window.masking import masked_logger
from delivery_window.protocol import get_protocol
from delivery_window.records import CheckResult, Status

log = masked_logger(__name__)


def _now() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


# --- post-delivery (06:05 / 06:15 / 06:30) -----------------------------------------------------------------
def _report_inputs(conn, day: date, *, final: bool) -> dict[str, Any]:
    """Everything the report (final=False) or the handoff (final=True) is built from, as recorded.

    The report leaves out what only exists after it (06:30 items, the report-row suite); the handoff leaves
    out its own item. So a rerun, which finds those rows already there, builds the same content.
    """
    from delivery_window.checkpoint import PHASE_0630
    from delivery_window.quality.suites import suites_at
    from delivery_window.reports.advisor_issues import summarize

    p = get_protocol()
    checks = store.check_results(conn, day)
    if final:
        checks = [c for c in checks if c["check_name"] != "hand_off_to_day_team_with_summary"]
        dq = store.dq_results(conn, day)
    else:
        checks = [c for c in checks if c["phase"] != PHASE_0630]
        early = set(suites_at(p.times.analytics_checkpoint))
        dq = [r for r in store.dq_results(conn, day) if r["suite"] in early]
    return {
        "window_run": store.window_run(conn, day),
        "alerts": store.alerts(conn, day),
        "checks": checks,
        "dq": dq,
        "decision": store.decisions(conn, day).get("choose_runbook"),
        "advisor_summary": summarize(store.advisor_issues(conn, day)),
        "open_incidents": store.open_incidents(conn, day),
        "trend": store.performance_trend(conn, day),
    }


def _findings(i: dict[str, Any]):
    from delivery_window.reports.findings import collect

    return collect(
        checks=i["checks"],
        alerts=i["alerts"],
        dq=i["dq"],
        advisor_summary=i["advisor_summary"],
        open_incidents=i["open_incidents"],
        window_run=i["window_run"],
        protocol=get_protocol(),
    )


def generate_daily_report(day: date, phases: tuple[str, ...] | None = None) -> str:
    """06:30: the daily delivery success report: row, text table, Markdown document and PNG chart.

    ``phases`` (the run's ``phases`` param; default all) is stated in the report: a run of some phases reports
    the other phases' rows as an earlier run recorded them."""
    from delivery_window import checkpoint as cp
    from delivery_window.reports import chart, daily
    from delivery_window.reports.findings import by_priority
    from delivery_window.run_params import PHASES, phases_note
    from delivery_window.window import at, tz

    p = get_protocol()
    pdv = p.post_delivery_verification
    with store.report_db() as conn:
        i = _report_inputs(conn, day, final=False)
        points = chart.series(store.minute_series(conn, day, at(day, "delivery_start"), window.close(day, p)))
        day_incidents = store.incidents_of(conn, day)
    summary = daily.build_summary(
        i["window_run"], i["alerts"], i["checks"], i["decision"], i["advisor_summary"]["count"]
    )
    findings = _findings(i)
    by_name = {c["check_name"]: c for c in i["checks"]}
    receipts = (by_name.get("confirm_delivery_receipt_webhook_processing") or {}).get("observed") or {}
    engagement = (by_name.get("verify_engagement_tracking_operational") or {}).get("observed") or {}
    summary.update(
        phases_run=list(phases or PHASES),
        phases_note=phases_note(phases or PHASES),
        checkpoints=[
            {
                "at": cpt.at,
                "item": item,
                "status": (by_name.get(item) or {}).get("status", "error"),
                "message": (by_name.get(item) or {}).get("message", "not recorded"),
            }
            for cpt in (pdv.checkpoint_0605, pdv.checkpoint_0615)
            for item in cpt.items
        ],
        trend={k: _plain(v) for k, v in (i["trend"] or {}).items() if k != "delivery_date"},
        trend_rows=daily.trend_rows(i["trend"], pdv.trend_windows_days),
        receipts={k: _plain(v) for k, v in receipts.items()},
        engagement={k: _plain(v) for k, v in engagement.items() if k != "last_event_at"},
        dq=[{k: r[k] for k in ("suite", "success", "evaluated", "failed_expectations")} for r in i["dq"]],
        findings=by_priority(findings),
        advisor_issue_summary={k: v for k, v in i["advisor_summary"].items() if k != "advisors"},
        minute_attempts=[pt.attempts for pt in points],
        minute_failed=[pt.failed for pt in points],
    )
    text = daily.render(day.isoformat(), summary)
    marks = [(a["first_fired_at"], a["rule"]) for a in i["alerts"]]
    png = chart.render_png(
        day.isoformat(),
        points,
        marks,
        tz(),
        p.primary_metrics.api_latency_p95_max_ms,
        p.primary_metrics.processing_rate_target_per_min,
    )
    markdown = daily.render_markdown(day.isoformat(), summary, png.error, pdv.trend_windows_days)
    with store.report_db() as conn:
        store.record_daily_report(
            conn,
            {
                "delivery_date": day,
                "sla_pct": summary["sla_pct"],
                "sla_met": summary["sla_met"],
                "alerts": len(i["alerts"]),
                "runbook": summary["runbook"],
                "summary": summary,
                "report_text": text,
                "report_markdown": markdown,
                "chart_png": png.png,
                "chart_error": png.error,
                "generated_at": _now(),
            },
        )
    undocumented = [x["incident_id"] for x in day_incidents if not x["timeline"]]
    record_items(
        day,
        [
            CheckResult(
                "generate_daily_delivery_success_report",
                cp.PHASE_0630,
                Status.WARN if png.error else Status.PASS,
                f"report written ({len(markdown)} chars of Markdown); "
                + (png.error or f"chart {len(png.png or b'')} bytes"),
                {"chart_error": png.error},
            ),
            cp.final_report_item(
                "document_any_incidents_or_issues",
                not undocumented,
                f"{len(i['alerts'])} alerts, {len(day_incidents)} incidents, {len(findings)} findings documented"
                + (f"; incidents without a timeline: {', '.join(undocumented)}" if undocumented else ""),
                {"incidents": [x["incident_id"] for x in day_incidents], "findings": len(findings)},
            ),
            cp.final_report_item(
                "update_delivery_performance_trends",
                i["trend"] is not None,
                "performance_trends has the day"
                + "".join(
                    f", {n}-day SLA avg {summary['trend'].get(f'sla_pct_{n}d_avg')}%"
                    for n in pdv.trend_windows_days
                )
                if i["trend"]
                else "performance_trends has no row for the day (no window_runs row)",
            ),
        ],
    )
    return markdown


def hand_off_to_day_team(day: date) -> dict[str, Any]:
    """06:30: the handoff log: the four required sections, the 24 h incident log and pending issues."""

    from delivery_window import checkpoint as cp
    from delivery_window.reports.handoff import build_sections
    from delivery_window.window import at, tz

    p = get_protocol()
    until = at(day, "final_report")
    since = until - timedelta(
        minutes=p.shift_handoff.incoming_engineer_briefing.incident_log_lookback_minutes
    )
    with store.report_db() as conn:
        i = _report_inputs(conn, day, final=True)
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
            findings=_findings(i),
            protocol=p,
            tz=tz(),
        )
        now = _now()
        for section, content in sections.items():
            store.record_handoff(conn, day, section, content, now)
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


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


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
            at=_now(),
        )
        conn.commit()
        result = outbox.flush(conn, day, dry_run=dry_run)
    return {"sent": result.sent, "dry_run": result.dry_run, "still_pending": len(result.failed)}
