"""Fake delivery service (internal; the sandbox defines its API): queue, status and the runbooks' actions.

Runbooks requeue, pause sender numbers, switch segments to fallback content, fail the database over and
replan; ``ServiceState`` remembers each action. The 05:30/05:45 checks read the plan, connection pool,
retry policy and fallback readiness; a scenario changes what they report through optional keys of its info
(see scenario_sets/pre_delivery.py): db_pool, plan, retry_policy, fallback. Given the platform database, the
plan covers the day in it: its active advisors on its active sender numbers (``platform_day``). The status-page and
advisor-notification endpoints live beside the escalation scenarios (scenario_sets/escalation.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from delivery_window.sandbox.scenarios import (
    ADVISORS_PER_SEGMENT,
    IST,
    SEGMENTS,
    SEND_SPAN_MS,
    WINDOW_START,
    cached_summary,
)
from delivery_window.sandbox.services import platform_day
from delivery_window.sandbox.services import platform_effects as effects
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState, json_body, now_iso

RESTORED_DELIVERY_RATE_PCT = 99.2  # what /delivery/v1/status reports once a requeue was received


def _bad(message: str) -> Response:
    return Response(400, {"error": "invalid_request", "message": message})


def _date_arg(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def delivery_queue(req: Request, st: ServiceState) -> Response:
    """GET /v1/queue -> ``{"ready","depth","workers"}``."""
    d = st.info["delivery"]
    return Response(200, {"ready": d["queue_ready"], "depth": d["queue_depth"], "workers": d["workers"]})


def delivery_webhooks_health(req: Request, st: ServiceState) -> Response:
    """GET /v1/webhooks/health -> ``{"status","lag_seconds"}``."""
    return Response(200, {"status": "ok", "lag_seconds": st.info["delivery"]["webhook_lag_seconds"]})


def delivery_requeue(req: Request, st: ServiceState) -> Response:
    """POST /v1/requeue ``{"delivery_date","advisor_ids","exclude_phone_number_ids","effective_at"?}`` -> 202
    ``{"job_id","requeued"[,"attempts_written"]}``; with a platform database the requeue's sends are written
    (``platform_effects``)."""
    body, err = json_body(req)
    if err:
        return err
    if not isinstance(body, dict) or _date_arg(body.get("delivery_date")) is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    ids, exclude = body.get("advisor_ids"), body.get("exclude_phone_number_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return _bad("advisor_ids must be a list of strings")
    if not isinstance(exclude, list) or not all(isinstance(i, str) for i in exclude):
        return _bad("exclude_phone_number_ids must be a list of strings")
    try:
        effective = effects.effective_at(body, now_iso())
    except ValueError:
        return _bad("effective_at must be an ISO 8601 instant")
    n = st.next("requeue_jobs")
    job = {"job_id": f"rq-{body['delivery_date']}-{n:03d}", "requeued": len(set(ids))}
    with st.lock:
        st.requeues.append(
            job | {"delivery_date": body["delivery_date"], "exclude_phone_number_ids": exclude}
        )
        paused = set(st.paused_numbers)
    if st.platform_db:  # the requeue really sends: its attempts land in the platform data
        usable = [n for n in _number_ids(st, platform_day.read(st)) if n not in set(exclude) | paused]
        day = _date_arg(body["delivery_date"])
        job["attempts_written"] = effects.requeue_attempts(
            st.platform_db, st.scenario, day, ids, usable, effective
        )
    return Response(202, job)


def delivery_pause_number(req: Request, st: ServiceState) -> Response:
    """POST /v1/numbers/{id}/pause ``{"delivery_date"?, "reason"?, "effective_at"?}`` ->
    ``{"phone_number_id","paused":true,"moved_attempts"}``. ``effective_at`` (ISO 8601, default now): from when the
    number carries no traffic; with a platform database the day's later sends move to the other numbers."""
    pnid = req.params["id"]
    numbers = _number_ids(st, platform_day.read(st))
    if pnid not in numbers:
        return Response(404, {"error": "not_found", "message": f"unknown phone_number_id {pnid}"})
    body, err = json_body(req) if req.body else ({}, None)
    if err:
        return err
    body = body if isinstance(body, dict) else {}
    try:
        effective = effects.effective_at(body, now_iso())
    except ValueError:
        return _bad("effective_at must be an ISO 8601 instant")
    with st.lock:
        if pnid not in st.paused_numbers:
            st.paused_numbers.append(pnid)
        paused = list(st.paused_numbers)
    moved = 0
    day = _date_arg(body.get("delivery_date"))
    if st.platform_db and day is not None:
        moved = effects.move_paused_traffic(
            st.platform_db, day, pnid, effective, [n for n in numbers if n not in paused]
        )
    return Response(200, {"phone_number_id": pnid, "paused": True, "moved_attempts": moved})


