"""The escalation ledger against a real PostgreSQL: rows before sends, retries, no duplicates, cancellation.

Dates 2026-09-10 … 2026-09-15 (issue 5's range; the engine commits, so each test owns its date).
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from delivery_window import store
from delivery_window.escalation import engine, outbox
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol
from delivery_window.records import Firing

P = get_protocol()
IST = ZoneInfo("Asia/Kolkata")
M, S = timedelta(minutes=1), timedelta(seconds=1)


def at(day: date, hhmm: str, seconds: int = 0) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, seconds, tzinfo=IST)


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url) as c:
        apply_migrations(c)
        yield c


def fresh(conn, day: date) -> None:
    for table in ("escalations", "notifications", "incidents", "alerts", "window_runs", "check_results"):
        conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date = %s", (day,))  # noqa: S608
    conn.commit()


def fire(conn, day: date, rule: str, hhmm: str, scope: str = "overall") -> Firing:
    level = P.alert_rules[rule].level
    firing = Firing(rule, scope, level, at(day, hhmm), f"{rule} fired")
    store.record_alert(conn, day, firing, f"delivery_window:{day}:{rule}:{scope}")
    return firing


def ledger(conn, day: date) -> dict[str, tuple]:
    rows = store.escalations(conn, day)
    return {r["dedup_key"]: (r["source"], r["target"], r["status"], r["due_at"]) for r in rows}


class Recorder:
    """A sender that records what it sends; can fail one kind of message."""

    def __init__(self, conn=None, day=None, fail_kind: str | None = None):
        self.sent: list[tuple[str, str, dict]] = []
        self.fail_kind, self.conn, self.day = fail_kind, conn, day
        self.ledger_at_send: list[str | None] = []

    def __call__(self, channel, kind, payload):
        if self.conn is not None:  # what the ledger said while the message was going out (another connection)
            with psycopg.connect(self.conn) as other:
                row = other.execute(
                    "SELECT status FROM delivery_ops.escalations WHERE payload = %s::jsonb LIMIT 1",
                    (psycopg.types.json.Jsonb(payload),),
                ).fetchone()
            self.ledger_at_send.append(row[0] if row else None)
        if kind == self.fail_kind:
            raise ConnectionError("slack is down")
        self.sent.append((channel, kind, payload))


def test_a_first_alert_writes_the_ledger_before_anything_is_sent(conn, db_url):
    day = date(2026, 9, 10)
    fresh(conn, day)
    firing = fire(conn, day, "whatsapp_api_unavailable", "06:02")
    enqueued = engine.on_alert_fired(conn, day, firing, P)
    conn.commit()
    rows = ledger(conn, day)
    batch = "20260910T003200Z"  # 06:02 IST: the incident's first alert batch
    assert set(enqueued) == {
        f"delivery_window:{day}:delivery_failure:alerts:{batch}:pagerduty",
        f"delivery_window:{day}:delivery_failure:alerts:{batch}:critical_incidents",
        f"status_page_update:{day}:delivery_failure:status_page:internal:degraded",
    }
    assert all(rows[k][2] == "pending" for k in enqueued)  # in the ledger, not sent yet
    planned = {v[0] for v in rows.values()}
    assert {
        "chain:level_2_secondary_engineer",
        "chain:level_3_engineering_manager",
        "chain:level_4_executive",
    } <= planned
    recorder = Recorder(conn=db_url)
    outbox.flush(conn, day, sender=recorder)
    assert recorder.ledger_at_send and all(s == "pending" for s in recorder.ledger_at_send)
    assert {ledger(conn, day)[k][2] for k in enqueued} == {"sent"}
    incident = store.escalation_incidents(conn, day)[0]
    assert (incident["incident_id"], incident["kind"], incident["severity"]) == (
        f"{day}:delivery_failure",
        "technical",
        "critical",
    )


def test_due_steps_go_out_at_their_time_and_not_a_second_before(conn):
    day = date(2026, 9, 11)
    fresh(conn, day)
    fire(conn, day, "whatsapp_api_unavailable", "06:02")
    rec = Recorder()
    engine.follow_up(conn, day, at(day, "06:02"), P, sender=rec)
    l2 = f"delivery_window:{day}:delivery_failure:chain:level_2_secondary_engineer:secondary_engineer"
    assert ledger(conn, day)[l2][2:] == ("pending", at(day, "06:17"))
    engine.follow_up(conn, day, at(day, "06:16", 59), P, sender=rec)
    assert ledger(conn, day)[l2][2] == "pending"
    engine.follow_up(conn, day, at(day, "06:17"), P, sender=rec)
    assert ledger(conn, day)[l2][2] == "sent"
    pages = [p["dedup_key"] for _, kind, p in rec.sent if kind == "pagerduty_event"]
    assert pages.count(l2) == 1
    l3 = f"delivery_window:{day}:delivery_failure:chain:level_3_engineering_manager:engineering_manager"
    engine.follow_up(conn, day, at(day, "06:32"), P, sender=rec)  # ">30 minutes": due 06:32:01
    assert ledger(conn, day)[l3][2] == "pending"
    engine.follow_up(conn, day, at(day, "06:32", 1), P, sender=rec)
    assert ledger(conn, day)[l3][2] == "sent"
    before = len(rec.sent)
    engine.follow_up(conn, day, at(day, "06:32", 1), P, sender=rec)  # a rerun sends nothing new
    assert len(rec.sent) == before


def test_a_failed_send_stays_pending_and_is_retried_once_the_channel_is_back(conn):
    day = date(2026, 9, 12)
    fresh(conn, day)
    fire(conn, day, "failure_rate_2m", "06:03")
    down = Recorder(fail_kind="slack_message")
    result = engine.follow_up(conn, day, at(day, "06:04"), P, sender=down)
    assert {k for _, k, _ in down.sent} == {"pagerduty_event", "status_page_update"}  # PagerDuty still pages
    post = f"delivery_window:{day}:delivery_failure:alerts:20260912T003300Z:critical_incidents"  # war room
    assert post in result.failed
    row = next(r for r in store.escalations(conn, day) if r["dedup_key"] == post)
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "pending",
        1,
        "ConnectionError: slack is down",
    )
    up = Recorder()
    engine.follow_up(conn, day, at(day, "06:05"), P, sender=up)
    assert [p["text"] for _, kind, p in up.sent if kind == "slack_message"] and ledger(conn, day)[post][
        2
    ] == "sent"
    again = Recorder()
    engine.follow_up(conn, day, at(day, "06:05"), P, sender=again)
    assert again.sent == []


def test_resolution_cancels_the_steps_not_yet_due_and_resolves_the_pages(conn):
    day = date(2026, 9, 13)
    fresh(conn, day)
    fire(conn, day, "whatsapp_api_unavailable", "06:02")
    rec = Recorder()
    engine.follow_up(conn, day, at(day, "06:05"), P, sender=rec)
    incident = f"{day}:delivery_failure"
    assert engine.resolve(conn, incident, at(day, "06:09"), "runbook delivery_failure")
    assert not engine.resolve(conn, incident, at(day, "06:10"), "again")  # already resolved
    result = engine.follow_up(conn, day, at(day, "06:09"), P, sender=rec)
    statuses = {v[0]: v[2] for v in ledger(conn, day).values()}
    assert statuses["chain:level_2_secondary_engineer"] == "cancelled"
    assert statuses["chain:level_4_executive"] == "cancelled"
    assert statuses["advisor_delay:1"] == "cancelled"
    assert statuses["pagerduty:resolve"] == "sent" and statuses["status_page:internal:resolved"] == "sent"
    assert len(result.cancelled) >= 4
    events = [(p["dedup_key"], p["action"]) for _, k, p in rec.sent if k == "pagerduty_event"]
    key = f"delivery_window:{day}:delivery_failure"  # the incident's one PagerDuty key
    assert events == [(key, "trigger"), (key, "resolve")]
    later = Recorder()
    engine.follow_up(conn, day, at(day, "08:00"), P, sender=later)
    assert later.sent == []  # nothing comes due after the resolution


def test_business_events_task_failures_and_the_sebi_deadline(conn):
    day = date(2026, 9, 14)
    fresh(conn, day)
    t = at(day, "06:20")
    rec = Recorder()
    engine.on_business_event(conn, day, "sebi_violation_detected", t, P, {"content_id": "c1"}, send=False)
    engine.follow_up(conn, day, t, P, sender=rec)
    rows = {v[0] + ":" + v[1]: v for v in ledger(conn, day).values()}
    assert rows["business:compliance_sebi_violation:0:legal_counsel"][2] == "sent"
    assert rows["business:compliance_sebi_violation:0:compliance_officer"][2] == "sent"
    assert rows["business:compliance_sebi_violation:1:ceo"][2:] == ("pending", t + 15 * M)
    assert rows["chain:level_4_executive:cto"][2] == "sent"  # a compliance incident engages level 4 at once
    reminder = rows["regulatory:reminder_60m:compliance_officer"]
    assert reminder[2:] == ("pending", t + 24 * 60 * M - 60 * M)
    timeline = store.escalation_incidents(conn, day)[0]["timeline"]
    deadline = next(e for e in timeline if e["step"] == "regulatory_deadline")
    assert datetime.fromisoformat(deadline["due_at"]) == t + 24 * 60 * M
    incident = f"{day}:compliance_sebi_violation"
    cancelled = engine.record_regulatory_filing(conn, incident, t + 2 * 60 * M, "filed", "legal")
    # two reminders to two people, and the overdue escalation planned ahead (issue 14) to its three roles
    assert len(cancelled) == 4 + len(P.incident_automation.regulatory_overdue_targets)
    assert sum(":regulatory:overdue_1:" in k for k in cancelled) == len(
        P.incident_automation.regulatory_overdue_targets
    )
    with pytest.raises(ValueError, match="unknown business event"):
        engine.on_business_event(conn, day, "meteor_strike", t, P)

    engine.on_task_failed(conn, day, "delivery.monitor_window", "boom +91-9876543210", t, P, send=False)
    engine.on_task_failed(conn, day, "post_delivery.generate_daily_report", "boom", t, P, send=False)
    kinds = {i["incident_id"]: (i["kind"], i["severity"]) for i in store.escalation_incidents(conn, day)}
    assert kinds[f"{day}:task:delivery.monitor_window"] == ("task_failure", "critical")
    assert kinds[f"{day}:task:post_delivery.generate_daily_report"] == ("task_failure", "major")
    engine.follow_up(conn, day, t, P, sender=rec)
    page = next(
        p
        for _, k, p in rec.sent
        if k == "pagerduty_event" and "task:delivery.monitor_window" in p["dedup_key"]
    )
    assert page["severity"] == "critical"
    monitor_row = next(
        i
        for i in store.escalation_incidents(conn, day)
        if i["incident_id"].endswith("delivery.monitor_window")
    )
    assert "9876543210" not in str(monitor_row["timeline"]) and "******3210" in str(monitor_row["timeline"])
    assert engine.on_task_succeeded(conn, day, "delivery.monitor_window", t + 5 * M)


def test_two_flushes_at_once_send_each_message_once(conn, db_url):
    day = date(2026, 9, 15)
    fresh(conn, day)
    for key in ("k1", "k2", "k3"):
        outbox.enqueue(
            conn,
            day,
            dedup_key=key,
            channel="c",
            kind="slack_message",
            payload={"text": key},
            at=at(day, "06:00"),
        )
    conn.commit()
    sent: list[str] = []
    gate = threading.Event()

    def slow(channel, kind, payload):
        sent.append(payload["text"])
        if payload["text"] == "k1":
            gate.wait(5)  # k1 is claimed and being sent while the other flush runs

    def other_flush():
        with psycopg.connect(db_url) as c2:
            outbox.flush(c2, day, sender=slow)
        gate.set()

    worker = threading.Thread(target=lambda: (gate.wait(0.3), other_flush()))
    worker.start()
    outbox.flush(conn, day, sender=slow)
    worker.join(10)
    assert sorted(sent) == ["k1", "k2", "k3"]
    status = dict(
        conn.execute(
            "SELECT dedup_key, status FROM delivery_ops.notifications WHERE delivery_date = %s", (day,)
        ).fetchall()
    )
    assert status == {"k1": "sent", "k2": "sent", "k3": "sent"}


def test_dry_run_records_without_sending(conn):
    day = date(2026, 9, 10)
    fresh(conn, day)
    fire(conn, day, "db_connection_failures", "06:01")
    rec = Recorder()
    result = engine.follow_up(conn, day, at(day, "06:02"), P, sender=rec, dry_run=True)
    assert rec.sent == [] and result.dry_run > 0
    assert "dry_run" in {v[2] for v in ledger(conn, day).values()}


def test_an_approval_request_is_posted_and_a_human_approval_acknowledges_the_pages(conn):
    day = date(2026, 9, 15)
    fresh(conn, day)
    fire(conn, day, "db_connection_failures", "06:01")
    rec = Recorder()
    engine.follow_up(conn, day, at(day, "06:02"), P, sender=rec)
    engine.on_runbook_activated(conn, day, "database_emergency", at(day, "06:07"), P)
    sent = []
    key = engine.request_approval(
        conn, day, "database_emergency", "fail_over_database", "Reject", 10, at(day, "06:07"), P
    )
    outbox.flush(conn, day, sender=lambda c, k, p: sent.append((c, p["text"])))
    assert ledger(conn, day)[key][2] == "sent"
    ((channel, text),) = sent
    assert channel == "slack_war_room" and "fail_over_database" in text and "*Reject*" in text
    engine.record_approval(
        conn, day, "database_emergency", "fail_over_database", "approve", "asha", at(day, "06:09")
    )
    engine.follow_up(conn, day, at(day, "06:09"), P, sender=rec)
    acks = [
        (p["dedup_key"], p["action"])
        for _, k, p in rec.sent
        if k == "pagerduty_event" and p["action"] == "acknowledge"
    ]
    assert acks == [(f"delivery_window:{day}:database_emergency", "acknowledge")]


def _failure_context(day: date, dry_run: bool):
    from types import SimpleNamespace

    return {
        "ti": SimpleNamespace(task_id="delivery.monitor_window", try_number=2, dag_id="delivery_window"),
        "dag_run": SimpleNamespace(run_after=at(day, "05:30"), run_id="manual__x"),
        "params": {"delivery_date": day.isoformat(), "dry_run": dry_run},
        "exception": RuntimeError("pool gone; call +91-9876543210"),
    }


def test_the_failure_callback_turns_a_failed_critical_task_into_an_incident(conn, db_url, monkeypatch):
    from delivery_window import callbacks, scope

    day = date(2026, 9, 13)
    fresh(conn, day)
    monkeypatch.setenv("AIRFLOW_CONN_DELIVERY_DB", db_url)
    # a dry run is an evaluation: its failure is an incident of its own copy of the day, sent nowhere
    run = scope.evaluation_scope(day, "manual__x", send=False)
    apply_migrations(conn, schema=run.schema)
    try:
        callbacks.task_failure_alert(_failure_context(day, dry_run=True))
        assert scope.current() == run
        (incident,) = store.escalation_incidents(conn, day)
        level_1 = {v[0:3] for v in ledger(conn, day).values() if v[0] == "chain:level_1_primary_on_call"}
    finally:
        scope.enter(scope.RECORD)
    assert store.escalation_incidents(conn, day) == []  # nothing in the record
    assert (incident["incident_id"], incident["severity"]) == (
        f"{day}:task:delivery.monitor_window",
        "critical",
    )
    assert incident["opened_at"] == at(day, "06:07")  # a replay: the monitor's close, not the wall clock
    assert {(s, t, st) for s, t, st in level_1} == {
        ("chain:level_1_primary_on_call", "primary_engineer", "dry_run")
    }
    assert "9876543210" not in str(incident["timeline"])


def test_the_failure_callback_posts_directly_when_the_engine_is_down(monkeypatch):
    """Even the fallback goes through escalation (announce.post_without_database), masked, never dropped."""
    from delivery_window import callbacks

    posted = []
    monkeypatch.setattr(
        outbox, "send_via_providers", lambda conn_id, kind, payload: posted.append((conn_id, payload))
    )
    monkeypatch.setenv("AIRFLOW_CONN_DELIVERY_DB", "postgresql://nobody@127.0.0.1:1/none")
    callbacks.task_failure_alert(_failure_context(date(2026, 9, 13), dry_run=False))
    ((conn_id, payload),) = posted
    assert conn_id == "slack_engineering_alerts"
    assert "delivery.monitor_window" in payload["text"] and "******3210" in payload["text"]
    assert "9876543210" not in payload["text"]
    posted.clear()
    try:
        callbacks.task_failure_alert(_failure_context(date(2026, 9, 13), dry_run=True))
    finally:
        from delivery_window import scope

        scope.enter(scope.RECORD)
    assert posted == []  # a dry run posts nothing, even here
