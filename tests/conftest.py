"""Shared test set-up. Airflow's settings must be in the environment before anything imports airflow."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Per test session (pid): parallel sessions on one machine never share Airflow metadata or a database.
AIRFLOW_HOME = ROOT / ".cache" / f"test-airflow-{os.getpid()}"

# Fresh SQLite metadata per session; our dags folder only.
shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)
AIRFLOW_HOME.mkdir(parents=True)
os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}"
os.environ.pop("DELIVERY_WINDOW_PROTOCOL", None)

TEST_DB = f"delivery_window_test_{os.getpid()}"


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


def pytest_collection_modifyitems(items):
    """Every test carries exactly the marker of its folder (unmarked tests are a mistake)."""
    for item in items:
        folder = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if folder in {"dags", "unit", "integration", "e2e", "faults"}:
            item.add_marker(getattr(pytest.mark, folder))


@pytest.fixture(scope="session")
def db_url():
    """A fresh PostgreSQL database: 127.0.0.1:5432 when it is up, else the embedded pgserver one."""
    from delivery_window import runtime
    from delivery_window.sandbox.scenarios import apply_source_contract

    os.environ.pop("DELIVERY_DB_URL", None)
    if runtime.port_open(*runtime.LOCAL_PG):
        admin = f"postgresql://postgres@{runtime.LOCAL_PG[0]}:{runtime.LOCAL_PG[1]}/postgres"
    else:
        admin = runtime.embedded_postgres_url(ROOT / ".cache" / "test-pgdata")
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    url = runtime.with_database(admin, TEST_DB)
    with psycopg.connect(url) as conn:
        apply_source_contract(conn)
        conn.commit()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def wired_sandbox(db_url):
    """``with wired_sandbox(scenario="healthy", **kwargs) as sb:`` a running sandbox with every Airflow
    connection of this process pointed at it (and ``delivery_db`` at the test database)."""
    from delivery_window import runtime
    from delivery_window.connections import sandbox_connections
    from delivery_window.sandbox.server import Sandbox

    @contextmanager
    def start(scenario: str = "healthy", **kwargs):
        with Sandbox(scenario, **kwargs) as sandbox:
            runtime.set_connections(
                sandbox_connections(
                    sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL)
                )
            )
            yield sandbox

    return start


@pytest.fixture(scope="session")
def own_database(db_url):
    """``with own_database("suffix") as url:`` a fresh database beside the test one (for a day whose source
    constraints are dropped, or Airflow's own metadata), dropped when the block ends."""
    import psycopg

    from delivery_window import runtime

    admin = runtime.with_database(db_url, "postgres")

    @contextmanager
    def make(suffix: str):
        name = f"{TEST_DB}_{suffix}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield runtime.with_database(db_url, name)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make


@pytest.fixture
def pg(db_url):
    """A psycopg 3 connection to the test database, rolled back after the test."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        yield conn
        conn.rollback()


# --- whole simulated days (tests/e2e, tests/faults) -------------------------------------------------------


@pytest.fixture(scope="session")
def airflow_db():
    from delivery_window import runtime

    runtime.init_airflow_db()


@dataclass
class DayRun:
    """The outcome of one simulated day: the DagRun, what the sandbox received, and SQL helpers."""

    dag_run: Any
    sandbox: Any  # delivery_window.sandbox.server.Sandbox
    db_url: str
    day: date

    @property
    def state(self) -> str:
        return str(self.dag_run.state)

    def rows(self, sql: str, *params) -> list[tuple]:
        """Rows of a query; ``%s`` placeholders, the delivery date is NOT implied."""
        import psycopg

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
    """``run_day(scenario, day, conf=None, faults=None, write=True, platform_effects=True, record=True)`` → DayRun;
    the sandbox is stopped after. ``record``: the run plays the simulated morning live and writes the day's record
    (as the demo does); ``record=False`` runs it as ``delivery-window replay`` does, an evaluation beside it."""
    import psycopg

    from delivery_window import runtime
    from delivery_window.connections import sandbox_connections
    from delivery_window.migrate import apply_migrations
    from delivery_window.sandbox.scenarios import generate_day, write_day
    from delivery_window.sandbox.server import Sandbox

    def run(
        scenario: str,
        day: date,
        conf: dict | None = None,
        faults: dict | None = None,
        write: bool = True,
        platform_effects: bool = True,
        record: bool = True,
    ) -> DayRun:
        with psycopg.connect(db_url) as conn:
            apply_migrations(conn)
            if write:
                write_day(conn, generate_day(scenario, day))
            conn.commit()
        # platform_effects: the delivery service's actions (requeue, pause) write their sends into the platform
        # data, as a real one does; off, they are only remembered (a day that studies something else)
        sandbox = Sandbox(
            scenario=scenario, faults=faults, platform_db=db_url if platform_effects else None
        ).start()
        runtime.set_connections(
            sandbox_connections(sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        try:
            dag_run = runtime.run_dag(day, conf=conf, record=record)
        finally:
            sandbox.stop()
        return DayRun(dag_run, sandbox, db_url, day)

    return run
