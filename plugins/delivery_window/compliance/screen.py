"""05:30: the day's content (``platform.content_items``) screened against the compliance engine's verdicts.

The record asks the engine (``POST /v1/verdicts``) and keeps what it answered in ``check_results.probe_observed``;
an evaluation re-judges that observation and never asks today's engine about a past day. A violation is reported
to the escalation engine as ``sebi_violation_detected`` (``engine.on_business_event``): the compliance incident
with the business matrix's steps, level 4 of the chain and the 24 h SEBI deadline. It is seen at 05:30, before
the 06:00 send, and still opens the incident: the content may already be queued, and the regulator's clock
starts at detection.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from typing import Any

from delivery_window import scope, store, window
from delivery_window.compliance.verdicts import CHECK_NAME, EVENT, PHASE, judge, judge_recorded
from delivery_window.connections import COMPLIANCE, DELIVERY_DB
from delivery_window.escalation.clock import engine_now, utcnow
from delivery_window.masking import masked_logger
from delivery_window.protocol import Protocol, get_protocol
from delivery_window.records import CheckResult, Status

log = masked_logger(__name__)


def observe(day: date, p: Protocol) -> dict[str, Any]:
    """The day's content items (DB) and the engine's verdict on each (one request per 100 items)."""
    from delivery_window.checks.probes import as_recorded
    from delivery_window.hooks.compliance import ComplianceEngineHook

    with store.report_db(DELIVERY_DB) as conn:
        rows = store.execute(conn, "select_content_items", {"delivery_date": day})
    items = [{k: r[k] for k in ("content_id", "segment", "template_name")} for r in rows]
    verdicts = []
    if items:
        hook = ComplianceEngineHook(COMPLIANCE, timeout_seconds=p.checks.http_timeout_seconds)
        verdicts = hook.verdicts(day.isoformat(), [i["content_id"] for i in items])
    return as_recorded({"items": items, "verdicts": verdicts})


def screen(day: date, p: Protocol) -> CheckResult:
    """Observe and judge; an engine that cannot be asked is an ``error`` verdict with its precise message."""
    from delivery_window.hooks.base import ServiceError

    start = time.perf_counter()
    try:
        seen = observe(day, p)
    except ServiceError as exc:
        return CheckResult(
            CHECK_NAME, PHASE, Status.ERROR, f"{exc}; the day's content goes out unverified", exc.observed(),
            round((time.perf_counter() - start) * 1000), {"probe_error": str(exc)},
        )  # fmt: skip
    ms = round((time.perf_counter() - start) * 1000)
    return replace(judge(seen["items"], seen["verdicts"]), latency_ms=ms, probe_observed=seen)


def rejudged(day: date) -> CheckResult:
    """An evaluation's verdict: the record's observation judged again (``not_observed`` when it has none)."""
    with store.report_db() as conn:
        recorded = store.recorded_observation(conn, day, CHECK_NAME)
    seen = (recorded or {}).get("probe_observed")
    if not seen or "items" not in seen:
        why = f"not observed: the record of {day} holds no {CHECK_NAME} answer of the compliance engine"
        return CheckResult(CHECK_NAME, PHASE, Status.NOT_OBSERVED, why)
    return replace(judge_recorded(seen), probe_observed=seen)


def screen_content_compliance(day: date, dry_run: bool = False) -> dict[str, Any]:
    """The task body: screen, record the verdict, and report a violation to the escalation engine."""
    from delivery_window.escalation import engine

    p = get_protocol()
    result = screen(day, p) if scope.current().is_record else rejudged(day)
    violations = result.observed.get("violations") or []
    with store.report_db() as conn:
        store.record_check(conn, day, result, utcnow())
        conn.commit()
        if violations:
            at = engine_now(day, window.at(day, "window_open", p), p.timezone)
            details = {"check": CHECK_NAME, "violations": violations}
            follow = engine.on_business_event(conn, day, EVENT, at, p, details, dry_run=dry_run)
            log.warning("%s: %s; incident %s", CHECK_NAME, result.message, follow.incidents)
    log.info("%s: %s — %s", CHECK_NAME, result.status, result.message)
    return {"check": CHECK_NAME, "status": str(result.status), "message": result.message,
            "violations": [v["content_id"] for v in violations]}  # fmt: skip
