"""The compliance incident's documents, as Markdown (pure): the incident report and the remediation plan.

The protocol's ``regulatory_notifications.compliance_incidents`` asks for a "comprehensive incident report"
(``legal_documentation``) and "detailed corrective actions" (``remediation_plan``). Both say what was found,
when, in which content, which advisors received it and what was done; they are built from the record only
(``document_task.load_case``), so the same record always gives the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from delivery_window.escalation.comms import ist_full
from delivery_window.protocol import Protocol

INCIDENT_REPORT, REMEDIATION_PLAN = "incident_report", "remediation_plan"


@dataclass(frozen=True)
class Recipients:
    """Who received one flagged content item: the advisors of its segment whose attempt with its template
    was delivered or read (``platform.delivery_attempts``)."""

    content_id: str
    segment: int
    template_name: str
    attempted: int
    delivered: tuple[str, ...]  # advisor ids
    first_delivered_at: datetime | None = None
    last_delivered_at: datetime | None = None


@dataclass(frozen=True)
class ComplianceCase:
    """One compliance incident as recorded."""

    incident_id: str
    delivery_date: date
    severity: str
    status: str
    detected_at: datetime
    deadline: datetime
    violations: tuple[dict[str, Any], ...]  # content_id, segment, template_name, rule_ids, message
    recipients: tuple[Recipients, ...]
    actions: tuple[
        dict[str, Any], ...
    ]  # ledger rows: due_at, sent_at, target, channel, action, status, reason
    filing: dict[str, Any] | None = None  # the regulatory_closed timeline entry (at, outcome, by, reference)
    fallbacks: dict[int, str] = field(default_factory=dict)  # segment -> approved fallback template


def _at(t: Any) -> datetime:
    return t if isinstance(t, datetime) else datetime.fromisoformat(str(t))


def _when(t: Any, p: Protocol) -> str:
    return "-" if t is None else ist_full(_at(t), p)


def _filing_line(case: ComplianceCase, p: Protocol) -> str:
    reg = p.external_communication.regulatory_notifications.compliance_incidents
    due = f"due by {_when(case.deadline, p)}" + (
        " if required" if reg.sebi_notification_only_if_required else ""
    )
    f = case.filing
    if not f:
        return f"**not recorded yet**, {due}"
    what = "filed with SEBI" if f.get("outcome") == "filed" else "judged not required"
    ref = f", reference `{f['reference']}`" if f.get("reference") else ""
    late = ", **after the deadline**" if f.get("at") and _at(f["at"]) > case.deadline else ""
    return f"{what} at {_when(f.get('at'), p)} by {f.get('by')}{ref} ({due}{late})"


def _content_table(case: ComplianceCase) -> list[str]:
    rows = ["| content item | segment | template | SEBI rules | engine's finding |", "|---|---|---|---|---|"]
    for v in case.violations:
        rules = ", ".join(v.get("rule_ids") or []) or "-"
        rows.append(
            f"| `{v['content_id']}` | {v.get('segment')} | `{v.get('template_name')}` | {rules} | "
            f"{str(v.get('message') or '').replace('|', '/')} |"
        )
    return rows


def _recipient_lines(case: ComplianceCase, p: Protocol) -> list[str]:
    out = []
    for r in case.recipients:
        span = (
            f", first {_when(r.first_delivered_at, p)}, last {_when(r.last_delivered_at, p)}"
            if r.first_delivered_at
            else ""
        )
        out.append(
            f"- `{r.content_id}` (segment {r.segment}, template `{r.template_name}`): delivered to "
            f"**{len(r.delivered)} advisors** of {r.attempted} attempted{span}"
        )
    return out


def _actions_table(case: ComplianceCase, p: Protocol) -> list[str]:
    rows = ["| due | sent | to | channel | step | status |", "|---|---|---|---|---|---|"]
    for a in case.actions:
        rows.append(
            f"| {_when(a.get('due_at'), p)} | {_when(a.get('sent_at'), p)} | {a.get('target')} | "
            f"{a.get('channel')} | {a.get('action')} ({a.get('source')}) | {a.get('status')} |"
        )
    return rows


def incident_report(case: ComplianceCase, p: Protocol) -> str:
    """The comprehensive incident report (legal documentation)."""
    reached = sum(len(r.delivered) for r in case.recipients)
    lines = [
        f"# SEBI compliance incident report · {case.delivery_date}",
        "",
        f"Incident `{case.incident_id}` ({case.severity}, {case.status}), from the delivery window's record.",
        "",
        "## What",
        f"The compliance engine found {len(case.violations)} content item(s) of the day in violation of SEBI's "
        "advertisement code for investment advisers:",
        "",
        *_content_table(case),
        "",
        "## When",
        f"- detected: {_when(case.detected_at, p)} (the {p.times.window_open} IST content screen)",
        f"- delivery window: {p.times.delivery_start}–{p.times.delivery_end} IST on {case.delivery_date}",
        f"- SEBI notification: {_filing_line(case, p)}",
        "",
        "## Which advisors received it",
        f"{reached} advisor(s) received flagged content.",
        "",
        *_recipient_lines(case, p),
        "",
        "## Actions taken",
        "Every escalation step of the incident, as the escalation ledger holds it:",
        "",
        *_actions_table(case, p),
        "",
        "## Advisors who received flagged content",
    ]
    for r in case.recipients:
        lines += ["", f"`{r.content_id}`: " + (", ".join(r.delivered) or "none")]
    return "\n".join(lines) + "\n"


def remediation_plan(case: ComplianceCase, p: Protocol) -> str:
    """The detailed corrective actions (remediation plan)."""
    row = next(k for k, r in p.business_escalation.items() if r.threshold.event == "sebi_violation_detected")
    owners = ", ".join(p.roles[t].title for t in p.business_escalation[row].steps[0].targets)
    lines = [
        f"# SEBI remediation plan · {case.delivery_date}",
        "",
        f"Incident `{case.incident_id}`. Owners: {owners}.",
        "",
        "## Corrective actions",
    ]
    n = 0
    for v in case.violations:
        n += 1
        fallback = case.fallbacks.get(int(v.get("segment") or 0))
        instead = f"; the approved fallback `{fallback}` can stand in for it meanwhile" if fallback else ""
        lines.append(
            f"{n}. Withdraw `{v['content_id']}` and correct it before its next use "
            f"({', '.join(v.get('rule_ids') or []) or 'no rule id'}: {v.get('message')}){instead}."
        )
    for r in case.recipients:
        if r.delivered:
            n += 1
            lines.append(
                f"{n}. Send a correction to the {len(r.delivered)} advisor(s) of segment {r.segment} who received "
                f"`{r.content_id}` (list in the incident report), worded by the Legal Counsel."
            )
    n += 1
    record = (
        ""
        if case.filing
        else f"; record it with `delivery-window compliance notified --incident {case.incident_id} "
        "--reference … --by …` (the reminders and overdue escalations stop)"
    )
    lines.append(f"{n}. SEBI notification: {_filing_line(case, p)}{record}.")
    n += 1
    lines.append(
        f"{n}. Prevent a recurrence: find why the item passed the approval queue and the pre-send review; "
        "re-screen the next day's content with the compliance engine before approving it."
    )
    lines += ["", "## Status", f"- incident: {case.status}", f"- SEBI notification: {_filing_line(case, p)}"]
    return "\n".join(lines) + "\n"


def render(case: ComplianceCase, p: Protocol) -> dict[str, str]:
    """Both documents: name -> Markdown (the same case always gives the same text)."""
    return {INCIDENT_REPORT: incident_report(case, p), REMEDIATION_PLAN: remediation_plan(case, p)}
