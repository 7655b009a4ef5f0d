"""Daily report, findings, handoff, advisor-issue classes and DQ result parsing (pure parts)."""

from __future__ import annotations

import builtins
import importlib.util
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery_window.protocol import PRIORITY_BUCKETS, get_protocol
from delivery_window.quality import results, suites
from delivery_window.reports import advisor_issues as ai
from delivery_window.reports import chart, daily, findings, handoff

P = get_protocol()
IST = ZoneInfo("Asia/Kolkata")
T0 = datetime(2026, 10, 20, 0, 30, tzinfo=UTC)  # 06:00 IST


def window_run(**over):
    w = {
        "sla_pct": 99.65,
        "sla_target_pct": 99.0,
        "sla_met": True,
        "advisors_targeted": 2000,
        "advisors_delivered": 1993,
        "attempts": 2010,
        "failed_attempts": 12,
        "error_rate_pct": 0.597,
        "p95_latency_ms": 690,
        "peak_rate_per_min": 431,
        "segments_processed": 4,
        "segments_expected": 4,
    }
    return {**w, **over}


@pytest.mark.parametrize(
    ("attempts", "code", "status", "expected"),
    [
        (0, None, None, ("not_attempted", True)),
        (2, 131000, "failed", ("unavailable", True)),
        (1, 130429, "failed", ("throttled", True)),
        (1, 131026, "failed", ("recipient_undeliverable", False)),
        (1, 131049, "failed", ("engagement_hold", False)),
        (1, 132015, "failed", ("template_blocked", False)),
        (1, 131031, "failed", ("account_restricted", False)),
        (1, 132012, "failed", ("config_error", False)),
        (1, 999999, "failed", ("unknown_error", False)),
        (1, None, "failed", ("unknown_error", False)),
        (1, None, "sent", ("awaiting_receipt", False)),
    ],
)
def test_error_class_and_retryable(attempts, code, status, expected):
    assert ai.classify(attempts, code, status) == expected
    assert expected[0] in ai.ERROR_CLASSES


def test_issue_rows_and_summary():
    rows = [
        {
            "advisor_id": "ADV2",
            "segment": 2,
            "tier": "gold",
            "attempts": 1,
            "last_error_code": 131026,
            "last_status": "failed",
        },
        {
            "advisor_id": "ADV1",
            "segment": 1,
            "tier": "silver",
            "attempts": 0,
            "last_error_code": None,
            "last_status": None,
        },
    ]
    issues = ai.build_issues(rows)
    assert [(i["issue"], i["error_class"], i["retryable"]) for i in issues] == [
        ("not_delivered", "recipient_undeliverable", False),
        ("not_attempted", "not_attempted", True),
    ]
    s = ai.summarize(issues)
    assert s["count"] == 2 and s["retryable"] == 1
    assert s["by_class"] == {"not_attempted": 1, "recipient_undeliverable": 1}
    assert [a["advisor_id"] for a in s["advisors"]] == ["ADV1", "ADV2"]


def collect(**over):
    args = {
        "checks": [],
        "alerts": [],
        "dq": [],
        "advisor_summary": {"count": 0, "retryable": 0, "by_class": {}},
        "open_incidents": [],
        "window_run": window_run(failed_attempts=0),
        "protocol": P,
    }
    return findings.collect(**{**args, **over})


def test_findings_follow_the_remediation_priorities():
    got = collect(
        checks=[
            {"check_name": "confirm_delivery_receipt_webhook_processing", "status": "fail", "message": "lag"},
            {"check_name": "check_whatsapp_quality_rating_maintained", "status": "warn", "message": "YELLOW"},
            {"check_name": "check_redis_cache", "status": "error", "message": "refused"},
            {"check_name": "check_compliance_engine", "status": "fail", "message": "slow"},
            {"check_name": "review_delivery_analytics_summary", "status": "fail", "message": "dup"},
            {"check_name": "verify_delivery_sla_achieved", "status": "pass", "message": "ok"},
        ],
        alerts=[{"rule": "latency_vs_baseline", "scope": "overall"}],
        dq=[{"suite": "delivery_attempts", "success": False, "failed_expectations": ["expect_x(wamid)"]}],
        advisor_summary={"count": 3, "retryable": 1, "by_class": {"unavailable": 1, "opted_out": 2}},
        open_incidents=[
            {
                "incident_id": "2026-10-20:delivery_failure",
                "severity": "severity_1",
                "runbook": "delivery_failure",
            }
        ],
        window_run=window_run(),
    )
    kinds = [(f.priority, f.kind) for f in got]
    assert kinds == [
        ("immediate_fix_required", "open_incident"),
        ("immediate_fix_required", "undelivered_advisors"),
        ("immediate_fix_required", "quality_rating_degraded"),
        ("immediate_fix_required", "compliance_check_failed"),
        ("monitor_and_schedule", "performance_warning"),
        ("monitor_and_schedule", "check_failed"),
        ("monitor_and_schedule", "retried_api_errors"),
        ("escalate_to_day_team", "receipt_webhook_lag"),
        ("escalate_to_day_team", "data_quality_failed"),
    ]
    assert [f.summary for f in got if f.kind == "performance_warning"] == [
        "latency_vs_baseline fired (overall)"
    ]
    # the DQ check row is reported once, through its suite
    assert next(f for f in got if f.kind == "data_quality_failed").summary == (
        "suite delivery_attempts failed: expect_x(wamid)"
    )
    grouped = findings.by_priority(got)
    assert list(grouped) == list(PRIORITY_BUCKETS)


