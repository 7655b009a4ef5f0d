"""Findings of the day, sorted by the protocol's remediation priorities (pure).

Every observation that needs someone's attention after the window becomes one finding: what kind it is
(``remediation_priorities.finding_items`` in protocol.yaml maps the kind to a protocol item), which priority
list holds that item (fix now / monitor and schedule / day team), and a one-line summary. The handoff and the
report list them in that order, so the day team reads the urgent ones first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from delivery_window.protocol import PRIORITY_BUCKETS, Protocol
from delivery_window.source_contract import SUITE, left_out_text, summary_of

# Checkpoint items whose failure is a finding of a known kind; other failing checks are "check_failed".
_CHECK_KINDS = {
    "verify_delivery_sla_achieved": "sla_missed",
    "confirm_all_advisor_groups_processed": "advisor_groups_missing",
    "validate_zero_critical_failures": "critical_failures",
    "check_whatsapp_quality_rating_maintained": "quality_rating_degraded",
    "check_sender_quality": "quality_rating_degraded",
    "confirm_delivery_receipt_webhook_processing": "receipt_webhook_lag",
    "verify_engagement_tracking_operational": "engagement_tracking_down",
}
# Findings made from other records, not from these check rows (so they are not reported twice).
_COVERED_ELSEWHERE = {
    "review_delivery_analytics_summary",  # one finding per failing suite, from dq_results
    "identify_any_advisor_specific_issues",  # the advisor-issue summary
}
_WARN_IS_FINDING = {"check_whatsapp_quality_rating_maintained", "check_sender_quality"}
# Alert levels the window has already acted on (paged, runbook): the report lists them as incidents.
_ACTED_ON_LEVELS = {"immediate_page", "severity_1"}

PRIORITY_LABELS = {
    "immediate_fix_required": "Fix now",
    "monitor_and_schedule": "Monitor and schedule",
    "escalate_to_day_team": "Day team",
}


@dataclass(frozen=True)
class Finding:
    priority: str  # a remediation_priorities list
    item: str  # the protocol item of that list
    kind: str  # remediation_priorities.finding_items key
    summary: str
    source: str  # the check, alert, suite or incident it comes from

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def make(kind: str, summary: str, source: str, protocol: Protocol) -> Finding:
    """A finding of ``kind``, placed by the protocol's remediation priorities."""
    rp = protocol.remediation_priorities
    item = rp.finding_items[kind]  # type: ignore[index]
    return Finding(rp.bucket_of(item), item, kind, summary, source)


def collect(
    *,
    checks: Sequence[dict[str, Any]],
    alerts: Sequence[dict[str, Any]],
    dq: Sequence[dict[str, Any]],
    advisor_summary: dict[str, Any],
    open_incidents: Sequence[dict[str, Any]],
    window_run: dict[str, Any] | None,
    protocol: Protocol,
) -> list[Finding]:
    """Every finding of the day from the recorded rows, sorted by priority (see :func:`ordered`)."""
    out: list[Finding] = []
    for c in checks:
        name, status = c["check_name"], c["status"]
        if name in _COVERED_ELSEWHERE:
            continue
        if status in ("fail", "error") or (status == "warn" and name in _WARN_IS_FINDING):
            kind = _CHECK_KINDS.get(name) or (
                "compliance_check_failed" if "compliance" in name else "check_failed"
            )
            out.append(make(kind, f"{name} {status}: {c['message']}", f"check:{name}", protocol))
    if advisor_summary.get("count"):
        classes = ", ".join(f"{k} {v}" for k, v in advisor_summary["by_class"].items())
        out.append(
            make(
                "undelivered_advisors",
                f"{advisor_summary['count']} advisors without today's content "
                f"({advisor_summary['retryable']} retryable): {classes}",
                "advisor_issues",
                protocol,
            )
        )
    for r in dq:
        if not r["success"]:
            summary = (
                left_out_text(summary_of(r))
                if r["suite"] == SUITE
                else f"suite {r['suite']} failed: {', '.join(r['failed_expectations']) or 'see dq_results'}"
            )
            out.append(make("data_quality_failed", summary, f"dq:{r['suite']}", protocol))
    levels = {name: rule.level for name, rule in protocol.alert_rules.items()}
    # On a day with a paging alert every alert belongs to that incident (critical_failures / open_incident);
    # otherwise each non-paging rule that fired is a performance warning to watch.
    paged = any(levels.get(a["rule"]) in _ACTED_ON_LEVELS for a in alerts)
    for rule in sorted({a["rule"] for a in alerts} if not paged else ()):
        scopes = sorted(a["scope"] for a in alerts if a["rule"] == rule)
        out.append(
            make("performance_warning", f"{rule} fired ({', '.join(scopes)})", f"alert:{rule}", protocol)
        )
    for i in open_incidents:
        out.append(
            make(
                "open_incident",
                f"incident {i['incident_id']} ({i['severity']}, runbook {i['runbook']}) still open",
                f"incident:{i['incident_id']}",
                protocol,
            )
        )
    w = window_run or {}
    if w.get("failed_attempts") and w.get("sla_met"):
        out.append(
            make(
                "retried_api_errors",
                f"{w['failed_attempts']} failed attempts ({float(w['error_rate_pct']):.2f}% errors) did not "
                "cost the SLA",
                "window_runs",
                protocol,
            )
        )
    return ordered(out, protocol)


def ordered(findings: Sequence[Finding], protocol: Protocol) -> list[Finding]:
    """Fix now, then monitor and schedule, then day team; inside a list in the protocol's item order."""
    rp = protocol.remediation_priorities

    def key(f: Finding) -> tuple:
        bucket = PRIORITY_BUCKETS.index(f.priority)
        return (bucket, getattr(rp, f.priority).index(f.item), f.kind, f.source, f.summary)

    return sorted(findings, key=key)


def by_priority(findings: Sequence[Finding]) -> dict[str, list[dict[str, str]]]:
    """Findings grouped under the three priority lists (all three keys present, in order)."""
    return {b: [f.as_dict() for f in findings if f.priority == b] for b in PRIORITY_BUCKETS}
