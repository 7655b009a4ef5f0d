"""Risky actions ask a person on the live path, and a timeout takes the protocol's default (issue 13).

``db_pool_exhausted`` with ``approvals=hitl`` (what the live scheduled run does): the 05:45 failover and then the
runbook's own failover each wait in AWAITING_INPUT. Nobody answers: the scheduler's own HITL timeout sweep
(``SchedulerJobRunner.check_awaiting_input_timeouts``, run here on a background thread with the deadline moved
to now instead of 10 minutes ahead) applies the default, reject. Nothing fails over; the runbook's criterion is
measured not met from the pool probe; the incident stays open for the chain; the run fails; both answers are
recorded in ``delivery_ops.approvals``.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from types import SimpleNamespace

import pytest

DAY = date(2026, 10, 6)


def time_out_every_approval(stop: threading.Event, seen: list[str]) -> None:
    """Act as the scheduler when every HITL deadline has passed: apply the defaults (Airflow's own code)."""
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils import timezone
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    sweeper = SimpleNamespace(log=logging.getLogger("hitl-timeouts"))
    while not stop.wait(1.0):
        with create_session() as session:
            waiting = session.query(TI).filter(TI.state == TaskInstanceState.AWAITING_INPUT).all()
            for ti in waiting:
                seen.append(ti.task_id)
                ti.trigger_timeout = timezone.utcnow()  # the 10-minute deadline, now
        if waiting:
            SchedulerJobRunner.check_awaiting_input_timeouts(sweeper)


@pytest.fixture(scope="module")
def unanswered(run_day, db_url):
    stop, seen = threading.Event(), []
    sweeper = threading.Thread(target=time_out_every_approval, args=(stop, seen), daemon=True)
    sweeper.start()
    try:
        r = run_day("db_pool_exhausted", DAY, conf={"approvals": "hitl"})
    finally:
        stop.set()
        sweeper.join(10)
    yield r, seen
    import psycopg

    from delivery_window.escalation import engine
    from delivery_window.escalation.clock import utcnow

    with psycopg.connect(db_url) as conn:  # leave no open incident in other tests' handoffs
        for (incident,) in conn.execute(
            "SELECT incident_id FROM delivery_ops.incidents WHERE delivery_date=%s AND status='open'", (DAY,)
        ).fetchall():
            engine.resolve(conn, incident, utcnow(), "test teardown")


def test_nothing_fails_over_without_an_answer(unanswered):
    r, seen = unanswered
    assert "pre_delivery.pre_window.approve_database_emergency" in seen  # it did wait for a person
    assert "delivery.remediation.run_database_emergency.approve_fail_over_database" in seen
    failovers = [q for q in r.sandbox.requests("delivery") if q["path"].endswith("/database/failover")]
    assert failovers == []
    approvals = r.rows(
        "SELECT runbook, step, decision, decided_by, mode, timed_out FROM delivery_ops.approvals "
        "WHERE delivery_date=%s ORDER BY approval_id",
        DAY,
    )
    assert approvals == [
        ("database_emergency", "pre_window.database_emergency", "reject", None, "hitl", True),
        ("database_emergency", "fail_over_database", "reject", None, "hitl", True),
    ]
    steps = dict(r.rows("SELECT step, outcome FROM delivery_ops.runbook_runs WHERE delivery_date=%s", DAY))
    assert steps["pre_window.database_emergency"] == "skipped"
    assert steps["fail_over_database"] == "skipped"
    assert steps["verify_database_restored"] == "failed"  # measured from the pool probe: still exhausted


def test_the_unanswered_failover_leaves_the_incident_to_a_person_and_fails_the_run(unanswered):
    r, _ = unanswered
    assert r.state == "failed"
    status, timeline = r.one(
        "SELECT status, timeline FROM delivery_ops.incidents WHERE incident_id=%s",
        f"{DAY}:database_emergency",
    )
    assert status == "open"
    assert {e["step"] for e in timeline} >= {"runbook_activated", "success_criterion_not_met"}
    chain = r.rows(
        "SELECT source, status FROM delivery_ops.escalations WHERE incident_id=%s AND source LIKE 'chain:%%'",
        f"{DAY}:database_emergency",
    )
    assert ("chain:level_1_primary_on_call", "sent") in chain  # a person has it
    assert chain and "cancelled" not in {status for _, status in chain}  # and the chain goes on
    requests = [m["json"] for m in r.sandbox.requests("slack") if "Approval needed" in str(m["json"])]
    assert len(requests) == 2  # the war room was told each approval was waiting