def test_alerts_of_a_paged_day_belong_to_its_incident_not_to_performance_warnings():
    alerts = [
        {"rule": "error_rate_above_2pct", "scope": "overall"},
        {"rule": "failure_rate_2m", "scope": "overall"},
    ]
    assert [f.kind for f in collect(alerts=alerts)] == []
    assert [f.kind for f in collect(alerts=alerts[:1])] == ["performance_warning"]


def test_a_quiet_day_has_no_findings():
    assert collect() == []


def summary(**over):
    s = daily.build_summary(window_run(), [], [], {"choice": "no_incident", "reasons": []}, 0)
    s.update(
        checkpoints=[
            {"at": "06:05", "item": "verify_delivery_sla_achieved", "status": "pass", "message": "SLA | ok"}
        ],
        trend={"days_7d": 1, "days_30d": 1, "sla_missed_days_7d": 0, "sla_missed_days_30d": 0},
        trend_rows=daily.trend_rows(
            {"sla_pct": 99.65, "sla_pct_7d_avg": 99.5, "sla_pct_30d_avg": 99.4, "p95_latency_ms": 690},
            (7, 30),
        ),
        dq=[{"suite": "delivery_attempts", "success": True, "evaluated": 12, "failed_expectations": []}],
        findings=findings.by_priority([]),
        advisor_issue_summary={"count": 0, "retryable": 0, "by_class": {}},
    )
    s.update(over)
    return s


def test_markdown_puts_the_chart_first_and_has_every_section():
    md = daily.render_markdown("2026-10-20", summary(), None, (7, 30))
    lines = md.splitlines()
    assert lines[0] == "# Delivery window report — 2026-10-20"
    assert lines[2].startswith("![") and lines[2].endswith("(delivery-window-2026-10-20.png)")
    assert lines[4].startswith("**SLA 99.650% MET (target 99%)")
    for heading in (
        "## Findings",
        "## Checkpoints",
        "## Trends",
        "## Data quality",
        "## Alerts",
        "## Advisor issues",
    ):
        assert heading in md
    assert "| SLA % | 99.65 | 99.5 | 99.4 |" in md
    assert "SLA \\| ok" in md  # table cells are escaped
    assert "Nothing to hand over" in md
    no_chart = daily.render_markdown("2026-10-20", summary(), chart.MATPLOTLIB_MISSING, (7, 30))
    assert f"> **No chart:** {chart.MATPLOTLIB_MISSING}" in no_chart


def test_markdown_lists_findings_fix_now_first_even_from_jsonb_order():
    fs = findings.collect(
        checks=[
            {"check_name": "confirm_delivery_receipt_webhook_processing", "status": "fail", "message": "lag"}
        ],
        alerts=[],
        dq=[],
        advisor_summary={"count": 2, "retryable": 2, "by_class": {"unavailable": 2}},
        open_incidents=[],
        window_run=window_run(failed_attempts=0),
        protocol=P,
    )
    grouped = findings.by_priority(fs)
    reordered = dict(reversed(list(grouped.items())))  # what a jsonb round trip may give
    md = daily.render_markdown("2026-10-20", summary(findings=reordered), None, (7, 30))
    assert md.index("### Fix now") < md.index("### Day team")


def test_slack_payload_leads_with_the_per_minute_shape():
    payload = daily.slack_payload(
        "2026-10-20", summary(), "REPORT", [400, 420, 410, 430, 350], [1, 0, 3, 0, 0]
    )
    assert payload["text"].startswith("Delivery 2026-10-20: SLA 99.65% (met)")
    shape = payload["blocks"][1]["text"]["text"]
    assert shape.startswith("attempts/min `") and "[400, 420, 410, 430, 350]" in shape
    assert payload["blocks"][-1]["text"]["text"] == "```REPORT```"


