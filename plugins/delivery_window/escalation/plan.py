"""The ledger rows of one incident, as a pure function of its facts and the protocol (the decision table).

``plan_incident(facts, protocol, as_of)`` lists every step the incident calls for, on every channel, with its
due time and exact message. Rows due after the incident resolved come back ``cancelled`` (so the ledger shows
what was avoided); everything else is ``pending`` until the follow-up sends it. Row keys are deterministic:
planning the same facts twice gives the same rows, which is what makes reruns send nothing new.

| source | when | to |
|---|---|---|
| ``alerts:<rule>:<scope>,...`` | each alert batch of the incident (routing.batches: grouped, inhibited and silenced alerts left out) | PagerDuty under the incident's key once a paging alert fired; the war room; each rule's own channel |
| ``alert:<rule>:<scope>`` | first firing of an alert of no incident | the war room and the rule's own channel |
| ``chain:<level>`` | chain.py (L1 at once; L2 +15 min critical / multi-system; L3 >30 min / business impact; L4 >60 min complete outage / compliance) | the level's role: PagerDuty (L1 only when critical) + its Slack purposes |
| ``business:<row>:<n>`` | matrix.py (condition seen + delay) | the row's targets: PagerDuty if on the policy + Slack |
| ``status_page:internal:degraded`` | critical technical incident opens | internal status page (Statuspage ``investigating``) |
| ``status_page:advisor_facing:degraded``, ``x_post:advisor_facing:degraded``, ``proactive_email`` | 30 min after it opened, if unresolved | advisor status page, X (the status account), advisors' e-mail |
| ``status_page:<page>:identified`` | its runbook started (not before the page was told) | that page (``identified``) |
| ``advisor_delay:<n>`` | delay >15 min, then every 15 min until resolved (delivery_failure, database_emergency) | advisors: in-app + e-mail, with an ETA |
| ``regulatory:*`` | SEBI violation: at once, 4 h and 1 h before the 24 h deadline | compliance officer + legal counsel |
| ``regulatory:overdue_<n>`` | the deadline passed with no filing recorded, then every ``regulatory_overdue_repeat_minutes`` | ``regulatory_overdue_targets`` |
| ``pagerduty:acknowledge`` / ``pagerduty:resolve`` | a human approved a runbook step / the incident resolved | every PagerDuty alert the incident triggered |
| ``status_page:<page>:resolved``, ``x_post:<page>:resolved`` | the incident resolved | every status page (``resolved``) and X account that was told |
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from delivery_window.connections import DELIVERY_SERVICE, STATUSPAGE_BY_PAGE, X_API
from delivery_window.escalation import comms, keys
from delivery_window.escalation.alert_rows import incident_alert_rows
from delivery_window.escalation.chain import STRICT, chain_steps
from delivery_window.escalation.matrix import business_steps
from delivery_window.escalation.model import BUSINESS, TECHNICAL, IncidentFacts, LedgerRow, Step
from delivery_window.protocol import Protocol

NEVER_CANCELLED = (
    "regulatory:",
)  # a SEBI deadline outlives the incident; closed only when the filing is recorded


def _step_rows(
    f: IncidentFacts, step: Step, routes: list[comms.Route], protocol: Protocol
) -> list[LedgerRow]:
    role = protocol.roles[step.target] if step.target in protocol.roles else None
    title_of = role.title if role else step.target
    headline = f"{'Escalation L' + str(step.level) if step.level else 'Escalation'} · {title_of}"
    if step.action not in ("notify", "page", "respond"):
        headline = f"{step.action.replace('_', ' ').capitalize()} · {title_of}"
    runbook = protocol.runbooks[f.runbook] if f.runbook in protocol.runbooks else None
    lines = [
        f"*{f.incident_id}* ({f.severity}) opened {comms.ist(f.opened_at, protocol)}",
        f"Why: {step.reason}",
        f"Due: {comms.ist(step.due_at, protocol)}",
    ]
    if runbook:
        lines.append(f"Runbook `{f.runbook}`: {runbook.title} — {runbook.doc}")
    if f.error:
        lines.append(f"Error: {f.error[:300]}")
    hint = comms.phone_hint(step.target, protocol) if role else None
    rows = []
    for route in routes:
        if route.kind == "pagerduty_event":
            key = keys.step_key(f.incident_id, step.source, step.target, None)
            payload = comms.pagerduty_payload(
                key,
                f"[{f.severity}] {headline}: {f.incident_id} — {step.reason}",
                "critical" if f.severity == "critical" else "error",
                details={
                    "incident_id": f.incident_id,
                    "target": step.target,
                    "level": step.level,
                    "source": step.source,
                    "escalation_policy": protocol.communication_channels.pagerduty_escalation.escalation_policy,
                },
                class_type="escalation",
            )
        else:
            key = keys.step_key(f.incident_id, step.source, step.target, route.purpose)
            payload = comms.slack_blocks(
                headline,
                "\n".join(lines),
                [f"ledger {key}"] + ([f"{step.target}: {hint}"] if hint else []),
                f.severity,
            )
        rows.append(
            LedgerRow(
                dedup_key=key,
                delivery_date=f.delivery_date,
                incident_id=f.incident_id,
                source=step.source,
                target=step.target,
                channel=route.channel,
                conn_id=route.conn_id,
                kind=route.kind,
                due_at=step.due_at,
                payload=payload,
                action=step.action,
                reason=step.reason,
            )
        )
    return rows


def _service_rows(f: IncidentFacts, protocol: Protocol, as_of: datetime) -> list[LedgerRow]:
    """Status pages, proactive e-mail and advisor delay notices of a technical incident."""
    rows: list[LedgerRow] = []
    ext = protocol.external_communication.advisor_notifications
    day = f.delivery_date.isoformat()
    what = f"{protocol.runbooks[f.runbook].title}" if f.runbook in protocol.runbooks else f.incident_id

    def service_row(
        source: str, target: str, channel: str, kind: str, due: datetime, payload: dict, reason: str
    ):
        rows.append(
            LedgerRow(
                dedup_key=keys.service_key(kind, f.incident_id, source),
                delivery_date=f.delivery_date,
                incident_id=f.incident_id,
                source=source,
                target=target,
                channel=channel,
                conn_id=DELIVERY_SERVICE,
                kind=kind,
                due_at=due,
                payload=payload,
                action=kind,
                reason=reason,
            )
        )

    if f.kind == TECHNICAL and f.severity == "critical":
        within = timedelta(minutes=ext.service_degradation.within_minutes_of_incident_start)
        told = {  # page -> (when it is first told, its incident's name, what it says, why)
            "internal": (
                f.opened_at,
                f"Delivery window: {what}",
                f"Investigating since {comms.ist(f.opened_at, protocol)}; runbook {f.runbook or 'pending'}.",
                "critical incident opened: internal status page at once",
            ),
            "advisor_facing": (
                f.opened_at + within,
                "Today's content delivery is degraded",
                "Some advisors may receive today's content late. We are restoring delivery; no action is needed.",
                f"service degradation: status page within {within.seconds // 60} min of incident start",
            ),
        }
        for page, (due, name, body, reason) in told.items():
            rows.extend(_status_page_rows(f, page, due, name, body, reason, protocol))
        service_row(
            "proactive_email",
            "advisors",
            "advisors:" + "+".join(m for m in ext.service_degradation.methods if m != "status_page"),
            "advisor_notification",
            f.opened_at + within,
            comms.advisor_notice_payload(
                f.incident_id,
                tuple(m for m in ext.service_degradation.methods if m != "status_page"),
                ext.service_degradation.message,
                "Today's content delivery is degraded. Content will arrive late; nothing to do on your side.",
                day,
                None,
            ),
            f"service degradation: proactive e-mail within {within.seconds // 60} min of incident start",
        )
    delays = ext.delivery_delays
    if f.kind == TECHNICAL and f.runbook in protocol.incident_automation.advisor_delay_runbooks:
        first = f.opened_at + timedelta(minutes=delays.delay_over_minutes) + STRICT
        every = timedelta(minutes=delays.repeat_every_minutes)
        horizon = f.resolved_at or as_of
        n, due = 1, first
        while True:
            estimate = protocol.runbooks[f.runbook].estimated_resolution_minutes.max
            eta = (f.runbook_started_at or due) + timedelta(minutes=estimate)
            if eta <= due:  # over the estimate: promise the next update instead of a time already past
                eta = due + every
            service_row(
                f"advisor_delay:{n}",
                "advisors",
                "advisors:" + "+".join(delays.methods),
                "advisor_notification",
                due,
                comms.advisor_notice_payload(
                    f.incident_id,
                    delays.methods,
                    delays.message,
                    f"Today's content is delayed. Expected by {comms.ist(eta, protocol)}; "
                    f"next update within {delays.repeat_every_minutes} minutes.",
                    day,
                    eta.isoformat(),
                ),
                f"delivery delayed >{delays.delay_over_minutes} min (update {n}, every "
                f"{delays.repeat_every_minutes} min until {delays.until})",
            )
            if due > horizon:
                break
            n, due = n + 1, due + every
    return rows


def _status_page_rows(
    f: IncidentFacts, page: str, due: datetime, name: str, body: str, reason: str, protocol: Protocol
) -> list[LedgerRow]:
    """A status page told of a critical incident: Statuspage ``investigating`` at ``due``, ``identified`` once its
    runbook started (not before the page was told), and, for the pages of ``channel_publishing.x_posts``, the
    same change posted to X. Sources ``status_page:<page>:degraded`` / ``:identified``, ``x_post:<page>:degraded``
    (the names the ledger had before issue 14, so a rerun of an earlier day finds its rows)."""
    pages = protocol.communication_channels.status_communications
    host = pages.internal_status_page if page == "internal" else pages.advisor_facing_status
    steps = [("degraded", "investigating", due, body, reason)]
    if f.runbook_started_at is not None:
        steps.append(
            (
                "identified",
                "identified",
                max(due, f.runbook_started_at),
                f"Cause identified; runbook {f.runbook} under way since {comms.ist(f.runbook_started_at, protocol)}.",
                f"{f.incident_id}: its runbook started",
            )
        )
    rows = []
    for state, status, at, text, why in steps:
        source = f"status_page:{page}:{state}"
        rows.append(
            LedgerRow(
                dedup_key=keys.service_key("status_page_update", f.incident_id, source),
                delivery_date=f.delivery_date,
                incident_id=f.incident_id,
                source=source,
                target="internal_status_page" if page == "internal" else "advisor_facing_status",
                channel=f"status_page:{host}",
                conn_id=STATUSPAGE_BY_PAGE[page],
                kind="status_page_update",
                due_at=at,
                payload=comms.statuspage_payload(page, status, f.incident_id, name, text, protocol),
                action="status_page_update",
                reason=why,
            )
        )
    if page in protocol.channel_publishing.x_posts.pages:
        rows.append(_x_row(f, page, "degraded", due, f"{name}. {body}", reason, protocol))
    return rows


def _x_row(
    f: IncidentFacts, page: str, state: str, due: datetime, text: str, reason: str, protocol: Protocol
) -> LedgerRow:
    """An advisor-facing status change posted from the status account (``status_communications.twitter_updates``)."""
    pages = protocol.communication_channels.status_communications
    host = pages.internal_status_page if page == "internal" else pages.advisor_facing_status
    source = f"x_post:{page}:{state}"
    return LedgerRow(
        dedup_key=keys.service_key("x_post", f.incident_id, source),
        delivery_date=f.delivery_date,
        incident_id=f.incident_id,
        source=source,
        target="twitter_updates",
        channel=f"x:{pages.twitter_updates}",
        conn_id=X_API,
        kind="x_post",
        due_at=due,
        payload=comms.x_post_payload(text, host),
        action="x_post",
        reason=reason,
    )


def _regulatory_rows(f: IncidentFacts, protocol: Protocol, as_of: datetime) -> list[LedgerRow]:
    """SEBI notification deadline (24 h) recorded at once and reminded before it, to compliance and legal; once
    it passed with no filing recorded, the overdue escalation (``_overdue_rows``)."""
    if f.compliance_at is None:
        return []
    reg = protocol.external_communication.regulatory_notifications.compliance_incidents
    deadline = f.compliance_at + timedelta(minutes=reg.sebi_notification_within_minutes)
    moments = [("regulatory:sebi_deadline_recorded", f.compliance_at)] + [
        (f"regulatory:reminder_{m}m", deadline - timedelta(minutes=m))
        for m in protocol.incident_automation.regulatory_reminder_before_minutes
    ]
    rows = []
    for source, due in moments:
        step = Step(
            source=source,
            target="",
            due_at=due,
            action="regulatory_reminder",
            reason=(
                f"SEBI notification due by {comms.ist_full(deadline, protocol)}"
                f"{' if required' if reg.sebi_notification_only_if_required else ''}; "
                f"{reg.legal_documentation}, {reg.remediation_plan}"
            ),
        )
        for target in ("compliance_officer", "legal_counsel"):
            routes = comms.role_routes(target, protocol, page=False)
            rows += _step_rows(f, replace(step, target=target), routes, protocol)
    return rows + _overdue_rows(f, deadline, protocol, as_of)


def _overdue_rows(
    f: IncidentFacts, deadline: datetime, protocol: Protocol, as_of: datetime
) -> list[LedgerRow]:
    """The SEBI deadline passed with no filing recorded: ``regulatory:overdue_<n>`` to
    ``incident_automation.regulatory_overdue_targets`` just after it, then every
    ``regulatory_overdue_repeat_minutes`` until the filing is recorded (the next one is planned ahead, pending)."""
    auto = protocol.incident_automation
    every = timedelta(minutes=auto.regulatory_overdue_repeat_minutes)
    # planned up to the filing or the follow-up's instant, whichever is first (a filing recorded later than a
    # follow-up's ``as_of`` plans nothing beyond what that follow-up could send)
    horizon = min(t for t in (f.regulatory_closed_at, as_of) if t is not None)
    rows: list[LedgerRow] = []
    n, due = 1, deadline + STRICT
    while True:
        step = Step(
            source=f"regulatory:overdue_{n}",
            target="",
            due_at=due,
            action="regulatory_overdue",
            reason=(
                f"SEBI notification deadline {comms.ist_full(deadline, protocol)} passed with no filing recorded "
                f"(overdue {n}; again every {auto.regulatory_overdue_repeat_minutes} min until "
                "`delivery-window compliance notified` records it)"
            ),
        )
        for target in auto.regulatory_overdue_targets:
            routes = comms.role_routes(target, protocol, page=True)
            rows += _step_rows(f, replace(step, target=target), routes, protocol)
        if due > horizon:
            return rows
        n, due = n + 1, due + every


def _lifecycle_rows(f: IncidentFacts, rows: list[LedgerRow], protocol: Protocol) -> list[LedgerRow]:
    """PagerDuty acknowledge / resolve for every trigger sent, and "resolved" on every status page told."""
    out = []
    triggers, seen_keys = [], set()
    for r in sorted(rows, key=lambda r: (r.due_at, r.dedup_key)):
        if r.kind == "pagerduty_event" and r.payload.get("action") == "trigger":
            if r.payload.get("dedup_key") not in seen_keys:  # one PagerDuty incident per key
                seen_keys.add(r.payload.get("dedup_key"))
                triggers.append(r)
    for action, at, who in (
        ("acknowledge", f.acknowledged_at, f.acknowledged_by),
        ("resolve", f.resolved_at, None),
    ):
        if at is None or (action == "acknowledge" and f.resolved_at is not None and at >= f.resolved_at):
            continue
        for r in triggers:
            if r.due_at > at:
                continue
            out.append(
                LedgerRow(
                    dedup_key=keys.lifecycle_key(r.dedup_key, action),
                    delivery_date=f.delivery_date,
                    incident_id=f.incident_id,
                    source=f"pagerduty:{action}",
                    target=r.target,
                    channel="pagerduty",
                    conn_id=r.conn_id,
                    kind="pagerduty_event",
                    due_at=at,
                    payload={
                        **r.payload,
                        "action": action,
                        "summary": f"{action}d: {r.payload.get('summary', '')}"[:1024],
                    },
                    action=action,
                    reason=f"{f.incident_id} {action}d" + (f" by {who}" if who else ""),
                )
            )
    if f.resolved_at is not None:
        for r in rows:
            if r.kind not in ("status_page_update", "x_post") or not r.source.endswith(":degraded"):
                continue
            if r.due_at > f.resolved_at:
                continue
            page = r.source.split(":")[1]
            resolved = f"Resolved at {comms.ist(f.resolved_at, protocol)}."
            if r.kind == "x_post":
                name = "Today's content delivery has recovered"
                out.append(
                    _x_row(
                        f,
                        page,
                        "resolved",
                        f.resolved_at,
                        f"{name}. {resolved}",
                        f"{f.incident_id} resolved",
                        protocol,
                    )
                )
                continue
            out.append(
                LedgerRow(
                    dedup_key=keys.service_key(r.kind, f.incident_id, f"status_page:{page}:resolved"),
                    delivery_date=f.delivery_date,
                    incident_id=f.incident_id,
                    source=f"status_page:{page}:resolved",
                    target=r.target,
                    channel=r.channel,
                    conn_id=r.conn_id,
                    kind=r.kind,
                    due_at=f.resolved_at,
                    payload=comms.statuspage_payload(
                        page,
                        "resolved",
                        f.incident_id,
                        r.payload.get("name", f.incident_id),
                        resolved,
                        protocol,
                    ),
                    action="status_page_update",
                    reason=f"{f.incident_id} resolved",
                )
            )
    return out


def _settle(f: IncidentFacts, row: LedgerRow, protocol: Protocol) -> LedgerRow:
    """``cancelled`` when the incident resolved (or the SEBI filing was recorded) before the row was due."""
    if row.source.startswith(NEVER_CANCELLED):
        closed = f.regulatory_closed_at
        if closed is not None and row.due_at > closed:
            return replace(row, status="cancelled", reason=row.reason + "; filing recorded")
        return row
    if f.resolved_at is not None and row.due_at > f.resolved_at:
        note = f"; cancelled: resolved at {comms.ist(f.resolved_at, protocol)} before due"
        return replace(row, status="cancelled", reason=row.reason + note)
    return row


def plan_incident(f: IncidentFacts, protocol: Protocol, as_of: datetime) -> list[LedgerRow]:
    """Every ledger row of an incident (see the module table), deterministic for the same facts."""
    critical = f.severity == "critical"
    rows: list[LedgerRow] = []
    if f.alerts and all(a.suppressed for a in f.alerts):
        return []  # every alert inhibited or silenced: the covering incident / the maintenance speaks for it
    rows += incident_alert_rows(f, protocol, as_of)
    for step in chain_steps(f, protocol):
        if step.level == 1 and f.alerts:
            continue  # the alerts' own page and posts are level 1 (one message, not two)
        page = critical or (step.level or 0) >= 2
        war_room = critical or f.kind == BUSINESS
        rows += _step_rows(
            f, step, comms.role_routes(step.target, protocol, page=page, war_room=war_room), protocol
        )
    if f.kind == BUSINESS:
        for step in business_steps(f.business, protocol):
            rows += _step_rows(f, step, comms.role_routes(step.target, protocol, page=True), protocol)
        rows += _regulatory_rows(f, protocol, as_of)
    rows += _service_rows(f, protocol, as_of)
    rows = [_settle(f, r, protocol) for r in rows]
    live = [r for r in rows if r.status != "cancelled"]
    rows += _lifecycle_rows(f, live, protocol)
    seen: dict[str, LedgerRow] = {}
    for r in rows:  # one row per key (an alert seen in two incidents' facts is planned once)
        seen.setdefault(r.dedup_key, r)
    return sorted(seen.values(), key=lambda r: (r.due_at, r.dedup_key))


def sendable(rows: list[LedgerRow], as_of: datetime) -> list[LedgerRow]:
    """The rows the follow-up sends at ``as_of``: pending and due (sql/queries/select_due_escalations.sql)."""
    return [r for r in rows if r.status == "pending" and r.due_at <= as_of]
