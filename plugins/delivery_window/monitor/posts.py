"""What the monitor reports (pure): the figures of its status lines, the incident response steps it records at
a first firing, Datadog gauges. It builds no message: ``escalation`` owns every page and post.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from delivery_window.escalation.model import PAGING_LEVELS, WindowFigures
from delivery_window.monitor.metrics import Snapshot, TickMetrics, pct
from delivery_window.protocol import Protocol
from delivery_window.records import Firing


def figures(snap: Snapshot, targeted: int, peak: int, fired: dict[tuple[str, str], str]) -> WindowFigures:
    """The window's figures at a tick, for the escalation engine's status lines."""
    o = snap.overall
    return WindowFigures(
        t=snap.t,
        targeted=targeted,
        attempts=o.attempts,
        delivered=o.delivered,
        failed=o.failed,
        success_rate_pct=o.success_rate_pct,
        error_rate_pct=o.error_rate_pct,
        rate_per_min=o.rate_per_min,
        p95_latency_ms=o.p95_latency_ms,
        advisors_delivered=snap.advisors_delivered,
        peak_rate=peak,
        alerts=tuple(sorted(fired)),
    )


def status_due(ticks: list[datetime], index: int, protocol: Protocol) -> str | None:
    """Which status post tick ``index`` of the day's schedule makes: opened | minute | closed | None."""
    if index == len(ticks) - 1:
        return "closed"
    if index == 0:
        return "opened"
    every = timedelta(minutes=protocol.monitor.status_post_every_minutes)
    start = ticks[0] - timedelta(seconds=protocol.monitor.tick_seconds)
    return "minute" if (ticks[index] - start) // every > (ticks[index - 1] - start) // every else None


# --- incident response steps (protocol severity_1.immediate_actions / severity_2.response_actions) -----------
def scope_assessment(snap: Snapshot, protocol: Protocol) -> dict[str, Any]:
    """Step 3 "assess_scope_of_failure": which scopes fail above the protocol's rate in the failure window."""
    limit = protocol.alert_thresholds.failure_rate_max_pct
    failing = {
        scope: round(100.0 * c.failed / c.resolved, 3)
        for scope, c in sorted(snap.scope_windows.items())
        if c.resolved and c.failed * 100 > limit * c.resolved
    }
    fw = snap.failure_window
    return {
        "failing_scopes": failing,
        "all_numbers_failing": bool(snap.scope_windows)
        and all(s in failing for s in snap.scope_windows if s.startswith("number:")),
        "failure_window": {"attempts": fw.attempts, "resolved": fw.resolved, "failed": fw.failed},
        "advisors_attempted": snap.advisors_attempted,
        "advisors_delivered": snap.advisors_delivered,
    }


def response_steps(
    firing: Firing, runbook: str, snap: Snapshot, incidents_open: int, protocol: Protocol
) -> list[tuple[str, dict[str, Any]]]:
    """Timeline steps the monitor records at a first firing (the ones that happen when the alert fires).

    Steps that depend on a send (acknowledge_pagerduty_alert, join_slack_war_room, investigate_root_cause_immediately)
    are recorded after the outbox sent the message (``sent_steps``).
    """
    steps: list[tuple[str, dict[str, Any]]] = []
    if firing.severity in PAGING_LEVELS:
        for a in protocol.severity_1.immediate_actions:
            if a.action == "assess_scope_of_failure":
                steps.append(
                    (a.action, {"state": "done", "by": "monitor", **scope_assessment(snap, protocol)})
                )
            elif a.action == "activate_appropriate_emergency_runbook":
                steps.append((a.action, {"state": "queued", "runbook": runbook,
                                         "note": "choose_runbook runs it when the window closes"}))  # fmt: skip
            elif a.action == SECONDARY_STEP:
                needed = secondary_needed(incidents_open, protocol)
                if needed:
                    steps.append((a.action, needed))
    elif firing.severity == "severity_2":
        for a in protocol.severity_2.response_actions:
            if a.action == "implement_targeted_workaround":
                steps.append((a.action, {"state": "queued", "runbook": runbook}))
            elif a.action == "monitor_for_impact_expansion":
                steps.append((a.action, {"state": "watching", "scope": firing.scope}))
            elif a.action == "document_incident_timeline":
                steps.append((a.action, {"state": "recording"}))
    return steps


