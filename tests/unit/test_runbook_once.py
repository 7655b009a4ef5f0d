"""What a post-window act step still has to do after the pre-window remediation (pure: runbooks.once)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from delivery_window.protocol import get_protocol
from delivery_window.runbooks.once import COUNTERPARTS, DATABASE, PRE_WINDOW, StillToDo, still_to_do

P = get_protocol()
QUALITY = "whatsapp_quality_recovery"
PAUSE = "pause_unhealthy_numbers"
DAY = date(2026, 9, 2)
AT = datetime(2026, 9, 2, 0, 15, 3, tzinfo=ZoneInfo("UTC"))  # 05:45:03 IST


def rec(runbook: str, step: str, outcome: str = "succeeded", ran_at=AT, **details) -> dict:
    return {"runbook": runbook, "step": step, "outcome": outcome, "details": details, "ran_at": ran_at}


def paused_before(*numbers: str, outcome: str = "succeeded") -> dict:
    return rec(QUALITY, "pre_window.pause_sender_numbers", outcome, paused=list(numbers))


def test_without_a_pre_window_record_every_target_is_still_to_do():
    r = still_to_do(QUALITY, PAUSE, ["1065550102", "1065550103"], [])
    assert r == StillToDo(todo=("1065550102", "1065550103"))
    assert not r.nothing_left and r.details() == {}


def test_targets_the_pre_window_step_covered_are_not_acted_on_again():
    r = still_to_do(QUALITY, PAUSE, ["1065550102"], [paused_before("1065550102")])
    assert r.todo == () and r.done == ("1065550102",) and r.nothing_left
    assert r.details() == {
        "already_done": "pre_window.pause_sender_numbers",
        "already_done_at": "2026-09-02T00:15:03+00:00",
        "already_done_for": ["1065550102"],
    }


def test_a_target_the_pre_window_step_did_not_cover_is_still_acted_on():
    r = still_to_do(QUALITY, PAUSE, ["1065550104", "1065550102"], [paused_before("1065550102")])
    assert (r.todo, r.done) == (("1065550104",), ("1065550102",))
    assert not r.nothing_left and r.details()["already_done_for"] == ["1065550102"]


def test_a_pre_window_step_that_covered_more_leaves_nothing():
    r = still_to_do(QUALITY, PAUSE, ["1065550102"], [paused_before("1065550102", "1065550103")])
    assert r.nothing_left and r.done == ("1065550102",)


def test_a_failed_pre_window_step_covers_nothing():
    # it lists every number it tried, not the ones it reached
    r = still_to_do(QUALITY, PAUSE, ["1065550102"], [paused_before("1065550102", outcome="failed")])
    assert r == StillToDo(todo=("1065550102",))


@pytest.mark.parametrize(
    "record",
    [
        # the same action recorded under another runbook
        rec("ai_service_fallback", "pre_window.pause_sender_numbers", paused=["1065550102"]),
        # an earlier run's post-window step is not a pre-window remediation
        rec(QUALITY, PAUSE, paused=["1065550102"]),
        # another pre-window step of the same runbook
        rec(QUALITY, "pre_window.replan_traffic", excluded=["1065550102"]),
    ],
    ids=["other runbook", "post-window row", "other pre-window step"],
)
def test_only_the_same_runbooks_pre_window_counterpart_counts(record):
    assert still_to_do(QUALITY, PAUSE, ["1065550102"], [record]).todo == ("1065550102",)


def test_a_step_without_a_pre_window_counterpart_acts_on_everything():
    records = [paused_before("1065550102"), rec("delivery_failure", "pre_window.requeue_failed_deliveries")]
    r = still_to_do("delivery_failure", "requeue_failed_deliveries", ["1065550102"], records)
    assert r == StillToDo(todo=("1065550102",))


@pytest.mark.parametrize(
    "details",
    [{}, {"paused": None}, {"paused": "1065550102"}],
    ids=["key missing", "null", "not a list"],
)
def test_a_pre_window_record_without_its_target_list_covers_nothing(details):
    record = {**rec(QUALITY, "pre_window.pause_sender_numbers"), "details": details}
    assert still_to_do(QUALITY, PAUSE, ["1065550102"], [record]).todo == ("1065550102",)


def test_null_details_or_outcome_cover_nothing():
    null_details = {**rec(QUALITY, "pre_window.pause_sender_numbers"), "details": None}
    null_outcome = rec(QUALITY, "pre_window.pause_sender_numbers", None, paused=["1065550102"])
    for record in (null_details, null_outcome):
        assert still_to_do(QUALITY, PAUSE, ["1065550102"], [record]).todo == ("1065550102",)


def test_a_record_without_its_time_still_covers_its_targets():
    record = rec(QUALITY, "pre_window.pause_sender_numbers", ran_at=None, paused=["1065550102"])
    r = still_to_do(QUALITY, PAUSE, ["1065550102"], [record])
    assert r.nothing_left and r.details()["already_done_at"] is None
    text = rec(
        QUALITY, "pre_window.pause_sender_numbers", ran_at="2026-09-02T05:45:03+05:30", paused=["1065550102"]
    )
    assert still_to_do(QUALITY, PAUSE, ["1065550102"], [text]).done_at == "2026-09-02T05:45:03+05:30"


def test_segments_match_whether_recorded_as_numbers_or_text():
    records = [rec(QUALITY, "pre_window.activate_fallback_content", segments=[2])]
    r = still_to_do(QUALITY, "switch_to_fallback_templates", [2, 3], records)
    assert (r.todo, r.done) == ((3,), (2,))  # the caller's own values come back
    assert still_to_do(QUALITY, "switch_to_fallback_templates", ["2"], records).nothing_left


def test_the_ai_fallback_on_every_segment_covers_every_segment():
    records = [rec("ai_service_fallback", "pre_window.activate_fallback", segments=[1, 2, 3, 4])]
    assert still_to_do("ai_service_fallback", "activate_fallback", [1, 2, 3, 4], records).nothing_left
    partial = [rec("ai_service_fallback", "pre_window.activate_fallback", segments=[1, 2])]
    assert still_to_do("ai_service_fallback", "activate_fallback", [1, 2, 3, 4], partial).todo == (3, 4)


def test_a_failover_has_no_target_list_and_covers_the_database():
    done = [rec("database_emergency", "pre_window.fail_over_database", answer={"status": "completed"})]
    r = still_to_do("database_emergency", "fail_over_database", [DATABASE], done)
    assert r.nothing_left and r.details()["already_done"] == "pre_window.fail_over_database"
    failed = [rec("database_emergency", "pre_window.fail_over_database", "failed", error="HTTPError: 503")]
    assert still_to_do("database_emergency", "fail_over_database", [DATABASE], failed).todo == (DATABASE,)


def test_no_targets_is_not_a_skip_and_repeats_are_acted_on_once():
    r = still_to_do(QUALITY, PAUSE, [], [paused_before("1065550102")])
    # the step's own "nothing to do" (no unhealthy number), not "already done before the window"
    assert r == StillToDo(todo=()) and not r.nothing_left
    assert still_to_do(QUALITY, PAUSE, ["1065550104", "1065550104"], []).todo == ("1065550104",)


class FakeDeliveryService:
    """Answers the pre-window act steps' calls as the delivery service does when they work."""

    def pause_number(self, day, number, reason, effective_at=None):
        return {"phone_number_id": number, "paused": True}

    def replan(self, day, numbers):
        return {"advisors_planned": 400}

    def activate_fallback(self, day, segments, reason):
        return {"activated": True, "segments": segments}

    def post(self, path, body):  # steps.activate_fallback_everywhere, steps.request_failover
        return {"activated": True, "segments": [1, 2, 3, 4], "status": "completed"}


def test_every_counterpart_is_a_protocol_step_and_a_pre_window_step_that_records_its_targets():
    from delivery_window.runbooks.go_no_go import Remediation
    from delivery_window.runbooks.pre_window import _pre_window_steps

    recorded = {}
    for name, spec in P.go_no_go.remediations.items():
        rem = Remediation(
            name, spec.runbook, ("check fail",), phone_number_ids=("1065550102",), segments=(2,)
        )
        for step, fn in _pre_window_steps(rem):
            if not step.startswith("verify_"):
                recorded[(spec.runbook, PRE_WINDOW + step)] = fn(FakeDeliveryService(), None, DAY, P)
    for (runbook, step), counterpart in COUNTERPARTS.items():
        assert step in P.runbooks[runbook].steps, (runbook, step)
        details = recorded[(runbook, counterpart.step)]
        if counterpart.targets_key is not None:
            assert isinstance(details[counterpart.targets_key], list) and details[counterpart.targets_key]
