"""The engineering escalation chain, table-driven: every level, each trigger, at and around every boundary.

The expected tables are written from the protocol document (docs/protocol/oncall-protocol.md, "Engineering
Escalation Chain"), not from protocol.yaml, so a wrong number in the yaml makes them fail.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery_window.escalation.chain import chain_steps, time_trigger
from delivery_window.escalation.model import IncidentFacts
from delivery_window.protocol import get_protocol

P = get_protocol()
DAY = date(2026, 9, 1)
T0 = datetime(2026, 9, 1, 6, 2, tzinfo=ZoneInfo("Asia/Kolkata"))
M, S = timedelta(minutes=1), timedelta(seconds=1)
ROLE = {1: "primary_engineer", 2: "secondary_engineer", 3: "engineering_manager", 4: "cto"}


def facts(**kw) -> IncidentFacts:
    base = dict(
        incident_id=f"{DAY}:delivery_failure", delivery_date=DAY, kind="technical", severity="critical"
    )
    base.update(opened_at=T0, runbook="delivery_failure")
    base.update(kw)
    return IncidentFacts(**base)


# name, facts, expected {level: due offset from T0}
CASES = [
    (
        "critical, complete outage from T0",
        dict(complete_outage_at=T0),
        {1: 0 * M, 2: 15 * M, 3: 30 * M + S, 4: 60 * M + S},
    ),
    ("critical, no outage", {}, {1: 0 * M, 2: 15 * M, 3: 30 * M + S}),
    ("major: no 15-min level 2", dict(severity="major"), {1: 0 * M, 3: 30 * M + S}),
    ("minor: level 3 after 30 min", dict(severity="minor"), {1: 0 * M, 3: 30 * M + S}),
    (
        "major, multi-system at +5",
        dict(severity="major", multi_system_at=T0 + 5 * M),
        {1: 0 * M, 2: 5 * M, 3: 30 * M + S},
    ),
    (
        "critical, multi-system at +20",
        dict(multi_system_at=T0 + 20 * M),
        {1: 0 * M, 2: 15 * M, 3: 30 * M + S},
    ),
    ("critical, business impact at +7", dict(business_impact_at=T0 + 7 * M), {1: 0 * M, 2: 15 * M, 3: 7 * M}),
    (
        "critical, outage from +3",
        dict(complete_outage_at=T0 + 3 * M),
        {1: 0 * M, 2: 15 * M, 3: 30 * M + S, 4: 63 * M + S},
    ),
    (
        "condition after resolution",
        dict(resolved_at=T0 + 4 * M, multi_system_at=T0 + 5 * M),
        {1: 0 * M, 2: 15 * M, 3: 30 * M + S},
    ),
    ("critical task failure", dict(kind="task_failure", runbook=None), {1: 0 * M, 2: 15 * M, 3: 30 * M + S}),
    ("business: compliance → CTO at once", dict(kind="business", runbook=None, compliance_at=T0), {4: 0 * M}),
    ("business without compliance", dict(kind="business", runbook=None), {}),
]


@pytest.mark.parametrize(("name", "kw", "expected"), CASES, ids=[c[0] for c in CASES])
def test_chain_levels_and_due_times(name, kw, expected):
    steps = chain_steps(facts(**kw), P)
    assert {s.level: s.due_at - T0 for s in steps} == expected
    assert all(s.target == ROLE[s.level] for s in steps)
    assert all(s.source.startswith(f"chain:level_{s.level}_") for s in steps)


@pytest.mark.parametrize(("name", "kw", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_step_is_due_at_its_boundary_and_not_a_second_before(name, kw, expected):
    for s in chain_steps(facts(**kw), P):
        for as_of, due in ((s.due_at - S, False), (s.due_at, True), (s.due_at + S, True)):
            assert (s.due_at <= as_of) is due, (s.level, as_of)


@pytest.mark.parametrize(
    ("elapsed", "engaged"),
    [
        (14 * M + 59 * S, {1}),
        (15 * M, {1, 2}),
        (30 * M, {1, 2}),  # "incident_duration >30_minutes": not at 30:00
        (30 * M + S, {1, 2, 3}),
        (60 * M, {1, 2, 3}),  # "complete_service_outage >1_hour": not at 60:00
        (60 * M + S, {1, 2, 3, 4}),
    ],
)
def test_levels_engaged_around_the_15_30_60_minute_marks(elapsed, engaged):
    steps = chain_steps(facts(complete_outage_at=T0), P)
    assert {s.level for s in steps if s.due_at <= T0 + elapsed} == engaged


def test_the_yaml_numbers_are_the_protocols_and_each_level_has_its_time_trigger():
    levels = list(P.escalation_levels.values())
    assert [(lv.level, lv.role, lv.engage_after_minutes) for lv in levels] == [
        (1, "primary_engineer", 0),
        (2, "secondary_engineer", 15),
        (3, "engineering_manager", 30),
        (4, "cto", 60),
    ]
    assert time_trigger(0, P) is None
    for index in (1, 2, 3):  # engage_after_minutes is the trigger's own number
        assert time_trigger(index, P).after_minutes == levels[index].engage_after_minutes
    assert [time_trigger(i, P).strictly_after for i in (1, 2, 3)] == [False, True, True]


def test_every_condition_the_yaml_names_is_known_to_the_engine():
    from delivery_window.escalation.chain import CONDITION_FACTS, DURATION_STARTS

    for level in P.escalation_levels.values():
        assert set(level.escalation_trigger.conditions) <= set(CONDITION_FACTS)
        if level.escalation_trigger.duration_of:
            assert level.escalation_trigger.duration_of in DURATION_STARTS
