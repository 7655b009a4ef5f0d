"""Faults of the platform itself: Postgres dropping every connection mid-window, Redis down, bad source data, a
malformed protocol.yaml. Each is a row of the fault summary table.

* **Postgres restarted**: the shared server is never restarted (other sessions use it). Terminating every backend
  of the test database (``pg_terminate_backend``) is what a restart looks like to a client: every open connection
  breaks at once. The live monitor (fake clock) is hit in the middle of the window and must end with exactly the
  ticks and alerts of an undisturbed run of the same data.
* **Redis down**: ``delivery_redis`` points at a closed port for the whole ``refuse`` day (``conftest.py``).
* **Bad source data**: a database of its own whose ``platform.delivery_attempts`` lost its NOT NULL and CHECK
  constraints (production reads views; a broken upstream can deliver anything), with nulls, statuses outside the
  contract and attempts outside the window; the day must still report, and the report must say what was wrong.
* **Malformed protocol.yaml**: the DAG file imported with ``$DELIVERY_WINDOW_PROTOCOL`` pointing at a broken copy;
  the import error names the dotted key.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import psycopg
import pytest
import yaml
from fault_table import REDIS_DOWN_PORT, ROOT, short

from delivery_window import runtime, window
from delivery_window.protocol import DEFAULT_PROTOCOL_PATH, PROTOCOL_ENV_VAR, get_protocol
from delivery_window.sandbox.services.platform_effects import REQUEUE_ID_BASE

PG_DAY = date(2026, 7, 15)
BAD_DATA_DAY = date(2026, 7, 17)


# --- Postgres: every connection dropped in the middle of the window ------------------------------------------
def _outcome(db_url: str, day: date) -> dict:
    with psycopg.connect(db_url) as conn:
        q = lambda sql: conn.execute(sql, (day,)).fetchall()  # noqa: E731
        return {
            "ticks": q(
                "SELECT tick_at, scope, attempts, resolved, delivered, failed, success_rate_pct, error_rate_pct, "
                "rate_per_min, p95_latency_ms FROM delivery_ops.metric_ticks WHERE delivery_date = %s ORDER BY 1, 2"
            ),
            "alerts": q(
                "SELECT rule, scope, severity, first_fired_at, dedup_key FROM delivery_ops.alerts "
                "WHERE delivery_date = %s ORDER BY 1, 2"
            ),
        }


def _clear(db_url: str, day: date) -> None:
    with psycopg.connect(db_url) as conn:
        for table in ("metric_ticks", "alerts", "notifications", "incidents", "template_observations"):
            conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date = %s", (day,))  # noqa: S608
        conn.commit()


def _live_monitor(db_url: str, day: date, at=None):
    """A live run over the day with a fake clock; ``at`` = (instant, fn) runs fn when the clock passes it."""
    from delivery_window.monitor import loop

    clock = {"t": window.at(day, "delivery_start")}
    hooks = [at] if at else []

    def sleep(seconds: float) -> None:
        clock["t"] += timedelta(seconds=seconds)
        for when, fn in list(hooks):
            if clock["t"] >= when:
                hooks.remove((when, fn))
                fn()

    opened = []

    def connect():
        opened.append(psycopg.connect(db_url))
        return opened[-1]

    conn = psycopg.connect(db_url)
    try:
        return loop.run_monitor(
            conn,
            day,
            get_protocol(),
            dry_run=True,
            now=lambda: clock["t"],
            sleep=sleep,
            connect=connect,
            push_series=None,
            poll_templates=None,
        )
    finally:
        for c in [conn, *opened]:
            c.close()


def test_postgres_drops_every_connection_mid_window(db_url, fault_case):
    from delivery_window.migrate import apply_migrations
    from delivery_window.sandbox.scenarios import generate_day, write_day

    with fault_case("postgres", "every backend terminated at 06:02:30") as row:
        with psycopg.connect(db_url) as conn:
            apply_migrations(conn)
            write_day(conn, generate_day("failure_burst", PG_DAY))
            conn.commit()
        _clear(db_url, PG_DAY)
        undisturbed = _live_monitor(db_url, PG_DAY)
        expected = _outcome(db_url, PG_DAY)
        _clear(db_url, PG_DAY)

        database = db_url.rsplit("/", 1)[1].split("?")[0]
        killed = []

        def restart():  # what a server restart does to every client: all backends gone at once
            with psycopg.connect(runtime.with_database(db_url, "postgres"), autocommit=True) as admin:
                killed.extend(
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        (database,),
                    ).fetchall()
                )

        hit = window.at(PG_DAY, "delivery_start") + timedelta(minutes=2, seconds=30)
        summary = _live_monitor(db_url, PG_DAY, at=(hit, restart))
        got = _outcome(db_url, PG_DAY)

        assert killed and summary.db_failures >= 1  # the monitor's connections really broke
        assert summary.ticks_missed == 0  # the failed tick was evaluated once the database was back
        assert summary.mode == undisturbed.mode == "live"
        assert got["ticks"] == expected["ticks"] and len(got["ticks"]) > 42  # nothing lost, nothing doubled
        assert [a[:2] for a in got["alerts"]] == [a[:2] for a in expected["alerts"]]
        assert got["alerts"] == expected["alerts"]  # same first firings
        row.error = f"{summary.db_failures} tick read(s) failed, {len(killed)} backends terminated"
        row.retried = (
            "reconnected at the next tick; the missed tick evaluated as of its instant, before the next"
        )
        row.escalation = "rule db_connection_failures judged on the reads (none fired for one failed tick)"
        row.report = (
            f"{len(got['ticks'])} ticks and {len(got['alerts'])} alerts identical to an undisturbed run"
        )


# --- Redis down (on the refuse day: every dependency refused, delivery_redis at a closed port) ----------------
def test_redis_down_is_recorded_and_the_day_reports(fault_day, fault_case):
    with fault_case("redis", "connection refused (closed port)") as row:
        run = fault_day("refuse").run
        status, message, observed = run.one(
            "SELECT status, message, observed FROM delivery_ops.check_results WHERE delivery_date = %s "
            "AND check_name = 'check_redis_cache'",
            run.day,
        )
        assert status == "error", (status, message)
        assert re.match(
            rf"ConnectionError: Error 111 connecting to 127\.0\.0\.1:{REDIS_DOWN_PORT}\b", message
        )
        decision = run.one(
            "SELECT choice, reasons::text FROM delivery_ops.decisions WHERE delivery_date = %s "
            "AND decision_point = 'go_no_go'",
            run.day,
        )
        assert "check_redis_cache" in decision[1], decision
        assert run.state == "failed"  # the outage day's remediation fails; the day still reports
        assert run.rows("SELECT 1 FROM delivery_ops.daily_reports WHERE delivery_date = %s", run.day)
        row.error = short(f"check_redis_cache: {message}")
        row.retried = "no (a 05:30 observation; recorded at once)"
        row.escalation = f"go/no-go {decision[0]!r} names check_redis_cache"
        row.report = "run failed (remediation not met), daily_reports row"


# --- bad source data ---------------------------------------------------------------------------------------
BAD_ROWS = {  # what each corruption does to a few healthy attempts (ids chosen in the test)
    "null_status": "status = NULL",
    "unknown_status": "status = 'deleted'",
    "null_latency": "api_latency_ms = NULL",
    "null_segment": "segment = NULL",
    "null_status_at": "status_at = NULL",
    "before_window": "attempted_at = attempted_at - interval '50 minutes'",
    "after_window": "attempted_at = attempted_at + interval '3 hours', status_at = status_at + interval '3 hours'",
}


@pytest.fixture(scope="module")
def bad_data_day(own_database, airflow_db):
    """A whole day over corrupted attempts, in a database of its own (constraints dropped only there)."""
    with own_database("bad_data") as url:
        yield from _bad_data_day(url)


def _bad_data_day(url: str):
    from delivery_window.connections import sandbox_connections
    from delivery_window.migrate import apply_migrations
    from delivery_window.sandbox.scenarios import apply_source_contract, generate_day, write_day
    from delivery_window.sandbox.server import Sandbox

    with psycopg.connect(url) as conn:
        apply_source_contract(conn)
        conn.execute(
            "ALTER TABLE platform.delivery_attempts DROP CONSTRAINT IF EXISTS delivery_attempts_status_check, "
            "ALTER COLUMN status DROP NOT NULL, ALTER COLUMN api_latency_ms DROP NOT NULL, "
            "ALTER COLUMN segment DROP NOT NULL, ALTER COLUMN status_at DROP NOT NULL"
        )
        apply_migrations(conn)
        write_day(conn, generate_day("healthy", BAD_DATA_DAY))
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT attempt_id FROM platform.delivery_attempts WHERE delivery_date = %s ORDER BY attempt_id",
                (BAD_DATA_DAY,),
            ).fetchall()
        ]
        for i, change in enumerate(BAD_ROWS.values()):  # three rows each, spread over the window
            picked = [ids[(i * 97 + k * 401) % len(ids)] for k in range(3)]
            conn.execute(
                f"UPDATE platform.delivery_attempts SET {change} WHERE attempt_id = ANY(%s)",  # noqa: S608
                (picked,),
            )
        conn.commit()
    sandbox = Sandbox(scenario="healthy", platform_db=url).start()
    runtime.set_connections(
        sandbox_connections(sandbox.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
    )
    try:
        dag_run = runtime.run_dag(BAD_DATA_DAY)

        def rows(sql, *params):
            with psycopg.connect(url) as conn:
                return conn.execute(sql, params).fetchall()

        yield dag_run, rows
    finally:
        sandbox.stop()


def test_bad_source_data_is_reported_not_fatal(bad_data_day, fault_case):
    dag_run, rows = bad_data_day
    with fault_case("source data", "nulls, unknown statuses, attempts outside the window") as row:
        states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
        failed = sorted(t for t, s in states.items() if s == "failed")
        assert failed == [], failed
        assert str(dag_run.state) == "success"
        assert rows("SELECT 1 FROM delivery_ops.daily_reports WHERE delivery_date = %s", BAD_DATA_DAY)
        dq = {
            suite: (ok, failed_exp)
            for suite, ok, failed_exp in rows(
                "SELECT suite, success, failed_expectations FROM delivery_ops.dq_results WHERE delivery_date = %s",
                BAD_DATA_DAY,
            )
        }
        ok, failed_exp = dq["delivery_attempts"]
        assert ok is False and any("status" in e for e in failed_exp), dq
        # nothing lost: the monitor counted every attempt made by its last tick, the broken rows included
        last_tick, counted = rows(
            "SELECT tick_at, attempts FROM delivery_ops.metric_ticks WHERE delivery_date = %s AND scope = 'overall' "
            "ORDER BY tick_at DESC LIMIT 1",
            BAD_DATA_DAY,
        )[0]
        made = rows(  # the runbook's requeue wrote its own sends after the replayed monitor: not counted
            "SELECT count(*) FROM platform.delivery_attempts WHERE delivery_date = %s AND attempted_at <= %s "
            "AND attempt_id %% 10000000 NOT BETWEEN %s AND %s",
            BAD_DATA_DAY,
            last_tick,
            REQUEUE_ID_BASE,
            REQUEUE_ID_BASE + 999_999,
        )[0][0]
        assert counted == made, (counted, made)
        row.error = short("dq delivery_attempts failed: " + ", ".join(failed_exp))
        row.retried = "n/a (data)"
        row.escalation = "day-team finding in the handoff (data_quality_failed)"
        row.report = "run success, daily_reports row, no task failed"


# --- malformed protocol.yaml ------------------------------------------------------------------------------
def _set(raw: dict, dotted: str, value) -> None:
    node = raw
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


_DELETE = object()
BROKEN = {
    "wrong type": ("monitor.tick_seconds", "ten"),
    "missing key": ("checks.http_timeout_seconds", _DELETE),
    "out of range": ("primary_metrics.delivery_success_rate_min_pct", 250),
}


@pytest.mark.parametrize("how", list(BROKEN))
def test_malformed_protocol_fails_the_dag_import_naming_the_key(how, tmp_path, fault_case, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    key, value = BROKEN[how]
    with fault_case("protocol.yaml", f"{how}: {key}") as row:
        raw = yaml.safe_load(DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8"))
        _set(raw, key, value)
        path = tmp_path / "protocol.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        monkeypatch.setenv(PROTOCOL_ENV_VAR, str(path))
        get_protocol.cache_clear()
        try:
            bag = DagBag(dag_folder=str(ROOT / "dags"))
        finally:
            monkeypatch.delenv(PROTOCOL_ENV_VAR)
            get_protocol.cache_clear()
        errors = {Path_name(f): e for f, e in bag.import_errors.items()}
        assert "delivery_window_dag.py" in errors, bag.import_errors
        assert key in errors["delivery_window_dag.py"], errors["delivery_window_dag.py"]
        assert "delivery_window" not in bag.dags
        line = next(ln for ln in errors["delivery_window_dag.py"].splitlines()[::-1] if key in ln)
        row.error = short("ProtocolError: " + line[line.index(key) :].strip())
        row.retried = "n/a"
        row.escalation = "DAG import error (UI banner, dag-processor log)"
        row.report = "no run: the DAG is not scheduled until the file is fixed"


def Path_name(file: str) -> str:  # noqa: N802 - reads as the path's name
    return os.path.basename(file)
