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


def apply_migrations(conn, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations on a DB-API connection in one transaction; return the versions applied."""
    migrations = discover(directory)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        cur.execute(_VERSION_TABLE)
        cur.execute("SELECT version, checksum FROM delivery_ops.schema_migrations")
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
            cur.execute(mig.sql)
            cur.execute(
                "INSERT INTO delivery_ops.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (mig.version, mig.name, mig.checksum),
            )
            done.append(mig.version)
    conn.commit()
    return done


def migrate_report_schema() -> list[str]:
    """Task body: apply pending ``sql/migrations`` to the delivery database as its owner (idempotent)."""
    from delivery_window import store

    with store.report_db(migration_conn_id()) as conn:
        return apply_migrations(conn)
