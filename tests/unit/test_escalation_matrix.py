"""The business escalation matrix, table-driven: every row of the protocol's matrix, at and around its thresholds
and delays. Expected targets and delays are copied from the protocol document, not from protocol.yaml."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery_window.escalation.derive import SeenCheck
from delivery_window.escalation.matrix import (
    BusinessObservations,
    business_steps,
    incident_key,
    match_rows,
    severity_of,
)
from delivery_window.protocol import get_protocol

P = get_protocol()
T = datetime(2026, 9, 3, 6, 7, tzinfo=ZoneInfo("Asia/Kolkata"))
M = timedelta(minutes=1)

# observations -> expected {(target, action): delay}
CASES = [
    ("SLA 95.0 % (not below 95)", BusinessObservations(sla_pct=95.0, sla_at=T), {}),
    (
        "SLA 94.99 %",
        BusinessObservations(sla_pct=94.99, sla_at=T),
        {
            ("engineering_manager", "notify"): 0 * M,
            ("head_of_product", "notify"): 60 * M,
            ("cto", "notify"): 240 * M,
        },
    ),
    (
        "SLA 90.0 % (not below 90)",
        BusinessObservations(sla_pct=90.0, sla_at=T),
        {
            ("engineering_manager", "notify"): 0 * M,
            ("head_of_product", "notify"): 60 * M,
            ("cto", "notify"): 240 * M,
        },
    ),
    (
        "SLA 88 %: both tiers, the CTO once (immediate)",
        BusinessObservations(sla_pct=88.0, sla_at=T),
        {
            ("engineering_manager", "notify"): 0 * M,
            ("cto", "notify"): 0 * M,
            ("ceo", "notify"): 30 * M,
            ("board", "board_notification"): 60 * M,
            ("head_of_product", "notify"): 60 * M,
        },
    ),
    (
        "SEBI violation",
        BusinessObservations(events=(("sebi_violation_detected", T),)),
        {
            ("legal_counsel", "notify"): 0 * M,
            ("compliance_officer", "notify"): 0 * M,
            ("ceo", "notify"): 15 * M,
            ("external_legal", "external_legal_consultation"): 60 * M,
        },
    ),
    (
        "quality YELLOW (medium)",
        BusinessObservations(quality=(("1065550102", "YELLOW", T),)),
        {
            ("head_of_operations", "notify"): 0 * M,
            ("cto", "notify"): 120 * M,
            ("head_of_marketing", "notify"): 120 * M,
        },
    ),
    (
        "quality RED",
        BusinessObservations(quality=(("1065550102", "RED", T), ("1065550103", "GREEN", T))),
        {
            ("head_of_operations", "notify"): 0 * M,
            ("cto", "notify"): 120 * M,
            ("head_of_marketing", "notify"): 120 * M,
        },
    ),
    ("quality GREEN", BusinessObservations(quality=(("1065550102", "GREEN", T),)), {}),
    (
        "account suspended",
        BusinessObservations(events=(("account_suspended", T),)),
        {
            ("cto", "notify"): 0 * M,
            ("ceo", "notify"): 0 * M,
            ("cto", "emergency_business_continuity_meeting"): 30 * M,
            ("ceo", "emergency_business_continuity_meeting"): 30 * M,
        },
    ),
    ("an unknown event", BusinessObservations(events=(("cosmic_rays", T),)), {}),
    ("nothing observed", BusinessObservations(), {}),
]


@pytest.mark.parametrize(("name", "obs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_matrix_targets_and_delays(name, obs, expected):
    by_incident: dict[str, list] = {}
    for m in match_rows(obs, P):
        by_incident.setdefault(incident_key(m.row, P), []).append(m)
    got = {}
    for matches in by_incident.values():
        for s in business_steps(matches, P):
            assert (s.target, s.action) not in got
            got[(s.target, s.action)] = s.due_at - T
    assert got == expected


@pytest.mark.parametrize(("name", "obs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_follow_up_sends_each_target_at_its_delay_and_not_a_second_before(name, obs, expected):
    from delivery_window.escalation.derive import derive_incidents
    from delivery_window.escalation.plan import plan_incident, sendable

    events = (
        [
            {
                "incident_id": "x",
                "kind": "business",
                "status": "open",
                "opened_at": T,
                "timeline": [{"step": f"event:{e}", "at": at.isoformat()} for e, at in obs.events],
            }
        ]
        if obs.events
        else []
    )
    checks = [
        SeenCheck("check_sender_quality", "fail", {"numbers": [{"id": n, "quality_rating": r}]}, at)
        for n, r, at in obs.quality
    ]
    facts = [
        f
        for f in derive_incidents(
            T.date(), [], checks, {"sla_pct": obs.sla_pct} if obs.sla_pct else None, obs.sla_at, events, P
        )
        if f.kind == "business"
    ]
    rows = [r for f in facts for r in plan_incident(f, P, T) if r.source.startswith("business:")]
    for delay in sorted(set(expected.values())):
        before = {(r.target, r.action) for r in sendable(rows, T + delay - timedelta(seconds=1))}
        at = {(r.target, r.action) for r in sendable(rows, T + delay)}
        assert before == {k for k, d in expected.items() if d < delay}, delay
        assert at == {k for k, d in expected.items() if d <= delay}, delay


def test_the_earliest_sighting_of_a_quality_drop_counts():
    later = T + 10 * M
    obs = BusinessObservations(quality=(("1065550102", "YELLOW", later), ("1065550104", "RED", T)))
    (m,) = match_rows(obs, P)
    assert m.seen_at == T and "1065550104=RED" in m.observed


def test_tiers_of_the_delivery_rate_share_one_incident_and_severity_follows_the_immediate_target():
    assert incident_key("delivery_sla_miss_below_95", P) == incident_key("delivery_sla_miss_below_90", P)
    assert incident_key("compliance_sebi_violation", P) == "compliance_sebi_violation"
    assert severity_of(["delivery_sla_miss_below_95"], P) == "major"
    assert severity_of(["delivery_sla_miss_below_95", "delivery_sla_miss_below_90"], P) == "critical"
    assert severity_of(["whatsapp_quality_rating_medium"], P) == "major"
    assert severity_of(["compliance_sebi_violation"], P) == "critical"
    assert severity_of(["whatsapp_account_suspended"], P) == "critical"


def test_significant_business_impact_names_matrix_rows():
    assert set(P.incident_automation.significant_business_impact) <= set(P.business_escalation)
