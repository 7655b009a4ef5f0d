"""Which copy of a day a run writes: the day's **record** (``delivery_ops``) or an **evaluation** beside it.

The record is what the run that watched the window saw, decided, sent and did: the scheduled run, a manual run
for today, and the demo (which plays a simulated day's live run). Clearing or retrying its tasks continues it.
Every other run is an evaluation: a run for a past date (``delivery-window replay``) or a dry run. It writes the
same tables in a schema of its own, ``delivery_eval_<yyyymmdd>_<hash of the Airflow run id>``, created by the
run's ``migrate_report_schema`` from the same migrations and listed in ``delivery_ops.evaluations``; it never
writes the record, so a replay cannot rewrite what happened. It reads the record where it needs what was
observed then (the checks' raw observations, earlier days' baselines, silences): those statements are listed in
``RECORD_READS`` and always read ``delivery_ops``.

Every statement of the package names its tables ``delivery_ops.<table>`` (``sql/``); :func:`rewrite` points
them at the current scope's schema. The scope is set per task by ``run_params.gate_task`` (every task's
``pre_execute``) from the run's params, so no task body passes it around.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

RECORD_SCHEMA = "delivery_ops"
EVALUATION_PREFIX = "delivery_eval_"
_TABLE_REF = re.compile(r"\bdelivery_ops\.")

# Statements that read (or, for the evaluations registry, write) the record whatever the run's scope.
RECORD_READS = frozenset(
    {
        "select_recorded_observations",  # what the record's checks observed: an evaluation re-judges it
        "select_latency_baseline",  # earlier days are the record's
        "select_silences",  # planned maintenance is configuration, kept with the record
        "insert_silence",
        "expire_silence",
        # issue 14: the briefing's planned changes and notes, configuration kept with the record like silences
        "select_handoff_notes",
        "insert_handoff_note",
        "expire_handoff_note",
        "select_planned_changes",
        "insert_planned_change",
        "cancel_planned_change",
        "upsert_evaluation",
        "select_evaluations",
        "update_evaluation_differences",
        "select_record_notifications",  # what the record sent: an evaluation asked to send never repeats it
        "select_record_action",  # what the record's runbook actions got: an evaluation never acts itself
        "select_record_account_observations",  # what WhatsApp said of the account then (issue 14)
        "select_provisioned_objects",  # the deployed dashboard and monitors are configuration, kept with the record
        "upsert_provisioned_object",
    }
)


@dataclass(frozen=True)
class RunScope:
    """The schema a run writes, and whether it is the record."""

    schema: str = RECORD_SCHEMA
    evaluation_id: str | None = None
    send: bool = True  # an evaluation sends nothing unless asked (``send``), and never what the record sent

    @property
    def is_record(self) -> bool:
        return self.evaluation_id is None


RECORD = RunScope()
# One task runs per worker process (and one at a time under dag.test()), and a task's helper threads (the
# monitor's reader) must see its scope: a process-wide value, not a context variable. The triggerer, which runs
# many runs' triggers in one process, never reads it: a trigger is handed its schema explicitly.
_current: list[RunScope] = [RECORD]


def current() -> RunScope:
    """The scope of the running task (the record unless ``gate_task`` set an evaluation)."""
    return _current[0]


def enter(scope: RunScope) -> None:
    """Make ``scope`` the running task's scope (the task's ``pre_execute``; the next task sets its own)."""
    _current[0] = scope


def evaluation_id_for(day: date, run_id: str) -> str:
    """A stable evaluation id for one Airflow run of ``day``: its tasks, retries and clears share it."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:10]
    return f"{day:%Y%m%d}_{digest}"


def evaluation_scope(day: date, run_id: str, *, send: bool) -> RunScope:
    """The scope of an evaluation of ``day`` by the Airflow run ``run_id``."""
    evaluation_id = evaluation_id_for(day, run_id)
    return RunScope(schema=EVALUATION_PREFIX + evaluation_id, evaluation_id=evaluation_id, send=send)


def is_record_run(*, delivery_date: date, own_date: date, dry_run: bool, mode: str) -> bool:
    """True when the run writes the day's record (pure rule; ``mode`` is the run's ``record`` param).

    A dry run is always an evaluation. ``record`` (the demo, a test playing a simulated morning live) and
    ``evaluation`` force the answer; ``auto`` makes the record the run for its own date (scheduled, or manual
    for today), and a run for a past date an evaluation."""
    if dry_run or mode == "evaluation":  # a dry run touches only its own rows: never the record's
        return False
    return mode == "record" or delivery_date == own_date


def rewrite(sql: str, name: str | None = None, scope: RunScope | None = None) -> str:
    """``sql`` with its ``delivery_ops.`` tables pointed at ``scope``'s schema (the current one by default);
    statements in ``RECORD_READS`` keep reading the record."""
    scope = scope or current()
    if scope.is_record or name in RECORD_READS:
        return sql
    return _TABLE_REF.sub(f"{scope.schema}.", sql)


def schema_of(schema: str, scope: RunScope | None = None) -> str:
    """The schema a reference to ``schema`` means in ``scope`` (``delivery_ops`` → the evaluation's)."""
    scope = scope or current()
    return scope.schema if schema == RECORD_SCHEMA else schema


def may_send(dry_run: bool = False) -> bool:
    """Whether the running task may send or act: never in a dry run, in an evaluation only when asked."""
    run = current()
    return not dry_run and (run.is_record or run.send)


def scope_of_run(context) -> RunScope:
    """The scope of the task's DAG run, from its params (``record``, ``dry_run``, ``send``) and dates."""
    from delivery_window.window import delivery_date_for

    params = context.get("params") or {}
    run_after = context["dag_run"].run_after
    day = delivery_date_for(run_after, params.get("delivery_date"))
    record = is_record_run(
        delivery_date=day,
        own_date=delivery_date_for(run_after, None),
        dry_run=bool(params.get("dry_run")),
        mode=params.get("record") or "auto",
    )
    if record:
        return RECORD
    run_id = context.get("run_id") or context["dag_run"].run_id
    return evaluation_scope(day, run_id, send=bool(params.get("send")))


@contextmanager
def reading_record() -> Iterator[None]:
    """Within the block, statements read the record (an evaluation comparing itself with it)."""
    before = current()
    enter(RECORD)
    try:
        yield
    finally:
        enter(before)
