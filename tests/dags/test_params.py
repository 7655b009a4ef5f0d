"""The DAG's params are validated by their JSON schemas at trigger time, with messages that name the problem.

Airflow validates a trigger's conf as ``dag.params.deep_merge(conf).validate()`` (the API, the CLI and the UI
form all go through it), so the same call here proves what an on-call sees.
"""

from __future__ import annotations

import pytest

from delivery_window.paths import ROOT


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.dags["delivery_window"]


@pytest.fixture(scope="module")
def served(dag):
    """The DAG as the API server holds it (serialized): the params a trigger's conf is validated against."""
    from airflow.serialization.serialized_objects import DagSerialization

    return DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))


def resolve(dag, conf: dict) -> dict:
    """What ``create_dagrun`` does with a trigger's conf (airflow/serialization/definitions/dag.py)."""
    return dag.params.deep_merge(conf).validate()


def test_defaults_run_every_phase_live_and_sending(served):
    assert resolve(served, {}) == {
        "delivery_date": None,
        "phases": ["pre_delivery", "delivery", "post_delivery"],
        "dry_run": False,
        "record": "auto",
        "send": False,
        "approvals": "hitl_when_scheduled",
        "force_runbook": None,
    }


def test_a_valid_manual_conf_resolves(served):
    conf = {
        "delivery_date": "2026-11-20",
        "phases": ["post_delivery"],
        "dry_run": True,
        "force_runbook": "delivery_failure",
    }
    assert resolve(served, conf) == {**resolve(served, {}), **conf}


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"phases": ["delivery", "reporting"]}, "Invalid input for param phases: 'reporting' is not one of"),
        ({"phases": []}, "Invalid input for param phases: [] should be non-empty"),
        ({"record": "yes"}, "Invalid input for param record: 'yes' is not one of"),
        (
            {"phases": ["delivery", "delivery"]},
            "Invalid input for param phases: ['delivery', 'delivery'] has non-unique",
        ),
        ({"phases": "delivery"}, "Invalid input for param phases: 'delivery' is not of type 'array'"),
        (
            {"delivery_date": "2026-13-01"},
            "Invalid input for param delivery_date: '2026-13-01' is not a 'date'",
        ),
        (
            {"delivery_date": "25/11/2026"},
            "Invalid input for param delivery_date: '25/11/2026' is not a 'date'",
        ),
        (
            {"force_runbook": "restart_everything"},
            "Invalid input for param force_runbook: 'restart_everything' is not one of",
        ),
        ({"dry_run": "yes"}, "Invalid input for param dry_run: 'yes' is not of type 'boolean'"),
        ({"approvals": "nobody"}, "Invalid input for param approvals: 'nobody' is not one of"),
    ],
)
def test_a_bad_value_is_rejected_with_a_message_naming_param_and_value(served, conf, message):
    from airflow.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError) as err:
        resolve(served, conf)
    assert str(err.value).startswith(message), str(err.value).splitlines()[0]


def test_every_task_goes_through_the_phase_and_date_gate(dag):
    from delivery_window.run_params import gate_task

    assert {t.task_id for t in dag.tasks if t._pre_execute_hook is not gate_task} == set()


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        # would run with dry_run=false: it sends for real
        ({"delivery_date": "2026-06-01", "dryrun": True}, "unknown param dryrun: did you mean dry_run?"),
        # would run the run's own date
        ({"deliverydate": "2026-06-01"}, "unknown param deliverydate: did you mean delivery_date?"),
    ],
)
def test_a_conf_key_that_is_no_param_fails_the_task_naming_the_param_meant(dag, served, conf, message):
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    from delivery_window.run_params import caused_by_run_params, gate_task

    params = resolve(served, conf)  # Airflow accepts the conf: the unknown key is merged into the params
    assert set(conf) <= set(params)
    context = {
        "params": params,
        "dag": dag,
        "dag_run": SimpleNamespace(conf=conf),
        "ti": SimpleNamespace(task_id="pre_delivery.migrate_report_schema"),
    }
    with pytest.raises(AirflowFailException, match=message) as err:
        gate_task(context)
    assert caused_by_run_params(err.value)  # no retry, no incident


def test_every_param_of_the_dag_passes_the_key_check(dag, served):
    from types import SimpleNamespace

    from delivery_window.run_params import check_run_params

    conf = {name: resolve(served, {})[name] for name in dag.params} | {"delivery_date": "2026-06-01"}
    check_run_params({"params": resolve(served, conf), "dag": dag, "dag_run": SimpleNamespace(conf=conf)})


def test_both_dags_start_on_the_date_before_which_the_gate_refuses(dag):
    from airflow.dag_processing.dagbag import DagBag

    from delivery_window.protocol import get_protocol

    escalations = DagBag(dag_folder=str(ROOT / "dags" / "delivery_window_escalations.py")).dags
    for each in (dag, escalations["delivery_window_escalations"]):
        start = each.start_date.in_timezone(get_protocol().timezone)
        assert (start.date(), start.hour, start.minute) == (get_protocol().start_date, 0, 0), each.dag_id
