"""Runbooks as Airflow TaskGroups (DAG wiring; the work is in ``runbooks.run`` and ``runbooks.steps``).

Each runbook ``<name>`` becomes the TaskGroup ``run_<name>``::

    activate_runbook → [approve_<step> →] <step> → … → <verify> → close_runbook

* ``activate_runbook`` opens (or joins) the incident ``<date>:<name>``; it is the branch target, and skips itself
  when the branch did not choose it (see ``_activate``).
* a step listed in ``requires_approval`` is preceded by a HITL approval (``wiring.approval``).
* each step records its outcome (``runbook_runs``, incident timeline) and fails the task when it did not work;
  the later steps then do not run.
* a step whose action the day's pre-window remediation already took (the same number paused, the same fallback
  switched on, the database failed over) does not take it again: it records ``skipped`` and succeeds, and acts on
  what was left if anything (``runbooks.once``).
* ``<verify>`` checks the success criterion until it holds or the estimated resolution time (max) is over,
  resolves the incident when it holds, and fails otherwise (the escalation chain goes on).
* ``close_runbook`` records the outcome whatever happened. Verify and close run ``all_done`` (after a failed or
  rejected step too) and skip themselves when this run did not activate the runbook.

``chain_runbooks`` runs every chosen runbook in ``runbook_priority`` order, one after the other.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import TaskGroup, task

from delivery_window.protocol import Protocol
from delivery_window.runbooks import run
from delivery_window.runbooks.steps import STEPS
from delivery_window.wiring.approval import RunbookApprovalOperator

ACTIVATE, CLOSE = "activate_runbook", "close_runbook"
CHOSEN_RUNBOOKS = "chosen_runbooks"  # XCom key the branch pushes: the runbook names it chose, in order


def runbook_task_id(name: str) -> str:
    """Group id of a runbook inside the remediation group."""
    return f"run_{name}"


def _activate(name: str, chooser_id: str, **context) -> dict:
    """Start the runbook if the branch chose it. The runbooks are chained in priority order, and Airflow's
    branch follows everything downstream of a chosen task, so each activation checks the branch's choice
    (XCom ``chosen_runbooks`` of the branch task)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from delivery_window.window import context_day

    chosen = context["ti"].xcom_pull(task_ids=chooser_id, key=CHOSEN_RUNBOOKS) or []
    if name not in chosen:
        raise AirflowSkipException(f"runbook {name} was not chosen (chosen: {', '.join(chosen) or 'none'})")
    return run.activate_runbook(name, context_day(), dry_run=bool(context["params"].get("dry_run")))


def _step(name: str, step: str) -> dict:
    from delivery_window.window import context_day

    return run.run_runbook_step(name, step, context_day())


def _require_activated(context) -> None:
    """Skip unless this run activated the runbook (verify and close run ``all_done``: after a failed or rejected
    step too, but a runbook the branch did not choose has no activation XCom)."""
    from airflow.sdk.exceptions import AirflowSkipException

    ti = context["ti"]
    activate_id = ti.task_id.rsplit(".", 1)[0] + "." + ACTIVATE
    if ti.xcom_pull(task_ids=activate_id) is None:
        raise AirflowSkipException("runbook not activated in this run")


def _verify(name: str, **context) -> dict:
    from delivery_window.window import context_day

    _require_activated(context)
    return run.verify_runbook(name, context_day())


def _close(name: str, **context) -> dict:
    from delivery_window.window import context_day

    _require_activated(context)
    return run.close_runbook(name, context_day())


def runbook_group(name: str, protocol: Protocol, chooser_id: str) -> tuple[object, object]:
    """Build the TaskGroup of one runbook in the current context; return (first task, last task).
    ``chooser_id`` is the branch task whose returned task ids say which runbooks run."""
    spec = protocol.runbooks[name]
    estimate = spec.estimated_resolution_minutes
    with TaskGroup(runbook_task_id(name), tooltip=f"{spec.title} ({estimate.min}-{estimate.max} min)"):
        activate = task(
            task_id=ACTIVATE,
            trigger_rule="none_failed_min_one_success",
            doc_md=f"Open incident `<date>:{name}` and start runbook **{name}** ({spec.runbook}); "
            f"human runbook `{spec.doc}`. Runs after the runbooks before it in `runbook_priority`.",
        )(_activate)(name, chooser_id)
        previous = activate
        for step in spec.steps:
            if step in spec.requires_approval:
                gate = RunbookApprovalOperator(
                    task_id=f"approve_{step}",
                    runbook=name,
                    step=step,
                    default="Approve" if spec.approval_default == "approve" else "Reject",
                    timeout_minutes=spec.approval_timeout_minutes,
                    doc_md=f"HITL approval of `{step}` (param `approvals`; default **{spec.approval_default}** after "
                    f"{spec.approval_timeout_minutes} min). Reject skips the step.",
                )
                previous >> gate
                previous = gate
            act = task(task_id=step, retries=0, doc_md=f"**{step}**: {STEPS[step].__doc__}")(_step)(
                name, step
            )
            previous >> act
            previous = act
        verify = task(
            task_id=spec.verify,
            trigger_rule="all_done",
            retries=0,
            execution_timeout=timedelta(minutes=estimate.max + 5),
            doc_md=f"**{spec.success_criterion}**: {STEPS[spec.verify].__doc__} Re-checked until it holds or "
            f"{estimate.max} min after activation; resolves the incident when it holds.",
        )(_verify)(name)
        [activate, previous] >> verify
        close = task(
            task_id=CLOSE,
            trigger_rule="all_done",
            doc_md="Record the runbook's outcome on the incident timeline (whatever the steps did).",
        )(_close)(name)
        [activate, verify] >> close
    return activate, close


def chain_runbooks(chooser, protocol: Protocol, done) -> dict[str, tuple[object, object]]:
    """One group per runbook in ``runbook_priority`` order, each after the one before; the branch ``chooser``
    starts any subset of them (or ``no_incident``); ``done`` joins them."""
    groups: dict[str, tuple[object, object]] = {}
    previous_close = None
    chooser_id = chooser.operator.task_id
    for name in protocol.runbook_priority:
        first, last = runbook_group(name, protocol, chooser_id)
        chooser >> first
        if previous_close is not None:
            previous_close >> first
        previous_close = last
        groups[name] = (first, last)
    no_incident = EmptyOperator(task_id="no_incident", doc_md="No alert fired and no check failed.")
    chooser >> no_incident
    [no_incident, *(last for _, last in groups.values())] >> done
    return groups