def delivery_fallback(req: Request, st: ServiceState) -> Response:
    """POST /v1/fallback/activate ``{"delivery_date"?, "segments"?}`` -> ``{"activated","segments"}``."""
    body, err = json_body(req) if req.body else ({}, None)
    if err:
        return err
    body = body or {}
    segments = body.get("segments") or list(SEGMENTS)
    if not isinstance(segments, list) or not set(segments) <= set(SEGMENTS):
        return _bad(f"segments must be a subset of {list(SEGMENTS)}")
    with st.lock:
        st.fallback_activations.append({"delivery_date": body.get("delivery_date"), "segments": segments})
    return Response(200, {"activated": True, "segments": segments})


def delivery_failover(req: Request, st: ServiceState) -> Response:
    """POST /v1/database/failover -> ``{"status":"completed","primary",...}``."""
    n = st.next("failovers")
    result = {"status": "completed", "failover_id": f"fo-{n:03d}", "primary": f"delivery-db-replica-{n}"}
    with st.lock:
        st.failovers.append(result)
    return Response(200, result)


def delivery_status(req: Request, st: ServiceState) -> Response:
    """GET /v1/status?delivery_date= -> the day's delivery rate (99.2% once a requeue for the date arrived)."""
    d = _date_arg(req.query.get("delivery_date"))
    if d is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    summary = cached_summary(st.scenario, d, st.seed)
    with st.lock:
        jobs = [j for j in st.requeues if j["delivery_date"] == d.isoformat()]
    targeted = summary["advisors_targeted"]
    if jobs:
        rate, delivered, source = (
            RESTORED_DELIVERY_RATE_PCT,
            round(targeted * RESTORED_DELIVERY_RATE_PCT / 100),
            "requeue",
        )
    else:
        rate, delivered, source = summary["sla_pct"], summary["advisors_delivered"], "scenario"
    return Response(
        200,
        {
            "delivery_date": d.isoformat(),
            "delivery_rate_pct": rate,
            "advisors_targeted": targeted,
            "advisors_delivered": delivered,
            "requeue_jobs": len(jobs),
            "source": source,
        },
    )


HEALTHY_POOL = {"pool": "delivery-db-primary", "size": 100, "in_use": 12, "idle": 88, "waiting": 0}
RETRY_POLICY = {
    "max_attempts": 2,
    "backoff_seconds": {"min": 20, "max": 40},
    "jitter": True,
    # Meta's transient and throughput codes are retried; recipient, policy, template and account errors never.
    "retry_on": [1, 2, 4, 80007, 130429, 131000, 131016, 131056],
    "never_retry": [
        190,
        368,
        131026,
        131031,
        131042,
        131047,
        131048,
        131049,
        131050,
        132000,
        132001,
        132015,
        132016,
    ],
}


def delivery_database_pool(req: Request, st: ServiceState) -> Response:
    """GET /v1/database/pool -> the service's connection pool; healthy again on the replica after a failover."""
    with st.lock:
        failed_over = list(st.failovers)
    if failed_over:
        pool = HEALTHY_POOL | {"pool": failed_over[-1]["primary"], "in_use": 6, "idle": 94}
    else:
        pool = HEALTHY_POOL | dict(st.info.get("db_pool") or {})
    return Response(200, pool | {"checked_at": now_iso()})


def _number_ids(st: ServiceState, data: platform_day.PlatformDay | None) -> list[str]:
    """The sender numbers the service sends from: the platform's active ones, or the scenario's."""
    return [n["id"] for n in platform_day.phone_numbers(st, data)]


def _excluded_numbers(st: ServiceState, day: str) -> list[str]:
    with st.lock:
        replanned = [
            n for r in st.replans if r["delivery_date"] == day for n in r["exclude_phone_number_ids"]
        ]
        return sorted(set(st.paused_numbers) | set(replanned))


