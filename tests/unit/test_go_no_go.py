"""The go/no-go decision before 06:00: a pure function of the recorded checks and protocol.yaml."""

from __future__ import annotations

from datetime import date

import pytest

from delivery_window.checks.probes import CHECKS
from delivery_window.protocol import get_protocol
from delivery_window.runbooks import go_no_go
from delivery_window.runbooks.go_no_go import NOT_RECORDED, PROCEED

P = get_protocol()
DAY = date(2026, 10, 5)
NUMBERS = [f"10655501{i:02d}" for i in range(5)]


def row(name: str, status: str = "pass", message: str = "ok", **observed) -> dict:
    return {"check_name": name, "status": status, "message": message, "observed": observed}


def day_checks(*overrides: dict) -> list[dict]:
    rows = {n: row(n) for n in CHECKS}
    rows["check_number_shards"] = row(
        "check_number_shards", shards=[{"id": n} for n in NUMBERS], unhealthy_ids=[]
    )
    rows.update({o["check_name"]: o for o in overrides})
    return list(rows.values())


def decide(*overrides: dict, expected=CHECKS):
    return go_no_go.decide(day_checks(*overrides), P, expected=expected)


def test_all_pass_proceeds_quietly():
    r = decide()
    assert r.choice == PROCEED and r.remediations == () and r.unremediated == ()
    assert r.reasons == (f"all {len(CHECKS)} checks pass",)
    assert go_no_go.alerts(r, DAY, P) == ()


def test_warnings_proceed_without_alerts_but_are_recorded():
    r = decide(row("check_sender_quality", "warn", "degraded numbers: 1065550104=YELLOW/CONNECTED"))
    assert r.choice == PROCEED and r.warnings == (
        "check_sender_quality warn: degraded numbers: 1065550104=YELLOW/CONNECTED",
    )
    assert r.reasons == ("warning check_sender_quality warn: degraded numbers: 1065550104=YELLOW/CONNECTED",)
    assert go_no_go.alerts(r, DAY, P) == ()


def test_paused_template_calls_for_fallback_content_on_its_segment():
    r = decide(
        row("check_templates_approved", "fail", "daily_brief_seg2 (en): PAUSED", segments_affected=[2])
    )
    assert r.choice == "fallback_content"
    (rem,) = r.remediations
    assert (rem.runbook, rem.segments) == ("whatsapp_quality_recovery", (2,))
    assert (
        r.reasons[0]
        == "fallback_content (whatsapp_quality_recovery) segments [2]: check_templates_approved fail: daily_brief_seg2 (en): PAUSED"
    )


def test_content_and_approval_failures_join_one_fallback_and_unknown_segments_mean_all():
    r = decide(
        row("check_content_rendered", "fail", "s4-chart: not rendered", segments_affected=[4]),
        row("check_approval_queue", "fail", "1 items pending approval", segments_affected=[1]),
    )
    assert r.remediation("fallback_content").segments == (1, 4)
    r = decide(row("check_templates_approved", "fail", "no templates scheduled for today"))
    assert r.remediation("fallback_content").segments == (1, 2, 3, 4)


def test_error_of_the_template_check_is_not_a_reason_for_fallback():
    r = decide(
        row(
            "check_templates_approved",
            "error",
            "whatsapp: HTTP 500, Graph error 2: (#2) Service temporarily unavailable",
        )
    )
    assert r.choice == PROCEED and r.unremediated[0].startswith(
        "check_templates_approved error: whatsapp: HTTP 500"
    )


def test_red_shard_is_excluded():
    r = decide(
        row(
            "check_sender_quality",
            "fail",
            "unhealthy numbers: 1065550103=RED/CONNECTED",
            unhealthy_ids=["1065550103"],
        ),
        row(
            "check_number_shards",
            "fail",
            "1065550103: quality RED",
            unhealthy_ids=["1065550103"],
            shards=[{"id": n} for n in NUMBERS],
        ),
    )
    assert r.choice == "exclude_sender_number"
    rem = r.remediation("exclude_sender_number")
    assert rem.phone_number_ids == ("1065550103",) and len(rem.triggered_by) == 2
    assert r.unremediated == ()


def test_no_exclusion_when_every_number_is_unhealthy():
    r = decide(
        row(
            "check_number_shards",
            "fail",
            "all BLOCKED",
            unhealthy_ids=NUMBERS,
            shards=[{"id": n} for n in NUMBERS],
        )
    )
    assert r.choice == PROCEED
    assert (
        "exclude_sender_number not possible: every sender number is unhealthy, nothing to re-plan onto"
        in r.reasons
    )
    assert r.unremediated == ("check_number_shards fail: all BLOCKED",)


