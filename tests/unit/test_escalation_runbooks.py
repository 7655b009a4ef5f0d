"""Runbook choice order (all applicable runbooks, in priority order), force_runbook, and the step registry."""

from __future__ import annotations

import pytest

from delivery_window.protocol import get_protocol
from delivery_window.records import AlertRecord
from delivery_window.runbooks.choice import NO_INCIDENT, choose_runbook, forced
from delivery_window.runbooks.steps import STEPS, steps_of, verify_of

P = get_protocol()


def check(name, status):
    return {"check_name": name, "status": status}


@pytest.mark.parametrize(
    ("alerts", "checks", "expected"),
    [
        ([], [], (NO_INCIDENT,)),
        (
            [AlertRecord("latency_vs_baseline", "overall", "warning_monitor")],
            [],
            (NO_INCIDENT,),
        ),  # no runbook
        ([AlertRecord("failure_rate_2m", "overall", "immediate_page")], [], ("delivery_failure",)),
        ([AlertRecord("shard_failing", "number:1", "severity_2")], [], ("whatsapp_quality_recovery",)),
        (
            [AlertRecord("failure_rate_2m", "overall", "immediate_page")],
            [check("check_sender_quality", "fail"), check("check_database_pool", "error")],
            ("database_emergency", "delivery_failure", "whatsapp_quality_recovery"),
        ),
        ([AlertRecord("db_connection_failures", "overall", "severity_1")], [], ("database_emergency",)),
    ],
)
def test_every_applicable_runbook_runs_in_priority_order(alerts, checks, expected):
    d = choose_runbook(alerts, checks, P)
    assert (d.candidates or (d.choice,)) == expected
    assert d.choice == expected[0]


def test_force_runbook_runs_that_one_alone_and_keeps_the_reasons():
    d = forced(
        choose_runbook([AlertRecord("failure_rate_2m", "overall", "immediate_page")], [], P),
        "ai_service_fallback",
        P,
    )
    assert (d.choice, d.candidates) == ("ai_service_fallback", ("ai_service_fallback",))
    assert "forced" in d.reasons[0] and any("failure_rate_2m" in r for r in d.reasons)
    with pytest.raises(ValueError, match="not a runbook"):
        forced(d, "make_coffee", P)


def test_every_runbook_names_existing_steps_a_verify_and_approvals_among_its_steps():
    for name, spec in P.runbooks.items():
        assert [s for s, _ in steps_of(name, P)] == list(spec.steps)
        assert verify_of(name, P)[0] == spec.verify and spec.verify.startswith("verify_")
        assert set(spec.requires_approval) <= set(spec.steps)
        assert STEPS[spec.verify].__doc__
    assert P.runbooks["database_emergency"].approval_default == "reject"  # never fail over unattended
