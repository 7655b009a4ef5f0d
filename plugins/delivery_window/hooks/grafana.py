"""Grafana HTTP API reads: server health and the delivery dashboard."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError


class GrafanaHook(JsonHttpHook):
    """Grafana on ``HttpHook``: password = service-account token (Bearer); extra ``dashboard_uid``."""

    service = "grafana"

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        if isinstance(body, dict) and (body.get("message") or body.get("database")):
            return f"HTTP {status}: {body.get('message') or 'database ' + str(body.get('database'))}", None
        return super().error_message(status, body)

    @property
    def dashboard_uid(self) -> str:
        uid = self.get_connection(self.http_conn_id).extra_dejson.get("dashboard_uid")
        if not uid:
            raise ServiceError(
                self.service, "config", f"connection {self.http_conn_id!r} has no extra dashboard_uid"
            )
        return uid

    def health(self) -> dict[str, Any]:
        """``GET /api/health``: ``{"database": "ok", "version": ...}`` (503 when its database fails)."""
        return self.call("api/health")

    def dashboard(self) -> dict[str, Any]:
        """``GET /api/dashboards/uid/{uid}``: ``{"dashboard": {...}, "meta": {...}}``."""
        return self.call(f"api/dashboards/uid/{self.dashboard_uid}")
