"""Runbooks as TaskGroups (HITL approvals, priority order) and the escalation follow-up DAG (issue 5)."""

from __future__ import annotations

import pytest

from delivery_window.paths import ROOT
from delivery_window.protocol import get_protocol

P = get_protocol()
R = "delivery.remediation"


@pytest.fixture(scope="module")
def bag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    return bag


def test_each_runbook_is_a_taskgroup_of_its_steps_with_approvals(bag):
    dag = bag.dags["delivery_window"]
    for name, spec in P.runbooks.items():
        g = f"{R}.run_{name}"
        expected = [f"{g}.activate_runbook"]
        for step in spec.steps:
            if step in spec.requires_approval:
                expected.append(f"{g}.approve_{step}")
            expected.append(f"{g}.{step}")
        expected += [f"{g}.{spec.verify}", f"{g}.close_runbook"]
        chain = [expected[0]]
        while True:  # follow the group from activate to close through its direct downstreams
            nxt = sorted(t for t in dag.get_task(chain[-1]).downstream_task_ids if t.startswith(g))
            if not nxt:
                break
            chain.append(nxt[0] if len(nxt) == 1 else next(t for t in nxt if not t.endswith("close_runbook")))
        assert chain == expected, name
        for step in spec.requires_approval:
            gate = dag.get_task(f"{g}.approve_{step}")
            assert type(gate).__name__ == "RunbookApprovalOperator"
            assert gate.response_timeout.total_seconds() == spec.approval_timeout_minutes * 60
            assert gate.defaults == ["Approve" if spec.approval_default == "approve" else "Reject"]
        verify = dag.get_task(f"{g}.{spec.verify}")
        assert verify.trigger_rule == "all_done" and verify.retries == 0
        assert verify.execution_timeout.total_seconds() > spec.estimated_resolution_minutes.max * 60


def test_every_runbook_watches_from_0600_beside_the_monitor(bag):
    """Issue 13: a runbook starts when its incident opens, not after the window: its activation waits from 06:00
    beside the monitor (not downstream of it), and the post-window choice is read, not waited for."""
    dag = bag.dags["delivery_window"]
    monitor = dag.get_task("delivery.monitor_window")
    for name in P.runbooks:
        activate = dag.get_task(f"{R}.run_{name}.activate_runbook")
        assert type(activate).__name__ == "RunbookWatchOperator"
        assert activate.upstream_task_ids == {"delivery.wait_until_0600"}
        assert activate.task_id not in monitor.get_flat_relative_ids(upstream=False)
        assert activate.chooser_id == "delivery.choose_runbook"
    done = dag.get_task(f"{R}.remediation_done")
    assert f"{R}.send_due_escalations" in done.downstream_task_ids
    assert dag.params["approvals"] == "hitl_when_scheduled"
    assert dag.params["force_runbook"] is None


def test_follow_up_dag_runs_every_few_minutes_and_is_bounded(bag):
    dag = bag.dags["delivery_window_escalations"]
    assert dag.timetable.expression == f"*/{P.incident_automation.follow_up_every_minutes} * * * *"
    assert dag.catchup is False and dag.max_active_runs == 1 and str(dag.timezone.name) == "Asia/Kolkata"
    (only,) = dag.tasks
    assert only.task_id == "send_due_escalations" and only.doc_md and only.execution_timeout
    assert set(dag.params) == {"delivery_date", "as_of", "dry_run", "resolve_incidents"}


def test_approval_mode():
    from delivery_window.wiring.approval import approval_mode

    assert approval_mode("hitl_when_scheduled", "scheduled", True) == "hitl"
    assert approval_mode("hitl_when_scheduled", "scheduled", False) == "auto"  # catching up on a past window
    assert approval_mode("hitl_when_scheduled", "manual", True) == "auto"  # dag.test(), demo, on-call reruns
    assert approval_mode("hitl", "manual", False) == "hitl"
    assert approval_mode("auto", "scheduled", True) == "auto"
