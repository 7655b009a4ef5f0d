"""Sev-1 step 1 read back from PagerDuty, and step 5 when nobody acknowledged (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from delivery_window.escalation.acks import ack_deadline, secondary_role, verdict
from delivery_window.escalation.chain import chain_steps
from delivery_window.escalation.model import TECHNICAL, IncidentFacts
from delivery_window.protocol import get_protocol

pytestmark = pytest.mark.unit

PAGED = datetime(2026, 9, 6, 0, 32, 10, tzinfo=UTC)
P = get_protocol()


def incident(acked_after: float | None) -> dict:
    created = datetime(2026, 12, 7, 4, 0, 0, tzinfo=UTC)  # PagerDuty's own clock (a replay runs days later)
    acks = (
        [{"at": (created + timedelta(seconds=acked_after)).strftime("%Y-%m-%dT%H:%M:%SZ"),
          "acknowledger": {"summary": "Asha Rao"}}]
        if acked_after is not None else []
    )  # fmt: skip
    return {"created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "acknowledgements": acks}


def test_the_deadline_and_the_secondary_come_from_the_protocol():
    assert ack_deadline(P) == timedelta(minutes=1)
    assert secondary_role(P) == "secondary_engineer"


def test_an_acknowledgement_is_timed_on_pagerdutys_clock_and_placed_after_the_page():
    v = verdict(PAGED, incident(42), PAGED + timedelta(seconds=5), ack_deadline(P))
    assert v.state == "acknowledged" and v.seconds == 42.0 and v.by == "Asha Rao"
    assert v.at == PAGED + timedelta(seconds=42)


def test_no_acknowledgement_is_waiting_until_the_minute_then_a_breach_at_the_deadline():
    assert verdict(PAGED, incident(None), PAGED + timedelta(seconds=59), ack_deadline(P)).state == "waiting"
    late = verdict(PAGED, incident(None), PAGED + timedelta(seconds=61), ack_deadline(P))
    assert late.state == "breach" and late.at == PAGED + timedelta(minutes=1)
    assert (
        verdict(PAGED, None, PAGED + timedelta(minutes=5), ack_deadline(P)).state == "breach"
    )  # never arrived


def test_a_breach_pages_the_secondary_at_once_instead_of_after_15_minutes():
    facts = IncidentFacts("2026-09-06:delivery_failure", PAGED.date(), TECHNICAL, "critical", PAGED)
    level_2 = next(s for s in chain_steps(facts, P) if s.target == "secondary_engineer")
    assert level_2.due_at == PAGED + timedelta(minutes=15)
    breached = IncidentFacts(
        facts.incident_id,
        facts.delivery_date,
        TECHNICAL,
        "critical",
        PAGED,
        ack_breach_at=PAGED + timedelta(minutes=1),
    )
    level_2 = next(s for s in chain_steps(breached, P) if s.target == "secondary_engineer")
    assert level_2.due_at == PAGED + timedelta(minutes=1) and "not acknowledged" in level_2.reason


def test_pagerduty_unreadable_is_not_a_breach(monkeypatch):
    """A PagerDuty that cannot be read says nothing about the on-call: asked again later, no breach recorded."""
    from delivery_window import store
    from delivery_window.escalation import engine

    events = []
    monkeypatch.setattr(
        store, "escalation_incidents", lambda conn, day: [{"incident_id": "i", "timeline": []}]
    )
    monkeypatch.setattr(store, "add_incident_event", lambda *a, **k: events.append(a[2]))
    monkeypatch.setattr(
        store,
        "execute",
        lambda conn, name, params=None: [
            {"incident_id": "i", "page_key": "delivery_window:i", "paged_at": PAGED - timedelta(minutes=5)}
        ],
    )

    class Conn:
        def commit(self):
            pass

    def down(key):
        raise ConnectionError("pagerduty_api: connection refused")

    assert engine.track_acknowledgements(Conn(), PAGED.date(), PAGED, P, read=down) == []
    assert events == []
    assert engine.track_acknowledgements(Conn(), PAGED.date(), PAGED, P, read=lambda key: None) == ["i"]
    assert events == ["ack_breach"]  # PagerDuty answered and has no acknowledgement: that is a breach
