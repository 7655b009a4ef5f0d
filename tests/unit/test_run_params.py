"""Run params: which phases a task belongs to and whether it runs; a replay date is never in the future."""

from __future__ import annotations

from datetime import date

import pytest

from delivery_window.run_params import (
    PHASES,
    FutureDeliveryDate,
    check_delivery_date,
    phase_of,
    phases_note,
    selected_phases,
    skip_reason,
)

TODAY = date(2026, 11, 26)


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
    assert check_delivery_date(None, TODAY) is None
    assert check_delivery_date("2026-11-26", TODAY) == TODAY
    assert check_delivery_date(date(2026, 1, 1), TODAY) == date(2026, 1, 1)


def test_a_future_delivery_date_is_rejected_precisely():
    with pytest.raises(FutureDeliveryDate) as err:
        check_delivery_date("2026-11-27", TODAY)
    assert str(err.value).startswith(
        "delivery_date 2026-11-27 is in the future (today is 2026-11-26 in Asia/Kolkata)"
    )


def test_the_report_says_which_phases_ran():
    assert phases_note(PHASES) == "pre_delivery, delivery, post_delivery"
    assert phases_note(("post_delivery",)) == (
        "post_delivery only; not run in this run: pre_delivery, delivery "
        "(their rows, if any, are from an earlier run of the day)"
    )


class _TI:
    def __init__(self, task_id: str):
        self.task_id = task_id


def test_the_gate_skips_a_task_of_an_unselected_phase_and_lets_the_others_run():
    from airflow.sdk.exceptions import AirflowSkipException

    from delivery_window.run_params import gate_task

    params = {"delivery_date": "2026-06-01", "phases": ["post_delivery"]}
    with pytest.raises(AirflowSkipException, match="phase delivery not selected"):
        gate_task({"params": params, "ti": _TI("delivery.monitor_window")})
    assert gate_task({"params": params, "ti": _TI("post_delivery.generate_daily_report")}) is None


def test_the_gate_fails_a_future_replay_without_retry_and_the_failure_opens_no_incident(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from delivery_window import callbacks, run_params

    monkeypatch.setattr(run_params, "context_today", lambda zone: TODAY)
    context = {"params": {"delivery_date": "2026-12-01"}, "ti": _TI("post_delivery.verify_sla_checkpoint")}
    with pytest.raises(AirflowFailException, match="delivery_date 2026-12-01 is in the future") as err:
        run_params.gate_task(context)  # AirflowFailException: no retry, the conf will not get better
    assert run_params.caused_by_run_params(err.value)
    assert not run_params.caused_by_run_params(AirflowFailException("a probe failed"))
    # The failure callback returns before it touches the report database or any notifier.
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
