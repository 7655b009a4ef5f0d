"""Before 06:00: the go/no-go decision on the 05:30/05:45 checks and the pre-window remediations it chooses.

Task bodies (plain values in, no Airflow context): ``decide_go_no_go`` judges the recorded checks with the pure
rule in ``runbooks.go_no_go``, records the decision and sends its alerts at once; ``run_pre_window_remediation``
acts on the delivery service, verifies, and records each step in ``runbook_runs`` (step ``pre_window.<step>``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import scope, store, window
from delivery_window.connections import DELIVERY_SERVICE
from delivery_window.escalation import announce
from delivery_window.escalation.clock import engine_now, utcnow
from delivery_window.masking import masked_logger
from delivery_window.protocol import get_protocol

log = masked_logger(__name__)


def decide_go_no_go(day: date, dry_run: bool = False) -> list[str]:
    """Judge the recorded 05:30/05:45 checks (pure rule), record the decision, alert; return the remediations."""
    from delivery_window.checks.probes import CHECKS
    from delivery_window.runbooks import go_no_go

    p = get_protocol()
    with store.report_db() as conn:
        result = go_no_go.decide(store.check_results(conn, day), p, expected=CHECKS)
        store.record_decision(conn, day, "go_no_go", result.decision(), utcnow())
        queued = announce.on_go_no_go(conn, day, go_no_go.alerts(result, day, p), utcnow(), p)
        conn.commit()
        sent = announce.send_pending(
            conn, day, dry_run=dry_run
        )  # before 06:00, not at the monitor's first tick
    log.info(
        "go/no-go: %s (%d alerts queued, %d sent) because %s",
        result.choice,
        queued,
        sent.sent,
        "; ".join(result.reasons),
    )
    return [r.name for r in result.remediations]


def run_pre_window_remediation(name: str, day: date) -> dict[str, Any]:
    """Run one go/no-go remediation against the delivery service: act, verify, record each step in
    ``runbook_runs`` (runbook = its protocol runbook, step ``pre_window.<step>``); every step runs and is recorded,
    then the task fails if any step failed."""
    from delivery_window.checks.probes import CHECKS
    from delivery_window.escalation.actions import ActionLedger, ActionNotPerformed
    from delivery_window.hooks.delivery_service import DeliveryServiceHook
    from delivery_window.runbooks import go_no_go

    p = get_protocol()
    hook = DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=p.checks.http_timeout_seconds)
    outcomes: dict[str, str] = {}
    with store.report_db() as conn:
        rem = go_no_go.decide(store.check_results(conn, day), p, expected=CHECKS).remediation(name)
        if rem is None:  # the checks changed since the branch (a cleared check rerun): nothing to do
            return {"remediation": name, "steps": {}, "skipped": "no longer chosen by go_no_go"}
        for step, fn in _pre_window_steps(rem):
            # every POST of the step is an action of the ledger: once per key, whoever runs the day
            hook.ledger = ActionLedger(
                day, rem.runbook, f"pre_window.{step}", lease_seconds=p.monitor.claim_lease_seconds
            )
            try:
                if step.startswith("verify_") and not scope.current().is_record:
                    # an evaluation never asks today's services: the record's verification is what was seen
                    details = recorded_verification(day, rem.runbook, f"pre_window.{step}")
                else:
                    details = fn(hook, conn, day, p)
                outcome = "succeeded" if details.pop("ok", True) else "failed"
            except ActionNotPerformed as exc:  # an evaluation never acts: the record never took this action
                details, outcome = {"not_performed": str(exc)[:500]}, "skipped"
            except Exception as exc:  # a failed step is recorded; the day goes on to its report
                details, outcome = {"error": f"{type(exc).__name__}: {exc}"}, "failed"
            store.record_runbook_step(
                conn, day, rem.runbook, f"pre_window.{step}", outcome, details, utcnow()
            )
            conn.commit()
            outcomes[step] = outcome
    log.info("pre-window %s: %s", name, outcomes)
    failed = [step for step, outcome in outcomes.items() if outcome == "failed"]
    if failed:  # recorded above; the task fails so the run (remediation_watcher) and the UI show it
        from delivery_window.runbooks.run import RunbookStepFailed

        raise RunbookStepFailed(f"pre-window remediation {name}: {', '.join(failed)} failed")
    return {"remediation": name, "runbook": rem.runbook, "steps": outcomes}


def recorded_verification(day: date, runbook: str, step: str) -> dict[str, Any]:
    """The record's outcome of a pre-window verify step, for an evaluation (not observed without one)."""
    with scope.reading_record(), store.report_db() as conn:
        row = next(
            (r for r in store.runbook_runs(conn, day) if r["runbook"] == runbook and r["step"] == step), None
        )
    if row is None:
        return {"ok": False, "reason": f"not observed: the record of {day} has no {step} of {runbook}"}
    return {**(row["details"] or {}), "ok": row["outcome"] == "succeeded", "as_recorded": True}


