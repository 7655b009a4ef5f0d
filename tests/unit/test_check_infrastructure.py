"""05:30 infrastructure checks: pure judgements on observations in the real API shapes (fixtures), boundaries."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from delivery_window.checks import judge
from delivery_window.protocol import get_protocol
from delivery_window.records import Status

P = get_protocol()
PH = "pre_delivery.infrastructure"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pre_delivery"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


# --- database pool --------------------------------------------------------------------------------------------
def pool_obs(in_use: int, waiting: int = 0, size: int = 100) -> dict:
    service = fixture("delivery_database_pool.json") | {"in_use": in_use, "waiting": waiting, "size": size}
    return {
        "round_trip_ok": True,
        "round_trip_ms": 3,
        "connections_used": 6,
        "max_connections": 100,
        "service_pool": service,
    }


def test_service_pool_at_the_limit_passes_one_over_fails():
    limit = int(P.checks.db_pool_max_used_pct)
    assert judge.database_pool(pool_obs(limit), P, PH).status is Status.PASS
    over = judge.database_pool(pool_obs(limit + 1), P, PH)
    assert over.status is Status.FAIL and f"{limit + 1}/100 connections in use" in over.message


def test_any_waiting_request_means_the_pool_is_exhausted():
    assert P.checks.db_pool_max_waiting == 0
    assert judge.database_pool(pool_obs(10, waiting=0), P, PH).status is Status.PASS
    one = judge.database_pool(pool_obs(10, waiting=1), P, PH)
    assert one.status is Status.FAIL and "1 requests waiting (limit 0)" in one.message


def test_exhausted_pool_message_names_the_pool():
    r = judge.database_pool(pool_obs(100, waiting=37), P, PH)
    assert r.status is Status.FAIL
    assert r.message.startswith(
        "delivery-service pool delivery-db-primary: 100/100 connections in use (100.0%"
    )
    assert r.observed["service_pool_used_pct"] == 100.0


def test_unobserved_service_pool_is_a_warning_not_an_error():
    obs = {
        "round_trip_ok": True,
        "round_trip_ms": 3,
        "connections_used": 6,
        "max_connections": 100,
        "service_pool_error": "delivery_service: HTTP 503, service_unavailable: sandbox fault",
    }
    r = judge.database_pool(obs, P, PH)
    assert (
        r.status is Status.WARN
        and "delivery-service pool not observed: delivery_service: HTTP 503" in r.message
    )


def test_server_connections_still_judged_first():
    obs = pool_obs(10) | {"connections_used": 81}
    assert judge.database_pool(obs, P, PH).status is Status.FAIL
    assert judge.database_pool(obs | {"round_trip_ok": False}, P, PH).message == "SELECT 1 round-trip failed"


# --- WhatsApp rate limits ---------------------------------------------------------------------------------------
def limits_obs(advisors: int = 2000, tier: str | None = None, level: str | None = None, planned=None) -> dict:
    numbers = copy.deepcopy(fixture("graph_phone_numbers.json")["data"])
    for n in numbers:
        if tier:
            n["whatsapp_business_manager_messaging_limit"] = tier
        if level:
            n["throughput"] = {"level": level}
    plan = fixture("delivery_plan.json")
    planned = planned or {r["phone_number_id"]: r["advisors"] for r in plan["numbers"]}
    return {"numbers": numbers, "advisors": advisors, "planned": planned, "window_seconds": 300}


def test_rate_limits_pass_on_the_healthy_shape():
    r = judge.whatsapp_rate_limits(limits_obs(), P, PH)
    assert r.status is Status.PASS and "messaging limit 100000/24 h" in r.message
    assert r.observed["capacity_per_min"] == 5 * 80 * 60


def test_tier_exactly_the_volume_warns_one_over_fails():
    at = judge.whatsapp_rate_limits(limits_obs(advisors=2000, tier="TIER_2K"), P, PH)
    assert at.status is Status.WARN and "100.0% of the 2000 messaging limit" in at.message
    over = judge.whatsapp_rate_limits(limits_obs(advisors=2001, tier="TIER_2K"), P, PH)
    assert over.status is Status.FAIL and "2001 advisors today > messaging limit 2000" in over.message


def test_warning_starts_above_the_warn_share():
    warn_pct = P.checks.messaging_limit_warn_pct  # 80 % of 10K = 8000
    assert judge.whatsapp_rate_limits(limits_obs(advisors=8000, tier="TIER_10K"), P, PH).status is Status.PASS
    assert judge.whatsapp_rate_limits(limits_obs(advisors=8001, tier="TIER_10K"), P, PH).status is Status.WARN
    assert warn_pct == 80


def test_unlimited_tier_and_legacy_field():
    assert (
        judge.whatsapp_rate_limits(limits_obs(advisors=10**6, tier="TIER_UNLIMITED"), P, PH).status
        is Status.PASS
    )
    obs = limits_obs()
    for n in obs["numbers"]:
        n.pop("whatsapp_business_manager_messaging_limit")
        n["messaging_limit_tier"] = "TIER_1K"
    assert judge.whatsapp_rate_limits(obs, P, PH).status is Status.FAIL


def test_unknown_tier_fails_with_its_name():
    r = judge.whatsapp_rate_limits(limits_obs(tier="TIER_42"), P, PH)
    assert r.status is Status.FAIL and "messaging limit 'TIER_42'" in r.message


def test_throughput_of_one_number_must_cover_its_planned_advisors():
    ids = [n["id"] for n in fixture("graph_phone_numbers.json")["data"]]
    fits = {i: 0 for i in ids} | {ids[0]: 80 * 300}
    assert judge.whatsapp_rate_limits(limits_obs(planned=fits), P, PH).status is Status.PASS
    short = judge.whatsapp_rate_limits(limits_obs(planned=fits | {ids[0]: 80 * 300 + 1}), P, PH)
    assert (
        short.status is Status.FAIL
        and f"{ids[0]}: 24001 advisors planned > 80 msg/s x 300 s" in short.message
    )
    high = limits_obs(planned=fits | {ids[0]: 80 * 300 + 1}, level="HIGH")
    assert judge.whatsapp_rate_limits(high, P, PH).status is Status.PASS


def test_no_numbers_fails():
    assert judge.whatsapp_rate_limits(limits_obs() | {"numbers": []}, P, PH).status is Status.FAIL


# --- Cloudinary --------------------------------------------------------------------------------------------------
def test_cloudinary_ping_and_quota_boundary():
    ok = fixture("cloudinary_ping.json") | {
        "rate_limit_remaining": P.checks.cloudinary_min_remaining_calls,
        "ping_ms": 4,
    }
    assert judge.cloudinary(ok, P, PH).status is Status.PASS
    low = ok | {"rate_limit_remaining": P.checks.cloudinary_min_remaining_calls - 1}
    assert judge.cloudinary(low, P, PH).status is Status.WARN
    assert judge.cloudinary(ok | {"rate_limit_remaining": None}, P, PH).status is Status.PASS
    bad = judge.cloudinary({"status": "degraded"}, P, PH)
    assert bad.status is Status.FAIL and "'degraded'" in bad.message


# --- the registry: one check per protocol line ----------------------------------------------------------------
def test_every_protocol_item_has_exactly_one_check_in_its_group():
    from delivery_window.checks.probes import CHECKS

    at_0530 = {
        item: group for group, items in P.pre_delivery_checklist.groups.model_dump().items() for item in items
    }
    at_0545 = set(P.final_systems_verification.items)
    by_item = {spec.item: (name, spec) for name, spec in CHECKS.items()}
    assert len(by_item) == len(CHECKS) == len(at_0530) + len(at_0545) == 26
    assert set(by_item) == set(at_0530) | at_0545
    protocol_group = {
        "infrastructure_health": "infrastructure",
        "content_pipeline_status": "content_pipeline",
        "ai_service_readiness": "ai_services",
        "monitoring_systems": "monitoring",
    }
    for item, group in at_0530.items():
        assert by_item[item][1].group == protocol_group[group], item
        assert by_item[item][1].protocol_line.startswith("05:30 ")
    for item in at_0545:
        assert by_item[item][1].group == "final_check" and by_item[item][1].protocol_line.startswith("05:45 ")
    for name, spec in CHECKS.items():
        assert name.startswith("check_") and spec.judge.__doc__, name


def test_go_no_go_triggers_name_registered_checks_and_runbook_docs_exist():
    from delivery_window.checks.probes import CHECKS, runbook_for
    from delivery_window.paths import ROOT

    for name, rem in P.go_no_go.remediations.items():
        assert set(rem.triggers) <= set(CHECKS), name
    for name in CHECKS:
        runbook = runbook_for(name, P)
        assert runbook is None or (ROOT / P.runbooks[runbook].doc).is_file(), name
    assert runbook_for("check_compliance_engine", P) == "ai_service_fallback"
    assert runbook_for("check_number_shards", P) == "whatsapp_quality_recovery"
    assert runbook_for("check_slack_channels", P) is None


@pytest.mark.parametrize(
    ("url", "public_id"),
    [
        (
            "https://res.cloudinary.com/projectone/image/upload/v1/daily/2026-10-01/s1-brief.png",
            "daily/2026-10-01/s1-brief",
        ),
        ("https://res.cloudinary.com/x/image/upload/daily/a.b/c.jpg", "daily/a.b/c"),
        ("https://res.cloudinary.com/x/image/upload/v17/plain", "plain"),
        ("https://example.com/not-cloudinary.png", None),
    ],
)
def test_public_id_of_a_delivery_url(url, public_id):
    assert judge.public_id(url) == public_id
