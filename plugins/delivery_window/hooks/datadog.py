"""Datadog API reads: API-key validation and the window's monitors."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError, require


class DatadogHook(JsonHttpHook):
    """Datadog on ``HttpHook``: password = ``DD-API-KEY``, extra ``app_key`` = ``DD-APPLICATION-KEY``."""

    service = "datadog"

    def auth_headers(self) -> dict[str, str]:
        conn = self.get_connection(self.http_conn_id)
        headers = {"DD-API-KEY": conn.password or ""}
        if conn.extra_dejson.get("app_key"):
            headers["DD-APPLICATION-KEY"] = conn.extra_dejson["app_key"]
        return headers

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            return f"HTTP {status}: {'; '.join(map(str, errors))[:200]}", None
        return super().error_message(status, body)

    def validate(self) -> bool:
        """``GET /api/v1/validate``: is the API key valid."""
        return bool(require(self.call("api/v1/validate"), "valid", service=self.service))

    def monitors(self, tag: str) -> list[dict[str, Any]]:
        """Monitors carrying ``tag`` (``GET /api/v1/monitor?monitor_tags=``)."""
        body = self.call("api/v1/monitor", params={"monitor_tags": tag})
        if not isinstance(body, list):
            raise ServiceError(
                self.service, "malformed", f"expected a list of monitors, got {type(body).__name__}"
            )
        return body

    def writer(self, method: str) -> DatadogHook:
        """The same connection for a ``POST`` or ``PUT`` (this hook's method is fixed when it is made)."""
        return DatadogHook(self.http_conn_id, method=method, timeout_seconds=self.timeout_seconds)

    def create_monitor(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/v1/monitor`` (a ``writer("POST")`` hook): the monitor as created, with its ``id``."""
        created = self.call("api/v1/monitor", json_body=body)
        require(created, "id", service=self.service)
        return created

    def update_monitor(self, monitor_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /api/v1/monitor/{id}`` (a ``writer("PUT")`` hook): the monitor as updated."""
        updated = self.call(f"api/v1/monitor/{monitor_id}", json_body=body)
        require(updated, "id", service=self.service)
        return updated
