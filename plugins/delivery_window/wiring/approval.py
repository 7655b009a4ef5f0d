"""Human-in-the-loop approval of a risky runbook step (standard provider ``ApprovalOperator``).

The run's ``approvals`` param decides who approves:

* ``hitl``: the task waits in the Airflow UI (Browse → Required actions, or the task's "Required action" tab) for
  an on-call's Approve/Reject. After ``runbooks.<name>.approval_timeout_minutes`` the scheduler takes
  ``approval_default`` (Airflow 3.3 applies HITL timeouts in the scheduler, not in the task). Reject skips the
  step; the runbook then verifies its criterion anyway and the escalation chain carries on.
* ``auto``: approved at once, recorded as automatic (tests, demos, manual replays).
* whatever the mode, a step that has nothing left to do (the go/no-go remediation already did it before 06:00,
  ``runbooks.once``) is passed through without asking, recorded as ``mode=not_needed``: the step records itself
  ``skipped``.
* ``hitl_when_scheduled`` (the default): ``hitl`` for the daily scheduled run while its window is on (before
  the 06:30 final report), ``auto`` otherwise: manual runs (a person who triggers a run by hand is its approver)
  and scheduled runs catching up on a window that is over (nobody is on call to answer). ``dag.test()`` runs are
  manual, so tests and ``make demo`` never block: dag.test() does not apply HITL timeouts and would wait forever.

Every decision goes on the incident timeline (``approval:<step>``: decision, by whom, timed out or not); a human
approval also acknowledges the incident's PagerDuty alerts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

from delivery_window.runbooks import run
from delivery_window.ui import runbook_link

APPROVAL_MODES = ("hitl_when_scheduled", "hitl", "auto")


def approvers(protocol) -> list[dict[str, str]] | None:
    """HITL ``assigned_users`` from ``incident_automation.approvers`` (None: anyone allowed on the DAG)."""
    users = list(protocol.incident_automation.approvers)
    return [{"id": u, "name": u} for u in users] or None


def approval_mode(param: str | None, run_type: str | None, window_on: bool) -> str:
    """``hitl`` or ``auto`` for a run, from its ``approvals`` param, its run type and whether its window is on."""
    if param in ("hitl", "auto"):
        return param
    return "hitl" if str(run_type or "").lower().endswith("scheduled") and window_on else "auto"


class RunbookApprovalOperator(ApprovalOperator):
    """``ApprovalOperator`` that is skipped through (auto-approved) when the run's approvals are ``auto``."""

    def __init__(self, *, runbook: str, step: str, default: str, timeout_minutes: int, **kwargs: Any) -> None:
        self.runbook, self.step = runbook, step
        super().__init__(
            subject=f"Approve `{step}` of runbook `{runbook}`?",
            body=(
                f"Runbook **{runbook}** wants to run **{step}** for delivery date "
                "{{ params.delivery_date or dag_run.run_after.strftime('%Y-%m-%d') }}.\n\n"
                f"No answer within {timeout_minutes} min means **{default}**. Human runbook: "
                f"{runbook_link(f'include/runbooks/{runbook}.md')}."
            ),
            defaults=default,
            response_timeout=timedelta(minutes=timeout_minutes),
            **kwargs,
        )

    def execute(self, context: Any) -> Any:
        from delivery_window.escalation.clock import utcnow
        from delivery_window.window import at, context_day

        day = context_day()
        if not run.runbook_step_needed(self.runbook, self.step, day):
            run.record_runbook_approval(
                self.runbook, self.step, day, "approve", None, mode="not_needed", run_id=context["run_id"]
            )
            self.log.info("%s of %s: the pre-window remediation already did it; no approval asked", self.step,
                          self.runbook)  # fmt: skip
            return {
                "chosen_options": [self.APPROVE],
                "params_input": {},
                "responded_by_user": None,
                "mode": "not_needed",
            }
        window_on = utcnow() < at(day, "final_report")
        mode = approval_mode(
            context["params"].get("approvals"), getattr(context["dag_run"], "run_type", None), window_on
        )
        if mode == "auto":
            run.record_runbook_approval(
                self.runbook, self.step, day, "approve", None, mode="auto", run_id=context["run_id"]
            )
            self.log.info("approvals=auto: %s of %s approved automatically", self.step, self.runbook)
            return {
                "chosen_options": [self.APPROVE],
                "params_input": {},
                "responded_by_user": None,
                "mode": "auto",
            }
        run.request_runbook_approval(
            self.runbook,
            self.step,
            day,
            self.defaults[0] if self.defaults else self.REJECT,
            int(self.response_timeout.total_seconds() // 60) if self.response_timeout else 0,
            dry_run=bool(context["params"].get("dry_run")),
        )
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        """Record the answer (a person's, or the default after the timeout) first: on Reject the provider skips
        the downstream step by raising, so nothing after ``super().execute_complete`` would run."""
        from delivery_window.window import context_day

        if "error" not in event:
            chosen = (event.get("chosen_options") or [self.REJECT])[0]
            user = event.get("responded_by_user")
            by = (user.get("name") or user.get("id")) if isinstance(user, dict) else user
            run.record_runbook_approval(
                self.runbook,
                self.step,
                context_day(),
                "approve" if chosen == self.APPROVE else "reject",
                by,
                mode="hitl",
                timed_out=bool(event.get("timedout")) or by is None,
                run_id=context["run_id"],
                timeout_minutes=int(self.response_timeout.total_seconds() // 60)
                if self.response_timeout
                else None,
            )
        return super().execute_complete(context=context, event=event)
