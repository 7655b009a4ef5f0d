"""Post-delivery checkpoint items: pure judgements of the 06:05 / 06:15 / 06:30 protocol lines."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from delivery_window import checkpoint as cp
from delivery_window.protocol import DEFAULT_PROTOCOL_PATH, ProtocolError, get_protocol, load_protocol

P = get_protocol()


def window_row(**over):
    row = {
        "sla_pct": 99.6,
        "sla_target_pct": 99.0,
        "sla_met": True,
        "advisors_delivered": 1992,
        "advisors_targeted": 2000,
        "segments_processed": 4,
        "segments_expected": 4,
    }
    return {**row, **over}


def numbers(*ratings):
    return [{"id": f"n{i}", "quality_rating": r, "status": "CONNECTED"} for i, r in enumerate(ratings)]


def test_every_protocol_item_has_a_judgement_of_that_name():
    """Each post_delivery_verification item is recorded under its own name (check_results.check_name)."""
    names = {
        cp.sla_achieved(window_row()).check_name,
        cp.advisor_groups_processed(window_row()).check_name,
        cp.zero_critical_failures([]).check_name,
        cp.quality_rating_maintained(None, numbers("GREEN"), P).check_name,
        cp.analytics_reviewed([], []).check_name,
        cp.advisor_issues_identified({"count": 0, "retryable": 0, "by_class": {}}).check_name,
        cp.receipt_processing(
            {"sent_attempts": 1, "without_receipt": 0, "receipts": 1, "lag_p95_s": 1.0}, P
        ).check_name,
        cp.engagement_tracking(
            {"delivered_attempts": 1, "read_receipts": 1, "engagement_events": 1}, P
        ).check_name,
        "generate_daily_delivery_success_report",
        "document_any_incidents_or_issues",
        "update_delivery_performance_trends",
        "hand_off_to_day_team_with_summary",
    }
    assert names == set(P.post_delivery_verification.items)


def test_sla_item_passes_fails_and_reports_a_missing_row():
    assert cp.sla_achieved(window_row()).status == "pass"
    missed = cp.sla_achieved(window_row(sla_pct=97.25, sla_met=False, advisors_delivered=1945))
    assert missed.status == "fail" and missed.message == "SLA 97.250% < 99% (1945/2000 advisors)"
    assert cp.sla_achieved(None).status == "error"


def test_advisor_groups_and_critical_failures():
    assert cp.advisor_groups_processed(window_row()).status == "pass"
    three = cp.advisor_groups_processed(window_row(segments_processed=3))
    assert three.status == "fail" and three.message == "3 of 4 advisor groups processed"
    assert cp.zero_critical_failures([]).status == "pass"
    crit = cp.zero_critical_failures(
        [
            {"rule": "failure_rate_2m", "scope": "overall"},
            {"rule": "whatsapp_api_unavailable", "scope": "overall"},
        ]
    )
    assert crit.status == "fail"
    assert crit.message == "2 critical alerts: failure_rate_2m[overall], whatsapp_api_unavailable[overall]"


@pytest.mark.parametrize(
    ("before", "now", "status", "message"),
    [
        (numbers("GREEN", "GREEN"), numbers("GREEN", "GREEN"), "pass", "2 numbers still high"),
        (
            numbers("GREEN", "GREEN"),
            numbers("GREEN", "YELLOW"),
            "fail",
            "quality rating fell: n1 GREEN→YELLOW",
        ),
        (numbers("YELLOW"), numbers("RED"), "fail", "quality rating fell: n0 YELLOW→RED"),
        (numbers("YELLOW"), numbers("YELLOW"), "warn", "unchanged but below high: n0=YELLOW"),
        (None, numbers("GREEN"), "pass", "1 numbers still high (no 05:45 baseline recorded)"),
        (None, numbers("YELLOW"), "fail", "no 05:45 baseline; below high: n0=YELLOW"),
        (numbers("GREEN"), [], "error", "the WABA listed no sender numbers"),
    ],
)
def test_quality_rating_maintained_since_0545(before, now, status, message):
    result = cp.quality_rating_maintained(before, now, P)
    assert (result.status, result.message) == (status, message)


def test_receipt_processing_fails_on_lag_and_on_missing_receipts():
    ok = cp.receipt_processing(
        {"sent_attempts": 2000, "without_receipt": 0, "receipts": 5000, "lag_p95_s": 2.3, "lag_max_s": 2.5}, P
    )
    assert ok.status == "pass" and ok.message == "receipt lag p95 2.3 s, 0.00% without a receipt"
    lagging = cp.receipt_processing(
        {
            "sent_attempts": 2000,
            "without_receipt": 300,
            "receipts": 3000,
            "lag_p95_s": 840.0,
            "lag_max_s": 1100,
        },
        P,
    )
    assert lagging.status == "fail"
    assert lagging.message == (
        "receipt lag p95 840 s > 60 s; 300/2000 sent messages (15.00%) without a receipt"
    )
    assert lagging.observed["without_receipt_pct"] == 15.0
    # exactly at the limits passes (the thresholds are maxima)
    edge = cp.receipt_processing(
        {"sent_attempts": 1000, "without_receipt": 10, "receipts": 990, "lag_p95_s": 60.0}, P
    )
    assert edge.status == "pass"
    none = cp.receipt_processing(
        {"sent_attempts": 10, "without_receipt": 10, "receipts": 0, "lag_p95_s": None}, P
    )
    assert none.status == "fail" and none.message == "no receipt received for 10 sent messages"


def test_engagement_tracking():
    ok = cp.engagement_tracking(
        {"delivered_attempts": 2000, "read_receipts": 800, "engagement_events": 1100}, P
    )
    assert ok.status == "pass"
    few = cp.engagement_tracking(
        {"delivered_attempts": 2000, "read_receipts": 20, "engagement_events": 20}, P
    )
    assert few.status == "fail" and few.message == "read receipts 1.00% of delivered < 5.0%"
    dead = cp.engagement_tracking({"delivered_attempts": 2000, "read_receipts": 0, "engagement_events": 0}, P)
    assert dead.status == "fail"
    assert cp.engagement_tracking(
        {"delivered_attempts": 0, "read_receipts": 0, "engagement_events": 0}, P
    ).status == ("warn")


def test_analytics_reviewed_names_the_failing_expectations():
    dq = [
        {"suite": "delivery_attempts", "success": False, "failed_expectations": ["expect_x(wamid)"]},
        {"suite": "window_runs", "success": True, "failed_expectations": []},
    ]
    failed = cp.analytics_reviewed(dq, ["delivery_attempts", "window_runs"])
    assert failed.status == "fail"
    assert failed.message == "data-quality suites failed: delivery_attempts: expect_x(wamid)"
    assert cp.analytics_reviewed(dq[1:], ["window_runs"]).status == "pass"
    assert cp.analytics_reviewed(dq[1:], ["window_runs", "advisor_issues"]).status == "error"


def test_checkpoint_deadline_is_0605_plus_the_allowance_from_0530():
    assert cp.checkpoint_deadline(P) == timedelta(
        minutes=35 + P.post_delivery_verification.checkpoint_deadline_minutes
    )


def test_late_day_reads_the_deadline_context():
    assert cp.late_day({"logical_date": "2026-10-20T00:00:00Z", "conf": {}}) == date(2026, 10, 20)
    assert cp.late_day(
        {"logical_date": "2026-10-20T00:00:00Z", "conf": {"delivery_date": "2026-10-02"}}
    ) == date(2026, 10, 2)
    # 23:00 UTC is already the next day in IST
    assert cp.late_day({"logical_date": None, "run_after": "2026-10-19T23:00:00+00:00"}) == date(2026, 10, 20)


def test_the_deadline_callback_is_awaitable_and_takes_the_context(monkeypatch):
    seen = {}

    def fake(context):
        seen.update(context)
        return "ok"

    monkeypatch.setattr(cp, "_notify_checkpoint_late", fake)
    assert asyncio.run(cp.notify_checkpoint_late(context={"dag_run": {"dag_run_id": "r"}})) == "ok"
    assert seen == {"dag_run": {"dag_run_id": "r"}}


def test_finding_items_must_name_a_remediation_item(tmp_path: Path):
    raw = yaml.safe_load(DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8"))
    raw["remediation_priorities"]["finding_items"]["receipt_webhook_lag"] = "panic"
    file = tmp_path / "protocol.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(
        ProtocolError, match="remediation_priorities.finding_items.receipt_webhook_lag: panic is not"
    ):
        load_protocol(file)
    del raw["remediation_priorities"]["finding_items"]["receipt_webhook_lag"]
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ProtocolError, match="missing keys receipt_webhook_lag"):
        load_protocol(file)
