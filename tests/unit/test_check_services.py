"""05:30 AI-service and monitoring-system checks (pure), on the real API shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from delivery_window.checks import judge, judge_services
from delivery_window.protocol import get_protocol
from delivery_window.records import Status

P = get_protocol()
PH = "pre_delivery.ai_services"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pre_delivery"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


# --- OpenAI ------------------------------------------------------------------------------------------------------
def test_openai_lists_the_required_models():
    models = [m["id"] for m in fixture("openai_models.json")["data"]]
    ok = judge_services.openai_health({"models": models, "latency_ms": 40}, P, PH)
    assert ok.status is Status.PASS and "gpt-4o-mini" in ok.message
    gone = judge_services.openai_health({"models": [m for m in models if m != "gpt-4o-mini"]}, P, PH)
    assert gone.status is Status.FAIL and gone.message == "required models not available: gpt-4o-mini"


# --- compliance engine: p95 < 1.5 s ------------------------------------------------------------------------------
def probes(*latencies: int, misjudge: bool = False) -> dict:
    rows = [
        {"content_id": f"probe-{i}", "compliant": True, "expected_compliant": True, "latency_ms": ms}
        for i, ms in enumerate(latencies, start=1)
    ]
    rows[-1] |= {"expected_compliant": False, "compliant": misjudge}
    return {"health_status": "ok", "version": "2.4.1", "probes": rows}


def test_p95_just_under_the_limit_passes_exactly_the_limit_fails():
    limit = P.checks.compliance_p95_max_ms
    assert limit == 1500
    under = judge_services.compliance_engine(probes(20, 30, 25, 22, limit - 1), P, PH)
    assert under.status is Status.PASS and under.observed["p95_ms"] == 1499
    exactly = judge_services.compliance_engine(probes(20, 30, 25, 22, limit), P, PH)
    assert exactly.status is Status.FAIL
    assert exactly.message == "p95 response time 1500 ms over 5 probes is not < 1500 ms"


def test_p95_is_nearest_rank():
    assert judge.p95([1, 2, 3, 4, 5]) == 5  # 5 probes: the slowest one decides
    assert judge.p95(list(range(1, 21))) == 19  # 20 probes: one outlier is forgiven
    assert judge.p95([]) is None


def test_one_slow_probe_of_twenty_is_tolerated():
    obs = probes(*([100] * 19 + [1600]))
    obs["probes"][-1] |= {"expected_compliant": True, "compliant": True}
    assert judge_services.compliance_engine(obs, P, PH).status is Status.PASS


def test_misjudged_reference_text_and_bad_health_fail():
    wrong = judge_services.compliance_engine(probes(10, 10, 10, 10, 10, misjudge=True), P, PH)
    assert wrong.status is Status.FAIL and wrong.message == "misjudged reference texts: probe-5"
    sick = judge_services.compliance_engine(probes(10, 10) | {"health_status": "degraded"}, P, PH)
    assert sick.status is Status.FAIL and "'degraded'" in sick.message
    none = judge_services.compliance_engine({"health_status": "ok", "probes": []}, P, PH)
    assert none.status is Status.FAIL and none.message == "no probe answered"


# --- fallback content prepared -----------------------------------------------------------------------------------
def fallback_rows() -> list[dict]:
    return [
        {"segment": s, "template_name": f"daily_brief_fallback_seg{s}", "ready": True} for s in (1, 2, 3, 4)
    ]


def test_fallback_ready_and_approved_for_every_segment():
    api = fixture("graph_message_templates.json")["data"]
    ok = judge_services.fallback_content({"rows": fallback_rows(), "templates": api}, P, PH)
    assert ok.status is Status.PASS
    rows = fallback_rows()[:3]
    rows[0]["ready"] = False
    for t in api:
        if t["name"] == "daily_brief_fallback_seg2" and t["language"] == "hi":
            t["status"] = "PAUSED"
    bad = judge_services.fallback_content({"rows": rows, "templates": api}, P, PH)
    assert bad.observed["problems"] == [
        "segment 1: fallback daily_brief_fallback_seg1 not ready",
        "segment 2: daily_brief_fallback_seg2: PAUSED",
        "segment 4: no fallback prepared",
    ]


# --- Datadog ------------------------------------------------------------------------------------------------------
def datadog(**monitor_changes) -> dict:
    monitors = fixture("datadog_monitors.json")
    for m in monitors:
        rule = m["name"].removeprefix("[delivery-window] ")
        if rule in monitor_changes:
            m.update(monitor_changes[rule])
    return {"api_key_valid": True, "monitors": monitors}


def test_datadog_monitors_present_and_active():
    r = judge_services.datadog_monitors(datadog(), P, "pre_delivery.monitoring")
    assert r.status is Status.PASS and r.message == "6 monitors configured and active"


def test_muted_missing_alerting_and_invalid_key():
    muted = datadog(success_rate_below_98={"options": {"silenced": {"*": None}}})
    r = judge_services.datadog_monitors(muted, P, PH)
    assert r.status is Status.FAIL and r.message == "monitors muted: success_rate_below_98"
    missing = datadog()
    missing["monitors"] = [m for m in missing["monitors"] if "shard_failing" not in m["name"]]
    assert judge_services.datadog_monitors(missing, P, PH).message == "monitors missing: shard_failing"
    alerting = judge_services.datadog_monitors(
        datadog(error_rate_above_2pct={"overall_state": "Alert"}), P, PH
    )
    assert alerting.status is Status.WARN and "error_rate_above_2pct" in alerting.message
    invalid = judge_services.datadog_monitors({"api_key_valid": False, "monitors": []}, P, PH)
    assert invalid.status is Status.FAIL and invalid.message == "Datadog API key is not valid"


# --- Grafana ------------------------------------------------------------------------------------------------------
def grafana(**dashboard) -> dict:
    return fixture("grafana_health.json") | {
        "dashboard": fixture("grafana_dashboard.json")["dashboard"] | dashboard
    }


def test_grafana_dashboard_refresh_follows_the_protocol():
    ok = judge_services.grafana_dashboard(grafana(), P, PH)
    assert ok.status is Status.PASS and "refresh 30s" in ok.message
    slow = judge_services.grafana_dashboard(grafana(refresh="1m"), P, PH)
    assert slow.status is Status.WARN and "the protocol says 30s" in slow.message
    assert judge_services.grafana_dashboard(grafana(panels=[]), P, PH).status is Status.FAIL
    sick = judge_services.grafana_dashboard(grafana() | {"database": "failing"}, P, PH)
    assert sick.status is Status.FAIL and sick.message == "Grafana database is 'failing'"


# --- PagerDuty escalation chain ------------------------------------------------------------------------------------
def pagerduty(delays=None, **service) -> dict:
    policy = fixture("pagerduty_escalation_policies.json")["escalation_policies"][0]
    if delays is not None:
        for rule, delay in zip(policy["escalation_rules"], delays, strict=False):
            rule["escalation_delay_in_minutes"] = delay
    return {"policy": policy, "service": fixture("pagerduty_services.json")["services"][0] | service}


def test_chain_matches_the_protocol_levels():
    r = judge_services.pagerduty_escalation(pagerduty(), P, PH)
    assert r.status is Status.PASS and r.observed["engage_minutes"] == [0, 15, 30, 60]


def test_chain_with_other_delays_or_a_disabled_service_fails():
    late = judge_services.pagerduty_escalation(pagerduty(delays=[15, 30, 30, 30]), P, PH)
    assert late.status is Status.FAIL
    assert "level 3 (engineering_manager) engages after 45 min, protocol 30 min" in late.message
    off = judge_services.pagerduty_escalation(pagerduty(status="disabled"), P, PH)
    assert off.message.startswith("service project-one-delivery is disabled")
    other = judge_services.pagerduty_escalation(pagerduty(escalation_policy={"id": "POTHER"}), P, PH)
    assert "does not use policy delivery_window_escalation" in other.message
    short = pagerduty()
    short["policy"]["escalation_rules"] = short["policy"]["escalation_rules"][:2]
    assert (
        "2 escalation rules for 4 protocol levels"
        in judge_services.pagerduty_escalation(short, P, PH).message
    )
    nobody = pagerduty()
    nobody["policy"]["escalation_rules"][0]["targets"] = []
    assert "rule 1 has no target" in judge_services.pagerduty_escalation(nobody, P, PH).message


@pytest.mark.parametrize(("key", "message"), [("policy", "escalation policy"), ("service", "service")])
def test_missing_policy_or_service(key, message):
    r = judge_services.pagerduty_escalation(pagerduty() | {key: None}, P, PH)
    assert r.status is Status.FAIL and r.message.startswith(message) and "not found" in r.message


# --- Slack ---------------------------------------------------------------------------------------------------------
def slack(**channel):
    auth = {"ok": True, "user": "delivery-window", "user_id": "U0DWBOT01"}
    ok = {"channel": "#delivery-war-room", "id": "C0WARROOM0", "is_archived": False, "is_member": True}
    return {"auth": auth, "channels": [ok, ok | {"channel": "#delivery-ops", "id": "C0DELOPS00"} | channel]}


def test_slack_channels_open_and_joined_pass():
    r = judge_services.slack_channels(slack(), P, PH)
    assert r.status is Status.PASS
    assert r.message == "open, the app a member: #delivery-war-room (C0WARROOM0), #delivery-ops (C0DELOPS00)"


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ({"is_archived": True}, "#delivery-ops (C0DELOPS00) is archived"),
        ({"is_member": False}, "#delivery-ops (C0DELOPS00): the app (delivery-window) is not a member"),
        (
            {"id": None, "error": "channel_not_found"},
            "#delivery-ops: channel_not_found (no such channel the app can see)",
        ),
    ],
)
def test_slack_channel_archived_unjoined_or_unknown_fails(channel, message):
    r = judge_services.slack_channels(slack(**channel), P, PH)
    assert (r.status, r.message) == (Status.FAIL, message)


def test_slack_token_refused_fails_before_any_channel():
    for error, meaning in (("token_revoked", "was revoked"), ("invalid_auth", "is not valid")):
        r = judge_services.slack_channels({"auth": {"ok": False, "error": error}, "channels": []}, P, PH)
        assert (
            r.status is Status.FAIL
            and r.message == f"Slack auth.test: {error} (the app's bot token {meaning})"
        )
