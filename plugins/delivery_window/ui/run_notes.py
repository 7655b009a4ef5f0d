"""Run notes on the grid: each run of the DAG says its delivery date and, when it ends, its outcome.

A listener (``plugin``) calls these when a run starts and ends: in the scheduler (and in ``dag.test()``), the
process that owns Airflow's metadata, so the notes are written in the run's own session, from the run's own task
results (the 06:05 checkpoint's XCom, each check's XCom) and nothing else. Checks that warned get
a task-instance note ("WARN: ...") at the end of the run: Airflow has no warning state, and a warned check is
green on the grid. A note someone wrote by hand is never overwritten.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window.masking import masked_logger

log = masked_logger(__name__)
PREFIX = "Delivery date "  # every note we write starts with it; any other note is a person's
WARN_PREFIX = "WARN: "
NOTE_MAX = 1000  # dag_run_note.content and task_instance_note.content are String(1000)


def run_note(day: date, *, is_record: bool, window_run: dict[str, Any] | None, alerts: int | None) -> str:
    """The note of a run of ``day``: its date, record or evaluation, and the SLA and alerts once measured."""
    parts = [f"{PREFIX}{day.isoformat()}", "record" if is_record else "evaluation"]
    if window_run is None:
        parts.append("running" if alerts is None else "no window run recorded")
    else:
        sla = window_run.get("sla_pct")
        met = "MET" if window_run.get("sla_met") else "MISSED"
        parts.append(f"SLA {float(sla):.2f} % {met}" if sla is not None else f"SLA {met}")
        parts.append(f"{alerts or 0} alert{'' if alerts == 1 else 's'}")
    return " · ".join(parts)[:NOTE_MAX]


def ours(note: str | None) -> bool:
    """True when ``note`` is empty or one we wrote (so we may replace it)."""
    return not note or note.startswith((PREFIX, WARN_PREFIX))


def warned_checks(checks: list[dict[str, Any]]) -> dict[str, str]:
    """Task id -> note for each check that did not pass cleanly but did not fail the task (warn)."""
    return {
        f"{c['phase']}.{c['check_name']}": f"{WARN_PREFIX}{c.get('message') or c['check_name']}"[:NOTE_MAX]
        for c in checks
        if c["status"] == "warn" and c.get("phase")
    }


CHECKPOINT_TASK = "post_delivery.verify_sla_checkpoint"  # its XCom: the window_runs row, and the alert count


def _results(dag_run, session) -> dict[str, Any]:
    """The run's task results (XCom ``return_value``) by task id, read in the caller's session."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    rows = session.execute(
        select(XComModel.task_id, XComModel.value).where(
            XComModel.dag_run_id == dag_run.id, XComModel.key == "return_value", XComModel.map_index == -1
        )
    ).all()
    return {task_id: XComModel.deserialize_value(row) for task_id, row in ((r.task_id, r) for r in rows)}


def checks_from_results(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The check tasks' results (``{"check", "status", "message"}``) as check rows with their phase."""
    return [
        {"phase": task_id.rpartition(".")[0], "check_name": value["check"], "status": value["status"],
         "message": value.get("message")}
        for task_id, value in results.items()
        if isinstance(value, dict) and {"check", "status"} <= value.keys() and "." in task_id
    ]  # fmt: skip


def _day_and_scope(dag_run):
    from delivery_window.scope import scope_of_run
    from delivery_window.window import delivery_date_for

    conf = dict(dag_run.conf or {})
    context = {"params": conf, "dag_run": dag_run, "run_id": dag_run.run_id}
    return delivery_date_for(dag_run.run_after, conf.get("delivery_date")), scope_of_run(context)


def note_started(dag_run) -> None:
    """Listener body for a run that started: the note names its delivery date (from the run alone)."""
    day, scope = _day_and_scope(dag_run)
    if ours(dag_run.note):
        dag_run.note = run_note(day, is_record=scope.is_record, window_run=None, alerts=None)


def note_finished(dag_run) -> None:
    """Listener body for a run that ended: its SLA and alerts, and a WARN note on each check that warned.

    Everything comes from the run's own task results in the scheduler's session: no connection is opened and
    nothing is committed here (the scheduler commits; a commit of our own would break its locks)."""
    from sqlalchemy.orm import object_session

    session = object_session(dag_run)
    if session is None:  # dag.test() hands its listeners a run outside its session: runtime.run_dag notes it
        return
    day, scope = _day_and_scope(dag_run)
    results = _results(dag_run, session)
    checkpoint = results.get(CHECKPOINT_TASK)
    window_run = checkpoint if isinstance(checkpoint, dict) and "sla_pct" in checkpoint else None
    alerts = (window_run or {}).get("alerts", 0)
    if ours(dag_run.note):
        dag_run.note = run_note(day, is_record=scope.is_record, window_run=window_run, alerts=alerts)
    notes = warned_checks(checks_from_results(results))
    for ti in dag_run.get_task_instances(session=session) if notes else []:
        if ti.task_id in notes and ours(ti.note):
            ti.note = notes[ti.task_id]


def note_after_test(dag_run) -> None:
    """The end-of-run notes of a ``dag.test()`` run (the demo, replays, tests), once it has returned: its
    listener call cannot write them (the run it passes is outside the session), and here no scheduler's
    transaction is open, so a session of our own is safe."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.id == dag_run.id))
        if run is not None:
            note_finished(run)
