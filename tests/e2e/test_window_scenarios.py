"""The window monitor's scenarios through the real DAG (dag.test(), a replay) against the sandbox.

Each scenario runs once (module fixture) and several tests read its outcome: the alerts recorded, the incident
and its timeline, and what the sandbox received (PagerDuty events, Slack posts). Dates 2026-10-10 .. 2026-10-16.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from delivery_window import window
from delivery_window.escalation import keys
from delivery_window.protocol import get_protocol
from delivery_window.sandbox.scenario_sets.window import FAILING_NUMBER, STORM_ADVISOR

P = get_protocol()
BURST_DAY = date(2026, 10, 10)
STORM_DAY = date(2026, 10, 11)
SHARD_DAY = date(2026, 10, 12)
BASELINE_DAYS = (date(2026, 10, 13), date(2026, 10, 14), date(2026, 10, 15))
SLOW_DAY = date(2026, 10, 16)
MONITOR_RULES = set(P.alert_rules)


def alerts(r) -> dict[tuple[str, str], dict]:
    rows = r.rows(
        "SELECT rule, scope, severity, first_fired_at, last_seen_at, dedup_key, details "
        "FROM delivery_ops.alerts WHERE delivery_date = %s",
        r.day,
    )
    return {
        (a[0], a[1]): dict(zip(("severity", "first", "last", "key", "details"), a[2:], strict=True))
        for a in rows
    }


def pages(r) -> list[dict]:
    """PagerDuty trigger events of the monitor's alerts: each carries its incident's key (one PagerDuty incident
    per runbook incident) and the alerts it reports in ``custom_details`` (the follow-up may resolve them later,
    and page for other reasons under other keys)."""
    incident_keys = {keys.page_key(keys.incident_id(r.day, runbook)) for runbook in P.runbooks}
    return [
        p["json"]
        for p in r.sandbox.requests("pagerduty")
        if p["json"]["event_action"] == "trigger" and p["json"]["dedup_key"] in incident_keys
    ]


def paged_alerts(r) -> list[str]:
    """``rule:scope`` of every alert a page reported as new, in sending order."""
    return [a for e in pages(r) for a in e["payload"]["custom_details"]["new"]]


def war_room(r) -> list[str]:
    return [p["json"]["text"] for p in r.sandbox.requests("slack") if "war-room" in p["path"]]


def timeline(r, runbook: str) -> dict[str, dict]:
    row = r.rows("SELECT timeline FROM delivery_ops.incidents WHERE incident_id = %s", f"{r.day}:{runbook}")
    assert row, f"no incident {r.day}:{runbook}"
    return {e["step"]: e for e in row[0][0]}


def in_window(r, t) -> bool:
    return window.at(r.day, "delivery_start") < t <= window.close(r.day, P)


@pytest.fixture(scope="module")
def burst(run_day):
    return run_day("failure_burst", BURST_DAY)


@pytest.fixture(scope="module")
def storm(run_day):
    return run_day("advisor_retry_storm", STORM_DAY)


@pytest.fixture(scope="module")
def shard(run_day):
    return run_day("shard_failing", SHARD_DAY)


@pytest.fixture(scope="module")
def slow(run_day, db_url):
    import psycopg

    from delivery_window.migrate import apply_migrations

    # the baseline: three earlier days with a healthy p95 in window_runs (the checkpoint writes these rows)
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)  # this fixture may be the first of the session to touch the report schema
        for d in BASELINE_DAYS:
            conn.execute(
                "INSERT INTO delivery_ops.window_runs (delivery_date, mode, advisors_targeted, advisors_delivered, "
                "sla_pct, sla_target_pct, sla_met, attempts, failed_attempts, error_rate_pct, p95_latency_ms, "
                "peak_rate_per_min, segments_processed, segments_expected, critical_alerts, status, measured_as_of) "
                "VALUES (%s, 'replay', 2000, 1995, 99.75, 99, true, 2008, 9, 0.448, %s, 424, 4, 4, 0, 'sla_met', %s) "
                "ON CONFLICT (delivery_date) DO UPDATE SET p95_latency_ms = EXCLUDED.p95_latency_ms",
                (d, 660 + 10 * BASELINE_DAYS.index(d), window.close(d, P)),
            )
        conn.commit()
    return run_day("slow_api", SLOW_DAY)


# --- failure_burst ----------------------------------------------------------------------------------------------
def test_failure_burst_pages_once_during_the_window(burst):
    assert burst.state == "success"
    got = alerts(burst)
    page = got[("failure_rate_2m", "overall")]
    assert page["severity"] == "immediate_page" and in_window(burst, page["first"])
    assert page["first"] == window.at(BURST_DAY, "delivery_start") + timedelta(minutes=2, seconds=10)
    assert page["key"] == keys.alert_key(BURST_DAY, "failure_rate_2m", "overall")
    incident_key = keys.page_key(keys.incident_id(BURST_DAY, "delivery_failure"))
    events = pages(burst)
    assert [e["dedup_key"] for e in events] == [incident_key]  # the only page, sent once
    assert paged_alerts(burst) == ["failure_rate_2m:overall"]
    assert events[0]["event_action"] == "trigger" and events[0]["payload"]["severity"] == "critical"
    assert burst.sandbox.state()["pagerduty_alerts"][incident_key]["opened"] == 1
    created = burst.rows(
        "SELECT created_at FROM delivery_ops.notifications WHERE payload->>'dedup_key' = %s AND "
        "payload->>'event_action' IS DISTINCT FROM 'resolve' AND payload->>'action' = 'trigger'",
        incident_key,
    )
    assert created == [(page["first"],)]  # queued at the tick it fired, not after the window


def test_failure_burst_fires_only_the_burst_rules(burst):
    assert set(alerts(burst)) == {
        ("failure_rate_2m", "overall"),
        ("success_rate_below_98", "overall"),
        ("error_rate_above_2pct", "overall"),
    }
    # one grouped post: the page and, inhibited under it, the two primary-metric alerts of the same scope
    assert len(war_room(burst)) == 1


def test_failure_burst_incident_records_the_protocol_response(burst):
    steps = timeline(burst, "delivery_failure")
    assert {"alert:failure_rate_2m:overall", "assess_scope_of_failure", "activate_appropriate_emergency_runbook",
            "acknowledge_pagerduty_alert", "join_slack_war_room"} <= set(steps)  # fmt: skip
    assert steps["acknowledge_pagerduty_alert"]["state"] == "sent"
    assert steps["assess_scope_of_failure"]["all_numbers_failing"] is True  # a burst on every shard
    assert "runbook_activated" in steps  # the runbook the monitor queued ran after the window


def test_failure_burst_status_lines_in_delivery_ops(burst):
    ops = [p["json"]["text"] for p in burst.sandbox.requests("slack") if "delivery-ops" in p["path"]]
    assert any("opened" in t for t in ops) and any("closed" in t for t in ops)
    line = next(t for t in ops if t.startswith("06:03 IST"))
    assert "alerts: 3 (error_rate_above_2pct, failure_rate_2m, success_rate_below_98)" in line


# --- advisor_retry_storm ----------------------------------------------------------------------------------------
def test_advisor_retry_storm_is_urgent_only(storm):
    assert storm.state == "success"
    got = alerts(storm)
    assert set(got) == {("advisor_failures_1m", f"advisor:{STORM_ADVISOR}")}
    a = got[("advisor_failures_1m", f"advisor:{STORM_ADVISOR}")]
    assert a["severity"] == "urgent_investigate" and in_window(storm, a["first"])
    assert a["details"]["failures"] == 6  # six of the seven in the first minute they span
    assert pages(storm) == []  # urgent_investigate does not page
    posts = war_room(storm)
    assert len(posts) == 1 and STORM_ADVISOR in posts[0]
    steps = timeline(storm, "delivery_failure")
    assert f"alert:advisor_failures_1m:advisor:{STORM_ADVISOR}" in steps


# --- slow_api ---------------------------------------------------------------------------------------------------
def test_slow_api_fires_the_latency_rules(slow):
    assert slow.state == "success"
    got = alerts(slow)
    assert set(got) == {("api_latency_p95_above_2s", "overall"), ("latency_vs_baseline", "overall")}
    warn = got[("latency_vs_baseline", "overall")]
    assert warn["severity"] == "warning_monitor" and warn["details"]["baseline_ms"] == 670.0
    assert warn["details"]["baseline_days"][-3:] == [d.isoformat() for d in BASELINE_DAYS]
    assert got[("api_latency_p95_above_2s", "overall")]["details"]["p95_latency_ms"] > 2000
    assert all(in_window(slow, a["first"]) for a in got.values())
    assert pages(slow) == [] and len(war_room(slow)) == 2
    # each also in its rule's own channel: the primary metric in #delivery-ops, the warning in #engineering-alerts
    slack = slow.sandbox.requests("slack")
    eng = [p["json"]["text"] for p in slack if "engineering-alerts" in p["path"]]
    ops = [
        p["json"]["text"]
        for p in slack
        if "delivery-ops" in p["path"] and " fired:" in p["json"]["text"]  # an alert group, not a status line
    ]
    assert len(eng) == 1 and "latency_vs_baseline" in eng[0]
    assert len(ops) == 1 and "api_latency_p95_above_2s" in ops[0]


def test_slow_api_opens_the_delivery_incident_for_the_primary_metric_only(slow):
    steps = timeline(slow, "delivery_failure")
    assert "alert:api_latency_p95_above_2s:overall" in steps
    assert not any(
        "latency_vs_baseline" in s for s in steps
    )  # a warning to watch: no incident (protocol.yaml)
    assert slow.rows(
        "SELECT severity FROM delivery_ops.incidents WHERE incident_id = %s", f"{SLOW_DAY}:delivery_failure"
    ) == [("minor",)]


# --- shard_failing ----------------------------------------------------------------------------------------------
def test_shard_failing_is_sev2_for_that_shard_only(shard):
    assert shard.state == "success"
    got = alerts(shard)
    sev2 = {k: v for k, v in got.items() if k[0] in ("shard_failing", "tier_delivery_issue")}
    assert set(sev2) == {("shard_failing", f"number:{FAILING_NUMBER}")}
    a = sev2[("shard_failing", f"number:{FAILING_NUMBER}")]
    assert a["severity"] == "severity_2" and in_window(shard, a["first"])
    assert a["details"]["rest_failure_rate_pct"] <= P.alert_thresholds.failure_rate_max_pct
    assert any(f"number:{FAILING_NUMBER}" in t and "shard_failing" in t for t in war_room(shard))
    # a fifth of the traffic failing also breaks the overall rules; the shard alert itself does not page
    assert ("failure_rate_2m", "overall") in got
    assert f"shard_failing:number:{FAILING_NUMBER}" not in paged_alerts(shard)


def test_shard_failing_incident_follows_the_sev2_response(shard):
    steps = timeline(shard, "whatsapp_quality_recovery")
    assert {f"alert:shard_failing:number:{FAILING_NUMBER}", "investigate_root_cause_immediately",
            "implement_targeted_workaround", "monitor_for_impact_expansion", "document_incident_timeline"} <= set(
        steps
    )  # fmt: skip
    assert steps["implement_targeted_workaround"]["runbook"] == "whatsapp_quality_recovery"
    assert steps["monitor_for_impact_expansion"]["scope"] == f"number:{FAILING_NUMBER}"


def test_shard_failing_beside_the_page_makes_the_secondary_needed(shard):
    """The overall pages (delivery_failure) and the shard's Sev2 (whatsapp_quality_recovery): two systems, so step 5
    says the secondary is needed on the paging incident (level 2 pages them)."""
    needed = timeline(shard, "delivery_failure")["page_secondary_engineer_if_needed"]
    assert needed["state"] == "needed" and needed["role"] == "secondary_engineer"


def test_shard_failing_number_is_paused_in_the_window_and_carries_no_attempt_after(shard):
    """Issue 13: the quality runbook starts when the monitor opens its incident, pauses the failing number during
    the window, and its criterion is measured from the attempts: none on that number after the pause."""
    steps = timeline(shard, "whatsapp_quality_recovery")
    activated = datetime.fromisoformat(steps["runbook_activated"]["at"])
    assert steps["runbook_activated"]["how"] == "in_window" and in_window(shard, activated)
    pauses = [r for r in shard.sandbox.requests("delivery") if r["path"].endswith("/pause")]
    assert [r["path"] for r in pauses] == [f"/delivery/v1/numbers/{FAILING_NUMBER}/pause"]
    paused_at = datetime.fromisoformat(pauses[0]["json"]["effective_at"])
    assert in_window(shard, paused_at) and paused_at >= activated
    met = steps["success_criterion_met"]
    assert met["measured"]["paused"] == [FAILING_NUMBER] and met["measured"]["attempts_after_pause"] == {}
    later = shard.rows(
        "SELECT count(*) FROM platform.delivery_attempts WHERE delivery_date = %s AND phone_number_id = %s "
        "AND attempted_at > %s",
        SHARD_DAY,
        FAILING_NUMBER,
        paused_at,
    )[0][0]
    assert later == 0
    assert shard.one(
        "SELECT status FROM delivery_ops.incidents WHERE incident_id = %s",
        f"{SHARD_DAY}:whatsapp_quality_recovery",
    ) == ("resolved",)
