"""What the monitor reports (pure): status-line figures, response steps, Datadog gauges."""

from __future__ import annotations

from attempts_factory import DAY, at, attempts

from delivery_window.connections import SLACK_DELIVERY_OPS
from delivery_window.escalation.model import LEVEL_SEVERITY, worst
from delivery_window.escalation.posts import status_row
from delivery_window.monitor import metrics, posts
from delivery_window.protocol import get_protocol
from delivery_window.records import Firing

P = get_protocol()
TICKS = metrics.tick_times(DAY, P)


def firing(rule: str, scope: str = "overall") -> Firing:
    return Firing(rule, scope, P.alert_rules[rule].level, at("06:02:10"), f"{rule} fired", {"x": 1})


def snap():
    atts = attempts("06:00:00", 300, every_s=0.4) + attempts(
        "06:01:00", 30, every_s=1, status="failed", error_code=131000, first_id=9000, number="n-bad"
    )
    return metrics.naive_snapshot(atts, at("06:02:10"), P)


def test_status_posts_open_every_minute_and_close():
    due = [posts.status_due(TICKS, i, P) for i in range(len(TICKS))]
    assert due[0] == "opened" and due[-1] == "closed"
    minutes = [TICKS[i] for i, d in enumerate(due) if d == "minute"]
    assert [t.strftime("%H:%M:%S") for t in minutes] == ["06:01:00", "06:02:00", "06:03:00", "06:04:00",
                                                          "06:05:00", "06:06:00"]  # fmt: skip
    assert sum(d is not None for d in due) == 8


def test_status_posts_have_deterministic_keys_and_go_to_delivery_ops():
    """The monitor reports figures; the escalation engine words the line under a deterministic key."""
    s = snap()
    opened = status_row(DAY, "opened", posts.figures(s, 2000, 0, {}), P)
    minute = status_row(DAY, "minute", posts.figures(s, 2000, 0, {}), P)
    fired = {("failure_rate_2m", "overall"): "immediate_page"}
    closed = status_row(DAY, "closed", posts.figures(s, 2000, 430, fired), P)
    assert [m.dedup_key for m in (opened, minute, closed)] == [
        "slack:delivery_window:2026-11-25:status:opened",
        "slack:delivery_window:2026-11-25:status:0602",
        "slack:delivery_window:2026-11-25:status:closed",
    ]
    assert {m.conn_id for m in (opened, minute, closed)} == {SLACK_DELIVERY_OPS}
    assert minute.payload["text"].startswith("06:02 IST · 330 attempts")
    assert (
        "Alerts: 1 (failure_rate_2m)" in closed.payload["text"] and "peak 430/min" in closed.payload["text"]
    )


def test_severity_1_response_steps_follow_the_protocol():
    s = snap()
    steps = dict(posts.response_steps(firing("whatsapp_api_unavailable"), "delivery_failure", s, 1, P))
    assert list(steps) == ["assess_scope_of_failure", "activate_appropriate_emergency_runbook"]
    assert steps["assess_scope_of_failure"]["failing_scopes"]["number:n-bad"] == 100.0
    assert steps["activate_appropriate_emergency_runbook"]["runbook"] == "delivery_failure"
    two = dict(posts.response_steps(firing("success_below_95_2m"), "delivery_failure", s, 2, P))
    assert two["page_secondary_engineer_if_needed"]["role"] == "secondary_engineer"
    sent = posts.sent_steps(firing("failure_rate_2m"), P)
    assert sent["pagerduty"][0] == "acknowledge_pagerduty_alert" and sent["slack"][0] == "join_slack_war_room"


