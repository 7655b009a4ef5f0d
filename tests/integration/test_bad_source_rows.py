"""Issue 15, finding 5: rows that break the source contract never become a false SLA (real PostgreSQL).

A healthy day in a database of its own whose ``platform.delivery_attempts`` has its constraints dropped (as a
production view over the platform's own tables has none), then a few delivered attempts broken one way each:
NULL attempt / receipt time, NULL or unknown status, an attempt on the day before, a duplicated attempt id
(an identical copy, and a copy that disagrees). Before the fix the 06:05 checkpoint died with a TypeError and
the report said "SLA 0.00 % (target 0 %) MISSED, 0 / 0".
"""

from __future__ import annotations

import os
from datetime import date

import psycopg
import pytest

from delivery_window import runtime, store, window
from delivery_window.checkpoint import sla_checkpoint
from delivery_window.connections import sandbox_connections
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol
from delivery_window.sandbox.scenarios import apply_source_contract, generate_day, write_day
from delivery_window.sandbox.server import Sandbox

P = get_protocol()
DAY = date(2026, 8, 14)
# each breaks one delivered attempt of an advisor who has no other attempt (so each costs that advisor)
BREAKS = {
    "null_attempted_at": ["attempted_at = NULL", "attempted_at = NULL"],
    "null_status_at": ["status_at = NULL"],
    "null_status": ["status = NULL"],
    "unknown_status": ["status = 'deleted'"],
    "outside_day": [
        "attempted_at = attempted_at - interval '1 day', status_at = status_at - interval '1 day'"
    ],
}


