"""The source contract (sql/source_contract.sql: DDL on platform.*) is applied only on a database the package
owns and only when asked: `migrate --with-source-contract` creates the platform tables, `replay` never runs it
(issue 15, requirement 7)."""

from __future__ import annotations

from datetime import datetime

import psycopg
import pytest

from delivery_window import cli
from delivery_window.migrate import apply_migrations
from delivery_window.sandbox.scenarios import apply_source_contract

pytestmark = pytest.mark.integration


def _platform_indexes(url) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'platform'").fetchall()
    return {r[0] for r in rows}


def test_replay_never_applies_the_source_contract(own_database, monkeypatch):
    """The platform tables are the platform's: a replay reads them and runs no DDL on them (here: an index the
    contract would drop stays, one it would create stays absent)."""
    monkeypatch.setattr(cli, "run_day", lambda url, scenario, day, **kwargs: ("success", True))
    with own_database("replay_ddl") as url:
        with psycopg.connect(url) as conn:
            apply_source_contract(conn)
            apply_migrations(conn)
            conn.execute("DROP INDEX platform.delivery_attempts_date_status_attempted_idx")
            conn.execute(
                "CREATE INDEX delivery_attempts_date_status_at_idx "
                "ON platform.delivery_attempts (delivery_date, status_at)"
            )
            at = datetime(2026, 3, 3, 0, 31)
            conn.execute(
                "INSERT INTO platform.delivery_attempts (attempt_id, delivery_date, advisor_id, segment, "
                "phone_number_id, template_name, attempted_at, api_latency_ms, status, status_at) "
                "VALUES (1, '2026-03-03', 'ADV-1', 1, '1065550100', 'daily_brief_seg1', %s, 100, 'delivered', %s)",
                (at, at),
            )
        before = _platform_indexes(url)
        assert "delivery_attempts_date_status_at_idx" in before
        assert cli.main(["replay", "--date", "2026-03-03", "--db-url", url]) == 0
        assert _platform_indexes(url) == before


def test_migrate_with_source_contract_creates_the_platform_tables_on_an_empty_database(own_database, capsys):
    with own_database("migrate_contract") as url:
        assert cli.main(["migrate", "--with-source-contract", "--db-url", url]) == 0
        assert capsys.readouterr().out.startswith("applied ")
        with psycopg.connect(url) as conn:
            tables = {
                r[0]
                for r in conn.execute(
                    "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('platform', 'delivery_ops')"
                ).fetchall()
            }
        assert {"platform.delivery_attempts", "platform.advisors", "platform.templates_in_use"} <= tables
        assert "delivery_ops.window_runs" in tables
        assert cli.main(["migrate", "--with-source-contract", "--db-url", url]) == 0  # idempotent
        assert "none pending" in capsys.readouterr().out
