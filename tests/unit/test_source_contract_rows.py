"""Attempts that break the source contract are left out of the SLA and named by kind (pure; issue 15, finding 5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from attempts_factory import DAY, at, attempts

from delivery_window import window
from delivery_window.checkpoint import sla_achieved, sla_checkpoint
from delivery_window.protocol import get_protocol
from delivery_window.source_contract import KINDS, dq_result, left_out_text, split_attempts

P = get_protocol()
SPAN = window.day_span(DAY, P)


def test_day_span_is_the_ist_calendar_date():
    start, end = SPAN
    assert start.isoformat() == f"{DAY}T00:00:00+05:30" and end - start == timedelta(days=1)


def test_each_broken_row_is_left_out_under_the_first_contract_it_breaks():
    good = attempts("06:00:00", 10)
    bad = [
        replace(good[0], attempted_at=None),
        replace(good[1], status=None, status_at=None),  # NULL status comes before NULL status_at
        replace(good[2], status_at=None),
        replace(good[3], advisor_id=None),
        replace(good[4], segment=None),
        replace(good[5], status="deleted"),
        replace(good[6], attempted_at=SPAN[0] - timedelta(seconds=1)),  # 23:59:59 the day before
        replace(good[7], attempted_at=SPAN[1], status_at=SPAN[1]),  # midnight after: the next day
        replace(good[8], status_at=SPAN[0] - timedelta(minutes=1)),  # a receipt before the day began
    ]
    split = split_attempts([*bad, good[9]], *SPAN)
    assert split.valid == (good[9],)
    assert {k: [a.attempt_id for a in rows] for k, rows in split.left_out.items()} == {
        "null_attempted_at": [1],
        "null_status": [2],
        "null_status_at": [3],
        "null_advisor_id": [4],
        "null_segment": [5],
        "unknown_status": [6],
        "outside_day": [7, 8, 9],
    }
    assert list(split.left_out) == [k for k in KINDS if k in split.left_out]  # KINDS order
    assert (split.rows_read, split.rows_left_out) == (10, 9)


def test_the_first_and_last_instant_of_the_day_are_inside_it():
    a, b = attempts("06:00:00", 2)
    edge = [
        replace(a, attempted_at=SPAN[0], status_at=SPAN[0]),
        replace(b, attempted_at=SPAN[1] - timedelta(microseconds=1)),
    ]
    assert split_attempts(edge, *SPAN).valid == tuple(edge)


def test_identical_copies_keep_one_row_and_disagreeing_copies_keep_none():
    a, b, c = attempts("06:00:00", 3)
    split = split_attempts([a, a, b, replace(b, status="failed"), c], *SPAN)
    assert split.valid == (a, c)
    assert [r.attempt_id for r in split.left_out["duplicate_attempt_id"]] == [1, 2, 2]


def test_a_duplicate_whose_twin_is_broken_is_not_a_duplicate():
    a, b = attempts("06:00:00", 2)
    split = split_attempts([a, replace(a, status_at=None), b], *SPAN)
    assert split.valid == (a, b) and list(split.left_out) == ["null_status_at"]


def test_null_latency_phone_or_error_code_keep_the_row():
    a = replace(attempts("06:00:00", 1)[0], api_latency_ms=None, phone_number_id=None)
    assert split_attempts([a], *SPAN).valid == (a,)


def test_the_sla_is_measured_from_the_valid_rows_with_the_count_left_out_beside_it():
    """The reproduction: NULL attempted_at rows crashed the checkpoint (TypeError in metrics.compute)."""
    good = attempts("06:00:00", 100)
    broken = [replace(a, attempted_at=None) for a in good[:3]] + [replace(good[3], status="deleted")]
    row = sla_checkpoint(DAY, broken + good[4:], 100, 0, at("06:07:00"), P)
    assert (row["advisors_delivered"], row["sla_pct"], row["attempts"]) == (96, 96.0, 96)
    assert row["peak_rate_per_min"] == 96 and row["segments_processed"] == 1
    assert row["rows_left_out"] == 4
    assert row["source_rows"]["by_kind"] == {"null_attempted_at": 3, "unknown_status": 1}
    assert row["source_rows"]["attempt_ids"] == {"null_attempted_at": [1, 2, 3], "unknown_status": [4]}
    item = sla_achieved(row)
    assert item.observed["rows_left_out"] == 4
    assert item.message == (
        "SLA 96.000% < 99% (96/100 advisors; 4 source rows left out: 3 null_attempted_at, 1 unknown_status)"
    )
    clean = sla_checkpoint(DAY, good, 100, 0, at("06:07:00"), P)
    assert (
        clean["rows_left_out"] == 0
        and sla_achieved(clean).message == "SLA 100.000% >= 99% (100/100 advisors)"
    )


def test_the_dq_results_row_counts_rows_and_names_kinds_and_ids():
    good = attempts("06:00:00", 30)
    broken = [replace(a, status=None) for a in good[:25]]
    summary = split_attempts(broken + good[25:], *SPAN).summary()
    row = dq_result(summary)
    assert (row["suite"], row["success"], row["evaluated"], row["failed"]) == (
        "source_contract",
        False,
        30,
        25,
    )
    assert row["failed_expectations"] == ["null_status"]
    assert row["details"]["by_kind"] == {"null_status": 25}
    assert row["details"]["attempt_ids"]["null_status"] == list(range(1, 21))  # named up to 20, counted all
    assert left_out_text(summary) == (
        "25 of 30 source rows left out of the SLA (break the source contract): 25 null_status — attempt ids "
        "null_status: " + ", ".join(str(i) for i in range(1, 21)) + " …"
    )
    clean = dq_result(split_attempts(good, *SPAN).summary())
    assert (clean["success"], clean["failed"], clean["failed_expectations"]) == (True, 0, [])
    assert left_out_text(split_attempts(good, *SPAN).summary()) is None


# --- the report: the rows left out stand beside the SLA -----------------------------------------------------
def _report_summary(left_out: dict | None) -> dict:
    from delivery_window.reports import daily

    w = sla_checkpoint(DAY, attempts("06:00:00", 10), 10, 0, at("06:07:00"), P)
    s = daily.build_summary(w, [], [], {"choice": "no_incident", "reasons": []}, 0)
    s.update(
        rows_left_out=(left_out or {}).get("rows_left_out", 0), rows_left_out_line=left_out_text(left_out)
    )
    return s


def _jsonb_row(summary: dict) -> dict:
    """The dq_results row as read back: jsonb keeps no key order (here reversed)."""
    row = dq_result(summary)
    row["details"] = {k: dict(reversed(list(v.items()))) for k, v in row["details"].items()}
    return row


def test_the_report_names_the_rows_left_out_right_under_the_sla():
    from delivery_window.reports import daily
    from delivery_window.source_contract import summary_of

    good = attempts("06:00:00", 5)
    bad = [replace(good[0], attempted_at=None), replace(good[1], status="deleted"), good[2], good[2]]
    left = summary_of(_jsonb_row(split_attempts(bad + good[3:], *SPAN).summary()))
    assert list(left["by_kind"]) == ["null_attempted_at", "unknown_status", "duplicate_attempt_id"]
    s = _report_summary(left)
    lines = daily.render(str(DAY), s).splitlines()
    assert lines[2].startswith("SLA") and "100.00% (target 99%) MET" in lines[2]
    assert lines[3].split(None, 3)[:3] == ["rows", "left", "out"]
    assert lines[3].endswith(
        "3 of 6 source rows left out of the SLA (break the source contract): 1 null_attempted_at, "
        "1 unknown_status, 1 duplicate_attempt_id — attempt ids null_attempted_at: 1; unknown_status: 2; "
        "duplicate_attempt_id: 3"
    )
    assert daily.headline(str(DAY), s).endswith(" · 3 source rows left out (source_contract)")
    md = daily.render_markdown(str(DAY), {**s, "dq": [dq_result(left)]}, None, (7, 30))
    assert f"> **Not in the SLA:** {s['rows_left_out_line']}" in md
    assert "| source_contract | ❌ failed (6 rows read) |" in md
    assert daily.slack_payload(str(DAY), s, "R", [], [])["text"].endswith(
        ", 3 source rows left out (source_contract)"
    )


def test_a_day_without_broken_rows_reports_as_before():
    from delivery_window.reports import daily

    s = _report_summary(split_attempts(attempts("06:00:00", 3), *SPAN).summary())
    assert "rows left out" not in daily.render(str(DAY), s)
    assert "left out" not in daily.headline(str(DAY), s)
    assert "left out" not in daily.slack_payload(str(DAY), s, "R", [], [])["text"]


def test_the_rows_left_out_are_a_day_team_finding_that_names_them():
    from delivery_window.reports import findings

    good = attempts("06:00:00", 4)
    summary = split_attempts([replace(good[0], status=None), *good[1:]], *SPAN).summary()
    got = findings.collect(
        checks=[],
        alerts=[],
        dq=[_jsonb_row(summary), dq_result(split_attempts(good, *SPAN).summary())],
        advisor_summary={},
        open_incidents=[],
        window_run=None,
        protocol=P,
    )
    assert [(f.priority, f.kind, f.source) for f in got] == [
        ("escalate_to_day_team", "data_quality_failed", "dq:source_contract")
    ]
    assert got[0].summary == left_out_text(summary)
