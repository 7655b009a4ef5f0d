"""The runbook task bodies: choose the runbooks after the window, then activate, act, verify and close each.

Each step is recorded (``runbook_runs``, the incident timeline) before the task fails for it, so the UI and the
report both show what happened. Approvals of risky steps are recorded here too; the HITL operator and the
TaskGroups that call these live with the DAG wiring (``delivery_window.wiring``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from delivery_window import scope, store, window
from delivery_window.connections import DELIVERY_SERVICE
from delivery_window.escalation import keys
from delivery_window.escalation.clock import engine_now, utcnow
from delivery_window.masking import masked_logger
from delivery_window.protocol import get_protocol
from delivery_window.records import AlertRecord

log = masked_logger(__name__)


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
        store.record_decision(conn, day, "choose_runbook", decision, utcnow())
    log.info("runbooks: %s because %s", decision.candidates or decision.choice, "; ".join(decision.reasons))
    return list(decision.candidates) or [decision.choice]


def _runbook_clock(day: date, name: str | None = None) -> datetime:
    """Now in a live run. In a replay (escalation.clock): the instant the runbook was activated, as recorded on
    its incident's timeline (its steps happen then), else the monitor's close."""
    p = get_protocol()
    instant = window.close(day, p)
    if name is not None:
        with store.report_db() as conn:
            instant = activated_at(conn, day, name) or instant
    return engine_now(day, instant, p.timezone)


def activated_at(conn, day: date, name: str) -> datetime | None:
    """When the runbook's incident timeline says it was activated (None: not activated)."""
    incident = keys.incident_id(day, name)
    row = next((r for r in store.escalation_incidents(conn, day) if r["incident_id"] == incident), None)
    at = next(
        (e["at"] for e in (row or {}).get("timeline") or [] if e.get("step") == "runbook_activated"), None
    )
    return datetime.fromisoformat(at) if at else None


def _delivery_hook(day: date | None = None, runbook: str | None = None, step: str | None = None):
    """The delivery-service hook; for an act step, its POSTs go through the step's action ledger."""
    from delivery_window.hooks.delivery_service import DeliveryServiceHook

    p = get_protocol()
    hook = DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=p.checks.http_timeout_seconds)
    if step is not None:
        from delivery_window.escalation.actions import ActionLedger

        hook.ledger = ActionLedger(day, runbook, step, lease_seconds=p.monitor.claim_lease_seconds)
    return hook


class RunbookStepFailed(RuntimeError):
    """A runbook step did not do what it should (recorded first; the task fails so the UI shows it)."""


def watch_poll(name: str, day: date, since: datetime, schema: str | None = None) -> dict[str, Any]:
    """One look of the runbook's watch: its incident's opening (if open) and whether this run's post-window choice
    (recorded at or after ``since``) is made, in the run's copy of the day (``schema``; the triggerer, which
    serves many runs in one process, passes it explicitly)."""
    from delivery_window import scope

    run_scope = scope.RunScope(schema=schema, evaluation_id=schema) if schema else None
    if schema == scope.RECORD_SCHEMA:
        run_scope = scope.RECORD
    with store.report_db() as conn:
        row = store.execute(
            conn,
            "select_runbook_watch",
            {"incident_id": keys.incident_id(day, name), "delivery_date": day, "since": since},
            run_scope,
        )[0]
    return {"incident_opened_at": row["incident_opened_at"], "decided": bool(row["decided"])}


def watch_runbook(name: str, day: date, chosen: list[str] | None):
    """The watch's decision now (``runbooks.watch.decide``) from the recorded incident and the choice."""
    from delivery_window.runbooks.watch import decide

    p = get_protocol()
    with store.report_db() as conn:
        row = next(
            (
                r
                for r in store.escalation_incidents(conn, day)
                if r["incident_id"] == keys.incident_id(day, name)
            ),
            None,
        )
    opened = row["opened_at"] if row and row["status"] == "open" and row.get("runbook") == name else None
    return decide(name, opened, chosen, window.close(day, p), p)


def activate_runbook(
    name: str, day: date, dry_run: bool = False, how: str = "after_window", at: datetime | None = None
) -> dict[str, Any]:
    """Open (or join) the runbook's incident and put the activation on its timeline: ``how`` it started
    (``in_window`` / ``after_window``) and, in a replay, the instant ``at`` a live run would have started it."""
    from delivery_window.escalation import engine

    p = get_protocol()
    when = engine_now(day, at or window.close(day, p), p.timezone)
    with store.report_db() as conn:
        incident = engine.on_runbook_activated(conn, day, name, when, p, how=how)
        opened = next(
            (r["opened_at"] for r in store.escalation_incidents(conn, day) if r["incident_id"] == incident),
            None,
        )
    latency = round((when - opened).total_seconds(), 1) if opened and how == "in_window" else None
    log.info(
        "runbook %s activated %s for %s (incident %s, %s s after it opened)",
        name,
        how,
        day,
        incident,
        latency,
    )
    return {
        "runbook": name,
        "incident_id": incident,
        "activated_at": when.isoformat(),
        "how": how,
        "seconds_after_incident_opened": latency,
    }


