"""The DAG imports cleanly, has no cycles, and every task is documented and bounded in time."""

from __future__ import annotations

import pytest

from delivery_window.paths import ROOT


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.dags["delivery_window"]


def test_schedule_is_0530_ist_no_catchup_one_run(dag):
    assert dag.timetable.expression == "30 5 * * *"
    assert str(dag.timezone.name) == "Asia/Kolkata"
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_no_cycles(dag):
    from airflow.utils.dag_cycle_tester import check_cycle

    check_cycle(dag)


def test_phase_groups_and_key_tasks_exist(dag):
    ids = set(dag.task_ids)
    for tid in (
        "pre_delivery.infrastructure.check_database_pool",
        "pre_delivery.infrastructure.check_redis_cache",
        "pre_delivery.content_pipeline.check_templates_approved",
        "pre_delivery.final_check.wait_until_0545",
        "pre_delivery.final_check.check_sender_quality",
        "delivery.wait_until_0600",
        "delivery.monitor_window",
        "delivery.choose_runbook",
        "delivery.remediation.run_delivery_failure.activate_runbook",
        "delivery.remediation.run_delivery_failure.verify_delivery_restored",
        "remediation_watcher",
        "delivery.remediation.send_due_escalations",
        "post_delivery.wait_until_0605",
        "post_delivery.verify_sla_checkpoint",
        "post_delivery.wait_until_0615",
        "post_delivery.wait_until_0630",
        "post_delivery.generate_daily_report",
    ):
        assert tid in ids, tid


def test_every_task_has_docs_and_a_timeout(dag):
    for t in dag.tasks:
        assert t.doc_md, f"{t.task_id} has no doc_md"
        if t.task_type.endswith("Sensor") or "Sensor" in t.task_type:
            assert t.timeout, f"sensor {t.task_id} has no timeout"
        else:
            assert t.execution_timeout, f"{t.task_id} has no execution_timeout"


def test_waits_are_deferrable_and_derived_from_the_run(dag):
    waits = [t for t in dag.tasks if t.task_id.split(".")[-1].startswith("wait_until_")]
    assert {w.task_id.split(".")[-1] for w in waits} == {
        "wait_until_0545",
        "wait_until_0600",
        "wait_until_0605",
        "wait_until_0615",
        "wait_until_0630",
    }
    for w in waits:
        assert type(w).__name__ == "DateTimeSensorAsync"
        assert "dag_run.run_after" in w.target_time


def test_remediation_join_never_skips_the_report(dag):
    join = dag.get_task("delivery.remediation.remediation_done")
    assert join.trigger_rule == "all_done"
    assert dag.get_task("post_delivery.generate_daily_report").trigger_rule == "all_done"


def test_a_failed_remediation_fails_the_run_through_a_leaf_watcher(dag):
    """Airflow judges a run by its leaves: the watcher is one, and watches every remediation step."""
    watcher = dag.get_task("remediation_watcher")
    assert watcher.trigger_rule == "one_failed" and watcher.retries == 0
    assert not watcher.downstream_task_ids  # a leaf: its failure is the run's
    upstream = watcher.upstream_task_ids
    assert "delivery.remediation.run_delivery_failure.verify_delivery_restored" in upstream
    assert "delivery.remediation.run_delivery_failure.requeue_failed_deliveries" in upstream
    assert "pre_delivery.pre_window.remediate_database_emergency" in upstream
    assert not any(t.startswith("post_delivery.") for t in upstream)  # report tasks never fail the run


def test_dag_file_does_no_heavy_imports_at_parse_time():
    import subprocess
    import sys

    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]);"
        "bad = [m for m in ('great_expectations', 'pandas', 'psycopg', 'requests', 'redis') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = (
        subprocess.run(
            [sys.executable, "-c", code, str(ROOT / "dags" / "delivery_window_dag.py")],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1:]
    )
    assert out in ([], [""]), f"heavy modules imported at parse time: {out}"
