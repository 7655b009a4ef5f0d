"""Apply ``sql/migrations/NNNN_*.sql`` in order, once each, recorded in a version table.

Rerunning changes nothing: applied versions are skipped, and an applied file whose text changed is an
error (fix forward with a new migration instead of editing history).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from delivery_window.masking import masked_logger
from delivery_window.paths import MIGRATIONS_DIR
from delivery_window.scope import RECORD_SCHEMA

log = masked_logger(__name__)
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant works; it only has to be the same for every process that migrates this database.
_LOCK_ID = 0x64_77_6D_67  # "dwmg"

_VERSION_TABLE = """
CREATE SCHEMA IF NOT EXISTS delivery_ops;
CREATE TABLE IF NOT EXISTS delivery_ops.schema_migrations (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
-- The ledger of applied migrations is the migrating role's alone: where sql/roles.sql set up the app's roles,
-- the app reads it (to see nothing is left to apply) but cannot write it. (A role that does not own the table
-- revokes nothing and only gets a warning: the fallback that migrates through delivery_db.)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'delivery_window_writer') THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON delivery_ops.schema_migrations FROM delivery_window_writer;
    END IF;
END
$$
"""


class MigrationError(RuntimeError):
    """A migration file is misnamed, or an applied one was edited."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migration files in version order; a misnamed .sql file is an error, not silently skipped."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_case.sql")
        found.append(Migration(m.group(1), path.stem, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {directory}: {versions}")
    return found


def migration_conn_id() -> str:
    """The connection id that runs DDL: ``delivery_db_owner`` when defined, else ``delivery_db`` (logged).

    In production ``delivery_db`` is the least-privilege app login (sql/roles.sql), which cannot create
    tables; the fallback keeps the demo, the tests and a dev box, which define only ``delivery_db``, working.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    from delivery_window.connections import DELIVERY_DB, DELIVERY_DB_OWNER

    try:
        BaseHook.get_connection(DELIVERY_DB_OWNER)
    except AirflowNotFoundException:
        # A warning: in production this means the app login will try DDL and fail with "permission denied".
        log.warning("connection %s is not defined; migrating with %s", DELIVERY_DB_OWNER, DELIVERY_DB)
        return DELIVERY_DB
    return DELIVERY_DB_OWNER


# An evaluation's schema is created by the migrating role; the app login (sql/roles.sql) reads and writes its rows.
_GRANT_WRITER = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'delivery_window_writer') THEN
        GRANT USAGE ON SCHEMA delivery_ops TO delivery_window_writer;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA delivery_ops TO delivery_window_writer;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA delivery_ops TO delivery_window_writer;
    END IF;
END
$$
"""
_SCHEMA_WORD = re.compile(r"\bdelivery_ops\b")


def in_schema(sql: str, schema: str) -> str:
    """A migration's text for ``schema`` (an evaluation's copy of the report schema); checksums stay the
    original file's, so the record and every evaluation agree on what was applied."""
    return sql if schema == RECORD_SCHEMA else _SCHEMA_WORD.sub(schema, sql)


def apply_migrations(conn, directory: Path = MIGRATIONS_DIR, *, schema: str = RECORD_SCHEMA) -> list[str]:
    """Apply pending migrations on a DB-API connection in one transaction; return the versions applied.

    ``schema`` other than ``delivery_ops`` builds an evaluation's copy of the report schema (``scope``)."""
    migrations = discover(directory)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        cur.execute(in_schema(_VERSION_TABLE, schema))
        cur.execute(in_schema("SELECT version, checksum FROM delivery_ops.schema_migrations", schema))
        applied = dict(cur.fetchall())
        done = []
        for mig in migrations:
            if mig.version in applied:
                if applied[mig.version] != mig.checksum:
                    raise MigrationError(
                        f"migration {mig.name} was edited after it was applied "
                        f"(checksum {applied[mig.version][:12]} != {mig.checksum[:12]}); add a new migration"
                    )
                continue
            cur.execute(in_schema(mig.sql, schema))
            cur.execute(
                in_schema(
                    "INSERT INTO delivery_ops.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    schema,
                ),
                (mig.version, mig.name, mig.checksum),
            )
            done.append(mig.version)
        if done and schema != RECORD_SCHEMA:
            cur.execute(in_schema(_GRANT_WRITER, schema))
    conn.commit()
    return done


def migrate_report_schema() -> list[str]:
    """Task body: apply pending ``sql/migrations`` to the delivery database as its owner (idempotent); in an
    evaluation, also build the evaluation's own schema and register it in ``delivery_ops.evaluations``."""
    from delivery_window import scope, store

    run = scope.current()
    with store.report_db(migration_conn_id()) as conn:
        applied = apply_migrations(conn)
        if not run.is_record:
            applied += [f"{run.schema}:{v}" for v in apply_migrations(conn, schema=run.schema)]
    if not run.is_record:
        register_evaluation(run)
    return applied


def register_evaluation(run) -> None:
    """Row of ``delivery_ops.evaluations`` for the running evaluation (a rerun of its run updates it)."""
    import json

    from airflow.sdk import get_current_context

    from delivery_window import store
    from delivery_window.escalation.clock import utcnow
    from delivery_window.window import context_day

    ctx = get_current_context()
    with store.report_db() as conn:
        store.execute(
            conn,
            "upsert_evaluation",
            {
                "evaluation_id": run.evaluation_id,
                "schema_name": run.schema,
                "delivery_date": context_day(),
                "dag_run_id": ctx["run_id"],
                "conf": json.dumps(dict(ctx["dag_run"].conf or {}), default=str, sort_keys=True),
                "sends": run.send,
                "created_at": utcnow(),
            },
        )
