"""Report-schema migrations and store upserts against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from delivery_window import store
from delivery_window.escalation import outbox
from delivery_window.migrate import MigrationError, apply_migrations, discover
from delivery_window.records import CheckResult, Decision, Status

DAY = date(2026, 1, 7)
NOW = datetime(2026, 1, 7, 0, 0, tzinfo=UTC)


def table_snapshot(pg):
    return pg.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'delivery_ops' ORDER BY 1, 2"
    ).fetchall()


def test_migrate_is_idempotent(pg):
    apply_migrations(pg)
    before = table_snapshot(pg)
    assert apply_migrations(pg) == []
    assert table_snapshot(pg) == before
    versions = [r[0] for r in pg.execute("SELECT version FROM delivery_ops.schema_migrations ORDER BY 1")]
    assert versions == [m.version for m in discover()]
    tables = {r[0] for r in before}
    assert {
        "window_runs",
        "check_results",
        "metric_ticks",
        "alerts",
        "incidents",
        "escalations",
        "dq_results",
        "advisor_issues",
        "daily_reports",
        "handoff_log",
    } <= tables


@pytest.fixture
def scratch_db(db_url):
    """An empty database of its own, so a test may record its own migration history."""
    import psycopg

    from delivery_window.runtime import with_database

    name = "delivery_window_scratch"
    with psycopg.connect(with_database(db_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(with_database(db_url, name)) as conn:
        yield conn


def test_edited_migration_is_refused(scratch_db, tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE IF NOT EXISTS delivery_ops.t_edit (a int);")
    assert apply_migrations(scratch_db, tmp_path) == ["0001"]
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE IF NOT EXISTS delivery_ops.t_edit (a int, b int);")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        apply_migrations(scratch_db, tmp_path)


def test_misnamed_migration_is_refused(tmp_path):
    (tmp_path / "first.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="NNNN_snake_case"):
        discover(tmp_path)


def test_check_upsert_replaces_not_duplicates(pg):
    apply_migrations(pg)
    r = CheckResult("check_x", "pre", Status.FAIL, "bad", {"n": 1}, 5)
    store.record_check(pg, DAY, r, NOW)
    store.record_check(pg, DAY, CheckResult("check_x", "pre", Status.PASS, "good", {"n": 2}, 3), NOW)
    rows = store.check_results(pg, DAY)
    assert [(x["check_name"], x["status"], x["observed"]) for x in rows] == [("check_x", "pass", {"n": 2})]


def test_alert_keeps_first_fired_and_reports_first_time(pg):
    from delivery_window.records import Firing

    apply_migrations(pg)
    f1 = Firing("failure_rate_2m", "overall", "page", NOW.replace(minute=31), "x")
    f2 = Firing("failure_rate_2m", "overall", "page", NOW.replace(minute=33), "y")
    assert store.record_alert(pg, DAY, f1, "k1") is True
    assert store.record_alert(pg, DAY, f2, "k1") is False
    (row,) = store.alerts(pg, DAY)
    assert (row["first_fired_at"], row["last_seen_at"]) == (f1.at, f2.at)


def test_outbox_sends_once_and_keeps_failures_pending(pg):
    apply_migrations(pg)
    sent = []

    def flaky(channel, kind, payload):
        if payload.get("fail"):
            raise ConnectionError("refused")
        sent.append(payload["text"])

    for key, payload in (("a", {"text": "A"}), ("b", {"text": "B", "fail": True})):
        assert outbox.enqueue(
            pg, DAY, dedup_key=key, channel="c", kind="slack_message", payload=payload, at=NOW
        )
    assert not outbox.enqueue(pg, DAY, dedup_key="a", channel="c", kind="slack_message", payload={}, at=NOW)
    r1 = outbox.flush(pg, DAY, sender=flaky)
    r2 = outbox.flush(pg, DAY, sender=flaky)
    assert sent == ["A"]
    assert (r1.sent, list(r1.failed), r2.sent, list(r2.failed)) == (1, ["b"], 0, ["b"])
    status = dict(
        pg.execute(
            "SELECT dedup_key, status FROM delivery_ops.notifications WHERE delivery_date = %s", (DAY,)
        ).fetchall()
    )
    attempts = pg.execute(
        "SELECT attempts, last_error FROM delivery_ops.notifications WHERE dedup_key='b'"
    ).fetchone()
    assert status == {"a": "sent", "b": "pending"}
    assert attempts == (2, "ConnectionError: refused")


def test_decision_upsert(pg):
    apply_migrations(pg)
    store.record_decision(pg, DAY, "choose_runbook", Decision("no_incident", ("calm",)), NOW)
    store.record_decision(pg, DAY, "choose_runbook", Decision("delivery_failure", ("x", "y")), NOW)
    d = store.decisions(pg, DAY)["choose_runbook"]
    assert (d["choice"], d["reasons"]) == ("delivery_failure", ["x", "y"])


def test_cli_migrate_twice_applies_once(db_url, capsys):
    from delivery_window.cli import main

    assert main(["migrate", "--db-url", db_url]) == 0
    assert main(["migrate", "--db-url", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("applied 0 migration(s): none pending")
