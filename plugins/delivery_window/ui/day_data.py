"""Reads what the Delivery window view shows from ``delivery_ops`` (or a run's evaluation schema), read-only.

The connection is the ``delivery_db`` one (the app role) with every transaction read-only: the view can show the
record, never change it.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from delivery_window.scope import RECORD, RunScope
from delivery_window.ui.day_view import DayView, checks_by_phase, is_live, per_minute, primary_metrics


@contextmanager
def read_only_db(conn_id: str | None = None):
    """A ``delivery_db`` connection whose transactions are read-only (Postgres refuses any write)."""
    from delivery_window.store import connect_report_db

    conn = connect_report_db(conn_id)
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        conn.commit()
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _rows(conn, name: str, params: dict[str, Any], scope: RunScope) -> list[dict[str, Any]]:
    from delivery_window.store import execute

    return execute(conn, name, params, run_scope=scope)


def load_day(conn, day: date, scope: RunScope = RECORD, *, now: datetime, protocol, at) -> DayView:
    """The view of ``day`` in ``scope``; ``at`` is ``window.at`` and ``now`` the current time (for ``live``)."""
    from delivery_window.store import has_schema

    params = {"day": day}
    if not has_schema(conn, scope.schema):  # an evaluation whose run has not migrated its schema yet
        rows: dict[str, list[dict[str, Any]]] = {}
    else:
        rows = {
            name: _rows(conn, f"ui_{name}", params, scope)
            for name in (
                "window_run",
                "overall_ticks",
                "checks",
                "alerts",
                "incidents",
                "escalations",
                "approvals",
                "handoff",
            )
        }
    window_run = (rows.get("window_run") or [None])[0]
    ticks = rows.get("overall_ticks", [])
    return DayView(
        day=day,
        schema=scope.schema,
        is_record=scope.is_record,
        live=is_live(day, now, protocol, at),
        refresh_seconds=protocol.monitor.dashboard_refresh_seconds,
        window_run=window_run,
        metrics=primary_metrics(window_run, ticks[-1] if ticks else None, protocol),
        minutes=per_minute(ticks),
        checks=checks_by_phase(rows.get("checks", [])),
        alerts=rows.get("alerts", []),
        incidents=rows.get("incidents", []),
        escalations=rows.get("escalations", []),
        approvals=rows.get("approvals", []),
        handoff=rows.get("handoff", []),
    )


def recorded_days(conn, limit: int = 90) -> list[dict[str, Any]]:
    """The record's days, newest first (the navigation entry's list)."""
    return _rows(conn, "ui_days", {"limit": limit}, RECORD)
