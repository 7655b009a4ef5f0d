"""The 06:05 SLA checkpoint and the runbook choice (pure)."""

from __future__ import annotations

from attempts_factory import DAY, at, attempts

from delivery_window.checkpoint import peak_rate_per_min, sla_checkpoint
from delivery_window.protocol import get_protocol
from delivery_window.records import AlertRecord
from delivery_window.runbooks.choice import NO_INCIDENT, choose_runbook

P = get_protocol()


def test_sla_met_at_99_and_missed_below():
    a = attempts("06:00:00", 99) + attempts("06:01:00", 1, status="failed", error_code=131026, first_id=900)
    row = sla_checkpoint(DAY, a, 100, 0, at("06:07:00"), P)
    assert (row["advisors_delivered"], row["sla_pct"], row["sla_met"], row["status"]) == (
        99,
        99.0,
        True,
        "sla_met",
    )
    row = sla_checkpoint(DAY, a, 101, 0, at("06:07:00"), P)
    assert row["sla_met"] is False and row["status"] == "sla_missed"


def test_retry_that_succeeds_counts_the_advisor_once():
    first = attempts("06:00:00", 1, status="failed", error_code=130429)
    retry = attempts("06:00:30", 1, first_id=2, advisor_prefix="x")
    retry = [r.__class__(**{**r.__dict__, "advisor_id": first[0].advisor_id}) for r in retry]
    row = sla_checkpoint(DAY, first + retry, 1, 0, at("06:07:00"), P)
    assert (row["attempts"], row["failed_attempts"], row["advisors_delivered"]) == (2, 1, 1)


def test_late_receipt_after_measurement_does_not_count():
    a = attempts("06:04:59", 1, receipt_s=600)
    assert sla_checkpoint(DAY, a, 1, 0, at("06:07:00"), P)["advisors_delivered"] == 0


def test_segments_processed_and_peak_rate():
    a = attempts("06:00:00", 10, segment=1) + attempts("06:00:00", 10, segment=3, first_id=100)
    row = sla_checkpoint(DAY, a, 20, 0, at("06:07:00"), P)
    assert (row["segments_processed"], row["segments_expected"]) == (2, 4)
    assert peak_rate_per_min([at("06:00:00"), at("06:00:59"), at("06:01:00"), at("06:01:30")]) == 3


def check(name, status):
    return {"check_name": name, "status": status}


def test_no_alerts_no_failed_checks_means_no_incident():
    d = choose_runbook([], [check("check_database_pool", "pass")], P)
    assert d.choice == NO_INCIDENT and d.candidates == ()
    assert d.reasons == ("no alert with a runbook fired and no check failed",)


def test_failed_checks_without_a_runbook_are_named_not_hidden():
    """Issue 13: the "why" line said "no check failed" on days where checks without a runbook had failed."""
    d = choose_runbook([], [check("check_redis_cache", "error"), check("check_cloudinary", "fail")], P)
    assert d.choice == NO_INCIDENT
    assert d.reasons == (
        "no alert with a runbook fired; failed checks with no runbook (day-team findings): "
        "check_redis_cache error, check_cloudinary fail",
    )


def test_delivery_alerts_choose_delivery_failure():
    d = choose_runbook([AlertRecord("whatsapp_api_unavailable", "overall", "sev1")], [], P)
    assert d.choice == "delivery_failure"
    assert any("whatsapp_api_unavailable" in r for r in d.reasons)


def test_database_comes_first_when_several_apply():
    d = choose_runbook(
        [AlertRecord("failure_rate_2m", "overall", "page")],
        [check("check_database_pool", "fail"), check("check_sender_quality", "warn")],
        P,
    )
    assert d.choice == "database_emergency"
    assert d.candidates == ("database_emergency", "delivery_failure")


def test_quality_failure_chooses_quality_recovery_and_warn_does_not():
    assert (
        choose_runbook([], [check("check_sender_quality", "fail")], P).choice == "whatsapp_quality_recovery"
    )
    assert choose_runbook([], [check("check_sender_quality", "warn")], P).choice == NO_INCIDENT


def test_unreachable_check_counts_as_failing():
    assert choose_runbook([], [check("check_database_pool", "error")], P).choice == "database_emergency"


def test_every_runbook_step_in_the_protocol_is_implemented():
    from delivery_window.runbooks.steps import STEPS, steps_of

    for name, runbook in P.runbooks.items():
        assert set(runbook.steps) <= set(STEPS), name
        assert [s for s, _ in steps_of(name, P)] == list(runbook.steps)