@pytest.fixture(scope="module")
def bad_day(own_database):
    saved = {k: v for k, v in os.environ.items() if k.startswith("AIRFLOW_CONN_")}
    with own_database("bad_rows") as url, Sandbox("healthy") as sandbox:
        runtime.set_connections(
            sandbox_connections(sandbox.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        try:
            yield url, _break_day(url)
        finally:
            for k in [k for k in os.environ if k.startswith("AIRFLOW_CONN_")]:
                os.environ.pop(k)
            os.environ.update(saved)


def _break_day(url: str) -> dict:
    with psycopg.connect(url) as conn:
        apply_source_contract(conn)
        apply_migrations(conn)
        write_day(conn, generate_day("healthy", DAY))
        conn.execute(
            "ALTER TABLE platform.delivery_attempts DROP CONSTRAINT IF EXISTS delivery_attempts_status_check, "
            "DROP CONSTRAINT IF EXISTS delivery_attempts_pkey, ALTER COLUMN status DROP NOT NULL, "
            "ALTER COLUMN attempted_at DROP NOT NULL, ALTER COLUMN status_at DROP NOT NULL"
        )
        targeted, _ = store.active_advisors(conn)
        clean = sla_checkpoint(DAY, store.attempts(conn, DAY), targeted, 0, window.close(DAY, P), P)
        total = conn.execute(
            "SELECT count(*) FROM platform.delivery_attempts WHERE delivery_date = %s", (DAY,)
        ).fetchone()[0]
        victims = [  # delivered by 06:05, the advisor's only attempt
            r[0]
            for r in conn.execute(
                "SELECT min(attempt_id) FROM platform.delivery_attempts WHERE delivery_date = %s "
                "GROUP BY advisor_id HAVING count(*) = 1 AND bool_and(status IN ('delivered', 'read') "
                "AND status_at <= %s) ORDER BY 1 LIMIT 8",
                (DAY, window.at(DAY, "delivery_end")),
            )
        ]
        changes = [c for cs in BREAKS.values() for c in cs]
        for attempt_id, change in zip(victims, changes, strict=False):
            conn.execute(
                f"UPDATE platform.delivery_attempts SET {change} WHERE attempt_id = %s",  # noqa: S608
                (attempt_id,),
            )
        conflicting, identical = victims[len(changes)], victims[len(changes) + 1]
        copy = (
            "INSERT INTO platform.delivery_attempts SELECT attempt_id, delivery_date, advisor_id, segment, "
            "phone_number_id, template_name, wamid, attempted_at, api_latency_ms, {status}, error_code, status_at "
            "FROM platform.delivery_attempts WHERE attempt_id = %s"
        )
        conn.execute(copy.format(status="'failed'"), (conflicting,))
        conn.execute(copy.format(status="status"), (identical,))
        conn.commit()
    return {
        "targeted": targeted,
        "clean": clean,
        "rows": total + 2,
        "broken": dict(zip(victims, changes, strict=False)),
        "conflicting": conflicting,
        "identical": identical,
    }


@pytest.fixture(scope="module")
def checkpoint(bad_day):
    from delivery_window.checkpoint_task import verify_sla_checkpoint

    return verify_sla_checkpoint(DAY, "test_bad_rows", dry_run=True)


def rows(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_sla_is_measured_from_the_valid_rows(bad_day, checkpoint):
    url, day = bad_day
    clean = day["clean"]
    # the broken rows and the conflicting duplicate cost their advisor; the identical copy costs none
    lost = len(day["broken"]) + 1
    delivered = clean["advisors_delivered"] - lost
    sla = round(100.0 * delivered / day["targeted"], 3)
    assert (checkpoint["advisors_delivered"], checkpoint["sla_pct"]) == (delivered, sla)
    assert checkpoint["rows_left_out"] == lost + 2  # + both copies
    (row,) = rows(
        url,
        "SELECT advisors_targeted, advisors_delivered, sla_pct, sla_target_pct, attempts, rows_left_out "
        "FROM delivery_ops.window_runs WHERE delivery_date = %s",
        DAY,
    )
    assert row[:2] == (day["targeted"], delivered) and float(row[2]) == sla
    assert float(row[3]) == P.sla.target_pct
    assert row[4] == clean["attempts"] - lost  # the identical copy counted once
    assert row[5] == lost + 2  # beside the SLA, in the data team's table
    (sla_item,) = rows(
        url,
        "SELECT status, message, observed FROM delivery_ops.check_results WHERE delivery_date = %s "
        "AND check_name = 'verify_delivery_sla_achieved'",
        DAY,
    )
    assert sla_item[2]["rows_left_out"] == lost + 2
    assert f"{lost + 2} source rows left out" in sla_item[1], sla_item[1]


def test_the_rows_left_out_are_a_dq_results_finding_by_kind(bad_day, checkpoint):
    url, day = bad_day
    (dq,) = rows(
        url,
        "SELECT success, evaluated, failed, failed_expectations, details FROM delivery_ops.dq_results "
        "WHERE delivery_date = %s AND suite = 'source_contract'",
        DAY,
    )
    success, evaluated, failed, kinds, details = dq
    assert (success, evaluated, failed) == (False, day["rows"], len(day["broken"]) + 3)
    expected = {kind: len(changes) for kind, changes in BREAKS.items()} | {"duplicate_attempt_id": 3}
    assert details["by_kind"] == expected
    assert set(kinds) == set(expected)
    named = {i for ids in details["attempt_ids"].values() for i in ids}
    assert named == {*day["broken"], day["conflicting"], day["identical"]}


def test_the_report_and_the_slack_summary_say_the_true_sla_and_what_was_left_out(bad_day, checkpoint):
    from delivery_window.reports.assemble import generate_daily_report
    from delivery_window.reports.daily import slack_payload

    url, day = bad_day
    generate_daily_report(DAY)
    ((text, summary),) = rows(
        url, "SELECT report_text, summary FROM delivery_ops.daily_reports WHERE delivery_date = %s", DAY
    )
    first = text.splitlines()[2:4]
    assert first[0].split()[1] == f"{checkpoint['sla_pct']:.2f}%", first
    left_out = checkpoint["rows_left_out"]
    assert f"{left_out} of {day['rows']} source rows left out" in first[1], first
    for kind in (*BREAKS, "duplicate_attempt_id"):
        assert kind in first[1], first
    post = slack_payload(DAY.isoformat(), summary, text, [], [])
    assert f"SLA {checkpoint['sla_pct']:.2f}%" in post["text"]
    assert f"{left_out} source rows left out" in post["text"], post["text"]


def test_the_monitor_replays_the_day_without_failing(bad_day):
    from delivery_window.monitor import loop

    url, _ = bad_day
    opened = []

    def connect():
        opened.append(psycopg.connect(url))
        return opened[-1]

    try:
        with psycopg.connect(url) as conn:
            summary = loop.run_monitor(
                conn, DAY, P, dry_run=True, connect=connect, push_series=None, poll_templates=None
            )
    finally:
        for c in opened:
            c.close()
    assert summary.mode == "replay"
    ((last, made, delivered),) = rows(
        url,
        "SELECT tick_at, attempts, delivered FROM delivery_ops.metric_ticks WHERE delivery_date = %s "
        "AND scope = 'overall' ORDER BY tick_at DESC LIMIT 1",
        DAY,
    )
    # the monitor counts every row made by its tick (the fault suite's rule: nothing vanishes from the live view)
    ((in_sql, receipts, no_receipt_time),) = rows(
        url,
        "SELECT count(*), count(*) FILTER (WHERE status IN ('delivered', 'read') AND status_at <= %s), "
        "count(*) FILTER (WHERE status IN ('delivered', 'read') AND status_at IS NULL) "
        "FROM platform.delivery_attempts WHERE delivery_date = %s AND attempted_at <= %s",
        last,
        DAY,
        last,
    )
    assert made == in_sql
    # ... but a status outside the four ('deleted') is no delivery; a delivered row without a receipt time counts
    # at its attempt time (select_attempt_changes.sql: coalesce(status_at, attempted_at))
    assert delivered == receipts + no_receipt_time
