"""The escalation engine's I/O shell: record what happened, plan the ledger, send what is due.

Every entry point records its observation first (an incident row or timeline entry), then calls
:func:`reconcile`, which re-derives the day's incidents from *all* recorded observations (derive.py), plans their
ledger rows (plan.py), writes the rows that are new, cancels the steps of resolved incidents that were not due
yet, and puts the due ones in the notification outbox. :func:`follow_up` adds a flush (the send); each send
is mirrored onto its ledger row as it happens. Because planning is a pure function of the records and every key is deterministic,
calling any of these again — a retry, a rerun, a replay — sends nothing new.

Callers (every outbound message of the package starts here or in ``announce``; nothing else enqueues or sends):

* the monitor, in the tick that recorded them: ``on_alerts_fired(conn, day, firings, protocol, at)`` (grouped,
  inhibited, silenced by routing.py) and ``enqueue_due`` on the other ticks;
* the 06:05 SLA checkpoint: ``on_sla_measured(conn, day, sla_pct, at, protocol, dry_run=...)``;
* checks or people, for a SEBI violation / suspended account: ``on_business_event(...)``;
* every task's failure callback: ``on_task_failed(...)``;
* the runbooks: ``on_runbook_activated``, ``request_approval``, ``record_approval``, ``resolve``;
* the follow-up (DAG task and the ``delivery_window_escalations`` DAG): ``follow_up(conn, day, as_of, protocol)``.

Messages of no incident (status lines, go/no-go, the daily summary, the late-checkpoint notice), ``send_pending``
and paging while the report database is away are in ``announce``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from delivery_window import scope, store, window
from delivery_window.escalation import announce, clock, keys, outbox, routing
from delivery_window.escalation.alert_rows import orphan_alert_rows
from delivery_window.escalation.derive import SeenCheck, derive_incidents
from delivery_window.escalation.model import (
    BUSINESS,
    LEVEL_SEVERITY,
    TASK_FAILURE,
    TECHNICAL,
    AlertRef,
    IncidentFacts,
    LedgerRow,
    worst,
)
from delivery_window.escalation.plan import plan_incident
from delivery_window.masking import mask_phones, masked_logger
from delivery_window.protocol import Protocol
from delivery_window.window import at as protocol_time

log = masked_logger(__name__)

# A check's phase -> the protocol time it stands for in a replay (clock.observed_at).
_PHASE_TIMES = (
    ("pre_delivery.final_check", "final_check"),
    ("pre_delivery", "window_open"),
    ("", "delivery_end"),
)


@dataclass
class FollowUpResult:
    """What one reconcile / follow-up did."""

    incidents: list[str] = field(default_factory=list)
    planned: int = 0
    inserted: int = 0
    cancelled: list[str] = field(default_factory=list)
    enqueued: list[str] = field(default_factory=list)
    enqueued_rows: list[dict[str, Any]] = field(default_factory=list)  # key, incident_id, kind, channel
    sent: int = 0
    dry_run: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (task return value)."""
        return {
            "incidents": self.incidents,
            "planned": self.planned,
            "inserted": self.inserted,
            "cancelled": len(self.cancelled),
            "enqueued": len(self.enqueued),
            "sent": self.sent,
            "dry_run": self.dry_run,
            "still_pending": len(self.failed),
        }


def _phase_instant(day: date, phase: str | None) -> datetime:
    for prefix, name in _PHASE_TIMES:
        if (phase or "").startswith(prefix):
            return protocol_time(day, name)
    return protocol_time(day, "delivery_end")


def task_instant(day: date, task_id: str) -> datetime:
    """The protocol time a task stands for in a replay (its group's phase)."""
    if task_id.startswith("pre_delivery"):
        return protocol_time(day, "final_check" if ".final_check." in task_id else "window_open")
    if task_id.startswith("post_delivery"):
        return protocol_time(day, "final_report")
    return window.close(day)


def load_facts(conn, day: date, protocol: Protocol) -> list[IncidentFacts]:
    """The day's incidents, derived from what is recorded (alerts, checks, SLA row, incident rows), their alerts
    marked inhibited or silenced (routing.suppress)."""
    return load_day(conn, day, protocol)[0]


