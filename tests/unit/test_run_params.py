"""Run params: which phases a task belongs to and whether it runs; a replay date is never in the future nor before
the DAG's start date; a conf key that is no param is refused with the param it was meant to be."""

from __future__ import annotations

import re
from datetime import date

import pytest

from delivery_window.run_params import (
    PHASES,
    DeliveryDateBeforeStart,
    FutureDeliveryDate,
    UnknownParam,
    check_conf_keys,
    check_delivery_date,
    phase_of,
    phases_note,
    selected_phases,
    skip_reason,
    unknown_params,
)

TODAY = date(2026, 11, 26)
FIRST = date(2026, 1, 1)
# The delivery_window DAG's params (tests/dags/test_params.py resolves the real ones).
PARAMS = ("delivery_date", "phases", "dry_run", "approvals", "force_runbook")


def test_selected_phases_default_to_all_three_in_protocol_order():
    assert selected_phases(None) == PHASES
    assert selected_phases({}) == PHASES
    assert selected_phases({"phases": ["post_delivery", "pre_delivery"]}) == ("pre_delivery", "post_delivery")


@pytest.mark.parametrize(
    ("task_id", "phase"),
    [
        ("pre_delivery.infrastructure.check_redis_cache", "pre_delivery"),
        ("delivery.monitor_window", "delivery"),
        ("delivery.remediation.run_delivery_failure.activate_runbook", "delivery"),
        ("post_delivery.generate_daily_report", "post_delivery"),
        ("follow_up_escalations", None),
    ],
)
def test_phase_of_is_the_top_task_group(task_id, phase):
    assert phase_of(task_id) == phase


def test_tasks_of_unselected_phases_are_skipped_with_the_reason():
    only_post = ("post_delivery",)
    assert skip_reason("post_delivery.verify_sla_checkpoint", only_post) is None
    assert skip_reason("delivery.monitor_window", only_post) == (
        "phase delivery not selected for this run (param phases = post_delivery)"
    )
    assert skip_reason("pre_delivery.pre_window.go_no_go", only_post).startswith("phase pre_delivery not")
    assert all(skip_reason(t, PHASES) is None for t in ("pre_delivery.x", "delivery.y", "post_delivery.z"))


def test_the_report_schema_migration_runs_whatever_phases_are_selected():
    assert skip_reason("pre_delivery.migrate_report_schema", ("delivery",)) is None
    assert skip_reason("pre_delivery.final_check.wait_until_0545", ("delivery",)) is not None


def test_delivery_date_today_or_earlier_is_accepted():
    assert check_delivery_date(None, TODAY, FIRST) is None
    assert check_delivery_date("2026-11-26", TODAY, FIRST) == TODAY
    assert check_delivery_date(date(2026, 1, 1), TODAY, FIRST) == FIRST  # the start date itself runs


def test_a_future_delivery_date_is_rejected_precisely():
    with pytest.raises(FutureDeliveryDate) as err:
        check_delivery_date("2026-11-27", TODAY, FIRST)
    assert str(err.value).startswith(
        "delivery_date 2026-11-27 is in the future (today is 2026-11-26 in Asia/Kolkata)"
    )


def test_a_delivery_date_before_the_start_date_is_rejected_precisely():
    with pytest.raises(DeliveryDateBeforeStart) as err:
        check_delivery_date("2025-12-31", TODAY, FIRST)
    assert str(err.value).startswith(
        "delivery_date 2025-12-31 is before the DAG's start date 2026-01-01 (protocol.yaml start_date)"
    )


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        (["delivery_date", "dryrun"], "unknown param dryrun: did you mean dry_run?"),
        (["deliverydate"], "unknown param deliverydate: did you mean delivery_date?"),
        (["phase", "forcerunbook"], "unknown param phase: did you mean phases?; unknown param forcerunbook: "
         "did you mean force_runbook?"),
        (["colour"], "unknown param colour: valid: delivery_date, phases, dry_run, approvals, force_runbook"),
    ],
)  # fmt: skip
def test_an_unknown_conf_key_is_refused_with_the_nearest_param(keys, reason):
    assert unknown_params(keys, PARAMS) == reason
    with pytest.raises(UnknownParam, match=re.escape(reason)):
        check_conf_keys(keys, PARAMS)


def test_known_conf_keys_pass():
    assert unknown_params(PARAMS, PARAMS) is None
    assert unknown_params([], PARAMS) is None
    check_conf_keys(["dry_run", "delivery_date"], PARAMS)


def test_the_report_says_which_phases_ran():
    assert phases_note(PHASES) == "pre_delivery, delivery, post_delivery"
    assert phases_note(("post_delivery",)) == (
        "post_delivery only; not run in this run: pre_delivery, delivery "
        "(their rows, if any, are from an earlier run of the day)"
    )


class _TI:
    def __init__(self, task_id: str):
        self.task_id = task_id


class _Dag:
    params = dict.fromkeys(PARAMS)


class _DagRun:
    def __init__(self, conf: dict):
        from datetime import UTC, datetime

        self.conf = conf
        self.run_after = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 05:30 IST on 2026-06-01


