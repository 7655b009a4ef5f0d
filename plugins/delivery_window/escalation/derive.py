"""Incidents as facts, derived from what the day recorded (pure): alerts, checks, the SLA row, incident rows.

* **technical** ``<date>:<runbook>``: every alert whose rule names a runbook joins that runbook's incident
  (opened at its first alert); a runbook started for a failing check opens it too. Severity: the worst alert
  level (immediate_page/severity_1 → critical, severity_2/urgent_investigate → major, the rest → minor), major
  when it has no alert. Resolved when the runbook's success criterion held (the incident row says so).
* **task_failure** ``<date>:task:<task_id>``: written by the failure callback (critical in the groups of
  ``incident_automation.critical_task_groups``, else major).
* **business** ``<date>:<row or condition>``: the business_escalation rows that apply to the SLA row, the quality
  ratings the checks saw and recorded events; the tiers of the delivery-rate condition share one incident.
  A business incident is resolved when every step went out (engine.close_completed_business_incidents; a
  compliance incident also needs its SEBI filing recorded), or by hand (the day's SLA does not change).

Cross facts: another technical or task-failure incident open at the same time → multi-system; a business
condition in ``incident_automation.significant_business_impact`` seen while open → business impact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from delivery_window.escalation import keys
from delivery_window.escalation.matrix import BusinessObservations, incident_key, match_rows, severity_of
from delivery_window.escalation.model import (
    BUSINESS,
    LEVEL_SEVERITY,
    TASK_FAILURE,
    TECHNICAL,
    AlertRef,
    IncidentFacts,
    worst,
)
from delivery_window.protocol import Protocol


@dataclass(frozen=True)
class SeenCheck:
    """A recorded check verdict and the instant it counts as seen (see clock.observed_at)."""

    check_name: str
    status: str
    observed: Mapping[str, Any]
    seen_at: datetime


def _timeline(row: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return list((row or {}).get("timeline") or [])


def _at(entry: Mapping[str, Any]) -> datetime:
    value = entry["at"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _first(row: Mapping[str, Any] | None, prefix: str) -> dict[str, Any] | None:
    hits = [e for e in _timeline(row) if str(e.get("step", "")).startswith(prefix)]
    return min(hits, key=_at) if hits else None


def _resolved(row: Mapping[str, Any] | None) -> datetime | None:
    if row and row.get("status") == "resolved" and row.get("resolved_at"):
        return row["resolved_at"]
    return None


def kind_of(row: Mapping[str, Any], protocol: Protocol) -> str:
    """An incident row's kind (rows written before migration 0005 have none: a runbook means technical)."""
    if row.get("kind"):
        return row["kind"]
    return TECHNICAL if row.get("runbook") in protocol.runbooks else BUSINESS


def business_observations(
    checks: Iterable[SeenCheck],
    window_run: Mapping[str, Any] | None,
    sla_at: datetime | None,
    incident_rows: Iterable[Mapping[str, Any]],
) -> BusinessObservations:
    """The matrix's inputs from the records: SLA, quality ratings per number, ``event:<name>`` timeline entries."""
    quality = []
    for c in checks:
        for n in (c.observed or {}).get("numbers") or []:
            if isinstance(n, Mapping) and n.get("quality_rating"):
                quality.append((str(n.get("id")), str(n["quality_rating"]), c.seen_at))
    events = [
        (str(e["step"]).split(":", 1)[1], _at(e))
        for row in incident_rows
        for e in _timeline(row)
        if str(e.get("step", "")).startswith("event:")
    ]
    sla = window_run.get("sla_pct") if window_run else None
    return BusinessObservations(
        sla_pct=float(sla) if sla is not None else None,
        sla_at=sla_at if sla is not None else None,
        quality=tuple(sorted(quality)),
        events=tuple(sorted(events)),
    )


