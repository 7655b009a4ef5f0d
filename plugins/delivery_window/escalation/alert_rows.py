"""The messages of an incident's alerts, grouped (pure): one PagerDuty event per batch under the incident's key,
one war-room post per batch, each rule's own channel its share; and the posts of an alert of no incident.
``plan.plan_incident`` adds them to the incident's other ledger rows; ``routing`` says which alerts and batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from delivery_window.escalation import comms, keys, routing
from delivery_window.escalation.model import AlertRef, IncidentFacts, LedgerRow
from delivery_window.protocol import Protocol


def _alert_line(a: AlertRef, protocol: Protocol) -> str:
    summary = a.summary or f"{a.rule} fired"
    return f"*{a.rule}* ({a.level}, {a.scope}) at {comms.ist(a.first_fired_at, protocol)}: {summary}"


def _alert_detail(a: AlertRef) -> dict:
    out = {"rule": a.rule, "scope": a.scope, "level": a.level, "first_fired_at": a.first_fired_at.isoformat()}
    if a.suppressed:
        out[a.suppressed + "_by"] = a.suppressed_by
    return out


def _worst_pd_severity(alerts: Sequence[AlertRef], protocol: Protocol) -> str:
    order = ("info", "warning", "error", "critical")
    return max((protocol.alert_rules[a.rule].pagerduty_severity for a in alerts), key=order.index)


def incident_alert_rows(
    f: IncidentFacts, protocol: Protocol, as_of: datetime | None = None
) -> list[LedgerRow]:
    """The alert messages of an incident, grouped (routing.batches): per batch one PagerDuty event under the
    incident's dedup key (from the first batch with a paging alert on: PagerDuty keeps one incident and appends
    the later events to its log, each carrying every alert so far in ``custom_details``), one war-room post
    listing what newly fired, and one post per other channel the batch's rules name. Suppressed alerts
    (inhibited, silenced) send nothing of their own; they are listed in the events' details."""
    rows: list[LedgerRow] = []
    page_key = keys.page_key(f.incident_id)
    runbook = protocol.runbooks[f.runbook] if f.runbook in protocol.runbooks else None
    paged = False
    for due, group in routing.batches(f.alerts, protocol):
        if as_of is not None and due > as_of:
            break  # planned once due, so alerts that join it before then are in it (a row is written once)
        so_far = [a for a in f.alerts if a.first_fired_at <= due]
        paged = paged or any(protocol.alert_rules[a.rule].page for a in group)
        source = "alerts:" + ",".join(f"{a.rule}:{a.scope}" for a in group)
        new = ", ".join(sorted({a.rule for a in group}))
        if paged:
            lead = group[0].summary or f"{group[0].rule} fired"
            more = f" (+{len(group) - 1} more)" if len(group) > 1 else ""
            rows.append(
                LedgerRow(
                    dedup_key=keys.group_message_key(f.incident_id, _stamp(due), "pagerduty"),
                    delivery_date=f.delivery_date,
                    incident_id=f.incident_id,
                    source=source,
                    target="primary_engineer",
                    channel="pagerduty",
                    conn_id=comms.PAGERDUTY_ROUTE.conn_id,
                    kind="pagerduty_event",
                    due_at=due,
                    payload=comms.pagerduty_payload(
                        page_key,
                        f"[{f.severity}] {f.incident_id}: {lead}{more}",
                        _worst_pd_severity(so_far, protocol),
                        details={
                            "incident_id": f.incident_id,
                            "runbook": f.runbook,
                            "new": [f"{a.rule}:{a.scope}" for a in group],
                            "firing": [_alert_detail(a) for a in so_far],
                        },
                        component="whatsapp",
                        class_type="delivery_window_alert",
                    ),
                    action="page",
                    reason=f"alerts {new} of {f.incident_id} (one PagerDuty incident, key {page_key})",
                )
            )
        context = [
            f"incident {f.incident_id} · runbook {f.runbook or 'none'}"
            + (f" ({runbook.doc})" if runbook else "")
            + f" · PagerDuty key {page_key if paged else 'not paged'}"
        ]
        lines = "\n".join(_alert_line(a, protocol) for a in group)
        purposes = [keys.WAR_ROOM] + sorted(
            {protocol.alert_rules[a.rule].slack for a in group} - {keys.WAR_ROOM}
        )
        for purpose in purposes:
            route = comms.slack_route(purpose, protocol)
            mine = (
                group
                if purpose == keys.WAR_ROOM
                else [a for a in group if protocol.alert_rules[a.rule].slack == purpose]
            )
            text = lines if purpose == keys.WAR_ROOM else "\n".join(_alert_line(a, protocol) for a in mine)
            rows.append(
                LedgerRow(
                    dedup_key=keys.group_message_key(f.incident_id, _stamp(due), purpose),
                    delivery_date=f.delivery_date,
                    incident_id=f.incident_id,
                    source=source,
                    target="primary_engineer",
                    channel=route.channel,
                    conn_id=route.conn_id,
                    kind=route.kind,
                    due_at=due,
                    payload=comms.slack_blocks(
                        f"{f.incident_id}: {len(mine)} alert{'s' if len(mine) > 1 else ''} fired",
                        text,
                        context,
                        "critical" if paged else "major",
                    ),
                    action="notify",
                    reason=f"alerts {new} of {f.incident_id}; slack purpose {purpose}",
                )
            )
    return rows


def _stamp(t: datetime) -> str:
    """A batch's due instant in a key (UTC, to the second): stable when later alerts join the incident."""
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def orphan_alert_rows(day: date, a: AlertRef, protocol: Protocol) -> list[LedgerRow]:
    """The posts of an alert that belongs to no incident (a rule without a runbook): the war room and the rule's
    own channel, under ``keys.slack_alert_keys``; nothing when it is suppressed."""
    if a.suppressed is not None:
        return []
    rule = protocol.alert_rules[a.rule]
    key = keys.alert_key(day, a.rule, a.scope)
    rows = []
    for purpose, slack_key in keys.slack_alert_keys(key, rule.slack):
        route = comms.slack_route(purpose, protocol)
        rows.append(
            LedgerRow(
                dedup_key=slack_key,
                delivery_date=day,
                incident_id=None,
                source=f"alert:{a.rule}:{a.scope}",
                target="primary_engineer",
                channel=route.channel,
                conn_id=route.conn_id,
                kind=route.kind,
                due_at=a.first_fired_at,
                payload=comms.slack_blocks(
                    f"Alert {a.rule}",
                    _alert_line(a, protocol),
                    [f"runbook: none · incident none · key {key}"],
                    "minor",
                ),
                action="notify",
                reason=f"alert {a.rule} first fired (no incident); slack purpose {purpose}",
            )
        )
    return rows
