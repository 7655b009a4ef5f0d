"""Primary delivery metrics "as of" a tick, from recorded send attempts (pure).

As-of semantics make live and replay one code path: at tick ``t`` only attempts made by ``t`` count, and an
attempt's receipt counts only if it arrived by ``t`` (``status_at <= t``), else it is still ``sent``.
Definitions (ARCHITECTURE §3): success rate = delivered or read ÷ attempts whose outcome is known;
error rate = failed ÷ attempts; processing rate = attempts in the trailing minute.

This module is the plain, whole-list definition of every figure (the checkpoint uses it, and ``naive_snapshot``
is the reference the incremental ``monitor.state.WindowState`` is tested and benchmarked against).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from delivery_window import window
from delivery_window.protocol import Protocol
from delivery_window.records import Attempt

DELIVERED = frozenset({"delivered", "read"})
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
LATENCY_MAX_MS = (1 << 16) - 1  # the latency sketch's last bin (65.5 s); slower calls count at this value


def stable_key(text: str) -> int:
    """A stable signed 64-bit key of an id (pure callers; the database path uses Postgres hashtextextended)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


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


@dataclass(frozen=True)
class Counts:
    """Attempts made in a time span and their outcomes as known at the tick."""

    attempts: int
    resolved: int
    failed: int

    @property
    def delivered(self) -> int:
        return self.resolved - self.failed


@dataclass(frozen=True)
class Snapshot:
    """Everything the alert rules look at, as of one tick (``WindowState.snapshot`` or ``naive_snapshot``)."""

    t: datetime
    metrics: list[TickMetrics]  # one row per scope with attempts, overall first
    advisors_attempted: int  # distinct advisors with an attempt made by t
    advisors_delivered: int  # distinct advisors with a delivered/read attempt known by t
    failure_window: Counts  # overall, attempts of the trailing alert_thresholds.failure_rate_window_minutes
    minutes: list[Counts]  # overall, trailing one-minute spans: [0] = (t-1m, t], [1] = (t-2m, t-1m], ...
    last_minute_codes: dict[int, int]  # error code -> failed attempts made in (t-1m, t] (NULL codes left out)
    advisor_failures: dict[int, int]  # advisor key -> failures in the advisor window (counts >= a floor)
    scope_windows: dict[str, Counts]  # tier:/number: scopes over the failure-rate window
    # overall, the failure-rate window ending at each whole second since the previous tick: [k] ends at t - k s
    # ([0] is failure_window), outcomes as known at t; "in any 2-minute window", not only those ending at a tick
    failure_windows: list[Counts] = field(default_factory=list)

    @property
    def overall(self) -> TickMetrics:
        return self.metrics[0]

    def scope(self, name: str) -> TickMetrics | None:
        """The ``TickMetrics`` of a scope (None when it had no attempts)."""
        return next((m for m in self.metrics if m.scope == name), None)


def status_as_of(a: Attempt, t: datetime) -> str:
    """The attempt's receipt status as known at ``t``."""
    if a.status == "sent" or a.status_at is None or a.status_at > t:
        return "sent"
    return a.status


def percentile(values: Sequence[int], p: int = 95) -> int | None:
    """Nearest-rank ``p``-th percentile (None for no values); the rank is ceil(p/100 * n) in integers."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, (p * len(ordered) + 99) // 100 - 1)]


def p95(values: Sequence[int]) -> int | None:
    """Nearest-rank 95th percentile (None for no values)."""
    return percentile(values, 95)


def pct(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, rounded to 3 places; None when nothing to divide."""
    return round(100.0 * part / whole, 3) if whole else None


def compute(
    attempts: Iterable[Attempt], t: datetime, scope: str = "overall", *, latency_max_ms: int | None = None
) -> TickMetrics:
    """The four primary metrics of ``attempts`` as of ``t`` (attempts after ``t`` are ignored).

    ``latency_max_ms`` counts slower calls at that value (as the monitor's latency sketch does).
    """
    n = resolved = delivered = failed = recent = 0
    latencies: list[int] = []
    for a in attempts:
        if a.attempted_at > t:
            continue
        n += 1
        if a.attempted_at > t - MINUTE:
            recent += 1
        if a.api_latency_ms is not None:
            lat = (
                a.api_latency_ms if latency_max_ms is None else min(max(a.api_latency_ms, 0), latency_max_ms)
            )
            latencies.append(lat)
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


