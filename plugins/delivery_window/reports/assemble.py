"""06:30: the daily report assembled from what the day recorded: row, text table, Markdown document, PNG chart.

``report_inputs`` and ``findings_of`` are shared with the handoff (``reports.handoff_task``), so the report and
the handoff are built from the same records; the rendering itself is pure (``reports.daily``, ``reports.chart``).
The Markdown document and its chart are also written as files, side by side (``report_dir``).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from delivery_window import scope, source_contract, store, window
from delivery_window.checkpoint_task import record_items
from delivery_window.escalation.clock import utcnow
from delivery_window.masking import masked_logger
from delivery_window.paths import ROOT
from delivery_window.protocol import get_protocol
from delivery_window.records import CheckResult, Status
from delivery_window.reports import first_lines

log = masked_logger(__name__)
REPORTS_DIR_ENV = "DELIVERY_WINDOW_REPORTS_DIR"


def report_dir() -> Path:
    """Where the report files go: ``$DELIVERY_WINDOW_REPORTS_DIR``, else ``build/reports`` in the project; an
    evaluation's in a folder named by its schema, so it never overwrites the record's files."""
    base = Path(os.environ.get(REPORTS_DIR_ENV) or ROOT / "build" / "reports")
    run = scope.current()
    return base if run.is_record else base / run.schema


def report_inputs(conn, day: date, *, final: bool) -> dict[str, Any]:
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
        # the 06:15 suites, and the 06:05 checkpoint's rows left out of the SLA (source_contract)
        early = {*suites_at(p.times.analytics_checkpoint), source_contract.SUITE}
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


def findings_of(i: dict[str, Any]):
    """The day's findings (``reports.findings.collect``) from the inputs ``report_inputs`` read."""
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
    from delivery_window.reports import chart, daily, evaluation
    from delivery_window.reports.findings import by_priority
    from delivery_window.run_params import PHASES, phases_note
    from delivery_window.window import at, tz

    p = get_protocol()
    pdv = p.post_delivery_verification
    with store.report_db() as conn:
        i = report_inputs(conn, day, final=False)
        points = chart.series(store.minute_series(conn, day, at(day, "delivery_start"), window.close(day, p)))
        day_incidents = store.incidents_of(conn, day)
        runs = store.runbook_runs(conn, day)
        against_record = evaluation.compare_with_record(
            conn, day
        )  # an evaluation says so first; the record: []
        account = _account_and_baseline(conn, day, day_incidents, p)  # issue 14
    summary = daily.build_summary(
        i["window_run"], i["alerts"], i["checks"], i["decision"], i["advisor_summary"]["count"]
    )
    findings = findings_of(i)
    by_name = {c["check_name"]: c for c in i["checks"]}
    receipts = (by_name.get("confirm_delivery_receipt_webhook_processing") or {}).get("observed") or {}
    engagement = (by_name.get("verify_engagement_tracking_operational") or {}).get("observed") or {}
    source_rows = source_contract.summary_of(
        next((r for r in i["dq"] if r["suite"] == source_contract.SUITE), None)
    )
    summary.update(
        rows_left_out=(source_rows or {}).get("rows_left_out", 0),
        rows_left_out_line=source_contract.left_out_text(source_rows),
        failed_check_actions=first_lines.check_actions(i["checks"], runs, p),
        runbook_lines=first_lines.runbook_lines(day_incidents, runs, p),
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
        **account,
    )
    summary["evaluation"] = against_record
    text = "".join(f"{line}\n" for line in against_record) + daily.render(day.isoformat(), summary)
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
    if against_record:
        markdown = "".join(f"> {line}\n" for line in against_record) + "\n" + markdown
    try:  # the files are a copy for people; the row below is the report, and a full disk must not cost it
        files = chart.write_report_files(report_dir(), day.isoformat(), markdown, png)
        log.info("report files: %s", ", ".join(map(str, files)))
    except OSError as exc:
        log.warning("report files not written to %s: %s", report_dir(), exc)
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
                "generated_at": utcnow(),
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


def _account_and_baseline(conn, day: date, incidents: list[dict[str, Any]], p) -> dict[str, Any]:
    """The report's WhatsApp-account lines and its latency-baseline note (issue 14), from the records."""
    from datetime import timedelta

    from delivery_window.reports.account import account_lines, baseline_line
    from delivery_window.window import tz

    since = day - timedelta(days=p.alert_thresholds.latency_baseline_days)
    p95s = store.execute(conn, "select_latency_baseline", {"delivery_date": day, "since": since})
    return {
        "account_lines": account_lines(
            store.account_observations(conn, day), incidents, store.escalations(conn, day), p, tz()
        ),
        "baseline_line": baseline_line([int(r["p95_latency_ms"]) for r in p95s], p),
    }


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
