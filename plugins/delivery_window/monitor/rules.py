"""Alert rules of the delivery window, evaluated as of a tick (pure; thresholds from protocol.yaml).

Rule names are the public ones of ARCHITECTURE §3; severity, paging and runbook of each rule live in
``protocol.yaml`` under ``alert_rules``. Every rule reads a ``Snapshot`` (what the window looked like at the
tick, from the incremental ``WindowState`` or the whole-list ``naive_snapshot``) plus a ``RuleContext`` (the
facts that do not come from the attempts: advisors targeted, the latency baseline, the monitor's own database
reads, template status changes).

Boundaries: a rule fires only when its figure is strictly beyond the threshold, compared exactly in integers
("> 2 %" means failed * 100 > 2 * resolved, so exactly 2.0 % never fires); rates judge only when at least
``monitor.min_sample_attempts`` outcomes (or attempts) are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from delivery_window import window
from delivery_window.monitor.metrics import MINUTE, Counts, Snapshot, pct
from delivery_window.protocol import Protocol
from delivery_window.records import Firing
from delivery_window.whatsapp_errors import UNAVAILABLE

# Protocol levels from the most to the least urgent (the incident takes the most urgent of its alerts).
LEVEL_RANK = {
    "severity_1": 6,
    "immediate_page": 5,
    "severity_2": 4,
    "urgent_investigate": 3,
    "primary_metric": 2,
    "warning_monitor": 1,
}


@dataclass(frozen=True)
class TemplateChange:
    """A template whose status at the tick differs from the first status seen in the window."""

    template_name: str
    language: str
    first_status: str
    status: str
    changed_at: datetime


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the attempts."""

    day: date
    advisors_targeted: int
    latency_baseline_ms: float | None = None  # None: not enough earlier days in window_runs
    baseline_days: tuple[date, ...] = ()
    baseline_is_default: bool = False  # issue 14: the protocol.yaml default, too few earlier days
    db_reads: Sequence[tuple[datetime, bool]] = ()  # the monitor's own reads of the database: (at, succeeded)
    template_changes: Sequence[TemplateChange] = ()
    advisor_names: Mapping[int, str] = field(default_factory=dict)  # advisor key -> advisor_id


def latency_baseline(p95s: Sequence[int | None], protocol: Protocol) -> float | None:
    """The baseline p95: median of the earlier days' p95 (None with fewer than the minimum number of days)."""
    values = [v for v in p95s if v is not None]
    if len(values) < protocol.alert_thresholds.latency_baseline_min_days:
        return None
    return float(median(values))


def baseline_with_default(p95s: Sequence[int | None], protocol: Protocol) -> tuple[float, bool]:
    """(baseline p95, is the default): the earlier days' median, or ``latency_baseline_default_ms`` from
    protocol.yaml while fewer than ``latency_baseline_min_days`` earlier days exist (a new install)."""
    found = latency_baseline(p95s, protocol)
    if found is not None:
        return found, False
    return float(protocol.alert_thresholds.latency_baseline_default_ms), True


def baseline_note(days: int, protocol: Protocol) -> str:
    """What the alert and the report say when the baseline is protocol.yaml's default."""
    at_ = protocol.alert_thresholds
    return (
        f"protocol.yaml default baseline {at_.latency_baseline_default_ms} ms: {days} earlier "
        f"day{'s' if days != 1 else ''} of the {at_.latency_baseline_min_days} needed"
    )


def _above(part: int, whole: int, limit_pct: float) -> bool:
    """part / whole > limit % (exact: no rounding of the percentage)."""
    return part * 100 > limit_pct * whole


def _below(part: int, whole: int, limit_pct: float) -> bool:
    """part / whole < limit % (exact)."""
    return part * 100 < limit_pct * whole


def _isolated(scope: Counts, overall: Counts, scope_min_pct: float, rest_max_pct: float, min_n: int) -> bool:
    """A scope fails above its threshold while everything else stays within the protocol's error limit."""
    rest = Counts(
        overall.attempts - scope.attempts, overall.resolved - scope.resolved, overall.failed - scope.failed
    )
    return (
        scope.resolved >= min_n
        and _above(scope.failed, scope.resolved, scope_min_pct)
        and rest.resolved >= min_n
        and not _above(rest.failed, rest.resolved, rest_max_pct)
    )


