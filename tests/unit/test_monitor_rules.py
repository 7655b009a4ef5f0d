"""Alert rules at and around their boundaries (pure: no database, no Airflow).

Every case is evaluated twice — on the incremental ``WindowState`` and on the whole-list ``naive_snapshot`` —
and both must agree, so these are also tests of the aggregates.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from attempts_factory import DAY, at, attempts

from delivery_window import window
from delivery_window.escalation import keys
from delivery_window.monitor import metrics, rules
from delivery_window.monitor.rules import RuleContext, TemplateChange
from delivery_window.monitor.state import Batch, Directory, WindowState
from delivery_window.protocol import get_protocol

P = get_protocol()
START = at("06:00:00")


def snapshots(atts, t, tiers=None):
    """(incremental, naive) snapshots of ``atts`` at ``t``."""
    tiers = tiers or {}
    advisors = {a.advisor_id: (tiers.get(a.advisor_id, "standard"), True) for a in atts}
    directory = Directory.from_advisors(advisors)
    ws = WindowState(
        START,
        window.close(DAY, P),
        directory,
        advisor_failures_floor=1,
        window_ends=P.monitor.tick_seconds,
    )
    batch, numbers = Batch.from_attempts(atts)
    ws.add_numbers(numbers)
    ws.ingest(batch, t)
    naive = metrics.naive_snapshot(atts, t, P, {a: tier for a, (tier, _) in advisors.items()})
    return ws.snapshot(t), naive, directory


def fired(atts, t, *, targeted=None, tiers=None, **ctx) -> set[tuple[str, str]]:
    inc, naive, directory = snapshots(atts, t, tiers)
    assert inc == naive
    context = RuleContext(
        DAY, targeted if targeted is not None else len(atts), advisor_names=directory.names, **ctx
    )
    got = {(f.rule, f.scope) for f in rules.evaluate(inc, context, P)}
    assert got == {(f.rule, f.scope) for f in rules.evaluate(naive, context, P)}
    return got


def names(atts, t, **kw) -> set[str]:
    return {rule for rule, _ in fired(atts, t, **kw)}


def figures(atts, t):
    """(success %, error %, failure window counts) of the incremental snapshot: a boundary case checks that it
    really sits on the boundary it names."""
    inc, _, _ = snapshots(atts, t)
    o = inc.overall
    return o.success_rate_pct, o.error_rate_pct, inc.failure_window


def ok(n, start="06:00:00", every_s=0.5, first_id=1, **kw):
    return attempts(start, n, every_s=every_s, first_id=first_id, **kw)


def bad(n, start="06:00:00", every_s=0.5, first_id=100_000, code=131026, **kw):
    return attempts(start, n, every_s=every_s, first_id=first_id, status="failed", error_code=code, **kw)


# --- primary metrics ------------------------------------------------------------------------------------------
# every attempt made (and its receipt in) by 06:01:30, so the rates are exactly those named
AT_98, BELOW_98 = ok(98) + bad(2), ok(979, every_s=0.05) + bad(21, every_s=0.05)


def test_success_rate_exactly_98_does_not_fire_just_below_does():
    t = at("06:01:30")
    assert figures(AT_98, t)[0] == 98.0 and figures(BELOW_98, t)[0] == 97.9
    assert "success_rate_below_98" not in names(AT_98, t)
    assert "success_rate_below_98" in names(BELOW_98, t)


def test_error_rate_exactly_2pct_does_not_fire_just_above_does():
    t = at("06:01:30")
    assert figures(AT_98, t)[1] == 2.0 and figures(BELOW_98, t)[1] == 2.1
    assert "error_rate_above_2pct" not in names(AT_98, t)
    assert "error_rate_above_2pct" in names(BELOW_98, t)


def test_primary_rates_need_the_minimum_sample():
    t = at("06:01:30")
    n = P.monitor.min_sample_attempts
    assert names(ok(n - 11) + bad(10), t) == set()  # 49 outcomes: too few to judge
    assert {"success_rate_below_98", "error_rate_above_2pct"} <= names(ok(n - 10) + bad(10), t)


def test_p95_latency_2000_ms_does_not_fire_2001_does():
    t = at("06:01:30")
    base = ok(95, latency_ms=300)
    assert "api_latency_p95_above_2s" not in names(base + ok(5, first_id=500, latency_ms=2000), t)
    slow = ok(95, latency_ms=2001) + ok(5, first_id=500, latency_ms=300)
    assert "api_latency_p95_above_2s" in names(slow, t)


def test_processing_rate_400_per_minute_is_enough_399_is_not():
    t = at("06:02:00")  # the trailing minute is (06:01:00, 06:02:00]
    assert "processing_rate_below_target" not in names(
        ok(400, start="06:01:01", every_s=0.145), t, targeted=5000
    )
    assert "processing_rate_below_target" in names(ok(399, start="06:01:01", every_s=0.145), t, targeted=5000)
    at_edge = ok(400, start="06:01:00", every_s=0.145)  # the first one, at 06:01:00.000, is a minute old
    assert "processing_rate_below_target" in names(at_edge, t, targeted=5000)


def test_processing_rate_only_after_the_first_minute_inside_the_window_with_work_left():
    slow = ok(100, every_s=0.5)
    assert "processing_rate_below_target" not in names(slow, at("06:00:50"), targeted=5000)  # first minute
    assert "processing_rate_below_target" in names(slow, at("06:01:00"), targeted=5000)
    assert "processing_rate_below_target" not in names(slow, at("06:01:00"), targeted=100)  # all attempted
    assert "processing_rate_below_target" not in names(slow, at("06:05:10"), targeted=5000)  # window over


# --- immediate page: failure rate in any 2-minute window ---------------------------------------------------------
def test_failure_rate_exactly_2pct_in_2_minutes_does_not_page_just_above_does():
    t = at("06:02:00")  # the window is attempts made in (06:00:00, 06:02:00]: start a second later
    exactly = ok(980, "06:00:01", every_s=0.1) + bad(20, "06:00:01", every_s=0.1)
    above = ok(979, "06:00:01", every_s=0.1) + bad(21, "06:00:01", every_s=0.1)
    assert figures(exactly, t)[2] == metrics.Counts(1000, 1000, 20)  # 2.0 %
    assert figures(above, t)[2] == metrics.Counts(1000, 1000, 21)  # 2.1 %
    assert "failure_rate_2m" not in names(exactly, t)
    assert "failure_rate_2m" in names(above, t)


def test_failure_rate_window_is_the_trailing_two_minutes_of_attempts():
    early = bad(30, start="06:00:00", every_s=0.1)  # 06:00:00.0 - 06:00:02.9
    later = ok(400, start="06:00:30", every_s=0.2)
    assert "failure_rate_2m" in names(early + later, at("06:02:00"))  # (06:00:00, 06:02:00]: 29 failures
    # the tick at 06:02:10 also judges the windows ending at 06:02:01 .. 06:02:09: the first two hold part of it
    assert "failure_rate_2m" in names(early + later, at("06:02:10"))
    assert "failure_rate_2m" not in names(early + later, at("06:02:20"))  # the burst left every window


def test_failure_rate_in_a_window_ending_between_two_ticks_pages():
    """ "in any 2-minute window": two bursts of 12 failures 1 min 55 s apart are never both in a window that ends
    at a tick (1.3 % each), but they are in (06:00:05, 06:02:05] (2.5 %), which the 06:02:10 tick judges."""
    steady = ok(1000, every_s=0.13, receipt_s=0.5)
    first = bad(12, "06:00:06", every_s=0.3, receipt_s=0.5)
    second = bad(12, "06:02:01", every_s=0.3, first_id=200_000, receipt_s=0.5)
    atts = steady + first + second
    assert "failure_rate_2m" not in names(atts, at("06:02:00"))
    inc, _, directory = snapshots(atts, at("06:02:10"))
    assert inc.failure_window.failed == 12 and max(c.failed for c in inc.failure_windows) == 24
    (page,) = [
        f for f in rules.evaluate(inc, RuleContext(DAY, 5000, advisor_names=directory.names), P)
        if f.rule == "failure_rate_2m"
    ]  # fmt: skip
    assert page.at == at("06:02:10") and page.details["failed"] == 24
    assert page.details["window_end"] == at("06:02:05").isoformat()  # the latest of the worst windows


def test_failure_counts_only_once_its_receipt_arrived():
    late = bad(30, start="06:01:00", receipt_s=30)
    base = ok(400, every_s=0.2)
    assert "failure_rate_2m" not in names(base + late, at("06:01:20"))  # receipts arrive 06:01:30+
    assert "failure_rate_2m" in names(base + late, at("06:01:40"))


# --- urgent: one advisor's failures in one minute -----------------------------------------------------------
def storm(n, start="06:01:00", every_s=10.0):
    return [
        a.__class__(**{**a.__dict__, "advisor_id": "ADV-STORM"})
        for a in bad(n, start=start, every_s=every_s, first_id=200_000, code=131056, receipt_s=0.2)
    ]


def test_five_advisor_failures_in_a_minute_do_not_fire_six_do():
    base = ok(300, every_s=0.3)
    t = at("06:02:00")
    assert ("advisor_failures_1m", "advisor:ADV-STORM") not in fired(base + storm(5, start="06:01:05"), t)
    assert ("advisor_failures_1m", "advisor:ADV-STORM") in fired(base + storm(6, start="06:01:05"), t)


def test_six_advisor_failures_over_a_full_minute_do_not_fire():
    base = ok(300, every_s=0.3)
    six = storm(6)  # 06:01:00, :10, ..., :50
    assert ("advisor_failures_1m", "advisor:ADV-STORM") in fired(base + six, at("06:01:59"))
    # at 06:02:00 the first one is exactly a minute old: (06:01:00, 06:02:00] holds five
    assert ("advisor_failures_1m", "advisor:ADV-STORM") not in fired(base + six, at("06:02:00"))


# --- warning: latency over the baseline ------------------------------------------------------------------------
def test_latency_50pct_over_baseline_does_not_warn_just_above_does():
    t = at("06:01:30")
    assert "latency_vs_baseline" not in names(ok(100, latency_ms=1500), t, latency_baseline_ms=1000.0)
    assert "latency_vs_baseline" in names(ok(100, latency_ms=1501), t, latency_baseline_ms=1000.0)
    assert "latency_vs_baseline" not in names(ok(100, latency_ms=5000), t)  # no baseline: silent


def test_latency_baseline_is_the_median_of_enough_days():
    need = P.alert_thresholds.latency_baseline_min_days
    assert rules.latency_baseline([700] * (need - 1), P) is None
    assert rules.latency_baseline([600, 700, 5000][:need] + [650] * max(0, need - 3), P) is not None
    assert rules.latency_baseline([600, 700, 9000], P) == 700.0  # one slow day does not move it


# --- severity 1 --------------------------------------------------------------------------------------------------
def test_success_below_95_needs_two_consecutive_minutes():
    healthy = ok(300, every_s=0.2)  # 06:00:00 - 06:01:00
    minute1 = ok(90, start="06:01:00", every_s=0.6, first_id=5000) + bad(10, start="06:01:00", every_s=0.6)
    minute2 = ok(90, start="06:02:00", every_s=0.6, first_id=6000) + bad(10, start="06:02:00", every_s=0.6,
                                                                          first_id=101_000)  # fmt: skip
    assert "success_below_95_2m" not in names(healthy + minute1, at("06:02:00"))  # one bad minute
    assert "success_below_95_2m" in names(healthy + minute1 + minute2, at("06:03:00"))


def test_success_exactly_95_is_not_below():
    two = []
    for k, start in enumerate(("06:01:00", "06:02:00")):
        two += ok(95, start=start, every_s=0.6, first_id=5000 + k * 1000)
        two += bad(5, start=start, every_s=0.6, first_id=100_000 + k * 1000)
    assert "success_below_95_2m" not in names(two, at("06:03:00"))
    two += bad(1, start="06:01:30", first_id=150_000) + bad(1, start="06:02:30", first_id=150_001)
    assert "success_below_95_2m" in names(two, at("06:03:00"))


def test_whatsapp_unavailable_needs_every_send_failing_as_unavailable():
    t = at("06:03:00")
    down = bad(100, start="06:02:00", every_s=0.5, code=131000)
    assert "whatsapp_api_unavailable" in names(ok(100) + down, t)
    assert "whatsapp_api_unavailable" not in names(ok(100) + down + ok(1, start="06:02:30", first_id=9000), t)
    recipient = bad(100, start="06:02:00", every_s=0.5, code=131026)
    assert "whatsapp_api_unavailable" not in names(ok(100) + recipient, t)


@pytest.mark.parametrize(
    ("reads", "fires"),
    [
        ([True, True, True, False, False, False], False),  # 3 of 6 = 50 %: not above
        ([True, True, False, False, False, False], True),  # 4 of 6
        ([False, False], False),  # too few reads to judge
        ([False, False, False], True),
    ],
)
def test_database_connection_failures_above_50pct(reads, fires):
    t = at("06:02:00")
    log = [(t - timedelta(seconds=10 * k), good) for k, good in enumerate(reversed(reads))]
    got = rules.evaluate_db(RuleContext(DAY, 100, db_reads=log), t, P)
    assert bool(got) is fires
    if fires:
        assert got[0].severity == "severity_1" and got[0].rule == "db_connection_failures"
    old = [(at_ - timedelta(minutes=1), good) for at_, good in log]  # a minute older: out of the window
    assert rules.evaluate_db(RuleContext(DAY, 100, db_reads=old), t, P) == []


# --- severity 2 --------------------------------------------------------------------------------------------------
def shard(n_ok, n_bad, number, first_id):
    return ok(n_ok, start="06:01:00", every_s=0.2, first_id=first_id, number=number) + bad(
        n_bad, start="06:01:00", every_s=0.2, first_id=first_id + 50_000, number=number
    )


def test_one_shard_failing_above_20pct_while_the_rest_is_healthy():
    rest = ok(500, every_s=0.2, number="n-good")
    t = at("06:02:30")
    assert ("shard_failing", "number:n-bad") not in fired(rest + shard(80, 20, "n-bad", 10_000), t)  # 20 %
    assert ("shard_failing", "number:n-bad") in fired(rest + shard(79, 21, "n-bad", 10_000), t)  # 21 %


def test_every_shard_failing_is_an_outage_not_a_shard():
    everywhere = shard(70, 30, "n-a", 10_000) + shard(70, 30, "n-b", 20_000) + shard(70, 30, "n-c", 30_000)
    got = fired(everywhere, at("06:02:30"))
    assert not {rule for rule, _ in got} & {"shard_failing", "tier_delivery_issue"}


def test_one_tier_failing_above_10pct_while_the_rest_is_healthy():
    rest = ok(500, every_s=0.2)
    gold = [
        a.__class__(**{**a.__dict__, "advisor_id": f"G{a.attempt_id}"}) for a in shard(90, 10, "n1", 10_000)
    ]
    tiers = {a.advisor_id: "gold" for a in gold}
    t = at("06:02:30")
    assert ("tier_delivery_issue", "tier:gold") not in fired(rest + gold, t, tiers=tiers)  # 10 %
    gold += [
        a.__class__(**{**a.__dict__, "advisor_id": "G-extra"}) for a in bad(1, start="06:01:30", first_id=99)
    ]
    tiers["G-extra"] = "gold"
    assert ("tier_delivery_issue", "tier:gold") in fired(rest + gold, t, tiers=tiers)


def test_template_status_change_fires_from_the_tick_it_was_seen():
    obs = [
        {
            "template_name": "daily_brief_seg2",
            "language": "en",
            "status": "APPROVED",
            "observed_at": at("06:00:10"),
        },
        {
            "template_name": "daily_brief_seg2",
            "language": "en",
            "status": "PAUSED",
            "observed_at": at("06:02:00"),
        },
        {
            "template_name": "daily_brief_seg1",
            "language": "en",
            "status": "APPROVED",
            "observed_at": at("06:00:10"),
        },
    ]
    assert rules.template_changes(obs, at("06:01:50")) == []
    changes = rules.template_changes(obs, at("06:02:00"))
    assert changes == [TemplateChange("daily_brief_seg2", "en", "APPROVED", "PAUSED", at("06:02:00"))]
    got = fired(ok(100), at("06:02:00"), template_changes=changes)
    assert ("template_status_change", "template:daily_brief_seg2:en") in got


# --- names, severities, keys -----------------------------------------------------------------------------------
def test_healthy_window_fires_nothing():
    assert fired(ok(800, every_s=0.14), at("06:01:50"), targeted=800) == set()


def test_a_complete_outage_fires_each_rule_once_at_its_protocol_level():
    """Two minutes of nothing but 131000 (WhatsApp unavailable): the Sev1 rules, the page and the primary metrics,
    each once, each at the level protocol.yaml gives it."""
    down = bad(300, start="06:02:00", every_s=0.4, code=131000)
    inc, _, _ = snapshots(ok(200, every_s=0.6) + down, at("06:04:00"))
    got = [(f.rule, f.scope, f.severity) for f in rules.evaluate(inc, RuleContext(DAY, 500), P)]
    assert sorted(got) == [
        ("error_rate_above_2pct", "overall", "primary_metric"),
        ("failure_rate_2m", "overall", "immediate_page"),
        ("success_below_95_2m", "overall", "severity_1"),
        ("success_rate_below_98", "overall", "primary_metric"),
        ("whatsapp_api_unavailable", "overall", "severity_1"),
    ]
    assert all(level == P.alert_rules[rule].level for rule, _, level in got)


def test_dedup_key_is_stable_and_documented():
    assert (
        keys.alert_key(DAY, "failure_rate_2m", "overall")
        == "delivery_window:2026-11-25:failure_rate_2m:overall"
    )
    assert (
        keys.page_key(keys.incident_id(DAY, "delivery_failure"))
        == "delivery_window:2026-11-25:delivery_failure"
    )


def test_rule_names_are_the_public_ones():
    assert set(P.alert_rules) == {
        "success_rate_below_98", "processing_rate_below_target", "api_latency_p95_above_2s",
        "error_rate_above_2pct", "failure_rate_2m", "advisor_failures_1m", "latency_vs_baseline",
        "success_below_95_2m", "whatsapp_api_unavailable", "db_connection_failures", "shard_failing",
        "tier_delivery_issue", "template_status_change",
    }  # fmt: skip
