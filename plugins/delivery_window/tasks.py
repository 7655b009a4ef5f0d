"""Task bodies: fetch, call a pure function, record, act. The DAG file only wires these.

Each takes plain values (the delivery date, flags) so it can be called from a test without Airflow's
context. Every one records what it saw in ``delivery_ops`` before deciding anything.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window import notify, store
from delivery_window.checks.probes import run_check
from delivery_window.connections import DELIVERY_SERVICE, SLACK_DELIVERY_OPS
from delivery_window.monitor.metrics import window_close
from delivery_window.protocol import get_protocol
from delivery_window.records import AlertRecord, CheckResult

log = logging.getLogger(__name__)
CRITICAL_SEVERITIES = frozenset({"severity_1", "immediate_page"})


def _now() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


def migrate_report_schema() -> list[str]:
    """Apply pending ``sql/migrations`` to the delivery database (idempotent)."""
    from delivery_window.migrate import apply_migrations

    with store.report_db() as conn:
        return apply_migrations(conn)


def record_check(name: str, day: date) -> dict[str, Any]:
    """Run one protocol check and record its verdict; never raises for a failing dependency."""
    result: CheckResult = run_check(name, day, get_protocol())
    with store.report_db() as conn:
        store.record_check(conn, day, result, _now())
    log.info("%s: %s — %s", name, result.status, result.message)
    return {"check": name, "status": str(result.status), "message": result.message}


def monitor_window(day: date, dry_run: bool = False) -> dict[str, Any]:
    """Tick through 06:00–06:05 (+grace): metrics, alert rules, notifications."""
    from delivery_window.monitor.loop import run_monitor

    with store.report_db() as conn:
        s = run_monitor(conn, day, get_protocol(), dry_run=dry_run)
    return {
        "mode": s.mode,
        "ticks": s.ticks,
        "alerts": s.alerts_fired,
        "notifications_failed": s.notifications_failed,
    }


def choose_runbook(day: date) -> str:
    """Pick the runbook from the recorded alerts and checks; record the decision; return its name."""
    from delivery_window.runbooks.choice import choose_runbook as choose

    with store.report_db() as conn:
        alerts = [AlertRecord(a["rule"], a["scope"], a["severity"]) for a in store.alerts(conn, day)]
        decision = choose(alerts, store.check_results(conn, day), get_protocol())
        store.record_decision(conn, day, "choose_runbook", decision, _now())
    log.info("runbook: %s because %s", decision.choice, "; ".join(decision.reasons))
    return decision.choice


def run_runbook(name: str, day: date) -> dict[str, Any]:
    """Run a runbook's act + verify steps against the delivery service, on the day's incident timeline."""
    from delivery_window.runbooks.steps import steps_of

    p = get_protocol()
    spec = p.runbooks[name]
    from delivery_window.hooks.delivery_service import DeliveryServiceHook

    hook = DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=p.checks.http_timeout_seconds)
    outcomes = {}
    with store.report_db() as conn:
        severity = max((a["severity"] for a in store.alerts(conn, day)), default="sev2")
        incident = store.open_incident(conn, day, name, severity, _now())
        store.add_timeline(conn, incident, "runbook_activated", _now(), runbook=name, doc=spec.doc)
        conn.commit()
        for step, fn in steps_of(name, p):
            try:
                details = fn(hook, conn, day, p)
                outcome = "succeeded" if details.pop("ok", True) else "failed"
            except Exception as exc:  # a failed step is recorded; the run goes on to its report
                details, outcome = {"error": f"{type(exc).__name__}: {exc}"}, "failed"
            store.record_runbook_step(conn, day, name, step, outcome, details, _now())
            store.add_timeline(conn, incident, step, _now(), outcome=outcome, **details)
            conn.commit()
            outcomes[step] = outcome
        resolved = all(o == "succeeded" for o in outcomes.values())
        store.add_timeline(
            conn,
            incident,
            "success_criterion_met" if resolved else "success_criterion_not_met",
            _now(),
            status="resolved" if resolved else "open",
            criterion=spec.success_criterion,
        )
    return {"runbook": name, "steps": outcomes, "resolved": resolved}


def verify_sla_checkpoint(day: date, run_id: str | None) -> dict[str, Any]:
    """06:05: SLA, advisor groups processed, critical failures → ``window_runs``."""
    from delivery_window.checkpoint import sla_checkpoint

    p = get_protocol()
    as_of = window_close(day, p)
    with store.report_db() as conn:
        targeted, _ = store.active_advisors(conn)
        critical = sum(1 for a in store.alerts(conn, day) if a["severity"] in CRITICAL_SEVERITIES)
        row = sla_checkpoint(day, store.attempts(conn, day), targeted, critical, as_of, p)
        row.update(run_id=run_id, mode="replay" if _now() >= as_of else "live")
        store.record_window_run(conn, row)
    log.info("SLA %.3f%% (target %s%%): %s", row["sla_pct"], p.sla.target_pct, row["status"])
    return {k: str(v) if isinstance(v, (date, datetime)) else v for k, v in row.items()}


def identify_advisor_issues(day: date) -> int:
    """06:15: advisors who did not get today's content, with their last error → ``advisor_issues``."""
    as_of = window_close(day, get_protocol())
    with store.report_db() as conn:
        rows = store.undelivered_advisors(conn, day, as_of)
        issues = [{**r, "issue": "not_attempted" if r["attempts"] == 0 else "not_delivered"} for r in rows]
        store.replace_advisor_issues(conn, day, issues)
    return len(issues)


