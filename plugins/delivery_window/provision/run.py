"""Provision the Grafana dashboard and the Datadog monitors, and record what was deployed (the I/O side).

``provision`` is idempotent: a second run finds the dashboard at its provisioned version and every monitor as
planned, sends no write and records ``unchanged``. Each system is provisioned on its own: Grafana failing does
not stop the monitors, and each failure is one precise line in the result (``errors``), never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from delivery_window import store
from delivery_window.connections import DATADOG, DELIVERY_DB, GRAFANA
from delivery_window.escalation.clock import utcnow
from delivery_window.hooks.base import ServiceError
from delivery_window.masking import masked_logger
from delivery_window.protocol import Protocol
from delivery_window.provision import dashboard as dash
from delivery_window.provision import monitors as mon

log = masked_logger(__name__)


@dataclass
class ProvisionResult:
    """What one provision run did: one line per object, and the errors (each names its system)."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def recorded(conn, system: str) -> dict[str, dict[str, Any]]:
    """The provisioned_objects rows of ``system`` by object key."""
    return {r["object_key"]: r for r in store.execute(conn, "select_provisioned_objects", {"system": system})}


def provision_grafana(p: Protocol, before: dict[str, Any] | None) -> dict[str, Any]:
    """Save the dashboard when needed; the provisioned_objects row (not yet written)."""
    from delivery_window.hooks.grafana import GrafanaHook

    board = dash.load_dashboard(p)
    hook = GrafanaHook(GRAFANA, timeout_seconds=p.checks.http_timeout_seconds)
    live = hook.dashboard_by_uid(board["uid"])
    live_meta = (live or {}).get("meta") or {}
    live_version = ((live or {}).get("dashboard") or {}).get("version", live_meta.get("version"))
    plan = dash.plan_dashboard(board, live_version if live else None, before)
    spec = {
        "title": board.get("title"),
        "refresh": board.get("refresh"),
        "panels": len(board.get("panels") or []),
    }
    if plan.action == "unchanged":
        saved = {
            "id": (live.get("dashboard") or {}).get("id"),
            "version": live_version,
            "url": live_meta.get("url"),
        }
    else:
        saved = hook.writer().save_dashboard(dash.save_payload(board, plan.sha))
    return {
        "system": "grafana_dashboard",
        "object_key": plan.uid,
        "remote_id": None if saved.get("id") is None else str(saved["id"]),
        "version": saved.get("version"),
        "content_sha": plan.sha,
        "spec": spec | {"url": saved.get("url"), "reason": plan.reason},
        "last_action": plan.action,
    }


def provision_datadog(p: Protocol) -> list[dict[str, Any]]:
    """Create or update the monitors of the alert thresholds; their provisioned_objects rows."""
    from delivery_window.hooks.datadog import DatadogHook

    hook = DatadogHook(DATADOG, timeout_seconds=p.checks.http_timeout_seconds)
    # found by name among the service's monitors: one made by hand under that name is taken over, not doubled
    rows = []
    for plan in mon.plan_monitors(p, hook.monitors(p.checks.datadog_monitor_tag)):
        if plan.action == "create":
            monitor_id = hook.writer("POST").create_monitor(plan.body)["id"]
        elif plan.action == "update":
            monitor_id = hook.writer("PUT").update_monitor(plan.monitor_id, plan.body)["id"]
        else:
            monitor_id = plan.monitor_id
        rows.append(
            {
                "system": "datadog_monitor",
                "object_key": plan.rule,
                "remote_id": str(monitor_id),
                "version": None,
                "content_sha": None,
                "spec": {k: plan.body[k] for k in ("name", "query", "options", "tags")}
                | {"changed": list(plan.changed)},
                "last_action": plan.action,
            }
        )
    return rows


def provision(p: Protocol, db: Callable[[], Any] | None = None) -> ProvisionResult:
    """Provision both systems and record every object in ``delivery_ops.provisioned_objects``.

    ``db()`` opens the report database as a context manager that commits (default: the ``delivery_db``
    connection; the CLI passes its ``--db-url``)."""
    from airflow.exceptions import AirflowNotFoundException

    db = db or (lambda: store.report_db(DELIVERY_DB))
    out = ProvisionResult()
    with db() as conn:
        before = recorded(conn, "grafana_dashboard")
    try:
        board_uid = dash.load_dashboard(p)["uid"]
        row = provision_grafana(p, before.get(board_uid))
        out.rows.append(row)
        out.lines.append(
            f"grafana dashboard {row['object_key']}: {row['last_action']}, version {row['version']} "
            f"({row['spec']['reason']})"
        )
    except (ServiceError, ValueError, AirflowNotFoundException) as exc:
        out.errors.append(str(exc) if isinstance(exc, ServiceError) else f"grafana: {exc}")
    try:
        rows = provision_datadog(p)
        out.rows += rows
        out.lines += [
            f"datadog monitor {r['spec']['name']}: {r['last_action']}, id {r['remote_id']}"
            + (f" ({', '.join(r['spec']['changed'])} differed)" if r["spec"]["changed"] else "")
            for r in rows
        ]
    except (ServiceError, AirflowNotFoundException) as exc:
        out.errors.append(str(exc) if isinstance(exc, ServiceError) else f"datadog: {exc}")
    now = utcnow()
    with db() as conn:
        for row in out.rows:
            store.execute(
                conn,
                "upsert_provisioned_object",
                row | {"spec": store._json(row["spec"]), "provisioned_at": now},
            )
        conn.commit()
    for line in out.lines:
        log.info("provision: %s", line)
    for error in out.errors:
        log.error("provision failed: %s", error)
    return out
