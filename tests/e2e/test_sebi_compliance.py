"""Issue 14, SEBI content compliance: the ``sebi_violation`` day through the real DAG (dag.test()) and the sandbox,
then the follow-up DAG "later" with an explicit ``as_of``, ``compliance notified``, and the follow-up again.

Date 2026-04-14 (no other test uses it). Segment 2's brief promises guaranteed, risk-free returns: the 05:30
screen opens the compliance incident, legal counsel and compliance officer are told at once (CTO paged: chain
level 4), the CEO at +15 min, external legal at +1 h; the 24 h SEBI deadline is reminded before and escalated
overdue after it until the filing is recorded, and nothing regulatory goes out after that.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery_window import cli, runtime
from delivery_window.connections import sandbox_connections
from delivery_window.escalation import engine
from delivery_window.paths import ROOT
from delivery_window.protocol import get_protocol
from delivery_window.sandbox.server import Sandbox

P = get_protocol()
DAY = date(2026, 4, 14)
IST = ZoneInfo("Asia/Kolkata")
INCIDENT = f"{DAY}:compliance_sebi_violation"
ROW = "business:compliance_sebi_violation"
DETECTED = datetime(2026, 4, 14, 5, 30, tzinfo=IST)  # the 05:30 screen's protocol instant (a past day)
DEADLINE = DETECTED + timedelta(
    minutes=P.external_communication.regulatory_notifications.compliance_incidents.sebi_notification_within_minutes
)
EVERY = timedelta(minutes=P.incident_automation.regulatory_overdue_repeat_minutes)
M, S = timedelta(minutes=1), timedelta(seconds=1)


@pytest.fixture(scope="module")
def day(run_day, db_url):
    yield run_day("sebi_violation", DAY)
    import psycopg

    with psycopg.connect(db_url) as conn:  # the database is shared: no open incident left in other handoffs
        for (incident,) in conn.execute(
            "SELECT incident_id FROM delivery_ops.incidents WHERE delivery_date=%s AND status='open'", (DAY,)
        ).fetchall():
            engine.resolve(conn, incident, DETECTED + timedelta(days=2), "test teardown")
        conn.commit()


@pytest.fixture(scope="module")
def follow_up(db_url, airflow_db):
    """``follow_up(as_of)`` → the Sandbox of one run of the follow-up DAG for DAY, judged at ``as_of``."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).dags["delivery_window_escalations"]

    def run(as_of: datetime):
        sandbox = Sandbox(scenario="sebi_violation").start()
        runtime.set_connections(
            sandbox_connections(sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        try:
            dag_run = dag.test(run_conf={"delivery_date": DAY.isoformat(), "as_of": as_of.isoformat()})
        finally:
            sandbox.stop()
        assert str(dag_run.state) == "success"
        return sandbox

    return run


def ledger(day) -> dict[str, tuple]:
    """source:target -> (status, due_at, channel) of the incident's ledger rows (one per channel: the last wins)."""
    rows = day.rows(
        "SELECT source, target, status, due_at, channel FROM delivery_ops.escalations WHERE incident_id = %s "
        "ORDER BY channel",
        INCIDENT,
    )
    return {f"{s}:{t}": (st, d, c) for s, t, st, d, c in rows}


def statuses(day, prefix: str) -> dict[str, str]:
    rows = day.rows(
        "SELECT source || ':' || target || ':' || channel, status FROM delivery_ops.escalations "
        "WHERE incident_id = %s AND source LIKE %s",
        INCIDENT,
        prefix + "%",
    )
    return dict(rows)


def slack_texts(sandbox) -> list[str]:
    return [json.dumps(r["json"]) for r in sandbox.requests("slack")]


def test_the_screen_opens_the_compliance_incident_and_tells_legal_and_compliance_at_once(day):
    assert day.state == "success"  # a compliance incident fails no task: the day goes on to its report
    status, message = day.one(
        "SELECT status, message FROM delivery_ops.check_results WHERE delivery_date=%s AND "
        "check_name='screen_content_compliance'",
        DAY,
    )
    assert status == "fail" and "20260414-s2-brief (R5, R6)" in message
    kind, severity, inc_status, opened_at, timeline = day.one(
        "SELECT kind, severity, status, opened_at, timeline FROM delivery_ops.incidents WHERE incident_id=%s",
        INCIDENT,
    )
    assert (kind, severity, inc_status, opened_at) == ("business", "critical", "open", DETECTED)
    steps = {e["step"]: e for e in timeline}
    assert steps["event:sebi_violation_detected"]["details"]["violations"][0]["rule_ids"] == ["R5", "R6"]
    assert datetime.fromisoformat(steps["regulatory_deadline"]["due_at"]) == DEADLINE

    rows = ledger(day)
    for who in ("legal_counsel", "compliance_officer"):  # immediate, sent inside the run
        assert rows[f"{ROW}:0:{who}"][:2] == ("sent", DETECTED)
    # due at +15 min and +1 h; in this replayed morning the 06:05 checkpoint's reconcile already sends the CEO's
    # (live, the follow-up DAG sends it at 05:45)
    assert rows[f"{ROW}:1:ceo"][1] == DETECTED + 15 * M  # within 15 minutes
    assert rows[f"{ROW}:2:external_legal"][1] == DETECTED + 60 * M  # within 1 hour
    assert rows["chain:level_4_executive:cto"][:2] == ("sent", DETECTED)  # level 4: compliance incident
    triggers = [
        r["json"] for r in day.sandbox.requests("pagerduty") if r["json"]["event_action"] == "trigger"
    ]
    assert any(":chain:level_4_executive:cto" in t["dedup_key"] for t in triggers)
    posted = " ".join(slack_texts(day.sandbox))
    assert "Legal Counsel" in posted and "Compliance Officer" in posted
    assert rows["regulatory:reminder_240m:compliance_officer"][:2] == ("pending", DEADLINE - 240 * M)


def test_the_documents_say_which_advisors_received_the_flagged_content(day):
    docs = dict(day.rows(
        "SELECT document, content_md FROM delivery_ops.compliance_documents WHERE incident_id=%s", INCIDENT
    ))  # fmt: skip
    assert set(docs) == {"incident_report", "remediation_plan"}
    (delivered,) = day.one(
        "SELECT count(DISTINCT advisor_id) FROM platform.delivery_attempts WHERE delivery_date=%s AND segment=2 "
        "AND status IN ('delivered', 'read')",
        DAY,
    )
    assert delivered > 400
    assert f"delivered to **{delivered} advisors**" in docs["incident_report"]
    assert "| legal_counsel | slack:#executive-alerts |" in docs["incident_report"]  # actions taken
    assert "Withdraw `20260414-s2-brief`" in docs["remediation_plan"]
    (summary,) = day.one("SELECT summary FROM delivery_ops.daily_reports WHERE delivery_date=%s", DAY)
    fix_now = summary["findings"]["immediate_fix_required"]
    assert any(f["source"] == "check:screen_content_compliance" for f in fix_now)
    assert any(f["source"] == f"incident:{INCIDENT}" for f in fix_now)


def test_later_steps_reminders_overdue_then_no_reminder_after_compliance_notified(day, follow_up, capsys):
    follow_up(DETECTED + 70 * M)  # 06:40: the CEO (+15 min) and external legal (+1 h)
    rows = ledger(day)
    assert rows[f"{ROW}:1:ceo"][0] == rows[f"{ROW}:2:external_legal"][0] == "sent"

    sb = follow_up(DEADLINE - 200 * M)  # 4 h before the deadline: the first reminder
    assert ledger(day)["regulatory:reminder_240m:legal_counsel"][0] == "sent"
    assert any("SEBI notification due by 2026-04-15 05:30 IST" in t for t in slack_texts(sb))
    assert ledger(day)["regulatory:overdue_1:ceo"][0] == "pending"

    sb = follow_up(DEADLINE + EVERY + 5 * M)  # the deadline passed unfiled: overdue, and again an hour later
    rows = ledger(day)
    assert rows["regulatory:reminder_60m:compliance_officer"][0] == "sent"
    for target in P.incident_automation.regulatory_overdue_targets:
        assert rows[f"regulatory:overdue_1:{target}"][:2] == ("sent", DEADLINE + S)
        assert rows[f"regulatory:overdue_2:{target}"][:2] == ("sent", DEADLINE + S + EVERY)
        assert rows[f"regulatory:overdue_3:{target}"][0] == "pending"
    assert sum("passed with no filing recorded" in t for t in slack_texts(sb)) >= 2

    assert cli.main(["compliance", "notified", "--db-url", day.db_url, "--incident", f"{DAY}:nope",
                     "--reference", "x", "--by", "y"]) == 2  # fmt: skip
    assert capsys.readouterr().err.count("\n") == 1
    filed = (DEADLINE + EVERY + 30 * M).astimezone(IST).replace(tzinfo=None).isoformat()
    assert cli.main(["compliance", "notified", "--db-url", day.db_url, "--incident", INCIDENT,
                     "--reference", "SEBI/IA/2026/0415-17", "--by", "Meera (compliance officer)",
                     "--at", filed]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"{len(P.incident_automation.regulatory_overdue_targets)} reminder(s) cancelled" in out
    (timeline,) = day.one("SELECT timeline FROM delivery_ops.incidents WHERE incident_id=%s", INCIDENT)
    closed = next(e for e in timeline if e["step"] == "regulatory_closed")
    assert (closed["reference"], closed["outcome"]) == ("SEBI/IA/2026/0415-17", "filed")

    sb = follow_up(DEADLINE + 6 * EVERY)  # hours later: nothing regulatory is sent any more
    assert not [t for t in slack_texts(sb) if "SEBI" in t or "regulatory" in t.lower()]
    overdue = statuses(day, "regulatory:overdue_")
    assert {k: v for k, v in overdue.items() if k.startswith("regulatory:overdue_3:")} and all(
        v == "cancelled" for k, v in overdue.items() if k.startswith("regulatory:overdue_3:")
    )
    assert not [k for k in overdue if k.startswith("regulatory:overdue_4:")]
    (report,) = day.one(
        "SELECT content_md FROM delivery_ops.compliance_documents WHERE incident_id=%s AND document='incident_report'",
        INCIDENT,
    )
    assert "reference `SEBI/IA/2026/0415-17`" in report
