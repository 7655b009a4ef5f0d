"""Runbook steps: act on the delivery service, then verify the protocol's success criterion.

A step is ``fn(hook, conn, day, protocol) -> details``; ``details["ok"] = False`` marks it failed (the task
records that and fails). ``hook`` is a ``DeliveryServiceHook`` (the platform's delivery service, which talks to
the WhatsApp Cloud API); ``conn`` reads what the day recorded. Each runbook's steps and verify step are named in
protocol.yaml (``runbooks.<name>.steps`` / ``.verify``); the human runbook each follows is
``include/runbooks/<name>.md``.

An act step does not repeat what the day's pre-window remediation already did (``runbooks.once``): it acts on
the targets left and says which were done before (``already_done``, ``already_done_at``, ``already_done_for``);
``details["skipped"] = True`` when nothing was left (recorded ``skipped``; the task succeeds). The pre-window
remediation calls ``activate_fallback_everywhere`` and ``request_failover``, the bare actions.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from delivery_window import store, window
from delivery_window.protocol import Protocol
from delivery_window.runbooks.once import DATABASE, StillToDo, still_to_do
from delivery_window.whatsapp_errors import UNAVAILABLE

QUALITY = "whatsapp_quality_recovery"


def _failing_numbers(conn, day: date, p: Protocol) -> tuple[list[str], int]:
    """Sender numbers whose last tick's error rate is over the protocol's limit, and how many numbers ticked."""
    numbers = store.execute(conn, "select_last_number_ticks", {"delivery_date": day})
    failing = [
        r["scope"].split(":", 1)[1]
        for r in numbers
        if r["error_rate_pct"] is not None
        and float(r["error_rate_pct"]) > p.primary_metrics.error_rate_max_pct
    ]
    return failing, len(numbers)


def _check(conn, day: date, name: str) -> dict[str, Any]:
    return next((c for c in store.check_results(conn, day) if c["check_name"] == name), {})


def _still_to_do(conn, day: date, runbook: str, step: str, targets) -> StillToDo:
    """The targets of ``step`` the day's pre-window remediation has not acted on yet (``runbooks.once``)."""
    return still_to_do(runbook, step, targets, store.runbook_runs(conn, day))


def _step_details(conn, day: date, runbook: str, step: str) -> dict[str, Any]:
    rows = store.execute(conn, "select_runbook_runs", {"delivery_date": day})
    row = next((r for r in rows if r["runbook"] == runbook and r["step"] == step), None)
    return dict(row["details"] or {}) if row else {}