def run_runbook_step(name: str, step: str, day: date) -> dict[str, Any]:
    """Run one act step; record it (``runbook_runs``, incident timeline); raise when it failed. A step whose
    action the day's pre-window remediation already took is recorded ``skipped`` (``already_done…`` details)."""
    from delivery_window.escalation.actions import ActionNotPerformed
    from delivery_window.runbooks.steps import STEPS

    p = get_protocol()
    incident = keys.incident_id(day, name)
    try:
        with store.report_db() as conn:
            hook = _delivery_hook(day, name, step)
            details = STEPS[step](hook, conn, day, p, as_of=_runbook_clock(day, name))
        ok, skipped = details.pop("ok", True), details.pop("skipped", False)
        outcome = "failed" if not ok else ("skipped" if skipped else "succeeded")
    except ActionNotPerformed as exc:  # an evaluation never acts: the record never took this action
        details, outcome = {"not_performed": str(exc)[:500]}, "skipped"
    except Exception as exc:  # recorded with its precise message, then the task fails
        details, outcome = {"error": f"{type(exc).__name__}: {exc}"[:500]}, "failed"
    at = _runbook_clock(day, name)
    with store.report_db() as conn:
        store.record_runbook_step(conn, day, name, step, outcome, details, at)
        store.add_incident_event(conn, incident, step, at, outcome=outcome, **details)
    log.info("runbook %s step %s: %s %s", name, step, outcome, details)
    if outcome == "failed":
        raise RunbookStepFailed(f"{name}.{step} failed: {details}")
    return {"runbook": name, "step": step, "outcome": outcome, **details}


def verify_runbook(name: str, day: date, sleep=None) -> dict[str, Any]:
    """Measure the success criterion from the platform's data until it holds or the estimated resolution time
    (max) since activation is over: a live run re-measures every ``incident_automation.verify_poll_seconds``; a
    replay measures at the same instants over the recorded data (``as_of`` activation + k × poll). Resolves the
    incident only when the measurement says met; otherwise the incident stays open (the escalation chain goes
    on) and the task fails."""
    import time

    from delivery_window.escalation import engine
    from delivery_window.escalation.clock import is_live
    from delivery_window.runbooks.steps import verify_of

    p = get_protocol()
    spec = p.runbooks[name]
    step, fn = verify_of(name, p)
    incident = keys.incident_id(day, name)
    live = is_live(day, utcnow(), p.timezone)
    with store.report_db() as conn:
        started = activated_at(conn, day, name) or _runbook_clock(day, name)
    deadline = started + timedelta(minutes=spec.estimated_resolution_minutes.max)
    poll = timedelta(seconds=p.incident_automation.verify_poll_seconds)
    as_of = utcnow() if live else started
    checks, said = 0, None
    if not scope.current().is_record:  # an evaluation never asks today's services about a past day
        from delivery_window.runbooks.steps import as_the_record_measured

        with scope.reading_record(), store.report_db() as conn:
            recorded = next(
                (r for r in store.runbook_runs(conn, day) if r["runbook"] == name and r["step"] == step), None
            )
        fn, said = as_the_record_measured(name, fn, recorded, day)
    while True:
        checks += 1
        try:
            with store.report_db() as conn:
                details = fn(_delivery_hook(), conn, day, p, as_of, said)
        except Exception as exc:  # the criterion cannot be observed: not met (yet)
            details = {"ok": False, "reason": f"{type(exc).__name__}: {exc}"[:500]}
        ok = bool(details.pop("ok", False))
        if ok or as_of >= deadline or (not live and getattr(fn, "measures_now", False)):
            break
        if not live:  # a replay asks the services once: only the day's data changes between instants
            said = details.get("service_says") or said
        if live:
            (sleep or time.sleep)(poll.total_seconds())
            as_of = utcnow()
        else:
            as_of = min(as_of + poll, deadline)
    at = utcnow() if live else as_of
    details.update(criterion=spec.success_criterion, checks=checks, deadline=deadline.isoformat())
    with store.report_db() as conn:
        store.record_runbook_step(conn, day, name, step, "succeeded" if ok else "failed", details, at)
        store.add_incident_event(
            conn, incident, "success_criterion_met" if ok else "success_criterion_not_met", at, **details
        )
        if ok:
            engine.resolve(conn, incident, at, f"runbook {name}: {spec.success_criterion} measured met")
    log.info(
        "runbook %s criterion %s: %s %s", name, spec.success_criterion, "met" if ok else "NOT met", details
    )
    if not ok:
        raise RunbookStepFailed(
            f"{name}: {spec.success_criterion} not met within {spec.estimated_resolution_minutes.max} min of "
            f"activation: {details.get('reason')}"
        )
    return {"runbook": name, "criterion": spec.success_criterion, "met": True, **details}


def close_runbook(name: str, day: date) -> dict[str, Any]:
    """Record the runbook's outcome (its steps and whether the incident resolved) on the timeline."""
    p = get_protocol()
    incident = keys.incident_id(day, name)
    at = _runbook_clock(day, name)
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
    name: str,
    step: str,
    day: date,
    decision: str,
    by: str | None,
    *,
    mode: str,
    timed_out: bool = False,
    run_id: str | None = None,
    timeout_minutes: int | None = None,
) -> None:
    """An approval decision of a runbook step, on the incident timeline (and a skipped step when rejected)."""
    from delivery_window.escalation import engine

    at = _runbook_clock(day, name)
    with store.report_db() as conn:
        engine.record_approval(
            conn, day, name, step, decision, by, at, timed_out=timed_out, mode=mode, run_id=run_id
        )
        if decision != "approve":
            minutes = timeout_minutes or get_protocol().runbooks[name].approval_timeout_minutes
            who = by or f"default after {minutes} min"
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
            conn, day, name, step, default, timeout_minutes, _runbook_clock(day, name), p, dry_run=dry_run
        )
