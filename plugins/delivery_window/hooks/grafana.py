"""Grafana HTTP API reads: server health and the delivery dashboard."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError, require


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

    def writer(self) -> GrafanaHook:
        """The same connection for a ``POST`` (this hook's method is fixed when it is made)."""
        return GrafanaHook(self.http_conn_id, method="POST", timeout_seconds=self.timeout_seconds)

    def dashboard_by_uid(self, uid: str) -> dict[str, Any] | None:
        """``GET /api/dashboards/uid/{uid}``, or None when Grafana answers 404 (no such dashboard)."""
        try:
            return self.call(f"api/dashboards/uid/{uid}")
        except ServiceError as exc:
            if exc.status == 404:
                return None
            raise

    def save_dashboard(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/dashboards/db`` (a ``writer()`` hook): ``{"id", "uid", "url", "status", "version"}``."""
        body = self.call("api/dashboards/db", json_body=payload)
        for key in ("uid", "version"):
            require(body, key, service=self.service)
        return body
