"""`delivery-window replay` and `migrate` against the real Postgres: a past day without delivery attempts and a
database without the platform schema are one line on stderr and exit 2, and nothing runs or is written."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg
import pytest

from delivery_window import cli

pytestmark = pytest.mark.integration
EMPTY_DAY = date(
    2026, 5, 11
)  # no other test writes this day (the e2e days, 2026-06-01 among them, have data)
RECORDED_DAY = date(2026, 3, 3)


@pytest.fixture
def runs(monkeypatch):
    """The days the replay went on to run (the sandbox and Airflow are not started: only the call is kept)."""
    days: list[date] = []

    def prepare_day(url, scenario, day):
        days.append(day)

    monkeypatch.setattr(cli, "prepare_day", prepare_day)
    monkeypatch.setattr(cli, "run_day", lambda url, scenario, day, **kwargs: ("success", True))
    return days


@pytest.fixture
def one_attempt(db_url):
    """One attempt of RECORDED_DAY in platform.delivery_attempts (removed afterwards)."""
    at = datetime(2026, 3, 3, 0, 31)
    with psycopg.connect(db_url) as conn:
        conn.execute(
            "INSERT INTO platform.delivery_attempts (attempt_id, delivery_date, advisor_id, segment, "
            "phone_number_id, template_name, attempted_at, api_latency_ms, status, status_at) "
            "VALUES (-15, %s, 'ADV-cli-test', 1, '1065550100', 'daily_brief_seg1', %s, 100, 'delivered', %s)",
            (RECORDED_DAY, at, at),
        )
    yield
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM platform.delivery_attempts WHERE attempt_id = -15")


def test_a_past_day_without_attempts_is_refused_before_any_action(db_url, capsys, runs):
    with psycopg.connect(db_url) as conn:
        assert not conn.execute(
            "SELECT 1 FROM platform.delivery_attempts WHERE delivery_date = %s", (EMPTY_DAY,)
        ).fetchall()
    assert cli.main(["replay", "--date", EMPTY_DAY.isoformat(), "--db-url", db_url]) == 2
    out, err = capsys.readouterr()
    assert err == "delivery-window replay: error: no delivery attempts recorded for 2026-05-11\n"
    assert "Traceback" not in out
    assert runs == []  # neither the source contract nor the DAG ran


def test_a_past_day_with_attempts_and_today_without_any_are_replayed(db_url, runs, one_attempt):
    from delivery_window.run_params import context_today
    from delivery_window.window import tz

    assert cli.main(["replay", "--date", RECORDED_DAY.isoformat(), "--db-url", db_url]) == 0
    # at 05:30 today's attempts do not exist yet: today is never refused for having none
    today = context_today(tz())
    with psycopg.connect(db_url) as conn:
        assert not conn.execute(
            "SELECT 1 FROM platform.delivery_attempts WHERE delivery_date = %s", (today,)
        ).fetchall()
    assert cli.main(["replay", "--date", today.isoformat(), "--db-url", db_url]) == 0
    assert runs == [RECORDED_DAY, today]


def test_the_attempts_check_reads_the_day_asked(db_url, one_attempt):
    from delivery_window import store

    with psycopg.connect(db_url) as conn:
        assert store.has_delivery_attempts(conn, RECORDED_DAY)
        assert not store.has_delivery_attempts(conn, RECORDED_DAY + timedelta(days=1))


def test_migrate_without_the_platform_schema_names_the_file_that_creates_it(own_database, capsys):
    with own_database("no_platform") as url:
        assert cli.main(["migrate", "--db-url", url]) == 2
        out, err = capsys.readouterr()
        assert err.splitlines() == [
            "delivery-window migrate: error: no platform schema in that database: sql/source_contract.sql "
            "creates the platform schema and its tables (the source contract); on a database the package owns, "
            "`delivery-window migrate --with-source-contract` applies it"
        ]
        assert "Traceback" not in out
        with psycopg.connect(url) as conn:  # nothing was written: no report schema, no migration ledger
            schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
        assert "delivery_ops" not in schemas


def test_replay_on_a_database_without_platform_tables_names_the_file(own_database, capsys, runs):
    with own_database("no_platform_replay") as url:
        assert cli.main(["replay", "--date", EMPTY_DAY.isoformat(), "--db-url", url]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "delivery-window replay: error: no platform.delivery_attempts in that database: "
        "sql/source_contract.sql creates the platform schema and its tables (the source contract)"
    ]
    assert runs == []
