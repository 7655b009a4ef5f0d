"""The Datadog monitors of the protocol's three alert thresholds, and what to do to make Datadog match (pure).

One ``metric alert`` monitor per rule of ``provisioning.datadog_threshold_rules``; its threshold and window are
``alert_thresholds``' (no number lives here), it watches the gauges the window monitor pushes
(``monitor/posts.py``: ``<monitor.datadog_metric_prefix>.<gauge>``, tagged ``service:delivery-window`` and
``scope:overall``), and it is found again by name. The monitors notify nobody (no ``@pagerduty`` handle in the
message): every page of the window goes out through the DAG's escalation engine, the one route out, and a monitor
that paged too would page twice. Body fields: Datadog API v1 ``POST /api/v1/monitor`` (name, type, query,
message, tags, priority, options.thresholds.critical, options.notify_no_data, options.require_full_window).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from delivery_window.protocol import Protocol

NAME_PREFIX = "[delivery-window] "
MANAGED_TAG = "managed_by:delivery-window"
# gauge each rule's monitor watches (monitor/posts.py pushes them every tick)
GAUGE = {
    "failure_rate_2m": "failure_rate_window_pct",
    "advisor_failures_1m": "advisor_failures_max",
    "latency_vs_baseline": "p95_latency_ms",
}
# Datadog monitor priority 1 (highest) .. 5, from the protocol level of the rule
PRIORITY = {
    "immediate_page": 1,
    "severity_1": 1,
    "urgent_investigate": 2,
    "severity_2": 2,
    "warning_monitor": 3,
}


def monitor_name(rule: str) -> str:
    """The monitor's name in Datadog: how provisioning finds it again."""
    return NAME_PREFIX + rule


def _threshold_and_query(rule: str, p: Protocol) -> tuple[float, str, bool]:
    """(critical threshold, monitor query, require_full_window) of one rule, from ``alert_thresholds``."""
    at = p.alert_thresholds
    metric = f"{p.monitor.datadog_metric_prefix}.{GAUGE[rule]}"
    where = "{" + f"{p.checks.datadog_monitor_tag},scope:overall" + "}"
    if rule == "failure_rate_2m":
        # the gauge is the failure rate of the trailing failure_rate_window_minutes: any point above is a breach
        limit = float(at.failure_rate_max_pct)
        return limit, f"max(last_{at.failure_rate_window_minutes}m):max:{metric}{where} > {limit:g}", False
    if rule == "advisor_failures_1m":
        limit = float(at.advisor_failures_max)
        return (
            limit,
            f"max(last_{at.advisor_failures_window_minutes}m):max:{metric}{where} > {limit:g}",
            False,
        )
    if rule == "latency_vs_baseline":
        pv = p.provisioning
        limit = float(at.latency_increase_max_pct)
        query = f"pct_change(avg(last_{pv.latency_eval_minutes}m),{pv.latency_baseline_timeshift}):avg:{metric}{where} > {limit:g}"
        return limit, query, True
    raise ValueError(f"provisioning.datadog_threshold_rules: no Datadog monitor is defined for {rule!r}")


def desired_monitor(rule: str, p: Protocol) -> dict[str, Any]:
    """The monitor body of one alert-threshold rule (what ``POST /api/v1/monitor`` is sent)."""
    limit, query, full_window = _threshold_and_query(rule, p)
    level = p.alert_rules[rule].level  # type: ignore[index]
    runbook = p.alert_rules[rule].runbook  # type: ignore[index]
    where = f"runbook include/runbooks/{runbook}.md" if runbook else "no runbook (watch only)"
    return {
        "name": monitor_name(rule),
        "type": "metric alert",
        "query": query,
        "message": (
            f"delivery window: {rule} ({level}) above {limit:g}. Paging is the delivery_window DAG's (one route "
            f"out); this monitor only shows the state. {where}."
        ),
        "tags": sorted({p.checks.datadog_monitor_tag, MANAGED_TAG, f"rule:{rule}", f"level:{level}"}),
        "priority": PRIORITY[level],
        "options": {
            "thresholds": {"critical": limit},
            "notify_no_data": False,
            "require_full_window": full_window,
        },
    }


def desired_monitors(p: Protocol) -> list[dict[str, Any]]:
    """Every monitor provisioning keeps in Datadog, in ``datadog_threshold_rules`` order."""
    return [desired_monitor(rule, p) for rule in p.provisioning.datadog_threshold_rules]


def _differences(want: Any, have: Any, path: str = "") -> list[str]:
    """Fields of ``want`` that ``have`` lacks or holds otherwise (``have`` may carry more: Datadog adds fields)."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [path or "."]
        out: list[str] = []
        for key, value in want.items():
            out += _differences(value, have.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(want, list) and isinstance(have, list):
        return [] if sorted(map(str, want)) == sorted(map(str, have)) else [path]
    if isinstance(want, int | float) and isinstance(have, int | float) and not isinstance(want, bool):
        return [] if float(want) == float(have) else [path]
    return [] if want == have else [path]


@dataclass(frozen=True)
class MonitorPlan:
    """What provisioning does to one monitor: ``create``, ``update`` (its id, the fields that differ) or
    ``unchanged``."""

    rule: str
    action: str
    body: dict[str, Any]
    monitor_id: int | None = None
    changed: tuple[str, ...] = ()


def plan_monitors(p: Protocol, existing: list[dict[str, Any]]) -> list[MonitorPlan]:
    """Create the monitors Datadog lacks (by name), update those that differ, leave the rest (pure).

    Two monitors of one name: the lowest id is kept up to date (the other is someone's copy, left alone)."""
    by_name: dict[str, dict[str, Any]] = {}
    for m in sorted(existing, key=lambda m: int(m.get("id") or 0)):
        by_name.setdefault(str(m.get("name")), m)
    plans = []
    for rule, body in zip(p.provisioning.datadog_threshold_rules, desired_monitors(p), strict=True):
        have = by_name.get(body["name"])
        if have is None:
            plans.append(MonitorPlan(rule, "create", body))
            continue
        changed = tuple(_differences(body, have))
        action = "update" if changed else "unchanged"
        plans.append(MonitorPlan(rule, action, body, int(have["id"]), changed))
    return plans