def generate_daily_report(day: date) -> str:
    """06:30: the daily delivery success report (row + text) and the handoff sections."""
    from delivery_window.reports.daily import build_summary, render

    now = _now()
    with store.report_db() as conn:
        alerts = store.alerts(conn, day)
        checks = store.check_results(conn, day)
        decision = store.decisions(conn, day).get("choose_runbook")
        issues = len(store.undelivered_advisors(conn, day, window_close(day, get_protocol())))
        summary = build_summary(store.window_run(conn, day), alerts, checks, decision, issues)
        text = render(day.isoformat(), summary)
        store.record_daily_report(
            conn,
            {
                "delivery_date": day,
                "sla_pct": summary["sla_pct"],
                "sla_met": summary["sla_met"],
                "alerts": len(alerts),
                "runbook": summary["runbook"],
                "summary": summary,
                "report_text": text,
                "generated_at": now,
            },
        )
        for section, content in (
            ("incidents", summary["alerts"]),
            ("performance_notes", {k: summary[k] for k in ("sla_pct", "error_rate_pct", "p95_latency_ms")}),
            ("advisor_issues", {"count": issues}),
            ("infrastructure_changes", summary["failed_checks"]),
        ):
            store.record_handoff(conn, day, section, content, now)
    return text


def post_daily_summary(day: date, dry_run: bool = False) -> dict[str, Any]:
    """Post the report to #delivery-ops once per day (outbox), and retry anything still pending."""
    with store.report_db() as conn:
        report = store.execute(conn, "select_daily_report", {"delivery_date": day})[0]
        s = report["summary"]
        verdict = "met" if s["sla_met"] else "MISSED"
        text = f"Delivery {day}: SLA {s['sla_pct']:.2f}% ({verdict}), {len(s['alerts'])} alerts, runbook {s['runbook']}"
        notify.enqueue(
            conn,
            day,
            dedup_key=f"slack:delivery_window:{day}:daily_summary",
            channel=SLACK_DELIVERY_OPS,
            kind="slack_message",
            payload={
                "text": text,
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": f"Delivery window {day}"}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"```{report['report_text']}```"}},
                ],
            },
            at=_now(),
        )
        conn.commit()
        result = notify.flush(conn, day, dry_run=dry_run)
    return {"sent": result.sent, "dry_run": result.dry_run, "still_pending": len(result.failed)}
