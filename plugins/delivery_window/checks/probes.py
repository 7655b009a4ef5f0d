"""Probes: fetch what a check needs through the providers' hooks, then hand it to a pure judgement.

``CHECKS`` maps each check's task id to its phase, probe and judgement; ``run_check`` turns any failure to
observe (timeout, refused connection, HTTP error, malformed body) into an ``error`` result with a precise
message, so a broken dependency is recorded and the day goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from delivery_window import store
from delivery_window.checks import judge
from delivery_window.connections import DELIVERY_DB, REDIS, WHATSAPP
from delivery_window.protocol import Protocol
from delivery_window.records import CheckResult, Status


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def probe_database_pool(day: date, p: Protocol) -> dict[str, Any]:
    """Connect through PostgresHook, time a round-trip, read used vs max connections."""
    with store.report_db(DELIVERY_DB) as conn:
        start = time.perf_counter()
        ok = store.execute(conn, "select_pool_usage")[0]
        return {"round_trip_ok": True, "round_trip_ms": _ms(start), **ok}


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


def probe_sender_numbers(day: date, p: Protocol) -> list[dict[str, Any]]:
    """Quality rating and status of every sender number on the WABA."""
    from delivery_window.hooks.whatsapp import WhatsAppCloudHook

    hook = WhatsAppCloudHook(WHATSAPP, timeout_seconds=p.checks.http_timeout_seconds)
    return [{k: n.get(k) for k in ("id", "quality_rating", "status")} for n in hook.phone_numbers()]


def probe_templates(day: date, p: Protocol) -> tuple[list[str], list[dict[str, Any]]]:
    """Templates scheduled for today (platform.templates_in_use) and the WABA's templates."""
    from delivery_window.hooks.whatsapp import WhatsAppCloudHook

    with store.report_db(DELIVERY_DB) as conn:
        in_use = [
            r["template_name"] for r in store.execute(conn, "select_templates_in_use", {"delivery_date": day})
        ]
    hook = WhatsAppCloudHook(WHATSAPP, timeout_seconds=p.checks.http_timeout_seconds)
    return in_use, hook.templates()


@dataclass(frozen=True)
class CheckSpec:
    """One protocol line: where it runs, how it observes, how it judges."""

    phase: str
    protocol_line: str
    probe: Callable[[date, Protocol], Any]
    judge: Callable[..., CheckResult]
    spread: bool = False  # the probe returns a tuple of judge arguments


CHECKS: dict[str, CheckSpec] = {
    "check_database_pool": CheckSpec(
        "pre_delivery.infrastructure",
        "05:30 verify_database_connection_pool_healthy",
        probe_database_pool,
        judge.database_pool,
    ),
    "check_redis_cache": CheckSpec(
        "pre_delivery.infrastructure", "05:30 confirm_redis_cache_operational", probe_redis, judge.redis_cache
    ),
    "check_templates_approved": CheckSpec(
        "pre_delivery.content_pipeline",
        "05:30 whatsapp_templates_approved_and_active",
        probe_templates,
        judge.templates_approved,
        spread=True,
    ),
    "check_sender_quality": CheckSpec(
        "pre_delivery.final_check",
        "05:45 quality_rating_maintained_high",
        probe_sender_numbers,
        judge.sender_quality,
    ),
}


def run_check(name: str, day: date, p: Protocol) -> CheckResult:
    """Probe and judge one check; failures to observe become an ``error`` result, never an exception."""
    spec = CHECKS[name]
    start = time.perf_counter()
    try:
        observed = spec.probe(day, p)
    except Exception as exc:  # recorded with its precise message; the run goes on to its report
        return CheckResult(name, spec.phase, Status.ERROR, f"{type(exc).__name__}: {exc}", {}, _ms(start))
    latency = _ms(start)
    args = observed if spec.spread else (observed,)
    return replace(spec.judge(*args, p, spec.phase), latency_ms=latency)
