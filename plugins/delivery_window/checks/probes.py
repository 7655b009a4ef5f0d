"""Probes: fetch what a check needs through the providers' hooks, then hand it to a pure judgement.

``CHECKS`` maps each check's task id to its protocol item, phase (the TaskGroup it runs in), probe and judgement;
``run_check`` turns any failure to observe (timeout, refused connection, HTTP error, malformed body, a missing
connection) into an ``error`` result with a precise message, so a broken dependency is recorded and the day goes
on. This module is imported at DAG-parse time: hooks and drivers are imported inside the probes only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from delivery_window import store, window
from delivery_window.checks import judge, judge_final, judge_services
from delivery_window.checks import probes_final as final
from delivery_window.checks import probes_services as services
from delivery_window.connections import CLOUDINARY, DELIVERY_DB, DELIVERY_SERVICE, REDIS, WHATSAPP
from delivery_window.protocol import Protocol
from delivery_window.records import CheckResult, Status


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def delivery_service(p: Protocol):
    """The delivery-service hook with the protocol's probe timeout."""
    from delivery_window.hooks.delivery_service import DeliveryServiceHook

    return DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=p.checks.http_timeout_seconds)


def whatsapp(p: Protocol):
    """The Graph API hook with the protocol's probe timeout."""
    from delivery_window.hooks.whatsapp import WhatsAppCloudHook

    return WhatsAppCloudHook(WHATSAPP, timeout_seconds=p.checks.http_timeout_seconds)


def active_advisors(conn) -> int:
    return store.active_advisors(conn)[0]


# --- 05:30 infrastructure_health ----------------------------------------------------------------------------
def probe_database_pool(day: date, p: Protocol) -> dict[str, Any]:
    """Connect through PostgresHook, time a round-trip, read used vs max connections; then the delivery
    service's own pool (in use, waiting). A service that cannot be asked leaves a note, not an error."""
    from delivery_window.hooks.base import ServiceError

    with store.report_db(DELIVERY_DB) as conn:
        start = time.perf_counter()
        ok = store.execute(conn, "select_pool_usage")[0]
        obs = {"round_trip_ok": True, "round_trip_ms": _ms(start), **ok}
    try:
        obs["service_pool"] = {
            k: v for k, v in delivery_service(p).database_pool().items() if k != "checked_at"
        }
    except ServiceError as exc:
        obs["service_pool_error"] = str(exc)
    return obs


def probe_redis(day: date, p: Protocol) -> dict[str, Any]:
    """PING (timed) and INFO memory through RedisHook."""
    from airflow.providers.redis.hooks.redis import RedisHook

    client = RedisHook(redis_conn_id=REDIS).get_conn()
    start = time.perf_counter()
    pong = client.ping()
    ping_ms = _ms(start)
    info = client.info("memory")
    return {
        "ping": bool(pong),
        "ping_ms": ping_ms,
        "used_memory": info["used_memory"],
        "maxmemory": info["maxmemory"],
    }


def _planned(p: Protocol, day: date) -> tuple[dict[str, int] | None, str | None]:
    """Advisors per sender number in today's traffic plan, or (None, why) when the plan cannot be read."""
    from delivery_window.hooks.base import ServiceError

    try:
        plan = delivery_service(p).plan(day)
    except ServiceError as exc:
        return None, str(exc)
    return {r["phone_number_id"]: int(r["advisors"]) for r in plan.get("numbers") or []}, None


