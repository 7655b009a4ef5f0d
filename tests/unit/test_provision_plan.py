"""Monitoring as code, the pure parts: the monitor body each alert threshold yields, the plan deciding create /
update / unchanged, and when the dashboard must be saved again."""

from __future__ import annotations

import copy

import pytest

from delivery_window.protocol import get_protocol
from delivery_window.provision import dashboard as dash
from delivery_window.provision import monitors as mon

P = get_protocol()
AT = P.alert_thresholds


def with_thresholds(**changes):
    return P.model_copy(update={"alert_thresholds": AT.model_copy(update=changes)})


def test_each_alert_threshold_yields_its_monitor_from_protocol_numbers():
    bodies = {b["name"]: b for b in mon.desired_monitors(P)}
    assert list(bodies) == [
        "[delivery-window] failure_rate_2m",
        "[delivery-window] advisor_failures_1m",
        "[delivery-window] latency_vs_baseline",
    ]
    failure = bodies["[delivery-window] failure_rate_2m"]
    assert failure["query"] == (
        "max(last_2m):max:delivery_window.failure_rate_window_pct{service:delivery-window,scope:overall} > 2"
    )
    assert failure["options"] == {
        "thresholds": {"critical": 2.0},
        "notify_no_data": False,
        "require_full_window": False,
    }
    assert failure["priority"] == 1 and "rule:failure_rate_2m" in failure["tags"]
    advisor = bodies["[delivery-window] advisor_failures_1m"]
    assert advisor["query"].startswith("max(last_1m):max:delivery_window.advisor_failures_max{")
    assert advisor["query"].endswith("} > 5") and advisor["options"]["thresholds"]["critical"] == 5.0
    latency = bodies["[delivery-window] latency_vs_baseline"]
    assert latency["query"] == (
        "pct_change(avg(last_5m),last_1d):avg:delivery_window.p95_latency_ms{service:delivery-window,scope:overall}"
        " > 50"
    )
    assert latency["priority"] == 3 and "no runbook" in latency["message"]
    for body in bodies.values():  # paging is the DAG's: no notification handle in any message
        assert "@" not in body["message"]


def test_a_changed_protocol_number_changes_the_monitor():
    body = mon.desired_monitor(
        "failure_rate_2m", with_thresholds(failure_rate_max_pct=3.5, failure_rate_window_minutes=4)
    )
    assert body["query"].startswith("max(last_4m):") and body["query"].endswith("> 3.5")
    assert body["options"]["thresholds"]["critical"] == 3.5


def live(body, mid):
    """A monitor as Datadog lists it: our fields plus the ones Datadog adds."""
    out = copy.deepcopy(body) | {"id": mid, "overall_state": "OK", "created": "2026-01-01T00:00:00Z"}
    out["options"] |= {"silenced": {}, "new_host_delay": 300}
    out["tags"] = list(reversed(out["tags"]))  # Datadog keeps its own order
    return out


def test_plan_creates_what_is_missing_updates_what_differs_and_leaves_the_rest():
    wanted = mon.desired_monitors(P)
    hand_made = {"id": 7001001, "name": "[delivery-window] success_rate_below_98", "tags": [], "options": {}}
    existing = [hand_made, live(wanted[0], 11), live(wanted[1], 12)]
    existing[2]["options"]["thresholds"]["critical"] = 50
    existing[2]["query"] = existing[2]["query"].replace("> 5", "> 50")
    plans = {p.rule: p for p in mon.plan_monitors(P, existing)}
    assert (plans["failure_rate_2m"].action, plans["failure_rate_2m"].monitor_id) == ("unchanged", 11)
    assert (plans["advisor_failures_1m"].action, plans["advisor_failures_1m"].monitor_id) == ("update", 12)
    assert set(plans["advisor_failures_1m"].changed) == {"query", "options.thresholds.critical"}
    assert plans["latency_vs_baseline"].action == "create" and plans["latency_vs_baseline"].monitor_id is None
    # after those writes Datadog holds all three as planned: the next plan changes nothing
    after = [live(w, 20 + i) for i, w in enumerate(wanted)]
    assert {p.action for p in mon.plan_monitors(P, after)} == {"unchanged"}


def test_two_monitors_of_one_name_the_oldest_is_kept():
    wanted = mon.desired_monitor("failure_rate_2m", P)
    plans = mon.plan_monitors(P, [live(wanted, 40), live(wanted, 30)])
    assert plans[0].monitor_id == 30


def test_the_dashboard_is_saved_only_when_missing_changed_or_drifted():
    board = dash.load_dashboard(P)
    sha = dash.content_sha(board)
    assert dash.content_sha(board | {"id": 5, "version": 99}) == sha  # Grafana's own fields do not count
    assert dash.plan_dashboard(board, None, None).action == "create"
    assert dash.plan_dashboard(board, 7, None).reason == "never provisioned by this package"
    rec = {"content_sha": sha, "version": 8}
    assert dash.plan_dashboard(board, 8, rec).action == "unchanged"
    drift = dash.plan_dashboard(board, 9, rec)
    assert drift.action == "update" and "edited in Grafana" in drift.reason
    edited = dash.plan_dashboard(board | {"refresh": "1m"}, 8, rec)
    assert (
        edited.action == "update" and edited.reason == "the dashboard file changed since it was provisioned"
    )
    payload = dash.save_payload(board, sha)
    assert payload["overwrite"] is True and payload["dashboard"]["id"] is None
    assert payload["dashboard"]["uid"] == board["uid"] and "version" not in payload["dashboard"]


def test_a_bad_dashboard_file_names_the_key(tmp_path):
    bad = tmp_path / "board.json"
    bad.write_text('{"title": "no uid"}')
    p = P.model_copy(
        update={"provisioning": P.provisioning.model_copy(update={"grafana_dashboard_file": str(bad)})}
    )
    with pytest.raises(
        ValueError, match=r"^provisioning.grafana_dashboard_file: .*board.json has no dashboard uid$"
    ):
        dash.load_dashboard(p)


def test_protocol_refuses_a_rule_without_a_monitor(tmp_path):
    from delivery_window.protocol import DEFAULT_PROTOCOL_PATH, ProtocolError, load_protocol

    text = DEFAULT_PROTOCOL_PATH.read_text().replace(
        "datadog_threshold_rules: [failure_rate_2m,", "datadog_threshold_rules: [shard_failing,"
    )
    path = tmp_path / "protocol.yaml"
    path.write_text(text)
    with pytest.raises(
        ProtocolError,
        match=r"provisioning\.datadog_threshold_rules\[0\]: Input should be .*got .shard_failing.$",
    ):
        load_protocol(path)
