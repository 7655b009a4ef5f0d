"""Local runtime for the demo, replays and tests: a report database, the sandbox, Airflow settings.

Set-up order matters: the environment (AIRFLOW_HOME, connections) must be in place before Airflow is
imported, so everything Airflow-related is imported inside functions here.
"""

from __future__ import annotations

import os
import socket
import sys
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
    return server_database_url(name, prefer_local=prefer_local)


def server_database_url(name: str, *, prefer_local: bool) -> str:
    """Database ``name`` (created if missing) on 127.0.0.1:5432 when preferred and up, else on the embedded
    PostgreSQL (started if needed; it lives as long as this process)."""
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
    """Airflow settings for a local dag.test() run (the demo, replays): SQLite metadata under ``home`` (one
    process), our dags folder, no examples, logs at WARNING. ``airflow standalone``: :func:`standalone_env`."""
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


# --- airflow standalone (`delivery-window airflow`, tests/e2e/test_ui.py) --------------------------------------

# The local sandbox UI's fixed login (user, password): the simple auth manager's, from the passwords file below.
UI_LOGIN = ("admin", "admin")
UI_METADATA_DB = "airflow_ui"


def ui_passwords_file(home: Path) -> Path:
    """The simple auth manager's passwords file (JSON ``{user: password}``) under ``home``."""
    return home / "simple_auth_manager_passwords.json"


def write_ui_login(home: Path) -> Path:
    """Write :data:`UI_LOGIN` to the passwords file: the simple auth manager then keeps it, instead of
    generating a password at first start and printing it once among standalone's output."""
    import json

    home.mkdir(parents=True, exist_ok=True)
    path = ui_passwords_file(home)
    user, password = UI_LOGIN
    path.write_text(json.dumps({user: password}) + "\n")
    return path


def sqlalchemy_url(url: str) -> str:
    """A ``postgresql://`` URL with the driver Airflow's metadata uses (psycopg2)."""
    return (
        url.replace("postgresql://", "postgresql+psycopg2://", 1) if url.startswith("postgresql://") else url
    )


def standalone_env(
    *,
    home: Path,
    port: int,
    metadata_url: str,
    connections: dict[str, str],
    scheduled_runs: bool = True,
    all_admins: bool = False,
    path: str | None = None,
) -> dict[str, str]:
    """The settings ``airflow standalone`` runs with, for ``delivery-window airflow`` and the UI test alike
    (add them to ``os.environ``). Pure: nothing is written or started.

    Metadata on PostgreSQL (``metadata_url``), never SQLite: standalone runs a scheduler, a dag-processor, a
    triggerer and parallel tasks, and SQLite's single writer lock made the scheduler die ("database is
    locked") on a busy machine. The API on 127.0.0.1:``port``; login :data:`UI_LOGIN` from the passwords file
    :func:`write_ui_login` writes, role admin (``all_admins``: no login at all, every request is an admin's).
    DAGs unpaused when first parsed; task logs at INFO (the UI shows them). ``[core] default_timezone`` is the
    protocol's (Asia/Kolkata): naive times, as in CLI arguments, are IST. The UI itself shows times in the zone
    chosen in its user menu, the browser's until then: Airflow 3.3 has no server setting for it (2.x's
    ``[webserver] default_ui_timezone`` is gone), so the delivery-window view's pages choose Asia/Kolkata once
    for a user who has chosen none (``delivery_window.ui``). ``scheduled_runs=False`` turns the scheduler's own
    runs off (only triggered runs run). ``connections``: id → URI, as ``AIRFLOW_CONN_<ID>``. The venv's bin goes
    first on ``PATH`` (``path``, default ``$PATH``): standalone starts its components as bare ``airflow ...``."""
    from delivery_window.protocol import get_protocol

    user, _ = UI_LOGIN
    path = os.environ.get("PATH", os.defpath) if path is None else path
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(metadata_url),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": get_protocol().timezone,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(scheduled_runs),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{user}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(ui_passwords_file(home)),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": str(all_admins),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{path}",
        **{f"AIRFLOW_CONN_{conn_id.upper()}": uri for conn_id, uri in connections.items()},
    }


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
        dag_run = dag.test(
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
        from delivery_window.ui.run_notes import note_after_test

        try:
            note_after_test(dag_run)  # the grid's note, as the scheduler's listener writes it
        except Exception as exc:  # a note is a convenience: the run and its record stand without it
            log.warning("could not write the note of %s: %s: %s", dag_run.run_id, type(exc).__name__, exc)
        return dag_run
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