def _context(task_id: str, params: dict, conf: dict | None = None) -> dict:
    """What the gate reads of a task's context: the merged params, the run's conf, the DAG's params."""
    return {
        "params": params,
        "ti": _TI(task_id),
        "dag": _Dag(),
        "dag_run": _DagRun(conf or {}),
        "run_id": "manual__test",
    }


def test_the_gate_skips_a_task_of_an_unselected_phase_and_lets_the_others_run():
    from airflow.sdk.exceptions import AirflowSkipException

    from delivery_window.run_params import gate_task

    params = {"delivery_date": "2026-06-01", "phases": ["post_delivery"]}
    with pytest.raises(AirflowSkipException, match="phase delivery not selected"):
        gate_task(_context("delivery.monitor_window", params))
    assert gate_task(_context("post_delivery.generate_daily_report", params)) is None


def test_the_gate_fails_a_future_replay_without_retry_and_the_failure_opens_no_incident(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from delivery_window import callbacks, run_params

    monkeypatch.setattr(run_params, "context_today", lambda zone: TODAY)
    context = _context("post_delivery.verify_sla_checkpoint", {"delivery_date": "2026-12-01"})
    with pytest.raises(AirflowFailException, match="delivery_date 2026-12-01 is in the future") as err:
        run_params.gate_task(context)  # AirflowFailException: no retry, the conf will not get better
    assert run_params.caused_by_run_params(err.value)
    assert not run_params.caused_by_run_params(AirflowFailException("a probe failed"))
    # The failure callback returns before it touches the report database or any notifier.
    assert callbacks.task_failure_alert({**context, "exception": err.value}) is None


@pytest.mark.parametrize(
    ("params", "conf", "message"),
    [
        # Airflow merges an unknown conf key into the params: the run would send for real (dry_run=false)
        (
            {"delivery_date": "2026-06-01", "dry_run": False, "dryrun": True},
            {"delivery_date": "2026-06-01", "dryrun": True},
            "unknown param dryrun: did you mean dry_run?",
        ),
        # with overriding off, the conf alone shows it: the run would run its own date
        ({"delivery_date": None}, {"deliverydate": "2026-06-01"}, "did you mean delivery_date?"),
        ({"delivery_date": "2025-12-31"}, {"delivery_date": "2025-12-31"}, "before the DAG's start date"),
    ],
)
def test_the_gate_fails_a_bad_conf_without_retry_and_opens_no_incident(monkeypatch, params, conf, message):
    from airflow.sdk.exceptions import AirflowFailException

    from delivery_window import callbacks, run_params

    monkeypatch.setattr(run_params, "context_today", lambda zone: TODAY)
    context = _context("pre_delivery.migrate_report_schema", params, conf)  # a task whatever the phases
    with pytest.raises(AirflowFailException, match=re.escape(message)) as err:
        run_params.gate_task(context)
    assert run_params.caused_by_run_params(err.value)
    assert callbacks.task_failure_alert({**context, "exception": err.value}) is None


def test_the_report_states_the_phases_run():
    from delivery_window.reports import daily

    s = daily.build_summary(None, [], [], None, 0)
    assert "phases run" not in daily.render("2026-06-01", s)  # reports written before the param existed
    s["phases_note"] = phases_note(("post_delivery",))
    line = daily.render("2026-06-01", s).splitlines()[-1]
    assert line.split(None, 2)[:2] == ["phases", "run"]
    assert line.split(None, 2)[2].startswith(
        "post_delivery only; not run in this run: pre_delivery, delivery"
    )


def test_the_replay_command_passes_phases_and_runbook_as_dag_params():
    from delivery_window.cli import build_parser, replay_conf

    parser = build_parser()
    args = parser.parse_args(
        [
            "replay",
            "--date",
            "2026-11-25",
            "--phases",
            "delivery",
            "post_delivery",
            "--force-runbook",
            "delivery_failure",
        ]
    )
    assert replay_conf(args) == {"phases": ["delivery", "post_delivery"], "force_runbook": "delivery_failure"}
    assert replay_conf(parser.parse_args(["replay", "--date", "2026-11-25"])) == {}
    with pytest.raises(SystemExit):
        parser.parse_args(["replay", "--date", "2026-11-25", "--phases", "reporting"])


def test_an_evaluation_of_a_day_without_data_is_refused_and_the_database_asked_once():
    from delivery_window.run_params import NoDeliveryAttempts, refuse_a_day_without_data

    asked: list[int] = []

    def none_recorded() -> bool:
        asked.append(1)
        return False

    day = date(2026, 6, 3)
    for _ in range(3):  # three tasks of the same evaluation
        with pytest.raises(NoDeliveryAttempts, match="no delivery attempts recorded for 2026-06-03"):
            refuse_a_day_without_data(day, "delivery_eval_x", none_recorded)
    assert asked == [1]
    refuse_a_day_without_data(date(2026, 6, 4), "delivery_eval_x", lambda: True)  # a day with data runs
