"""Pure judgements: observed values in, ``CheckResult`` out. Thresholds come from protocol.yaml."""

from __future__ import annotations

from typing import Any

from delivery_window.protocol import Protocol
from delivery_window.records import CheckResult, Status


def database_pool(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Pool healthy: a round-trip succeeded, used connections stay under the ceiling on the server and in the
    delivery service's own pool (``service_pool``), and no request waits for a pooled connection."""
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
    pool = obs.get("service_pool")
    if pool:
        pool_pct = round(100.0 * pool["in_use"] / pool["size"], 1) if pool.get("size") else 100.0
        obs["service_pool_used_pct"] = pool_pct
        label = f"delivery-service pool {pool.get('pool', '')}".rstrip()
        if pool_pct > limit or pool.get("waiting", 0) > p.checks.db_pool_max_waiting:
            return CheckResult(
                "check_database_pool",
                phase,
                Status.FAIL,
                f"{label}: {pool['in_use']}/{pool['size']} connections in use ({pool_pct}%, limit {limit}%), "
                f"{pool.get('waiting', 0)} requests waiting (limit {p.checks.db_pool_max_waiting})",
                obs,
            )
    message = f"round-trip {obs['round_trip_ms']} ms, {obs['connections_used']}/{obs['max_connections']} connections"
    if obs.get("service_pool_error"):
        return CheckResult(
            "check_database_pool",
            phase,
            Status.WARN,
            f"{message}; delivery-service pool not observed: {obs['service_pool_error']}",
            obs,
        )
    if pool:
        message += f"; service pool {pool['in_use']}/{pool['size']} in use, {pool.get('waiting', 0)} waiting"
    return CheckResult("check_database_pool", phase, Status.PASS, message, obs)


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
    obs = {
        "numbers": numbers,
        "unhealthy": bad,
        "degraded": warn,
        "unhealthy_ids": [label.split("=", 1)[0] for label in bad],
    }
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


def _quality(t: dict[str, Any]) -> Any:
    quality = t.get("quality_score")
    return quality.get("score") if isinstance(quality, dict) else quality


def template_problems(
    wanted: list[str | dict[str, Any]], api_templates: list[dict[str, Any]], p: Protocol
) -> tuple[list[str], list[str], list[int]]:
    """(problems, failing template names, segments affected) for templates wanted by name or by
    ``{"template_name", "language", "segment"}``; every language of a name given alone must be sendable."""
    problems: dict[str, None] = {}
    failing: dict[str, None] = {}
    segments: set[int] = set()
    for item in wanted:
        name = item if isinstance(item, str) else item["template_name"]
        language = None if isinstance(item, str) else item.get("language")
        label = name if language is None else f"{name} ({language})"
        found = [t for t in api_templates if t.get("name") == name and language in (None, t.get("language"))]
        problem = None
        if not found:
            problem = f"{label}: not found on the WABA"
        elif bad := [t for t in found if t.get("status") not in p.checks.sendable_template_statuses]:
            problem = f"{label}: {bad[0].get('status')}"
        elif any(_quality(t) == "RED" for t in found):
            problem = f"{label}: quality RED"
        if problem:
            problems[problem] = None
            failing[name] = None
            if not isinstance(item, str) and item.get("segment") is not None:
                segments.add(int(item["segment"]))
    return list(problems), list(failing), sorted(segments)


def templates_approved(
    in_use: list[str | dict[str, Any]], api_templates: list[dict[str, Any]], p: Protocol, phase: str
) -> CheckResult:
    """Every template in use today (by name, or name + language + segment) exists, is APPROVED, and its
    quality score is not RED."""
    names = sorted({t if isinstance(t, str) else t["template_name"] for t in in_use})
    keyed = sorted(
        in_use,
        key=lambda t: (
            (t, "", 0)
            if isinstance(t, str)
            else (t["template_name"], t.get("language") or "", t.get("segment") or 0)
        ),
    )
    problems, failing, segments = template_problems(keyed, api_templates, p)
    obs = {"in_use": names, "problems": problems, "failing_templates": failing, "segments_affected": segments}
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


# --- helpers shared by the judgements -----------------------------------------------------------------------
def result(name: str, phase: str, status: Status, message: str, obs: dict[str, Any]) -> CheckResult:
    """A ``CheckResult`` (keeps every judgement one line per verdict)."""
    return CheckResult(name, phase, status, message, obs)


def verdict(
    name: str, phase: str, problems: list[str], pass_message: str, obs: dict[str, Any]
) -> CheckResult:
    """FAIL naming every problem found, else PASS with ``pass_message``."""
    if problems:
        return result(name, phase, Status.FAIL, "; ".join(problems), obs)
    return result(name, phase, Status.PASS, pass_message, obs)


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile (the same definition the monitor uses); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


# --- 05:30 infrastructure_health ----------------------------------------------------------------------------
def whatsapp_rate_limits(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Rate limits sufficient: the portfolio's messaging-limit tier covers today's advisors (unique recipients
    in 24 h) and each sender number's throughput covers the advisors planned on it within the delivery window.

    ``obs``: ``numbers`` (Graph: id, messaging limit, throughput), ``advisors`` (active today),
    ``planned`` ({phone_number_id: advisors}), ``window_seconds`` (06:00-06:05).
    """
    from delivery_window.checks.whatsapp_limits import DEFAULT_THROUGHPUT_MPS, THROUGHPUT_MPS, TIER_LIMITS

    name, numbers, volume = "check_whatsapp_rate_limits", obs["numbers"], obs["advisors"]
    planned: dict[str, int] = obs.get("planned") or {}
    window = obs["window_seconds"]
    rows, problems, unknown = [], [], []
    for n in numbers:
        tier = n.get("whatsapp_business_manager_messaging_limit") or n.get("messaging_limit_tier")
        if tier not in TIER_LIMITS:
            unknown.append(f"{n.get('id')}: messaging limit {tier!r}")
            continue
        level = (n.get("throughput") or {}).get("level")
        mps = THROUGHPUT_MPS.get(level, DEFAULT_THROUGHPUT_MPS)
        share = planned.get(n.get("id"), 0)
        rows.append(
            {
                "id": n.get("id"),
                "tier": tier,
                "tier_limit": TIER_LIMITS[tier],
                "throughput_mps": mps,
                "planned": share,
                "capacity_in_window": mps * window,
            }
        )
        if share > mps * window:
            problems.append(f"{n.get('id')}: {share} advisors planned > {mps} msg/s x {window} s")
    limits = [r["tier_limit"] for r in rows]
    portfolio_limit = None if any(v is None for v in limits) else max(limits, default=0)
    per_min = sum(r["throughput_mps"] for r in rows) * 60
    out = {**obs, "numbers": rows, "portfolio_limit": portfolio_limit, "capacity_per_min": per_min}
    if not numbers:
        return result(name, phase, Status.FAIL, "the WABA lists no sender numbers", out)
    if unknown:
        return result(name, phase, Status.FAIL, "unknown messaging limit: " + "; ".join(unknown), out)
    if portfolio_limit is not None and volume > portfolio_limit:
        return result(
            name,
            phase,
            Status.FAIL,
            f"{volume} advisors today > messaging limit {portfolio_limit} unique recipients/24 h",
            out,
        )
    if problems:
        return result(name, phase, Status.FAIL, "throughput short: " + "; ".join(problems), out)
    if per_min < p.primary_metrics.processing_rate_target_per_min:
        return result(
            name,
            phase,
            Status.FAIL,
            f"{per_min} msg/min of throughput < target {p.primary_metrics.processing_rate_target_per_min}",
            out,
        )
    used = None if portfolio_limit is None else round(100.0 * volume / portfolio_limit, 2)
    out["limit_used_pct"] = used
    # compared unrounded: 8001 of 10000 is above 80 % even though it rounds to 80.0
    if portfolio_limit and volume * 100 > p.checks.messaging_limit_warn_pct * portfolio_limit:
        return result(
            name,
            phase,
            Status.WARN,
            f"{volume} advisors use {used}% of the {portfolio_limit} messaging limit "
            f"(> {p.checks.messaging_limit_warn_pct}%)",
            out,
        )
    limit_text = "unlimited" if portfolio_limit is None else f"{portfolio_limit}/24 h"
    return result(
        name,
        phase,
        Status.PASS,
        f"{volume} advisors within messaging limit {limit_text}; {len(rows)} numbers, {per_min} msg/min",
        out,
    )


def cloudinary(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Cloudinary available: ``ping`` answers ``ok``; warns when the Admin API hourly quota is nearly spent."""
    name = "check_cloudinary"
    if obs.get("status") != "ok":
        return result(name, phase, Status.FAIL, f"ping answered status {obs.get('status')!r}, not 'ok'", obs)
    left = obs.get("rate_limit_remaining")
    if left is not None and left < p.checks.cloudinary_min_remaining_calls:
        return result(
            name,
            phase,
            Status.WARN,
            f"ping ok, but only {left} Admin API calls left this hour "
            f"(< {p.checks.cloudinary_min_remaining_calls})",
            obs,
        )
    quota = f", {left} Admin API calls left this hour" if left is not None else ""
    return result(name, phase, Status.PASS, f"ping ok in {obs.get('ping_ms')} ms{quota}", obs)


# --- 05:30 content_pipeline_status --------------------------------------------------------------------------
def approval_queue(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Approval queue cleared: at most ``approval_queue_max_items`` (0) items of today still pending."""
    name, pending = "check_approval_queue", obs["pending_items"]
    limit = p.checks.approval_queue_max_items
    segments = sorted({i["segment"] for i in pending if i.get("segment") is not None})
    out = {**obs, "pending": len(pending), "segments_affected": segments}
    if len(pending) > limit:
        ids = ", ".join(i["content_id"] for i in pending[:5])
        return result(
            name, phase, Status.FAIL, f"{len(pending)} items pending approval (should be {limit}): {ids}", out
        )
    total = sum(obs.get("by_state", {}).values())
    return result(name, phase, Status.PASS, f"queue cleared: {len(pending)} pending of {total} items", out)


def public_id(asset_url: str) -> str | None:
    """Cloudinary public id of a delivery URL (``.../upload/v123/daily/x.png`` -> ``daily/x``)."""
    _, sep, rest = asset_url.partition("/upload/")
    if not sep:
        return None
    parts = rest.split("/")
    if parts and parts[0][:1] == "v" and parts[0][1:].isdigit():
        parts = parts[1:]
    path = "/".join(parts)
    return path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path


def content_rendered(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Today's content pre-rendered: every item rendered, with an asset URL whose image exists on Cloudinary.

    ``obs``: ``items`` (content_id, segment, rendered, asset_url) and ``assets`` (public ids on Cloudinary, or
    None when the listing was not needed).
    """
    name, items = "check_content_rendered", obs["items"]
    assets = set(obs.get("assets") or [])
    problems, segments = [], set()
    for item in items:
        problem = None
        if not item["rendered"]:
            problem = "not rendered"
        elif not item.get("asset_url"):
            problem = "no asset URL"
        elif public_id(item["asset_url"]) not in assets:
            problem = f"asset {public_id(item['asset_url'])} missing on Cloudinary"
        if problem:
            problems.append(f"{item['content_id']}: {problem}")
            segments.add(item["segment"])
    out = {
        "items": len(items),
        "assets": len(assets),
        "problems": problems,
        "segments_affected": sorted(segments),
    }
    if not items:
        return result(name, phase, Status.FAIL, "no content items for today", out)
    return verdict(name, phase, problems, f"{len(items)} items rendered, every asset on Cloudinary", out)


def preferences_loaded(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Advisor delivery preferences loaded: today's snapshot has a row for every active advisor."""
    name = "check_preferences_loaded"
    if not obs["active"]:
        return result(name, phase, Status.FAIL, "no active advisors", obs)
    if obs["missing"]:
        sample = ", ".join(obs.get("missing_sample") or [])
        return result(
            name,
            phase,
            Status.FAIL,
            f"{obs['missing']} of {obs['active']} active advisors have no preferences for today: {sample}",
            obs,
        )
    return result(name, phase, Status.PASS, f"snapshot covers all {obs['active']} active advisors", obs)
