"""Window metrics and alert rules, as of a tick (pure, no Airflow, no database)."""

from __future__ import annotations

import pytest
from attempts_factory import DAY, at, attempts

from delivery_window.monitor import metrics, rules
from delivery_window.protocol import get_protocol

P = get_protocol()


def fired(atts, t, targeted=None):
    overall = metrics.compute(atts, t)
    return {f.rule for f in rules.evaluate(overall, atts, t, DAY, targeted or len(atts), P)}


def test_receipt_counts_only_once_it_arrived():
    a = attempts("06:00:00", 1, receipt_s=5)
    assert metrics.compute(a, at("06:00:04")).delivered == 0
    assert metrics.compute(a, at("06:00:05")).delivered == 1


def test_attempts_after_the_tick_are_ignored():
    a = attempts("06:00:00", 10, every_s=10)
    m = metrics.compute(a, at("06:00:45"))
    assert m.attempts == 5  # 0, 10, 20, 30, 40 s


def test_primary_metrics_values():
    a = attempts("06:00:00", 98, latency_ms=300) + attempts(
        "06:00:00", 2, status="failed", error_code=131026, first_id=500, latency_ms=2500
    )
    m = metrics.compute(a, at("06:00:50"))
    assert (m.attempts, m.delivered, m.failed) == (100, 98, 2)
    assert m.success_rate_pct == 98.0
    assert m.error_rate_pct == 2.0
    assert m.p95_latency_ms == 300
    assert m.rate_per_min == 100


def test_p95_nearest_rank():
    assert metrics.p95(list(range(1, 101))) == 95
    assert metrics.p95([]) is None


def test_healthy_window_fires_nothing():
    a = attempts("06:00:00", 400, every_s=0.14)
    assert fired(a, at("06:01:00"), targeted=400) == set()


def test_error_spike_pages_and_breaches_primary_metrics():
    ok = attempts("06:00:00", 300, every_s=0.2)
    bad = attempts("06:01:00", 100, every_s=0.3, status="failed", error_code=131026, first_id=1000)
    got = fired(ok + bad, at("06:01:40"))
    assert {"failure_rate_2m", "error_rate_above_2pct", "success_rate_below_98"} <= got
    assert "whatsapp_api_unavailable" not in got  # 131026 is the recipient, not the API


def test_whatsapp_outage_is_sev1_unavailable_and_below_95_for_two_minutes():
    ok = attempts("06:00:00", 200, every_s=0.6)  # 06:00:00 - 06:02:00
    down = attempts("06:02:00", 300, every_s=0.4, status="failed", error_code=131000, first_id=1000)
    t = at("06:04:00")
    got = fired(ok + down, t)
    assert {"whatsapp_api_unavailable", "success_below_95_2m", "failure_rate_2m"} <= got
    sev = {
        f.rule: f.severity for f in rules.evaluate(metrics.compute(ok + down, t), ok + down, t, DAY, 500, P)
    }
    assert sev["whatsapp_api_unavailable"] == P.alert_rules["whatsapp_api_unavailable"].severity


def test_success_below_95_needs_two_consecutive_minutes():
    ok = attempts("06:00:00", 300, every_s=0.2)  # 06:00:00 - 06:01:00
    down = attempts("06:01:00", 100, every_s=0.6, status="failed", error_code=131000, first_id=1000)
    # at 06:02:00 only one bad minute has passed: the sev1 rule must not fire yet
    assert "success_below_95_2m" not in fired(ok + down, at("06:02:00"))


def test_slow_api_fires_latency_rule():
    a = attempts("06:00:00", 100, latency_ms=2500)
    assert "api_latency_p95_above_2s" in fired(a, at("06:01:00"))


def test_low_rate_only_while_advisors_remain():
    a = attempts("06:00:00", 100, every_s=0.6)
    assert "processing_rate_below_target" in fired(a, at("06:01:00"), targeted=2000)
    assert "processing_rate_below_target" not in fired(a, at("06:01:00"), targeted=100)


def test_too_few_outcomes_do_not_alert():
    a = attempts("06:00:00", 3, status="failed", error_code=131000)
    assert fired(a, at("06:00:30"), targeted=3) == set()


def test_dedup_key_is_stable_and_documented():
    assert (
        rules.dedup_key(DAY, "failure_rate_2m", "overall")
        == "delivery_window:2026-11-25:failure_rate_2m:overall"
    )


def test_ticks_cover_window_plus_grace():
    ticks = metrics.tick_times(DAY, P)
    assert ticks[0] == at("06:00:00") + (ticks[1] - ticks[0])
    assert ticks[-1] == metrics.window_close(DAY, P)
    assert (ticks[1] - ticks[0]).total_seconds() == P.monitor.tick_seconds


@pytest.mark.parametrize("rule", sorted(P.alert_rules))
def test_every_rule_has_a_known_severity(rule):
    assert P.alert_rules[rule].severity == P.alert_rules[rule].level