def test_sparkline():
    assert chart.sparkline([0, 5, 10]) == "▁▅█"
    assert chart.sparkline([]) == ""
    assert chart.sparkline([0, 0]) == "▁▁"


def points():
    return [chart.MinutePoint(T0 + timedelta(minutes=m), 400 + m, m, 600 + 10 * m) for m in range(5)]


def test_chart_degrades_with_a_precise_message_without_matplotlib(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    got = chart.render_png("2026-10-20", points(), [], IST, 2000)
    assert got == chart.Chart(None, chart.MATPLOTLIB_MISSING)


def test_chart_renders_a_png_when_matplotlib_is_there():
    got = chart.render_png(
        "2026-10-20", points(), [(T0 + timedelta(minutes=2), "failure_rate_2m")], IST, 2000
    )
    if importlib.util.find_spec("matplotlib") is None:
        assert got == chart.Chart(None, chart.MATPLOTLIB_MISSING)
    else:
        assert got.error is None and got.png.startswith(b"\x89PNG")
        again = chart.render_png(
            "2026-10-20", points(), [(T0 + timedelta(minutes=2), "failure_rate_2m")], IST, 2000
        )
        assert again.png == got.png  # byte-identical on a rerun


def test_chart_of_an_empty_window():
    got = chart.render_png("2026-10-20", [], [], IST, 2000)
    assert got.png is None and got.error in (
        chart.MATPLOTLIB_MISSING,
        "chart not rendered: no attempts in the window",
    )


def test_handoff_has_the_protocol_sections_and_no_run_clock():
    incident = {
        "incident_id": "2026-10-20:delivery_failure",
        "severity": "severity_1",
        "runbook": "delivery_failure",
        "status": "resolved",
        "opened_at": T0,
        "resolved_at": T0 + timedelta(minutes=9),
        "timeline": [
            {"step": "requeue_failed_deliveries", "at": "2026-07-01T10:00:00", "outcome": "succeeded"}
        ],
    }
    sections = handoff.build_sections(
        summary=summary(),
        incidents=[incident],
        advisor_summary=ai.summarize([]),
        runbook_steps=[
            {"runbook": "delivery_failure", "step": "requeue_failed_deliveries", "outcome": "succeeded"}
        ],
        incident_log=[incident],
        alert_log=[],
        since=T0 - timedelta(hours=24),
        until=T0 + timedelta(minutes=30),
        open_incidents=[],
        findings=[],
        protocol=P,
        tz=IST,
    )
    doc = P.shift_handoff.handoff_documentation
    assert list(sections) == [*doc.required_sections, *doc.briefing_sections, "incoming_engineer_briefing"]
    assert sections["incidents"]["incidents"][0]["steps"] == [
        {"step": "requeue_failed_deliveries", "outcome": "succeeded"}
    ]
    assert sections["previous_24h_incident_log"]["until"] == "2026-10-20T06:30:00+05:30"
    assert "2026-07-01T10:00:00" not in json.dumps(sections, default=str)  # timeline wall-clock left out
    assert sections["pending_issues"]["counts"] == dict.fromkeys(PRIORITY_BUCKETS, 0)


def test_every_suite_loads_and_resolves_its_sql():
    names = suites.suite_names()
    assert set(names) == {"delivery_attempts", "window_runs", "advisor_issues", "daily_reports"}
    assert set(suites.suites_at("06:15")) == {"delivery_attempts", "window_runs", "advisor_issues"}
    assert suites.suites_at("06:30") == ("daily_reports",)
    for name in names:
        spec = suites.load_suite(name)
        assert spec.batch_view == f"delivery_ops.dq_day_{name}"
        assert "$QUERY" not in json.dumps(spec.expectations)
    labels = [suites.expectation_label(e) for e in suites.load_suite("delivery_attempts").expectations]
    assert "expect_column_values_to_be_unique(wamid)" in labels
    assert "unexpected_rows_expectation(failed_without_error_code)" in labels
    assert len(labels) == len(set(labels))  # labels name one expectation each


def test_suite_parameters_come_from_the_protocol():
    from datetime import date

    params = suites.suite_parameters(date(2026, 10, 20), P)
    assert params["window_start"] == "2026-10-20T06:00:00+05:30"
    assert params["window_end"] == "2026-10-20T06:07:00+05:30"  # 06:05 + grace
    assert params["latency_max_ms"] == P.post_delivery_verification.dq_latency_max_ms
    assert params["statuses"] == ["sent", "delivered", "read", "failed"]


def test_summarize_a_gx_result_keeps_names_counts_and_a_sorted_sample():
    gx_result = {
        "success": False,
        "results": [
            {
                "success": False,
                "expectation_config": {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": "status", "batch_id": "x"},
                },
                "result": {
                    "element_count": 10,
                    "unexpected_count": 2,
                    "partial_unexpected_list": ["zz", "deleted"],
                },
                "exception_info": {"raised_exception": False, "exception_message": None},
            },
            {
                "success": True,
                "expectation_config": {
                    "type": "expect_table_row_count_to_equal",
                    "kwargs": {"value": 1, "batch_id": "x"},
                },
                "result": {"observed_value": 1},
                "exception_info": {"raised_exception": False},
            },
            {
                "success": False,
                "expectation_config": {
                    "type": "unexpected_rows_expectation",
                    "kwargs": {"unexpected_rows_query": "SELECT 1"},
                    "meta": {"name": "sla_inconsistent_with_attempts"},
                },
                "result": {},
                "exception_info": {
                    "metric-id": {"exception_message": "syntax error", "exception_traceback": "..."}
                },
            },
        ],
    }
    row = results.summarize("s", gx_result)
    assert row["success"] is False and row["evaluated"] == 3 and row["failed"] == 2
    assert row["failed_expectations"] == [
        "expect_column_values_to_be_in_set(status)",
        "unexpected_rows_expectation(sla_inconsistent_with_attempts)",
    ]
    by = {e["expectation"]: e for e in row["details"]["expectations"]}
    assert by["expect_column_values_to_be_in_set(status)"]["unexpected_sample"] == ["deleted", "zz"]
    assert by["expect_table_row_count_to_equal(value=1)"]["observed_value"] == 1
    assert by["unexpected_rows_expectation(sla_inconsistent_with_attempts)"]["error"] == "syntax error"
    broken = results.could_not_run("s", ConnectionError("refused"))
    assert broken["success"] is False and broken["details"]["error"] == "ConnectionError: refused"


def grafana_dashboard() -> dict:
    from delivery_window.paths import INCLUDE_DIR

    return json.loads((INCLUDE_DIR / "grafana" / "delivery_window.json").read_text(encoding="utf-8"))


def test_grafana_dashboard_uses_the_protocol_numbers():
    dash = grafana_dashboard()
    assert dash["refresh"] == f"{P.monitor.dashboard_refresh_seconds}s"  # "refresh_every_30_seconds"
    steps = {
        p["title"]: [
            s["value"] for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"] if s["value"] is not None
        ]
        for p in dash["panels"]
        if "fieldConfig" in p
    }
    pm = P.primary_metrics
    assert steps["SLA (06:05 checkpoint)"] == [P.sla.target_pct]
    assert steps["Error rate"] == steps["Error rate (overall)"] == [pm.error_rate_max_pct]
    assert steps["API latency p95"] == [pm.api_latency_p95_max_ms]
    assert steps["Delivery success rate (overall)"] == [pm.delivery_success_rate_min_pct]
    assert steps["Processing rate"] == [pm.processing_rate_target_per_min]
    sql = " ".join(t["rawSql"] for p in dash["panels"] for t in p["targets"])
    assert "delivery_ops.metric_ticks" in sql and "delivery_ops.window_runs" in sql


def test_post_delivery_scenarios_change_only_what_they_say():
    from collections import Counter
    from datetime import date

    from delivery_window.sandbox.scenario_sets.post_delivery import CORRUPT_STATUS, LAG_SECONDS
    from delivery_window.sandbox.scenarios import generate_day

    d = date(2026, 10, 21)
    healthy, lag, bad = (generate_day(s, d) for s in ("healthy", "webhook_lag", "corrupted_day"))
    assert lag.delivery_attempts == healthy.delivery_attempts  # the window itself is healthy
    base = {(r.wamid, r.status): r.received_at for r in healthy.webhook_receipts}
    shifts = [(r.received_at - base[(r.wamid, r.status)]).total_seconds() for r in lag.webhook_receipts]
    moved = [s for s in shifts if s]
    assert 0.2 < len(moved) / len(shifts) < 0.4 and all(LAG_SECONDS[0] <= s <= LAG_SECONDS[1] for s in moved)

    changed = [
        (a, b) for a, b in zip(healthy.delivery_attempts, bad.delivery_attempts, strict=True) if a != b
    ]
    assert len(changed) == 4  # three wamids overwritten, one status
    assert [b.status for a, b in changed if a.status != b.status] == [CORRUPT_STATUS]
    dupes = {w: n for w, n in Counter(a.wamid for a in bad.delivery_attempts if a.wamid).items() if n > 1}
    assert sorted(dupes.values()) == [2, 2, 2]
    assert generate_day("corrupted_day", d) == bad  # deterministic
