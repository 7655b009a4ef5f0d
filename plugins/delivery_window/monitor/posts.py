"""What the monitor tells people and dashboards (pure): #delivery-ops status lines, alert messages, incident
response steps, Datadog gauges. Every message has a deterministic dedup key, so a rerun never reposts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window import window
from delivery_window.connections import PAGERDUTY, SLACK_BY_PURPOSE, SLACK_DELIVERY_OPS
from delivery_window.escalation import outbox
from delivery_window.monitor.metrics import Snapshot, TickMetrics
from delivery_window.monitor.rules import dedup_key, slack_alert_keys
from delivery_window.protocol import Protocol
from delivery_window.records import Firing

# Incident severity of each protocol level (the vocabulary of delivery_ops.incidents: minor < major < critical).
LEVEL_SEVERITY = {
    "severity_1": "critical",
    "immediate_page": "critical",
    "severity_2": "major",
    "urgent_investigate": "major",
    "primary_metric": "minor",
    "warning_monitor": "minor",
}
SEVERITIES = ("minor", "major", "critical")
PAGING_LEVELS = frozenset({"severity_1", "immediate_page"})


def worst(*severities: str) -> str:
    """The most urgent incident severity."""
    return max(severities, key=SEVERITIES.index)


def _ist(t: datetime, protocol: Protocol) -> str:
    return t.astimezone(ZoneInfo(protocol.timezone)).strftime("%H:%M:%S")


def _fmt(value: Any, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


# --- #delivery-ops status updates ------------------------------------------------------------------------------
def status_key(day: date, what: str) -> str:
    return f"slack:delivery_window:{day.isoformat()}:status:{what}"


def _slack(key: str, text: str, channel: str = SLACK_DELIVERY_OPS) -> dict[str, Any]:
    return {
        "dedup_key": key,
        "channel": channel,
        "kind": "slack_message",
        "payload": {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]},
    }


def opened_post(day: date, t: datetime, targeted: int, protocol: Protocol) -> dict[str, Any]:
    """'Window opened' (at the first tick)."""
    m = protocol.monitor
    close = _close_text(day, protocol)
    text = (
        f":satellite: Delivery window {day} opened: {targeted:,} advisors to reach. Monitoring every "
        f"{m.tick_seconds} s until {close} IST (06:05 + {m.grace_seconds} s grace); status here every "
        f"{m.status_post_every_minutes} min."
    )
    return _slack(status_key(day, "opened"), text)


def _close_text(day: date, protocol: Protocol) -> str:
    return _ist(window.close(day, protocol), protocol)[:5]


def _alerts_text(fired: dict[tuple[str, str], str]) -> str:
    if not fired:
        return "none"
    rules = sorted({rule for rule, _ in fired})
    return f"{len(fired)} ({', '.join(rules)})"


def minute_post(
    day: date, snap: Snapshot, fired: dict[tuple[str, str], str], protocol: Protocol
) -> dict[str, Any]:
    """The one-line status of a minute."""
    o = snap.overall
    hhmm = _ist(snap.t, protocol)[:5]
    text = (
        f"{hhmm} IST · {o.attempts:,} attempts · success {_fmt(o.success_rate_pct, '%')} · errors "
        f"{_fmt(o.error_rate_pct, '%')} · {o.rate_per_min:,}/min · p95 {_fmt(o.p95_latency_ms, ' ms')} · "
        f"alerts: {_alerts_text(fired)}"
    )
    return _slack(status_key(day, hhmm.replace(":", "")), text)


def closed_post(
    day: date, snap: Snapshot, targeted: int, peak: int, fired: dict[tuple[str, str], str], protocol: Protocol
) -> dict[str, Any]:
    """'Window closed' with the totals (at the last tick)."""
    o = snap.overall
    sla = round(100.0 * snap.advisors_delivered / targeted, 2) if targeted else None
    text = (
        f":checkered_flag: Delivery window {day} closed at {_ist(snap.t, protocol)[:5]} IST: "
        f"{o.attempts:,} attempts, {o.delivered:,} delivered (success {_fmt(o.success_rate_pct, '%')}), "
        f"{o.failed:,} failed (errors {_fmt(o.error_rate_pct, '%')}), {snap.advisors_delivered:,} of {targeted:,} "
        f"advisors delivered ({_fmt(sla, '%')}; SLA {protocol.sla.target_pct:g}%), peak {peak:,}/min, "
        f"p95 {_fmt(o.p95_latency_ms, ' ms')}. Alerts: {_alerts_text(fired)}."
    )
    return _slack(status_key(day, "closed"), text)


def status_due(ticks: list[datetime], index: int, protocol: Protocol) -> str | None:
    """Which status post tick ``index`` of the day's schedule makes: opened | minute | closed | None."""
    if index == len(ticks) - 1:
        return "closed"
    if index == 0:
        return "opened"
    every = timedelta(minutes=protocol.monitor.status_post_every_minutes)
    start = ticks[0] - timedelta(seconds=protocol.monitor.tick_seconds)
    return "minute" if (ticks[index] - start) // every > (ticks[index - 1] - start) // every else None


# --- alerts: PagerDuty + war room --------------------------------------------------------------------------
def alert_messages(day: date, firing: Firing, protocol: Protocol, incident_id: str | None) -> list[dict]:
    """The messages a first firing sends at once: a PagerDuty event when the rule pages, a war-room post, and the
    same post in the rule's own channel (``alert_rules.<rule>.slack``: #delivery-ops for the primary metrics,
    #engineering-alerts for the engineering rules) when that is not the war room."""
    key = dedup_key(day, firing.rule, firing.scope)
    rule = protocol.alert_rules[firing.rule]
    out = []
    if rule.page:
        details = {**firing.details, "rule": firing.rule, "scope": firing.scope, "incident_id": incident_id,
                   "runbook": rule.runbook}  # fmt: skip
        out.append(
            {
                "dedup_key": key,
                "channel": PAGERDUTY,
                "kind": "pagerduty_event",
                "payload": outbox.pagerduty_trigger(
                    key, f"[{firing.severity}] {firing.summary}", rule.pagerduty_severity, details, "whatsapp"
                ),
            }
        )
    text = (
        f":rotating_light: *{firing.rule}* ({firing.severity}, {firing.scope}) at {_ist(firing.at, protocol)} IST: "
        f"{firing.summary}"
    )
    context = f"runbook: {rule.runbook or 'none'} · incident {incident_id or 'none'} · dedup {key}"
    for purpose, slack_key in slack_alert_keys(key, rule.slack):
        msg = _slack(slack_key, text, SLACK_BY_PURPOSE[purpose])
        msg["payload"]["blocks"].append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}
        )
        out.append(msg)
    return out


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
