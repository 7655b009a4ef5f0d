"""Post-delivery checkpoints (pure): the 06:05 SLA row and the judgement of every checkpoint item.

SLA = advisors with a delivered/read attempt by the measurement time ÷ active advisors targeted. The
measurement time is the monitor's close (06:05 plus the grace period for late receipts), so a replay and
the live run measure the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from delivery_window import window
from delivery_window.monitor.metrics import DELIVERED, compute, pct, status_as_of
from delivery_window.protocol import Protocol
from delivery_window.records import Attempt, CheckResult, Status
from delivery_window.source_contract import split_attempts


def sla_checkpoint(
    day: date,
    attempts: Sequence[Attempt],
    advisors_targeted: int,
    critical_alerts: int,
    as_of: datetime,
    protocol: Protocol,
) -> dict:
    """The ``window_runs`` row for the day (without run_id / mode, which the task adds).

    Measured from the rows that keep the source contract (``source_contract.split_attempts``); the others are
    counted beside it: ``rows_left_out`` and ``source_rows`` (the split's summary, by kind), which the
    ``window_runs`` table does not hold (the task records them as the ``source_contract`` dq_results row).
    """
    split = split_attempts(attempts, *window.day_span(day, protocol))
    attempts = split.valid
    delivered = {a.advisor_id for a in attempts if status_as_of(a, as_of) in DELIVERED}
    overall = compute(attempts, as_of)
    sla = pct(len(delivered), advisors_targeted) or 0.0
    sla_met = sla >= protocol.sla.target_pct
    return {
        "delivery_date": day,
        "advisors_targeted": advisors_targeted,
        "advisors_delivered": len(delivered),
        "sla_pct": sla,
        "sla_target_pct": protocol.sla.target_pct,
        "sla_met": sla_met,
        "attempts": overall.attempts,
        "failed_attempts": overall.failed,
        "error_rate_pct": overall.error_rate_pct or 0.0,
        "p95_latency_ms": overall.p95_latency_ms,
        "peak_rate_per_min": peak_rate_per_min(a.attempted_at for a in attempts),
        "segments_processed": len({a.segment for a in attempts}),
        "segments_expected": protocol.checks.advisor_segments,
        "critical_alerts": critical_alerts,
        "status": "sla_met" if sla_met else "sla_missed",
        "measured_as_of": as_of,
        "rows_left_out": split.rows_left_out,
        "source_rows": split.summary(),
    }


def peak_rate_per_min(times: Iterable[datetime]) -> int:
    """The largest number of attempts in any 60-second sliding window."""
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while (t - ordered[lo]).total_seconds() >= 60:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# ---------------------------------------------------------------------------------------------------------
# Checkpoint items (protocol post_delivery_verification), each a pure judgement → ``check_results``
# ---------------------------------------------------------------------------------------------------------
PHASE_0605 = "post_delivery.checkpoint_0605"
PHASE_0615 = "post_delivery.checkpoint_0615"
PHASE_0630 = "post_delivery.final_report_0630"
# Meta's quality ratings, best first; NA / UNKNOWN rank below every real rating.
_QUALITY_RANK = {"GREEN": 3, "YELLOW": 2, "RED": 1}


def sla_achieved(w: dict[str, Any] | None) -> CheckResult:
    """verify_99%_delivery_sla_achieved: the window_runs verdict."""
    name = "verify_delivery_sla_achieved"
    if not w:
        return CheckResult(name, PHASE_0605, Status.ERROR, "no window_runs row: the SLA was not computed")
    obs = {k: _plain(w[k]) for k in ("sla_pct", "sla_target_pct", "advisors_delivered", "advisors_targeted")}
    left_out = int(w.get("rows_left_out") or 0)
    obs["rows_left_out"] = left_out
    kinds = ", ".join(f"{n} {k}" for k, n in ((w.get("source_rows") or {}).get("by_kind") or {}).items())
    text = (
        f"SLA {float(w['sla_pct']):.3f}% {'>=' if w['sla_met'] else '<'} {float(w['sla_target_pct']):g}% "
        f"({w['advisors_delivered']}/{w['advisors_targeted']} advisors"
        + (f"; {left_out} source rows left out: {kinds}" if left_out else "")
        + ")"
    )
    return CheckResult(name, PHASE_0605, Status.PASS if w["sla_met"] else Status.FAIL, text, obs)


def advisor_groups_processed(w: dict[str, Any] | None) -> CheckResult:
    """confirm_all_advisor_groups_processed: every segment had attempts."""
    name = "confirm_all_advisor_groups_processed"
    if not w:
        return CheckResult(name, PHASE_0605, Status.ERROR, "no window_runs row: segments were not counted")
    done, expected = int(w["segments_processed"]), int(w["segments_expected"])
    obs = {"segments_processed": done, "segments_expected": expected}
    if done < expected:
        return CheckResult(
            name, PHASE_0605, Status.FAIL, f"{done} of {expected} advisor groups processed", obs
        )
    return CheckResult(name, PHASE_0605, Status.PASS, f"all {expected} advisor groups processed", obs)


def zero_critical_failures(critical: Sequence[dict[str, Any]]) -> CheckResult:
    """validate_zero_critical_failures: no severity-1 / immediate-page alert fired in the window."""
    name = "validate_zero_critical_failures"
    fired = sorted({f"{a['rule']}[{a['scope']}]" for a in critical})
    if fired:
        return CheckResult(
            name,
            PHASE_0605,
            Status.FAIL,
            f"{len(fired)} critical alerts: {', '.join(fired)}",
            {"alerts": fired},
        )
    return CheckResult(name, PHASE_0605, Status.PASS, "no critical alert fired", {"alerts": []})


def quality_rating_maintained(
    before: Sequence[dict[str, Any]] | None, now: Sequence[dict[str, Any]], protocol: Protocol
) -> CheckResult:
    """check_whatsapp_quality_rating_maintained: no sender number's rating fell since the 05:45 check.

    A drop fails; a number that was already below "high" at 05:45 and stayed there warns (maintained, not
    high); no 05:45 baseline means judging against "high" alone.
    """
    name = "check_whatsapp_quality_rating_maintained"
    healthy = set(protocol.checks.healthy_quality_ratings)
    was = {n.get("id"): n.get("quality_rating") for n in before or ()}
    obs: dict[str, Any] = {"at_0545": was or None, "now": {n.get("id"): n.get("quality_rating") for n in now}}
    if not now:
        return CheckResult(name, PHASE_0605, Status.ERROR, "the WABA listed no sender numbers", obs)
    dropped, low = [], []
    for n in now:
        nid, rating = n.get("id"), n.get("quality_rating")
        earlier = was.get(nid)
        if earlier is not None and _QUALITY_RANK.get(rating, 0) < _QUALITY_RANK.get(earlier, 0):
            dropped.append(f"{nid} {earlier}→{rating}")
        elif rating not in healthy:
            low.append(f"{nid}={rating}")
    obs.update(dropped=dropped, below_high=low)
    if dropped:
        return CheckResult(name, PHASE_0605, Status.FAIL, f"quality rating fell: {', '.join(dropped)}", obs)
    if low and before is None:
        return CheckResult(
            name, PHASE_0605, Status.FAIL, f"no 05:45 baseline; below high: {', '.join(low)}", obs
        )
    if low:
        return CheckResult(name, PHASE_0605, Status.WARN, f"unchanged but below high: {', '.join(low)}", obs)
    baseline = "" if before is not None else " (no 05:45 baseline recorded)"
    return CheckResult(name, PHASE_0605, Status.PASS, f"{len(now)} numbers still high{baseline}", obs)


def receipt_processing(obs: dict[str, Any], protocol: Protocol) -> CheckResult:
    """confirm_delivery_receipt_webhook_processing: receipt lag p95 and the share of sends with no receipt."""
    name = "confirm_delivery_receipt_webhook_processing"
    pdv = protocol.post_delivery_verification
    sent, missing = int(obs["sent_attempts"]), int(obs["without_receipt"])
    missing_pct = pct(missing, sent) or 0.0
    lag = obs.get("lag_p95_s")
    obs = {**obs, "without_receipt_pct": missing_pct}
    if sent and not obs["receipts"]:
        return CheckResult(
            name, PHASE_0615, Status.FAIL, f"no receipt received for {sent} sent messages", obs
        )
    problems = []
    if lag is not None and lag > pdv.receipt_lag_p95_max_seconds:
        problems.append(f"receipt lag p95 {lag:.0f} s > {pdv.receipt_lag_p95_max_seconds} s")
    if missing_pct > pdv.receipts_missing_max_pct:
        problems.append(f"{missing}/{sent} sent messages ({missing_pct:.2f}%) without a receipt")
    if problems:
        return CheckResult(name, PHASE_0615, Status.FAIL, "; ".join(problems), obs)
    lag_text = f"{lag:.1f} s" if lag is not None else "n/a"
    return CheckResult(
        name,
        PHASE_0615,
        Status.PASS,
        f"receipt lag p95 {lag_text}, {missing_pct:.2f}% without a receipt",
        obs,
    )


def engagement_tracking(obs: dict[str, Any], protocol: Protocol) -> CheckResult:
    """verify_engagement_tracking_operational: read receipts and engagement events are arriving."""
    name = "verify_engagement_tracking_operational"
    minimum = protocol.post_delivery_verification.engagement_min_read_pct
    delivered, reads, events = (
        int(obs["delivered_attempts"]),
        int(obs["read_receipts"]),
        int(obs["engagement_events"]),
    )
    read_pct = pct(reads, delivered) or 0.0
    obs = {**obs, "read_pct": read_pct}
    if delivered == 0:
        return CheckResult(name, PHASE_0615, Status.WARN, "nothing delivered, so no engagement to track", obs)
    if reads == 0 or events == 0:
        return CheckResult(
            name, PHASE_0615, Status.FAIL, f"{reads} read receipts and {events} engagement events", obs
        )
    if read_pct < minimum:
        return CheckResult(
            name, PHASE_0615, Status.FAIL, f"read receipts {read_pct:.2f}% of delivered < {minimum}%", obs
        )
    return CheckResult(
        name, PHASE_0615, Status.PASS, f"{reads} reads ({read_pct:.1f}% of delivered), {events} events", obs
    )


def analytics_reviewed(dq: Sequence[dict[str, Any]], expected_suites: Sequence[str]) -> CheckResult:
    """review_delivery_analytics_summary: every data-quality suite ran and passed."""
    name = "review_delivery_analytics_summary"
    by_suite = {r["suite"]: r for r in dq}
    missing = [s for s in expected_suites if s not in by_suite]
    failed = {
        s: list(by_suite[s]["failed_expectations"])
        for s in expected_suites
        if s in by_suite and not by_suite[s]["success"]
    }
    obs = {"suites": list(expected_suites), "missing": missing, "failed": failed}
    if missing:
        return CheckResult(name, PHASE_0615, Status.ERROR, f"suites not run: {', '.join(missing)}", obs)
    if failed:
        text = "; ".join(f"{s}: {', '.join(e)}" for s, e in failed.items())
        return CheckResult(name, PHASE_0615, Status.FAIL, f"data-quality suites failed: {text}", obs)
    return CheckResult(
        name, PHASE_0615, Status.PASS, f"{len(expected_suites)} data-quality suites passed", obs
    )


def advisor_issues_identified(summary: dict[str, Any]) -> CheckResult:
    """identify_any_advisor_specific_issues: the issues are recorded; any undelivered advisor is a finding."""
    name = "identify_any_advisor_specific_issues"
    obs = {k: summary[k] for k in ("count", "retryable", "by_class")}
    if not summary["count"]:
        return CheckResult(name, PHASE_0615, Status.PASS, "every active advisor got today's content", obs)
    classes = ", ".join(f"{k} {v}" for k, v in summary["by_class"].items())
    return CheckResult(
        name,
        PHASE_0615,
        Status.WARN,
        f"{summary['count']} advisors without content ({summary['retryable']} retryable): {classes}",
        obs,
    )


def final_report_item(
    name: str, ok: bool, message: str, observed: dict[str, Any] | None = None
) -> CheckResult:
    """One 06:30 item (report generated, incidents documented, trends updated, handed off)."""
    return CheckResult(name, PHASE_0630, Status.PASS if ok else Status.FAIL, message, observed or {})


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


# ---------------------------------------------------------------------------------------------------------
# DeadlineAlert callback (runs on the triggerer; must stay importable from the installed package)
# ---------------------------------------------------------------------------------------------------------
def late_day(dag_run: dict[str, Any]) -> date:
    """The delivery date of the run in a deadline context (``DAGRunResponse`` JSON)."""
    from delivery_window.window import delivery_date_for

    conf = dag_run.get("conf") or {}
    ref = dag_run.get("logical_date") or dag_run.get("run_after")
    when = datetime.fromisoformat(str(ref).replace("Z", "+00:00"))
    return delivery_date_for(when, conf.get("delivery_date"))


async def notify_checkpoint_late(context: dict[str, Any] | None = None, **_: Any) -> str:
    """DeadlineAlert callback: post once to the protocol's channel unless the 06:05 checkpoint row exists."""
    import asyncio

    return await asyncio.to_thread(_notify_checkpoint_late, context or {})


def _notify_checkpoint_late(context: dict[str, Any]) -> str:
    from delivery_window import store
    from delivery_window.escalation import announce
    from delivery_window.protocol import get_protocol

    p = get_protocol()
    dag_run = context.get("dag_run") or {}
    day = late_day(dag_run)
    deadline = (context.get("deadline") or {}).get("deadline_time")
    with store.report_db() as conn:
        if store.window_run(conn, day):
            return f"{day}: checkpoint completed, no notice"
        announce.on_checkpoint_late(conn, day, str(dag_run.get("dag_run_id")), deadline, datetime.now(UTC), p)
        conn.commit()
        # the run's own dry_run (its conf) holds here too: a dry run's late notice is recorded, not sent
        result = announce.send_pending(conn, day, dry_run=bool((dag_run.get("conf") or {}).get("dry_run")))
    return f"{day}: checkpoint late, notice sent={result.sent} pending={len(result.failed)}"


def checkpoint_deadline(protocol: Protocol) -> timedelta:
    """DeadlineAlert interval from the run's logical date (05:30 IST): 06:05 plus the allowed delay."""
    t = protocol.times
    minutes = _minutes(t.delivery_end) - _minutes(t.window_open)
    return timedelta(minutes=minutes + protocol.post_delivery_verification.checkpoint_deadline_minutes)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)
