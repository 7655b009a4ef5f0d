"""Plain values of the escalation engine (no I/O): incidents as facts, planned steps, ledger rows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

# Incident severities, low to high. critical = the protocol pages for it (immediate_page, severity_1, a failed
# critical task, an SLA below 90 %, a compliance incident, a suspended account).
SEVERITIES = ("minor", "major", "critical")
# Alert levels (protocol.yaml alert_rules.*.level) -> incident severity.
LEVEL_SEVERITY = {
    "immediate_page": "critical",
    "severity_1": "critical",
    "severity_2": "major",
    "urgent_investigate": "major",
    "primary_metric": "minor",
    "warning_monitor": "minor",
}
# The levels the protocol pages for (protocol.yaml enforces page: true on exactly these).
PAGING_LEVELS = frozenset({"severity_1", "immediate_page"})
TECHNICAL, TASK_FAILURE, BUSINESS = "technical", "task_failure", "business"


def worst(*severities: str | None) -> str:
    """The highest of some severities (unknown or None count as minor)."""
    known = [s for s in severities if s in SEVERITIES]
    return max(known, key=SEVERITIES.index) if known else "minor"


@dataclass(frozen=True)
class AlertRef:
    """An alert of an incident, as recorded in ``delivery_ops.alerts``."""

    rule: str
    scope: str
    level: str
    first_fired_at: datetime
    summary: str = ""
    suppressed: str | None = None  # inhibited | silenced (routing.suppress): recorded, not sent on its own
    suppressed_by: str | None = None  # the inhibiting alert (rule:scope) or the silence id

    def suppressed_as(self, how: str, by: str) -> AlertRef:
        """This alert, muted ``how`` (inhibited / silenced) by ``by``."""
        return replace(self, suppressed=how, suppressed_by=by)


@dataclass(frozen=True)
class BusinessMatch:
    """A business_escalation row that applies: which row, when its condition was first seen, and what was seen."""

    row: str
    seen_at: datetime
    observed: str


@dataclass(frozen=True)
class IncidentFacts:
    """Everything the planner needs to know about one incident, derived from recorded observations."""

    incident_id: str
    delivery_date: date
    kind: str  # technical | task_failure | business
    severity: str  # minor | major | critical
    opened_at: datetime
    resolved_at: datetime | None = None
    runbook: str | None = None
    runbook_started_at: datetime | None = None
    alerts: tuple[AlertRef, ...] = ()
    business: tuple[BusinessMatch, ...] = ()  # business incidents: the rows that apply
    task_id: str | None = None  # task_failure incidents
    error: str | None = None
    multi_system_at: datetime | None = None  # another technical incident open at the same time
    business_impact_at: datetime | None = None  # a significant business condition seen while open
    complete_outage_at: datetime | None = None  # first complete-outage alert
    compliance_at: datetime | None = None  # SEBI violation detected
    acknowledged_at: datetime | None = None  # a human approved a runbook step (PagerDuty acknowledge)
    acknowledged_by: str | None = None
    pagerduty_ack_at: datetime | None = None  # PagerDuty says a person acknowledged the page (read back)
    ack_breach_at: datetime | None = None  # nobody acknowledged the page in time: Sev-1 step 5, the secondary
    regulatory_closed_at: datetime | None = None  # SEBI notification filed or judged not required

    def open_at(self, t: datetime) -> bool:
        """True while the incident is unresolved at ``t``."""
        return self.opened_at <= t and (self.resolved_at is None or t < self.resolved_at)


@dataclass(frozen=True)
class Step:
    """One escalation step: who is told, when, why."""

    source: str  # chain:<level key> | business:<row>:<index> | alert:<rule>:<scope> | ...
    target: str  # a role key (protocol.yaml roles) or an audience (advisors, a status page)
    due_at: datetime
    action: str = "notify"
    reason: str = ""
    level: int | None = None  # engineering level (chain steps)


@dataclass(frozen=True)
class LedgerRow:
    """A row of ``delivery_ops.escalations``: a step on one channel, with its message, written before it is sent."""

    dedup_key: str  # also the outbox key (and the PagerDuty dedup_key of a trigger)
    delivery_date: date
    incident_id: str | None
    source: str
    target: str
    channel: str  # pagerduty | slack:#channel | status_page:<host> | advisors:<methods>
    conn_id: str
    kind: str  # pagerduty_event | slack_message | status_page_update | advisor_notification
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    action: str = "notify"
    reason: str = ""
    status: str = "pending"  # pending, or cancelled when the plan already knows it will not be needed


@dataclass(frozen=True)
class WindowFigures:
    """What the monitor reports for a status line: the window's overall figures at tick ``t``."""

    t: datetime
    targeted: int
    attempts: int = 0
    delivered: int = 0
    failed: int = 0
    success_rate_pct: float | None = None
    error_rate_pct: float | None = None
    rate_per_min: int = 0
    p95_latency_ms: int | None = None
    advisors_delivered: int = 0
    peak_rate: int = 0
    alerts: tuple[tuple[str, str], ...] = ()  # (rule, scope) of every alert fired so far