def _orphans(alert_rows: list[dict[str, Any]], protocol: Protocol) -> list[AlertRef]:
    """Alerts of rules without a runbook (they open no incident: latency_vs_baseline)."""
    out = []
    for a in alert_rows:
        rule = protocol.alert_rules.get(a["rule"])
        if rule is not None and rule.runbook is None:
            summary = str((a.get("details") or {}).get("summary", ""))
            out.append(AlertRef(a["rule"], a["scope"], rule.level, a["first_fired_at"], summary))
    return out


def day_silences(conn, day: date, protocol: Protocol) -> list[routing.Silence]:
    """The silences that overlap the delivery date (in IST)."""
    start = protocol_time(day, "window_open").replace(hour=0, minute=0)
    return [routing.Silence.of_row(r) for r in store.silences(conn, start, start + timedelta(days=1))]


def load_day(conn, day: date, protocol: Protocol) -> tuple[list[IncidentFacts], list[AlertRef]]:
    """The day's incidents and its alerts of no incident, every alert marked inhibited or silenced."""
    alert_rows = store.alerts(conn, day)
    facts = _derive(conn, day, alert_rows, protocol)
    resolved = {
        f.runbook: f.resolved_at for f in facts if f.kind == TECHNICAL and f.runbook and f.resolved_at
    }
    every = [a for f in facts for a in f.alerts] + _orphans(alert_rows, protocol)
    muted = {
        (a.rule, a.scope): a
        for a in routing.suppress(every, day_silences(conn, day, protocol), protocol, resolved)
    }
    facts = [replace(f, alerts=tuple(muted[(a.rule, a.scope)] for a in f.alerts)) for f in facts]
    return facts, [muted[(a.rule, a.scope)] for a in _orphans(alert_rows, protocol)]