# --- delivery_failure ---------------------------------------------------------------------------------------
def assess_failure_scope(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Scope of the failure (read-only): failing numbers and segments, error codes, advisors without delivery."""
    failing, ticked = _failing_numbers(conn, day, p)
    undelivered = store.undelivered_advisors(conn, day, window.close(day, p))
    codes = Counter(r["last_error_code"] for r in undelivered if r.get("last_error_code") is not None)
    segments = Counter(r["segment"] for r in undelivered)
    api_wide = bool(failing) and len(failing) == ticked
    return {
        "undelivered_advisors": len(undelivered),
        "failing_numbers": failing,
        "numbers_ticked": ticked,
        "api_wide": api_wide,
        "segments": {str(k): v for k, v in sorted(segments.items())},
        "error_codes": {str(k): v for k, v in codes.most_common(5)},
        "whatsapp_unavailable_codes": sorted(c for c in codes if c in UNAVAILABLE),
    }


def requeue_failed_deliveries(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Re-queue every advisor without a delivery on sender numbers that are not failing."""
    advisors = [r["advisor_id"] for r in store.undelivered_advisors(conn, day, window.close(day, p))]
    failing, ticked = _failing_numbers(conn, day, p)
    if failing and len(failing) == ticked:
        failing = []  # every number is failing: the outage is API-wide, so re-queue on all of them for recovery
    answer = hook.post(
        "v1/requeue",
        {"delivery_date": day.isoformat(), "advisor_ids": advisors, "exclude_phone_number_ids": failing},
    )
    return {
        "ok": answer.get("requeued") is not None,
        "advisors": len(advisors),
        "excluded_numbers": failing,
        "job_id": answer.get("job_id"),
        "requeued": answer.get("requeued"),
    }


def verify_delivery_restored(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Success criterion: delivery rate restored above the runbook's floor (> 98 %)."""
    status = hook.get("v1/status", delivery_date=day.isoformat())
    rate = float(status["delivery_rate_pct"])
    floor = p.runbooks["delivery_failure"].success_delivery_rate_min_pct
    return {"ok": rate > floor, "delivery_rate_pct": rate, "required_pct": floor}


# --- whatsapp_quality_recovery ------------------------------------------------------------------------------
def _unhealthy_numbers(conn, day: date) -> list[str]:
    observed = (_check(conn, day, "check_sender_quality").get("observed") or {}).get("unhealthy", [])
    return [label.split("=", 1)[0] for label in observed]


def pause_unhealthy_numbers(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Pause every sender number the 05:45 check found unhealthy (RED, or not CONNECTED) that the pre-window
    remediation has not paused already."""
    left = left_to_do(conn, day, QUALITY, "pause_unhealthy_numbers", p)
    paused, answers = [], {}
    for number in left.todo:
        answer = hook.post(
            f"v1/numbers/{number}/pause", {"delivery_date": day.isoformat(), "reason": "quality"}
        )
        answers[number] = bool(answer.get("paused"))
        if answers[number]:
            paused.append(number)
    return {
        "ok": len(paused) == len(answers),
        "skipped": left.nothing_left,
        "paused": paused,
        "answers": answers,
        **left.details(),
    }


def replan_paused_traffic(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Move the paused numbers' traffic to the healthy ones: a new plan without them (unless the pre-window
    remediation already re-planned without each of them), and a re-queue of their advisors still without a
    delivery. The numbers are those this runbook paused and those the pre-window remediation had paused."""
    pause = _step_details(conn, day, QUALITY, "pause_unhealthy_numbers")
    paused = list(dict.fromkeys([*pause.get("paused", []), *pause.get("already_done_for", [])]))
    if not paused:
        return {"ok": True, "replanned": False, "reason": "no number was paused"}
    left = _still_to_do(conn, day, QUALITY, "replan_paused_traffic", paused)
    excluded = None
    if left.todo:  # one new plan without every paused number (not only the new ones)
        plan = hook.post(
            "v1/plan/replan", {"delivery_date": day.isoformat(), "exclude_phone_number_ids": paused}
        )
        excluded = sorted(n["phone_number_id"] for n in plan.get("numbers", []) if n.get("excluded"))
    advisors = [
        r["advisor_id"]
        for r in store.execute(
            conn,
            "select_undelivered_on_numbers",
            {"delivery_date": day, "as_of": window.close(day, p), "numbers": paused},
        )
    ]
    job = None
    if advisors:
        job = hook.post(
            "v1/requeue",
            {"delivery_date": day.isoformat(), "advisor_ids": advisors, "exclude_phone_number_ids": paused},
        )
    return {
        "ok": excluded is None or set(paused) <= set(excluded),
        "skipped": left.nothing_left and not advisors,
        "replanned": excluded is not None,
        "paused_numbers": paused,
        "excluded_numbers": excluded,
        "advisors_requeued": len(advisors),
        "job_id": (job or {}).get("job_id"),
        **left.details(),
    }


def switch_to_fallback_templates(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Segments whose template is paused or not approved (05:30 check) switch to their fallback template, unless
    the pre-window remediation already switched them."""
    observed = _check(conn, day, "check_templates_approved").get("observed") or {}
    segments = sorted(int(s) for s in observed.get("segments_affected") or [])
    if not segments:
        return {"ok": True, "switched": [], "reason": "no template problem recorded"}
    left = _still_to_do(conn, day, QUALITY, "switch_to_fallback_templates", segments)
    if left.nothing_left:
        return {"ok": True, "skipped": True, "switched": [], **left.details()}
    answer = hook.post(
        "v1/fallback/activate",
        {"delivery_date": day.isoformat(), "segments": list(left.todo), "reason": "template not sendable"},
    )
    return {
        "ok": bool(answer.get("activated")),
        "switched": answer.get("segments", list(left.todo)),
        **left.details(),
    }


def verify_quality_plan_active(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Success criterion "quality_rating_improvement_plan_activated": every unhealthy number is paused and out of
    the plan, the queue is ready without it, and fallback templates are live where a template failed."""
    unhealthy = _unhealthy_numbers(conn, day)
    queue = hook.get("v1/queue")
    plan = hook.get("v1/plan", delivery_date=day.isoformat()) if unhealthy else {"numbers": []}
    excluded = {n["phone_number_id"] for n in plan.get("numbers", []) if n.get("excluded")}
    switched = _step_details(conn, day, "whatsapp_quality_recovery", "switch_to_fallback_templates")
    return {
        "ok": bool(queue.get("ready"))
        and set(unhealthy) <= excluded
        and switched.get("ok", True) is not False,
        "queue_ready": bool(queue.get("ready")),
        "unhealthy": unhealthy,
        "excluded_from_plan": sorted(excluded),
        "fallback_segments": sorted({*switched.get("switched", []), *switched.get("already_done_for", [])}),
    }


# --- ai_service_fallback ------------------------------------------------------------------------------------
def activate_fallback_everywhere(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Switch today's content to the prepared fallback on every segment (the call itself; the pre-window
    ``ai_service_fallback`` remediation makes it as is)."""
    answer = hook.post(
        "v1/fallback/activate", {"delivery_date": day.isoformat(), "reason": "ai_service_outage"}
    )
    return {"ok": bool(answer.get("activated")), "segments": answer.get("segments", [])}


def activate_fallback(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Switch today's content to the prepared fallback on every segment (AI services unavailable) that the
    pre-window remediation has not switched already."""
    left = left_to_do(conn, day, "ai_service_fallback", "activate_fallback", p)
    if left.nothing_left:
        return {"ok": True, "skipped": True, "segments": [], **left.details()}
    if not left.done:
        return activate_fallback_everywhere(hook, conn, day, p)
    answer = hook.post(
        "v1/fallback/activate",
        {"delivery_date": day.isoformat(), "segments": list(left.todo), "reason": "ai_service_outage"},
    )
    return {"ok": bool(answer.get("activated")), "segments": answer.get("segments", []), **left.details()}


def verify_fallback_active(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Success criterion "fallback_systems_activated_and_functional": every segment armed and switched over."""
    state = hook.get("v1/fallback", delivery_date=day.isoformat())
    armed, active = set(state.get("armed_segments", [])), set(state.get("active_segments", []))
    expected = set(range(1, p.checks.advisor_segments + 1))
    return {
        "ok": expected <= active and expected <= armed,
        "armed_segments": sorted(armed),
        "active_segments": sorted(active),
    }


# --- database_emergency -------------------------------------------------------------------------------------
def request_failover(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Fail the delivery service over to the standby database (the call itself; the pre-window
    ``database_emergency`` remediation makes it as is)."""
    answer = hook.post("v1/database/failover", {"delivery_date": day.isoformat()})
    return {"ok": answer.get("status") == "completed", "answer": answer}


def fail_over_database(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Fail the delivery service over to the standby database, unless the pre-window remediation already did
    today (the verify step then checks that the pool it left is healthy)."""
    left = left_to_do(conn, day, "database_emergency", "fail_over_database", p)
    if left.nothing_left:
        return {"ok": True, "skipped": True, **left.details()}
    return request_failover(hook, conn, day, p)


def verify_database_restored(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Success criterion "database_connectivity_and_performance_restored": our own round trip works and the
    service's pool is back under the 05:30 check's limits (use %, nobody waiting)."""
    ours = store.execute(conn, "select_pool_usage")[0]
    pool = hook.get("v1/database/pool")
    used_pct = round(100.0 * pool["in_use"] / pool["size"], 1) if pool.get("size") else 100.0
    ok = used_pct <= p.checks.db_pool_max_used_pct and pool.get("waiting", 0) <= p.checks.db_pool_max_waiting
    return {
        "ok": ok,
        "pool": pool.get("pool"),
        "used_pct": used_pct,
        "waiting": pool.get("waiting", 0),
        "round_trip": ours,
    }


# The targets of the act steps that may need an approval and have a pre-window counterpart (runbooks.once): the
# step and its approval gate (runbooks.run.runbook_step_needed) ask the same question.
ACT_TARGETS = {
    "pause_unhealthy_numbers": lambda conn, day, p: _unhealthy_numbers(conn, day),
    "activate_fallback": lambda conn, day, p: list(range(1, p.checks.advisor_segments + 1)),
    "fail_over_database": lambda conn, day, p: [DATABASE],
}


def left_to_do(conn, day: date, runbook: str, step: str, p: Protocol) -> StillToDo:
    """What the act ``step`` of ``runbook`` would still act on now (every target of a step not in ACT_TARGETS:
    ``targets`` come from the step itself there)."""
    targets = ACT_TARGETS[step](conn, day, p) if step in ACT_TARGETS else []
    return _still_to_do(conn, day, runbook, step, targets)


# Every step a runbook in protocol.yaml may name (``runbooks.<name>.steps`` and ``.verify``), by name.
STEPS = {
    fn.__name__: fn
    for fn in (
        assess_failure_scope,
        requeue_failed_deliveries,
        verify_delivery_restored,
        pause_unhealthy_numbers,
        replan_paused_traffic,
        switch_to_fallback_templates,
        verify_quality_plan_active,
        activate_fallback,
        verify_fallback_active,
        fail_over_database,
        verify_database_restored,
    )
}


def steps_of(runbook: str, p: Protocol) -> list[tuple[str, Any]]:
    """The (name, function) act steps of a runbook, in the order protocol.yaml lists them."""
    return [(name, STEPS[name]) for name in p.runbooks[runbook].steps]


def verify_of(runbook: str, p: Protocol) -> tuple[str, Any]:
    """The (name, function) step that checks the runbook's success criterion."""
    name = p.runbooks[runbook].verify
    return name, STEPS[name]
