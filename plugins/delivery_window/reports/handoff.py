"""06:30 handoff to the day team (protocol ``shift_handoff``): the handoff_log sections, built from records (pure).

The four required sections (incidents, performance_notes, advisor_issues, infrastructure_changes) plus the
briefing's previous-24-hours incident log, the pending issues (the day's findings sorted by the remediation
priorities), the upcoming maintenance or changes (silences and planned changes), the current system health
overview and the special instructions or known issues (notes); ``incoming_engineer_briefing`` lists the five
briefing items in the protocol's order with the section of each (issue 14). Content holds no wall-clock value of the run, so a rerun writes identical rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window.protocol import Protocol
from delivery_window.reports.findings import Finding, by_priority

ADVISORS_LISTED = 100  # the handoff lists this many advisors by id; the counts cover all of them


def _ist(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def incident_entry(i: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """An incident as the handoff shows it: what, how bad, which runbook, the steps taken."""
    return {
        "incident_id": i["incident_id"],
        "severity": i["severity"],
        "runbook": i["runbook"],
        "status": i["status"],
        "opened_at": _ist(i["opened_at"], tz),
        "resolved_at": _ist(i.get("resolved_at"), tz),
        "steps": [
            {k: e[k] for k in ("step", "outcome", "status") if k in e} for e in (i.get("timeline") or [])
        ],
    }


def build_sections(
    *,
    summary: dict[str, Any],
    incidents: Sequence[dict[str, Any]],
    advisor_summary: dict[str, Any],
    runbook_steps: Sequence[dict[str, Any]],
    incident_log: Sequence[dict[str, Any]],
    alert_log: Sequence[dict[str, Any]],
    since: datetime,
    until: datetime,
    open_incidents: Sequence[dict[str, Any]],
    findings: Sequence[Finding],
    protocol: Protocol,
    tz: ZoneInfo,
    maintenance: Sequence[dict[str, Any]] = (),
    planned_changes: Sequence[dict[str, Any]] = (),
    notes: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Section name -> content, in the protocol's order (required sections, then the briefing sections), then
    ``incoming_engineer_briefing``: the briefing's five items in the protocol's order, each naming its section."""
    sections: dict[str, Any] = {
        "incidents": {
            "alerts": summary["alerts"],
            "incidents": [incident_entry(i, tz) for i in incidents],
            "runbook": summary["runbook"],
            "runbook_reasons": summary["runbook_reasons"],
        },
        "performance_notes": {
            k: summary.get(k)
            for k in (
                "sla_pct",
                "sla_target_pct",
                "sla_met",
                "advisors_delivered",
                "advisors_targeted",
                "attempts",
                "failed_attempts",
                "error_rate_pct",
                "p95_latency_ms",
                "peak_rate_per_min",
                "segments",
                "trend",
                "receipts",
                "engagement",
            )
        },
        "advisor_issues": {
            **{k: advisor_summary[k] for k in ("count", "retryable", "by_class", "by_segment")},
            "advisors": advisor_summary["advisors"][:ADVISORS_LISTED],
            "listed": min(ADVISORS_LISTED, advisor_summary["count"]),
        },
        "infrastructure_changes": {
            "runbook_steps": [
                {"runbook": s["runbook"], "step": s["step"], "outcome": s["outcome"]} for s in runbook_steps
            ],
            "failed_checks": summary["failed_checks"],
        },
        "previous_24h_incident_log": {
            "since": _ist(since, tz),
            "until": _ist(until, tz),
            "incidents": [incident_entry(i, tz) for i in incident_log],
            "alerts": [
                {
                    "delivery_date": str(a["delivery_date"]),
                    "rule": a["rule"],
                    "scope": a["scope"],
                    "severity": a["severity"],
                    "first_fired_at": _ist(a["first_fired_at"], tz),
                }
                for a in alert_log
            ],
        },
        "pending_issues": {
            # a list, so the order survives jsonb (which reorders object keys)
            "findings": [f.as_dict() for f in findings],
            "counts": {bucket: len(items) for bucket, items in by_priority(findings).items()},
            "open_incidents": [i["incident_id"] for i in open_incidents],
        },
        # the briefing's "upcoming_scheduled_maintenance_or_changes": silences active at the handoff or
        # starting within a day of it (``delivery-window silence add``)
        "upcoming_scheduled_maintenance_or_changes": {
            "silences": list(maintenance),
            "planned_changes": list(planned_changes),  # issue 14: delivery-window change add
        },
        # issue 14: the briefing's "current system health status overview" and "special instructions or known
        # issues" (delivery-window note add)
        "current_system_health_status_overview": health_overview(summary, open_incidents),
        "special_instructions_or_known_issues": {"notes": list(notes)},
    }
    expected = (
        *protocol.shift_handoff.handoff_documentation.required_sections,
        *protocol.shift_handoff.handoff_documentation.briefing_sections,
    )
    missing = [s for s in expected if s not in sections]
    if missing:  # protocol.yaml names a section this code does not build
        raise ValueError(f"handoff sections not built: {', '.join(missing)}")
    out = {name: sections[name] for name in expected}
    mapped = protocol.shift_handoff.handoff_documentation.briefing_item_sections
    if mapped:
        out["incoming_engineer_briefing"] = {
            # a list, so the protocol's order survives jsonb
            "items": [
                {"item": item, "section": mapped[item]}
                for item in protocol.shift_handoff.incoming_engineer_briefing.items
            ]
        }
    return out


def health_overview(summary: dict[str, Any], open_incidents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The briefing's "current system health status overview": SLA, checks by status, what failed, what is open."""
    failed = summary.get("failed_checks") or []
    open_ids = [i["incident_id"] for i in open_incidents]
    healthy = bool(summary.get("sla_met")) and not failed and not open_ids
    return {
        "status": "healthy" if healthy else "needs_attention",
        "sla_met": summary.get("sla_met"),
        "sla_pct": summary.get("sla_pct"),
        "sla_target_pct": summary.get("sla_target_pct"),
        "checks": summary.get("checks", {}),
        "failed_checks": failed,
        "alerts": len(summary.get("alerts") or []),
        "open_incidents": open_ids,
        "runbook": summary.get("runbook"),
    }