def alert_routing(
    facts: list[IncidentFacts], orphans: list[AlertRef], protocol: Protocol
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """How every alert of the day went out (routing.routing_of), for ``alerts.routing``."""
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    for f in facts:
        if f.kind == TECHNICAL:
            out.update(routing.routing_of(f.alerts, protocol))
    for a in orphans:
        out.update(routing.routing_of([a], protocol, in_incident=False))
    return out


def _derive(conn, day: date, alert_rows: list[dict[str, Any]], protocol: Protocol) -> list[IncidentFacts]:
    tz = protocol.timezone
    checks = [
        SeenCheck(
            c["check_name"],
            c["status"],
            c.get("observed") or {},
            clock.observed_at(c.get("checked_at"), day, _phase_instant(day, c.get("phase")), tz),
        )
        for c in store.check_results(conn, day)
    ]
    # issue 14: every look at the WhatsApp account (monitor, 06:05) carries quality ratings for the matrix too
    checks += [
        SeenCheck(f"account:{a['source']}", a["verdict"], a["observed"] or {}, a["observed_at"])
        for a in store.account_observations(conn, day)
    ]
    run = store.window_run(conn, day)
    sla_at = run.get("measured_as_of") if run else None
    return derive_incidents(
        day, alert_rows, checks, run, sla_at, store.escalation_incidents(conn, day), protocol
    )


def _record_facts(conn, f: IncidentFacts, protocol: Protocol) -> None:
    """Make sure the incident row exists and its timeline names what opened it (idempotent)."""
    store.upsert_incident_facts(
        conn, f.incident_id, f.delivery_date, f.kind, f.severity, f.runbook, f.opened_at
    )
    for a in f.alerts:
        store.add_incident_event(
            conn, f.incident_id, f"alert:{a.rule}:{a.scope}", a.first_fired_at, level=a.level
        )
    for m in f.business:
        store.add_incident_event(conn, f.incident_id, f"business:{m.row}", m.seen_at, observed=m.observed)
    if f.compliance_at is not None:
        minutes = protocol.external_communication.regulatory_notifications.compliance_incidents
        deadline = f.compliance_at + timedelta(minutes=minutes.sebi_notification_within_minutes)
        store.add_incident_event(
            conn,
            f.incident_id,
            "regulatory_deadline",
            f.compliance_at,
            due_at=deadline.isoformat(),
            what="sebi",
        )


ENGINEERING = (TECHNICAL, TASK_FAILURE)


def reconcile(
    conn,
    day: date,
    as_of: datetime,
    protocol: Protocol,
    *,
    kinds: tuple[str, ...] | None = None,
    now: datetime | None = None,
) -> FollowUpResult:
    """Derive, plan, write new ledger rows, cancel what resolution made unnecessary, enqueue what is due.

    ``kinds`` limits planning to some incident kinds: the window's own paths (a first alert, the remediation
    follow-up) plan the engineering incidents only, so a rerun of the window does not act on the SLA row a
    previous run's checkpoint wrote later in the day (business incidents have their own entry points and the
    follow-up DAG). Facts are always derived from everything recorded.
    """
    result = FollowUpResult()
    every, orphans = load_day(conn, day, protocol)
    store.record_alert_routing(conn, day, alert_routing(every, orphans, protocol))
    facts = [f for f in every if kinds is None or f.kind in kinds]
    rows: list[LedgerRow] = [r for a in orphans for r in orphan_alert_rows(day, a, protocol)]
    for f in facts:
        _record_facts(conn, f, protocol)
        rows += plan_incident(f, protocol, as_of)
    result.incidents = [f.incident_id for f in facts]
    result.planned = len(rows)
    known = store.escalation_keys(conn, day)
    result.inserted = store.insert_escalations(
        conn, [r for r in rows if r.dedup_key not in known], now or clock.utcnow()
    )
    # a step planned earlier than the ledger has it (the secondary after an unacknowledged page) moves forward
    store.advance_escalations(conn, [r for r in rows if r.dedup_key in known and r.status == "pending"])
    result.cancelled = store.cancel_resolved_escalations(conn, day)
    result.enqueued_rows = enqueue_due(conn, day, as_of)
    result.enqueued = [r["dedup_key"] for r in result.enqueued_rows]
    return result


def enqueue_due(conn, day: date, as_of: datetime) -> list[dict[str, Any]]:
    """Put every ledger row that is pending and due by ``as_of`` in the outbox (one indexed read when there is
    nothing to do: the monitor calls it on every tick without a first firing). Returns the rows newly queued."""
    queued = []
    for row in store.due_escalations(conn, day, as_of):
        if outbox.enqueue(
            conn,
            day,
            dedup_key=row["dedup_key"],
            channel=row["conn_id"],
            kind=row["kind"],
            payload=row["payload"],
            at=row["due_at"],
        ):
            queued.append({k: row[k] for k in ("dedup_key", "incident_id", "kind", "channel", "conn_id")})
    return queued


def follow_up(
    conn,
    day: date,
    as_of: datetime,
    protocol: Protocol,
    *,
    dry_run: bool = False,
    sender: Callable[[str, str, dict[str, Any]], None] | None = None,
    kinds: tuple[str, ...] | None = None,
) -> FollowUpResult:
    """Read back the pages' acknowledgements, reconcile, then send everything due (and retry every failed send)
    and mirror the outbox onto the ledger."""
    if scope.may_send(dry_run):  # pages this run did not send have no acknowledgement to read
        track_acknowledgements(conn, day, as_of, protocol)
    result = reconcile(conn, day, as_of, protocol, kinds=kinds)
    conn.commit()
    flushed = outbox.flush(conn, day, dry_run=dry_run, **({"sender": sender} if sender else {}))
    conn.commit()
    result.sent, result.dry_run, result.failed = flushed.sent, flushed.dry_run, flushed.failed
    log.info(
        "escalation follow-up %s as of %s: %d incidents, %d new steps, %d cancelled, %d sent, %d still pending",
        day,
        as_of.isoformat(),
        len(result.incidents),
        result.inserted,
        len(result.cancelled),
        result.sent,
        len(result.failed),
    )
    return result


def track_acknowledgements(conn, day: date, as_of: datetime, protocol: Protocol, read=None) -> list[str]:
    """Read back from PagerDuty whether each incident's page was acknowledged; record the acknowledgement (time
    to acknowledge) or, past the protocol's deadline, the breach (the chain then pages the secondary engineer).
    Returns the incidents whose timeline changed. A PagerDuty that cannot be read is logged and asked again."""
    from delivery_window.escalation import acks

    deadline = acks.ack_deadline(protocol)
    timelines = {
        r["incident_id"]: {e.get("step") for e in r["timeline"] or []}
        for r in store.escalation_incidents(conn, day)
    }
    changed = []
    for page in store.execute(conn, "select_sent_pages", {"delivery_date": day}):
        incident, steps = page["incident_id"], timelines.get(page["incident_id"], set())
        if page["page_key"] != keys.page_key(incident) or "pagerduty_acknowledged" in steps:
            continue  # only the incident's own page; each acknowledgement is read once
        try:
            found = read(page["page_key"]) if read else read_pagerduty_incident(page["page_key"], protocol)
        except (
            Exception
        ) as exc:  # PagerDuty unreadable is not a breach: asked again on the next tick or follow-up
            log.warning("acknowledgement of %s not readable: %s", incident, exc)
            continue
        v = acks.verdict(page["paged_at"], found, as_of, deadline)
        if v.state == "acknowledged":
            store.add_incident_event(conn, incident, "pagerduty_acknowledged", v.at, seconds=v.seconds, by=v.by,
                                     within_deadline=v.seconds <= deadline.total_seconds())  # fmt: skip
            changed.append(incident)
        elif v.state == "breach" and "ack_breach" not in steps:
            store.add_incident_event(
                conn, incident, "ack_breach", v.at, deadline_minutes=deadline.total_seconds() / 60,
                secondary=acks.secondary_role(protocol),
            )  # fmt: skip
            log.warning(
                "page of %s not acknowledged within %s: step 5, the secondary is paged", incident, deadline
            )
            changed.append(incident)
    conn.commit()
    return changed


def read_pagerduty_incident(page_key: str, protocol: Protocol) -> dict[str, Any] | None:
    """The PagerDuty incident opened under ``page_key`` (REST API ``pagerduty_api``), or None."""
    from delivery_window.hooks.pagerduty_rest import PagerDutyRestHook

    return PagerDutyRestHook(timeout_seconds=protocol.checks.http_timeout_seconds).incident(page_key)


def close_by_hand(conn, incident_id: str, at: datetime, by: str, reason: str) -> str:
    """The day team closes an incident (CLI ``incident close``): ``closed``, or why not (unknown, not open).

    Nothing else closes a business incident: it stays open after its messages are out, until a person says
    delivery recovered (issue 13). Its steps not yet due are cancelled and its PagerDuty alerts resolved by the
    next follow-up."""
    row = store.execute(conn, "select_incident", {"incident_id": incident_id})
    if not row:
        return f"no incident {incident_id!r}"
    if row[0]["status"] != "open":
        return f"incident {incident_id} is {row[0]['status']}, not open"
    resolve(conn, incident_id, at, f"{by}: {reason}")
    conn.commit()
    return "closed"


def _send(
    conn,
    day: date,
    as_of: datetime,
    protocol: Protocol,
    send: bool,
    dry_run: bool,
    kinds: tuple[str, ...] | None = None,
) -> FollowUpResult:
    if send:
        return follow_up(conn, day, as_of, protocol, dry_run=dry_run, kinds=kinds)
    result = reconcile(conn, day, as_of, protocol, kinds=kinds)
    conn.commit()
    return result


# --- entry points ----------------------------------------------------------------------------------------
def on_alert_fired(conn, day: date, firing, protocol: Protocol, at: datetime | None = None) -> list[str]:
    """A first firing (already in ``delivery_ops.alerts``): open/join its incident, write its ledger rows (the
    page and the post of the alert = level 1, plus anything else now due), enqueue what is due at ``at``
    (default: the firing's tick). The caller commits and flushes (the monitor flushes after every tick).
    Returns the outbox keys enqueued. With several first firings in one tick, prefer ``on_alerts_fired``.
    """
    return on_alerts_fired(conn, day, [firing], protocol, at or firing.at).enqueued


def on_alerts_fired(conn, day: date, firings, protocol: Protocol, at: datetime) -> FollowUpResult:
    """The first firings of one tick, at once (the monitor calls it in the tick that recorded them): one
    reconcile for all of them, which groups, inhibits and silences them (routing.py) and queues what is due at
    ``at``. The caller commits and sends (``send_pending``)."""
    for firing in firings:
        rule = protocol.alert_rules.get(firing.rule)
        if rule is None or rule.runbook is None:
            continue
        incident_id = keys.incident_id(day, rule.runbook)
        store.upsert_incident_facts(
            conn,
            incident_id,
            day,
            TECHNICAL,
            LEVEL_SEVERITY.get(rule.level, "minor"),
            rule.runbook,
            firing.at,
        )
        store.add_incident_event(
            conn, incident_id, f"alert:{firing.rule}:{firing.scope}", firing.at, level=rule.level
        )
    return reconcile(conn, day, at, protocol, kinds=ENGINEERING) if firings else FollowUpResult()


def replan(conn, day: date, at: datetime, protocol: Protocol) -> FollowUpResult:
    """Plan and queue what came due at ``at`` without a new firing: an alert batch whose group_wait or
    group_interval ended (the monitor calls it while one may still be gathering alerts)."""
    return reconcile(conn, day, at, protocol, kinds=ENGINEERING)


def on_sla_measured(
    conn,
    day: date,
    sla_pct: float,
    at: datetime,
    protocol: Protocol,
    *,
    dry_run: bool = False,
    send: bool = True,
) -> FollowUpResult:
    """The 06:05 checkpoint measured the SLA (its ``window_runs`` row is written): apply the business matrix
    rows (< 95 %, < 90 %) and send the immediate steps now; the later ones wait for the follow-up.
    """
    log.info("SLA %.3f%% measured as of %s: business matrix", sla_pct, at.isoformat())
    return _send(conn, day, at, protocol, send, dry_run)


def on_business_event(
    conn,
    day: date,
    event: str,
    at: datetime,
    protocol: Protocol,
    details: dict[str, Any] | None = None,
    *,
    dry_run: bool = False,
    send: bool = True,
) -> FollowUpResult:
    """Record a business event (``sebi_violation_detected``, ``account_suspended``) and escalate it."""
    rows = [k for k, r in protocol.business_escalation.items() if r.threshold.event == event]
    if not rows:
        known = sorted(
            {r.threshold.event for r in protocol.business_escalation.values() if r.threshold.event}
        )
        raise ValueError(f"unknown business event {event!r}; known: {', '.join(known)}")
    incident_id = keys.incident_id(day, rows[0])
    from delivery_window.escalation.matrix import severity_of

    store.upsert_incident_facts(conn, incident_id, day, BUSINESS, severity_of(rows, protocol), None, at)
    store.add_incident_event(conn, incident_id, f"event:{event}", at, details=details or {})
    return _send(conn, day, at, protocol, send, dry_run)


def on_task_failed(
    conn,
    day: date,
    task_id: str,
    error: str,
    at: datetime,
    protocol: Protocol,
    *,
    try_number: int | None = None,
    dry_run: bool = False,
    send: bool = True,
) -> FollowUpResult:
    """A task failed for good (after its retries): a failed critical task is a critical incident.

    A runbook step's failure goes on its runbook's incident; any other task gets its own task-failure incident
    ``<date>:task:<task_id>``, critical when its group is in ``incident_automation.critical_task_groups``.
    """
    error = mask_phones(error)
    parts = task_id.split(".")
    if ".remediation.run_" in f".{task_id}":
        runbook = next(p.removeprefix("run_") for p in parts if p.startswith("run_"))
        incident_id = keys.incident_id(day, runbook)
        store.upsert_incident_facts(conn, incident_id, day, TECHNICAL, "major", runbook, at)
    else:
        critical = parts[0] in protocol.incident_automation.critical_task_groups
        incident_id = keys.task_incident_id(day, task_id)
        store.upsert_incident_facts(
            conn, incident_id, day, TASK_FAILURE, "critical" if critical else "major", None, at
        )
    store.add_incident_event(
        conn, incident_id, f"task_failed:{task_id}", at, error=error[:1000], try_number=try_number
    )
    log.warning("task %s failed: incident %s: %s", task_id, incident_id, error[:300])
    return _send(conn, day, at, protocol, send, dry_run, kinds=ENGINEERING)


def on_task_succeeded(conn, day: date, task_id: str, at: datetime) -> bool:
    """A task that had failed succeeded (cleared and rerun): its task-failure incident resolves."""
    return store.resolve_incident(conn, keys.task_incident_id(day, task_id), at, f"task {task_id} succeeded")


def on_runbook_activated(
    conn, day: date, runbook: str, at: datetime, protocol: Protocol, **details: Any
) -> str:
    """A runbook started: open (or join) its incident and put the activation on the timeline."""
    incident_id = keys.incident_id(day, runbook)
    severities = [
        LEVEL_SEVERITY.get(protocol.alert_rules[a["rule"]].level)
        for a in store.alerts(conn, day)
        if a["rule"] in protocol.alert_rules and protocol.alert_rules[a["rule"]].runbook == runbook
    ]
    severity = worst(*severities) if severities else "major"
    store.upsert_incident_facts(conn, incident_id, day, TECHNICAL, severity, runbook, at)
    spec = protocol.runbooks[runbook]
    store.add_incident_event(
        conn, incident_id, "runbook_activated", at, runbook=runbook, doc=spec.doc, **details
    )
    return incident_id


def record_approval(
    conn,
    day: date,
    runbook: str,
    step: str,
    decision: str,
    by: str | None,
    at: datetime,
    *,
    timed_out: bool = False,
    mode: str = "hitl",
    run_id: str | None = None,
) -> None:
    """A runbook step's approval (a human, the timeout default, or automatic): on the incident timeline.

    A human approval acknowledges the incident's PagerDuty alerts (the next follow-up sends the acknowledge).
    """
    incident_id = keys.incident_id(day, runbook)
    store.add_incident_event(
        conn, incident_id, f"approval:{step}", at, decision=decision, by=by, timed_out=timed_out, mode=mode
    )
    if run_id is not None:  # every ask and answer, reruns included (the timeline keeps the first)
        store.record_approval(conn, day, run_id, runbook, step, decision, by, mode, timed_out, at)


def resolve(conn, incident_id: str, at: datetime, by: str) -> bool:
    """Resolve an incident (a runbook's success criterion held, or a human closed it)."""
    done = store.resolve_incident(conn, incident_id, at, by)
    if done:
        store.add_incident_event(conn, incident_id, "resolved", at, by=by)
    return done


def record_regulatory_filing(
    conn, incident_id: str, at: datetime, outcome: str, by: str, reference: str | None = None
) -> list[str]:
    """The SEBI notification was filed (``filed``) or judged not required (``not_required``): stop reminding.
    ``reference`` (SEBI's acknowledgement or the filing's number) is kept on the timeline entry."""
    if outcome not in ("filed", "not_required"):
        raise ValueError(f"outcome must be 'filed' or 'not_required', got {outcome!r}")
    extra = {"reference": reference} if reference is not None else {}
    store.add_incident_event(conn, incident_id, "regulatory_closed", at, outcome=outcome, by=by, **extra)
    return store.cancel_regulatory_escalations(conn, incident_id, f"SEBI notification {outcome} by {by}")


def request_approval(
    conn,
    day: date,
    runbook: str,
    step: str,
    default: str,
    timeout_minutes: int,
    at: datetime,
    protocol: Protocol,
    *,
    dry_run: bool = False,
) -> str:
    """Post "approval needed" to the war room (a ledger row first) when a runbook step waits for a human."""
    from delivery_window.escalation import comms

    incident_id = keys.incident_id(day, runbook)
    route = comms.slack_route("critical_incidents", protocol)
    key = keys.approval_request_key(incident_id, step)
    body = (
        f"*{incident_id}*: runbook `{runbook}` waits for approval of `{step}`.\n"
        f"Airflow → DAG `delivery_window` → Required actions. No answer within {timeout_minutes} min: *{default}*."
    )
    row = LedgerRow(
        dedup_key=key,
        delivery_date=day,
        incident_id=incident_id,
        source=f"approval_request:{step}",
        target="primary_engineer",
        channel=route.channel,
        conn_id=route.conn_id,
        kind=route.kind,
        due_at=at,
        payload=comms.slack_blocks(
            f"Approval needed · {runbook}.{step}", body, [f"ledger {key}"], "critical"
        ),
        action="approval_request",
        reason=f"{step} requires approval (default {default} after {timeout_minutes} min)",
    )
    announce.record_and_enqueue(conn, [row])
    conn.commit()
    outbox.flush(conn, day, dry_run=dry_run)
    return key
