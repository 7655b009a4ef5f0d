"""The 06:05 checkpoint: SLA, advisor groups processed, critical failures (pure).

SLA = advisors with a delivered/read attempt by the measurement time ÷ active advisors targeted. The
measurement time is the monitor's close (06:05 plus the grace period for late receipts), so a replay and
the live run measure the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from delivery_window.monitor.metrics import DELIVERED, compute, pct, status_as_of
from delivery_window.protocol import Protocol
from delivery_window.records import Attempt


def sla_checkpoint(
    day: date,
    attempts: Sequence[Attempt],
    advisors_targeted: int,
    critical_alerts: int,
    as_of: datetime,
    protocol: Protocol,
) -> dict:
    """The ``window_runs`` row for the day (without run_id / mode, which the task adds)."""
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
