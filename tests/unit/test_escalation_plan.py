"""The ledger plan of an incident (plan.py) and incidents derived from recorded observations (derive.py)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery_window.connections import SLACK_BY_PURPOSE
from delivery_window.escalation import keys
from delivery_window.escalation.derive import SeenCheck, derive_incidents
from delivery_window.escalation.model import AlertRef, IncidentFacts
from delivery_window.escalation.plan import plan_incident, sendable
from delivery_window.protocol import get_protocol

P = get_protocol()
DAY = date(2026, 9, 1)
IST = ZoneInfo("Asia/Kolkata")
T0 = datetime(2026, 9, 1, 6, 2, tzinfo=IST)
M, S = timedelta(minutes=1), timedelta(seconds=1)
OUTAGE = AlertRef("whatsapp_api_unavailable", "overall", "severity_1", T0, "API down")


def incident(**kw) -> IncidentFacts:
    base = dict(
        incident_id=f"{DAY}:delivery_failure",
        delivery_date=DAY,
        kind="technical",
        severity="critical",
        opened_at=T0,
        runbook="delivery_failure",
        alerts=(OUTAGE,),
        complete_outage_at=T0,
    )
    base.update(kw)
    return IncidentFacts(**base)


def by_source(rows):
    out = {}
    for r in rows:
        out.setdefault(r.source, []).append(r)
    return out


def test_planning_is_deterministic_and_keys_are_unique():
    a, b = plan_incident(incident(), P, T0 + 50 * M), plan_incident(incident(), P, T0 + 50 * M)
    assert a == b
    assert len({r.dedup_key for r in a}) == len(a)
    assert all(len(r.dedup_key) <= 255 for r in a)


def test_the_alert_page_and_post_are_level_1_under_the_incidents_key():
    rows = by_source(plan_incident(incident(), P, T0))
    alert = {r.channel: r for r in rows["alerts:whatsapp_api_unavailable:overall"]}
    assert alert["pagerduty"].payload["dedup_key"] == f"delivery_window:{DAY}:delivery_failure"
    assert alert["pagerduty"].dedup_key == keys.group_message_key(
        f"{DAY}:delivery_failure", "20260901T003200Z", "pagerduty"
    )
    assert alert["slack:#delivery-war-room"].dedup_key.endswith(":critical_incidents")
    assert "chain:level_1_primary_on_call" not in rows  # no second page for the same alert


@pytest.mark.parametrize("rule", sorted(r for r in P.alert_rules if P.alert_rules[r].runbook))
def test_each_rule_of_an_incident_posts_to_the_war_room_and_its_own_channel(rule):
    level = P.alert_rules[rule].level
    f = incident(alerts=(AlertRef(rule, "overall", level, T0),), runbook=P.alert_rules[rule].runbook)
    rows = [r for r in plan_incident(f, P, T0) if r.source.startswith("alerts:")]
    channels = {r.conn_id for r in rows}
    assert "slack_war_room" in channels
    assert SLACK_BY_PURPOSE[P.alert_rules[rule].slack] in channels
    assert ("pagerduty_events" in channels) == P.alert_rules[rule].page


def test_an_unresolved_critical_incident_escalates_and_notifies_advisors_every_15_minutes():
    rows = plan_incident(incident(runbook_started_at=T0 + 5 * M), P, T0 + 50 * M)
    src = by_source(rows)
    assert [r.channel for r in src["chain:level_2_secondary_engineer"]] == [
        "pagerduty",
        "slack:#delivery-war-room",
    ]
    assert [r.channel for r in src["chain:level_4_executive"]] == ["pagerduty", "slack:#executive-alerts"]
    delays = sorted(k for k in src if k.startswith("advisor_delay:"))
    assert delays == ["advisor_delay:1", "advisor_delay:2", "advisor_delay:3", "advisor_delay:4"]
    due = [src[k][0].due_at - T0 for k in delays]
    assert due == [
        15 * M + S,
        30 * M + S,
        45 * M + S,
        60 * M + S,
    ]  # ">15 minutes", then every 15 until resolved
    first, second = (src[k][0].payload for k in delays[:2])
    assert (
        first["methods"] == ["in_app_notification", "email"]
        and first["message"] == "delivery_delay_with_eta_update"
    )
    assert datetime.fromisoformat(first["eta"]) == T0 + 20 * M  # runbook start + its 15 min estimate
    assert datetime.fromisoformat(second["eta"]) == T0 + 45 * M + S  # estimate passed: the next update
    assert {r.status for r in rows} == {"pending"}
    assert [r.source for r in sendable(rows, T0 + 15 * M)] == [
        "alerts:whatsapp_api_unavailable:overall",
        "alerts:whatsapp_api_unavailable:overall",
        "status_page:internal:degraded",
        "status_page:internal:identified",  # issue 14: the runbook started at T0 + 5 min
        "chain:level_2_secondary_engineer",
        "chain:level_2_secondary_engineer",
    ]


def test_resolution_cancels_what_was_not_due_and_resolves_pagerduty_and_the_status_page():
    rows = plan_incident(incident(resolved_at=T0 + 5 * M), P, T0 + 50 * M)
    src = by_source(rows)
    assert {r.status for r in src["chain:level_2_secondary_engineer"]} == {"cancelled"}
    assert {r.status for r in src["advisor_delay:1"]} == {"cancelled"}
    assert "advisor_delay:2" not in src  # nothing planned beyond the first after resolution
    assert {r.status for r in src["status_page:advisor_facing:degraded"]} == {"cancelled"}
    (resolve,) = src["pagerduty:resolve"]
    assert resolve.payload["action"] == "resolve"
    assert resolve.payload["dedup_key"] == f"delivery_window:{DAY}:delivery_failure"  # the incident's one key
    assert resolve.due_at == T0 + 5 * M and resolve.status == "pending"
    (page,) = src["status_page:internal:resolved"]
    assert page.payload["state"] == "resolved" and page.payload["page"] == "status.internal.projectone.ai"


def test_a_human_approval_acknowledges_the_pages():
    rows = by_source(
        plan_incident(incident(acknowledged_at=T0 + 6 * M, acknowledged_by="asha"), P, T0 + 7 * M)
    )
    (ack,) = rows["pagerduty:acknowledge"]
    assert ack.payload["action"] == "acknowledge" and "asha" in ack.reason


def test_a_non_critical_incident_keeps_out_of_the_war_room_and_does_not_page_level_1():
    f = incident(severity="major", alerts=(), complete_outage_at=None, kind="task_failure", runbook=None)
    src = by_source(plan_incident(f, P, T0))
    assert [r.channel for r in src["chain:level_1_primary_on_call"]] == ["slack:#engineering-alerts"]
    assert [r.channel for r in src["chain:level_3_engineering_manager"]] == ["pagerduty"]
    assert "status_page:internal:degraded" not in src


def test_business_steps_go_to_each_role_channel_with_phones_masked():
    f = IncidentFacts(
        incident_id=f"{DAY}:whatsapp_quality_rating_medium",
        delivery_date=DAY,
        kind="business",
        severity="major",
        opened_at=T0,
        business=(),
    )
    from delivery_window.escalation.model import BusinessMatch

    f = IncidentFacts(
        **{**f.__dict__, "business": (BusinessMatch("whatsapp_quality_rating_medium", T0, "x=RED"),)}
    )
    rows = plan_incident(f, P, T0)
    ops = sorted(r.channel for r in rows if r.target == "head_of_operations")
    assert ops == ["slack:#delivery-ops", "slack:#executive-alerts"]
    text = json.dumps([r.payload for r in rows])
    assert "******3214" in text and "9876543214" not in text
    assert {r.channel for r in rows if r.target == "head_of_marketing"} == {"slack:#executive-alerts"}


def test_a_sebi_violation_records_the_24h_deadline_and_reminds_until_the_filing():
    from delivery_window.escalation.model import BusinessMatch

    at = T0 + 4 * 60 * M
    f = IncidentFacts(
        incident_id=f"{DAY}:compliance_sebi_violation",
        delivery_date=DAY,
        kind="business",
        severity="critical",
        opened_at=at,
        business=(BusinessMatch("compliance_sebi_violation", at, "event sebi_violation_detected"),),
        compliance_at=at,
        resolved_at=at + 30 * M,  # the incident is over; the regulator still has to hear
    )
    rows = plan_incident(f, P, at)
    reg = by_source(r for r in rows if r.source.startswith("regulatory:"))
    deadline = at + 24 * 60 * M
    assert {k: {r.due_at for r in v} for k, v in reg.items()} == {
        "regulatory:sebi_deadline_recorded": {at},
        "regulatory:reminder_240m": {deadline - 240 * M},
        "regulatory:reminder_60m": {deadline - 60 * M},
        "regulatory:overdue_1": {
            deadline + S
        },  # planned ahead, pending: sent only if nothing is filed by then
    }
    assert {r.target for k, v in reg.items() if "overdue" not in k for r in v} == {
        "compliance_officer",
        "legal_counsel",
    }
    assert all(r.status == "pending" for v in reg.values() for r in v)  # not cancelled by the resolution
    assert "2026-09-02 10:02 IST" in reg["regulatory:reminder_60m"][0].reason
    cto = [r for r in rows if r.source == "chain:level_4_executive"]
    assert [r.due_at for r in cto] == [at, at]  # level 4 on a compliance incident, at once
    closed = plan_incident(IncidentFacts(**{**f.__dict__, "regulatory_closed_at": at + 60 * M}), P, at)
    statuses = {r.source: r.status for r in closed if r.source.startswith("regulatory:")}
    assert statuses == {
        "regulatory:sebi_deadline_recorded": "pending",
        "regulatory:reminder_240m": "cancelled",
        "regulatory:reminder_60m": "cancelled",
        "regulatory:overdue_1": "cancelled",
    }


def test_a_sebi_deadline_passed_unfiled_escalates_overdue_and_repeats_until_the_filing():
    """Issue 14: just after the 24 h deadline with no filing recorded, the overdue escalation goes to
    ``regulatory_overdue_targets`` (PagerDuty for a role on the policy) and repeats every
    ``regulatory_overdue_repeat_minutes``; a filing recorded between two of them cancels the later ones."""
    from delivery_window.escalation.model import BusinessMatch

    at = T0
    deadline = (
        at
        + P.external_communication.regulatory_notifications.compliance_incidents.sebi_notification_within_minutes
        * M
    )
    every = P.incident_automation.regulatory_overdue_repeat_minutes * M
    f = IncidentFacts(
        incident_id=f"{DAY}:compliance_sebi_violation",
        delivery_date=DAY,
        kind="business",
        severity="critical",
        opened_at=at,
        business=(BusinessMatch("compliance_sebi_violation", at, "event sebi_violation_detected"),),
        compliance_at=at,
    )
    as_of = deadline + every + 5 * M  # two overdue escalations are due, the third planned ahead
    rows = [r for r in plan_incident(f, P, as_of) if r.source.startswith("regulatory:overdue_")]
    by = by_source(rows)
    assert {k: {r.due_at for r in v} for k, v in by.items()} == {
        "regulatory:overdue_1": {deadline + S},
        "regulatory:overdue_2": {deadline + S + every},
        "regulatory:overdue_3": {deadline + S + 2 * every},
    }
    assert {r.target for r in by["regulatory:overdue_1"]} == set(
        P.incident_automation.regulatory_overdue_targets
    )
    assert {r.source for r in sendable(rows, as_of)} == {"regulatory:overdue_1", "regulatory:overdue_2"}
    assert "passed with no filing recorded" in by["regulatory:overdue_2"][0].reason
    filed = IncidentFacts(**{**f.__dict__, "regulatory_closed_at": deadline + every - M})
    after = {r.source: r.status for r in plan_incident(filed, P, as_of) if "overdue" in r.source}
    assert after == {"regulatory:overdue_1": "pending", "regulatory:overdue_2": "cancelled"}


def alert(rule: str, hhmm: str) -> dict:
    """An alerts row of ``rule`` (overall) first fired at ``hhmm`` IST on T0's day."""
    h, m = map(int, hhmm.split(":"))
    return {"rule": rule, "scope": "overall", "first_fired_at": T0.replace(hour=h, minute=m), "details": {}}


