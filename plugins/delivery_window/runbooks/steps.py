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
from datetime import date, datetime
from typing import Any

from delivery_window import store, window
from delivery_window.protocol import Protocol
from delivery_window.runbooks import criteria
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


def _requeue_body(
    day: date, advisors: list[str], exclude: list[str], as_of: datetime | None
) -> dict[str, Any]:
    """A requeue request; ``effective_at`` is the step's instant (a replay's is simulated; live it is now)."""
    body = {"delivery_date": day.isoformat(), "advisor_ids": advisors, "exclude_phone_number_ids": exclude}
    return body | ({"effective_at": as_of.isoformat()} if as_of is not None else {})


def _to_requeue(conn, day: date, p: Protocol, as_of: datetime | None) -> list[dict[str, Any]]:
    """Advisors without a delivery at ``as_of``; during the window only those whose last attempt failed."""
    close = window.close(day, p)
    as_of = min(as_of or close, close)
    rows = store.undelivered_advisors(conn, day, as_of)
    if as_of < close:
        rows = [r for r in rows if r["attempts"] and r["last_status"] == "failed"]
    return rows


def _acted_at(conn, day: date, runbook: str, step: str) -> datetime | None:
    """When the act ``step`` took its action: its own run, else the pre-window counterpart that did it."""
    rows = store.execute(conn, "select_runbook_runs", {"delivery_date": day})
    row = next((r for r in rows if r["runbook"] == runbook and r["step"] == step), None)
    if row is None:
        return None
    done_before = (row["details"] or {}).get("already_done_at")
    if row["outcome"] == "skipped" and done_before:
        return datetime.fromisoformat(done_before)
    return row["ran_at"]


def _paused_at(conn, day: date) -> dict[str, datetime]:
    """Each number the quality runbook (or its pre-window counterpart) paused, and when."""
    details = _step_details(conn, day, QUALITY, "pause_unhealthy_numbers")
    ran = _acted_at(conn, day, QUALITY, "pause_unhealthy_numbers")
    before = details.get("already_done_at")
    out = {n: datetime.fromisoformat(before) for n in details.get("already_done_for", []) if before}
    out.update({n: ran for n in details.get("paused", []) if ran is not None})
    return out


def _attempts(conn, day: date, since: datetime, until: datetime) -> list[dict[str, Any]]:
    return store.execute(
        conn, "select_attempts_after", {"delivery_date": day, "since": since, "until": until}
    )


def _service_says(read, key: str) -> dict[str, Any]:
    """What a service reports about itself, kept beside the measurement (or why it could not be read)."""
    try:
        answer = read()
    except Exception as exc:  # the service's word is context, never the verdict
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return {key: answer.get(key), "answer": answer}


def _step_details(conn, day: date, runbook: str, step: str) -> dict[str, Any]:
    rows = store.execute(conn, "select_runbook_runs", {"delivery_date": day})
    row = next((r for r in rows if r["runbook"] == runbook and r["step"] == step), None)
    return dict(row["details"] or {}) if row else {}


# --- delivery_failure ---------------------------------------------------------------------------------------
def assess_failure_scope(hook, conn, day: date, p: Protocol, as_of: datetime | None = None) -> dict[str, Any]:
    """Scope of the failure (read-only): failing numbers and segments, error codes, advisors without delivery
    (as of ``as_of``: the step's instant; the window's close when not given)."""
    failing, ticked = _failing_numbers(conn, day, p)
    undelivered = _to_requeue(conn, day, p, as_of)
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


def requeue_failed_deliveries(
    hook, conn, day: date, p: Protocol, as_of: datetime | None = None
) -> dict[str, Any]:
    """Re-queue the advisors without a delivery on sender numbers that are not failing: during the window those
    whose last attempt failed (the others are still in the send queue), after it every one not delivered."""
    advisors = [r["advisor_id"] for r in _to_requeue(conn, day, p, as_of)]
    failing, ticked = _failing_numbers(conn, day, p)
    if failing and len(failing) == ticked:
        failing = []  # every number is failing: the outage is API-wide, so re-queue on all of them for recovery
    answer = hook.post("v1/requeue", _requeue_body(day, advisors, failing, as_of))
    return {
        "ok": answer.get("requeued") is not None,
        "advisors": len(advisors),
        "excluded_numbers": failing,
        "job_id": answer.get("job_id"),
        "requeued": answer.get("requeued"),
    }


