"""The on-call protocol as typed, frozen config: load and validate ``include/protocol.yaml``.

Every time, threshold, role, channel and runbook of the protocol lives in that file; this module turns it into
pydantic models and rejects anything malformed with a :class:`ProtocolError` that names the key path: a wrong
type or range, a name that refers to nothing (a check, alert rule, runbook, role or business row; with the name
it was probably meant to be), and numbers that contradict each other (a monitor tick longer than the window).
It is imported at DAG-parse time, so it imports nothing heavier than yaml and pydantic, and reads no file
until :func:`load_protocol` or :func:`get_protocol` is called.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from delivery_window.names import did_you_mean, nearest

__all__ = [
    "ALERT_RULE_NAMES",
    "CHECK_NAMES",
    "DEFAULT_PROTOCOL_PATH",
    "PROTOCOL_ENV_VAR",
    "ROLE_KEYS",
    "RUNBOOK_KEYS",
    "BusinessRow",
    "EscalationLevel",
    "Protocol",
    "ProtocolError",
    "Role",
    "Runbook",
    "get_protocol",
    "load_protocol",
    "resolve_protocol_path",
]

PROTOCOL_ENV_VAR = "DELIVERY_WINDOW_PROTOCOL"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROTOCOL_PATH = REPO_ROOT / "include" / "protocol.yaml"


class ProtocolError(ValueError):
    """protocol.yaml is missing, not YAML, or breaks the schema; the message names the key path and value."""

    def __init__(self, message: str, *, path: Path | None = None, keys: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.keys = keys  # dotted key path of each problem, e.g. "primary_metrics.error_rate_max_pct"


# ---------------------------------------------------------------------------------------------------------
# Value types
# ---------------------------------------------------------------------------------------------------------
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise PydanticCustomError("hhmm", 'Time should be "HH:MM" (00:00-23:59)')
    return value


HHMM = Annotated[str, Strict(), AfterValidator(_check_hhmm)]
Pct = Annotated[float, Strict(), Field(ge=0, le=100)]
Minutes = Annotated[int, Strict(), Field(ge=0)]
Seconds = Annotated[int, Strict(), Field(ge=0)]
Millis = Annotated[int, Strict(), Field(ge=0)]
Count = Annotated[int, Strict(), Field(ge=0)]
PositiveInt = Annotated[int, Strict(), Field(ge=1)]
TimeoutSeconds = Annotated[float, Strict(), Field(gt=0)]  # fractions allowed (the fault suite uses 0.3 s)
Text = Annotated[str, Strict(), StringConstraints(min_length=1)]
Ident = Annotated[str, Strict(), StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
UpperIdent = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z][A-Z_]*$")]
Phone = Annotated[str, Strict(), StringConstraints(pattern=r"^\+\d{1,3}(-[0-9x]+)+$")]
Email = Annotated[str, Strict(), StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$")]
SlackChannel = Annotated[str, Strict(), StringConstraints(pattern=r"^#[a-z0-9][a-z0-9_-]*$")]

RoleKey = Literal[
    "primary_engineer",
    "secondary_engineer",
    "engineering_manager",
    "head_of_product",
    "cto",
    "ceo",
    "board",
    "legal_counsel",
    "compliance_officer",
    "head_of_operations",
    "head_of_marketing",
    "external_legal",
]
RunbookKey = Literal[
    "delivery_failure", "whatsapp_quality_recovery", "ai_service_fallback", "database_emergency"
]
AlertRuleName = Literal[
    "success_rate_below_98",
    "processing_rate_below_target",
    "api_latency_p95_above_2s",
    "error_rate_above_2pct",
    "failure_rate_2m",
    "advisor_failures_1m",
    "latency_vs_baseline",
    "success_below_95_2m",
    "whatsapp_api_unavailable",
    "db_connection_failures",
    "shard_failing",
    "tier_delivery_issue",
    "template_status_change",
]
AlertLevel = Literal[
    "primary_metric", "immediate_page", "urgent_investigate", "warning_monitor", "severity_1", "severity_2"
]
SlackPurpose = Literal[
    "critical_incidents", "daily_operations", "engineering_alerts", "executive_notifications"
]
QualityRating = Literal["GREEN", "YELLOW", "RED", "NA", "UNKNOWN"]
PagerDutySeverity = Literal["critical", "error", "warning", "info"]

ROLE_KEYS: tuple[str, ...] = RoleKey.__args__
# The check tasks the package implements: the keys of checks/probes.py CHECKS, in its order (a unit test keeps the
# two equal). Listed here, not imported from there, because probes.py imports this module, and importing the
# probes (hooks' modules, the store) whenever the protocol loads would cost every process that only needs the
# config. check_runbooks and go_no_go triggers must name one of these.
CHECK_NAMES: tuple[str, ...] = (
    # 05:30
    "check_database_pool",
    "check_redis_cache",
    "check_whatsapp_rate_limits",
    "check_cloudinary",
    "check_approval_queue",
    "check_content_rendered",
    "check_templates_approved",
    "check_preferences_loaded",
    "check_openai_health",
    "check_compliance_engine",
    "check_fallback_content",
    "check_datadog_monitors",
    "check_grafana_dashboard",
    "check_pagerduty_escalation",
    "check_slack_channels",
    # 05:45
    "check_sender_quality",
    "check_number_shards",
    "check_delivery_queue",
    "check_webhook_endpoints",
    "check_advisor_segmentation",
    "check_jitter_windows",
    "check_retry_logic",
    "check_fallback_armed",
    "check_oncall_primary",
    "check_oncall_backup",
    "check_escalation_contacts",
)
# The DAG's phase TaskGroups (run_params.PHASES; a unit test keeps the two equal): incident_automation names them.
TASK_GROUPS: tuple[str, ...] = ("pre_delivery", "delivery", "post_delivery")
RUNBOOK_KEYS: tuple[str, ...] = RunbookKey.__args__
ALERT_RULE_NAMES: tuple[str, ...] = AlertRuleName.__args__
_PAGING_LEVELS = frozenset({"immediate_page", "severity_1"})
# Times repeated in the sections that quote them, and the `times` key each must equal.
_MUST_EQUAL_TIMES = {
    "critical_window_schedule.pre_delivery.start": "window_open",
    "critical_window_schedule.pre_delivery.end": "delivery_start",
    "critical_window_schedule.delivery_execution.start": "delivery_start",
    "critical_window_schedule.delivery_execution.end": "delivery_end",
    "critical_window_schedule.post_delivery_monitoring.start": "delivery_end",
    "critical_window_schedule.post_delivery_monitoring.end": "final_report",
    "pre_delivery_checklist.at": "window_open",
    "final_systems_verification.at": "final_check",
    "post_delivery_verification.checkpoint_0605.at": "delivery_end",
    "post_delivery_verification.checkpoint_0615.at": "analytics_checkpoint",
    "post_delivery_verification.final_report_0630.at": "final_report",
}


def _reference_error(path: str, message: str, **values: Any) -> PydanticCustomError:
    """A cross-field error; its message starts with the dotted key path (pydantic's loc is the root)."""
    return PydanticCustomError("protocol_reference", "{path}: " + message, {"path": path, **values})


def _require_keys(section: str, mapping: dict[str, Any], expected: tuple[str, ...]) -> None:
    missing = [key for key in expected if key not in mapping]
    if missing:
        raise _reference_error(section, "missing keys {missing}", missing=", ".join(missing))


def _unique(path: str, items: tuple[str, ...]) -> None:
    dupes = sorted({item for item in items if items.count(item) > 1})
    if dupes:
        raise _reference_error(path, "duplicate items {dupes}", dupes=", ".join(dupes))


def _minutes_of(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------------------
class Times(_Frozen):
    """Key instants of the window, HH:MM IST on the delivery date."""

    window_open: HHMM
    final_check: HHMM
    delivery_start: HHMM
    delivery_end: HHMM
    analytics_checkpoint: HHMM
    final_report: HHMM

    @model_validator(mode="after")
    def _in_order(self) -> Times:
        names = list(type(self).model_fields)
        for earlier, later in zip(names, names[1:], strict=False):
            if _minutes_of(getattr(self, earlier)) >= _minutes_of(getattr(self, later)):
                raise _reference_error(
                    f"times.{later}",
                    "{later} must be after times.{earlier} ({earlier_value})",
                    later=getattr(self, later),
                    earlier=earlier,
                    earlier_value=getattr(self, earlier),
                )
        return self


class Span(_Frozen):
    start: HHMM
    end: HHMM


class CriticalWindowSchedule(_Frozen):
    pre_delivery: Span
    delivery_execution: Span
    post_delivery_monitoring: Span


class Sla(_Frozen):
    target_pct: Pct


class OnCallRoles(_Frozen):
    primary_engineer: RoleKey
    secondary_engineer: RoleKey
    escalation_lead: RoleKey
    executive_escalation: RoleKey


class RoleChannels(_Frozen):
    pagerduty: Annotated[bool, Strict()] = False
    slack: tuple[SlackPurpose, ...] = ()
    phone: Phone | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> RoleChannels:
        if not (self.pagerduty or self.slack or self.phone or self.email):
            raise ValueError("a role needs at least one channel (pagerduty, slack, phone or email)")
        return self


class Role(_Frozen):
    title: Text
    min_level: PositiveInt | None = None  # engineering level ("Level 3+")
    note: Text | None = None
    channels: RoleChannels


class PreDeliveryGroups(_Frozen):
    infrastructure_health: tuple[Ident, ...] = Field(min_length=1)
    content_pipeline_status: tuple[Ident, ...] = Field(min_length=1)
    ai_service_readiness: tuple[Ident, ...] = Field(min_length=1)
    monitoring_systems: tuple[Ident, ...] = Field(min_length=1)


class FinalCheckGroups(_Frozen):
    whatsapp_integration: tuple[Ident, ...] = Field(min_length=1)
    delivery_pipeline: tuple[Ident, ...] = Field(min_length=1)
    escalation_readiness: tuple[Ident, ...] = Field(min_length=1)


class PreDeliveryChecklist(_Frozen):
    """05:30 IST System Health Verification: check ids by group."""

    at: HHMM
    groups: PreDeliveryGroups

    @property
    def items(self) -> tuple[str, ...]:
        """Every check id, in protocol order."""
        return tuple(item for group in self.groups.model_dump().values() for item in group)


class FinalSystemsVerification(_Frozen):
    """05:45 IST Final Systems Check: check ids by group."""

    at: HHMM
    groups: FinalCheckGroups

    @property
    def items(self) -> tuple[str, ...]:
        """Every check id, in protocol order."""
        return tuple(item for group in self.groups.model_dump().values() for item in group)


class Checks(_Frozen):
    approval_queue_max_items: Count
    compliance_p95_max_ms: Millis
    compliance_probes: PositiveInt
    advisor_segments: PositiveInt
    db_pool_max_used_pct: Pct
    redis_latency_max_ms: Millis
    redis_memory_max_used_pct: Pct
    healthy_quality_ratings: tuple[QualityRating, ...] = Field(min_length=1)
    warn_quality_ratings: tuple[QualityRating, ...]
    healthy_number_statuses: tuple[UpperIdent, ...] = Field(min_length=1)
    sendable_template_statuses: tuple[UpperIdent, ...] = Field(min_length=1)
    http_timeout_seconds: TimeoutSeconds
    db_pool_max_waiting: Count
    messaging_limit_warn_pct: Pct
    cloudinary_min_remaining_calls: Count
    openai_required_models: tuple[Text, ...] = Field(min_length=1)
    datadog_monitor_tag: Text
    datadog_required_monitors: tuple[AlertRuleName, ...] = Field(min_length=1)
    slack_critical_channels: tuple[SlackPurpose, ...] = Field(min_length=1)
    webhook_lag_max_seconds: Seconds
    delivery_queue_min_workers: PositiveInt
    retry_min_attempts: PositiveInt


CheckStatus = Literal["warn", "fail", "error"]


class GoNoGoAlert(_Frozen):
    """How a go/no-go outcome is escalated: page PagerDuty or not, and the Slack channel purpose."""

    page: Annotated[bool, Strict()]
    pagerduty_severity: PagerDutySeverity
    slack: SlackPurpose


class ActionApproval(_Frozen):
    """Whether a risky action asks a person first (HITL on the live scheduled run), how long it waits, and what
    happens when nobody answers (issue 13)."""

    required: Annotated[bool, Strict()]
    timeout_minutes: PositiveInt
    default: Literal["approve", "reject"]


class GoNoGoRemediation(_Frozen):
    """A pre-window remediation: the runbook it follows, the check verdicts that call for it, its alert, and the
    approval its action needs."""

    runbook: RunbookKey
    triggers: dict[Ident, tuple[CheckStatus, ...]] = Field(min_length=1)
    alert: GoNoGoAlert
    approval: ActionApproval


class GoNoGo(_Frozen):
    """The branch after the 05:45 final check: proceed, or the remediations (in ``priority`` order)."""

    remediations: dict[Ident, GoNoGoRemediation] = Field(min_length=1)
    priority: tuple[Ident, ...] = Field(min_length=1)
    unremediated_alert: GoNoGoAlert

    @model_validator(mode="after")
    def _priority_lists_every_remediation(self) -> GoNoGo:
        _unique("go_no_go.priority", self.priority)
        if set(self.priority) != set(self.remediations):
            raise _reference_error(
                "go_no_go.priority",
                "must list every remediation exactly once ({names})",
                names=", ".join(self.remediations),
            )
        return self


class Monitor(_Frozen):
    tick_seconds: Annotated[int, Strict(), Field(ge=1)]
    grace_seconds: Seconds
    dashboard_refresh_seconds: Annotated[int, Strict(), Field(ge=1)]
    min_sample_attempts: PositiveInt
    settle_seconds: Seconds
    late_row_seconds: Seconds
    status_post_every_minutes: PositiveInt
    template_poll_seconds: PositiveInt
    datadog_max_point_age_seconds: PositiveInt
    send_backoff_seconds: PositiveInt = 40
    claim_lease_seconds: PositiveInt = 60
    datadog_metric_prefix: Annotated[str, Strict(), StringConstraints(pattern=r"^[a-z][a-z0-9_.]*$")]
    account_health_poll_seconds: PositiveInt = 60  # issue 14: the monitor's WhatsApp account-health poll


class PrimaryMetrics(_Frozen):
    delivery_success_rate_min_pct: Pct
    processing_rate_target_per_min: PositiveInt
    api_latency_p95_max_ms: Millis
    api_latency_percentile: Annotated[int, Strict(), Field(ge=1, le=100)]
    error_rate_max_pct: Pct


class SlackPost(_Frozen):
    slack: SlackPurpose
    posts: Ident


class DashboardMonitoring(_Frozen):
    grafana_delivery_dashboard: Ident
    datadog_infrastructure: Ident
    slack_delivery_channel: SlackPost


class AlertThresholds(_Frozen):
    failure_rate_window_minutes: PositiveInt
    failure_rate_max_pct: Pct
    advisor_failures_max: Count
    advisor_failures_window_minutes: PositiveInt
    latency_increase_max_pct: Annotated[float, Strict(), Field(ge=0)]  # vs baseline; may exceed 100
    latency_baseline_days: PositiveInt
    latency_baseline_min_days: PositiveInt
    latency_baseline_default_ms: Annotated[int, Strict(), Field(ge=1)]  # issue 14: before min_days exist


class AlertRule(_Frozen):
    level: AlertLevel
    page: Annotated[bool, Strict()]
    pagerduty_severity: PagerDutySeverity
    slack: SlackPurpose
    runbook: RunbookKey | None = None

    @property
    def severity(self) -> str:
        """The rule's severity as stored on alerts (its protocol level)."""
        return self.level


# The labels an alert carries for grouping, inhibition and silences (Alertmanager's vocabulary).
AlertLabel = Literal["rule", "scope", "level", "runbook"]
ALERT_LABELS: tuple[str, ...] = AlertLabel.__args__


class Grouping(_Frozen):
    """Alertmanager's group_wait / group_interval over the alerts of one incident (one group per incident)."""

    group_wait_seconds: Seconds
    group_interval_seconds: Seconds


class InhibitRule(_Frozen):
    """Alertmanager inhibit rule: a firing alert matching ``source_match`` mutes alerts matching ``target_match``
    whose ``equal`` labels have the same values. A matcher maps a label to the values it accepts."""

    source_match: dict[AlertLabel, tuple[Text, ...]]
    target_match: dict[AlertLabel, tuple[Text, ...]]
    equal: tuple[AlertLabel, ...] = ()


class SilencePolicy(_Frozen):
    may_mute_severity_1: Annotated[bool, Strict()]
    max_duration_hours: PositiveInt


class Trigger(_Frozen):
    rule: AlertRuleName
    condition: Ident


class ActionStep(_Frozen):
    step: PositiveInt
    action: Ident
    deadline_minutes: Minutes | None = None
    slack: SlackPurpose | None = None
    role: RoleKey | None = None


def _numbered(steps: tuple[ActionStep, ...], path: str) -> None:
    for index, step in enumerate(steps, start=1):
        if step.step != index:
            raise _reference_error(
                f"{path}[{index - 1}].step", "expected step {want}, got {got}", want=index, got=step.step
            )


class Severity1(_Frozen):
    db_connection_failure_max_pct: Pct
    success_rate_floor_pct: Pct
    success_floor_consecutive_minutes: PositiveInt
    db_connection_failure_window_minutes: PositiveInt
    db_connection_min_reads: PositiveInt
    secondary_paging_incidents: PositiveInt
    triggers: tuple[Trigger, ...] = Field(min_length=1)
    immediate_actions: tuple[ActionStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _steps(self) -> Severity1:
        _numbered(self.immediate_actions, "severity_1.immediate_actions")
        return self


class Severity2(_Frozen):
    shard_failure_rate_min_pct: Pct
    tier_failure_rate_min_pct: Pct
    triggers: tuple[Trigger, ...] = Field(min_length=1)
    response_actions: tuple[ActionStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _steps(self) -> Severity2:
        _numbered(self.response_actions, "severity_2.response_actions")
        return self


class Checkpoint(_Frozen):
    at: HHMM
    items: tuple[Ident, ...] = Field(min_length=1)


class PostDeliveryVerification(_Frozen):
    checkpoint_0605: Checkpoint
    checkpoint_0615: Checkpoint
    final_report_0630: Checkpoint
    checkpoint_deadline_minutes: PositiveInt
    deadline_slack: SlackPurpose
    receipt_lag_p95_max_seconds: PositiveInt
    receipts_missing_max_pct: Pct
    engagement_min_read_pct: Pct
    dq_latency_max_ms: PositiveInt
    trend_windows_days: tuple[PositiveInt, ...] = Field(min_length=1)

    @property
    def items(self) -> tuple[str, ...]:
        """Every checkpoint item, in protocol order."""
        return self.checkpoint_0605.items + self.checkpoint_0615.items + self.final_report_0630.items


FindingKind = Literal[
    "undelivered_advisors",
    "sla_missed",
    "advisor_groups_missing",
    "critical_failures",
    "open_incident",
    "quality_rating_degraded",
    "compliance_check_failed",
    "performance_warning",
    "retried_api_errors",
    "check_failed",
    "receipt_webhook_lag",
    "data_quality_failed",
    "engagement_tracking_down",
]
PRIORITY_BUCKETS: tuple[str, ...] = ("immediate_fix_required", "monitor_and_schedule", "escalate_to_day_team")


class RemediationPriorities(_Frozen):
    immediate_fix_required: tuple[Ident, ...] = Field(min_length=1)
    monitor_and_schedule: tuple[Ident, ...] = Field(min_length=1)
    escalate_to_day_team: tuple[Ident, ...] = Field(min_length=1)
    finding_items: dict[FindingKind, Ident]

    def bucket_of(self, item: str) -> str:
        """The priority list (``immediate_fix_required`` ...) that names ``item``."""
        for bucket in PRIORITY_BUCKETS:
            if item in getattr(self, bucket):
                return bucket
        raise KeyError(f"{item!r} is in no remediation priority list")

    @model_validator(mode="after")
    def _findings_name_items(self) -> RemediationPriorities:
        _require_keys("remediation_priorities.finding_items", self.finding_items, FindingKind.__args__)
        known = {item for bucket in PRIORITY_BUCKETS for item in getattr(self, bucket)}
        for kind, item in self.finding_items.items():
            if item not in known:
                raise _reference_error(
                    f"remediation_priorities.finding_items.{kind}",
                    "{item} is not an item of immediate_fix_required, monitor_and_schedule or escalate_to_day_team",
                    item=item,
                )
        return self


class EscalationTrigger(_Frozen):
    """The protocol's escalation trigger: elapsed time of something, and/or named conditions."""

    after_minutes: Minutes | None = None
    duration_of: Ident | None = None
    # the protocol says ">" N minutes: due just after the mark
    strictly_after: Annotated[bool, Strict()] = False
    conditions: tuple[Ident, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> EscalationTrigger:
        if (self.after_minutes is None) != (self.duration_of is None):
            raise ValueError("after_minutes and duration_of go together")
        if self.after_minutes is None and not self.conditions:
            raise ValueError("a trigger needs after_minutes or conditions")
        return self


class EscalationLevel(_Frozen):
    level: PositiveInt
    role: RoleKey
    title: Text
    responsibility: Ident
    escalation_trigger: EscalationTrigger
    engage_after_minutes: Minutes


class BusinessThreshold(_Frozen):
    """Exactly one of: delivery rate below a percentage, a WhatsApp quality rating, a named event."""

    delivery_rate_below_pct: Pct | None = None
    quality_ratings: tuple[QualityRating, ...] | None = None
    event: Ident | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> BusinessThreshold:
        given = [name for name, value in self if value is not None]
        if len(given) != 1:
            raise ValueError(
                "set exactly one of delivery_rate_below_pct, quality_ratings, event"
                f" (got {', '.join(given) or 'none'})"
            )
        return self


class BusinessStep(_Frozen):
    delay_minutes: Minutes
    targets: tuple[RoleKey, ...] = Field(min_length=1)
    action: Ident = "notify"


class BusinessRow(_Frozen):
    condition: Ident
    threshold: BusinessThreshold
    steps: tuple[BusinessStep, ...] = Field(min_length=1)


class SlackChannels(_Frozen):
    critical_incidents: SlackChannel
    daily_operations: SlackChannel
    engineering_alerts: SlackChannel
    executive_notifications: SlackChannel


class PagerDutyEscalation(_Frozen):
    service: Text
    escalation_policy: Ident
    notification_methods: tuple[Ident, ...] = Field(min_length=1)


class StatusCommunications(_Frozen):
    internal_status_page: Text
    advisor_facing_status: Text
    twitter_updates: Annotated[str, Strict(), StringConstraints(pattern=r"^@\w+$")]


class CommunicationChannels(_Frozen):
    slack_channels: SlackChannels
    pagerduty_escalation: PagerDutyEscalation
    status_communications: StatusCommunications


class DelayNotification(_Frozen):
    delay_over_minutes: Minutes
    methods: tuple[Ident, ...] = Field(min_length=1)
    message: Ident
    repeat_every_minutes: PositiveInt
    until: Ident


class DegradationNotification(_Frozen):
    methods: tuple[Ident, ...] = Field(min_length=1)
    message: Ident
    within_minutes_of_incident_start: Minutes


class AdvisorNotifications(_Frozen):
    delivery_delays: DelayNotification
    service_degradation: DegradationNotification


class ComplianceIncidentNotifications(_Frozen):
    sebi_notification_within_minutes: Minutes
    sebi_notification_only_if_required: Annotated[bool, Strict()]
    legal_documentation: Ident
    remediation_plan: Ident


class RegulatoryNotifications(_Frozen):
    compliance_incidents: ComplianceIncidentNotifications


class ExternalCommunication(_Frozen):
    advisor_notifications: AdvisorNotifications
    regulatory_notifications: RegulatoryNotifications


class ResolutionEstimate(_Frozen):
    min: Minutes
    max: Minutes

    @model_validator(mode="after")
    def _ordered(self) -> ResolutionEstimate:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Measurement(_Frozen):
    """How a runbook's success criterion is measured from ``platform.*`` after its action (issue 13)."""

    window_minutes: PositiveInt  # trailing window of attempts judged at each re-check
    min_attempts: PositiveInt  # fewer attempts in the window: "not enough traffic to tell", not met
    settle_seconds: Seconds  # attempts this young have no final receipt yet: left out


class Runbook(_Frozen):
    protocol_key: Ident
    title: Text
    runbook: Annotated[str, Strict(), StringConstraints(pattern=r"^/runbooks/[a-z0-9-]+$")]
    doc: Annotated[str, Strict(), StringConstraints(pattern=r"^include/runbooks/[a-z0-9_]+\.md$")]
    estimated_resolution_minutes: ResolutionEstimate
    success_criterion: Ident
    success_delivery_rate_min_pct: Pct | None = None
    steps: tuple[Ident, ...] = Field(min_length=1)
    verify: Ident  # the step that checks success_criterion (runs after `steps`, until the estimate's max)
    requires_approval: tuple[Ident, ...] = ()
    approval_timeout_minutes: PositiveInt  # HITL response timeout of each approval
    approval_default: Literal["approve", "reject"]  # taken when nobody answers in time
    measure: Measurement

    @model_validator(mode="after")
    def _approval_steps_exist(self) -> Runbook:
        unknown = [step for step in self.requires_approval if step not in self.steps]
        if unknown:
            raise ValueError(f"requires_approval names steps that are not in steps: {', '.join(unknown)}")
        if self.verify in self.steps:
            raise ValueError(f"verify step {self.verify} must not also be one of steps")
        _unique("steps", self.steps)
        return self


class IncidentAutomation(_Frozen):
    """How the escalation engine applies the protocol (issue 5); every value is our decision."""

    critical_task_groups: tuple[Ident, ...] = Field(min_length=1)
    complete_outage_rules: tuple[AlertRuleName, ...] = Field(min_length=1)
    advisor_delay_runbooks: tuple[RunbookKey, ...]
    significant_business_impact: tuple[Ident, ...]  # business_escalation row keys
    follow_up_every_minutes: Annotated[int, Strict(), Field(ge=1, le=59)]
    follow_up_margin_seconds: Annotated[
        int, Strict(), Field(ge=1, le=59)
    ]  # a run stops this long before the next
    follow_up_lookback_days: PositiveInt
    verify_poll_seconds: PositiveInt
    runbook_watch_seconds: PositiveInt
    # the Airflow users who may answer an approval (HITL assigned_users); empty: any user allowed on the DAG
    approvers: tuple[Annotated[str, Strict(), StringConstraints(min_length=1)], ...]
    regulatory_reminder_before_minutes: tuple[PositiveInt, ...]
    # issue 14: a SEBI deadline that passes with no filing recorded escalates to these roles, again every N minutes
    regulatory_overdue_targets: tuple[RoleKey, ...] = Field(min_length=1)
    regulatory_overdue_repeat_minutes: PositiveInt


Contact = Phone | Email


class EmergencyContacts(_Frozen):
    engineering_leadership: dict[Ident, Contact]
    business_leadership: dict[Ident, Contact]
    external_contacts: dict[Ident, Contact]

    def all(self) -> dict[str, str]:
        """Every contact as ``{"group.name": number_or_address}``."""
        return {
            f"{group}.{name}": value
            for group, contacts in (
                ("engineering_leadership", self.engineering_leadership),
                ("business_leadership", self.business_leadership),
                ("external_contacts", self.external_contacts),
            )
            for name, value in contacts.items()
        }


class OnCallPreparation(_Frozen):
    technical_setup: tuple[Ident, ...] = Field(min_length=1)
    knowledge_requirements: tuple[Ident, ...] = Field(min_length=1)
    access_verification: tuple[Ident, ...] = Field(min_length=1)


class HandoffBriefing(_Frozen):
    items: tuple[Ident, ...] = Field(min_length=1)
    incident_log_lookback_minutes: PositiveInt
    maintenance_lookahead_minutes: (
        PositiveInt  # the silences the briefing lists: active or starting this soon
    )


class HandoffDocumentation(_Frozen):
    # issue 14: "confluence/<page title>": the Confluence page the handoff is published to (space: the connection's)
    location: Annotated[str, Strict(), StringConstraints(pattern=r"^confluence/[A-Za-z0-9_ -]+$")]
    required_sections: tuple[Ident, ...] = Field(min_length=1)
    briefing_sections: tuple[Ident, ...] = ()
    update_frequency: Ident
    briefing_item_sections: dict[Ident, Ident] = Field(default_factory=dict)  # briefing item -> its section

    @property
    def page_title(self) -> str:
        """The Confluence page title of ``location``."""
        return self.location.split("/", 1)[1]


class KnowledgeTransferMeeting(_Frozen):
    duration_minutes: PositiveInt
    participants: tuple[Ident, ...] = Field(min_length=1)
    agenda: tuple[Ident, ...] = Field(min_length=1)


class ShiftHandoff(_Frozen):
    incoming_engineer_briefing: HandoffBriefing
    handoff_documentation: HandoffDocumentation
    knowledge_transfer_meeting: KnowledgeTransferMeeting

    @model_validator(mode="after")
    def _every_briefing_item_has_a_section(self) -> ShiftHandoff:
        doc = self.handoff_documentation
        mapped = doc.briefing_item_sections
        if not mapped:
            return self
        missing = [i for i in self.incoming_engineer_briefing.items if i not in mapped]
        if missing:
            raise ValueError(
                f"handoff_documentation.briefing_item_sections has no section for {', '.join(missing)}"
            )
        sections = set(doc.required_sections) | set(doc.briefing_sections)
        for item, section in mapped.items():
            if item not in self.incoming_engineer_briefing.items:
                raise ValueError(
                    f"handoff_documentation.briefing_item_sections.{item} is not a briefing item"
                )
            if section not in sections:
                raise ValueError(
                    f"handoff_documentation.briefing_item_sections.{item}: {section} is not one of "
                    "required_sections or briefing_sections"
                )
        return self


StatuspageStatus = Literal["investigating", "identified", "monitoring", "resolved"]
ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage"]


class StatusPagePublishing(_Frozen):
    # a Statuspage incident's status -> the status of the page's delivery component while the incident says so
    component_status: dict[StatuspageStatus, ComponentStatus]

    @model_validator(mode="after")
    def _every_status(self) -> StatusPagePublishing:
        missing = [
            s
            for s in ("investigating", "identified", "monitoring", "resolved")
            if s not in self.component_status
        ]
        if missing:
            raise ValueError(f"component_status has no entry for {', '.join(missing)}")
        return self


class XPublishing(_Frozen):
    pages: tuple[
        Literal["internal", "advisor_facing"], ...
    ]  # the status pages whose changes are also posted to X


class ChannelPublishing(_Frozen):
    """Issue 14: how the status pages and X are written (the channels of communication_channels)."""

    status_pages: StatusPagePublishing
    x_posts: XPublishing


class Provisioning(_Frozen):
    """Monitoring as code (issue 14): what ``delivery-window provision`` deploys, and whether the DAG does."""

    enabled_in_dag: Annotated[bool, Strict()]
    grafana_dashboard_file: Text
    # the rules of alert_thresholds_during_delivery: each has its monitor query (provision/monitors.py)
    datadog_threshold_rules: tuple[
        Literal["failure_rate_2m", "advisor_failures_1m", "latency_vs_baseline"], ...
    ] = Field(min_length=1)
    latency_eval_minutes: PositiveInt
    latency_baseline_timeshift: Literal["last_5m", "last_1h", "last_1d", "last_1w", "last_1mo"]


# ---------------------------------------------------------------------------------------------------------
# The whole protocol
# ---------------------------------------------------------------------------------------------------------
# Meta's enums (whatsapp-business-messaging-v23.openapi.yaml): AccountReviewStatus, health_status
# can_send_message (external-apis.md §1.2), WhatsAppAccountNumberStatus / WhatsAppPhoneNumberStatus.
ReviewStatus = Literal["APPROVED", "PENDING", "REJECTED", "RESTRICTED", "LIMIT_REACHED"]
CanSendMessage = Literal["AVAILABLE", "LIMITED", "BLOCKED"]
NumberStatus = Literal[
    "CONNECTED", "DISCONNECTED", "UNVERIFIED", "PENDING", "FLAGGED", "RESTRICTED", "RATE_LIMITED",
    "LINKED", "UNLINKED", "DELETED", "MIGRATED", "BANNED",
]  # fmt: skip


class WhatsAppAccountHealth(_Frozen):
    """When the Cloud API's account fields mean ``account_suspended`` (issue 14)."""

    suspended_review_statuses: tuple[ReviewStatus, ...] = Field(min_length=1)
    blocked_health: tuple[CanSendMessage, ...] = Field(min_length=1)
    suspended_number_statuses: tuple[NumberStatus, ...] = Field(min_length=1)
    runbook_doc: Annotated[str, Strict(), StringConstraints(pattern=r"^include/runbooks/[a-z0-9_]+\.md$")]


class Protocol(_Frozen):
    """Typed, frozen view of include/protocol.yaml (see that file for the meaning of each key)."""

    source_document: Text
    timezone: Text
    schedule_cron: Text
    start_date: dt.date  # the DAGs' start_date: delivery dates before it are refused (run_params)
    times: Times
    critical_window_schedule: CriticalWindowSchedule
    sla: Sla
    on_call_roles: OnCallRoles
    roles: dict[RoleKey, Role]
    pre_delivery_checklist: PreDeliveryChecklist
    final_systems_verification: FinalSystemsVerification
    checks: Checks
    monitor: Monitor
    primary_metrics: PrimaryMetrics
    dashboard_monitoring: DashboardMonitoring
    alert_thresholds: AlertThresholds
    alert_rules: dict[AlertRuleName, AlertRule]
    grouping: Grouping
    inhibit_rules: tuple[InhibitRule, ...]
    silences: SilencePolicy
    runbook_priority: tuple[RunbookKey, ...]
    check_runbooks: dict[Ident, RunbookKey]
    go_no_go: GoNoGo
    severity_1: Severity1
    severity_2: Severity2
    post_delivery_verification: PostDeliveryVerification
    remediation_priorities: RemediationPriorities
    escalation_levels: dict[Ident, EscalationLevel]
    business_escalation: dict[Ident, BusinessRow]
    communication_channels: CommunicationChannels
    external_communication: ExternalCommunication
    runbooks: dict[RunbookKey, Runbook]
    incident_automation: IncidentAutomation
    emergency_contacts: EmergencyContacts
    on_call_preparation: OnCallPreparation
    shift_handoff: ShiftHandoff
    whatsapp_account_health: WhatsAppAccountHealth
    channel_publishing: ChannelPublishing
    provisioning: Provisioning

    # -- helpers ------------------------------------------------------------------------------------------
    def time_of(self, name: str) -> dt.time:
        """The ``times`` entry ``name`` (e.g. ``"delivery_start"``) as a naive wall-clock time in IST."""
        if name not in Times.model_fields:
            raise KeyError(f"unknown protocol time {name!r}; known: {', '.join(Times.model_fields)}")
        hours, minutes = getattr(self.times, name).split(":")
        return dt.time(int(hours), int(minutes))

    def runbook(self, name: str) -> Runbook:
        """The runbook ``name`` (one of the four ARCHITECTURE runbook names)."""
        try:
            return self.runbooks[name]  # type: ignore[index]
        except KeyError:
            raise KeyError(f"unknown runbook {name!r}; known: {', '.join(RUNBOOK_KEYS)}") from None

    # -- cross-section rules ------------------------------------------------------------------------------
    @model_validator(mode="after")
    def _cross_references(self) -> Protocol:
        _require_keys("roles", self.roles, ROLE_KEYS)
        _require_keys("runbooks", self.runbooks, RUNBOOK_KEYS)
        _require_keys("alert_rules", self.alert_rules, ALERT_RULE_NAMES)
        _require_keys("runbook_priority", dict.fromkeys(self.runbook_priority), RUNBOOK_KEYS)
        _unique("runbook_priority", self.runbook_priority)
        self._check_schedule()
        self._check_times_agree()
        self._check_alerts()
        self._check_inhibit_rules()
        self._check_escalation_levels()
        self._check_business_rows()
        self._check_role_phones()
        _unique("pre_delivery_checklist.groups", self.pre_delivery_checklist.items)
        _unique("final_systems_verification.groups", self.final_systems_verification.items)
        self._check_names_exist()
        self._check_numbers_agree()
        return self

    def _check_names_exist(self) -> None:
        """Names used as references must name something: a misspelt check would load and then lead to no
        runbook, a misspelt row would never count as significant business impact."""
        references: list[tuple[str, str, str, tuple[str, ...]]] = [
            (f"check_runbooks.{name}", name, "check", CHECK_NAMES) for name in self.check_runbooks
        ]
        references += [
            (f"go_no_go.remediations.{key}.triggers.{name}", name, "check", CHECK_NAMES)
            for key, remediation in self.go_no_go.remediations.items()
            for name in remediation.triggers
        ]
        automation = self.incident_automation
        references += [
            (f"incident_automation.significant_business_impact[{index}]", name, "business_escalation row",
             tuple(self.business_escalation))
            for index, name in enumerate(automation.significant_business_impact)
        ]  # fmt: skip
        references += [
            (f"incident_automation.critical_task_groups[{index}]", name, "task group", TASK_GROUPS)
            for index, name in enumerate(automation.critical_task_groups)
        ]
        for path, name, kind, known in references:
            if name not in known:
                raise _reference_error(
                    path, "unknown {kind} ({hint})", kind=kind, hint=did_you_mean(name, known)
                )

    def _check_numbers_agree(self) -> None:
        """Numbers that are each valid alone but contradict each other (and so catch absurd values)."""
        window_seconds = 60 * (_minutes_of(self.times.delivery_end) - _minutes_of(self.times.delivery_start))
        if self.monitor.tick_seconds >= window_seconds:
            raise _reference_error(
                "monitor.tick_seconds",
                "{tick} s must be shorter than the window times.delivery_start-delivery_end ({window} s): "
                "the monitor would sample it at most once",
                tick=self.monitor.tick_seconds,
                window=window_seconds,
            )
        # The monitor keeps reading for grace_seconds after the window; the 06:15 checks read what it recorded.
        to_next = 60 * (_minutes_of(self.times.analytics_checkpoint) - _minutes_of(self.times.delivery_end))
        if self.monitor.grace_seconds >= to_next:
            raise _reference_error(
                "monitor.grace_seconds",
                "{grace} s must be shorter than the time from times.delivery_end to the next checkpoint "
                "times.analytics_checkpoint ({to_next} s)",
                grace=self.monitor.grace_seconds,
                to_next=to_next,
            )
        floor, target = self.severity_1.success_rate_floor_pct, self.sla.target_pct
        if floor >= target:
            raise _reference_error(
                "severity_1.success_rate_floor_pct",
                "{floor} must be below sla.target_pct ({target}): a severity-1 floor at or above the SLA "
                "pages for a day that meets it",
                floor=floor,
                target=target,
            )

    def _check_schedule(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise _reference_error("timezone", "unknown time zone {tz}", tz=self.timezone) from None
        hours, minutes = self.times.window_open.split(":")
        expected = f"{int(minutes)} {int(hours)} * * *"
        if self.schedule_cron.split() != expected.split():
            raise _reference_error(
                "schedule_cron",
                "{cron} must start the run daily at times.window_open ({expected})",
                cron=self.schedule_cron,
                expected=expected,
            )

    def _check_times_agree(self) -> None:
        for path, name in _MUST_EQUAL_TIMES.items():
            value: Any = self
            for part in path.split("."):
                value = getattr(value, part)
            expected = getattr(self.times, name)
            if value != expected:
                raise _reference_error(
                    path,
                    "{value} must equal times.{name} ({expected})",
                    value=value,
                    name=name,
                    expected=expected,
                )

    def _check_alerts(self) -> None:
        for name, rule in self.alert_rules.items():
            if (rule.level in _PAGING_LEVELS) != rule.page:
                raise _reference_error(
                    f"alert_rules.{name}.page",
                    "the protocol pages for {paging} and only for them; level {level} has page={page}",
                    paging=" and ".join(sorted(_PAGING_LEVELS)),
                    level=rule.level,
                    page=rule.page,
                )
        for section, severity in (("severity_1", self.severity_1), ("severity_2", self.severity_2)):
            for index, trigger in enumerate(severity.triggers):
                level = self.alert_rules[trigger.rule].level
                if level != section:
                    raise _reference_error(
                        f"{section}.triggers[{index}].rule",
                        "alert rule {rule} has level {level}, not {section}",
                        rule=trigger.rule,
                        level=level,
                        section=section,
                    )

    def _check_inhibit_rules(self) -> None:
        known = {
            "rule": set(self.alert_rules),
            "level": set(AlertLevel.__args__),
            "runbook": set(RUNBOOK_KEYS),
        }
        for index, rule in enumerate(self.inhibit_rules):
            for side in ("source_match", "target_match"):
                for label, values in getattr(rule, side).items():
                    bad = sorted(set(values) - known[label]) if label in known else []
                    if bad:
                        raise _reference_error(
                            f"inhibit_rules[{index}].{side}.{label}",
                            "unknown {label} {bad}; known: {known}",
                            label=label,
                            bad=", ".join(bad),
                            known=", ".join(sorted(known[label])),
                        )
            if not rule.source_match or not rule.target_match:
                raise _reference_error(
                    f"inhibit_rules[{index}]",
                    "needs a source_match and a target_match (an empty one mutes all)",
                )

    def _check_escalation_levels(self) -> None:
        previous = -1
        for position, (key, level) in enumerate(self.escalation_levels.items(), start=1):
            path = f"escalation_levels.{key}"
            if level.level != position or not key.startswith(f"level_{position}_"):
                raise _reference_error(
                    f"{path}.level",
                    "levels must be numbered 1, 2, ... in order and keyed level_<n>_<name>; expected {want}, got {got}",
                    want=position,
                    got=level.level,
                )
            if level.engage_after_minutes < previous:
                raise _reference_error(
                    f"{path}.engage_after_minutes",
                    "{got} is earlier than the level before ({previous})",
                    got=level.engage_after_minutes,
                    previous=previous,
                )
            previous = level.engage_after_minutes
        if not self.escalation_levels:
            raise _reference_error("escalation_levels", "at least one level is required")

    def _check_business_rows(self) -> None:
        for key, row in self.business_escalation.items():
            delays = [step.delay_minutes for step in row.steps]
            if delays[0] != 0:
                raise _reference_error(
                    f"business_escalation.{key}.steps[0].delay_minutes",
                    "the first step is the immediate one (0), got {got}",
                    got=delays[0],
                )
            for index in range(1, len(delays)):
                if delays[index] <= delays[index - 1]:
                    raise _reference_error(
                        f"business_escalation.{key}.steps[{index}].delay_minutes",
                        "delays must increase; {got} follows {before}",
                        got=delays[index],
                        before=delays[index - 1],
                    )

    def _check_role_phones(self) -> None:
        numbers = set(self.emergency_contacts.all().values())
        for key, role in self.roles.items():
            if role.channels.phone is not None and role.channels.phone not in numbers:
                raise _reference_error(
                    f"roles.{key}.channels.phone",
                    "{phone} is not one of emergency_contacts",
                    phone=role.channels.phone,
                )


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------
def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            text += " (key)"
        else:
            text += f".{part}" if text else str(part)
    return text


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """``(dotted key path, one-line message)`` for one pydantic error."""
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "protocol_reference":
        # cross-section rules put the full key path at the start of their message (their loc is the parent)
        return message.split(":", 1)[0], message
    key = _dotted(error["loc"]) or "(top level)"
    value = error.get("input")
    if error["type"] == "missing" or isinstance(value, dict):
        return key, f"{key}: {message}"
    shown = repr(value)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    if error["type"] == "literal_error" and isinstance(value, str):
        # a role, runbook, rule... name that is not one: say which one was probably meant (the message already
        # lists the valid ones)
        close = nearest(value, re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", "")))
        if close:
            return key, f"{key}: {message}, got {shown} (did you mean {close}?)"
    return key, f"{key}: {message}, got {shown}"


def resolve_protocol_path(path: str | Path | None = None) -> Path:
    """The file :func:`load_protocol` reads: ``path``, else ``$DELIVERY_WINDOW_PROTOCOL``, else the repo default."""
    if path is not None:
        return Path(path)
    override = os.environ.get(PROTOCOL_ENV_VAR)
    return Path(override) if override else DEFAULT_PROTOCOL_PATH


def load_protocol(path: str | Path | None = None) -> Protocol:
    """Read and validate the protocol file; raise :class:`ProtocolError` naming the bad key path.

    ``path`` defaults to ``$DELIVERY_WINDOW_PROTOCOL`` when set, else ``<repo>/include/protocol.yaml``.
    """
    file = resolve_protocol_path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProtocolError(f"{file}: protocol file not found", path=file) from None
    except OSError as exc:
        raise ProtocolError(f"{file}: cannot read protocol file: {exc}", path=file) from exc
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{file}: not valid YAML: {exc}", path=file) from exc
    if not isinstance(raw, dict):
        raise ProtocolError(f"{file}: top level must be a mapping, got {type(raw).__name__}", path=file)
    try:
        return Protocol.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        # a sequence whose items failed is also reported as too short; the item errors say it better
        failed = {error["loc"] for error in errors}
        errors = [
            error
            for error in errors
            if not (
                error["type"] == "too_short"
                and any(loc[: len(error["loc"])] == error["loc"] and loc != error["loc"] for loc in failed)
            )
        ]
        described = [_describe(error) for error in errors]
        lines = "\n".join(f"{file}: {message}" for _, message in described)
        raise ProtocolError(lines, path=file, keys=tuple(key for key, _ in described)) from exc


@functools.cache
def get_protocol() -> Protocol:
    """The protocol from the default path (``$DELIVERY_WINDOW_PROTOCOL`` or include/protocol.yaml), loaded once."""
    return load_protocol()
