"""Issue 14: the status pages (Statuspage), X and their lifecycle in an incident's ledger plan (pure)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from delivery_window.connections import STATUSPAGE_ADVISOR_FACING, STATUSPAGE_INTERNAL, X_API
from delivery_window.escalation.model import AlertRef, IncidentFacts
from delivery_window.escalation.plan import plan_incident
from delivery_window.protocol import get_protocol

P = get_protocol()
DAY = date(2026, 3, 21)
T0 = datetime(2026, 3, 21, 6, 2, tzinfo=ZoneInfo("Asia/Kolkata"))
M = timedelta(minutes=1)
OUTAGE = AlertRef("whatsapp_api_unavailable", "overall", "severity_1", T0, "API down")


def rows_of(**kw):
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
    out = {}
    for r in plan_incident(IncidentFacts(**(base | kw)), P, T0 + 90 * M):
        out.setdefault(r.source, []).append(r)
    return out


def test_each_status_page_goes_through_its_own_statuspage_connection_investigating_then_identified():
    src = rows_of(runbook_started_at=T0 + 1 * M)
    (internal,) = src["status_page:internal:degraded"]
    (identified,) = src["status_page:internal:identified"]
    (advisor,) = src["status_page:advisor_facing:degraded"]
    assert (internal.conn_id, advisor.conn_id) == (STATUSPAGE_INTERNAL, STATUSPAGE_ADVISOR_FACING)
    assert internal.payload["status"] == "investigating" and internal.due_at == T0
    assert internal.payload["component_status"] == "major_outage"  # protocol.yaml channel_publishing
    assert identified.payload["status"] == "identified" and identified.due_at == T0 + M
    assert advisor.due_at == T0 + 30 * M  # service_degradation: within 30 min of the incident's start
    # the advisor page is told after the runbook started: identified when it is first told, not before
    (advisor_identified,) = src["status_page:advisor_facing:identified"]
    assert advisor_identified.due_at == advisor.due_at
    assert advisor.dedup_key < advisor_identified.dedup_key  # the same flush creates, then moves it on
    for row in (internal, identified, advisor):
        assert row.payload["body"].endswith(f"(ref {DAY}:delivery_failure)")  # how the hook finds it again
        assert row.payload["incident_key"] == f"{DAY}:delivery_failure"


def test_advisor_facing_changes_are_posted_to_x_and_internal_ones_are_not():
    src = rows_of()
    (post,) = src["x_post:advisor_facing:degraded"]
    assert (post.conn_id, post.kind, post.channel) == (X_API, "x_post", "x:@ProjectOneStatus")
    assert post.due_at == T0 + 30 * M and len(post.payload["text"]) <= 280
    assert post.payload["text"].endswith("Updates: https://status.projectone.ai")
    assert not [s for s in src if s.startswith("x_post:internal")]


def test_resolution_resolves_every_page_told_and_the_x_account_and_cancels_the_rest():
    late = rows_of(runbook_started_at=T0 + M, resolved_at=T0 + 40 * M)
    (page,) = late["status_page:advisor_facing:resolved"]
    assert (page.payload["status"], page.payload["component_status"]) == ("resolved", "operational")
    assert page.conn_id == STATUSPAGE_ADVISOR_FACING and page.due_at == T0 + 40 * M
    (post,) = late["x_post:advisor_facing:resolved"]
    assert "recovered" in post.payload["text"] and post.status == "pending"
    early = rows_of(runbook_started_at=T0 + M, resolved_at=T0 + 5 * M)
    assert {r.status for r in early["status_page:advisor_facing:degraded"]} == {"cancelled"}
    assert {r.status for r in early["x_post:advisor_facing:degraded"]} == {"cancelled"}
    assert "x_post:advisor_facing:resolved" not in early  # advisors were never told, so no "resolved" either
    assert "status_page:advisor_facing:resolved" not in early
    (internal,) = early["status_page:internal:resolved"]
    assert internal.payload["status"] == "resolved" and internal.conn_id == STATUSPAGE_INTERNAL


def test_a_non_critical_incident_tells_no_status_page_and_no_one_on_x():
    src = rows_of(severity="major")
    assert not [s for s in src if s.startswith(("status_page:", "x_post:"))]
