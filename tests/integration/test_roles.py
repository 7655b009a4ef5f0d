"""sql/roles.sql: the app login reads platform, writes delivery_ops, and can do nothing else.

Two orders are tested: roles.sql after the migrations (the session database), and roles.sql on a database
whose report schema does not exist yet, migrated afterwards by a non-superuser owner, as in docker-compose.yaml
(delivery-db-init applies roles.sql; the DAG's first task migrates as `delivery_db_owner`). The platform
tables there belong to another role, as they do in production.
"""

from __future__ import annotations

import logging
import os

import psycopg
import pytest

from delivery_window import runtime
from delivery_window.migrate import apply_migrations, discover, migrate_report_schema, migration_conn_id
from delivery_window.paths import SQL_DIR
from delivery_window.sandbox.scenarios import apply_source_contract

ROLES_SQL = (SQL_DIR / "roles.sql").read_text()
OWNER = f"delivery_window_test_owner_{os.getpid()}"
ROLES_FIRST_DB = f"delivery_window_roles_first_{os.getpid()}"
# A migration added after roles.sql ran: its table (and its serial's sequence) must be usable without rerunning it.
LATER_MIGRATION = "CREATE TABLE delivery_ops.later_notes (id bigserial PRIMARY KEY, note text NOT NULL);\n"


@pytest.fixture(scope="module")
def roles_first_url(db_url, tmp_path_factory):
    """A database owned by OWNER: source contract, then roles.sql, then the migrations run as OWNER."""
    admin = runtime.with_database(db_url, "postgres")
    url = runtime.with_database(db_url, ROLES_FIRST_DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ROLES_FIRST_DB}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{OWNER}"')
        conn.execute(f'CREATE ROLE "{OWNER}" NOLOGIN')
        conn.execute(f'CREATE DATABASE "{ROLES_FIRST_DB}" OWNER "{OWNER}"')
    later = tmp_path_factory.mktemp("later_migrations")
    (later / "9001_later_notes.sql").write_text(LATER_MIGRATION)
    with psycopg.connect(url) as conn:
        apply_source_contract(conn)  # as the superuser: platform belongs to someone other than the migrator
        conn.execute(ROLES_SQL)
        conn.commit()
        assert conn.execute("SELECT to_regclass('delivery_ops.window_runs')").fetchone() == (None,)
        conn.execute(f'SET ROLE "{OWNER}"')
        apply_migrations(conn)
        apply_migrations(conn, later)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ROLES_FIRST_DB}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{OWNER}"')


@pytest.fixture(params=["roles_after_migrations", "roles_before_migrations"])
def app_url(request, db_url):
    if request.param == "roles_before_migrations":
        return request.getfixturevalue("roles_first_url")
    with psycopg.connect(db_url) as admin:
        apply_migrations(admin)
        admin.execute(ROLES_SQL)
        admin.execute(ROLES_SQL)  # idempotent
        admin.commit()
    return db_url


@pytest.fixture
def app_conn(app_url):
    with psycopg.connect(app_url) as conn:
        conn.execute("SET ROLE delivery_window_app")
        yield conn
        conn.rollback()


def test_app_reads_platform_and_writes_reports(app_conn):
    app_conn.execute("SELECT count(*) FROM platform.delivery_attempts").fetchone()
    app_conn.execute("SELECT count(*) FROM delivery_ops.schema_migrations").fetchone()
    # A view over platform, created by the migrations: it reads with its owner's privileges.
    app_conn.execute("SELECT count(*) FROM delivery_ops.dq_day_delivery_attempts").fetchone()
    app_conn.execute(
        "INSERT INTO delivery_ops.handoff_log (delivery_date, section, content, written_at) "
        "VALUES ('2026-01-01', 'roles_test', '{}', now())"
    )
    app_conn.execute("DELETE FROM delivery_ops.handoff_log WHERE section = 'roles_test'")


def test_a_table_migrated_after_roles_sql_is_writable_by_the_app(roles_first_url):
    with psycopg.connect(roles_first_url) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'later_notes'").fetchone()
        assert owner == (OWNER,)
        conn.execute("SET ROLE delivery_window_app")
        conn.execute(
            "INSERT INTO delivery_ops.later_notes (note) VALUES ('written by the app')"
        )  # uses the sequence
        conn.execute("UPDATE delivery_ops.later_notes SET note = 'updated'")
        assert conn.execute("SELECT note FROM delivery_ops.later_notes").fetchall() == [("updated",)]
        conn.rollback()


def test_a_platform_table_added_later_is_readable(roles_first_url):
    with psycopg.connect(roles_first_url) as conn:
        conn.execute("CREATE TABLE platform.added_later (a int)")  # by the platform's owner, after roles.sql
        conn.execute("SET ROLE delivery_window_app")
        assert conn.execute("SELECT count(*) FROM platform.added_later").fetchone() == (0,)
        conn.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM platform.delivery_attempts",
        "UPDATE platform.advisors SET active = false",
        "INSERT INTO platform.advisors SELECT * FROM platform.advisors LIMIT 1",
        "CREATE TABLE delivery_ops.rogue (a int)",
        "DROP TABLE delivery_ops.window_runs",
        "ALTER TABLE delivery_ops.window_runs ADD COLUMN rogue int",
        "TRUNCATE delivery_ops.window_runs",
        "CREATE SCHEMA rogue",
        "CREATE TABLE public.rogue (a int)",
        # the migration ledger: the app reads it, only the migrating role writes it
        "INSERT INTO delivery_ops.schema_migrations (version, name, checksum) VALUES ('9999', 'rogue', 'x')",
        "UPDATE delivery_ops.schema_migrations SET checksum = 'x'",
        "DELETE FROM delivery_ops.schema_migrations",
    ],
)
def test_app_cannot_change_the_source_or_the_schema(app_conn, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(statement)


def test_migration_task_runs_on_the_owner_connection(db_url, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DELIVERY_DB", "postgresql://nobody@127.0.0.1:1/none")  # unreachable
    monkeypatch.setenv("AIRFLOW_CONN_DELIVERY_DB_OWNER", db_url)
    assert migration_conn_id() == "delivery_db_owner"
    migrate_report_schema()  # would fail to connect on delivery_db


def test_migration_task_falls_back_to_delivery_db_and_says_so(db_url, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_DELIVERY_DB", db_url)
    monkeypatch.delenv("AIRFLOW_CONN_DELIVERY_DB_OWNER", raising=False)
    with caplog.at_level(logging.WARNING, logger="delivery_window.migrate"):
        migrate_report_schema()
    assert "connection delivery_db_owner is not defined; migrating with delivery_db" in caplog.text
    with psycopg.connect(db_url) as conn:
        applied = {v for (v,) in conn.execute("SELECT version FROM delivery_ops.schema_migrations")}
    assert {m.version for m in discover()} <= applied
