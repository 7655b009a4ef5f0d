"""Primary delivery metrics "as of" a tick, from recorded send attempts (pure).

As-of semantics make live and replay one code path: at tick ``t`` only attempts made by ``t`` count, and an
attempt's receipt counts only if it arrived by ``t`` (``status_at <= t``), else it is still ``sent``.
Definitions (ARCHITECTURE §3): success rate = delivered or read ÷ attempts whose outcome is known;
error rate = failed ÷ attempts; processing rate = attempts in the trailing minute.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from delivery_window import window
from delivery_window.protocol import Protocol
from delivery_window.records import Attempt

DELIVERED = frozenset({"delivered", "read"})
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class TickMetrics:
    """One ``metric_ticks`` row: the four primary metrics for one scope at one tick."""

    tick_at: datetime
    scope: str
    attempts: int
    resolved: int
    delivered: int
    failed: int
    success_rate_pct: float | None
    error_rate_pct: float | None
    rate_per_min: int
    p95_latency_ms: int | None


def status_as_of(a: Attempt, t: datetime) -> str:
    """The attempt's receipt status as known at ``t``."""
    if a.status == "sent" or a.status_at is None or a.status_at > t:
        return "sent"
    return a.status


def p95(values: Sequence[int]) -> int | None:
    """Nearest-rank 95th percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def pct(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, rounded to 3 places; None when nothing to divide."""
    return round(100.0 * part / whole, 3) if whole else None


def compute(attempts: Iterable[Attempt], t: datetime, scope: str = "overall") -> TickMetrics:
    """The four primary metrics of ``attempts`` as of ``t`` (attempts after ``t`` are ignored)."""
    n = resolved = delivered = failed = recent = 0
    latencies: list[int] = []
    for a in attempts:
        if a.attempted_at > t:
            continue
        n += 1
        if a.attempted_at > t - MINUTE:
            recent += 1
        if a.api_latency_ms is not None:
            latencies.append(a.api_latency_ms)
        s = status_as_of(a, t)
        if s in DELIVERED:
            delivered += 1
            resolved += 1
        elif s == "failed":
            failed += 1
            resolved += 1
    return TickMetrics(
        tick_at=t,
        scope=scope,
        attempts=n,
        resolved=resolved,
        delivered=delivered,
        failed=failed,
        success_rate_pct=pct(delivered, resolved),
        error_rate_pct=pct(failed, n),
        rate_per_min=recent,
        p95_latency_ms=p95(latencies),
    )


def scopes_of(a: Attempt) -> tuple[str, ...]:
    """The scopes an attempt counts in: overall, its segment and its sender number."""
    return ("overall", f"segment:{a.segment}", f"number:{a.phone_number_id}")


def compute_all_scopes(attempts: Sequence[Attempt], t: datetime) -> list[TickMetrics]:
    """Metrics at ``t`` for every scope present in ``attempts`` (overall first)."""
    by_scope: dict[str, list[Attempt]] = {"overall": []}
    for a in attempts:
        for s in scopes_of(a):
            by_scope.setdefault(s, []).append(a)
    order = sorted(by_scope, key=lambda s: (s != "overall", s))
    return [compute(by_scope[s], t, s) for s in order]


def tick_times(day: date, protocol: Protocol) -> list[datetime]:
    """Tick instants from delivery start (exclusive) to delivery end plus grace (inclusive)."""
    start = window.at(day, "delivery_start")
    end = window.at(day, "delivery_end") + timedelta(seconds=protocol.monitor.grace_seconds)
    step = timedelta(seconds=protocol.monitor.tick_seconds)
    ticks, t = [], start + step
    while t <= end:
        ticks.append(t)
        t += step
    return ticks


def window_close(day: date, protocol: Protocol) -> datetime:
    """When the monitor stops: delivery end plus the grace period for late receipts."""
    return window.at(day, "delivery_end") + timedelta(seconds=protocol.monitor.grace_seconds)
