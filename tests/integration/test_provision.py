"""``delivery-window provision`` against the sandbox: the Grafana dashboard saved by uid (overwrite) with its
version recorded, the alert-threshold monitors created in Datadog, a second run a no-op, drift put back, and the
05:30 checks verifying what was provisioned."""

from __future__ import annotations

import json
from datetime import date

import psycopg
import pytest

from delivery_window.checks.probes import run_check
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol
from delivery_window.provision.dashboard import load_dashboard
from delivery_window.provision.run import provision
from delivery_window.records import Status

pytestmark = pytest.mark.integration

P = get_protocol()
DAY = date(2026, 10, 9)
UID = load_dashboard(P)["uid"]


@pytest.fixture(scope="module")
def sb(wired_sandbox, db_url):
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        conn.commit()
    with wired_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def fresh(sb, db_url):
    sb.set_scenario("healthy")
    sb.clear()  # Grafana and Datadog forget what was saved: back to the hand-made dashboard and six monitors
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM delivery_ops.provisioned_objects")
    yield
    # provisioned_objects is configuration, not a day's rows: what a test provisioned would make every later
    # test's check_datadog_monitors look for monitors its own sandbox never saw
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM delivery_ops.provisioned_objects")


def writes(sb, service):
    return [(r["method"], r["path"].split("/", 2)[2]) for r in sb.requests(service) if r["method"] != "GET"]


def rows(db_url):
    with psycopg.connect(db_url) as conn:
        cur = conn.execute(
            "SELECT system, object_key, remote_id, version, last_action, spec FROM delivery_ops.provisioned_objects"
            " ORDER BY system, object_key"
        )
        return {(r[0], r[1]): r[2:] for r in cur.fetchall()}


def test_provision_twice_creates_then_changes_nothing(sb, db_url):
    first = provision(P)
    assert first.ok, first.errors
    # Grafana: the hand-made dashboard (version 7) overwritten by uid -> version 8, recorded
    saves = [r for r in sb.requests("grafana") if r["method"] == "POST"]
    assert [r["path"] for r in saves] == ["/grafana/api/dashboards/db"]
    body = saves[0]["json"]
    assert body["overwrite"] is True and body["dashboard"]["uid"] == UID and body["dashboard"]["id"] is None
    assert body["dashboard"]["refresh"] == f"{P.monitor.dashboard_refresh_seconds}s"
    # Datadog: one POST per alert threshold, each body as Datadog takes it
    creates = [r["json"] for r in sb.requests("datadog") if r["method"] == "POST"]
    assert [c["name"] for c in creates] == [
        f"[delivery-window] {r}" for r in P.provisioning.datadog_threshold_rules
    ]
    failure = creates[0]
    at = P.alert_thresholds
    assert failure["options"]["thresholds"]["critical"] == at.failure_rate_max_pct
    assert failure["query"].endswith(f"> {at.failure_rate_max_pct:g}")
    assert f"last_{at.failure_rate_window_minutes}m" in failure["query"]
    assert "@" not in failure["message"]  # notifies nobody: pages are the DAG's
    recorded = rows(db_url)
    assert recorded[("grafana_dashboard", UID)][1:3] == (8, "update")
    assert {k[1]: v[2] for k, v in recorded.items() if k[0] == "datadog_monitor"} == {
        r: "create" for r in P.provisioning.datadog_threshold_rules
    }

    before = len(writes(sb, "grafana")) + len(writes(sb, "datadog"))
    second = provision(P)
    assert second.ok, second.errors
    assert len(writes(sb, "grafana")) + len(writes(sb, "datadog")) == before  # no write at all
    again = rows(db_url)
    assert {v[2] for v in again.values()} == {"unchanged"}
    assert again[("grafana_dashboard", UID)][1] == 8
    assert {k: v[0] for k, v in again.items()} == {k: v[0] for k, v in recorded.items()}  # same ids