def scopes_of(a: Attempt, tiers: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The scopes an attempt counts in: overall, its segment, its advisor's tier (when known), its number."""
    tier = (tiers or {}).get(a.advisor_id)
    tier_scope = (f"tier:{tier}",) if tier is not None else ()
    return ("overall", f"segment:{a.segment}", *tier_scope, f"number:{a.phone_number_id}")


def compute_all_scopes(
    attempts: Sequence[Attempt], t: datetime, tiers: Mapping[str, str] | None = None, **kw
) -> list[TickMetrics]:
    """Metrics at ``t`` for overall and every scope with an attempt made by ``t`` (overall first)."""
    by_scope: dict[str, list[Attempt]] = {"overall": []}
    for a in attempts:
        if a.attempted_at <= t:
            for s in scopes_of(a, tiers):
                by_scope.setdefault(s, []).append(a)
    order = sorted(by_scope, key=lambda s: (s != "overall", s))
    return [compute(by_scope[s], t, s, **kw) for s in order]


def outcomes(
    attempts: Iterable[Attempt], t: datetime, since: datetime, until: datetime | None = None
) -> Counts:
    """(attempts, resolved, failed) of the attempts made in (since, until], outcomes as known at ``t``."""
    n = resolved = failed = 0
    until = until or t
    for a in attempts:
        if since < a.attempted_at <= until:
            n += 1
            s = status_as_of(a, t)
            if s in DELIVERED or s == "failed":
                resolved += 1
            if s == "failed":
                failed += 1
    return Counts(n, resolved, failed)


def naive_snapshot(
    attempts: Sequence[Attempt],
    t: datetime,
    protocol: Protocol,
    tiers: Mapping[str, str] | None = None,
    key: Callable[[str], int] = stable_key,
    advisor_floor: int = 1,
) -> Snapshot:
    """The rule inputs at ``t`` recomputed from the whole list (the reference for ``WindowState.snapshot``)."""
    at_, s1 = protocol.alert_thresholds, protocol.severity_1
    made = [a for a in attempts if a.attempted_at <= t]
    rows = compute_all_scopes(made, t, tiers, latency_max_ms=LATENCY_MAX_MS)
    span = timedelta(minutes=at_.failure_rate_window_minutes)
    scope_windows = {}
    for scope in {s for a in made for s in scopes_of(a, tiers) if s.startswith(("tier:", "number:"))}:
        c = outcomes([a for a in made if scope in scopes_of(a, tiers)], t, t - span)
        if c.attempts or c.resolved:
            scope_windows[scope] = c
    codes: Counter[int] = Counter()
    for a in made:
        if t - MINUTE < a.attempted_at and status_as_of(a, t) == "failed" and a.error_code is not None:
            codes[a.error_code] += 1
    adv_span = timedelta(minutes=at_.advisor_failures_window_minutes)
    per_advisor: Counter[int] = Counter(
        key(a.advisor_id) for a in made if t - adv_span < a.attempted_at and status_as_of(a, t) == "failed"
    )
    return Snapshot(
        t=t,
        metrics=rows,
        advisors_attempted=len({a.advisor_id for a in made}),
        advisors_delivered=len({a.advisor_id for a in made if status_as_of(a, t) in DELIVERED}),
        failure_window=outcomes(made, t, t - span),
        failure_windows=[
            outcomes(made, t, t - span - k * SECOND, t - k * SECOND)
            for k in range(protocol.monitor.tick_seconds)
        ],
        minutes=[
            outcomes(made, t, t - (k + 1) * MINUTE, t - k * MINUTE)
            for k in range(s1.success_floor_consecutive_minutes)
        ],
        last_minute_codes=dict(codes),
        advisor_failures={k: n for k, n in per_advisor.items() if n >= advisor_floor},
        scope_windows=scope_windows,
    )


def tick_times(day: date, protocol: Protocol) -> list[datetime]:
    """Tick instants from delivery start (exclusive) to delivery end plus grace (inclusive)."""
    start = window.at(day, "delivery_start")
    end = window.close(day, protocol)
    step = timedelta(seconds=protocol.monitor.tick_seconds)
    ticks, t = [], start + step
    while t <= end:
        ticks.append(t)
        t += step
    return ticks
