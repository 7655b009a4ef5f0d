"""Remediation runbooks and the escalation engine, whole days through the real DAGs (dag.test()) and the sandbox.

Dates 2026-09-01 … 2026-09-04 (issue 5's range). Each scenario day runs once (module-scoped fixtures); the
follow-up DAG (``delivery_window_escalations``) is then run "later" with an explicit ``as_of``.
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
from delivery_window.sandbox.scenario_sets.escalation import (
    QUALITY_DROP_NUMBER,
    SLA88_RED_NUMBER,
)
from delivery_window.sandbox.server import Sandbox

OUTAGE_DAY = date(2026, 9, 1)
QUALITY_DAY = date(2026, 9, 2)
SLA88_DAY = date(2026, 9, 3)
SLACK_DOWN_DAY = date(2026, 9, 4)
IST = ZoneInfo("Asia/Kolkata")
REMEDIATION = "delivery.remediation"


@pytest.fixture(scope="module", autouse=True)
def close_our_incidents(db_url):
    """The test database is shared: leave no open incident of these dates in other tests' handoffs."""
    yield
    import psycopg

    from delivery_window.escalation import engine

    with psycopg.connect(db_url) as conn:
        for day in (OUTAGE_DAY, QUALITY_DAY, SLA88_DAY, SLACK_DOWN_DAY):
            for row in conn.execute(
                "SELECT incident_id FROM delivery_ops.incidents WHERE delivery_date=%s AND status='open'",
                (day,),
            ).fetchall():
                engine.resolve(conn, row[0], ist(day, "23:59"), "test teardown")
        conn.commit()


def ist(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), IST)


@pytest.fixture(scope="module")
def follow_up(db_url, airflow_db):
    """``follow_up(scenario, day, as_of, faults=None)`` → (DagRun, Sandbox): one run of the follow-up DAG."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).dags["delivery_window_escalations"]

    def run(scenario: str, day: date, as_of: datetime, faults: dict | None = None):
        sandbox = Sandbox(scenario=scenario, faults=faults).start()
        runtime.set_connections(
            sandbox_connections(sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        try:
            dag_run = dag.test(run_conf={"delivery_date": day.isoformat(), "as_of": as_of.isoformat()})
        finally:
            sandbox.stop()
        return dag_run, sandbox

    return run


def ledger(r, day: date) -> dict[str, tuple]:
    """dedup_key -> (source, target, channel, status, due_at) of the day's ledger."""
    rows = r.rows(
        "SELECT dedup_key, source, target, channel, status, due_at FROM delivery_ops.escalations "
        "WHERE delivery_date = %s",
        day,
    )
    return {k: (s, t, c, st, d) for k, s, t, c, st, d in rows}


def delivery_posts(sandbox, suffix: str) -> list[dict]:
    """The POSTs the delivery service received whose path ends with ``suffix``, in order."""
    return [r for r in sandbox.requests("delivery") if r["method"] == "POST" and r["path"].endswith(suffix)]


def messages(sandbox) -> dict[str, list]:
    """What the sandbox received that is a message: PagerDuty events, Slack posts, status pages, advisor notices."""
    delivery = sandbox.requests("delivery")
    return {
        "pagerduty": sandbox.requests("pagerduty"),
        "slack": sandbox.requests("slack"),
        "status_page": [r for r in delivery if r["path"].endswith("/status-page/updates")],
        "advisors": [r for r in delivery if r["path"].endswith("/advisor-notifications")],
    }


# --- whatsapp_outage: delivery_failure runs and verifies its criterion; a rerun sends nothing new --------------
@pytest.fixture(scope="module")
def outage(run_day):
    return run_day("whatsapp_outage", OUTAGE_DAY)