def test_derive_groups_alerts_into_runbook_incidents_and_finds_cross_facts():
    alerts = [
        alert("failure_rate_2m", "06:02"),
        alert("db_connection_failures", "06:03"),
        alert("latency_vs_baseline", "06:01"),
    ]
    checks = [
        SeenCheck(
            "check_sender_quality", "fail", {"numbers": [{"id": "n1", "quality_rating": "RED"}]}, T0 - 17 * M
        )
    ]
    facts = {
        f.incident_id: f for f in derive_incidents(DAY, alerts, checks, {"sla_pct": 93.0}, T0 + 5 * M, [], P)
    }
    assert set(facts) == {
        f"{DAY}:delivery_failure",
        f"{DAY}:database_emergency",
        f"{DAY}:delivery_sla_miss",
        f"{DAY}:whatsapp_quality_rating_medium",
    }
    delivery, database = facts[f"{DAY}:delivery_failure"], facts[f"{DAY}:database_emergency"]
    assert delivery.severity == "critical" and delivery.opened_at == T0
    assert delivery.multi_system_at == T0 + M  # the database incident opened at 06:03
    assert database.complete_outage_at == T0 + M  # db_connection_failures is a complete outage
    assert delivery.business_impact_at == T0 + 5 * M  # SLA < 95 is significant; quality medium is not
    assert facts[f"{DAY}:delivery_sla_miss"].severity == "major"
    assert facts[f"{DAY}:whatsapp_quality_rating_medium"].opened_at == T0 - 17 * M


