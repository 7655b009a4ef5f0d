"""Runbook success criteria are measured from the platform's attempts, never taken on a service's word (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from delivery_window.protocol import Measurement, get_protocol
from delivery_window.runbooks import criteria
from delivery_window.runbooks.watch import AFTER_WINDOW, IN_WINDOW, decide

pytestmark = pytest.mark.unit

T0 = datetime(2026, 9, 1, 0, 32, 20, tzinfo=UTC)  # 06:02:20 IST: the requeue
M = Measurement(window_minutes=1, min_attempts=50, settle_seconds=10)


def attempt(
    sec: float, status: str, receipt_sec: float = 3, number: str = "n1", template: str = "t", segment=1
):
    at = T0 + timedelta(seconds=sec)
    return {
        "attempted_at": at,
        "status": status,
        "status_at": at + timedelta(seconds=receipt_sec),
        "phone_number_id": number,
        "template_name": template,
        "segment": segment,
    }


def test_delivery_restored_is_measured_over_the_trailing_minute_after_the_action():
    failing = [attempt(s, "failed") for s in range(0, 40)]  # 06:02:20-06:03:00: still down
    healthy = [attempt(40 + s / 2, "delivered") for s in range(0, 200)]  # 06:03:00 on: back
    early = criteria.delivery_restored(failing + healthy, T0, T0 + timedelta(seconds=70), M, 98.0)
    assert not early.met and early.numbers["delivered"] < early.numbers["attempts"]
    later = criteria.delivery_restored(failing + healthy, T0, T0 + timedelta(seconds=150), M, 98.0)
    assert later.met and later.numbers["rate_pct"] == 100.0 and later.numbers["attempts"] >= M.min_attempts
    assert "delivered" in later.reason and "%" in later.reason


def test_too_few_attempts_after_the_action_is_not_met_whatever_the_service_says():
    few = [attempt(s, "delivered") for s in range(10)]
    m = criteria.delivery_restored(few, T0, T0 + timedelta(seconds=30), M, 98.0)
    assert not m.met and "not enough" in m.reason and m.numbers["attempts"] == 10


def test_a_receipt_after_the_instant_judged_is_not_a_delivery_yet():
    late = [attempt(s / 4, "delivered", receipt_sec=120) for s in range(100)]
    m = criteria.delivery_restored(late, T0, T0 + timedelta(seconds=60), M, 98.0)
    assert not m.met and m.numbers["delivered"] == 0


def test_attempts_before_the_action_do_not_count():
    before = [attempt(-30 + s / 10, "failed") for s in range(200)]
    after = [attempt(s / 2, "delivered") for s in range(100)]
    m = criteria.delivery_restored(before + after, T0, T0 + timedelta(seconds=70), M, 98.0)
    assert m.met and m.numbers["attempts"] == 100


def test_a_paused_number_that_still_sends_is_not_quiet():
    paused = {"n2": T0}
    sends = [attempt(30, "delivered", number="n2"), attempt(31, "delivered", number="n1")]
    q = Measurement(window_minutes=1, min_attempts=1, settle_seconds=10)
    busy = criteria.numbers_quiet(sends, paused, T0 + timedelta(minutes=2), q, out_of_plan={"n2"})
    assert not busy.met and busy.numbers["attempts_after_pause"] == {"n2": 1}
    quiet = criteria.numbers_quiet(sends[1:], paused, T0 + timedelta(minutes=2), q, out_of_plan={"n2"})
    assert quiet.met
    still_planned = criteria.numbers_quiet(sends[1:], paused, T0 + timedelta(minutes=2), q, out_of_plan=set())
    assert not still_planned.met and still_planned.numbers["still_in_plan"] == ["n2"]
    assert not criteria.numbers_quiet([], {}, T0, q, out_of_plan=set()).met  # nothing paused: nothing shown


def test_fallback_is_functional_only_when_attempts_use_the_fallback_template():
    fb = {1: "fallback_1"}
    q = Measurement(window_minutes=1, min_attempts=20, settle_seconds=10)
    on_daily = [attempt(s, "delivered", template="daily_1") for s in range(30)]
    m = criteria.fallback_functional(on_daily, T0, T0 + timedelta(seconds=50), q, fb, 98.0)
    assert not m.met and "not on fallback" in m.reason
    on_fallback = [attempt(s, "delivered", template="fallback_1") for s in range(30)]
    assert criteria.fallback_functional(on_fallback, T0, T0 + timedelta(seconds=50), q, fb, 98.0).met


def test_the_watch_starts_a_runbook_when_its_incident_opens_and_records_the_live_instant():
    p = get_protocol()
    close = T0 + timedelta(minutes=5)
    w = decide("delivery_failure", T0, None, close, p)
    assert w.action == "activate" and w.how == IN_WINDOW
    assert w.at == T0 + timedelta(seconds=p.incident_automation.runbook_watch_seconds)
    assert (w.at - T0).total_seconds() <= 30  # the bound: one tick plus scheduling
    assert decide("delivery_failure", None, None, close, p).action == "wait"
    after = decide("delivery_failure", None, ["delivery_failure"], close, p)
    assert after.action == "activate" and after.how == AFTER_WINDOW and after.at == close
    assert decide("delivery_failure", None, ["no_incident"], close, p).action == "skip"


def test_the_report_first_lines_say_what_was_done_about_each_failed_check_and_each_runbook():
    from delivery_window.reports.first_lines import check_actions, runbook_lines
    from delivery_window.runbooks.remediation import failure_summary

    p = get_protocol()
    checks = [
        {"check_name": "check_database_pool", "status": "fail", "phase": "05:30"},
        {"check_name": "check_redis_cache", "status": "error", "phase": "05:30"},
        {"check_name": "check_openai_health", "status": "pass", "phase": "05:30"},
    ]
    runs = [
        {"runbook": "database_emergency", "step": "pre_window.fail_over_database", "outcome": "succeeded"},
        {"runbook": "delivery_failure", "step": "requeue_failed_deliveries", "outcome": "failed",
         "details": {"error": "ServiceError: 503"}},
    ]  # fmt: skip
    lines = check_actions(checks, runs, p)
    assert (
        lines[0].startswith("check_database_pool fail")
        and "pre-window remediation database_emergency" in lines[0]
    )
    assert lines[1].startswith("check_redis_cache error") and "nothing" in lines[1]
    assert len(lines) == 2  # a passing check is not a line
    incident = {
        "runbook": "delivery_failure",
        "status": "open",
        "opened_at": T0,
        "timeline": [
            {"step": "runbook_activated", "at": (T0 + timedelta(seconds=5)).isoformat(), "how": "in_window"},
            {"step": "success_criterion_not_met", "at": (T0 + timedelta(minutes=15)).isoformat(),
             "reason": "12/461 delivered = 2.6 % (≤ 98.0 %)"},
        ],
    }  # fmt: skip
    first, failed = runbook_lines([incident], runs, p)
    assert "started in window at 06:02:25, 5 s after the incident opened" in first
    assert (
        "delivery_rate_restored NOT MET" in first and "12/461 delivered = 2.6 %" in first and "open" in first
    )
    assert failed == "  failed step delivery_failure.requeue_failed_deliveries: ServiceError: 503"
    summary = failure_summary(runs, [{"incident_id": "2026-09-01:delivery_failure"}])
    assert (
        "delivery_failure.requeue_failed_deliveries" in summary and "2026-09-01:delivery_failure" in summary
    )


def test_a_small_requeue_is_its_own_minimum_sample():
    """After the window the requeue's sends are all the traffic: 5 requeued, 5 delivered is met."""
    five = [attempt(s, "delivered") for s in range(5)]
    assert not criteria.delivery_restored(five, T0, T0 + timedelta(seconds=30), M, 98.0).met
    assert criteria.delivery_restored(five, T0, T0 + timedelta(seconds=30), M, 98.0, requeued=5).met
    one_failed = [*five[:4], attempt(4, "failed")]
    assert not criteria.delivery_restored(one_failed, T0, T0 + timedelta(seconds=30), M, 98.0, requeued=5).met


def test_when_the_sends_are_over_every_attempt_since_the_action_is_judged():
    """Issue 13: at the deadline the trailing minute is empty; the requeue that failed must still read as failed."""
    failed = [attempt(s / 2, "failed") for s in range(114)]
    m = criteria.delivery_restored(failed, T0, T0 + timedelta(minutes=15), M, 98.0, requeued=114)
    assert not m.met and m.numbers["attempts"] == 114 and m.numbers["rate_pct"] == 0.0
    assert m.reason.startswith("0/114 delivered = 0.0 %")