def test_outage_runs_delivery_failure_as_a_taskgroup_and_verifies_its_criterion(outage):
    assert outage.state == "success"
    steps = dict(
        outage.rows(
            "SELECT step, outcome FROM delivery_ops.runbook_runs WHERE delivery_date=%s AND runbook=%s",
            OUTAGE_DAY,
            "delivery_failure",
        )
    )
    assert steps == {
        "assess_failure_scope": "succeeded",
        "requeue_failed_deliveries": "succeeded",
        "verify_delivery_restored": "succeeded",
    }
    ran = outage.rows(
        "SELECT DISTINCT runbook FROM delivery_ops.runbook_runs WHERE delivery_date=%s", OUTAGE_DAY
    )
    assert ran == [("delivery_failure",)]  # the runbooks chained after it in priority order were not chosen
    status, resolved_at, timeline = outage.one(
        "SELECT status, resolved_at, timeline FROM delivery_ops.incidents WHERE incident_id=%s",
        f"{OUTAGE_DAY}:delivery_failure",
    )
    assert status == "resolved"
    assert resolved_at == ist(OUTAGE_DAY, "06:07")  # replay: the monitor's close, the runbook's protocol time
    entries = {e["step"]: e for e in timeline}
    assert {"runbook_activated", "approval:requeue_failed_deliveries", "success_criterion_met"} <= set(
        entries
    )
    assert entries["approval:requeue_failed_deliveries"]["mode"] == "auto"  # dag.test() runs are manual
    assert entries["success_criterion_met"]["delivery_rate_pct"] > 98.0


def test_outage_pages_then_resolves_pagerduty_and_cancels_the_later_steps(outage):
    events = [p["json"] for p in outage.sandbox.requests("pagerduty")]
    triggers = {e["dedup_key"] for e in events if e["event_action"] == "trigger"}
    resolves = {e["dedup_key"] for e in events if e["event_action"] == "resolve"}
    incident = f"delivery_window:{OUTAGE_DAY}:delivery_failure"
    assert incident in triggers  # one PagerDuty incident for the outage: every alert under its key
    assert not {k for k in triggers if k.endswith(":overall")}  # no page per rule and scope any more
    assert resolves == {incident}  # resolved once its criterion held
    assert all(p["status"] == 202 for p in outage.sandbox.requests("pagerduty"))
    rows = ledger(outage, OUTAGE_DAY)
    by_source = {}
    for source, _target, _channel, status, _due in rows.values():
        by_source.setdefault(source, set()).add(status)
    assert by_source["chain:level_2_secondary_engineer"] == {"cancelled"}  # resolved at 06:07, L2 due 06:17
    assert by_source["advisor_delay:1"] == {"cancelled"}  # never delayed > 15 min
    assert by_source["status_page:internal:degraded"] == {"sent"}
    assert by_source["status_page:internal:resolved"] == {"sent"}
    assert by_source["pagerduty:resolve"] == {"sent"}
    pages = [r["json"] for r in messages(outage.sandbox)["status_page"]]
    assert [(p["page"], p["state"]) for p in pages] == [
        ("status.internal.projectone.ai", "degraded"),
        ("status.internal.projectone.ai", "resolved"),
    ]


# --- quality_drop: whatsapp_quality_recovery, and the head of operations at once -----------------------------
@pytest.fixture(scope="module")
def quality(run_day):
    return run_day("quality_drop", QUALITY_DAY)


def test_quality_drop_runs_quality_recovery(quality):
    assert quality.state == "success"
    assert quality.one(
        "SELECT choice FROM delivery_ops.decisions WHERE delivery_date=%s AND decision_point='choose_runbook'",
        QUALITY_DAY,
    ) == ("whatsapp_quality_recovery",)
    steps = dict(
        quality.rows(
            "SELECT step, outcome FROM delivery_ops.runbook_runs WHERE delivery_date=%s AND runbook=%s",
            QUALITY_DAY,
            "whatsapp_quality_recovery",
        )
    )
    # the 05:45 go/no-go already paused the number and re-planned without it: not again after the window
    assert steps["pre_window.pause_sender_numbers"] == "succeeded"
    assert steps["pause_unhealthy_numbers"] == "skipped"
    assert steps["replan_paused_traffic"] == "skipped"
    assert steps["verify_quality_plan_active"] == "succeeded"
    ran = quality.rows(
        "SELECT DISTINCT runbook FROM delivery_ops.runbook_runs WHERE delivery_date=%s AND step NOT LIKE 'pre_window.%%'",
        QUALITY_DAY,
    )
    assert ran == [("whatsapp_quality_recovery",)]
    assert quality.one(
        "SELECT status FROM delivery_ops.incidents WHERE incident_id=%s",
        f"{QUALITY_DAY}:whatsapp_quality_recovery",
    ) == ("resolved",)


