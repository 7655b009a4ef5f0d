"""Pure judgements of the 05:45 final systems check: WhatsApp integration, delivery pipeline, escalation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from delivery_window.checks.judge import result, verdict
from delivery_window.protocol import Protocol
from delivery_window.records import CheckResult, Status


# --- whatsapp_integration -----------------------------------------------------------------------------------
def number_shards(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Phone-number sharding healthy: every sender number (shard) is CONNECTED, GREEN and able to send
    (health_status AVAILABLE), and the traffic plan covers every active advisor on known numbers."""
    name, c = "check_number_shards", p.checks
    plan = obs["plan"]
    shards, unhealthy = [], []
    for n in obs["numbers"]:
        can_send = (n.get("health_status") or {}).get("can_send_message")
        reasons = []
        if n.get("status") not in c.healthy_number_statuses:
            reasons.append(str(n.get("status")))
        if n.get("quality_rating") not in c.healthy_quality_ratings:
            reasons.append(f"quality {n.get('quality_rating')}")
        if can_send != "AVAILABLE":
            reasons.append(f"can_send_message {can_send}")
        shards.append(
            {
                "id": n.get("id"),
                "status": n.get("status"),
                "quality_rating": n.get("quality_rating"),
                "can_send_message": can_send,
                "healthy": not reasons,
            }
        )
        if reasons:
            unhealthy.append((n.get("id"), ", ".join(reasons)))
    known = {n.get("id") for n in obs["numbers"]}
    planned = {r["phone_number_id"]: r["advisors"] for r in plan.get("numbers") or []}
    unknown = sorted(pid for pid, k in planned.items() if k and pid not in known)
    out = {
        "shards": shards,
        "unhealthy_ids": [i for i, _ in unhealthy],
        "advisors": obs["advisors"],
        "advisors_planned": plan.get("advisors_planned"),
        "planned": planned,
        "unknown_planned": unknown,
    }
    if not shards:
        return result(name, phase, Status.FAIL, "the WABA lists no sender numbers", out)
    problems = [f"{i}: {why}" for i, why in unhealthy]
    if plan.get("advisors_planned") != obs["advisors"]:
        problems.append(
            f"traffic plan covers {plan.get('advisors_planned')} of {obs['advisors']} active advisors"
        )
    if unknown:
        problems.append(f"traffic planned on numbers not on the WABA: {', '.join(unknown)}")
    return verdict(
        name,
        phase,
        problems,
        f"{len(shards)} shards CONNECTED, GREEN and AVAILABLE; plan covers {obs['advisors']} advisors",
        out,
    )


