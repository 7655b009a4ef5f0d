"""The fault suite's machinery: whole fault days (run once per session) and the summary table.

Design (issue 7), chosen for CI time:

* **One day per fault kind** (refuse, http_503, timeout, http_429, malformed), the fault applied to *every*
  external dependency at once (the nine of the issue, plus PagerDuty's REST API that the on-call checks read).
  Each day runs the real DAG with ``dag.test()`` over the ``whatsapp_outage`` data — a bad morning, so the
  monitor pages PagerDuty, posts to Slack and the ``delivery_failure`` runbook acts on the delivery service: every
  dependency is called on the paths that matter. Then the follow-up DAG (``delivery_window_escalations``) runs once
  against a healthy sandbox ("the fault lifted") and must send everything the day left pending.
* The per-dependency tests (``test_dependencies.py``) then only read what the day recorded, so 45 cases cost five
  days and five follow-ups (~2.5 minutes).
* ``timeout``: the sandbox stalls 0.8 s and the day runs with a copy of protocol.yaml whose
  ``checks.http_timeout_seconds`` is 0.3 (through ``$DELIVERY_WINDOW_PROTOCOL``, the loader's own override), so
  a timeout costs 0.3 s, not ten. Every call and send uses that one timeout (probes, Slack, PagerDuty, the
  delivery service), which is what makes this possible.
* **Redis down** rides on the ``refuse`` day: ``delivery_redis`` points at a closed port for that day (its
  case is in ``test_platform.py``).

Every case is a row of the summary table: ``fault_case(case, fault)`` is a context manager; the test fills in
what it proved, and the row says "survived" only when the block ended without an assertion error.
``pytest_terminal_summary`` prints the table at the end of any run that tried a case (``make test`` included)
and writes it to ``build/fault-summary.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fault_table import (
    FAULT_DAYS,
    FAULT_OPTIONS,
    IST,
    REDIS_DOWN_PORT,
    ROOT,
    SCENARIO,
    SERVICES,
    SUMMARY_FILE,
    TABLE,
    TIMEOUT_SECONDS,
    FaultRow,
)


@pytest.fixture
def fault_case():
    """``with fault_case("grafana", "timeout") as row: ...`` — a table row, survived when the block passes."""

    @contextmanager
    def case(name: str, fault: str) -> Iterator[FaultRow]:
        row = FaultRow(name, fault)
        TABLE.rows.append(row)
        yield row  # an assertion error propagates and leaves survived False
        row.survived = True

    return case


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TABLE.rows:
        return
    text = TABLE.markdown()
    terminalreporter.write_sep("=", "fault suite summary")
    terminalreporter.write_line(text)
    SUMMARY_FILE.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_FILE.write_text("# Fault suite summary\n\n" + text + "\n", encoding="utf-8")
    terminalreporter.write_line(f"(written to {SUMMARY_FILE.relative_to(ROOT)})")


# --- fault days -------------------------------------------------------------------------------------------
@dataclass
class FaultDay:
    """A day run with one fault kind on every dependency, and the follow-up run after the fault lifted."""

    kind: str
    run: object  # tests.conftest.DayRun
    pending_after_day: dict[str, tuple[str, str | None, int]]  # dedup_key -> (channel, last_error, attempts)
    attempts_by_channel: dict[str, int]  # sends tried during the day, per channel (notifications.attempts)
    follow_up_state: str
    follow_up_sandbox: object
    statuses_after_follow_up: dict[str, str]


@contextmanager
def fast_timeouts(tmp_dir: Path) -> Iterator[None]:
    """The protocol with a short ``checks.http_timeout_seconds`` for the duration (loader override + cache reset)."""
    import yaml

    from delivery_window.protocol import DEFAULT_PROTOCOL_PATH, PROTOCOL_ENV_VAR, get_protocol

    raw = yaml.safe_load(DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8"))
    raw["checks"]["http_timeout_seconds"] = TIMEOUT_SECONDS
    path = tmp_dir / "protocol-fast-timeouts.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    os.environ[PROTOCOL_ENV_VAR] = str(path)
    get_protocol.cache_clear()
    try:
        yield
    finally:
        os.environ.pop(PROTOCOL_ENV_VAR, None)
        get_protocol.cache_clear()


@pytest.fixture(scope="session")
def fault_day(run_day, db_url, tmp_path_factory):
    """``fault_day(kind)`` → FaultDay, run once per session and kind."""
    from airflow.dag_processing.dagbag import DagBag

    from delivery_window import runtime
    from delivery_window.connections import sandbox_connections
    from delivery_window.sandbox.server import Sandbox

    done: dict[str, FaultDay] = {}

    def get(kind: str) -> FaultDay:
        if kind in done:
            return done[kind]
        day = FAULT_DAYS[kind]
        faults = {s: {"kind": kind, **FAULT_OPTIONS.get(kind, {})} for s in SERVICES}
        if kind == "timeout":
            with fast_timeouts(tmp_path_factory.mktemp("protocol")):
                run = run_day(SCENARIO, day, faults=faults)
        elif kind == "refuse":
            redis_url = os.environ.get("REDIS_URL")
            os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_DOWN_PORT}/0"  # nothing listens there
            try:
                run = run_day(SCENARIO, day, faults=faults)
            finally:
                os.environ.pop("REDIS_URL")
                if redis_url is not None:
                    os.environ["REDIS_URL"] = redis_url
        else:
            run = run_day(SCENARIO, day, faults=faults)
        pending = {
            k: (c, e, a)
            for k, c, e, a in run.rows(
                "SELECT dedup_key, channel, last_error, attempts FROM delivery_ops.notifications "
                "WHERE delivery_date = %s AND status = 'pending'",
                day,
            )
        }
        attempts = dict(
            run.rows(
                "SELECT channel, sum(attempts)::int FROM delivery_ops.notifications WHERE delivery_date = %s "
                "GROUP BY channel",
                day,
            )
        )
        # The fault lifts: the follow-up DAG (every 5 min in production) runs against a healthy sandbox.
        dag = DagBag(dag_folder=str(ROOT / "dags")).dags["delivery_window_escalations"]
        sandbox = Sandbox(scenario=SCENARIO).start()
        runtime.set_connections(
            sandbox_connections(sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        as_of = datetime.combine(day, datetime.strptime("06:40", "%H:%M").time(), IST)
        try:
            follow = dag.test(run_conf={"delivery_date": day.isoformat(), "as_of": as_of.isoformat()})
        finally:
            sandbox.stop()
        statuses = dict(
            run.rows("SELECT dedup_key, status FROM delivery_ops.notifications WHERE delivery_date = %s", day)
        )
        done[kind] = FaultDay(kind, run, pending, attempts, str(follow.state), sandbox, statuses)
        return done[kind]

    return get
