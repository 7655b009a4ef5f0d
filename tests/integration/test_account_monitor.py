"""Issue 14: the live monitor looks at the WhatsApp account on its own cadence, and a replay re-judges what it saw.

Real PostgreSQL and the sandbox; the live run uses a fake clock (``now``/``sleep``), so its 42 ticks take a
second. The WhatsApp account becomes blocked mid-window (the sandbox switches to ``waba_blocked`` at 06:02:30):
the first poll after it (06:03:10, polls every ``monitor.account_health_poll_seconds``) opens the
account-suspended incident and the tick's flush sends the immediate steps. A replay of the day then asks WhatsApp
nothing and reaches the same incident from the record's rows. A quality drop to YELLOW seen by a poll starts the
matrix's quality row the same way. Dates 2026-05-16 and 2026-05-17 belong to this file.
"""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from delivery_window import window
from delivery_window.connections import sandbox_connections
from delivery_window.migrate import apply_migrations
from delivery_window.monitor import loop
from delivery_window.protocol import get_protocol
from delivery_window.sandbox.scenarios import generate_day, write_day
from delivery_window.sandbox.server import Sandbox

pytestmark = pytest.mark.integration
P = get_protocol()
DAY = date(2026, 5, 16)
INCIDENT = f"{DAY}:whatsapp_account_suspended"
BLOCKED_AT = window.at(DAY, "delivery_start") + timedelta(minutes=2, seconds=30)
FIRST_POLL_AFTER = window.at(DAY, "delivery_start") + timedelta(
    minutes=3, seconds=10
)  # the ticks: 06:00:10 +10k s


class FakeClock:
    def __init__(self, start):
        self.t, self.hooks = start, []

    def now(self):
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)
        for when, fn in list(self.hooks):
            if self.t >= when:
                self.hooks.remove((when, fn))
                fn()


@pytest.fixture
def sandbox(db_url, monkeypatch):
    sb = Sandbox("healthy").start()
    for conn_id, value in sandbox_connections(sb.url, db_url, "redis://127.0.0.1:6379/0").items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value)
    yield sb
    sb.stop()


def _q(db_url: str, sql: str, *params):
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_live_monitor_polls_the_account_and_a_replay_rejudges_it(db_url, sandbox):
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        write_day(conn, generate_day("healthy", DAY))
        conn.commit()
    clock = FakeClock(window.at(DAY, "delivery_start"))
    clock.hooks.append((BLOCKED_AT, lambda: sandbox.set_scenario("waba_blocked")))
    with psycopg.connect(db_url) as conn:
        summary = loop.run_monitor(
            conn, DAY, P, now=clock.now, sleep=clock.sleep, push_series=None, poll_templates=None
        )
    assert summary.mode == "live" and summary.ticks == 42
    looks = _q(
        db_url,
        "SELECT observed_at, verdict FROM delivery_ops.account_observations WHERE delivery_date=%s "
        "AND source='monitor' ORDER BY 1",
        DAY,
    )
    start = window.at(DAY, "delivery_start")
    assert [t for t, _ in looks] == [start + timedelta(minutes=k, seconds=10) for k in range(7)]  # every 60 s
    assert [v for _, v in looks] == ["none"] * 3 + ["account_suspended"] * 4
    reads = [r for r in sandbox.requests("whatsapp") if r["path"].endswith("/phone_numbers")]
    assert len(reads) == 7
    assert _q(
        db_url, "SELECT opened_at, kind FROM delivery_ops.incidents WHERE incident_id=%s", INCIDENT
    ) == [(FIRST_POLL_AFTER, "business")]
    ledger = _q(
        db_url,
        "SELECT target, channel, due_at, status FROM delivery_ops.escalations WHERE incident_id=%s "
        "AND action='notify' ORDER BY target, channel",
        INCIDENT,
    )
    assert ledger == [
        ("ceo", "slack:#executive-alerts", FIRST_POLL_AFTER, "sent"),
        ("cto", "pagerduty", FIRST_POLL_AFTER, "sent"),
        ("cto", "slack:#executive-alerts", FIRST_POLL_AFTER, "sent"),
    ]

    # a replay of the day (the window is over): the record's looks, judged again, reach the same incident
    with psycopg.connect(db_url) as conn:
        for table in ("escalations", "notifications", "incidents", "metric_ticks"):
            conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date=%s", (DAY,))  # noqa: S608
        conn.commit()
    asked = len(sandbox.requests("whatsapp"))
    later = FakeClock(window.close(DAY, P) + timedelta(days=1))
    with psycopg.connect(db_url) as conn:
        replay = loop.run_monitor(
            conn,
            DAY,
            P,
            dry_run=True,
            now=later.now,
            sleep=later.sleep,
            push_series=None,
            poll_templates=None,
        )
    assert replay.mode == "replay"
    assert len(sandbox.requests("whatsapp")) == asked  # WhatsApp is never asked about a past day
    assert _q(db_url, "SELECT opened_at FROM delivery_ops.incidents WHERE incident_id=%s", INCIDENT) == [
        (FIRST_POLL_AFTER,)
    ]
    statuses = _q(
        db_url, "SELECT DISTINCT status FROM delivery_ops.escalations WHERE incident_id=%s AND action='notify'",
        INCIDENT,
    )  # fmt: skip
    assert statuses == [("dry_run",)]  # planned again from the record's rows; a dry run sends nothing


def test_a_live_quality_drop_to_medium_starts_the_quality_row(db_url, sandbox):
    day = date(2026, 5, 17)
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        write_day(conn, generate_day("healthy", day))
        conn.commit()
    clock = FakeClock(window.at(day, "delivery_start"))
    clock.hooks.append((window.at(day, "delivery_start") + timedelta(minutes=2, seconds=30),
                        lambda: sandbox.set_scenario("quality_yellow")))  # fmt: skip
    with psycopg.connect(db_url) as conn:
        loop.run_monitor(
            conn, day, P, now=clock.now, sleep=clock.sleep, push_series=None, poll_templates=None
        )
    seen = window.at(day, "delivery_start") + timedelta(minutes=3, seconds=10)
    incident = f"{day}:whatsapp_quality_rating_medium"
    assert _q(db_url, "SELECT opened_at FROM delivery_ops.incidents WHERE incident_id=%s", incident) == [
        (seen,)
    ]
    rows = _q(
        db_url,
        "SELECT target, due_at, status FROM delivery_ops.escalations WHERE incident_id=%s ORDER BY due_at, target",
        incident,
    )
    assert {(t, s) for t, d, s in rows if d == seen} == {("head_of_operations", "sent")}
    assert {t for t, d, s in rows if d == seen + timedelta(hours=2) and s == "pending"} == {
        "cto",
        "head_of_marketing",
    }
    assert not _q(
        db_url,
        "SELECT 1 FROM delivery_ops.incidents WHERE incident_id=%s",
        f"{day}:whatsapp_account_suspended",
    )
