"""Protocol wall-clock times on a run's delivery date (ARCHITECTURE §4).

Every protocol time is an Asia/Kolkata wall-clock time on the delivery date, which is derived from the DAG run
(``dag_run.run_after``) or from an explicit ``delivery_date`` param (replays), never from ``now()``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from delivery_window.protocol import get_protocol

if TYPE_CHECKING:
    from delivery_window.protocol import Protocol


def tz(protocol: Protocol | None = None) -> ZoneInfo:
    """The protocol's timezone."""
    return ZoneInfo((protocol or get_protocol()).timezone)


def delivery_date_for(run_after: datetime, override: str | date | None = None) -> date:
    """The delivery date of a run: the ``delivery_date`` param when given, else run_after's date in IST."""
    if override:
        return override if isinstance(override, date) else date.fromisoformat(str(override))
    if run_after.tzinfo is None:
        raise ValueError(f"run_after must be timezone-aware, got {run_after!r}")
    return run_after.astimezone(tz()).date()


def at(day: date, name: str, protocol: Protocol | None = None) -> datetime:
    """The protocol time ``times.<name>`` (e.g. ``final_check`` = 05:45) on ``day``, as an aware datetime.

    ``protocol`` defaults to the loaded protocol.yaml (tests pass an edited one)."""
    p = protocol or get_protocol()
    t: time = p.time_of(name)
    return datetime.combine(day, t, tzinfo=tz(p))


def day_span(day: date, protocol: Protocol | None = None) -> tuple[datetime, datetime]:
    """The delivery date as instants: [midnight, next midnight) in the protocol's timezone."""
    zone = tz(protocol)
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


def close(day: date, protocol: Protocol | None = None) -> datetime:
    """When the window's monitor stops: delivery end plus ``monitor.grace_seconds`` for late receipts."""
    p = protocol or get_protocol()
    return at(day, "delivery_end", p) + timedelta(seconds=p.monitor.grace_seconds)


def window_at(run_after: datetime, override: str | None, name: str) -> str:
    """Jinja macro for sensors: ISO time of ``times.<name>`` on the run's delivery date."""
    return at(delivery_date_for(run_after, override), name).isoformat()


def context_day() -> date:
    """The delivery date of the running task's DAG run (``params.delivery_date`` overrides run_after)."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    return delivery_date_for(ctx["dag_run"].run_after, ctx["params"].get("delivery_date"))