def evaluate(snap: Snapshot, ctx: RuleContext, protocol: Protocol) -> list[Firing]:
    """Every rule that fires at ``snap.t``, overall rules first, then the per-scope ones in scope order."""
    pm, at_, s1, s2 = (
        protocol.primary_metrics,
        protocol.alert_thresholds,
        protocol.severity_1,
        protocol.severity_2,
    )
    min_n = protocol.monitor.min_sample_attempts
    t, o = snap.t, snap.overall
    found: list[tuple[str, str, str, dict]] = []

    def fire(rule: str, summary: str, scope: str = "overall", **details) -> None:
        found.append((rule, scope, summary, details))

    # -- primary metrics (cumulative since 06:00) ---------------------------------------------------------
    if o.resolved >= min_n and _below(o.delivered, o.resolved, pm.delivery_success_rate_min_pct):
        fire(
            "success_rate_below_98",
            f"delivery success {o.success_rate_pct}% < {pm.delivery_success_rate_min_pct}%",
            success_rate_pct=o.success_rate_pct, delivered=o.delivered, resolved=o.resolved,
        )  # fmt: skip
    if o.attempts >= min_n and _above(o.failed, o.attempts, pm.error_rate_max_pct):
        fire(
            "error_rate_above_2pct",
            f"error rate {o.error_rate_pct}% > {pm.error_rate_max_pct}%",
            error_rate_pct=o.error_rate_pct, failed=o.failed, attempts=o.attempts,
        )  # fmt: skip
    if o.attempts >= min_n and o.p95_latency_ms is not None and o.p95_latency_ms > pm.api_latency_p95_max_ms:
        fire(
            "api_latency_p95_above_2s",
            f"WhatsApp API p95 {o.p95_latency_ms} ms > {pm.api_latency_p95_max_ms} ms",
            p95_latency_ms=o.p95_latency_ms,
        )
    # A low rate matters only while there is work left, inside the window, after its first full minute.
    start, end = window.at(ctx.day, "delivery_start"), window.at(ctx.day, "delivery_end")
    if (
        start + MINUTE <= t <= end
        and snap.advisors_attempted < ctx.advisors_targeted
        and o.rate_per_min < pm.processing_rate_target_per_min
    ):
        fire(
            "processing_rate_below_target",
            f"{o.rate_per_min} msg/min < target {pm.processing_rate_target_per_min}",
            rate_per_min=o.rate_per_min, advisors_remaining=ctx.advisors_targeted - snap.advisors_attempted,
        )  # fmt: skip

    # -- alert thresholds during delivery (sliding windows over attempted_at) -------------------------------
    # "in any 2-minute window": the windows ending at every whole second since the previous tick
    over = [
        (k, c)
        for k, c in enumerate(snap.failure_windows or [snap.failure_window])
        if c.resolved >= min_n and _above(c.failed, c.resolved, at_.failure_rate_max_pct)
    ]
    if over:
        # the worst of them (the latest on a tie)
        k, worst = max(over, key=lambda kc: (kc[1].failed / kc[1].resolved, -kc[0]))
        span = f"{at_.failure_rate_window_minutes} min"
        when = f"the last {span}" if k == 0 else f"the {span} ending {k} s before this tick"
        fire(
            "failure_rate_2m",
            f"{pct(worst.failed, worst.resolved)}% of deliveries failed in {when}",
            failure_rate_pct=pct(worst.failed, worst.resolved), failed=worst.failed, resolved=worst.resolved,
            window_end=(t - timedelta(seconds=k)).isoformat(),
        )  # fmt: skip
    if ctx.latency_baseline_ms is not None and o.attempts >= min_n and o.p95_latency_ms is not None:
        limit = ctx.latency_baseline_ms * (100 + at_.latency_increase_max_pct) / 100
        if o.p95_latency_ms > limit:
            note = f" ({baseline_note(len(ctx.baseline_days), protocol)})" if ctx.baseline_is_default else ""
            fire(
                "latency_vs_baseline",
                f"p95 {o.p95_latency_ms} ms is more than {at_.latency_increase_max_pct:g}% over the baseline "
                f"{ctx.latency_baseline_ms:g} ms{note}",
                p95_latency_ms=o.p95_latency_ms, baseline_ms=ctx.latency_baseline_ms,
                increase_pct=round(100 * (o.p95_latency_ms / ctx.latency_baseline_ms - 1), 1),
                baseline_days=[d.isoformat() for d in ctx.baseline_days],
                baseline_source="protocol_default" if ctx.baseline_is_default else "earlier_days",
            )  # fmt: skip

    # -- severity 1 ---------------------------------------------------------------------------------------
    spans = snap.minutes[: s1.success_floor_consecutive_minutes]
    if len(spans) == s1.success_floor_consecutive_minutes and all(
        m.resolved >= min_n and _below(m.delivered, m.resolved, s1.success_rate_floor_pct) for m in spans
    ):
        rates = [pct(m.delivered, m.resolved) for m in spans]
        fire(
            "success_below_95_2m",
            f"success below {s1.success_rate_floor_pct}% for {len(spans)} consecutive minutes: {rates}",
            success_rate_pct_by_minute=rates,
        )
    last = snap.minutes[0]
    codes = set(snap.last_minute_codes)
    if last.resolved >= min_n and last.failed == last.resolved and codes and codes <= UNAVAILABLE:
        fire(
            "whatsapp_api_unavailable",
            f"every WhatsApp send in the last minute failed as unavailable "
            f"({last.failed}/{last.resolved}, codes {sorted(codes)})",
            error_codes=sorted(codes),
        )
    found += [(f.rule, f.scope, f.summary, f.details) for f in evaluate_db(ctx, t, protocol)]

    # -- urgent: one advisor failing again and again ---------------------------------------------------------
    for key, n in sorted(
        snap.advisor_failures.items(), key=lambda kv: ctx.advisor_names.get(kv[0], str(kv[0]))
    ):
        if n > at_.advisor_failures_max:
            name = ctx.advisor_names.get(key, f"key{key}")
            fire(
                "advisor_failures_1m",
                f"advisor {name} had {n} failures in {at_.advisor_failures_window_minutes} min "
                f"(> {at_.advisor_failures_max})",
                scope=f"advisor:{name}", failures=n,
            )  # fmt: skip

    # -- severity 2: one shard, one tier, one template ---------------------------------------------------------
    fw = snap.failure_window  # the scope windows end at the tick: so does the traffic they are compared with
    for scope, c in sorted(snap.scope_windows.items()):
        if scope.startswith("number:"):
            rule, limit = "shard_failing", s2.shard_failure_rate_min_pct
        elif scope.startswith("tier:"):
            rule, limit = "tier_delivery_issue", s2.tier_failure_rate_min_pct
        else:
            continue
        if _isolated(c, fw, limit, at_.failure_rate_max_pct, min_n):
            fire(
                rule,
                f"{scope}: {pct(c.failed, c.resolved)}% failed in the last {at_.failure_rate_window_minutes} min "
                f"while the rest stayed within {at_.failure_rate_max_pct}%",
                scope=scope, failure_rate_pct=pct(c.failed, c.resolved), failed=c.failed, resolved=c.resolved,
                rest_failure_rate_pct=pct(fw.failed - c.failed, fw.resolved - c.resolved),
            )  # fmt: skip
    for ch in ctx.template_changes:
        if ch.changed_at <= t:
            fire(
                "template_status_change",
                f"template {ch.template_name} ({ch.language}) went {ch.first_status} -> {ch.status}",
                scope=f"template:{ch.template_name}:{ch.language}", first_status=ch.first_status,
                status=ch.status, changed_at=ch.changed_at.isoformat(),
            )  # fmt: skip

    return [
        Firing(
            rule=rule,
            scope=scope,
            severity=protocol.alert_rules[rule].level,
            at=t,
            summary=summary,
            details=details,
        )
        for rule, scope, summary, details in found
    ]


