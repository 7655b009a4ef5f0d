"""What the Delivery window view shows for a day: pure functions of the rows the run recorded.

Nothing here reads a database or imports Airflow; ``day_data`` fetches the rows and ``day_page`` renders them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

# Check status -> the colour it is shown in: a warn is never as green as a pass.
STATUS_COLOURS = {
    "pass": "#1a7f37",
    "warn": "#bf8700",
    "fail": "#cf222e",
    "error": "#8250df",
    "not_observed": "#6e7781",
}
PHASES = ("pre_delivery", "delivery", "post_delivery")


@dataclass(frozen=True)
class Metric:
    """One primary metric of the protocol against its target."""

    name: str
    value: str  # formatted, "—" when the day has no measurement
    target: str
    met: bool | None  # None: not measured


@dataclass(frozen=True)
class Minute:
    """One minute of the delivery window: attempts and failures in it, p95 latency at its last tick."""

    at: datetime
    attempts: int
    failures: int
    p95_latency_ms: int | None


@dataclass(frozen=True)
class DayView:
    """Everything one page shows for a delivery date (the record, or a run's evaluation of it)."""

    day: date
    schema: str
    is_record: bool
    live: bool
    refresh_seconds: int
    window_run: dict[str, Any] | None
    metrics: list[Metric]
    minutes: list[Minute]
    checks: dict[str, list[dict[str, Any]]]
    alerts: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    pending_approvals: list[dict[str, Any]] = field(default_factory=list)
    handoff: list[dict[str, Any]] = field(default_factory=list)
    dag_id: str | None = None
    run_id: str | None = None


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value):.2f} %"


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def primary_metrics(
    window_run: dict[str, Any] | None, last_tick: dict[str, Any] | None, protocol
) -> list[Metric]:
    """SLA and the four primary metrics of ``real_time_monitoring`` against their protocol.yaml targets."""
    run = window_run or {}
    tick = last_tick or {}
    pm = protocol.primary_metrics
    sla = run.get("sla_pct")
    success = tick.get("success_rate_pct")
    rate = _first(run.get("peak_rate_per_min"), tick.get("rate_per_min"))
    p95 = _first(run.get("p95_latency_ms"), tick.get("p95_latency_ms"))
    errors = _first(run.get("error_rate_pct"), tick.get("error_rate_pct"))

    def met(value, ok) -> bool | None:
        return None if value is None else bool(ok(float(value)))

    return [
        Metric("SLA (advisors delivered)", _pct(sla), f"≥ {protocol.sla.target_pct} %",
               met(sla, lambda v: v >= protocol.sla.target_pct)),
        Metric("Delivery success rate", _pct(success), f"> {pm.delivery_success_rate_min_pct} %",
               met(success, lambda v: v > pm.delivery_success_rate_min_pct)),
        Metric("Processing rate (peak)", "—" if rate is None else f"{int(rate)} /min",
               f"≥ {pm.processing_rate_target_per_min} /min",
               met(rate, lambda v: v >= pm.processing_rate_target_per_min)),
        Metric(f"API latency p{pm.api_latency_percentile}", "—" if p95 is None else f"{int(p95)} ms",
               f"< {pm.api_latency_p95_max_ms} ms", met(p95, lambda v: v < pm.api_latency_p95_max_ms)),
        Metric("Error rate", _pct(errors), f"< {pm.error_rate_max_pct} %",
               met(errors, lambda v: v < pm.error_rate_max_pct)),
    ]  # fmt: skip


def per_minute(ticks: list[dict[str, Any]]) -> list[Minute]:
    """Per-minute attempts and failures from the monitor's cumulative overall ticks (``metric_ticks``)."""
    by_minute: dict[datetime, dict[str, Any]] = {}
    for tick in sorted(ticks, key=lambda t: t["tick_at"]):
        by_minute[tick["tick_at"].replace(second=0, microsecond=0)] = tick  # the minute's last tick
    minutes, attempts, failed = [], 0, 0
    for at, tick in sorted(by_minute.items()):
        minutes.append(
            Minute(
                at=at,
                attempts=max(int(tick["attempts"]) - attempts, 0),
                failures=max(int(tick["failed"]) - failed, 0),
                p95_latency_ms=tick.get("p95_latency_ms"),
            )
        )
        attempts, failed = int(tick["attempts"]), int(tick["failed"])
    return minutes


def alert_state(alert: dict[str, Any]) -> str:
    """How an alert was routed, as the operator reads it: silenced, inhibited, grouped, paged or posted."""
    if alert.get("silenced_by"):
        return "silenced"
    if alert.get("inhibited_by"):
        return "inhibited"
    return alert.get("routing") or "posted"


def checks_by_phase(checks: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The day's checks grouped by phase, in the protocol's phase order, each with its colour."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for check in sorted(
        checks, key=lambda c: (c.get("checked_at") or datetime.min.astimezone(), c["check_name"])
    ):
        grouped[check.get("phase") or "other"].append(
            {**check, "colour": STATUS_COLOURS.get(check["status"], STATUS_COLOURS["not_observed"])}
        )

    def rank(phase: str) -> tuple[int, str, str]:  # pre_delivery.* before delivery.* before post_delivery.*
        top, first = phase.split(".", 1)[0], grouped[phase][0].get("checked_at")
        return (
            PHASES.index(top) if top in PHASES else len(PHASES),
            "" if first is None else str(first),
            phase,
        )

    return {phase: grouped[phase] for phase in sorted(grouped, key=rank)}


def is_live(day: date, now: datetime, protocol, at) -> bool:
    """True while the day's window is open (05:30 to the 06:30 report, plus one refresh): the page refreshes.

    ``at(day, name)`` is ``window.at`` (passed in so this stays free of the protocol loader)."""
    slack = timedelta(seconds=protocol.monitor.dashboard_refresh_seconds)
    return at(day, "window_open") <= now <= at(day, "final_report") + slack


def escalation_counts(escalations: list[dict[str, Any]]) -> dict[str, int]:
    """How many ledger steps are in each state (due, sent, pending, cancelled, ...)."""
    counts: dict[str, int] = defaultdict(int)
    for step in escalations:
        counts[step["status"]] += 1
    return dict(sorted(counts.items()))


def incident_runbook(incident: dict[str, Any]) -> str | None:
    """The runbook an incident's page links to: its automated runbook, else the human runbook its timeline
    names (a business incident such as an account suspension has no automated one, only a ``doc``)."""
    if incident.get("runbook"):
        return incident["runbook"]
    for event in incident.get("timeline") or []:
        doc = event.get("doc") or event.get("runbook_doc")
        if doc:
            return str(doc).rsplit("/", 1)[-1].removesuffix(".md")
    return None
