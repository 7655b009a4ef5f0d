"""Task bodies: fetch, call a pure function, record, act. The DAG file only wires these.

Each takes plain values (the delivery date, flags) so it can be called from a test without Airflow's
context. Every one records what it saw in ``delivery_ops`` before deciding anything.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window import store, window
from delivery_window.connections import DELIVERY_SERVICE, SLACK_DELIVERY_OPS
from delivery_window.escalation import outbox
from delivery_window.masking import masked_logger
from delivery_window.protocol import get_protocol
from delivery_window.records import AlertRecord, CheckResult, Status

log = masked_logger(__name__)
CRITICAL_SEVERITIES = frozenset({"severity_1", "immediate_page"})


def _now() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


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


def choose_runbooks(day: date, force: str | None = None) -> list[str]:
    """Every runbook that applies, in ``runbook_priority`` order (or ``["no_incident"]``); recorded with reasons.

    ``force`` (the DAG's ``force_runbook`` param) runs that runbook alone, whatever was recorded.
    """
    from delivery_window.runbooks.choice import choose_runbook as choose
    from delivery_window.runbooks.choice import forced

    p = get_protocol()
    with store.report_db() as conn:
        alerts = [AlertRecord(a["rule"], a["scope"], a["severity"]) for a in store.alerts(conn, day)]
        decision = choose(alerts, store.check_results(conn, day), p)
        if force:
            decision = forced(decision, force, p)
        store.record_decision(conn, day, "choose_runbook", decision, _now())
    log.info("runbooks: %s because %s", decision.candidates or decision.choice, "; ".join(decision.reasons))
    return list(decision.candidates) or [decision.choice]


def _runbook_clock(day: date) -> datetime:
    """Now in a live run; the monitor's close (when the runbooks start) in a replay (escalation.clock)."""
    from delivery_window.escalation.clock import engine_now

    p = get_protocol()
    return engine_now(day, window.close(day, p), p.timezone)


def _delivery_hook():
    from delivery_window.hooks.delivery_service import DeliveryServiceHook

    return DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=get_protocol().checks.http_timeout_seconds)


class RunbookStepFailed(RuntimeError):
    """A runbook step did not do what it should (recorded first; the task fails so the UI shows it)."""


def activate_runbook(name: str, day: date, dry_run: bool = False) -> dict[str, Any]:
    """Open (or join) the runbook's incident and put the activation on its timeline."""
    from delivery_window.escalation import engine

    p = get_protocol()
    at = _runbook_clock(day)
    with store.report_db() as conn:
        incident = engine.on_runbook_activated(conn, day, name, at, p)
    log.info("runbook %s activated for %s (incident %s)", name, day, incident)
    return {"runbook": name, "incident_id": incident, "activated_at": at.isoformat()}


def run_runbook_step(name: str, step: str, day: date) -> dict[str, Any]:
    """Run one act step; record it (``runbook_runs``, incident timeline); raise when it failed. A step whose
    action the day's pre-window remediation already took is recorded ``skipped`` (``already_done…`` details)."""
    from delivery_window.runbooks.steps import STEPS

    p = get_protocol()
    incident = f"{day.isoformat()}:{name}"
    try:
        with store.report_db() as conn:
            details = STEPS[step](_delivery_hook(), conn, day, p)
        ok, skipped = details.pop("ok", True), details.pop("skipped", False)
        outcome = "failed" if not ok else ("skipped" if skipped else "succeeded")
    except Exception as exc:  # recorded with its precise message, then the task fails
        details, outcome = {"error": f"{type(exc).__name__}: {exc}"[:500]}, "failed"
    at = _runbook_clock(day)
    with store.report_db() as conn:
        store.record_runbook_step(conn, day, name, step, outcome, details, at)
        store.add_incident_event(conn, incident, step, at, outcome=outcome, **details)
    log.info("runbook %s step %s: %s %s", name, step, outcome, details)
    if outcome == "failed":
        raise RunbookStepFailed(f"{name}.{step} failed: {details}")
    return {"runbook": name, "step": step, "outcome": outcome, **details}


