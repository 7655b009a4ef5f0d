"""A whole simulated day through the real DAG with dag.test(), against the sandbox and real PostgreSQL."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

HEALTHY_DAY = date(2026, 11, 2)
OUTAGE_DAY = date(2026, 11, 3)


def run_scenario(run_day, scenario: str, day: date):
    r = run_day(scenario, day)
    return r.dag_run, r.sandbox


def one(db_url: str, sql: str, *params):
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, params).fetchone()


def all_rows(db_url: str, sql: str, *params):
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def healthy(run_day):
    return run_scenario(run_day, "healthy", HEALTHY_DAY)


@pytest.fixture(scope="module")
def outage(run_day):
    return run_scenario(run_day, "whatsapp_outage", OUTAGE_DAY)


def test_healthy_day_meets_sla_quietly(db_url, healthy):
    dag_run, sandbox = healthy
    assert str(dag_run.state) == "success"
    sla_pct, sla_met, segments = one(
        db_url,
        "SELECT sla_pct, sla_met, segments_processed FROM delivery_ops.window_runs WHERE delivery_date=%s",
        HEALTHY_DAY,
    )
    assert sla_met is True and float(sla_pct) >= 99.5 and segments == 4
    assert all_rows(db_url, "SELECT rule FROM delivery_ops.alerts WHERE delivery_date=%s", HEALTHY_DAY) == []
    assert one(
        db_url,
        "SELECT choice FROM delivery_ops.decisions WHERE delivery_date=%s AND decision_point='choose_runbook'",
        HEALTHY_DAY,
    )[0] == ("no_incident")
    assert sandbox.requests("pagerduty") == []
    posts = sandbox.requests("slack")
    # only #delivery-ops: the monitor's status lines (opened, each minute, closed: 8) and the daily summary
    assert len(posts) == 9 and all("delivery-ops" in p["path"] for p in posts)
    checks = dict(
        all_rows(
            db_url,
            "SELECT check_name, status FROM delivery_ops.check_results WHERE delivery_date=%s",
            HEALTHY_DAY,
        )
    )
    assert checks["check_database_pool"] == "pass"
    assert checks["check_templates_approved"] == "pass"
    assert checks["check_sender_quality"] == "pass"
    ticks = one(
        db_url,
        "SELECT count(*) FROM delivery_ops.metric_ticks WHERE delivery_date=%s AND scope='overall'",
        HEALTHY_DAY,
    )[0]
    assert ticks > 30
    report = one(
        db_url, "SELECT report_text FROM delivery_ops.daily_reports WHERE delivery_date=%s", HEALTHY_DAY
    )[0]
    assert "MET" in report


def test_outage_misses_sla_pages_and_runs_delivery_failure(db_url, outage):
    dag_run, sandbox = outage
    assert str(dag_run.state) == "failed"  # the runbook is measured not met: the API stays down
    sla_pct, sla_met = one(
        db_url, "SELECT sla_pct, sla_met FROM delivery_ops.window_runs WHERE delivery_date=%s", OUTAGE_DAY
    )
    assert sla_met is False and float(sla_pct) < 99
    rules = {
        r[0]
        for r in all_rows(db_url, "SELECT rule FROM delivery_ops.alerts WHERE delivery_date=%s", OUTAGE_DAY)
    }
    assert {"whatsapp_api_unavailable", "failure_rate_2m"} <= rules
    assert one(
        db_url,
        "SELECT choice FROM delivery_ops.decisions WHERE delivery_date=%s AND decision_point='choose_runbook'",
        OUTAGE_DAY,
    )[0] == ("delivery_failure")
    pages = sandbox.requests("pagerduty")
    keys = {p["json"]["dedup_key"] for p in pages}
    incident = f"delivery_window:{OUTAGE_DAY}:delivery_failure"
    assert incident in keys  # one PagerDuty incident for the outage, not one per rule and scope
    assert not [k for k in keys if k.endswith(":overall")]
    assert all(p["status"] == 202 for p in pages)
    resolves = {p["json"]["dedup_key"] for p in pages if p["json"]["event_action"] == "resolve"}
    new = [
        a
        for p in pages
        if p["json"]["dedup_key"] == incident and p["json"]["event_action"] == "trigger"
        for a in p["json"]["payload"]["custom_details"]["new"]
    ]
    assert new and len(new) == len(set(new))  # each alert reported once, in the incident's PagerDuty log
    assert not resolves  # nothing resolves: the criterion was measured not met
    war_room = [r for r in sandbox.requests("slack") if "war-room" in r["path"]]
    assert 1 <= len(war_room) < len(rules) and all(r["status"] == 200 for r in war_room)  # grouped per tick
    steps = dict(
        all_rows(
            db_url, "SELECT step, outcome FROM delivery_ops.runbook_runs WHERE delivery_date=%s", OUTAGE_DAY
        )
    )
    assert steps["requeue_failed_deliveries"] == "succeeded"
    requeues = [r for r in sandbox.requests("delivery") if r["path"].endswith("/requeue")]
    assert len(requeues) == 1 and requeues[0]["json"]["advisor_ids"]


def test_no_unmasked_phone_number_leaves_in_a_message(outage):
    import json
    import re

    _, sandbox = outage
    # Indian numbers as advisors, contacts and sender numbers are written: +91 9876543210, +91-98765-43210, 919876543210
    phone = re.compile(r"(?<![\w.])(?:\+91[\s-]?\d(?:[\s-]?\d){9}|91\d{10})(?!\d)")
    sent = [
        json.dumps(r.get("json") or r.get("body"))
        for s in ("slack", "pagerduty")
        for r in sandbox.requests(s)
    ]
    assert sent
    leaks = [m for text in sent for m in phone.findall(text) if len(re.sub(r"\D", "", m)) >= 10]
    assert leaks == []


def test_the_days_asset_events_say_which_day_and_copy_and_the_run_note_its_outcome(healthy):
    """The data team's DAGs scheduled on the report tables learn the day, whether it is the record, and the SLA;
    the grid's note (ui/run_notes.py, written by the plugin's listener in dag.test() too) says the same."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_run, _ = healthy
    with create_session() as session:
        events = {
            name: extra
            for name, extra in session.execute(
                select(AssetModel.name, AssetEvent.extra)
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .where(AssetEvent.source_run_id == dag_run.run_id)
            )
        }
        note = session.scalar(select(DagRun).where(DagRun.run_id == dag_run.run_id)).note
    assert set(events) == {f"delivery_ops.{t}" for t in ("window_runs", "advisor_issues", "dq_results",
                                                          "daily_reports", "handoff_log")}  # fmt: skip
    sla = events["delivery_ops.window_runs"]
    assert (
        sla["delivery_date"] == HEALTHY_DAY.isoformat() and sla["record"] is True and sla["sla_met"] is True
    )
    assert all(e["schema"] == "delivery_ops" for e in events.values())
    assert note == f"Delivery date {HEALTHY_DAY} · record · SLA {float(sla['sla_pct']):.2f} % MET · 0 alerts"
