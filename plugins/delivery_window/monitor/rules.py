"""Alert rules of the delivery window, evaluated as of a tick (pure; thresholds from protocol.yaml).

Rule names are the public ones of ARCHITECTURE §3; severity, paging and runbook of each rule live in
``protocol.yaml`` under ``alert_rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from delivery_window import window
from delivery_window.monitor.metrics import DELIVERED, MINUTE, TickMetrics, pct, status_as_of
from delivery_window.protocol import Protocol
from delivery_window.records import Attempt, Firing
from delivery_window.whatsapp_errors import UNAVAILABLE


def dedup_key(day: date, rule: str, scope: str) -> str:
    """The PagerDuty dedup key of an alert (ARCHITECTURE §6): stable across ticks, retries and replays."""
    return f"delivery_window:{day.isoformat()}:{rule}:{scope}"


def _outcomes(
    attempts: Sequence[Attempt], t: datetime, since: datetime, until: datetime | None = None
) -> tuple[int, int, int, set[int]]:
    """(attempts, resolved, failed, failure codes) for attempts made in (since, until], as known at ``t``."""
    n = resolved = failed = 0
    codes: set[int] = set()
    until = until or t
    for a in attempts:
        if since < a.attempted_at <= until:
            n += 1
            s = status_as_of(a, t)
            if s in DELIVERED or s == "failed":
                resolved += 1
            if s == "failed":
                failed += 1
                if a.error_code is not None:
                    codes.add(a.error_code)
    return n, resolved, failed, codes


def evaluate(
    overall: TickMetrics,
    attempts: Sequence[Attempt],
    t: datetime,
    day: date,
    advisors_targeted: int,
    protocol: Protocol,
) -> list[Firing]:
    """Every rule that fires at tick ``t``, given the overall metrics and the attempts so far."""
    pm, at_, s1 = protocol.primary_metrics, protocol.alert_thresholds, protocol.severity_1
    min_n = protocol.monitor.min_sample_attempts
    found: list[tuple[str, str, dict]] = []

    def fire(rule: str, summary: str, **details) -> None:
        found.append((rule, summary, details))

    if overall.resolved >= min_n and overall.success_rate_pct < pm.delivery_success_rate_min_pct:
        fire(
            "success_rate_below_98",
            f"delivery success {overall.success_rate_pct}% < {pm.delivery_success_rate_min_pct}%",
            success_rate_pct=overall.success_rate_pct,
        )
    if overall.attempts >= min_n and overall.error_rate_pct > pm.error_rate_max_pct:
        fire(
            "error_rate_above_2pct",
            f"error rate {overall.error_rate_pct}% > {pm.error_rate_max_pct}%",
            error_rate_pct=overall.error_rate_pct,
        )
    if overall.attempts >= min_n and overall.p95_latency_ms > pm.api_latency_p95_max_ms:
        fire(
            "api_latency_p95_above_2s",
            f"WhatsApp API p95 {overall.p95_latency_ms} ms > {pm.api_latency_p95_max_ms} ms",
            p95_latency_ms=overall.p95_latency_ms,
        )

    # A low rate matters only while there is work left, inside the window, after its first full minute.
    start, end = window.at(day, "delivery_start"), window.at(day, "delivery_end")
    advisors_attempted = len({a.advisor_id for a in attempts if a.attempted_at <= t})
    if (
        start + MINUTE <= t <= end
        and advisors_attempted < advisors_targeted
        and overall.rate_per_min < pm.processing_rate_target_per_min
    ):
        fire(
            "processing_rate_below_target",
            f"{overall.rate_per_min} msg/min < target {pm.processing_rate_target_per_min}",
            rate_per_min=overall.rate_per_min,
            advisors_remaining=advisors_targeted - advisors_attempted,
        )

    span = timedelta(minutes=at_.failure_rate_window_minutes)
    n, resolved, failed, _ = _outcomes(attempts, t, t - span)
    if resolved >= min_n and pct(failed, resolved) > at_.failure_rate_max_pct:
        fire(
            "failure_rate_2m",
            f"{pct(failed, resolved)}% of deliveries failed in the last {at_.failure_rate_window_minutes} min",
            failure_rate_pct=pct(failed, resolved),
            failed=failed,
            resolved=resolved,
        )

    # The trailing N one-minute buckets, each judged on the receipts known now.
    minutes = [
        _outcomes(attempts, t, t - (k + 1) * MINUTE, t - k * MINUTE)
        for k in range(s1.success_floor_consecutive_minutes)
    ]
    rates = [pct(r - f, r) if r >= min_n else None for _, r, f, _ in minutes]
    if all(r is not None and r < s1.success_rate_floor_pct for r in rates):
        fire(
            "success_below_95_2m",
            f"success below {s1.success_rate_floor_pct}% for {len(rates)} consecutive minutes: {rates}",
            success_rate_pct_by_minute=rates,
        )

    n, resolved, failed, codes = _outcomes(attempts, t, t - MINUTE)
    if resolved >= min_n and failed == resolved and codes and codes <= UNAVAILABLE:
        fire(
            "whatsapp_api_unavailable",
            f"every WhatsApp send in the last minute failed as unavailable ({failed}/{resolved}, codes {sorted(codes)})",
            error_codes=sorted(codes),
        )

    return [
        Firing(
            rule=rule,
            scope="overall",
            severity=protocol.alert_rules[rule].level,
            at=t,
            summary=summary,
            details=details,
        )
        for rule, summary, details in found
    ]