def test_quality_drop_pauses_the_number_once_before_the_window_and_not_again(quality):
    pauses = delivery_posts(quality.sandbox, "/pause")
    assert [r["path"] for r in pauses] == [f"/delivery/v1/numbers/{QUALITY_DROP_NUMBER}/pause"]
    assert "check_sender_quality fail" in pauses[0]["json"]["reason"]  # the go/no-go's pause, at 05:45
    replans = delivery_posts(quality.sandbox, "/v1/plan/replan")
    assert [r["json"]["exclude_phone_number_ids"] for r in replans] == [[QUALITY_DROP_NUMBER]]
    rows = {
        step: (outcome, details, ran_at)
        for step, outcome, details, ran_at in quality.rows(
            "SELECT step, outcome, details, ran_at FROM delivery_ops.runbook_runs "
            "WHERE delivery_date=%s AND runbook='whatsapp_quality_recovery'",
            QUALITY_DAY,
        )
    }
    outcome, details, _ = rows["pause_unhealthy_numbers"]
    pre_window_at = rows["pre_window.pause_sender_numbers"][2]
    assert outcome == "skipped" and details["paused"] == [] and details["answers"] == {}
    assert details["already_done"] == "pre_window.pause_sender_numbers"
    assert details["already_done_for"] == [QUALITY_DROP_NUMBER]
    assert datetime.fromisoformat(details["already_done_at"]) == pre_window_at
    outcome, details, _ = rows["replan_paused_traffic"]
    assert outcome == "skipped" and details["replanned"] is False
    assert details["already_done"] == "pre_window.replan_traffic"
    assert details["paused_numbers"] == [QUALITY_DROP_NUMBER] and details["advisors_requeued"] == 0
    # the verify step still checked the service's real state: the number is out of the plan
    assert rows["verify_quality_plan_active"][1]["excluded_from_plan"] == [QUALITY_DROP_NUMBER]
    timeline = quality.one(
        "SELECT timeline FROM delivery_ops.incidents WHERE incident_id=%s",
        f"{QUALITY_DAY}:whatsapp_quality_recovery",
    )[0]
    entry = next(e for e in timeline if e["step"] == "pause_unhealthy_numbers")
    assert entry["outcome"] == "skipped" and entry["already_done"] == "pre_window.pause_sender_numbers"
    # nothing left to pause: nobody was asked to approve the pause (recorded as not needed, not as auto)
    approval = next(e for e in timeline if e["step"] == "approval:pause_unhealthy_numbers")
    assert approval["mode"] == "not_needed" and approval["decision"] == "approve"


def test_quality_drop_escalates_to_the_head_of_operations(quality, follow_up):
    # The 06:05 checkpoint applies the business matrix inside the day's run (its immediate steps go out then);
    # the follow-up DAG sends the later ones when due and sends nothing twice.
    _, follow = follow_up("quality_drop", QUALITY_DAY, ist(QUALITY_DAY, "06:10"))
    assert not [r for r in follow.requests("slack") if "Head of Operations" in json.dumps(r["json"])]
    sandbox = quality.sandbox
    rows = ledger(quality, QUALITY_DAY)
    head_ops = {v[2]: v[3] for v in rows.values() if v[1] == "head_of_operations"}
    assert head_ops == {"slack:#delivery-ops": "sent", "slack:#executive-alerts": "sent"}
    later = {v[1]: (v[3], v[4]) for v in rows.values() if v[0] == "business:whatsapp_quality_rating_medium:1"}
    assert set(later) == {"cto", "head_of_marketing"}
    assert all(status == "pending" for status, _ in later.values())  # due 2 h after 05:45
    posts = [json.dumps(r["json"]) for r in sandbox.requests("slack")]
    headers = [
        r["json"]["blocks"][0]["text"]["text"] for r in sandbox.requests("slack") if r["json"].get("blocks")
    ]
    assert any("Head of Operations" in h for h in headers)
    assert any("******3214" in t for t in posts)  # the head of operations' phone, masked to its last 4 digits
    assert not any("9876543214" in t for t in posts)

    _, later = follow_up("quality_drop", QUALITY_DAY, ist(QUALITY_DAY, "07:45"))  # 05:45 + 2 h
    headers = [r["json"]["blocks"][0]["text"]["text"] for r in later.requests("slack")]
    assert sorted(h.split(" · ")[1] for h in headers) == ["CTO", "Head of Marketing"]
    assert quality.one(
        "SELECT status, resolved_by FROM delivery_ops.incidents WHERE incident_id=%s",
        f"{QUALITY_DAY}:whatsapp_quality_rating_medium",
    ) == ("resolved", "escalation complete: every business-matrix step went out")