@pytest.mark.parametrize("check", ["check_openai_health", "check_compliance_engine"])
@pytest.mark.parametrize("status", ["fail", "error"])
def test_unhealthy_ai_services_call_for_the_ai_fallback(check, status):
    r = decide(row(check, status, "p95 response time 1605 ms over 5 probes is not < 1500 ms"))
    assert r.choice == "ai_service_fallback" and r.remediation("ai_service_fallback").segments == (1, 2, 3, 4)


def test_database_pool_fail_or_error_is_a_database_emergency():
    for status in ("fail", "error"):
        assert decide(row("check_database_pool", status, "100/100")).choice == "database_emergency"
    assert decide(row("check_database_pool", "warn", "service pool not observed")).choice == PROCEED


def test_several_remediations_run_in_priority_order():
    r = decide(
        row("check_compliance_engine", "fail", "slow"),
        row("check_templates_approved", "fail", "PAUSED", segments_affected=[2]),
        row("check_database_pool", "fail", "exhausted"),
        row(
            "check_number_shards",
            "fail",
            "RED",
            unhealthy_ids=["1065550103"],
            shards=[{"id": n} for n in NUMBERS],
        ),
    )
    assert r.choice == "database_emergency+exclude_sender_number+fallback_content+ai_service_fallback"
    assert r.decision().candidates == tuple(P.go_no_go.priority)


def test_fallback_not_ready_is_a_caution_on_the_fallback_choice():
    r = decide(
        row("check_templates_approved", "fail", "PAUSED", segments_affected=[2]),
        row("check_fallback_content", "fail", "segment 2: no fallback prepared"),
    )
    assert r.choice == "fallback_content"
    assert (
        "caution, the fallback may not be functional: check_fallback_content fail: segment 2: no fallback prepared"
        in r.reasons
    )
    assert r.unremediated == ("check_fallback_content fail: segment 2: no fallback prepared",)


def test_a_check_that_recorded_nothing_counts_as_error():
    rows = [c for c in day_checks() if c["check_name"] != "check_database_pool"]
    r = go_no_go.decide(rows, P, expected=CHECKS)
    assert r.choice == "database_emergency"
    assert r.remediation("database_emergency").triggered_by == (f"check_database_pool error: {NOT_RECORDED}",)


def test_post_delivery_checks_of_a_rerun_are_ignored():
    rows = [*day_checks(), row("check_receipt_processing", "fail", "lag")]
    assert go_no_go.decide(rows, P, expected=CHECKS).choice == PROCEED


def test_unremediated_failures_proceed_and_alert_once():
    r = decide(
        row("check_oncall_primary", "fail", "nobody on call at level 1"),
        row("check_datadog_monitors", "fail", "muted"),
    )
    assert r.choice == PROCEED
    (alert,) = go_no_go.alerts(r, DAY, P)
    assert alert.dedup_key == "delivery_window:2026-10-05:go_no_go:unremediated_checks"
    assert (alert.page, alert.slack) == (False, "engineering_alerts")
    assert alert.summary.endswith("check_datadog_monitors, check_oncall_primary")


def test_alerts_follow_the_escalation_rules_with_deterministic_keys():
    r = decide(
        row("check_database_pool", "fail", "exhausted"), row("check_compliance_engine", "error", "timeout")
    )
    alerts = {a.dedup_key: a for a in go_no_go.alerts(r, DAY, P)}
    db = alerts["delivery_window:2026-10-05:go_no_go:database_emergency"]
    assert (db.page, db.pagerduty_severity, db.slack) == (True, "critical", "critical_incidents")
    assert db.details["doc"] == "include/runbooks/database_emergency.md"
    ai = alerts["delivery_window:2026-10-05:go_no_go:ai_service_fallback"]
    assert (ai.page, ai.slack) == (False, "engineering_alerts")
    assert (
        go_no_go.alerts(decide(row("check_database_pool", "fail", "exhausted")), DAY, P)[0] == db
    )  # same input, same alert


def test_decision_record():
    d = decide(row("check_database_pool", "fail", "exhausted")).decision()
    assert d.choice == "database_emergency" and d.candidates == ("database_emergency",)
    assert d.reasons == ("database_emergency (database_emergency): check_database_pool fail: exhausted",)