SECONDARY_STEP = "page_secondary_engineer_if_needed"


def secondary_needed(incidents_open: int, protocol: Protocol) -> dict[str, Any] | None:
    """Protocol step 5: the secondary engineer is needed once incidents of ``severity_1.secondary_paging_incidents``
    different runbooks are open at once (level 2's multi-system failure, which pages them); its timeline details."""
    if incidents_open < protocol.severity_1.secondary_paging_incidents:
        return None
    role = next(a.role for a in protocol.severity_1.immediate_actions if a.action == SECONDARY_STEP)
    return {"state": "needed", "role": role, "reason": f"incidents of {incidents_open} runbooks open at once",
            "by": "escalation ledger (level 2)"}  # fmt: skip


def sent_steps(firing: Firing, protocol: Protocol) -> dict[str, tuple[str, str]]:
    """Timeline step per message kind of a first firing ("pagerduty", "slack"), recorded once the outbox sent it."""
    out: dict[str, tuple[str, str]] = {}
    if firing.severity in PAGING_LEVELS:
        for a in protocol.severity_1.immediate_actions:
            if a.action == "acknowledge_pagerduty_alert":
                out["pagerduty"] = (a.action, f"paged; acknowledge within {a.deadline_minutes} min")
            elif a.action == "join_slack_war_room":
                out["slack"] = (a.action, "war-room post sent")
    elif firing.severity == "severity_2":
        for a in protocol.severity_2.response_actions:
            if a.action == "investigate_root_cause_immediately":
                out["slack"] = (a.action, "details posted to the war room")
    return out


# --- Datadog -------------------------------------------------------------------------------------------------
_GAUGES = (
    "attempts",
    "delivered",
    "failed",
    "success_rate_pct",
    "error_rate_pct",
    "rate_per_min",
    "p95_latency_ms",
)


def datadog_series(day: date, rows: list[TickMetrics], protocol: Protocol) -> list[dict[str, Any]]:
    """Datadog v2 series (gauges, type 3) of one tick: every metric of every scope, tagged by scope and date."""
    prefix = protocol.monitor.datadog_metric_prefix
    series = []
    for r in rows:
        ts = int(r.tick_at.timestamp())
        tags = ["service:delivery-window", f"delivery_date:{day.isoformat()}", f"scope:{r.scope}"]
        for name in _GAUGES:
            value = getattr(r, name)
            if value is not None:
                series.append(
                    {"metric": f"{prefix}.{name}", "type": 3, "points": [{"timestamp": ts, "value": value}],
                     "tags": tags}
                )  # fmt: skip
    return series


def datadog_window_series(day: date, snap: Snapshot, protocol: Protocol) -> list[dict[str, Any]]:
    """The alert-threshold gauges of one tick (issue 14: the provisioned monitors watch them, provision/monitors.py):
    ``failure_rate_window_pct``, the worst failure rate of the trailing failure-rate windows judged this tick (as
    the ``failure_rate_2m`` rule; no point while no window has ``monitor.min_sample_attempts`` outcomes), and
    ``advisor_failures_max``, the most failures of one advisor in the advisor window (0 while none reaches
    ``alert_thresholds.advisor_failures_max``: the monitor snapshot keeps only those)."""
    prefix, ts = protocol.monitor.datadog_metric_prefix, int(snap.t.timestamp())
    tags = ["service:delivery-window", f"delivery_date:{day.isoformat()}", "scope:overall"]
    windows = [
        c
        for c in (snap.failure_windows or [snap.failure_window])
        if c.resolved >= protocol.monitor.min_sample_attempts
    ]
    values = {"advisor_failures_max": max(snap.advisor_failures.values(), default=0)}
    if windows:
        values["failure_rate_window_pct"] = max(pct(c.failed, c.resolved) for c in windows)
    return [
        {"metric": f"{prefix}.{name}", "type": 3, "points": [{"timestamp": ts, "value": value}], "tags": tags}
        for name, value in values.items()
    ]