# --- sla_88: CTO now, CEO and board later, sent by the follow-up when due ----------------------------------------
@pytest.fixture(scope="module")
def sla88(run_day):
    return run_day("sla_88", SLA88_DAY)


def test_sla_88_runs_both_runbooks_one_after_the_other_in_priority_order(sla88):
    assert sla88.state == "success"
    reasons = sla88.one(
        "SELECT reasons FROM delivery_ops.decisions WHERE delivery_date=%s AND decision_point='choose_runbook'",
        SLA88_DAY,
    )[0]
    assert reasons[0].startswith("delivery_failure:") and any(
        "runs after delivery_failure" in r for r in reasons
    )
    tis = {ti.task_id: ti for ti in sla88.dag_run.get_task_instances()}
    first = tis[f"{REMEDIATION}.run_delivery_failure.close_runbook"]
    second = tis[f"{REMEDIATION}.run_whatsapp_quality_recovery.activate_runbook"]
    assert str(first.state) == "success" and str(second.state) == "success"
    assert second.start_date >= first.end_date
    for name in ("database_emergency", "ai_service_fallback"):  # not chosen: skipped, nothing recorded
        assert str(tis[f"{REMEDIATION}.run_{name}.activate_runbook"].state) == "skipped"
    ran = {
        r
        for (r,) in sla88.rows(
            "SELECT DISTINCT runbook FROM delivery_ops.runbook_runs WHERE delivery_date=%s "
            "AND step NOT LIKE 'pre_window.%%'",
            SLA88_DAY,
        )
    }
    assert ran == {"delivery_failure", "whatsapp_quality_recovery"}
    # the red number was paused once, by the 05:45 go/no-go; the quality runbook after the window did not again
    pauses = delivery_posts(sla88.sandbox, "/pause")
    assert [r["path"] for r in pauses] == [f"/delivery/v1/numbers/{SLA88_RED_NUMBER}/pause"]
    assert len(delivery_posts(sla88.sandbox, "/v1/plan/replan")) == 1
    assert sla88.one(
        "SELECT outcome FROM delivery_ops.runbook_runs WHERE delivery_date=%s AND runbook=%s AND step=%s",
        SLA88_DAY,
        "whatsapp_quality_recovery",
        "pause_unhealthy_numbers",
    ) == ("skipped",)


