"""Monitoring as code in a whole day (issue 14): with ``provisioning.enabled_in_dag`` on, the DAG's
``pre_delivery.provision_monitoring`` saves the Grafana dashboard and creates the Datadog monitors of the alert
thresholds before the 05:30 checks, which then verify what was provisioned."""

from __future__ import annotations

from datetime import date

import pytest

from delivery_window.protocol import DEFAULT_PROTOCOL_PATH, PROTOCOL_ENV_VAR, get_protocol

DAY = date(2026, 7, 23)  # used by no other test (the fault suite has 2026-07-14)


@pytest.fixture
def provisioning_on(tmp_path, monkeypatch):
    text = DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8")
    assert "  enabled_in_dag: false" in text
    path = tmp_path / "protocol.yaml"
    path.write_text(text.replace("  enabled_in_dag: false", "  enabled_in_dag: true"), encoding="utf-8")
    monkeypatch.setenv(PROTOCOL_ENV_VAR, str(path))
    get_protocol.cache_clear()
    assert get_protocol().provisioning.enabled_in_dag
    yield
    monkeypatch.delenv(PROTOCOL_ENV_VAR)
    get_protocol.cache_clear()


@pytest.fixture
def forget_provisioning(db_url):
    """Provisioned objects are configuration shared by every day: later tests' sandboxes never saw them."""
    yield
    import psycopg

    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM delivery_ops.provisioned_objects")


def test_the_day_provisions_before_its_checks_verify_it(run_day, provisioning_on, forget_provisioning):
    run = run_day("healthy", DAY)
    assert run.state == "success"
    writes = [
        (r["method"], r["path"]) for r in run.sandbox.requests() if r["service"] in ("grafana", "datadog")
    ]
    writes = [w for w in writes if w[0] in ("POST", "PUT") and not w[1].endswith("/api/v2/series")]
    assert writes == [("POST", "/grafana/api/dashboards/db")] + [("POST", "/datadog/api/v1/monitor")] * 3
    names = [
        r["json"]["name"]
        for r in run.sandbox.requests("datadog")
        if r["path"] == "/datadog/api/v1/monitor" and r["method"] == "POST"
    ]
    assert names == [f"[delivery-window] {r}" for r in get_protocol().provisioning.datadog_threshold_rules]
    recorded = run.rows(
        "SELECT system, object_key, version, last_action FROM delivery_ops.provisioned_objects ORDER BY 1, 2"
    )
    assert recorded == [
        ("datadog_monitor", "advisor_failures_1m", None, "create"),
        ("datadog_monitor", "failure_rate_2m", None, "create"),
        ("datadog_monitor", "latency_vs_baseline", None, "create"),
        ("grafana_dashboard", "delivery-window", 8, "update"),
    ]
    checks = dict(run.table("check_results", "check_name, message"))
    assert checks["check_grafana_dashboard"].endswith("provisioned version 8")
    assert checks["check_datadog_monitors"] == (
        "6 monitors configured and active, 3 provisioned as protocol.yaml says"
    )
    # provisioning ran before both checks it feeds
    tis = {ti.task_id: ti for ti in run.dag_run.get_task_instances()}
    done = tis["pre_delivery.provision_monitoring"].end_date
    for check in ("check_grafana_dashboard", "check_datadog_monitors"):
        assert tis[f"pre_delivery.monitoring.{check}"].start_date >= done
