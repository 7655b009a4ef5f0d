"""Runbooks as Airflow TaskGroups (DAG wiring; the work is in ``runbooks.run`` and ``runbooks.steps``).

Each runbook ``<name>`` becomes the TaskGroup ``run_<name>``::

    activate_runbook → [approve_<step> →] <step> → … → <verify> → close_runbook

* ``activate_runbook`` watches from 06:00, beside the monitor (``wiring.runbook_watch``): it starts the runbook
  as soon as the monitor opens its incident, or after the window if ``choose_runbook`` names it, and skips
  itself otherwise. The groups run side by side: each incident's runbook starts when its incident opens.
* a step listed in ``requires_approval`` is preceded by a HITL approval (``wiring.approval``).
* each step records its outcome (``runbook_runs``, incident timeline) and fails the task when it did not work;
  the later steps then do not run.
* a step whose action the day's pre-window remediation already took (the same number paused, the same fallback
  switched on, the database failed over) does not take it again: it records ``skipped`` and succeeds, and acts on
  what was left if anything (``runbooks.once``).
* ``<verify>`` measures the success criterion from the platform's data until it holds or the estimated
  resolution time (max) is over, resolves the incident when it holds, and fails otherwise (the incident stays
  open, the escalation chain goes on, and ``remediation_watcher`` fails the run).
* ``close_runbook`` records the outcome whatever happened. Verify and close run ``all_done`` (after a failed or
  rejected step too) and skip themselves when this run did not activate the runbook.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import TaskGroup, task

from delivery_window.protocol import Protocol
from delivery_window.runbooks import run
from delivery_window.runbooks.steps import STEPS
from delivery_window.ui import runbook_link
from delivery_window.wiring.approval import RunbookApprovalOperator, approvers
from delivery_window.wiring.runbook_watch import RunbookWatchOperator

ACTIVATE, CLOSE = "activate_runbook", "close_runbook"


def runbook_task_id(name: str) -> str:
    """Group id of a runbook inside the remediation group."""
    return f"run_{name}"


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


def runbook_group(name: str, protocol: Protocol, chooser_id: str) -> tuple[object, object, list[object]]:
    """Build the TaskGroup of one runbook in the current context; return (first task, last task, the tasks whose
    failure is a failed remediation). ``chooser_id`` is the post-window choice (XCom ``chosen_runbooks``)."""
    spec = protocol.runbooks[name]
    estimate = spec.estimated_resolution_minutes
    with TaskGroup(runbook_task_id(name), tooltip=f"{spec.title} ({estimate.min}-{estimate.max} min)"):
        activate = RunbookWatchOperator(
            task_id=ACTIVATE,
            runbook=name,
            chooser_id=chooser_id,
            retries=0,
            doc_md=f"Watch from 06:00 (deferred on the triggerer): start runbook **{name}** ({spec.runbook}) as soon "
            f"as the monitor opens incident `<date>:{name}`, or after the window if `choose_runbook` names it; "
            f"skip otherwise. Human runbook: {runbook_link(spec.doc)}.",
        )
        previous = activate
        acts = []
        for step in spec.steps:
            if step in spec.requires_approval:
                gate = RunbookApprovalOperator(
                    task_id=f"approve_{step}",
                    runbook=name,
                    step=step,
                    default="Approve" if spec.approval_default == "approve" else "Reject",
                    timeout_minutes=spec.approval_timeout_minutes,
                    assigned_users=approvers(protocol),
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
            acts.append(act)
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
    return activate, close, [*acts, verify]


def runbook_groups(chooser_id: str, protocol: Protocol, done) -> tuple[list[object], list[object]]:
    """One group per runbook (in ``runbook_priority`` order in the UI); ``done`` joins them. Returns the
    activation tasks (each waits from 06:00) and every act/verify task (for the remediation watcher)."""
    starts, watched = [], []
    for name in protocol.runbook_priority:
        first, last, acts = runbook_group(name, protocol, chooser_id)
        last >> done
        starts.append(first)
        watched += acts
    return starts, watched
