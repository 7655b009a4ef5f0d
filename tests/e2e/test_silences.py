"""A day with planned maintenance: silences through the real DAG (dag.test()) and the sandbox.

The sender number FAILING_NUMBER is under planned maintenance (a silence on shard_failing), and someone also
tried to silence the immediate page (failure_rate_2m): the shard's Sev2 is recorded, silenced and sends
nothing; the page still goes out (protocol.yaml ``silences.may_mute_severity_1: false``); the handoff lists both
silences; the report says how each alert went out.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from delivery_window.escalation import keys
from delivery_window.sandbox.scenario_sets.window import FAILING_NUMBER

pytestmark = pytest.mark.e2e
DAY = date(2026, 8, 21)
REASON = "planned Meta maintenance on one sender number"


@pytest.fixture(scope="module")
def maintenance(run_day, db_url):
    import psycopg

    from delivery_window.escalation import silences
    from delivery_window.protocol import get_protocol

    p = get_protocol()
    with psycopg.connect(db_url) as conn:
        from delivery_window.migrate import apply_migrations

        apply_migrations(conn)
        conn.execute("DELETE FROM delivery_ops.silences WHERE reason = %s", (REASON,))
        start = silences.parse_time(f"{DAY}T05:00", "--start", p)
        end = silences.parse_time(f"{DAY}T08:00", "--end", p)
        now = datetime.now(start.tzinfo)
        ids = [
            silences.add(
                conn, start=start, end=end, matchers=m, reason=REASON, author="asha", protocol=p, now=now
            )
            for m in (
                {"rule": "shard_failing", "scope": f"number:{FAILING_NUMBER}"},
                {"rule": "failure_rate_2m"},
            )
        ]
    yield run_day("shard_failing", DAY), ids
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM delivery_ops.silences WHERE reason = %s", (REASON,))


def test_a_silenced_alert_is_recorded_and_sends_nothing(maintenance):
    r, (shard_silence, _) = maintenance
    assert r.state == "success"
    routing, silenced_by = r.one(
        "SELECT routing, silenced_by FROM delivery_ops.alerts WHERE delivery_date=%s AND rule='shard_failing'",
        DAY,
    )
    assert (routing, silenced_by) == ("silenced", shard_silence)
    alert_posts = [p["json"]["text"] for p in r.sandbox.requests("slack") if " fired:" in p["json"]["text"]]
    assert alert_posts and not [t for t in alert_posts if "shard_failing" in t]  # status lines still count it
    incident = keys.incident_id(DAY, "whatsapp_quality_recovery")
    assert r.rows("SELECT dedup_key FROM delivery_ops.escalations WHERE incident_id=%s", incident) == []


def test_a_silence_never_mutes_the_immediate_page(maintenance):
    r, _ = maintenance
    assert r.one(
        "SELECT routing FROM delivery_ops.alerts WHERE delivery_date=%s AND rule='failure_rate_2m'", DAY
    ) == ("paged",)
    triggers = {
        p["json"]["dedup_key"]
        for p in r.sandbox.requests("pagerduty")
        if p["json"]["event_action"] == "trigger"
    }
    assert keys.page_key(keys.incident_id(DAY, "delivery_failure")) in triggers


def test_the_handoff_and_the_report_show_the_maintenance(maintenance):
    r, ids = maintenance
    (content,) = r.one(
        "SELECT content FROM delivery_ops.handoff_log WHERE delivery_date=%s "
        "AND section='upcoming_scheduled_maintenance_or_changes'",
        DAY,
    )
    assert [s["silence_id"] for s in content["silences"]] == ids
    assert {s["state"] for s in content["silences"]} == {"active"} and content["silences"][0][
        "reason"
    ] == REASON
    (text,) = r.one("SELECT report_text FROM delivery_ops.daily_reports WHERE delivery_date=%s", DAY)
    assert f"silenced by silence {ids[0]}" in text and "failure_rate_2m [immediate_page] overall" in text