def probe_whatsapp_rate_limits(day: date, p: Protocol) -> dict[str, Any]:
    """Messaging limit and throughput of every sender number (Graph), today's advisors (DB), the traffic
    plan's advisors per number (delivery service; an even split when the plan cannot be read)."""
    hook = whatsapp(p)
    numbers = hook.phone_numbers(
        "id,display_phone_number,status,messaging_limit_tier,whatsapp_business_manager_messaging_limit,throughput,"
        "quality_rating,health_status"  # issue 14: the account's restrictions are judged from the same read
    )
    with store.report_db(DELIVERY_DB) as conn:
        advisors = active_advisors(conn)
    waba, waba_error = waba_of(hook)
    planned, why = _planned(p, day)
    if planned is None:
        ids = [n.get("id") for n in numbers]
        planned = {i: advisors // len(ids) + (1 if k < advisors % len(ids) else 0) for k, i in enumerate(ids)}
    span = window.at(day, "delivery_end", p) - window.at(day, "delivery_start", p)
    return {
        "numbers": numbers,
        "advisors": advisors,
        "planned": planned,
        "plan_error": why,
        "window_seconds": int(span.total_seconds()),
        "waba": waba,
        "waba_error": waba_error,
    }


def waba_of(hook) -> tuple[dict[str, Any] | None, str | None]:
    """The WABA's review and health fields (issue 14), or (None, why) when they cannot be read."""
    from delivery_window.hooks.base import ServiceError

    try:
        return hook.account(), None
    except ServiceError as exc:
        return None, str(exc)


def probe_cloudinary(day: date, p: Protocol) -> dict[str, Any]:
    """Cloudinary Admin API ``ping`` (once: pings count against the hourly quota)."""
    from delivery_window.hooks.cloudinary import CloudinaryHook

    return CloudinaryHook(CLOUDINARY, timeout_seconds=p.checks.http_timeout_seconds).ping()


# --- 05:30 content_pipeline_status --------------------------------------------------------------------------
def probe_approval_queue(day: date, p: Protocol) -> dict[str, Any]:
    """Today's approval items still pending (with their segment) and the count per state."""
    with store.report_db(DELIVERY_DB) as conn:
        pending = store.execute(conn, "select_pending_approvals", {"delivery_date": day})
        by_state = store.execute(conn, "count_approvals_by_state", {"delivery_date": day})
    return {
        "pending_items": [{k: r[k] for k in ("item_id", "content_id", "segment")} for r in pending],
        "by_state": {r["state"]: int(r["items"]) for r in by_state},
    }


def probe_content_rendered(day: date, p: Protocol) -> dict[str, Any]:
    """Today's content items (DB) and the images under their common prefix on Cloudinary (one Admin API call)."""
    import os.path

    from delivery_window.hooks.cloudinary import CloudinaryHook

    with store.report_db(DELIVERY_DB) as conn:
        items = store.execute(conn, "select_content_items", {"delivery_date": day})
    ids = [judge.public_id(i["asset_url"]) for i in items if i["rendered"] and i["asset_url"]]
    ids = [i for i in ids if i]
    assets = None
    if ids:
        prefix = os.path.commonprefix(ids).rpartition("/")[0]
        hook = CloudinaryHook(CLOUDINARY, timeout_seconds=p.checks.http_timeout_seconds)
        assets = [r.get("public_id") for r in hook.resources(prefix + "/" if prefix else "")]
    keep = ("content_id", "segment", "rendered", "asset_url")
    return {"items": [{k: i[k] for k in keep} for i in items], "assets": assets}


def probe_templates(day: date, p: Protocol) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Templates scheduled for today per segment and language (platform.templates_in_use), the WABA's templates."""
    with store.report_db(DELIVERY_DB) as conn:
        in_use = store.execute(conn, "select_templates_in_use_by_segment", {"delivery_date": day})
    return in_use, whatsapp(p).templates()


def probe_preferences(day: date, p: Protocol) -> dict[str, Any]:
    """Active advisors and those missing from today's preferences snapshot."""
    with store.report_db(DELIVERY_DB) as conn:
        row = store.execute(conn, "select_preferences_coverage", {"delivery_date": day})[0]
    return {
        "active": int(row["active"]),
        "missing": int(row["missing"]),
        "missing_sample": list(row["missing_sample"] or []),
        "loaded_at": row["loaded_at"].isoformat() if row["loaded_at"] else None,
    }


# --- 05:45 final check (the existing one; the others are in probes_final) ----------------------------------
def probe_sender_numbers(day: date, p: Protocol) -> list[dict[str, Any]]:
    """Quality rating and status of every sender number on the WABA."""
    return [{k: n.get(k) for k in ("id", "quality_rating", "status")} for n in whatsapp(p).phone_numbers()]


@dataclass(frozen=True)
class CheckSpec:
    """One protocol line: where it runs, how it observes, how it judges."""

    phase: str
    protocol_line: str
    probe: Callable[[date, Protocol], Any]
    judge: Callable[..., CheckResult]
    spread: bool = False  # the probe returns a tuple of judge arguments

    @property
    def group(self) -> str:
        """The TaskGroup the check runs in (``infrastructure``, ..., ``final_check``)."""
        return self.phase.rsplit(".", 1)[-1]

    @property
    def item(self) -> str:
        """The protocol checklist item (``verify_database_connection_pool_healthy``)."""
        return self.protocol_line.split(" ", 1)[1]


INFRA, CONTENT, AI, MONITORING, FINAL = (
    f"pre_delivery.{g}"
    for g in ("infrastructure", "content_pipeline", "ai_services", "monitoring", "final_check")
)
CHECKS: dict[str, CheckSpec] = {
    # 05:30 infrastructure_health
    "check_database_pool": CheckSpec(
        INFRA, "05:30 verify_database_connection_pool_healthy", probe_database_pool, judge.database_pool
    ),
    "check_redis_cache": CheckSpec(
        INFRA, "05:30 confirm_redis_cache_operational", probe_redis, judge.redis_cache
    ),
    "check_whatsapp_rate_limits": CheckSpec(
        INFRA,
        "05:30 check_whatsapp_api_rate_limits_sufficient",
        probe_whatsapp_rate_limits,
        judge.whatsapp_rate_limits,
    ),
    "check_cloudinary": CheckSpec(
        INFRA, "05:30 validate_cloudinary_service_availability", probe_cloudinary, judge.cloudinary
    ),
    # 05:30 content_pipeline_status
    "check_approval_queue": CheckSpec(
        CONTENT, "05:30 approval_queue_cleared", probe_approval_queue, judge.approval_queue
    ),
    "check_content_rendered": CheckSpec(
        CONTENT, "05:30 content_pre_rendered_successfully", probe_content_rendered, judge.content_rendered
    ),
    "check_templates_approved": CheckSpec(
        CONTENT,
        "05:30 whatsapp_templates_approved_and_active",
        probe_templates,
        judge.templates_approved,
        spread=True,
    ),
    "check_preferences_loaded": CheckSpec(
        CONTENT, "05:30 advisor_delivery_preferences_loaded", probe_preferences, judge.preferences_loaded
    ),
    # 05:30 ai_service_readiness
    "check_openai_health": CheckSpec(
        AI, "05:30 openai_api_health_check_passing", services.probe_openai, judge_services.openai_health
    ),
    "check_compliance_engine": CheckSpec(
        AI,
        "05:30 compliance_engine_response_time",
        services.probe_compliance,
        judge_services.compliance_engine,
    ),
    "check_fallback_content": CheckSpec(
        AI,
        "05:30 fallback_content_systems_prepared",
        services.probe_fallback_content,
        judge_services.fallback_content,
    ),
    # 05:30 monitoring_systems
    "check_datadog_monitors": CheckSpec(
        MONITORING,
        "05:30 datadog_alerts_configured_and_active",
        services.probe_datadog,
        judge_services.datadog_monitors,
    ),
    "check_grafana_dashboard": CheckSpec(
        MONITORING,
        "05:30 grafana_delivery_dashboard_accessible",
        services.probe_grafana,
        judge_services.grafana_dashboard,
    ),
    "check_pagerduty_escalation": CheckSpec(
        MONITORING,
        "05:30 pagerduty_escalation_chain_verified",
        services.probe_pagerduty_policy,
        judge_services.pagerduty_escalation,
    ),
    "check_slack_channels": CheckSpec(
        MONITORING,
        "05:30 slack_critical_channels_monitored",
        services.probe_slack,
        judge_services.slack_channels,
    ),
    # 05:45 final_systems_verification
    "check_sender_quality": CheckSpec(
        FINAL, "05:45 quality_rating_maintained_high", probe_sender_numbers, judge.sender_quality
    ),
    "check_number_shards": CheckSpec(
        FINAL, "05:45 phone_number_sharding_healthy", final.probe_shards, judge_final.number_shards
    ),
    "check_delivery_queue": CheckSpec(
        FINAL, "05:45 delivery_queue_processing_ready", final.probe_queue, judge_final.delivery_queue
    ),
    "check_webhook_endpoints": CheckSpec(
        FINAL, "05:45 webhook_endpoints_responding", final.probe_webhooks, judge_final.webhook_endpoints
    ),
    "check_advisor_segmentation": CheckSpec(
        FINAL, "05:45 advisor_segmentation_loaded", final.probe_segmentation, judge_final.advisor_segmentation
    ),
    "check_jitter_windows": CheckSpec(
        FINAL, "05:45 jitter_windows_calculated", final.probe_plan, judge_final.jitter_windows
    ),
    "check_retry_logic": CheckSpec(
        FINAL, "05:45 retry_logic_configured", final.probe_retry, judge_final.retry_logic
    ),
    "check_fallback_armed": CheckSpec(
        FINAL, "05:45 fallback_mechanisms_armed", final.probe_fallback_armed, judge_final.fallback_armed
    ),
    "check_oncall_primary": CheckSpec(
        FINAL,
        "05:45 on_call_engineer_confirmed_availability",
        final.probe_oncalls,
        judge_final.oncall_primary,
    ),
    "check_oncall_backup": CheckSpec(
        FINAL, "05:45 backup_engineer_on_standby", final.probe_oncalls, judge_final.oncall_backup
    ),
    "check_escalation_contacts": CheckSpec(
        FINAL,
        "05:45 management_escalation_contacts_verified",
        final.probe_escalation_contacts,
        judge_final.escalation_contacts,
    ),
}


def runbook_for(name: str, p: Protocol) -> str | None:
    """The runbook a failing check leads to: ``check_runbooks``, else the go/no-go remediation it triggers."""
    if name in p.check_runbooks:
        return p.check_runbooks[name]
    for remediation in p.go_no_go.remediations.values():
        if name in remediation.triggers:
            return remediation.runbook
    return None


def run_check(name: str, day: date, p: Protocol) -> CheckResult:
    """Probe and judge one check; failures to observe become an ``error`` result, never an exception.

    The judgement reads the observation as it is stored (``as_recorded``), so an evaluation that re-judges the
    record's observation (``rejudge``) judges exactly what this run judged."""
    from delivery_window.hooks.base import ServiceError

    spec = CHECKS[name]
    start = time.perf_counter()
    try:
        observed = spec.probe(day, p)
    except ServiceError as exc:  # the hook already says which service failed and how
        seen = {"probe_error": str(exc), "observed": exc.observed()}
        return CheckResult(name, spec.phase, Status.ERROR, str(exc), exc.observed(), _ms(start), seen)
    except Exception as exc:  # recorded with its precise message; the run goes on to its report
        message = f"{type(exc).__name__}: {exc}"
        return CheckResult(name, spec.phase, Status.ERROR, message, {}, _ms(start), {"probe_error": message})
    return replace(judge_observation(name, as_recorded(observed), p), latency_ms=_ms(start))


def as_recorded(observed: Any) -> Any:
    """``observed`` as ``check_results.probe_observed`` keeps it (JSON: numbers as numbers, instants as ISO text)."""
    return json.loads(json.dumps(observed, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def judge_observation(name: str, observed: Any, p: Protocol) -> CheckResult:
    """The verdict of ``protocol.yaml`` ``p`` on one recorded observation (pure)."""
    spec = CHECKS[name]
    args = observed if spec.spread else (observed,)
    try:
        verdict = spec.judge(*args, p, spec.phase)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # an answer of an unexpected shape
        message = f"could not judge what was observed ({type(exc).__name__}: {exc})"
        return CheckResult(
            name, spec.phase, Status.ERROR, message, {"observed": repr(observed)[:2000]}, None, observed
        )
    return replace(verdict, probe_observed=observed)


def rejudge(name: str, day: date, recorded: dict[str, Any] | None, p: Protocol) -> CheckResult:
    """An evaluation's verdict: the record's observation of ``name`` judged again with ``p`` (pure).

    A day whose record holds no observation (the check did not run, or it ran before raw observations were
    kept) is ``not_observed``: an evaluation never probes today's services for a past day."""
    spec = CHECKS[name]
    if recorded is None:
        return CheckResult(
            name, spec.phase, Status.NOT_OBSERVED, f"not observed: the record of {day} holds no {name}"
        )
    seen = recorded.get("probe_observed")
    if seen is None:
        return CheckResult(
            name,
            spec.phase,
            Status.NOT_OBSERVED,
            f"not observed: the record of {day} keeps no raw observation of {name} "
            f"(its verdict then: {recorded['status']}: {recorded['message']})",
        )
    if isinstance(seen, dict) and "probe_error" in seen:  # it could not observe then: that is what was seen
        return CheckResult(
            name, spec.phase, Status.ERROR, seen["probe_error"], seen.get("observed") or {}, None, seen
        )
    return replace(judge_observation(name, seen, p), latency_ms=recorded.get("latency_ms"))
