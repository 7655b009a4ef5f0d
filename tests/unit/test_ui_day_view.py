"""The Delivery window view built and rendered from recorded rows, without Airflow or a database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from delivery_window.protocol import get_protocol
from delivery_window.ui import run_notes
from delivery_window.ui.day_chart import chart_svg
from delivery_window.ui.day_page import render_day, view_json
from delivery_window.ui.day_view import (
    STATUS_COLOURS,
    DayView,
    alert_state,
    checks_by_phase,
    is_live,
    per_minute,
    primary_metrics,
)
from delivery_window.ui.runbook_page import render_runbook
from delivery_window.window import at, tz

DAY = date(2026, 9, 1)
T0 = datetime(2026, 9, 1, 0, 30, tzinfo=UTC)  # 06:00 IST
WINDOW_RUN = {
    "sla_pct": 99.7,
    "sla_met": True,
    "peak_rate_per_min": 425,
    "p95_latency_ms": 700,
    "error_rate_pct": 0.3,
}


def tick(seconds: int, attempts: int, failed: int, p95: int = 700) -> dict:
    return {
        "tick_at": T0 + timedelta(seconds=seconds),
        "attempts": attempts,
        "failed": failed,
        "p95_latency_ms": p95,
    }


def alert(rule: str, minute: int, **extra) -> dict:
    fired = T0 + timedelta(minutes=minute)
    return {"rule": rule, "scope": "overall", "severity": "severity_1", "first_fired_at": fired,
            "last_seen_at": fired, "routing": "paged", "inhibited_by": None, "silenced_by": None, **extra}  # fmt: skip


def check(name: str, phase: str, status: str, minute: int = 0, message: str = "ok") -> dict:
    return {"check_name": name, "phase": phase, "status": status, "message": message,
            "checked_at": T0 - timedelta(minutes=30 - minute)}  # fmt: skip


def view(**changes) -> DayView:
    p = get_protocol()
    fields = dict(
        day=DAY, schema="delivery_ops", is_record=True, live=False, refresh_seconds=30,
        window_run=WINDOW_RUN, metrics=primary_metrics(WINDOW_RUN, {"success_rate_pct": 99.4}, p),
        minutes=per_minute([tick(10, 70, 1), tick(60, 422, 2), tick(120, 845, 9)]),
        checks=checks_by_phase([check("check_redis_cache", "pre_delivery.infrastructure", "pass"),
                                check("check_sender_quality", "pre_delivery.final_check", "warn", 15, "MEDIUM")]),
        alerts=[alert("failure_rate_2m", 2), alert("success_rate_below_98", 2, inhibited_by="failure_rate_2m:overall")],
        incidents=[{"incident_id": "2026-09-01:delivery_failure", "severity": "sev1", "runbook": "delivery_failure",
                    "status": "open", "opened_at": T0, "resolved_at": None, "resolved_by": None, "kind": "runbook",
                    "timeline": [{"at": T0.isoformat(), "step": "runbook_activated", "how": "in_window"}]}],
        escalations=[{"due_at": T0, "target": "primary_engineer", "channel": "pagerduty", "status": "sent",
                      "sent_at": T0, "source": "alert:failure_rate_2m:overall", "incident_id": None}],
        approvals=[],
    )  # fmt: skip
    return DayView(**{**fields, **changes})


def test_primary_metrics_compare_each_value_with_its_protocol_target():
    metrics = primary_metrics(
        {**WINDOW_RUN, "p95_latency_ms": 2300}, {"success_rate_pct": 97.5}, get_protocol()
    )
    by_name = {m.name: m for m in metrics}
    assert [m.met for m in metrics] == [True, False, True, False, True]
    assert by_name["SLA (advisors delivered)"].value == "99.70 %"
    assert by_name["API latency p95"].value == "2300 ms" and by_name["API latency p95"].target == "< 2000 ms"


def test_a_day_without_a_window_run_measures_nothing():
    assert {m.met for m in primary_metrics(None, None, get_protocol())} == {None}
    assert {m.value for m in primary_metrics(None, None, get_protocol())} == {"—"}


def test_per_minute_counts_come_from_the_cumulative_ticks():
    minutes = per_minute([tick(10, 70, 1), tick(50, 352, 2), tick(60, 422, 2), tick(110, 774, 4)])
    assert [(m.attempts, m.failures) for m in minutes] == [(352, 2), (422, 2)]
    assert minutes[0].at == T0


def test_alert_state_says_silenced_before_inhibited_before_routing():
    assert alert_state(alert("a", 0, silenced_by="s1", inhibited_by="x")) == "silenced"
    assert alert_state(alert("a", 0, inhibited_by="x", routing="inhibited")) == "inhibited"
    assert alert_state(alert("a", 0, routing="grouped")) == "grouped"
    assert alert_state(alert("a", 0, routing=None)) == "posted"


def test_checks_are_grouped_in_phase_order_and_a_warn_is_not_green():
    grouped = checks_by_phase(
        [
            check("verify_delivery_sla_achieved", "post_delivery.checkpoint_0605", "pass", 35),
            check("check_redis_cache", "pre_delivery.infrastructure", "warn"),
        ]  # fmt: skip
    )
    assert list(grouped) == ["pre_delivery.infrastructure", "post_delivery.checkpoint_0605"]
    assert (
        grouped["pre_delivery.infrastructure"][0]["colour"]
        == STATUS_COLOURS["warn"]
        != STATUS_COLOURS["pass"]
    )


def test_the_page_is_live_from_the_window_opening_to_the_report():
    p = get_protocol()
    assert not is_live(DAY, at(DAY, "window_open") - timedelta(seconds=1), p, at)
    assert is_live(DAY, at(DAY, "delivery_start"), p, at)
    assert not is_live(DAY, at(DAY, "final_report") + timedelta(minutes=5), p, at)


def test_chart_numbers_each_alert_so_labels_never_overlap():
    svg = chart_svg(view().minutes, view().alerts, tz())
    assert svg.count("<circle") == 2 and ">1</text>" in svg and ">2</text>" in svg
    assert svg.count('fill="#cf222e"') == 3  # a failure bar for each minute that had failures
    assert "06:00" in svg  # the axis is in IST
    assert "No monitor ticks" in chart_svg([], [], tz())


def test_the_page_shows_sla_alerts_incident_and_a_warned_check():
    html = render_day(view(), "/delivery-window", tz())
    assert "SLA 99.70 % MET" in html
    assert re.search(r'class="alert state-inhibited".*?success_rate_below_98', html, re.S)
    assert 'href="/delivery-window/runbooks/delivery_failure"' in html
    assert f'background: {STATUS_COLOURS["warn"]}">warn' in html
    assert '<meta http-equiv="refresh"' not in html
    assert "sent: 1" in html


def test_a_live_evaluation_page_refreshes_and_says_it_is_not_the_record():
    html = render_day(view(live=True, is_record=False, schema="delivery_eval_x"), "/dw", tz())
    assert '<meta http-equiv="refresh" content="30">' in html
    assert "An evaluation of the day (delivery_eval_x): not the record" in html


def test_recorded_text_is_escaped():
    html = render_day(
        view(checks=checks_by_phase([check("c", "p", "fail", message="<script>x</script>")])), "/", tz()
    )
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_view_json_carries_the_alert_state():
    data = view_json(view())
    assert [a["state"] for a in data["alerts"]] == ["paged", "inhibited"]
    assert data["day"] == "2026-09-01"


def test_runbooks_render_by_name_only():
    assert "<h1" in render_runbook("delivery_failure")
    assert render_runbook("../../etc/passwd") is None and render_runbook("nope") is None


def test_run_note_says_the_day_and_its_outcome():
    assert run_notes.run_note(DAY, is_record=True, window_run=WINDOW_RUN, alerts=0) == (
        "Delivery date 2026-09-01 · record · SLA 99.70 % MET · 0 alerts"
    )
    missed = run_notes.run_note(DAY, is_record=False, window_run={"sla_pct": 42, "sla_met": False}, alerts=1)
    assert missed == "Delivery date 2026-09-01 · evaluation · SLA 42.00 % MISSED · 1 alert"
    assert run_notes.run_note(DAY, is_record=True, window_run=None, alerts=None).endswith("running")


def test_a_persons_note_is_never_replaced():
    assert run_notes.ours(None) and run_notes.ours("Delivery date 2026-09-01 · record · running")
    assert not run_notes.ours("failover approved by Priya")


def test_warned_checks_get_a_task_note():
    checks = [check("check_sender_quality", "pre_delivery.final_check", "warn", message="quality MEDIUM"),
              check("check_redis_cache", "pre_delivery.infrastructure", "pass")]  # fmt: skip
    assert run_notes.warned_checks(checks) == {
        "pre_delivery.final_check.check_sender_quality": "WARN: quality MEDIUM"
    }


def test_check_results_come_from_the_check_tasks_xcoms():
    results = {
        "pre_delivery.final_check.check_sender_quality": {"check": "check_sender_quality", "status": "warn",
                                                           "message": "quality MEDIUM"},
        "post_delivery.verify_sla_checkpoint": {"sla_pct": 99.7, "checkpoint": {}},
        "pre_delivery.go_no_go": "proceed",
    }  # fmt: skip
    assert run_notes.checks_from_results(results) == [
        {"phase": "pre_delivery.final_check", "check_name": "check_sender_quality", "status": "warn",
         "message": "quality MEDIUM"}
    ]  # fmt: skip


def test_the_pages_make_ist_the_uis_default_timezone_once():
    html = render_day(view(), "/dw", tz())
    assert 'if (!window.localStorage.getItem("timezone"))' in html
    assert 'JSON.stringify("Asia/Kolkata")' in html


def test_asset_event_extras_name_the_day_and_the_copy():
    from delivery_window.reports.assets import event_extra
    from delivery_window.scope import RECORD, evaluation_scope

    assert event_extra(DAY, RECORD, sla_pct=99.7, sla_met=True, advisors=None) == {
        "delivery_date": "2026-09-01", "record": True, "schema": "delivery_ops", "sla_pct": 99.7, "sla_met": True
    }  # fmt: skip
    replay = event_extra(DAY, evaluation_scope(DAY, "manual__x", send=False))
    assert replay["record"] is False and replay["schema"].startswith("delivery_eval_20260901_")


def test_a_business_incident_links_the_human_runbook_its_timeline_names():
    suspended = {"incident_id": "2026-05-14:whatsapp_account_suspended", "severity": "critical", "runbook": None,
                 "status": "open", "opened_at": T0, "resolved_at": None, "resolved_by": None, "kind": "business",
                 "timeline": [{"at": T0.isoformat(), "step": "runbook_doc",
                               "doc": "include/runbooks/whatsapp_account_suspended.md"}]}  # fmt: skip
    html = render_day(view(incidents=[suspended]), "/delivery-window", tz())
    assert 'href="/delivery-window/runbooks/whatsapp_account_suspended"' in html
    assert render_runbook("whatsapp_account_suspended") is not None