def evaluate_db(ctx: RuleContext, t: datetime, protocol: Protocol) -> list[Firing]:
    """Sev1 ``db_connection_failures``: more than the protocol's share of the monitor's own database reads in
    the trailing window failed (judged from ``db_connection_min_reads`` reads on)."""
    s1 = protocol.severity_1
    since = t - timedelta(minutes=s1.db_connection_failure_window_minutes)
    reads = [ok for at, ok in ctx.db_reads if since < at <= t]
    failed = reads.count(False)
    if len(reads) < s1.db_connection_min_reads or not _above(
        failed, len(reads), s1.db_connection_failure_max_pct
    ):
        return []
    return [
        Firing(
            rule="db_connection_failures",
            scope="overall",
            severity=protocol.alert_rules["db_connection_failures"].level,
            at=t,
            summary=f"{failed} of the monitor's last {len(reads)} database reads failed "
            f"(> {s1.db_connection_failure_max_pct:g}%)",
            details={"failed_reads": failed, "reads": len(reads)},
        )
    ]


def template_changes(observations: Sequence[Mapping], t: datetime) -> list[TemplateChange]:
    """Templates whose latest status seen by ``t`` differs from the first status seen (rows ordered by time)."""
    first: dict[tuple[str, str], str] = {}
    latest: dict[tuple[str, str], tuple[str, datetime]] = {}
    for o in observations:
        if o["observed_at"] > t:
            continue
        k = (o["template_name"], o["language"])
        first.setdefault(k, o["status"])
        latest[k] = (o["status"], o["observed_at"])
    return [
        TemplateChange(name, lang, first[(name, lang)], status, at)
        for (name, lang), (status, at) in sorted(latest.items())
        if status != first[(name, lang)]
    ]
