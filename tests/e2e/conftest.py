"""Run a whole simulated day through the real DAG (dag.test()) against the sandbox and the test database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
import pytest

from delivery_window import runtime
from delivery_window.connections import sandbox_connections
from delivery_window.migrate import apply_migrations
from delivery_window.sandbox.scenarios import generate_day, write_day
from delivery_window.sandbox.server import Sandbox


@pytest.fixture(scope="session")
def airflow_db():
    runtime.init_airflow_db()


@dataclass
class DayRun:
    """The outcome of one simulated day: the DagRun, what the sandbox received, and SQL helpers."""

    dag_run: Any
    sandbox: Sandbox
    db_url: str
    day: date

    @property
    def state(self) -> str:
        return str(self.dag_run.state)

    def rows(self, sql: str, *params) -> list[tuple]:
        """Rows of a query; ``%s`` placeholders, the delivery date is NOT implied."""
        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql, params).fetchall()

    def one(self, sql: str, *params) -> tuple:
        return self.rows(sql, *params)[0]

    def table(self, name: str, columns: str = "*") -> list[tuple]:
        """Rows of ``delivery_ops.<name>`` for this day in a stable order (name and columns are test constants)."""
        sql = f"SELECT {columns} FROM delivery_ops.{name} WHERE delivery_date = %s ORDER BY 1, 2"  # noqa: S608
        return self.rows(sql, self.day)


@pytest.fixture(scope="session")
def run_day(db_url, airflow_db):
    """``run_day(scenario, day, conf=None, faults=None, write=True)`` → DayRun; the sandbox is stopped after."""

    def run(
        scenario: str, day: date, conf: dict | None = None, faults: dict | None = None, write: bool = True
    ) -> DayRun:
        with psycopg.connect(db_url) as conn:
            apply_migrations(conn)
            if write:
                write_day(conn, generate_day(scenario, day))
            conn.commit()
        sandbox = Sandbox(scenario=scenario, faults=faults).start()
        runtime.set_connections(
            sandbox_connections(sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        try:
            dag_run = runtime.run_dag(day, conf=conf)
        finally:
            sandbox.stop()
        return DayRun(dag_run, sandbox, db_url, day)

    return run