def delivery_queue(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Delivery queue processing ready: the queue reports ready with enough workers; a backlog left over
    before 06:00 is a warning."""
    name, need = "check_delivery_queue", p.checks.delivery_queue_min_workers
    if not obs.get("ready"):
        return result(name, phase, Status.FAIL, "delivery queue reports not ready", obs)
    if (obs.get("workers") or 0) < need:
        return result(name, phase, Status.FAIL, f"{obs.get('workers')} workers < {need}", obs)
    if obs.get("depth"):
        return result(
            name, phase, Status.WARN, f"ready, but {obs['depth']} messages already queued before 06:00", obs
        )
    return result(name, phase, Status.PASS, f"ready, {obs['workers']} workers, queue empty", obs)


def webhook_endpoints(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Webhook endpoints responding: the receipt endpoint reports ok and its lag is within the limit."""
    name, limit = "check_webhook_endpoints", p.checks.webhook_lag_max_seconds
    if obs.get("status") != "ok":
        return result(
            name, phase, Status.FAIL, f"receipt webhook endpoint reports {obs.get('status')!r}", obs
        )
    lag = obs.get("lag_seconds")
    if lag is None or lag > limit:
        return result(name, phase, Status.FAIL, f"receipt lag {lag} s > {limit} s", obs)
    return result(name, phase, Status.PASS, f"responding, receipt lag {lag} s (<= {limit} s)", obs)


# --- delivery_pipeline --------------------------------------------------------------------------------------
def advisor_segmentation(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Advisor segmentation loaded: active advisors fall in exactly ``advisor_segments`` (4) non-empty groups
    numbered 1..N."""
    name, want = "check_advisor_segmentation", p.checks.advisor_segments
    counts = {int(k): int(v) for k, v in obs["segments"].items()}
    out = {"segments": {str(k): v for k, v in sorted(counts.items())}}
    expected = set(range(1, want + 1))
    if set(counts) != expected or not all(counts.values()):
        return result(
            name,
            phase,
            Status.FAIL,
            f"{len([v for v in counts.values() if v])} non-empty groups {sorted(counts)}, expected exactly {want} (1..{want})",
            out,
        )
    return result(
        name,
        phase,
        Status.PASS,
        f"{want} groups: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())),
        out,
    )


def jitter_windows(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Jitter windows calculated: today's plan was computed, and every segment has a send window inside
    06:00-06:05 (start before end) with a positive jitter."""
    name, want = "check_jitter_windows", p.checks.advisor_segments
    plan = obs["plan"]
    start, end = datetime.fromisoformat(obs["window_start"]), datetime.fromisoformat(obs["window_end"])
    by_segment = {s["segment"]: s for s in plan.get("segments") or []}
    problems = []
    if not plan.get("computed_at"):
        problems.append("plan not computed for today")
    for segment in range(1, want + 1):
        s = by_segment.get(segment)
        if s is None:
            problems.append(f"segment {segment}: no window")
            continue
        try:
            a, b = datetime.fromisoformat(s["window_start"]), datetime.fromisoformat(s["window_end"])
        except (KeyError, TypeError, ValueError):
            problems.append(f"segment {segment}: unreadable window")
            continue
        if not (start <= a < b <= end):
            problems.append(
                f"segment {segment}: window {s['window_start']}-{s['window_end']} outside {obs['window_start']}-{obs['window_end']}"
            )
        if not s.get("jitter_ms") or s["jitter_ms"] <= 0:
            problems.append(f"segment {segment}: no jitter")
    out = {
        "computed_at": plan.get("computed_at"),
        "segments": list(by_segment.values()),
        "problems": problems,
    }
    return verdict(name, phase, problems, f"{want} segment windows inside the window, jitter set", out)


def retry_logic(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Retry logic configured: at least ``retry_min_attempts`` attempts with a backoff, Meta's throughput and
    unavailability codes retried, and no terminal / policy / template / account code retried."""
    from delivery_window.checks.whatsapp_limits import MUST_RETRY, NEVER_RETRY

    name = "check_retry_logic"
    retry_on = {int(c) for c in obs.get("retry_on") or []}
    backoff = obs.get("backoff_seconds") or {}
    problems = []
    if (obs.get("max_attempts") or 0) < p.checks.retry_min_attempts:
        problems.append(f"max_attempts {obs.get('max_attempts')} < {p.checks.retry_min_attempts}")
    if not backoff or not (backoff.get("max") or 0) > 0:
        problems.append("no backoff configured")
    if missing := sorted(MUST_RETRY - retry_on):
        problems.append(f"not retried: {', '.join(map(str, missing))}")
    if wrong := sorted(retry_on & NEVER_RETRY):
        problems.append(f"retried but must never be: {', '.join(map(str, wrong))}")
    out = {**obs, "problems": problems}
    return verdict(
        name,
        phase,
        problems,
        f"{obs['max_attempts']} attempts, backoff {backoff.get('min')}-{backoff.get('max')} s, {len(retry_on)} codes retried",
        out,
    )


def fallback_armed(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Fallback mechanisms armed: the delivery service has fallback content armed for every segment."""
    name, want = "check_fallback_armed", set(range(1, p.checks.advisor_segments + 1))
    armed = set(obs.get("armed_segments") or [])
    out = {**obs, "unarmed_segments": sorted(want - armed)}
    if want - armed:
        return result(
            name, phase, Status.FAIL, f"fallback not armed for segments {sorted(want - armed)}", out
        )
    active = obs.get("active_segments") or []
    extra = f"; already active for {active}" if active else ""
    return result(name, phase, Status.PASS, f"fallback armed for all {len(want)} segments{extra}", out)


# --- escalation_readiness -----------------------------------------------------------------------------------
def _covers(entry: dict[str, Any], since: datetime, until: datetime) -> bool:
    """An on-call entry covers [since, until]; null start/end mean "always" (a user on the policy)."""
    start = datetime.fromisoformat(entry["start"]) if entry.get("start") else None
    end = datetime.fromisoformat(entry["end"]) if entry.get("end") else None
    return (start is None or start <= since) and (end is None or end >= until)


def _level(obs: dict[str, Any], level: int) -> list[dict[str, Any]]:
    since, until = datetime.fromisoformat(obs["since"]), datetime.fromisoformat(obs["until"])
    return [o for o in obs["oncalls"] if o.get("escalation_level") == level and _covers(o, since, until)]


def _who(entries: list[dict[str, Any]]) -> str:
    return ", ".join(
        (e.get("user") or {}).get("summary") or (e.get("user") or {}).get("id", "?") for e in entries
    )


def oncall_primary(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """On-call engineer confirmed: someone is on call at escalation level 1 for the whole window."""
    name, found = "check_oncall_primary", _level(obs, 1)
    out = {
        "since": obs["since"],
        "until": obs["until"],
        "level_1": [(e.get("user") or {}).get("id") for e in found],
    }
    if not found:
        return result(
            name,
            phase,
            Status.FAIL,
            f"nobody on call at level 1 for the whole window {obs['since']} - {obs['until']}",
            out,
        )
    return result(name, phase, Status.PASS, f"primary on call for the whole window: {_who(found)}", out)


def oncall_backup(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Backup engineer on standby: someone else than the primary is on call at level 2 for the whole window."""
    name = "check_oncall_backup"
    primary = {(e.get("user") or {}).get("id") for e in _level(obs, 1)}
    backup = [e for e in _level(obs, 2) if (e.get("user") or {}).get("id") not in primary]
    out = {
        "since": obs["since"],
        "until": obs["until"],
        "level_2": [(e.get("user") or {}).get("id") for e in backup],
    }
    if not backup:
        return result(
            name,
            phase,
            Status.FAIL,
            "no backup (level 2, other than the primary) on call for the whole window",
            out,
        )
    return result(name, phase, Status.PASS, f"backup on standby: {_who(backup)}", out)


def _digits(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def escalation_contacts(obs: dict[str, Any], p: Protocol, phase: str) -> CheckResult:
    """Management escalation contacts verified: every level above the backup has someone reachable by phone
    in PagerDuty, and where the protocol gives that role's number (emergency_contacts), PagerDuty has it."""
    name, problems, verified = "check_escalation_contacts", [], []
    methods: dict[str, list[dict[str, Any]]] = obs["contact_methods"]
    for lv in p.escalation_levels.values():
        if lv.level <= 2:
            continue
        entries = _level(obs, lv.level)
        if not entries:
            problems.append(f"level {lv.level} ({lv.role}): nobody on the escalation policy")
            continue
        phones = {
            _digits(m.get("address"))
            for e in entries
            for m in methods.get((e.get("user") or {}).get("id"), [])
            if m.get("type") in ("phone_contact_method", "sms_contact_method")
        }
        want = _digits(p.roles[lv.role].channels.phone)
        if not phones:
            problems.append(f"level {lv.level} ({lv.role}): no phone contact method")
        elif want and not any(want.endswith(ph) or ph.endswith(want) for ph in phones if ph):
            problems.append(
                f"level {lv.level} ({lv.role}): PagerDuty phone {sorted(phones)} is not the protocol's {p.roles[lv.role].channels.phone}"
            )
        else:
            verified.append(f"L{lv.level} {lv.role} {_who(entries)}")
    out = {"verified": verified, "problems": problems}
    return verdict(name, phase, problems, "contacts verified: " + "; ".join(verified), out)
