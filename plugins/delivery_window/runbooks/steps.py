"""Runbook steps: act on the delivery service, then verify the protocol's success criterion.

A step is ``fn(hook, conn, day, protocol) -> details``; ``details["ok"] = False`` marks it failed. The
human runbook each one follows is ``include/runbooks/<name>.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import store
from delivery_window.monitor.metrics import window_close
from delivery_window.protocol import Protocol


def requeue_failed_deliveries(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Re-queue every advisor without a delivery on sender numbers that are not failing."""
    advisors = [r["advisor_id"] for r in store.undelivered_advisors(conn, day, window_close(day, p))]
    numbers = store.execute(conn, "select_last_number_ticks", {"delivery_date": day})
    failing = [
        r["scope"].split(":", 1)[1]
        for r in numbers
        if r["error_rate_pct"] is not None
        and float(r["error_rate_pct"]) > p.primary_metrics.error_rate_max_pct
    ]
    if len(failing) == len(numbers):
        failing = []  # every number is failing: the outage is API-wide, so re-queue on all of them for recovery
    answer = hook.post(
        "v1/requeue",
        {"delivery_date": day.isoformat(), "advisor_ids": advisors, "exclude_phone_number_ids": failing},
    )
    return {
        "advisors": len(advisors),
        "excluded_numbers": failing,
        "job_id": answer.get("job_id"),
        "requeued": answer.get("requeued"),
    }


def verify_delivery_restored(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Success criterion: delivery rate restored above the runbook's floor."""
    status = hook.get("v1/status", delivery_date=day.isoformat())
    rate = float(status["delivery_rate_pct"])
    floor = p.runbooks["delivery_failure"].success_delivery_rate_min_pct
    return {"ok": rate > floor, "delivery_rate_pct": rate, "required_pct": floor}


def pause_unhealthy_numbers(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Pause every sender number the 05:45 check found unhealthy; its traffic is re-planned on the rest."""
    checks = {c["check_name"]: c for c in store.check_results(conn, day)}
    unhealthy = (checks.get("check_sender_quality") or {}).get("observed", {}).get("unhealthy", [])
    paused = []
    for label in unhealthy:
        number = label.split("=", 1)[0]
        hook.post(f"v1/numbers/{number}/pause", {"delivery_date": day.isoformat(), "reason": label})
        paused.append(number)
    return {"paused": paused}


def verify_quality_plan_active(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Success criterion: the quality-improvement plan is active (queue ready without the paused numbers)."""
    queue = hook.get("v1/queue")
    return {"ok": bool(queue.get("ready")), "queue": queue}


def activate_fallback(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Switch today's content to the prepared fallback (AI services unavailable)."""
    answer = hook.post("v1/fallback/activate", {"delivery_date": day.isoformat()})
    return {"ok": bool(answer.get("active", True)), "answer": answer}


def fail_over_database(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Fail the delivery service over to the standby database, then prove a round-trip works."""
    answer = hook.post("v1/database/failover", {"delivery_date": day.isoformat()})
    ok = store.execute(conn, "select_pool_usage")[0]
    return {"answer": answer, "round_trip": ok}


# Every step a runbook in protocol.yaml may name (``runbooks.<name>.steps``), by name.
STEPS = {
    fn.__name__: fn
    for fn in (
        requeue_failed_deliveries,
        verify_delivery_restored,
        pause_unhealthy_numbers,
        verify_quality_plan_active,
        activate_fallback,
        fail_over_database,
    )
}


def steps_of(runbook: str, p: Protocol) -> list[tuple[str, Any]]:
    """The (name, function) steps of a runbook, in the order protocol.yaml lists them."""
    return [(name, STEPS[name]) for name in p.runbooks[runbook].steps]