def test_severity_2_response_steps_follow_the_protocol():
    steps = dict(
        posts.response_steps(
            firing("shard_failing", "number:n-bad"), "whatsapp_quality_recovery", snap(), 0, P
        )
    )
    assert list(steps) == [
        "implement_targeted_workaround",
        "monitor_for_impact_expansion",
        "document_incident_timeline",
    ]
    assert (
        posts.sent_steps(firing("shard_failing", "number:n-bad"), P)["slack"][0]
        == "investigate_root_cause_immediately"
    )
    assert posts.response_steps(firing("latency_vs_baseline"), "none", snap(), 0, P) == []


def test_incident_severity_is_the_worst_level():
    assert worst("minor", LEVEL_SEVERITY["severity_2"]) == "major"
    assert worst("major", LEVEL_SEVERITY["immediate_page"]) == "critical"
    assert worst("critical", "minor") == "critical"


def test_datadog_series_are_gauges_of_every_scope():
    s = snap()
    series = posts.datadog_series(DAY, s.metrics, P)
    assert {x["type"] for x in series} == {3}
    assert {x["metric"] for x in series} >= {
        "delivery_window.success_rate_pct",
        "delivery_window.p95_latency_ms",
    }
    scopes = {tag for x in series for tag in x["tags"] if tag.startswith("scope:")}
    assert scopes == {f"scope:{m.scope}" for m in s.metrics}
    point = series[0]["points"][0]
    assert point["timestamp"] == int(at("06:02:10").timestamp()) and isinstance(point["timestamp"], int)


def test_window_gauges_carry_what_the_threshold_monitors_watch():
    """The provisioned Datadog monitors (provision/monitors.py) read these two gauges: the worst failure rate of
    the windows the failure_rate_2m rule judged, and the most failures of one advisor."""
    from delivery_window.provision.monitors import GAUGE

    s = snap()
    series = {x["metric"]: x for x in posts.datadog_window_series(DAY, s, P)}
    assert set(series) == {
        f"delivery_window.{GAUGE['failure_rate_2m']}",
        f"delivery_window.{GAUGE['advisor_failures_1m']}",
    }
    failure = series["delivery_window.failure_rate_window_pct"]
    judged = [
        c for c in s.failure_windows or [s.failure_window] if c.resolved >= P.monitor.min_sample_attempts
    ]
    assert (
        failure["points"][0]["value"] == max(metrics.pct(c.failed, c.resolved) for c in judged) > 2
    )  # the rule fires
    assert "scope:overall" in failure["tags"] and failure["type"] == 3
    assert series["delivery_window.advisor_failures_max"]["points"][0]["value"] == max(
        s.advisor_failures.values(), default=0
    )
    quiet = metrics.naive_snapshot(attempts("06:00:00", 10, every_s=1), at("06:00:20"), P)  # too few outcomes
    assert [x["metric"] for x in posts.datadog_window_series(DAY, quiet, P)] == [
        "delivery_window.advisor_failures_max"
    ]


def test_a_sev2_opening_a_second_runbook_marks_step_5_on_the_paging_incident(monkeypatch):
    """The page came first (one system: no step 5); a Sev2 then opens a second runbook's incident: the paging
    incident's timeline says the secondary is needed, once; the Sev2's own incident does not page, so not there."""
    from delivery_window.monitor import loop

    m = object.__new__(loop._Monitor)  # only the bookkeeping note_secondary reads
    m.p, m.day, m.conn = P, DAY, None
    m.fired = {("failure_rate_2m", "overall"): "immediate_page"}
    m.incident_severity = {"delivery_failure": "critical"}
    calls = []
    monkeypatch.setattr(
        loop.store, "add_timeline", lambda conn, inc, step, at, **d: calls.append((inc, step, d))
    )
    m.note_secondary(at("06:02:10"))
    assert calls == []
    m.fired[("shard_failing", "number:n-bad")] = "severity_2"
    m.incident_severity["whatsapp_quality_recovery"] = "major"
    m.note_secondary(at("06:03:00"))
    assert [(inc, step, d["state"]) for inc, step, d in calls] == [
        (f"{DAY}:delivery_failure", "page_secondary_engineer_if_needed", "needed")
    ]