def test_sla_88_escalates_cto_now_and_ceo_and_board_when_due(sla88, follow_up):
    assert sla88.state == "success"
    sla_pct, measured = sla88.one(
        "SELECT sla_pct, measured_as_of FROM delivery_ops.window_runs WHERE delivery_date=%s", SLA88_DAY
    )
    assert 88 <= float(sla_pct) < 89

    def statuses():
        rows = ledger(sla88, SLA88_DAY)
        return {
            (v[0].split(":")[1], v[1], v[2]): (v[3], v[4])
            for v in rows.values()
            if v[0].startswith("business:delivery_sla_miss")
        }

    _, first = follow_up("sla_88", SLA88_DAY, measured + timedelta(minutes=1))
    now = statuses()
    assert now[("delivery_sla_miss_below_90", "cto", "pagerduty")][0] == "sent"
    assert now[("delivery_sla_miss_below_90", "cto", "slack:#executive-alerts")][0] == "sent"
    assert now[("delivery_sla_miss_below_95", "engineering_manager", "pagerduty")][0] == "sent"
    assert now[("delivery_sla_miss_below_90", "ceo", "slack:#executive-alerts")] == (
        "pending",
        measured + timedelta(minutes=30),
    )
    assert now[("delivery_sla_miss_below_90", "board", "slack:#executive-alerts")] == (
        "pending",
        measured + timedelta(minutes=60),
    )
    assert not any(t == "cto" and s.endswith("below_95") for s, t, _ in now)  # superseded by "CTO immediate"
    # paged by the 06:05 checkpoint inside the day's run (engine.on_sla_measured), not by the follow-up
    assert not [p for p in first.requests("pagerduty") if "delivery_sla_miss" in p["json"]["dedup_key"]]
    cto_pages = [
        p for p in sla88.sandbox.requests("pagerduty") if "delivery_sla_miss" in p["json"]["dedup_key"]
    ]
    assert {p["json"]["payload"]["custom_details"]["target"] for p in cto_pages} == {
        "cto",
        "engineering_manager",
    }

    _, at_29 = follow_up("sla_88", SLA88_DAY, measured + timedelta(minutes=29, seconds=59))
    assert (
        messages(at_29)["slack"] == []
        and statuses()[("delivery_sla_miss_below_90", "ceo", "slack:#executive-alerts")][0] == "pending"
    )

    _, at_30 = follow_up("sla_88", SLA88_DAY, measured + timedelta(minutes=30))
    assert [r["path"].rsplit("/", 1)[-1] for r in at_30.requests("slack")] == ["executive-alerts"]
    assert statuses()[("delivery_sla_miss_below_90", "ceo", "slack:#executive-alerts")][0] == "sent"

    _, at_60 = follow_up("sla_88", SLA88_DAY, measured + timedelta(minutes=60))
    texts = " ".join(r["json"]["text"] for r in at_60.requests("slack"))
    assert "Board" in texts and "Head of Product" in texts
    assert statuses()[("delivery_sla_miss_below_90", "board", "slack:#executive-alerts")][0] == "sent"

    assert sla88.one(
        "SELECT status FROM delivery_ops.incidents WHERE incident_id=%s", f"{SLA88_DAY}:delivery_sla_miss"
    ) == ("resolved",)  # every step went out

    _, again = follow_up("sla_88", SLA88_DAY, measured + timedelta(minutes=60))
    assert {k: v for k, v in messages(again).items() if v} == {}  # a rerun of the follow-up sends nothing


# --- Slack down: PagerDuty still fires, the Slack steps stay pending and go out on retry -------------------------
@pytest.fixture(scope="module")
def slack_down(run_day):
    return run_day("slack_down", SLACK_DOWN_DAY)


def test_slack_down_pages_anyway_and_sends_slack_on_retry(slack_down, follow_up):
    assert slack_down.state == "success"
    pages = slack_down.sandbox.requests("pagerduty")
    assert pages and all(p["status"] == 202 for p in pages)
    assert slack_down.sandbox.requests("slack") and all(
        r["status"] == 503 for r in slack_down.sandbox.requests("slack")
    )
    slack_rows = {k: v for k, v in ledger(slack_down, SLACK_DOWN_DAY).items() if v[2].startswith("slack:")}
    # due by the retry below (the business matrix's later steps, planned at 06:05, stay pending until theirs)
    due = {
        k: v for k, v in slack_rows.items() if v[3] != "cancelled" and v[4] <= ist(SLACK_DOWN_DAY, "06:08")
    }
    assert due and all(v[3] == "pending" for v in due.values())
    errors = slack_down.rows(
        "SELECT last_error, dedup_key, due_at FROM delivery_ops.escalations WHERE delivery_date=%s "
        "AND status='pending' AND channel LIKE 'slack:%%' AND due_at <= %s",
        SLACK_DOWN_DAY,
        ist(SLACK_DOWN_DAY, "06:07"),
    )
    assert errors and all("503" in (e or "") or "service_unavailable" in (e or "") for (e, _, _) in errors), [
        e for e in errors if "503" not in (e[0] or "")
    ]

    _, retry = follow_up("whatsapp_outage", SLACK_DOWN_DAY, ist(SLACK_DOWN_DAY, "06:08"))  # Slack is back
    assert retry.requests("slack") and all(r["status"] == 200 for r in retry.requests("slack"))
    after = ledger(slack_down, SLACK_DOWN_DAY)
    assert all(after[k][3] == "sent" for k in due)
    sent_before = {(p["json"]["dedup_key"], p["json"]["event_action"]) for p in pages}
    assert not sent_before & {
        (p["json"]["dedup_key"], p["json"]["event_action"]) for p in retry.requests("pagerduty")
    }