def verify_runbook(name: str, day: date, sleep=None) -> dict[str, Any]:
    """Check the success criterion until it holds or the estimated resolution time (max) since activation is
    over (live runs re-check every ``incident_automation.verify_poll_seconds``; a replay checks once). Resolves
    the incident when it holds; raises when it does not."""
    import time

    from delivery_window.escalation import engine
    from delivery_window.escalation.clock import is_live, utcnow
    from delivery_window.runbooks.steps import verify_of

    p = get_protocol()
    spec = p.runbooks[name]
    step, fn = verify_of(name, p)
    incident = f"{day.isoformat()}:{name}"
    live = is_live(day, utcnow(), p.timezone)
    with store.report_db() as conn:
        rows = {r["incident_id"]: r for r in store.escalation_incidents(conn, day)}
    activated = next(
        (
            e["at"]
            for e in (rows.get(incident) or {}).get("timeline") or []
            if e.get("step") == "runbook_activated"
        ),
        None,
    )
    started = datetime.fromisoformat(activated) if activated else _runbook_clock(day)
    deadline = started + timedelta(minutes=spec.estimated_resolution_minutes.max)
    checks = 0
    while True:
        checks += 1
        try:
            with store.report_db() as conn:
                details = fn(_delivery_hook(), conn, day, p)
        except Exception as exc:  # the criterion cannot be observed: not met (yet)
            details = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        ok = bool(details.pop("ok", False))
        if ok or not live or utcnow() >= deadline:
            break
        (sleep or time.sleep)(p.incident_automation.verify_poll_seconds)
    at = _runbook_clock(day)
    details.update(criterion=spec.success_criterion, checks=checks, deadline=deadline.isoformat())
    with store.report_db() as conn:
        store.record_runbook_step(conn, day, name, step, "succeeded" if ok else "failed", details, at)
        store.add_incident_event(
            conn, incident, "success_criterion_met" if ok else "success_criterion_not_met", at, **details
        )
        if ok:
            engine.resolve(conn, incident, at, f"runbook {name}: {spec.success_criterion}")
    log.info(
        "runbook %s criterion %s: %s %s", name, spec.success_criterion, "met" if ok else "NOT met", details
    )
    if not ok:
        raise RunbookStepFailed(
            f"{name}: {spec.success_criterion} not met within {spec.estimated_resolution_minutes.max} min: {details}"
        )
    return {"runbook": name, "criterion": spec.success_criterion, "met": True, **details}


def close_runbook(name: str, day: date) -> dict[str, Any]:
    """Record the runbook's outcome (its steps and whether the incident resolved) on the timeline."""
    p = get_protocol()
    incident = f"{day.isoformat()}:{name}"
    at = _runbook_clock(day)
    with store.report_db() as conn:
        steps = {
            r["step"]: r["outcome"]
            for r in store.execute(conn, "select_runbook_runs", {"delivery_date": day})
            if r["runbook"] == name
        }
        row = next((r for r in store.escalation_incidents(conn, day) if r["incident_id"] == incident), {})
        status = row.get("status", "open")
        store.add_incident_event(conn, incident, "runbook_closed", at, steps=steps, status=status)
    expected = [*p.runbooks[name].steps, p.runbooks[name].verify]
    return {
        "runbook": name,
        "incident_id": incident,
        "status": status,
        "steps": {s: steps.get(s) for s in expected},
    }


def record_runbook_approval(
    name: str, step: str, day: date, decision: str, by: str | None, *, mode: str, timed_out: bool = False
) -> None:
    """An approval decision of a runbook step, on the incident timeline (and a skipped step when rejected)."""
    from delivery_window.escalation import engine

    at = _runbook_clock(day)
    with store.report_db() as conn:
        engine.record_approval(conn, day, name, step, decision, by, at, timed_out=timed_out, mode=mode)
        if decision != "approve":
            who = by or f"default after {get_protocol().runbooks[name].approval_timeout_minutes} min"
            store.record_runbook_step(conn, day, name, step, "skipped", {"rejected_by": who}, at)
    log.info("approval of %s.%s: %s by %s (%s)", name, step, decision, by or "nobody", mode)