def verify_delivery_restored(
    hook, conn, day: date, p: Protocol, as_of: datetime, said: dict | None = None
) -> dict[str, Any]:
    """Success criterion "delivery rate restored to > 98 %", measured from ``platform.delivery_attempts``:
    delivered ÷ attempts made after the requeue (trailing ``measure`` window, minimum sample). The delivery
    service's own figure is recorded beside it (``service_says``), never the verdict."""
    spec = p.runbooks["delivery_failure"]
    action_at = _acted_at(conn, day, "delivery_failure", "requeue_failed_deliveries") or as_of
    requeued = _step_details(conn, day, "delivery_failure", "requeue_failed_deliveries").get("advisors")
    measured = criteria.delivery_restored(
        _attempts(conn, day, action_at, as_of),
        action_at,
        as_of,
        spec.measure,
        spec.success_delivery_rate_min_pct,
        requeued=requeued,
    )
    if said is None:
        said = _service_says(
            lambda: hook.get("v1/status", delivery_date=day.isoformat()), "delivery_rate_pct"
        )
    return {**measured.details(), "action_at": action_at.isoformat(), "service_says": said}


# --- whatsapp_quality_recovery ------------------------------------------------------------------------------
def _unhealthy_numbers(conn, day: date, as_of: datetime | None = None) -> list[str]:
    """The numbers to pause: unhealthy at the 05:45 check (RED, or not CONNECTED), and the shards the window's
    monitor found failing (``shard_failing``, scope ``number:<id>``) by ``as_of``."""
    observed = (_check(conn, day, "check_sender_quality").get("observed") or {}).get("unhealthy", [])
    numbers = [label.split("=", 1)[0] for label in observed]
    for a in store.alerts(conn, day):
        if a["rule"] == "shard_failing" and str(a["scope"]).startswith("number:"):
            if as_of is None or a["first_fired_at"] <= as_of:
                numbers.append(str(a["scope"]).split(":", 1)[1])
    return list(dict.fromkeys(numbers))


def pause_unhealthy_numbers(
    hook, conn, day: date, p: Protocol, as_of: datetime | None = None
) -> dict[str, Any]:
    """Pause every sender number the 05:45 check found unhealthy (RED, or not CONNECTED) or the window's monitor
    found failing (``shard_failing``) that the pre-window remediation has not paused already."""
    left = _still_to_do(conn, day, QUALITY, "pause_unhealthy_numbers", _unhealthy_numbers(conn, day, as_of))
    paused, answers = [], {}
    for number in left.todo:
        answer = hook.pause_number(day, number, "quality", effective_at=as_of)
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


def replan_paused_traffic(
    hook, conn, day: date, p: Protocol, as_of: datetime | None = None
) -> dict[str, Any]:
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
        job = hook.post("v1/requeue", _requeue_body(day, advisors, paused, as_of))
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


def switch_to_fallback_templates(
    hook, conn, day: date, p: Protocol, as_of: datetime | None = None
) -> dict[str, Any]:
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


def verify_quality_plan_active(
    hook, conn, day: date, p: Protocol, as_of: datetime, said: dict | None = None
) -> dict[str, Any]:
    """Success criterion "quality_rating_improvement_plan_activated", measured: every paused number is out of the
    delivery service's plan (read back) and carries no attempt after its pause (``platform.delivery_attempts``),
    and fallback templates are live where a template failed. The numbers' quality rating is re-read and
    recorded beside it."""
    spec = p.runbooks[QUALITY]
    paused = _paused_at(conn, day)
    if said is None:
        said = {
            "plan": _service_says(lambda: hook.get("v1/plan", delivery_date=day.isoformat()), "numbers"),
            "quality_rating": _service_says(lambda: _quality_ratings(p, paused), "ratings"),
        }
    plan = said["plan"].get("answer") or {}
    if paused and "error" in said["plan"]:
        why = f"the delivery service's plan cannot be read back: {said['plan']['error']}"
        return {"ok": False, "reason": why, "measured": {"paused": sorted(paused)}, "service_says": said}
    excluded = {n["phone_number_id"] for n in plan.get("numbers") or [] if n.get("excluded")}
    since = min(paused.values(), default=as_of)
    measured = criteria.numbers_quiet(
        _attempts(conn, day, since, as_of), paused, as_of, spec.measure, excluded
    )
    switched = _step_details(conn, day, QUALITY, "switch_to_fallback_templates")
    fallback_ok = switched.get("ok", True) is not False
    details = measured.details()
    if not paused and fallback_ok and switched.get("switched") is not None:
        details.update(
            ok=True, reason="no number to pause; fallback templates switched where a template failed"
        )
    elif not fallback_ok:
        details.update(ok=False, reason=f"{details['reason']}; the fallback switch failed")
    return {
        **details,
        "fallback_segments": sorted({*switched.get("switched", []), *switched.get("already_done_for", [])}),
        "service_says": said,
    }


def _quality_ratings(p: Protocol, numbers) -> dict[str, Any]:
    """The paused numbers' quality rating and status, re-read from the Cloud API after the pause."""
    from delivery_window.checks.probes import whatsapp

    read = {n["id"]: n for n in whatsapp(p).phone_numbers() if n.get("id") in set(numbers)}
    return {"ratings": {k: (v.get("quality_rating"), v.get("status")) for k, v in read.items()}}