def _plan(st: ServiceState, day: date, data: platform_day.PlatformDay | None) -> dict[str, Any]:
    """The traffic plan: advisors spread round-robin over the usable numbers, segments one after another (the
    platform's active advisors per segment when there is data, else the scenario's 4 x 500)."""
    over = dict(st.info.get("plan") or {})
    numbers = _number_ids(st, data)
    excluded = _excluded_numbers(st, day.isoformat())
    usable = [n for n in numbers if n not in excluded]
    population = (
        dict(data.advisors) if data and data.advisors else {s: ADVISORS_PER_SEGMENT for s in SEGMENTS}
    )
    total = sum(population.values()) - int(over.get("unplanned_advisors", 0))
    share = {n: total // len(usable) + (1 if i < total % len(usable) else 0) for i, n in enumerate(usable)}
    start = datetime.combine(day, WINDOW_START, IST)
    span_ms = SEND_SPAN_MS // len(SEGMENTS)
    # one advisor's slot: the send span over the day's advisors (142 ms for 2,000)
    jitter_ms = int(over.get("jitter_ms", max(1, SEND_SPAN_MS // max(1, sum(population.values())))))
    segments = [
        {
            "segment": s,
            "advisors": population[s],
            "window_start": (start + timedelta(milliseconds=i * span_ms)).isoformat(),
            "window_end": (start + timedelta(milliseconds=(i + 1) * span_ms)).isoformat(),
            "jitter_ms": jitter_ms,
        }
        for i, s in enumerate(SEGMENTS)
        if population.get(s) and s not in over.get("missing_segments", [])
    ]
    return {
        "delivery_date": day.isoformat(),
        "computed_at": None if over.get("not_computed") else f"{day.isoformat()}T05:20:00+05:30",
        "advisors_planned": sum(share.values()),
        "segments": segments,
        "numbers": [
            {"phone_number_id": n, "advisors": share.get(n, 0), "excluded": n in excluded} for n in numbers
        ],
    }


def delivery_plan(req: Request, st: ServiceState) -> Response:
    """GET /v1/plan?delivery_date= -> segments with jitter windows, advisors per sender number."""
    d = _date_arg(req.query.get("delivery_date"))
    if d is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    data = platform_day.read(st)
    if not set(_number_ids(st, data)) - set(_excluded_numbers(st, d.isoformat())):
        return Response(409, {"error": "no_usable_number", "message": "every sender number is excluded"})
    return Response(200, _plan(st, d, data))


def delivery_replan(req: Request, st: ServiceState) -> Response:
    """POST /v1/plan/replan ``{"delivery_date","exclude_phone_number_ids"}`` -> the new plan."""
    body, err = json_body(req)
    if err:
        return err
    d = _date_arg((body or {}).get("delivery_date")) if isinstance(body, dict) else None
    exclude = body.get("exclude_phone_number_ids") if isinstance(body, dict) else None
    if d is None or not isinstance(exclude, list) or not all(isinstance(i, str) for i in exclude):
        return _bad("delivery_date and exclude_phone_number_ids (list of strings) are required")
    data = platform_day.read(st)
    known = set(_number_ids(st, data))
    if unknown := sorted(set(exclude) - known):
        return Response(
            404, {"error": "not_found", "message": f"unknown phone_number_id {', '.join(unknown)}"}
        )
    if not known - set(exclude) - set(_excluded_numbers(st, d.isoformat())):
        return Response(409, {"error": "no_usable_number", "message": "cannot exclude every sender number"})
    with st.lock:
        st.replans.append({"delivery_date": d.isoformat(), "exclude_phone_number_ids": exclude})
    return Response(200, _plan(st, d, data))


def delivery_retry_policy(req: Request, st: ServiceState) -> Response:
    """GET /v1/retry-policy -> attempts, backoff and the error codes the sender retries or never retries."""
    return Response(200, RETRY_POLICY | dict(st.info.get("retry_policy") or {}))


def delivery_fallback_status(req: Request, st: ServiceState) -> Response:
    """GET /v1/fallback?delivery_date= -> segments armed with fallback content and segments switched to it."""
    d = _date_arg(req.query.get("delivery_date"))
    if d is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    over = dict(st.info.get("fallback") or {})
    armed = [s for s in SEGMENTS if s not in over.get("unarmed_segments", [])]
    with st.lock:
        active = sorted(
            {s for a in st.fallback_activations if a["delivery_date"] == d.isoformat() for s in a["segments"]}
        )
    return Response(200, {"delivery_date": d.isoformat(), "armed_segments": armed, "active_segments": active})


ROUTES: list[Route] = [
    ("GET", r"/v1/queue", delivery_queue),
    ("GET", r"/v1/webhooks/health", delivery_webhooks_health),
    ("POST", r"/v1/requeue", delivery_requeue),
    ("POST", r"/v1/numbers/(?P<id>[^/]+)/pause", delivery_pause_number),
    ("POST", r"/v1/fallback/activate", delivery_fallback),
    ("POST", r"/v1/database/failover", delivery_failover),
    ("GET", r"/v1/status", delivery_status),
    ("GET", r"/v1/database/pool", delivery_database_pool),
    ("GET", r"/v1/plan", delivery_plan),
    ("POST", r"/v1/plan/replan", delivery_replan),
    ("GET", r"/v1/retry-policy", delivery_retry_policy),
    ("GET", r"/v1/fallback", delivery_fallback_status),
]
