"""Which runs write the day's record and which are evaluations beside it, and what an evaluation reports (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from delivery_window import scope
from delivery_window.checks.probes import CHECKS, as_recorded, rejudge
from delivery_window.protocol import get_protocol
from delivery_window.records import Status
from delivery_window.reports.evaluation import differences, lines

DAY, TODAY = date(2026, 11, 24), date(2026, 11, 25)


@pytest.mark.parametrize(
    ("day", "dry_run", "mode", "record"),
    [
        (TODAY, False, "auto", True),  # the scheduled run, or a manual run for today
        (DAY, False, "auto", False),  # a replay of a past day
        (TODAY, True, "auto", False),  # a dry run touches only its own rows: never the record
        (DAY, False, "record", True),  # the demo plays the simulated morning live
        (DAY, True, "record", False),  # even then a dry run is an evaluation
        (TODAY, False, "evaluation", False),
    ],
)
def test_only_the_run_that_watched_the_window_writes_the_record(day, dry_run, mode, record):
    assert scope.is_record_run(delivery_date=day, own_date=TODAY, dry_run=dry_run, mode=mode) is record


def test_an_evaluation_has_a_stable_schema_per_airflow_run_and_reads_the_record_only_where_listed():
    a = scope.evaluation_scope(DAY, "manual__2026-11-25T01:00:00+00:00", send=False)
    assert a == scope.evaluation_scope(
        DAY, "manual__2026-11-25T01:00:00+00:00", send=False
    )  # retries continue it
    assert a.schema != scope.evaluation_scope(DAY, "manual__other", send=False).schema
    assert a.schema.startswith("delivery_eval_20261124_") and len(a.schema) <= 63  # a Postgres identifier
    sql = "SELECT 1 FROM delivery_ops.alerts JOIN delivery_ops.incidents USING (delivery_date)"
    assert scope.rewrite(sql, "select_alerts", a) == sql.replace("delivery_ops.", f"{a.schema}.")
    assert scope.rewrite(sql, "select_latency_baseline", a) == sql  # earlier days are the record's
    assert scope.rewrite(sql, "select_alerts", scope.RECORD) == sql


def test_an_evaluation_sends_only_when_asked_and_a_dry_run_never():
    try:
        scope.enter(scope.evaluation_scope(DAY, "r", send=False))
        assert not scope.may_send()
        scope.enter(scope.evaluation_scope(DAY, "r", send=True))
        assert scope.may_send() and not scope.may_send(dry_run=True)
    finally:
        scope.enter(scope.RECORD)
    assert scope.may_send() and not scope.may_send(dry_run=True)


def test_an_evaluation_re_judges_the_record_s_observation_and_says_when_there_is_none():
    p = get_protocol()
    seen = as_recorded({"ping": True, "ping_ms": 3, "used_memory": 10, "maxmemory": 100})
    assert CHECKS["check_redis_cache"].probe  # the check exists; its observation as the record keeps it:
    verdict = rejudge(
        "check_redis_cache",
        DAY,
        {"probe_observed": seen, "status": "pass", "message": "", "latency_ms": 4},
        p,
    )
    assert verdict.status == Status.PASS and verdict.probe_observed == seen
    missing = rejudge("check_redis_cache", DAY, None, p)
    assert missing.status == Status.NOT_OBSERVED and "not observed" in missing.message
    failed = rejudge(
        "check_redis_cache",
        DAY,
        {"probe_observed": {"probe_error": "redis: connection refused"}, "status": "error"},
        p,
    )
    assert failed.status == Status.ERROR and failed.message == "redis: connection refused"


def _outline(**kw):
    base = {
        "sla_pct": 99.7,
        "sla_met": True,
        "alerts": [],
        "runbooks": [],
        "go_no_go": "proceed",
        "checks": {},
    }
    return {**base, **kw}


def test_the_report_of_an_evaluation_names_every_difference_from_the_record():
    record = _outline(
        alerts=["failure_rate_2m:overall"],
        runbooks=["delivery_failure"],
        checks={"check_redis_cache": "pass"},
    )
    replay = _outline(
        sla_pct=99.85, alerts=["api_latency_p95_above_2s:overall"], checks={"check_redis_cache": "fail"}
    )
    diff = differences(record, replay)
    assert diff == {
        "alerts": {"added": ["api_latency_p95_above_2s:overall"], "gone": ["failure_rate_2m:overall"]},
        "sla_pct": {"record": 99.7, "evaluation": 99.85},
        "runbooks": {"record": ["delivery_failure"], "evaluation": []},
        "checks": {"check_redis_cache": {"record": "pass", "evaluation": "fail"}},
    }
    text = "\n".join(lines("20261124_abc", DAY, diff))
    assert text.startswith("EVALUATION 20261124_abc of 2026-11-24")
    assert "alerts added: api_latency_p95_above_2s:overall; gone: failure_rate_2m:overall" in text
    assert "runbooks: record delivery_failure → evaluation none" in text
    assert differences(record, record) == {}
    assert "same as the record" in "\n".join(lines("x", DAY, {}))


def test_an_evaluation_s_verification_takes_the_record_s_word_and_measurement_and_asks_nothing():
    from delivery_window.runbooks.steps import as_the_record_measured, verify_database_restored

    def probing(*args, **kwargs):
        raise AssertionError("an evaluation must not probe the systems now")

    probing.measures_now = True
    recorded = {
        "outcome": "failed",
        "details": {
            "reason": "100/100 connections",
            "measured": {"used": 100},
            "service_says": {"in_use": 100},
        },
    }
    fn, said = as_the_record_measured("database_emergency", probing, recorded, DAY)
    assert said == {"in_use": 100}
    assert fn(None, None, DAY, None, None) == {
        "ok": False,
        "reason": "as the record measured it: 100/100 connections",
        "measured": {"used": 100},
        "service_says": {"in_use": 100},
    }
    fn, _ = as_the_record_measured("database_emergency", verify_database_restored, None, DAY)
    assert fn(None, None, DAY, None, None)["reason"].startswith("not observed")
    _, said = as_the_record_measured("whatsapp_quality_recovery", lambda *a: {}, None, DAY)
    assert "not observed" in said["plan"]["error"]  # the quality verify reads said["plan"], never the service