def test_secondary_is_needed_for_two_systems_not_for_one_system_firing_several_paging_rules():
    """The monitor's step 5 ("page_secondary_engineer_if_needed", posts.response_steps) and level 2's multi-system
    condition (derive: another technical incident open) agree: an API outage firing three paging rules of one
    runbook is one system; a database failure beside it is a second."""
    from delivery_window.monitor import posts
    from delivery_window.monitor.metrics import Counts, Snapshot
    from delivery_window.records import Firing

    outage = [alert("whatsapp_api_unavailable", "06:02"), alert("failure_rate_2m", "06:02"),
              alert("success_below_95_2m", "06:03")]  # fmt: skip
    both = [*outage, alert("db_connection_failures", "06:04")]

    def multi(alerts):
        facts = derive_incidents(DAY, alerts, [], None, T0 + 9 * M, [], P)
        return {f.runbook: f.multi_system_at for f in facts if f.runbook}

    def needed(runbooks_open: int) -> bool:
        f = Firing("success_below_95_2m", "overall", "severity_1", T0, "s", {})
        quiet = Snapshot(T0, [], 0, 0, Counts(0, 0, 0), [], {}, {}, {})
        steps = dict(posts.response_steps(f, "delivery_failure", quiet, runbooks_open, P))
        return steps.get("page_secondary_engineer_if_needed", {}).get("state") == "needed"

    assert multi(outage) == {"delivery_failure": None} and not needed(len(multi(outage)))
    assert set(multi(both).values()) == {T0.replace(minute=4)} and needed(len(multi(both)))


def test_derive_reads_resolution_activation_and_approval_from_the_incident_row():
    row = {
        "incident_id": f"{DAY}:delivery_failure",
        "kind": "technical",
        "severity": "critical",
        "runbook": "delivery_failure",
        "opened_at": T0,
        "status": "resolved",
        "resolved_at": T0 + 9 * M,
        "timeline": [
            {"step": "runbook_activated", "at": (T0 + 5 * M).isoformat()},
            {
                "step": "approval:requeue_failed_deliveries",
                "at": (T0 + 6 * M).isoformat(),
                "decision": "approve",
                "by": None,
            },
            {"step": "approval:other", "at": (T0 + 7 * M).isoformat(), "decision": "approve", "by": "asha"},
        ],
    }
    (f,) = derive_incidents(DAY, [], [], None, None, [row], P)
    assert (f.resolved_at, f.runbook_started_at) == (T0 + 9 * M, T0 + 5 * M)
    assert (f.acknowledged_at, f.acknowledged_by) == (T0 + 7 * M, "asha")  # an automatic approval is no ack