# --- ai_service_fallback ------------------------------------------------------------------------------------
def activate_fallback_everywhere(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Switch today's content to the prepared fallback on every segment (the call itself; the pre-window
    ``ai_service_fallback`` remediation makes it as is)."""
    answer = hook.post(
        "v1/fallback/activate", {"delivery_date": day.isoformat(), "reason": "ai_service_outage"}
    )
    return {"ok": bool(answer.get("activated")), "segments": answer.get("segments", [])}


def activate_fallback(hook, conn, day: date, p: Protocol, as_of: datetime | None = None) -> dict[str, Any]:
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


def verify_fallback_active(
    hook, conn, day: date, p: Protocol, as_of: datetime, said: dict | None = None
) -> dict[str, Any]:
    """Success criterion "fallback_systems_activated_and_functional", measured: attempts made after the switch
    (``platform.delivery_attempts``) use their segment's fallback template and are delivered. The service's
    fallback state (armed / active segments) is recorded beside it."""
    spec = p.runbooks["ai_service_fallback"]
    switched_at = _acted_at(conn, day, "ai_service_fallback", "activate_fallback") or as_of
    templates = {
        int(r["segment"]): r["template_name"]
        for r in store.execute(conn, "select_fallback_content", {"delivery_date": day})
    }
    floor = spec.success_delivery_rate_min_pct or p.runbooks["delivery_failure"].success_delivery_rate_min_pct
    measured = criteria.fallback_functional(
        _attempts(conn, day, switched_at, as_of), switched_at, as_of, spec.measure, templates, floor
    )
    if said is None:
        said = _service_says(
            lambda: hook.get("v1/fallback", delivery_date=day.isoformat()), "active_segments"
        )
    return {**measured.details(), "switched_at": switched_at.isoformat(), "service_says": said}


# --- database_emergency -------------------------------------------------------------------------------------
def request_failover(hook, conn, day: date, p: Protocol) -> dict[str, Any]:
    """Fail the delivery service over to the standby database (the call itself; the pre-window
    ``database_emergency`` remediation makes it as is)."""
    answer = hook.post("v1/database/failover", {"delivery_date": day.isoformat()})
    return {"ok": answer.get("status") == "completed", "answer": answer}


def fail_over_database(hook, conn, day: date, p: Protocol, as_of: datetime | None = None) -> dict[str, Any]:
    """Fail the delivery service over to the standby database, unless the pre-window remediation already did
    today (the verify step then checks that the pool it left is healthy)."""
    left = left_to_do(conn, day, "database_emergency", "fail_over_database", p)
    if left.nothing_left:
        return {"ok": True, "skipped": True, **left.details()}
    return request_failover(hook, conn, day, p)


def verify_database_restored(
    hook, conn, day: date, p: Protocol, as_of: datetime, said: dict | None = None
) -> dict[str, Any]:
    """Success criterion "database_connectivity_and_performance_restored", measured by the 05:30 pool probe run
    again after the action: our own round trip, server connections and the service's pool (use %, waiting)
    under the check's limits."""
    from delivery_window.checks.judge import database_pool
    from delivery_window.checks.probes import probe_database_pool
    from delivery_window.records import Status

    result = database_pool(probe_database_pool(day, p), p, "verify")
    return {
        "ok": result.status == Status.PASS,
        "reason": result.message,
        "measured": {k: v for k, v in result.observed.items() if k != "service_pool"},
        "service_says": result.observed.get("service_pool"),
    }


# Verify steps that probe the systems as they are now (not the day's data as of an instant): a replay measures
# them once, as there is nothing to re-measure at a later instant of a past day.
verify_database_restored.measures_now = True


def as_the_record_measured(runbook: str, fn, recorded: dict[str, Any] | None, day: date):
    """An evaluation's verify step and its ``said``: what the services said is the record's (``recorded``: the
    record's row of this verify step), never asked again; a criterion measured from the systems as they are now
    (``measures_now``) is the record's measurement. Without a record row: not observed."""
    details = dict((recorded or {}).get("details") or {})
    missing = {"error": f"not observed: the record of {day} has no verification of {runbook}"}
    said = details.get("service_says")
    if said is None:
        said = {"plan": missing, "quality_rating": missing} if runbook == QUALITY else missing
    if not getattr(fn, "measures_now", False):
        return fn, said

    def record_says(hook, conn, day, p, as_of, said=None) -> dict[str, Any]:
        if recorded is None:
            return {"ok": False, "reason": missing["error"]}
        return {
            "ok": recorded["outcome"] == "succeeded",
            "reason": f"as the record measured it: {details.get('reason')}",
            "measured": details.get("measured"),
            "service_says": details.get("service_says"),
        }

    record_says.measures_now = True
    return record_says, said


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
