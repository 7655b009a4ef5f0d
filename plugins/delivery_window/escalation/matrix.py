"""The business escalation matrix (protocol.yaml ``business_escalation``) as pure, table-driven functions.

``match_rows`` says which rows apply to recorded observations (the day's SLA, the quality ratings seen on the
sender numbers, named events); ``business_steps`` turns the rows of one business incident into steps: every
target of every step, due ``delay_minutes`` after the condition was first seen. When two rows of one incident
name the same target for the same action (an SLA below 90 % is also below 95 %: the CTO is "immediate" in one
and "within 4 hours" in the other), the earliest step stands and the later one is dropped as superseded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from delivery_window.escalation.model import BusinessMatch, Step
from delivery_window.protocol import BusinessRow, Protocol


@dataclass(frozen=True)
class BusinessObservations:
    """What the matrix judges: the day's SLA, quality ratings per sender number, named events."""

    sla_pct: float | None = None
    sla_at: datetime | None = None
    quality: tuple[tuple[str, str, datetime], ...] = ()  # (phone_number_id, rating, seen_at)
    events: tuple[tuple[str, datetime], ...] = ()  # (event, seen_at), e.g. sebi_violation_detected


def row_applies(row: BusinessRow, obs: BusinessObservations) -> tuple[datetime, str] | None:
    """(first seen, what was seen) when ``row``'s threshold is met by ``obs``, else None."""
    th = row.threshold
    if th.delivery_rate_below_pct is not None:
        if obs.sla_pct is not None and obs.sla_at is not None and obs.sla_pct < th.delivery_rate_below_pct:
            return obs.sla_at, f"delivery rate {obs.sla_pct:.2f}% < {th.delivery_rate_below_pct}%"
        return None
    if th.quality_ratings is not None:
        hits = sorted(
            (at, number, rating) for number, rating, at in obs.quality if rating in th.quality_ratings
        )
        if hits:
            return hits[0][0], "quality " + ", ".join(f"{n}={r}" for _, n, r in hits)
        return None
    seen = sorted(at for event, at in obs.events if event == th.event)
    return (seen[0], f"event {th.event}") if seen else None


def match_rows(obs: BusinessObservations, protocol: Protocol) -> list[BusinessMatch]:
    """Every business_escalation row that applies, in protocol.yaml order."""
    out = []
    for key, row in protocol.business_escalation.items():
        hit = row_applies(row, obs)
        if hit is not None:
            out.append(BusinessMatch(row=key, seen_at=hit[0], observed=hit[1]))
    return out


def incident_key(row_key: str, protocol: Protocol) -> str:
    """The business incident a row belongs to: the tiers of one delivery-rate condition share one incident."""
    row = protocol.business_escalation[row_key]
    return row.condition if row.threshold.delivery_rate_below_pct is not None else row_key


def severity_of(rows: Iterable[str], protocol: Protocol) -> str:
    """critical when any row is one the protocol answers with an immediate executive (CTO/CEO/legal), else major."""
    executives = {"cto", "ceo", "legal_counsel"}
    for key in rows:
        if executives & set(protocol.business_escalation[key].steps[0].targets):
            return "critical"
    return "major"


def business_steps(matches: Iterable[BusinessMatch], protocol: Protocol) -> list[Step]:
    """Steps of one business incident, earliest first; a later duplicate (target, action) is superseded."""
    candidates = []
    for m in matches:
        row = protocol.business_escalation[m.row]
        for index, step in enumerate(row.steps):
            when = "immediate" if step.delay_minutes == 0 else f"within {step.delay_minutes} min"
            for target in step.targets:
                candidates.append(
                    Step(
                        source=f"business:{m.row}:{index}",
                        target=target,
                        due_at=m.seen_at + timedelta(minutes=step.delay_minutes),
                        action=step.action,
                        reason=f"{m.row} ({m.observed}): {when}",
                    )
                )
    kept: dict[tuple[str, str], Step] = {}
    for s in sorted(candidates, key=lambda s: (s.due_at, s.source, s.target)):
        kept.setdefault((s.target, s.action), s)
    return sorted(kept.values(), key=lambda s: (s.due_at, s.source, s.target))
