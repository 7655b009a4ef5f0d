"""Local runtime for the demo, replays and tests: a report database, the sandbox, Airflow settings.

Set-up order matters: the environment (AIRFLOW_HOME, connections) must be in place before Airflow is
imported, so everything Airflow-related is imported inside functions here.
"""

from __future__ import annotations

import os
import socket
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from delivery_window.masking import masked_logger
from delivery_window.paths import ROOT

log = masked_logger(__name__)
CACHE = ROOT / ".cache"
BUILD = ROOT / "build"
LOCAL_PG = ("127.0.0.1", 5432)
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at host:port."""
    with closing(socket.socket()) as s:
        s.settimeout(timeout)
        return s.connect_ex((host, port)) == 0


_embedded = None  # keeps the pgserver handle alive for the process


def embedded_postgres_url(data_dir: Path | None = None) -> str:
    """Start (or reuse) an embedded PostgreSQL from the ``pgserver`` package; return its URL."""
    global _embedded
    import pgserver

    data_dir = data_dir or CACHE / "pgdata"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _embedded = pgserver.get_server(data_dir, cleanup_mode="stop")
    return _embedded.get_uri()


def database_url(name: str, *, prefer_local: bool) -> str:
    """``DELIVERY_DB_URL`` if set; else a database ``name`` on the local server (when preferred and up);
    else the embedded PostgreSQL. Never SQLite: the report store is always PostgreSQL."""
    if os.environ.get("DELIVERY_DB_URL"):
        return os.environ["DELIVERY_DB_URL"]
    if prefer_local and port_open(*LOCAL_PG):
        admin = f"postgresql://postgres@{LOCAL_PG[0]}:{LOCAL_PG[1]}/postgres"
    else:
        admin = embedded_postgres_url()
    create_database(admin, name)
    return with_database(admin, name)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (keeps a socket ``?host=`` query, as pgserver URLs have)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str) -> None:
    """CREATE DATABASE ``name`` unless it exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_airflow(home: Path) -> None:
    """Airflow settings for a local run: SQLite metadata under ``home``, our dags folder, no examples."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")


def set_connections(conns: dict[str, str]) -> None:
    """Expose connections to Airflow as ``AIRFLOW_CONN_<ID>`` environment variables."""
    for conn_id, value in conns.items():
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = value


def init_airflow_db() -> None:
    """Create or upgrade Airflow's metadata DB (idempotent)."""
    from airflow.utils import db

    db.initdb()


def run_after_for(day: date) -> datetime:
    """The scheduled run instant of a delivery date: 05:30 IST that day (as the cron schedule would fire)."""
    from delivery_window.protocol import get_protocol

    p = get_protocol()
    return datetime.combine(day, p.time_of("window_open"), tzinfo=ZoneInfo(p.timezone))


def run_dag(day: date, *, dry_run: bool = False, conf: dict | None = None, record: bool = True):
    """Run the real ``delivery_window`` DAG for ``day`` with ``dag.test()``; return the DagRun.

    ``conf`` adds DAG params (validated by the DAG's Param schemas) to ``delivery_date`` and ``dry_run``.
    ``record`` (the default: the demo and the tests play the sandbox's simulated morning as its live run) writes
    the day's record; ``record=False`` (``delivery-window replay``) makes a past day an evaluation (``scope``).
    """
    from airflow.dag_processing.dagbag import DagBag

    from delivery_window.runbooks.watch import IN_PROCESS_ENV

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags["delivery_window"]
    # Airflow 3.3.2: dag.test() of a DAG with a deadline raises when the run succeeds (apache/airflow#73428);
    # deadlines are the scheduler's job, so a local run drops them.
    dag.deadline = None
    when = run_after_for(day)
    # in-process and one task at a time: a waiting runbook watch looks again at once (wiring.runbook_watch)
    os.environ[IN_PROCESS_ENV] = "1"
    try:
        return dag.test(
            logical_date=when,
            run_after=when,
            run_conf={
                "delivery_date": day.isoformat(),
                "dry_run": dry_run,
                # dag.test() runs at the day's own 05:30 (run_after), so "auto" would take any day for the
                # record: a replay says it is an evaluation
                "record": "record" if record else "evaluation",
                **(conf or {}),
            },
        )
    finally:
        os.environ.pop(IN_PROCESS_ENV, None)
        from delivery_window import scope

        scope.enter(
            scope.RECORD
        )  # the run's tasks set their scope; what this process does next is the record's


def dsn_connect(url: str):
    """A psycopg 3 connection for set-up work outside Airflow (migrations, scenario data)."""
    import psycopg

    return psycopg.connect(url)
