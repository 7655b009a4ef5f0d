"""The 05:45 pre-window remediations as tasks (DAG wiring; the work is in ``runbooks.pre_window``).

``go_no_go`` (a branch) chooses ``proceed_as_planned`` or some remediations. A remediation whose action is risky
(``go_no_go.remediations.<name>.approval.required``: fail the database over, pause numbers, switch to fallback
content) starts with a HITL approval ``approve_<name>`` (``wiring.approval``): on the live scheduled run a person
answers in the Airflow UI, or the protocol's default applies after its timeout (failover: reject). Reject skips
the remediation (recorded ``skipped`` with who rejected) and the day proceeds; the runbook's own approval after
06:00 asks again if it still applies. Every answer is recorded in ``delivery_ops.approvals``.
"""

from __future__ import annotations

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import task

from delivery_window.protocol import Protocol
from delivery_window.runbooks import pre_window
from delivery_window.ui import runbook_link
from delivery_window.wiring.approval import RunbookApprovalOperator, approvers

GROUP = "pre_delivery.pre_window"


def remediation_task_id(name: str) -> str:
    """The task that runs remediation ``name``."""
    return f"remediate_{name}"


def entry_task_id(name: str, protocol: Protocol) -> str:
    """The task the go/no-go branch starts for ``name``: its approval when it needs one, else the remediation."""
    approval = protocol.go_no_go.remediations[name].approval
    return f"{GROUP}.approve_{name}" if approval.required else f"{GROUP}.{remediation_task_id(name)}"


def _remediate(name: str) -> dict:
    from delivery_window.window import context_day

    return pre_window.run_pre_window_remediation(name, context_day())


def pre_window_tasks(decision, protocol: Protocol) -> list[object]:
    """Build the group's tasks after the branch ``decision`` (inside the ``pre_window`` TaskGroup); return the
    remediation tasks (whose failure is a failed remediation)."""
    options: list[object] = [
        EmptyOperator(
            task_id="proceed_as_planned",
            doc_md="No remediation applies (checks pass, warn, or fail with none to run): deliver as planned.",
        )
    ]
    remediations = []
    for name, spec in protocol.go_no_go.remediations.items():
        when = ", ".join(f"{check} is {'/'.join(st)}" for check, st in spec.triggers.items())
        remediate = task(
            task_id=remediation_task_id(name),
            retries=0,
            doc_md=f"Pre-window remediation **{name}** (runbook {spec.runbook}, "
            f"{runbook_link(protocol.runbooks[spec.runbook].doc)}), chosen by `go_no_go` when {when}. Acts on the delivery "
            "service, verifies, records each step in `runbook_runs` (step `pre_window.*`); fails when a step "
            "failed (recorded first).",
        )(_remediate)(name)
        remediations.append(remediate)
        if spec.approval.required:
            gate = RunbookApprovalOperator(
                task_id=f"approve_{name}",
                runbook=spec.runbook,
                step=f"pre_window.{name}",
                default="Approve" if spec.approval.default == "approve" else "Reject",
                timeout_minutes=spec.approval.timeout_minutes,
                assigned_users=approvers(protocol),
                doc_md=f"HITL approval of the pre-window remediation `{name}` (param `approvals`; default "
                f"**{spec.approval.default}** after {spec.approval.timeout_minutes} min). Reject skips it.",
            )
            decision >> gate >> remediate
            options.append(remediate)
        else:
            decision >> remediate
            options.append(remediate)
    decision >> options[0]
    ready_for_delivery = EmptyOperator(
        task_id="ready_for_delivery",
        trigger_rule="none_failed_min_one_success",
        doc_md="Join after the go/no-go branch: whichever remediations ran (or none).",
    )
    options >> ready_for_delivery
    return remediations
