"""Pure judgements: observed values in, ``CheckResult`` out. Thresholds come from protocol.yaml."""

from __future__ import annotations

from typing import Any

from delivery_window.protocol import Protocol
from delivery_window.records import CheckResult, Status


def database_pool(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Pool healthy: a round-trip succeeded and used connections stay under the ceiling."""
    used_pct = round(100.0 * obs["connections_used"] / obs["max_connections"], 1)
    obs = {**obs, "used_pct": used_pct}
    limit = p.checks.db_pool_max_used_pct
    if not obs["round_trip_ok"]:
        return CheckResult("check_database_pool", phase, Status.FAIL, "SELECT 1 round-trip failed", obs)
    if used_pct > limit:
        return CheckResult(
            "check_database_pool",
            phase,
            Status.FAIL,
            f"{obs['connections_used']}/{obs['max_connections']} connections used ({used_pct}% > {limit}%)",
            obs,
        )
    return CheckResult(
        "check_database_pool",
        phase,
        Status.PASS,
        f"round-trip {obs['round_trip_ms']} ms, {obs['connections_used']}/{obs['max_connections']} connections",
        obs,
    )


def redis_cache(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Redis operational: PING answered in time, memory under the ceiling (maxmemory 0 = no limit)."""
    used_pct = round(100.0 * obs["used_memory"] / obs["maxmemory"], 1) if obs["maxmemory"] else None
    obs = {**obs, "memory_used_pct": used_pct}
    c = p.checks
    if not obs["ping"]:
        return CheckResult("check_redis_cache", phase, Status.FAIL, "PING did not return PONG", obs)
    if used_pct is not None and used_pct > c.redis_memory_max_used_pct:
        return CheckResult(
            "check_redis_cache",
            phase,
            Status.FAIL,
            f"memory {used_pct}% > {c.redis_memory_max_used_pct}%",
            obs,
        )
    if obs["ping_ms"] > c.redis_latency_max_ms:
        return CheckResult(
            "check_redis_cache",
            phase,
            Status.WARN,
            f"PING {obs['ping_ms']} ms > {c.redis_latency_max_ms} ms",
            obs,
        )
    return CheckResult("check_redis_cache", phase, Status.PASS, f"PONG in {obs['ping_ms']} ms", obs)


def sender_quality(numbers: list[dict[str, Any]], p: Protocol, phase: str) -> CheckResult:
    """Quality rating high on every sender number: GREEN and CONNECTED passes, YELLOW warns, else fails."""
    c = p.checks
    bad, warn = [], []
    for n in numbers:
        label = f"{n.get('id')}={n.get('quality_rating')}/{n.get('status')}"
        if n.get("status") not in c.healthy_number_statuses:
            bad.append(label)
        elif n.get("quality_rating") in c.healthy_quality_ratings:
            continue
        elif n.get("quality_rating") in c.warn_quality_ratings:
            warn.append(label)
        else:
            bad.append(label)
    obs = {"numbers": numbers, "unhealthy": bad, "degraded": warn}
    if not numbers:
        return CheckResult(
            "check_sender_quality", phase, Status.FAIL, "the WABA lists no sender numbers", obs
        )
    if bad:
        return CheckResult(
            "check_sender_quality", phase, Status.FAIL, f"unhealthy numbers: {', '.join(bad)}", obs
        )
    if warn:
        return CheckResult(
            "check_sender_quality", phase, Status.WARN, f"degraded numbers: {', '.join(warn)}", obs
        )
    return CheckResult(
        "check_sender_quality", phase, Status.PASS, f"{len(numbers)} numbers GREEN and CONNECTED", obs
    )


def templates_approved(
    in_use: list[str], api_templates: list[dict[str, Any]], p: Protocol, phase: str
) -> CheckResult:
    """Every template in use today exists, is APPROVED, and its quality score is not RED."""
    by_name = {t.get("name"): t for t in api_templates}
    problems = []
    for name in sorted(set(in_use)):
        t = by_name.get(name)
        quality = (t or {}).get("quality_score")
        score = quality.get("score") if isinstance(quality, dict) else quality
        if t is None:
            problems.append(f"{name}: not found on the WABA")
        elif t.get("status") not in p.checks.sendable_template_statuses:
            problems.append(f"{name}: {t.get('status')}")
        elif score == "RED":
            problems.append(f"{name}: quality RED")
    obs = {"in_use": sorted(set(in_use)), "problems": problems}
    if not in_use:
        return CheckResult(
            "check_templates_approved", phase, Status.FAIL, "no templates scheduled for today", obs
        )
    if problems:
        return CheckResult("check_templates_approved", phase, Status.FAIL, "; ".join(problems), obs)
    return CheckResult(
        "check_templates_approved",
        phase,
        Status.PASS,
        f"{len(obs['in_use'])} templates APPROVED and active",
        obs,
    )
