"""Messages that belong to no incident, as ledger rows (pure): the window's #delivery-ops status lines, the
go/no-go alerts, the daily summary and the late-checkpoint notice.

Callers report figures (``WindowFigures``, a go/no-go outcome, a report row); these functions write the words.
Every row has a deterministic key (``keys``), so a rerun finds it and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from delivery_window import window
from delivery_window.escalation import comms, keys
from delivery_window.escalation.model import LedgerRow, WindowFigures
from delivery_window.protocol import Protocol


def _fmt(value: Any, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


def _hhmm(t: datetime, protocol: Protocol) -> str:
    return comms.ist(t, protocol)[:5]


def _row(
    day: date,
    key: str,
    route: comms.Route,
    payload: dict[str, Any],
    at: datetime,
    source: str,
    target: str,
    reason: str,
    incident_id: str | None = None,
    action: str = "notify",
) -> LedgerRow:
    return LedgerRow(
        dedup_key=key,
        delivery_date=day,
        incident_id=incident_id,
        source=source,
        target=target,
        channel=route.channel,
        conn_id=route.conn_id,
        kind=route.kind,
        due_at=at,
        payload=payload,
        action=action,
        reason=reason,
    )


def _text(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


# --- the window's status lines (#delivery-ops) ------------------------------------------------------------
def _alerts_text(fired: Iterable[tuple[str, str]]) -> str:
    fired = list(fired)
    if not fired:
        return "none"
    return f"{len(fired)} ({', '.join(sorted({rule for rule, _ in fired}))})"


def status_text(day: date, what: str, w: WindowFigures, protocol: Protocol) -> str:
    """The words of a status line: ``opened`` (first tick), ``minute`` (each minute), ``closed`` (last tick)."""
    if what == "opened":
        m = protocol.monitor
        return (
            f":satellite: Delivery window {day} opened: {w.targeted:,} advisors to reach. Monitoring every "
            f"{m.tick_seconds} s until {_hhmm(window.close(day, protocol), protocol)} IST (06:05 + "
            f"{m.grace_seconds} s grace); status here every {m.status_post_every_minutes} min."
        )
    if what == "closed":
        sla = round(100.0 * w.advisors_delivered / w.targeted, 2) if w.targeted else None
        return (
            f":checkered_flag: Delivery window {day} closed at {_hhmm(w.t, protocol)} IST: "
            f"{w.attempts:,} attempts, {w.delivered:,} delivered (success {_fmt(w.success_rate_pct, '%')}), "
            f"{w.failed:,} failed (errors {_fmt(w.error_rate_pct, '%')}), {w.advisors_delivered:,} of "
            f"{w.targeted:,} advisors delivered ({_fmt(sla, '%')}; SLA {protocol.sla.target_pct:g}%), peak "
            f"{w.peak_rate:,}/min, p95 {_fmt(w.p95_latency_ms, ' ms')}. Alerts: {_alerts_text(w.alerts)}."
        )
    return (
        f"{_hhmm(w.t, protocol)} IST · {w.attempts:,} attempts · success {_fmt(w.success_rate_pct, '%')} · errors "
        f"{_fmt(w.error_rate_pct, '%')} · {w.rate_per_min:,}/min · p95 {_fmt(w.p95_latency_ms, ' ms')} · "
        f"alerts: {_alerts_text(w.alerts)}"
    )


def status_row(day: date, what: str, w: WindowFigures, protocol: Protocol) -> LedgerRow:
    """The ledger row of a status line; a minute's key is its HHMM in IST."""
    name = what if what != "minute" else _hhmm(w.t, protocol).replace(":", "")
    return _row(
        day,
        keys.status_key(day, name),
        comms.slack_route("daily_operations", protocol),
        _text(status_text(day, what, w, protocol)),
        w.t,
        f"window_status:{name}",
        "delivery_ops",
        f"window status ({what})",
    )


# --- go / no-go before 06:00 ----------------------------------------------------------------------------
def go_no_go_rows(day: date, alerts: Iterable[Any], at: datetime, protocol: Protocol) -> list[LedgerRow]:
    """A go/no-go alert's page (when it pages) and its post to its Slack purpose (``runbooks.go_no_go.Alert``)."""
    rows = []
    for a in alerts:
        if a.page:
            rows.append(
                _row(
                    day,
                    a.dedup_key,
                    comms.PAGERDUTY_ROUTE,
                    comms.pagerduty_payload(
                        a.dedup_key, a.summary, a.pagerduty_severity, details=a.details, component="go_no_go"
                    ),
                    at,
                    f"go_no_go:{a.dedup_key.rsplit(':', 1)[-1]}",
                    "primary_engineer",
                    "go/no-go alert pages",
                    action="page",
                )
            )
        doc = a.details.get("doc")
        rows.append(
            _row(
                day,
                keys.slack_of(a.dedup_key),
                comms.slack_route(a.slack, protocol),
                {"text": f":rotating_light: {a.summary}" + (f"\nrunbook: {doc}" if doc else "")},
                at,
                f"go_no_go:{a.dedup_key.rsplit(':', 1)[-1]}",
                "primary_engineer",
                f"go/no-go alert; slack purpose {a.slack}",
            )
        )
    return rows


# --- after the window -----------------------------------------------------------------------------------
def daily_summary_row(day: date, payload: dict[str, Any], at: datetime, protocol: Protocol) -> LedgerRow:
    """The daily report's post to #delivery-ops (``reports.daily.slack_payload`` renders the report)."""
    return _row(
        day,
        keys.day_key(day, "daily_summary"),
        comms.slack_route("daily_operations", protocol),
        payload,
        at,
        "daily_summary",
        "delivery_ops",
        "06:30 daily report summary",
    )


def checkpoint_late_row(
    day: date, run_id: str, deadline: str | None, at: datetime, protocol: Protocol
) -> LedgerRow:
    """The notice that the 06:05 checkpoint did not complete by its deadline (the DeadlineAlert callback)."""
    text = (
        f":hourglass: {day}: the 06:05 SLA checkpoint (post_delivery.verify_sla_checkpoint) has not completed "
        f"by {deadline or 'its deadline'} (run {run_id}). The SLA is unverified: check the run and the "
        f"window_runs row by hand."
    )
    return _row(
        day,
        keys.day_key(day, "checkpoint_0605_late"),
        comms.slack_route(protocol.post_delivery_verification.deadline_slack, protocol),
        {"text": text},
        at,
        "checkpoint_late",
        "primary_engineer",
        "06:05 checkpoint missed its deadline",
    )