def runbook_step_needed(name: str, step: str, day: date) -> bool:
    """False when the day's pre-window remediation already did everything ``step`` would do: the step will record
    itself skipped, so nobody is asked to approve it (and no failover approval waits out its timeout)."""
    from delivery_window.runbooks.steps import ACT_TARGETS, left_to_do

    if step not in ACT_TARGETS:
        return True
    with store.report_db() as conn:
        return not left_to_do(conn, day, name, step, get_protocol()).nothing_left


def request_runbook_approval(
    name: str, step: str, day: date, default: str, timeout_minutes: int, dry_run: bool = False
) -> None:
    """Tell the war room an approval is waiting (ledger row + Slack post), before the task starts waiting."""
    from delivery_window.escalation import engine

    p = get_protocol()
    with store.report_db() as conn:
        engine.request_approval(
            conn, day, name, step, default, timeout_minutes, _runbook_clock(day), p, dry_run=dry_run
        )


def send_due_escalations(day: date, dry_run: bool = False, as_of: datetime | None = None) -> dict[str, Any]:
    """The remediation's escalation follow-up: plan the engineering incidents, cancel what resolution made
    unnecessary, send what is due, retry failed sends. ``as_of`` defaults to now in a live run and to the
    monitor's close in a replay. Business incidents are left to their entry points and the follow-up DAG."""
    from delivery_window.escalation import engine

    p = get_protocol()
    when = as_of or _runbook_clock(day)
    with store.report_db() as conn:
        result = engine.follow_up(conn, day, when, p, dry_run=dry_run, kinds=engine.ENGINEERING)
    return {"delivery_date": day.isoformat(), "as_of": when.isoformat(), **result.as_dict()}