def test_drift_in_either_system_is_put_back(sb, db_url):
    assert provision(P).ok
    monitor_id = rows(db_url)[("datadog_monitor", "advisor_failures_1m")][0]
    # someone edits the dashboard in Grafana and loosens a monitor's threshold
    import http.client

    host, port = sb.url.removeprefix("http://").split(":")

    def call(method, path, body, headers):
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request(method, path, json.dumps(body), headers | {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.read()
        resp.read()

    call(
        "POST",
        "/grafana/api/dashboards/db",
        {"dashboard": {"uid": UID, "title": "edited by hand", "panels": []}, "overwrite": True},
        {"Authorization": "Bearer x"},
    )
    call(
        "PUT",
        f"/datadog/api/v1/monitor/{monitor_id}",
        {
            "query": "max(last_1m):max:delivery_window.advisor_failures_max{*} > 50",
            "options": {"thresholds": {"critical": 50}},
        },
        {"DD-API-KEY": "k", "DD-APPLICATION-KEY": "a"},
    )
    result = provision(P)
    assert result.ok, result.errors
    after = rows(db_url)
    assert after[("grafana_dashboard", UID)][1:3] == (10, "update")  # 8 provisioned, 9 by hand, 10 put back
    assert "edited in Grafana" in after[("grafana_dashboard", UID)][3]["reason"]
    monitor = after[("datadog_monitor", "advisor_failures_1m")]
    assert monitor[0] == monitor_id and monitor[2] == "update"
    assert "options.thresholds.critical" in monitor[3]["changed"] and "query" in monitor[3]["changed"]
    assert any(r["method"] == "PUT" and r["path"].endswith(f"/{monitor_id}") for r in sb.requests("datadog"))


def test_the_0530_checks_verify_what_was_provisioned(sb, db_url):
    # before any provision run: the checks judge as before (nothing provisioned to verify)
    assert run_check("check_grafana_dashboard", DAY, P).status is Status.PASS
    assert provision(P).ok
    grafana = run_check("check_grafana_dashboard", DAY, P)
    assert grafana.status is Status.PASS and "provisioned version 8" in grafana.message, grafana.message
    datadog = run_check("check_datadog_monitors", DAY, P)
    assert datadog.status is Status.PASS and "3 provisioned" in datadog.message, datadog.message
    # Grafana edited by hand after provisioning: a warning naming both versions
    sb._state.grafana_dashboards[UID]["dashboard"]["version"] = 9
    drifted = run_check("check_grafana_dashboard", DAY, P)
    assert drifted.status is Status.WARN
    assert (
        drifted.message
        == f"dashboard {UID!r} is at version 9, provisioned version 8 (edited in Grafana since)"
    )
    # a provisioned monitor deleted in Datadog: the check fails naming it
    monitor_id = int(rows(db_url)[("datadog_monitor", "failure_rate_2m")][0])
    del sb._state.datadog_monitors[monitor_id]
    gone = run_check("check_datadog_monitors", DAY, P)
    assert gone.status is Status.FAIL
    assert gone.message == "provisioned monitors missing: [delivery-window] failure_rate_2m"


def test_a_failing_service_is_one_precise_error_and_the_other_is_still_provisioned(sb, db_url):
    sb.set_faults({"grafana": "http_503"})
    result = provision(P)
    assert result.errors == ["grafana: HTTP 503: Service Unavailable"]
    assert {k[0] for k in rows(db_url)} == {"datadog_monitor"}


def test_the_command_provisions_then_finds_nothing_to_do_and_fails_in_one_line(sb, db_url, capsys):
    from delivery_window.cli import main

    assert main(["provision", "--db-url", db_url, "--sandbox", sb.url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"grafana dashboard {UID}: update, version 8 (never provisioned by this package)"
    assert out[1:] == [
        "datadog monitor [delivery-window] failure_rate_2m: create, id 7002001",
        "datadog monitor [delivery-window] advisor_failures_1m: create, id 7002002",
        "datadog monitor [delivery-window] latency_vs_baseline: create, id 7002003",
    ]
    assert main(["provision", "--db-url", db_url, "--sandbox", sb.url]) == 0
    again = capsys.readouterr().out.splitlines()
    assert again[0] == f"grafana dashboard {UID}: unchanged, version 8 (version 8 is the provisioned one)"
    assert all(
        line.endswith(("unchanged, id 7002001", "unchanged, id 7002002", "unchanged, id 7002003"))
        for line in again[1:]
    )

    sb.set_faults({"datadog": "token_expired"})
    assert main(["provision", "--db-url", db_url, "--sandbox", sb.url]) == 2
    err = capsys.readouterr().err
    assert err == "delivery-window provision: error: datadog: HTTP 403: Forbidden\n"
