"""What the monitor sends (pure): #delivery-ops status lines, alert messages, response steps, Datadog gauges."""

from __future__ import annotations

from attempts_factory import DAY, at, attempts

from delivery_window.connections import (
    PAGERDUTY,
    SLACK_DELIVERY_OPS,
    SLACK_ENGINEERING_ALERTS,
    SLACK_WAR_ROOM,
)
from delivery_window.monitor import metrics, posts, rules
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
    s = snap()
    opened = posts.opened_post(DAY, TICKS[0], 2000, P)
    minute = posts.minute_post(DAY, s, {}, P)
    closed = posts.closed_post(DAY, s, 2000, 430, {("failure_rate_2m", "overall"): "immediate_page"}, P)
    assert [m["dedup_key"] for m in (opened, minute, closed)] == [
        "slack:delivery_window:2026-11-25:status:opened",
        "slack:delivery_window:2026-11-25:status:0602",
        "slack:delivery_window:2026-11-25:status:closed",
    ]
    assert {m["channel"] for m in (opened, minute, closed)} == {SLACK_DELIVERY_OPS}
    assert minute["payload"]["text"].startswith("06:02 IST · 330 attempts")
    assert (
        "Alerts: 1 (failure_rate_2m)" in closed["payload"]["text"]
        and "peak 430/min" in closed["payload"]["text"]
    )


def test_a_paging_rule_pages_and_posts_a_non_paging_rule_only_posts():
    page = posts.alert_messages(DAY, firing("failure_rate_2m"), P, "2026-11-25:delivery_failure")
    assert [m["channel"] for m in page] == [PAGERDUTY, SLACK_WAR_ROOM]
    event = page[0]["payload"]
    assert event["dedup_key"] == rules.dedup_key(DAY, "failure_rate_2m", "overall") == page[0]["dedup_key"]
    assert event["action"] == "trigger" and event["severity"] == "critical"
    assert event["custom_details"]["incident_id"] == "2026-11-25:delivery_failure"
    assert page[1]["dedup_key"] == f"slack:{event['dedup_key']}"
    only_post = posts.alert_messages(DAY, firing("shard_failing", "number:n-bad"), P, None)
    assert [m["channel"] for m in only_post] == [SLACK_WAR_ROOM, SLACK_ENGINEERING_ALERTS]


def test_an_alert_is_also_posted_to_its_rules_own_channel():
    """alert_rules.<rule>.slack: the war room always, and the rule's channel when it is another one."""
    key = rules.dedup_key(DAY, "success_rate_below_98", "overall")
    primary = posts.alert_messages(DAY, firing("success_rate_below_98"), P, None)
    assert [(m["channel"], m["dedup_key"]) for m in primary] == [
        (SLACK_WAR_ROOM, f"slack:{key}"),
        (SLACK_DELIVERY_OPS, f"slack:{key}:daily_operations"),
    ]
    assert primary[0]["payload"] == primary[1]["payload"]
    for rule, purpose in (
        ("advisor_failures_1m", "engineering_alerts"),
        ("failure_rate_2m", "critical_incidents"),
    ):
        assert P.alert_rules[rule].slack == purpose
    assert [m["channel"] for m in posts.alert_messages(DAY, firing("advisor_failures_1m"), P, None)] == [
        SLACK_WAR_ROOM,
        SLACK_ENGINEERING_ALERTS,
    ]


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
    assert posts.worst("minor", posts.LEVEL_SEVERITY["severity_2"]) == "major"
    assert posts.worst("major", posts.LEVEL_SEVERITY["immediate_page"]) == "critical"
    assert posts.worst("critical", "minor") == "critical"


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
