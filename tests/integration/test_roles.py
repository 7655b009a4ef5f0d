"""sql/roles.sql: the app login reads platform, writes delivery_ops, and can do nothing else."""

from __future__ import annotations

import psycopg
import pytest

from delivery_window.migrate import apply_migrations
from delivery_window.paths import SQL_DIR


@pytest.fixture
def app_conn(db_url):
    with psycopg.connect(db_url) as admin:
        apply_migrations(admin)
        admin.execute((SQL_DIR / "roles.sql").read_text())
        admin.execute((SQL_DIR / "roles.sql").read_text())  # idempotent
        admin.commit()
    with psycopg.connect(db_url) as conn:
        conn.execute("SET ROLE delivery_window_app")
        yield conn
        conn.rollback()


def test_app_reads_platform_and_writes_reports(app_conn):
    app_conn.execute("SELECT count(*) FROM platform.delivery_attempts").fetchone()
    app_conn.execute(
        "INSERT INTO delivery_ops.handoff_log (delivery_date, section, content, written_at) "
        "VALUES ('2026-01-01', 'roles_test', '{}', now())"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM platform.delivery_attempts",
        "UPDATE platform.advisors SET active = false",
        "CREATE TABLE delivery_ops.rogue (a int)",
        "DROP TABLE delivery_ops.window_runs",
    ],
)
def test_app_cannot_change_the_source_or_the_schema(app_conn, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(statement)