def derive_incidents(
    day: date,
    alerts: Iterable[Mapping[str, Any]],
    checks: Iterable[SeenCheck],
    window_run: Mapping[str, Any] | None,
    sla_at: datetime | None,
    incident_rows: Iterable[Mapping[str, Any]],
    protocol: Protocol,
) -> list[IncidentFacts]:
    """Every incident of ``day`` with its facts (see the module docstring), in id order."""
    rows = {r["incident_id"]: r for r in incident_rows}
    checks = list(checks)
    auto = protocol.incident_automation
    facts: dict[str, IncidentFacts] = {}

    # technical: alerts grouped by runbook, plus runbook incidents opened without an alert
    grouped: dict[str, list[AlertRef]] = {}
    for a in alerts:
        rule = protocol.alert_rules.get(a["rule"])
        if rule is None or rule.runbook is None:
            continue
        details = a.get("details") or {}
        grouped.setdefault(keys.incident_id(day, rule.runbook), []).append(
            AlertRef(a["rule"], a["scope"], rule.level, a["first_fired_at"], str(details.get("summary", "")))
        )
    for row in rows.values():
        if kind_of(row, protocol) == TECHNICAL:
            grouped.setdefault(row["incident_id"], [])
    for incident_id, refs in grouped.items():
        row = rows.get(incident_id)
        runbook = (row or {}).get("runbook") or incident_id.split(":", 1)[1]
        times = [r.first_fired_at for r in refs] + ([row["opened_at"]] if row else [])
        started = _first(row, "runbook_activated")
        ack = next(
            (
                e
                for e in sorted(_timeline(row), key=_at)
                if str(e.get("step", "")).startswith("approval:")
                and e.get("decision") == "approve"
                and e.get("by")
            ),
            None,
        )
        outage = [r.first_fired_at for r in refs if r.rule in auto.complete_outage_rules]
        facts[incident_id] = IncidentFacts(
            incident_id=incident_id,
            delivery_date=day,
            kind=TECHNICAL,
            severity=worst(*(LEVEL_SEVERITY.get(r.level) for r in refs), (row or {}).get("severity"))
            if refs
            else worst((row or {}).get("severity"), "major"),
            opened_at=min(times),
            resolved_at=_resolved(row),
            runbook=runbook if runbook in protocol.runbooks else None,
            runbook_started_at=_at(started) if started else None,
            alerts=tuple(sorted(refs, key=lambda r: (r.first_fired_at, r.rule, r.scope))),
            complete_outage_at=min(outage) if outage else None,
            acknowledged_at=_at(ack) if ack else None,
            acknowledged_by=ack.get("by") if ack else None,
            pagerduty_ack_at=_at(pd_ack) if (pd_ack := _first(row, "pagerduty_acknowledged")) else None,
            ack_breach_at=_at(breach) if (breach := _first(row, "ack_breach")) else None,
        )

    # task failures: recorded by the failure callback
    for row in rows.values():
        if kind_of(row, protocol) != TASK_FAILURE:
            continue
        failed = _first(row, "task_failed:")
        facts[row["incident_id"]] = IncidentFacts(
            incident_id=row["incident_id"],
            delivery_date=day,
            kind=TASK_FAILURE,
            severity=worst(row.get("severity")),
            opened_at=row["opened_at"],
            resolved_at=_resolved(row),
            task_id=str(failed["step"]).split(":", 1)[1] if failed else None,
            error=(failed or {}).get("error"),
        )

    # business: the matrix over the recorded observations
    obs = business_observations(checks, window_run, sla_at, rows.values())
    by_incident: dict[str, list] = {}
    for m in match_rows(obs, protocol):
        by_incident.setdefault(keys.incident_id(day, incident_key(m.row, protocol)), []).append(m)
    for incident_id, matches in by_incident.items():
        row = rows.get(incident_id)
        compliance = [
            m.seen_at
            for m in matches
            if protocol.business_escalation[m.row].condition == "compliance_incident"
        ]
        closed = _first(row, "regulatory_closed")
        facts[incident_id] = IncidentFacts(
            incident_id=incident_id,
            delivery_date=day,
            kind=BUSINESS,
            severity=severity_of([m.row for m in matches], protocol),
            opened_at=min(m.seen_at for m in matches),
            resolved_at=_resolved(row),
            business=tuple(matches),
            compliance_at=min(compliance) if compliance else None,
            regulatory_closed_at=_at(closed) if closed else None,
        )

    # cross facts
    engineering = [f for f in facts.values() if f.kind in (TECHNICAL, TASK_FAILURE)]
    significant = [
        f
        for f in facts.values()
        if f.kind == BUSINESS and any(m.row in auto.significant_business_impact for m in f.business)
    ]
    for f in engineering:
        overlaps = [
            max(f.opened_at, g.opened_at)
            for g in engineering
            if g.incident_id != f.incident_id
            and f.open_at(max(f.opened_at, g.opened_at))
            and g.open_at(max(f.opened_at, g.opened_at))
        ]
        impact = [
            max(f.opened_at, b.opened_at) for b in significant if f.open_at(max(f.opened_at, b.opened_at))
        ]
        facts[f.incident_id] = replace(
            f,
            multi_system_at=min(overlaps) if overlaps else None,
            business_impact_at=min(impact) if impact else None,
        )
    return [facts[k] for k in sorted(facts)]