def follow_up_escalations(
    day: date | None = None,
    as_of: datetime | None = None,
    dry_run: bool = False,
    resolve: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The follow-up DAG's task: every delivery date with open incidents or unsent steps (or just ``day``).

    ``resolve`` closes incidents by hand first (their steps not yet due are cancelled).
    """
    from delivery_window.escalation import engine
    from delivery_window.escalation.clock import utcnow

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
        days = [day] if day else store.followup_days(conn, since)
        for d in days:
            result = engine.follow_up(conn, d, when, p, dry_run=dry_run)
            out.append({"delivery_date": d.isoformat(), "as_of": when.isoformat(), **result.as_dict()})
    return out


# --- post-delivery (06:05 / 06:15 / 06:30) -----------------------------------------------------------------
def verify_sla_checkpoint(day: date, run_id: str | None) -> dict[str, Any]:
    """06:05: SLA, advisor groups processed, zero critical failures, quality rating maintained.

    The SLA row goes to ``window_runs``; each of the four protocol items is a ``check_results`` row.
    """
    from delivery_window import checkpoint as cp
    from delivery_window.checks.probes import probe_sender_numbers

    p = get_protocol()
    as_of = window.close(day, p)
    with store.report_db() as conn:
        targeted, _ = store.active_advisors(conn)
        critical = [a for a in store.alerts(conn, day) if a["severity"] in CRITICAL_SEVERITIES]
        row = cp.sla_checkpoint(day, store.attempts(conn, day), targeted, len(critical), as_of, p)
        row.update(run_id=run_id, mode="replay" if _now() >= as_of else "live")
        store.record_window_run(conn, row)
        conn.commit()
        # The business matrix on this SLA (< 95 %, < 90 %) is applied by the escalation follow-up DAG
        # (delivery_window_escalations, every 5 min), which reads this row; see include/runbooks/README.md.
        before = next(
            (c for c in store.check_results(conn, day) if c["check_name"] == "check_sender_quality"), None
        )
    try:
        quality = cp.quality_rating_maintained(
            (before or {}).get("observed", {}).get("numbers") if before else None,
            probe_sender_numbers(day, p),
            p,
        )
    except Exception as exc:  # the WhatsApp API could not be asked: recorded, the checkpoint goes on
        quality = CheckResult(
            "check_whatsapp_quality_rating_maintained",
            cp.PHASE_0605,
            Status.ERROR,
            f"{type(exc).__name__}: {exc}",
        )
    items = [
        cp.sla_achieved(row),
        cp.advisor_groups_processed(row),
        cp.zero_critical_failures(critical),
        quality,
    ]
    _record_items(day, items)
    log.info("SLA %.3f%% (target %s%%): %s", row["sla_pct"], p.sla.target_pct, row["status"])
    out = {k: str(v) if isinstance(v, (date, datetime)) else v for k, v in row.items()}
    return {**out, "checkpoint": {c.check_name: str(c.status) for c in items}}


def _record_items(day: date, items: list[CheckResult]) -> None:
    with store.report_db() as conn:
        for item in items:
            store.record_check(conn, day, item, _now())
            log.info("%s: %s — %s", item.check_name, item.status, item.message)


def identify_advisor_issues(day: date) -> int:
    """06:15: advisors who did not get today's content: who, why (error class), retryable → ``advisor_issues``."""
    from delivery_window.checkpoint import advisor_issues_identified
    from delivery_window.reports.advisor_issues import build_issues, summarize

    as_of = window.close(day)
    with store.report_db() as conn:
        issues = build_issues(store.undelivered_advisors(conn, day, as_of))
        store.record_advisor_issues(conn, day, issues)
    _record_items(day, [advisor_issues_identified(summarize(issues))])
    return len(issues)


def check_receipt_processing(day: date) -> dict[str, Any]:
    """06:15: delivery-receipt webhooks processed: receipt lag and sends still without a receipt."""
    from delivery_window.checkpoint import receipt_processing
    from delivery_window.window import at

    with store.report_db() as conn:
        obs = store.receipt_processing(conn, day, at(day, "analytics_checkpoint"))
    result = receipt_processing(obs, get_protocol())
    _record_items(day, [result])
    return {"status": str(result.status), "message": result.message}


def check_engagement_tracking(day: date) -> dict[str, Any]:
    """06:15: engagement tracking operational: read receipts and engagement events arriving."""
    from delivery_window.checkpoint import engagement_tracking
    from delivery_window.window import at

    with store.report_db() as conn:
        obs = store.engagement_tracking(conn, day, at(day, "analytics_checkpoint"))
    result = engagement_tracking(obs, get_protocol())
    _record_items(day, [result])
    return {"status": str(result.status), "message": result.message}


def _run_dq(day: date, checkpoint_at: str) -> list[dict[str, Any]]:
    """Run the suites of a checkpoint with GX on Postgres and record one ``dq_results`` row per suite."""
    from delivery_window.quality.results import could_not_run
    from delivery_window.quality.runner import delivery_db_url, run_suites
    from delivery_window.quality.suites import suite_parameters, suites_at

    names = suites_at(checkpoint_at)
    try:
        results = run_suites(names, day, suite_parameters(day, get_protocol()), delivery_db_url())
    except Exception as exc:  # GX itself failed (import, context): every suite is recorded as not run
        results = [could_not_run(n, exc) for n in names]
    with store.report_db() as conn:
        for r in results:
            store.record_dq_result(conn, day, r, _now())
    for r in results:
        log.info(
            "suite %s: %s %s", r["suite"], "passed" if r["success"] else "FAILED", r["failed_expectations"]
        )
    return results


def validate_delivery_analytics(day: date) -> dict[str, Any]:
    """06:15: the delivery analytics summary reviewed: GX suites on the attempts and report rows."""
    from delivery_window.checkpoint import analytics_reviewed
    from delivery_window.quality.suites import suites_at

    results = _run_dq(day, get_protocol().times.analytics_checkpoint)
    _record_items(day, [analytics_reviewed(results, suites_at(get_protocol().times.analytics_checkpoint))])
    return {r["suite"]: r["failed_expectations"] for r in results}


def validate_report_rows(day: date) -> dict[str, Any]:
    """06:30: GX suites on the daily report row (one per day, the checkpoint's SLA)."""
    return {r["suite"]: r["failed_expectations"] for r in _run_dq(day, get_protocol().times.final_report)}


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
    _record_items(
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
    from datetime import timedelta

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
    _record_items(
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