def _pre_window_steps(rem) -> list[tuple[str, Any]]:
    """(step, fn(hook, conn, day, p) -> details) of a go/no-go remediation; ``details["ok"]`` False = failed."""
    from delivery_window.runbooks.steps import activate_fallback_everywhere, request_failover

    segments, numbers = list(rem.segments), list(rem.phone_number_ids)

    def verify_database_pool(hook, conn, day, p):
        pool = hook.database_pool()
        used = round(100.0 * pool["in_use"] / pool["size"], 1) if pool.get("size") else 100.0
        ok = used <= p.checks.db_pool_max_used_pct and pool.get("waiting", 0) <= p.checks.db_pool_max_waiting
        return {
            "ok": ok,
            "pool": pool,
            "used_pct": used,
            "round_trip": store.execute(conn, "select_pool_usage")[0],
        }

    def activate_fallback_content(hook, conn, day, p):
        answer = hook.activate_fallback(day, segments, reason="; ".join(rem.triggered_by)[:500])
        return {"ok": bool(answer.get("activated")), "segments": segments, "answer": answer}

    def verify_fallback_active(hook, conn, day, p):
        state = hook.fallback(day)
        missing = sorted(set(segments) - set(state.get("active_segments") or []))
        return {"ok": not missing, "active_segments": state.get("active_segments"), "missing": missing}

    def pause_sender_numbers(hook, conn, day, p):
        when = engine_now(day, window.at(day, "final_check", p), p.timezone)  # a replay: its 05:45
        answers = [
            hook.pause_number(day, n, reason="; ".join(rem.triggered_by)[:500], effective_at=when)
            for n in numbers
        ]
        return {"ok": all(a.get("paused") for a in answers), "paused": numbers}

    def replan_traffic(hook, conn, day, p):
        plan = hook.replan(day, numbers)
        return {"advisors_planned": plan.get("advisors_planned"), "excluded": numbers}

    def verify_traffic_plan(hook, conn, day, p):
        plan = hook.plan(day)
        still = [
            r["phone_number_id"]
            for r in plan.get("numbers") or []
            if r["phone_number_id"] in numbers and r["advisors"]
        ]
        active = store.active_advisors(conn)[0]
        ok = not still and plan.get("advisors_planned") == active
        return {
            "ok": ok,
            "advisors_planned": plan.get("advisors_planned"),
            "active_advisors": active,
            "still_planned_on_excluded": still,
        }

    return {
        "database_emergency": [
            ("fail_over_database", request_failover),
            ("verify_database_pool", verify_database_pool),
        ],
        "exclude_sender_number": [
            ("pause_sender_numbers", pause_sender_numbers),
            ("replan_traffic", replan_traffic),
            ("verify_traffic_plan", verify_traffic_plan),
        ],
        "fallback_content": [
            ("activate_fallback_content", activate_fallback_content),
            ("verify_fallback_active", verify_fallback_active),
        ],
        "ai_service_fallback": [
            ("activate_fallback", activate_fallback_everywhere),
            ("verify_fallback_active", verify_fallback_active),
        ],
    }[rem.name]
