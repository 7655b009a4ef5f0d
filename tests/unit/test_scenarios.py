"""The scenario generator: deterministic, the right population, and each scenario's story in the numbers."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from delivery_window.sandbox.scenarios import (
    FALLBACK_TEMPLATES,
    SCENARIOS,
    SEGMENT_TEMPLATES,
    SENDER_NUMBERS,
    generate_day,
    make_wamid,
    scenario_info,
    summarize_day,
    window_start_utc,
)

pytestmark = pytest.mark.unit

DAY = date(2026, 11, 26)
T0 = window_start_utc(DAY)  # 06:00 IST


@pytest.fixture(scope="module")
def healthy():
    return generate_day("healthy", DAY)


@pytest.fixture(scope="module")
def outage():
    return generate_day("whatsapp_outage", DAY)


def test_window_start_is_0600_ist():
    assert T0.isoformat() == "2026-11-26T00:30:00+00:00"


def test_same_seed_same_rows_other_seed_other_rows(healthy):
    assert generate_day("healthy", DAY) == healthy
    assert generate_day("healthy", DAY, seed=7).delivery_attempts != healthy.delivery_attempts


def test_generation_does_not_touch_global_random(healthy):
    import random

    random.seed(1)
    before = random.random()
    random.seed(1)
    generate_day("healthy", DAY)
    assert random.random() == before


def test_population(healthy):
    active = [a for a in healthy.advisors if a.active]
    assert len(active) == 2000
    assert 15 <= len(healthy.advisors) - len(active) <= 25
    assert Counter(a.segment for a in active) == {1: 500, 2: 500, 3: 500, 4: 500}
    assert {a.tier for a in active} == {"platinum", "gold", "silver", "standard"}
    assert all(a.phone_e164.startswith("+9170000") and len(a.phone_e164) == 13 for a in healthy.advisors)
    assert len({a.phone_e164 for a in healthy.advisors}) == len(healthy.advisors)
    assert len(healthy.sender_numbers) == 5 and {n.shard for n in healthy.sender_numbers} == {1, 2, 3, 4, 5}
    used = Counter(a.phone_number_id for a in healthy.delivery_attempts)
    assert set(used) == {n.phone_number_id for n in SENDER_NUMBERS}


def test_every_attempt_inside_0600_0605_ist(healthy, outage):
    for day in (healthy, outage):
        assert all(T0 <= a.attempted_at < T0 + timedelta(minutes=5) for a in day.delivery_attempts)
        assert all(a.status_at >= a.attempted_at for a in day.delivery_attempts)


def test_attempt_ids_unique_and_dated(healthy):
    ids = [a.attempt_id for a in healthy.delivery_attempts]
    assert len(set(ids)) == len(ids)
    assert all(str(i).startswith("20261126") for i in ids)
    other = generate_day("healthy", DAY + timedelta(days=1))
    assert not set(ids) & {a.attempt_id for a in other.delivery_attempts}


def test_healthy_meets_sla_with_margin(healthy):
    s = summarize_day(healthy)
    assert s["sla_pct"] >= 99.5
    assert s["error_rate_pct"] < 2
    assert s["p95_latency_ms"] < 1000
    assert 380 <= s["rate_per_min"] <= 440
    reads = sum(a.status == "read" for a in healthy.delivery_attempts)
    assert 0.35 <= reads / len(healthy.delivery_attempts) <= 0.45


def test_healthy_is_quiet_on_other_dates_too():
    for k in range(1, 4):
        s = summarize_day(generate_day("healthy", DAY + timedelta(days=97 * k)))
        assert s["sla_pct"] >= 99.5 and s["failed_attempts"] <= 12


def test_healthy_failures_use_real_codes_and_sync_failures_have_no_wamid(healthy):
    failed = [a for a in healthy.delivery_attempts if a.status == "failed"]
    assert failed and {a.error_code for a in failed} <= {130429, 131000, 131026, 131049}
    assert all(a.wamid is None for a in failed if a.error_code in (130429, 131000))
    assert all(a.wamid is not None for a in healthy.delivery_attempts if a.status != "failed")


def test_retries_are_new_rows_20_to_40_s_later(healthy):
    by_advisor: dict[str, list] = {}
    for a in healthy.delivery_attempts:
        by_advisor.setdefault(a.advisor_id, []).append(a)
    retried = {k: v for k, v in by_advisor.items() if len(v) > 1}
    assert retried
    for first, retry in (v[:2] for v in retried.values()):
        assert first.status == "failed" and first.attempt_id != retry.attempt_id
        assert timedelta(seconds=20) <= retry.attempted_at - first.attempted_at <= timedelta(seconds=41)


def test_outage_fails_everything_from_0602(healthy, outage):
    cut = T0 + timedelta(minutes=2)
    late = [a for a in outage.delivery_attempts if a.attempted_at >= cut]
    assert late and all(a.status == "failed" and a.error_code in (1, 2, 131000) for a in late)
    assert all(5000 <= a.api_latency_ms <= 10_000 for a in late)
    # Before 06:02 the outage day is the healthy day, row for row.
    assert [a for a in outage.delivery_attempts if a.attempted_at < cut] == [
        a for a in healthy.delivery_attempts if a.attempted_at < cut
    ]
    s = summarize_day(outage)
    assert 35 <= s["sla_pct"] <= 60


def test_outage_retries_fail_too(outage):
    seen: dict[str, int] = Counter(a.advisor_id for a in outage.delivery_attempts)
    cut = T0 + timedelta(minutes=2)
    retried_late = [
        a
        for a in outage.delivery_attempts
        if seen[a.advisor_id] > 1 and a.attempted_at >= cut + timedelta(seconds=41)
    ]
    assert retried_late and all(a.status == "failed" for a in retried_late)


def test_templates_match_what_the_api_reports(healthy):
    approved = {
        (t["name"], t["language"]) for t in scenario_info("healthy")["templates"] if t["status"] == "APPROVED"
    }
    assert {a.template_name for a in healthy.delivery_attempts} == set(SEGMENT_TEMPLATES.values())
    assert {(t.template_name, t.language) for t in healthy.templates_in_use} <= approved
    assert {f.template_name for f in healthy.fallback_content} == set(FALLBACK_TEMPLATES.values())
    assert all((f.template_name, "en") in approved for f in healthy.fallback_content)


def test_preparation_tables_are_coherent(healthy):
    active = {a.advisor_id for a in healthy.advisors if a.active}
    assert all(q.state == "approved" for q in healthy.approval_queue)
    assert {q.content_id for q in healthy.approval_queue} == {c.content_id for c in healthy.content_items}
    assert all(c.rendered and c.asset_url for c in healthy.content_items)
    assert {c.segment for c in healthy.content_items} == {1, 2, 3, 4}
    assert {p.advisor_id for p in healthy.preferences_snapshot} == active
    assert len(healthy.fallback_content) == 4 and all(f.ready for f in healthy.fallback_content)


def test_receipts_and_engagement_follow_the_attempts(healthy):
    wamids = {a.wamid for a in healthy.delivery_attempts if a.wamid}
    assert {r.wamid for r in healthy.webhook_receipts} == wamids
    statuses = healthy.webhook_receipts[0].payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert statuses["timestamp"].isdigit() and statuses["status"] in ("sent", "delivered", "read", "failed")
    assert all(r.received_at > r.status_at for r in healthy.webhook_receipts)
    readers = {a.advisor_id for a in healthy.delivery_attempts if a.status == "read"}
    assert {e.advisor_id for e in healthy.engagement if e.event == "opened"} == readers


def test_wamid_format_is_stable():
    w = make_wamid("+919812345678", "k")
    assert w.startswith("wamid.HBgM") and w == make_wamid("919812345678", "k") != make_wamid(
        "919812345678", "j"
    )


def test_scenario_info_reports_five_green_numbers_and_the_send_behaviour():
    info = scenario_info("healthy")
    assert [n["id"] for n in info["phone_numbers"]] == [n.phone_number_id for n in SENDER_NUMBERS]
    assert {n["quality_rating"] for n in info["phone_numbers"]} == {"GREEN"}
    assert info["send"]["ok"] is True and info["faults"] == {}
    assert scenario_info("whatsapp_outage")["send"] == {"ok": False, "error_code": 131000, "http_status": 500}


@pytest.mark.parametrize("call", [generate_day, scenario_info])
def test_unknown_scenario_names_the_valid_ones(call):
    args = ("nope", DAY) if call is generate_day else ("nope",)
    with pytest.raises(ValueError, match="healthy, whatsapp_outage"):
        call(*args)
    assert SCENARIOS[:2] == ("healthy", "whatsapp_outage")
