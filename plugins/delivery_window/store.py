"""Reads of the ``platform`` source and idempotent writes to the ``delivery_ops`` report schema.

Functions take a DB-API connection (psycopg 2 or 3, as PostgresHook hands out) and use only the
statements in ``sql/queries`` with bind parameters. Writes are upserts keyed by delivery date, so a
rerun replaces rows instead of adding them; callers commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from delivery_window.escalation import keys
from delivery_window.paths import query
from delivery_window.records import Attempt, CheckResult


@contextmanager
def report_db(conn_id: str | None = None) -> Iterator[Any]:
    """A connection to the delivery database through Airflow's PostgresHook; commits on success."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from delivery_window.connections import DELIVERY_DB

    conn = PostgresHook(postgres_conn_id=conn_id or DELIVERY_DB).get_conn()
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def connect_report_db(conn_id: str | None = None) -> Any:
    """A new connection to the delivery database (the caller commits and closes it); see ``report_db``."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from delivery_window.connections import DELIVERY_DB

    return PostgresHook(postgres_conn_id=conn_id or DELIVERY_DB).get_conn()


def _rows(cur) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def execute(conn, name: str, params: dict[str, Any] | None = None, run_scope=None) -> list[dict[str, Any]]:
    """Run ``sql/queries/<name>.sql`` in ``run_scope`` (default: the running task's, ``scope``); return rows as
    dicts when the statement returns any."""
    with conn.cursor() as cur:
        cur.execute(query(name, run_scope), params or {})
        return _rows(cur) if cur.description else []


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def record_check(conn, day: date, result: CheckResult, checked_at: datetime) -> None:
    """Upsert one check verdict into ``delivery_ops.check_results``."""
    row = asdict(result)
    row.update(
        delivery_date=day,
        status=str(result.status),
        observed=_json(result.observed),
        probe_observed=None if result.probe_observed is None else _json(result.probe_observed),
        checked_at=checked_at,
    )
    execute(conn, "upsert_check_result", row)


def recorded_observation(conn, day: date, name: str) -> dict[str, Any] | None:
    """The record's row of check ``name`` on ``day`` (with its raw observation), whatever the run's scope."""
    rows = execute(conn, "select_recorded_observations", {"delivery_date": day, "check_name": name})
    return rows[0] if rows else None


def record_account_observation(
    conn, day: date, source: str, at: datetime, verdict: str, reasons: list[str], observed: dict[str, Any]
) -> None:
    """Insert one look at the WhatsApp account (``delivery_ops.account_observations``); a rerun adds nothing."""
    execute(
        conn,
        "insert_account_observation",
        {
            "delivery_date": day, "source": source, "observed_at": at, "verdict": verdict,
            "reasons": _json(reasons), "observed": _json(observed),
        },
    )  # fmt: skip


def account_observations(conn, day: date) -> list[dict[str, Any]]:
    """The day's looks at the WhatsApp account in the run's scope, in time order."""
    return execute(conn, "select_account_observations", {"delivery_date": day})


def check_results(conn, day: date) -> list[dict[str, Any]]:
    """All recorded check verdicts of a day."""
    return execute(conn, "select_check_results", {"delivery_date": day})


def attempts(conn, day: date) -> list[Attempt]:
    """All send attempts of a day from ``platform.delivery_attempts``."""
    return [Attempt(**row) for row in execute(conn, "select_attempts", {"delivery_date": day})]


def has_delivery_attempts(conn, day: date) -> bool:
    """True when ``platform.delivery_attempts`` holds any attempt of ``day``."""
    return bool(execute(conn, "select_day_has_attempts", {"delivery_date": day})[0]["recorded"])


def has_schema(conn, name: str) -> bool:
    """True when the database has the schema ``name`` (e.g. ``platform``, which sql/source_contract.sql creates)."""
    return bool(execute(conn, "select_schema_exists", {"schema_name": name})[0]["present"])


def active_advisors(conn) -> tuple[int, int]:
    """(active advisors, distinct segments among them)."""
    row = execute(conn, "count_active_advisors")[0]
    return int(row["advisors"]), int(row["segments"])


def record_ticks(conn, day: date, ticks: Iterable[Any]) -> int:
    """Upsert monitor ticks (``TickMetrics``) into ``delivery_ops.metric_ticks``."""
    n = 0
    for tick in ticks:
        execute(conn, "upsert_metric_tick", {**asdict(tick), "delivery_date": day})
        n += 1
    return n


def record_alert(conn, day: date, firing, dedup_key: str) -> bool:
    """Upsert an alert firing; True when this (rule, scope) fired for the first time that day."""
    rows = execute(
        conn,
        "upsert_alert",
        {
            "delivery_date": day,
            "rule": firing.rule,
            "scope": firing.scope,
            "severity": firing.severity,
            "at": firing.at,
            "dedup_key": dedup_key,
            "details": _json({"summary": firing.summary, **firing.details}),
        },
    )
    return bool(rows and rows[0]["inserted"])


def alerts(conn, day: date) -> list[dict[str, Any]]:
    """The day's alerts in firing order."""
    return execute(conn, "select_alerts", {"delivery_date": day})


def record_decision(conn, day: date, point: str, decision, decided_at: datetime) -> None:
    """Upsert a branch decision (``go_no_go``, ``choose_runbook``) and its reasons."""
    execute(
        conn,
        "upsert_decision",
        {
            "delivery_date": day,
            "decision_point": point,
            "choice": decision.choice,
            "reasons": _json(list(decision.reasons)),
            "decided_at": decided_at,
        },
    )


def decisions(conn, day: date) -> dict[str, dict[str, Any]]:
    """The day's decisions by decision point."""
    return {r["decision_point"]: r for r in execute(conn, "select_decisions", {"delivery_date": day})}


def open_incident(conn, day: date, runbook: str, severity: str, opened_at: datetime) -> str:
    """Create (or find) the day's incident for a runbook; return its id."""
    incident_id = keys.incident_id(day, runbook)
    execute(
        conn,
        "upsert_incident",
        {
            "incident_id": incident_id,
            "delivery_date": day,
            "severity": severity,
            "runbook": runbook,
            "opened_at": opened_at,
        },
    )
    return incident_id


def add_timeline(
    conn, incident_id: str, step: str, at: datetime, status: str = "open", **details: Any
) -> None:
    """Append a step to an incident's timeline once (a rerun does not repeat it)."""
    entry = {"step": step, "at": at.isoformat(), **details}
    execute(
        conn,
        "append_incident_timeline",
        {"incident_id": incident_id, "entry": _json(entry), "step": step, "status": status, "at": at},
    )


def record_runbook_step(conn, day: date, runbook: str, step: str, outcome: str, details: dict, at: datetime):
    """Upsert the outcome of one runbook step."""
    execute(
        conn,
        "upsert_runbook_run",
        {
            "delivery_date": day,
            "runbook": runbook,
            "step": step,
            "outcome": outcome,
            "details": _json(details),
            "ran_at": at,
        },
    )


def record_window_run(conn, row: dict[str, Any]) -> None:
    """Upsert the day's ``window_runs`` row (the 06:05 SLA checkpoint; ``rows_left_out``: source rows the SLA did
    not count, 0 when not given)."""
    execute(conn, "upsert_window_run", {"rows_left_out": 0, **row})


def window_run(conn, day: date) -> dict[str, Any] | None:
    """The day's ``window_runs`` row, if the checkpoint ran."""
    rows = execute(conn, "select_window_run", {"delivery_date": day})
    return rows[0] if rows else None


def undelivered_advisors(conn, day: date, as_of: datetime) -> list[dict[str, Any]]:
    """Active advisors without a delivered/read attempt by ``as_of``."""
    return execute(conn, "select_undelivered_advisors", {"delivery_date": day, "as_of": as_of})


def record_daily_report(conn, row: dict[str, Any]) -> None:
    """Upsert the day's ``daily_reports`` row (Markdown and chart columns default to NULL)."""
    defaults = {"report_markdown": None, "chart_png": None, "chart_error": None}
    execute(conn, "upsert_daily_report", {**defaults, **row, "summary": _json(row["summary"])})


def record_handoff(conn, day: date, section: str, content: Any, at: datetime) -> None:
    """Upsert one handoff-log section."""
    execute(
        conn,
        "upsert_handoff",
        {"delivery_date": day, "section": section, "content": _json(content), "written_at": at},
    )


# --- post-delivery: checkpoints, data quality, report, handoff (issue 6) ----------------------------------
def record_advisor_issues(conn, day: date, issues: list[dict[str, Any]]) -> None:
    """Replace the day's ``advisor_issues`` with classified rows (error class, retryable)."""
    execute(conn, "delete_advisor_issues", {"delivery_date": day})
    for issue in issues:
        execute(conn, "upsert_advisor_issue", {**issue, "delivery_date": day})


def advisor_issues(conn, day: date) -> list[dict[str, Any]]:
    """The day's advisor issues, by advisor id."""
    return execute(conn, "select_advisor_issues", {"delivery_date": day})


def record_dq_result(conn, day: date, row: dict[str, Any], validated_at: datetime) -> None:
    """Upsert one suite's result into ``delivery_ops.dq_results``."""
    execute(
        conn,
        "upsert_dq_result",
        {
            **row,
            "delivery_date": day,
            "failed_expectations": list(row["failed_expectations"]),
            "details": _json(row["details"]),
            "validated_at": validated_at,
        },
    )


def dq_results(conn, day: date) -> list[dict[str, Any]]:
    """The day's data-quality results, by suite."""
    return execute(conn, "select_dq_results", {"delivery_date": day})


def minute_series(conn, day: date, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Attempts, failures and p95 latency per minute in [start, end) (aggregated in Postgres)."""
    return execute(conn, "select_minute_series", {"delivery_date": day, "start": start, "end": end})


def receipt_processing(conn, day: date, as_of: datetime) -> dict[str, Any]:
    """Receipt-webhook counts and lag as known at ``as_of``."""
    return execute(conn, "select_receipt_processing", {"delivery_date": day, "as_of": as_of})[0]


def engagement_tracking(conn, day: date, as_of: datetime) -> dict[str, Any]:
    """Read receipts and engagement events recorded by ``as_of``."""
    return execute(conn, "select_engagement_tracking", {"delivery_date": day, "as_of": as_of})[0]


def performance_trend(conn, day: date) -> dict[str, Any] | None:
    """The day's ``performance_trends`` row (7- and 30-day averages)."""
    rows = execute(conn, "select_performance_trend", {"delivery_date": day})
    return rows[0] if rows else None


def incident_log(conn, day: date, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Incidents opened in (since, until], plus the day's own (a replay records wall-clock opened_at)."""
    return execute(conn, "select_incident_log", {"delivery_date": day, "since": since, "until": until})


def alert_log(conn, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Alerts first fired in (since, until]."""
    return execute(conn, "select_alert_log", {"since": since, "until": until})


def open_incidents(conn, day: date) -> list[dict[str, Any]]:
    """Incidents still open at the handoff, of this delivery day or before."""
    return execute(conn, "select_open_incidents", {"delivery_date": day})


def incidents_of(conn, day: date) -> list[dict[str, Any]]:
    """The day's incidents with their timelines."""
    return execute(conn, "select_day_incidents", {"delivery_date": day})


def runbook_runs(conn, day: date) -> list[dict[str, Any]]:
    """The day's runbook steps and outcomes."""
    return execute(conn, "select_runbook_runs", {"delivery_date": day})


def handoff(conn, day: date) -> dict[str, Any]:
    """The day's handoff sections (section -> content)."""
    return {r["section"]: r["content"] for r in execute(conn, "select_handoff", {"delivery_date": day})}


# --- escalation engine: incidents and the escalation ledger (issue 5) ---------------------------------------
def escalation_incidents(conn, day: date) -> list[dict[str, Any]]:
    """The day's incidents with kind, status and timeline (what the escalation engine derives facts from)."""
    return execute(conn, "select_escalation_incidents", {"delivery_date": day})


def upsert_incident_facts(
    conn, incident_id: str, day: date, kind: str, severity: str, runbook: str | None, opened_at: datetime
) -> None:
    """Create an incident or merge into it: earliest opening, worst severity; status and timeline untouched."""
    execute(
        conn,
        "upsert_incident_facts",
        {
            "incident_id": incident_id,
            "delivery_date": day,
            "kind": kind,
            "severity": severity,
            "runbook": runbook,
            "opened_at": opened_at,
        },
    )


def add_incident_event(conn, incident_id: str, step: str, at: datetime, **details: Any) -> None:
    """Append ``step`` to an incident's timeline once, without changing its status (unlike ``add_timeline``)."""
    entry = {"step": step, "at": at.isoformat(), **details}
    execute(conn, "append_incident_event", {"incident_id": incident_id, "entry": _json(entry), "step": step})


def record_approval(
    conn,
    day: date,
    run_id: str,
    runbook: str,
    step: str,
    decision: str,
    by: str | None,
    mode: str,
    timed_out: bool,
    at: datetime,
) -> None:
    """Append one approval (``delivery_ops.approvals``): a rerun's new answer goes beside the earlier one."""
    execute(
        conn,
        "insert_approval",
        {
            "delivery_date": day, "run_id": run_id, "runbook": runbook, "step": step, "decision": decision,
            "decided_by": by, "mode": mode, "timed_out": timed_out, "decided_at": at,
        },
    )  # fmt: skip


def approvals(conn, day: date) -> list[dict[str, Any]]:
    """The day's approvals, in the order they were recorded."""
    return execute(conn, "select_approvals", {"delivery_date": day})


def resolve_incident(conn, incident_id: str, at: datetime, by: str) -> bool:
    """Mark an open incident resolved; False when it was not open."""
    return bool(
        execute(conn, "resolve_incident", {"incident_id": incident_id, "resolved_at": at, "resolved_by": by})
    )


def escalation_keys(conn, day: date) -> set[str]:
    """The ledger keys the day already has."""
    return {r["dedup_key"] for r in execute(conn, "select_escalation_keys", {"delivery_date": day})}


def insert_escalations(conn, rows: Iterable[Any], created_at: datetime) -> int:
    """Write ledger rows (``escalation.model.LedgerRow``) that are not there yet; return how many were new."""
    n = 0
    with conn.cursor() as cur:
        for row in rows:
            values = asdict(row)
            values.update(payload=_json(row.payload), created_at=created_at)
            cur.execute(query("insert_escalation"), values)
            n += cur.rowcount
    return n


def escalations(conn, day: date) -> list[dict[str, Any]]:
    """The day's escalation ledger, by due time."""
    return execute(conn, "select_escalations", {"delivery_date": day})


def due_escalations(conn, day: date, as_of: datetime) -> list[dict[str, Any]]:
    """Pending ledger rows due by ``as_of``."""
    return execute(conn, "select_due_escalations", {"delivery_date": day, "as_of": as_of})


def advance_escalations(conn, rows: Iterable[Any]) -> list[str]:
    """Move pending ledger steps earlier where the plan now wants them earlier; return their keys."""
    rows = list(rows)
    if not rows:
        return []
    params = {
        "keys": [r.dedup_key for r in rows],
        "due": [r.due_at for r in rows],
        "reasons": [r.reason for r in rows],
    }
    return [r["dedup_key"] for r in execute(conn, "advance_escalations", params)]


def cancel_resolved_escalations(conn, day: date) -> list[str]:
    """Cancel pending steps of resolved incidents that were not due yet; return their keys."""
    return [r["dedup_key"] for r in execute(conn, "cancel_resolved_escalations", {"delivery_date": day})]


def cancel_regulatory_escalations(conn, incident_id: str, note: str) -> list[str]:
    """Cancel an incident's pending SEBI-deadline reminders; return their keys."""
    rows = execute(conn, "cancel_regulatory_escalations", {"incident_id": incident_id, "note": note})
    return [r["dedup_key"] for r in rows]


def mark_escalation_notified(conn, dedup_key: str, status: str, last_error: str | None) -> None:
    """Mirror one outbox send attempt onto its ledger row (no-op when the message is not a ledger step)."""
    execute(
        conn, "mark_escalation_notified", {"dedup_key": dedup_key, "status": status, "last_error": last_error}
    )


def record_alert_routing(conn, day: date, routes: dict[tuple[str, str], tuple[str, str | None]]) -> None:
    """Write how each alert went out: (rule, scope) -> (routing, by); see escalation.routing."""
    for (rule, scope), (routing, by) in sorted(routes.items()):
        execute(
            conn,
            "update_alert_routing",
            {
                "delivery_date": day,
                "rule": rule,
                "scope": scope,
                "routing": routing,
                "inhibited_by": by if routing == "inhibited" else None,
                "silenced_by": by if routing == "silenced" else None,
            },
        )


def silences(conn, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Silences overlapping [since, until), expired ones included."""
    return execute(conn, "select_silences", {"since": since, "until": until})


def insert_silence(conn, row: dict[str, Any]) -> str:
    """Store a validated silence; returns its id."""
    return str(execute(conn, "insert_silence", {**row, "matchers": _json(row["matchers"])})[0]["silence_id"])


def expire_silence(conn, silence_id: int, at: datetime) -> bool:
    """Stop a silence at ``at``; False when there is no such unexpired silence."""
    return bool(execute(conn, "expire_silence", {"silence_id": silence_id, "at": at}))


def followup_days(conn, since: date) -> list[date]:
    """Delivery dates since ``since`` with an open incident, a pending step or an unsent message."""
    return [r["delivery_date"] for r in execute(conn, "select_followup_days", {"since": since})]
