"""Check judgements: observed values in, verdict out (pure)."""

from __future__ import annotations

from delivery_window.checks import judge
from delivery_window.protocol import get_protocol
from delivery_window.records import Status

P = get_protocol()
PH = "test"


def test_database_pool_pass_and_saturated():
    ok = judge.database_pool(
        {"round_trip_ok": True, "round_trip_ms": 2, "connections_used": 10, "max_connections": 100}, P, PH
    )
    assert ok.status is Status.PASS and ok.observed["used_pct"] == 10.0
    full = judge.database_pool(
        {"round_trip_ok": True, "round_trip_ms": 2, "connections_used": 95, "max_connections": 100}, P, PH
    )
    assert full.status is Status.FAIL and "95/100" in full.message


def test_redis_memory_and_latency():
    base = {"ping": True, "ping_ms": 1, "used_memory": 10, "maxmemory": 0}
    assert judge.redis_cache(base, P, PH).status is Status.PASS  # maxmemory 0 = no limit
    assert judge.redis_cache({**base, "used_memory": 95, "maxmemory": 100}, P, PH).status is Status.FAIL
    slow = judge.redis_cache({**base, "ping_ms": P.checks.redis_latency_max_ms + 1}, P, PH)
    assert slow.status is Status.WARN


def numbers(*pairs):
    return [{"id": f"n{i}", "quality_rating": q, "status": s} for i, (q, s) in enumerate(pairs)]


def test_sender_quality_green_yellow_red_flagged():
    assert judge.sender_quality(numbers(("GREEN", "CONNECTED")), P, PH).status is Status.PASS
    yellow = judge.sender_quality(numbers(("GREEN", "CONNECTED"), ("YELLOW", "CONNECTED")), P, PH)
    assert yellow.status is Status.WARN and "n1=YELLOW" in yellow.message
    red = judge.sender_quality(numbers(("RED", "CONNECTED")), P, PH)
    assert red.status is Status.FAIL
    flagged = judge.sender_quality(numbers(("GREEN", "FLAGGED")), P, PH)
    assert flagged.status is Status.FAIL and flagged.observed["unhealthy"] == ["n0=GREEN/FLAGGED"]
    assert judge.sender_quality([], P, PH).status is Status.FAIL


def test_templates_must_be_approved_and_not_red():
    api = [
        {"name": "a", "status": "APPROVED", "quality_score": {"score": "GREEN"}},
        {"name": "b", "status": "PAUSED", "quality_score": {"score": "YELLOW"}},
        {"name": "c", "status": "APPROVED", "quality_score": "RED"},
    ]
    assert judge.templates_approved(["a", "a"], api, P, PH).status is Status.PASS
    bad = judge.templates_approved(["a", "b", "c", "d"], api, P, PH)
    assert bad.status is Status.FAIL
    assert bad.observed["problems"] == ["b: PAUSED", "c: quality RED", "d: not found on the WABA"]
