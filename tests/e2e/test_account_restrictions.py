"""Issue 14: a WhatsApp account that cannot send is detected and escalated, through the real DAG and the sandbox.

The ``waba_blocked`` day (2026-05-14, this file's own date): Meta reports the WABA's ``health_status`` BLOCKED
(error 141006, payment method), so every sender number's ``can_send_message`` is BLOCKED too. The 05:30 check
sees it first: the business matrix row ``whatsapp_account_suspended`` opens its incident, pages the CTO and posts
to #executive-alerts for the CTO and the CEO at once, and plans the emergency business-continuity meeting 30 min
later; every later look (05:45, 06:05) finds the same and sends nothing again.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery_window import runtime
from delivery_window.connections import sandbox_connections
from delivery_window.paths import ROOT
from delivery_window.sandbox.server import Sandbox

pytestmark = pytest.mark.e2e
DAY = date(2026, 5, 14)
LATER_DAY = date(2026, 5, 15)  # only the 05:30/05:45 phase runs: the follow-up DAG sends the later step
IST = ZoneInfo("Asia/Kolkata")
INCIDENT = f"{DAY}:whatsapp_account_suspended"
OPENED = datetime(2026, 5, 14, 5, 30, tzinfo=IST)  # the 05:30 check's protocol instant (a past day's record)


@pytest.fixture(scope="module")
def blocked(run_day):
    return run_day("waba_blocked", DAY)


@pytest.fixture(scope="module")
def follow_up(db_url, airflow_db):
    """``follow_up(day, as_of)`` → the sandbox of one run of the follow-up DAG (delivery_window_escalations)."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).dags["delivery_window_escalations"]

    def run(day: date, as_of: datetime):
        sandbox = Sandbox(scenario="waba_blocked").start()
        runtime.set_connections(
            sandbox_connections(sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        try:
            dag_run = dag.test(run_conf={"delivery_date": day.isoformat(), "as_of": as_of.isoformat()})
        finally:
            sandbox.stop()
        assert str(dag_run.state) == "success"
        return sandbox

    return run


def _triggers(sandbox, incident: str) -> set[str]:
    return {
        p["json"]["dedup_key"]
        for p in sandbox.requests("pagerduty")
        if incident in p["json"]["dedup_key"] and p["json"]["event_action"] == "trigger"
    }


def test_a_blocked_waba_opens_the_account_suspended_incident_with_its_runbook(blocked):
    assert blocked.state == "success"
    kind, severity, status, opened, timeline = blocked.one(
        "SELECT kind, severity, status, opened_at, timeline FROM delivery_ops.incidents WHERE incident_id=%s",
        INCIDENT,
    )
    assert (kind, severity, status, opened) == ("business", "critical", "open", OPENED)
    event = next(e for e in timeline if e["step"] == "event:account_suspended")
    assert event["details"]["source"] == "check_whatsapp_rate_limits"
    assert "WABA health_status BLOCKED" in event["details"]["reasons"]
    assert any("141006 There is an error with the payment method" in r for r in event["details"]["reasons"])
    runbook = [e for e in timeline if e["step"] == "runbook_doc"]
    assert [e["doc"] for e in runbook] == ["include/runbooks/whatsapp_account_suspended.md"]
    # every look of the day saw it, each recorded once (05:30, both 05:45 probes, 06:05)
    looks = blocked.rows(
        "SELECT source, verdict FROM delivery_ops.account_observations WHERE delivery_date=%s ORDER BY 1", DAY
    )
    assert looks == [
        ("check_number_shards", "account_suspended"),
        ("check_sender_quality", "none"),  # quality and status alone look healthy: GREEN, CONNECTED
        ("check_whatsapp_rate_limits", "account_suspended"),
        ("checkpoint_0605", "account_suspended"),
    ]


def test_cto_and_ceo_at_once_and_the_continuity_meeting_at_30_minutes(blocked):
    rows = blocked.rows(
        "SELECT source, target, channel, action, due_at, status FROM delivery_ops.escalations "
        "WHERE incident_id=%s ORDER BY due_at, source, target, channel",
        INCIDENT,
    )
    now = {(t, c) for s, t, c, a, d, st in rows if s.endswith(":0") and d == OPENED and st == "sent"}
    assert now == {
        ("cto", "pagerduty"),
        ("cto", "slack:#executive-alerts"),
        ("ceo", "slack:#executive-alerts"),
    }
    meeting = [(t, c, d) for s, t, c, a, d, _ in rows if a == "emergency_business_continuity_meeting"]
    assert {t for t, _, _ in meeting} == {"cto", "ceo"}
    assert {d for _, _, d in meeting} == {OPENED + timedelta(minutes=30)}
    assert len(rows) == len({(s, t, c) for s, t, c, *_ in rows})  # every look after the first added nothing

    # what the sandbox received: one PagerDuty page for the CTO, #executive-alerts posts naming both
    pages = [p["json"] for p in blocked.sandbox.requests("pagerduty") if INCIDENT in p["json"]["dedup_key"]]
    triggers = [p for p in pages if p["event_action"] == "trigger"]
    assert {p["dedup_key"] for p in triggers} == {
        f"delivery_window:{INCIDENT}:business:whatsapp_account_suspended:0:cto",
        f"delivery_window:{INCIDENT}:business:whatsapp_account_suspended:1:cto",
    }
    posts = [
        json.dumps(r["json"]) for r in blocked.sandbox.requests("slack") if INCIDENT in json.dumps(r["json"])
    ]
    assert any("CTO" in p for p in posts) and any("CEO" in p for p in posts)
    assert any("emergency_business_continuity_meeting" in p or "continuity" in p for p in posts)


def test_the_report_says_what_whatsapp_said_of_the_account(blocked):
    (markdown,) = blocked.one(
        "SELECT report_markdown FROM delivery_ops.daily_reports WHERE delivery_date=%s", DAY
    )
    section = markdown.split("## WhatsApp account", 1)[1]
    assert "account_suspended first seen at 05:30:00 IST by check_whatsapp_rate_limits" in section
    assert f"incident {INCIDENT} open (opened 05:30:00 IST)" in section
    assert "runbook include/runbooks/whatsapp_account_suspended.md" in section
    assert "ceo emergency_business_continuity_meeting 06:00:00 IST" in section
    # requirement 5: no earlier day in this database, so latency_vs_baseline judged against protocol.yaml's
    assert (
        "> **Latency baseline:** latency_vs_baseline judged against the protocol.yaml default baseline 1000 ms: "
        "0 earlier days of the 3 needed." in markdown
    )


def test_the_follow_up_dag_sends_the_continuity_meeting_when_due_and_nothing_twice(run_day, follow_up):
    day = run_day("waba_blocked", LATER_DAY, conf={"phases": ["pre_delivery"]})
    incident = f"{LATER_DAY}:whatsapp_account_suspended"
    opened = datetime(2026, 5, 15, 5, 30, tzinfo=IST)
    step = f"delivery_window:{incident}:business:whatsapp_account_suspended"
    assert _triggers(day.sandbox, incident) == {f"{step}:0:cto"}  # at once, from the 05:30 check
    sql = (
        "SELECT target, channel, status FROM delivery_ops.escalations WHERE incident_id=%s AND action=%s "
        "ORDER BY target, channel"
    )
    ways = [("ceo", "slack:#executive-alerts"), ("cto", "pagerduty"), ("cto", "slack:#executive-alerts")]
    meeting = "emergency_business_continuity_meeting"
    assert day.rows(sql, incident, meeting) == [(*w, "pending") for w in ways]  # planned, not due yet
    assert _triggers(follow_up(LATER_DAY, opened + timedelta(minutes=29)), incident) == set()
    assert _triggers(follow_up(LATER_DAY, opened + timedelta(minutes=31)), incident) == {f"{step}:1:cto"}
    assert day.rows(sql, incident, meeting) == [(*w, "sent") for w in ways]
    assert _triggers(follow_up(LATER_DAY, opened + timedelta(hours=2)), incident) == set()  # nothing twice
    assert day.one("SELECT status FROM delivery_ops.incidents WHERE incident_id=%s", incident) == ("open",)
