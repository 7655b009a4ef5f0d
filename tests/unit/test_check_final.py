"""05:45 final systems check (pure): WhatsApp integration, delivery pipeline, escalation readiness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from delivery_window.checks import judge_final
from delivery_window.protocol import get_protocol
from delivery_window.records import Status

P = get_protocol()
PH = "pre_delivery.final_check"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pre_delivery"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


# --- number sharding ----------------------------------------------------------------------------------------------
def shards(advisors: int = 2000, plan_changes=None, **number_changes) -> dict:
    numbers = fixture("graph_phone_numbers.json")["data"]
    for n in numbers:
        n.update(number_changes.get(n["id"], {}))
    plan = fixture("delivery_plan.json") | (plan_changes or {})
    return {"numbers": numbers, "plan": plan, "advisors": advisors}


def test_shards_green_connected_available_and_plan_covers_everyone():
    r = judge_final.number_shards(shards(), P, PH)
    assert r.status is Status.PASS and r.observed["unhealthy_ids"] == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"quality_rating": "RED"}, "quality RED"),
        ({"quality_rating": "YELLOW"}, "quality YELLOW"),  # "each shard CONNECTED and GREEN"
        ({"status": "FLAGGED"}, "FLAGGED"),
        ({"health_status": {"can_send_message": "BLOCKED"}}, "can_send_message BLOCKED"),
        ({"health_status": {"can_send_message": "LIMITED"}}, "can_send_message LIMITED"),
    ],
)
def test_an_unhealthy_shard_is_named(change, why):
    r = judge_final.number_shards(shards(**{"1065550103": change}), P, PH)
    assert r.status is Status.FAIL and r.message == f"1065550103: {why}"
    assert r.observed["unhealthy_ids"] == ["1065550103"]


def test_plan_must_cover_every_active_advisor_on_known_numbers():
    short = judge_final.number_shards(shards(plan_changes={"advisors_planned": 1990}), P, PH)
    assert short.status is Status.FAIL and short.message == "traffic plan covers 1990 of 2000 active advisors"
    plan = fixture("delivery_plan.json")
    plan["numbers"].append({"phone_number_id": "999", "advisors": 5, "excluded": False})
    stray = judge_final.number_shards(shards(plan_changes={"numbers": plan["numbers"]}), P, PH)
    assert "traffic planned on numbers not on the WABA: 999" in stray.message
    assert judge_final.number_shards(shards() | {"numbers": []}, P, PH).status is Status.FAIL


# --- queue and webhooks ------------------------------------------------------------------------------------------
def test_delivery_queue_ready_with_workers():
    ok = {"ready": True, "depth": 0, "workers": 8}
    assert judge_final.delivery_queue(ok, P, PH).status is Status.PASS
    assert judge_final.delivery_queue(ok | {"ready": False}, P, PH).status is Status.FAIL
    assert (
        judge_final.delivery_queue(ok | {"workers": P.checks.delivery_queue_min_workers - 1}, P, PH).status
        is Status.FAIL
    )
    backlog = judge_final.delivery_queue(ok | {"depth": 12}, P, PH)
    assert backlog.status is Status.WARN and "12 messages already queued" in backlog.message


def test_webhook_lag_at_the_limit_passes_one_second_over_fails():
    limit = P.checks.webhook_lag_max_seconds
    assert judge_final.webhook_endpoints({"status": "ok", "lag_seconds": limit}, P, PH).status is Status.PASS
    late = judge_final.webhook_endpoints({"status": "ok", "lag_seconds": limit + 1}, P, PH)
    assert late.status is Status.FAIL and late.message == f"receipt lag {limit + 1} s > {limit} s"
    assert judge_final.webhook_endpoints({"status": "down"}, P, PH).status is Status.FAIL


# --- delivery pipeline --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("segments", "status"),
    [
        ({"1": 500, "2": 500, "3": 500, "4": 500}, Status.PASS),
        ({"1": 667, "2": 667, "3": 666}, Status.FAIL),  # 3 groups
        ({"1": 400, "2": 400, "3": 400, "4": 400, "5": 400}, Status.FAIL),  # 5 groups
        ({"1": 500, "2": 500, "3": 500, "4": 0}, Status.FAIL),  # an empty group
        ({"0": 500, "1": 500, "2": 500, "3": 500}, Status.FAIL),  # not numbered 1..4
    ],
)
def test_exactly_four_groups(segments, status):
    assert P.checks.advisor_segments == 4
    assert judge_final.advisor_segmentation({"segments": segments}, P, PH).status is status


def plan_obs(**changes) -> dict:
    plan = fixture("delivery_plan.json") | changes
    return {
        "plan": plan,
        "window_start": "2026-10-01T06:00:00+05:30",
        "window_end": "2026-10-01T06:05:00+05:30",
    }


def test_jitter_windows_inside_the_delivery_window():
    assert judge_final.jitter_windows(plan_obs(), P, PH).status is Status.PASS
    segments = fixture("delivery_plan.json")["segments"]
    segments[3]["window_end"] = "2026-10-01T06:05:00.001000+05:30"
    segments[1]["jitter_ms"] = 0
    r = judge_final.jitter_windows(plan_obs(segments=segments[1:]), P, PH)
    assert r.observed["problems"] == [
        "segment 1: no window",
        "segment 2: no jitter",
        "segment 4: window 2026-10-01T06:03:33.750000+05:30-2026-10-01T06:05:00.001000+05:30 outside "
        "2026-10-01T06:00:00+05:30-2026-10-01T06:05:00+05:30",
    ]
    assert "plan not computed" in judge_final.jitter_windows(plan_obs(computed_at=None), P, PH).message


def test_retry_policy():
    policy = fixture("delivery_retry_policy.json")
    assert judge_final.retry_logic(policy, P, PH).status is Status.PASS
    once = judge_final.retry_logic(policy | {"max_attempts": 1}, P, PH)
    assert once.status is Status.FAIL and "max_attempts 1 < 2" in once.message
    terminal = judge_final.retry_logic(policy | {"retry_on": [*policy["retry_on"], 131026, 132015]}, P, PH)
    assert "retried but must never be: 131026, 132015" in terminal.message
    no_throughput = judge_final.retry_logic(
        policy | {"retry_on": [c for c in policy["retry_on"] if c != 130429]}, P, PH
    )
    assert "not retried: 130429" in no_throughput.message
    assert "no backoff" in judge_final.retry_logic(policy | {"backoff_seconds": {}}, P, PH).message


def test_fallback_armed_for_every_segment():
    assert (
        judge_final.fallback_armed({"armed_segments": [1, 2, 3, 4], "active_segments": []}, P, PH).status
        is Status.PASS
    )
    r = judge_final.fallback_armed({"armed_segments": [1, 2, 4]}, P, PH)
    assert r.status is Status.FAIL and r.message == "fallback not armed for segments [3]"


# --- escalation readiness -----------------------------------------------------------------------------------------
def oncall_obs(
    oncalls=None, since="2026-10-01T05:30:00+05:30", until="2026-10-01T06:30:00+05:30", phones=None
) -> dict:
    rows = fixture("pagerduty_oncalls.json")["oncalls"] if oncalls is None else oncalls
    methods = {
        uid: [{"type": "phone_contact_method", "address": ph, "country_code": 91}]
        for uid, ph in (phones or {}).items()
    }
    base = fixture("pagerduty_contact_methods_PU3ENGM.json")["contact_methods"]
    return {
        "since": since,
        "until": until,
        "oncalls": rows,
        "contact_methods": {"PU3ENGM": base, "PU4CTO0": [m | {"address": "9876543210"} for m in base]}
        | methods,
    }


def test_primary_and_backup_on_call_for_the_whole_window():
    assert judge_final.oncall_primary(oncall_obs(), P, PH).status is Status.PASS
    assert judge_final.oncall_backup(oncall_obs(), P, PH).status is Status.PASS


def test_a_shift_ending_one_minute_early_does_not_cover_the_window():
    rows = fixture("pagerduty_oncalls.json")["oncalls"]
    rows[0]["end"] = "2026-10-01T06:29:00+05:30"
    r = judge_final.oncall_primary(oncall_obs(rows), P, PH)
    assert r.status is Status.FAIL and r.message.startswith("nobody on call at level 1 for the whole window")
    rows[0]["end"] = "2026-10-01T06:30:00+05:30"
    assert judge_final.oncall_primary(oncall_obs(rows), P, PH).status is Status.PASS


def test_backup_must_be_someone_else():
    rows = fixture("pagerduty_oncalls.json")["oncalls"]
    rows[1]["user"] = rows[0]["user"]
    assert judge_final.oncall_backup(oncall_obs(rows), P, PH).status is Status.FAIL
    assert (
        judge_final.oncall_backup(oncall_obs([r for r in rows if r["escalation_level"] != 2]), P, PH).status
        is Status.FAIL
    )


def test_management_contacts_match_the_protocol_numbers():
    ok = judge_final.escalation_contacts(oncall_obs(), P, PH)
    assert ok.status is Status.PASS and "L3 engineering_manager" in ok.message and "L4 cto" in ok.message
    wrong = judge_final.escalation_contacts(oncall_obs(phones={"PU4CTO0": "9000000000"}), P, PH)
    assert wrong.status is Status.FAIL and "is not the protocol's +91-9876543210" in wrong.message
    obs = oncall_obs()
    obs["contact_methods"]["PU3ENGM"] = [
        m for m in obs["contact_methods"]["PU3ENGM"] if m["type"] == "email_contact_method"
    ]
    assert (
        "level 3 (engineering_manager): no phone contact method"
        in judge_final.escalation_contacts(obs, P, PH).message
    )
    gone = [r for r in fixture("pagerduty_oncalls.json")["oncalls"] if r["escalation_level"] != 4]
    assert (
        "level 4 (cto): nobody on the escalation policy"
        in judge_final.escalation_contacts(oncall_obs(gone), P, PH).message
    )
