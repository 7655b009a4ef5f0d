"""Atlassian Statuspage REST API v1 (``https://api.statuspage.io/v1``): a page's incidents, found, created, updated.

One connection per page (``connections.STATUSPAGE_BY_PAGE``): password = API key (sent as ``Authorization: OAuth
<key>``), extra ``page_id`` and ``component_id`` (the page's "WhatsApp content delivery" component). An incident
of ours is found again by the ``metadata.delivery_window.incident_id`` it was created with (searched with ``q``,
which matches the text of its updates), so a resend after an unknown outcome updates it instead of opening another.
"""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError

METADATA_KEY = (
    "delivery_window"  # incident.metadata.<key>.incident_id: our incident id (top-level values are objects)
)


class StatuspageHook(JsonHttpHook):
    """One Statuspage page on ``HttpHook``."""

    service = "statuspage"

    def auth_headers(self) -> dict[str, str]:
        password = self.get_connection(self.http_conn_id).password
        return {"Authorization": f"OAuth {password}"} if password else {}

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        if isinstance(body, dict) and body.get("error"):
            error = body["error"]
            return f"HTTP {status}: {', '.join(error) if isinstance(error, list) else error}", None
        return super().error_message(status, body)

    def _extra(self, key: str) -> str:
        value = self.get_connection(self.http_conn_id).extra_dejson.get(key)
        if not value:
            raise ServiceError(self.service, "config", f"connection {self.http_conn_id!r} has no extra {key}")
        return str(value)

    @property
    def page_id(self) -> str:
        return self._extra("page_id")

    @property
    def component_id(self) -> str:
        return self._extra("component_id")

    def find_incident(self, incident_key: str) -> dict[str, Any] | None:
        """``GET /v1/pages/{page_id}/incidents?q=<key>``: our incident on this page, or None."""
        self.method = "GET"
        found = self.call(f"v1/pages/{self.page_id}/incidents", params={"q": incident_key, "limit": 100})
        if not isinstance(found, list):
            raise ServiceError(self.service, "malformed", f"incident search answered {str(found)[:80]!r}")
        for incident in found:
            meta = (incident.get("metadata") or {}).get(METADATA_KEY) or {}
            if meta.get("incident_id") == incident_key:
                return incident
        return None

    def create_incident(self, incident: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/pages/{page_id}/incidents`` ``{"incident": {...}}`` → the incident (201)."""
        self.method = "POST"
        return self.call(f"v1/pages/{self.page_id}/incidents", json_body={"incident": incident})

    def update_incident(self, incident_id: str, incident: dict[str, Any]) -> dict[str, Any]:
        """``PATCH /v1/pages/{page_id}/incidents/{incident_id}`` ``{"incident": {...}}`` → the incident."""
        self.method = "PATCH"
        return self.call(f"v1/pages/{self.page_id}/incidents/{incident_id}", json_body={"incident": incident})

    def publish(self, incident_key: str, name: str, status: str, body: str, component_status: str) -> str:
        """Create our incident with ``status``, or move it there; returns the Statuspage incident id.

        A resend finding the incident already in ``status`` with the same latest update sends nothing."""
        components = {self.component_id: component_status}
        existing = self.find_incident(incident_key)
        if existing is None:
            created = self.create_incident(
                {
                    "name": name[:255],
                    "status": status,
                    "body": body,
                    "components": components,
                    "component_ids": [self.component_id],
                    "metadata": {METADATA_KEY: {"incident_id": incident_key}},
                    "deliver_notifications": True,
                }
            )
            return str(created.get("id"))
        latest = (existing.get("incident_updates") or [{}])[0]
        if existing.get("status") == status and latest.get("body") == body:
            return str(existing["id"])
        self.update_incident(
            str(existing["id"]),
            {"status": status, "body": body, "components": components, "component_ids": [self.component_id]},
        )
        return str(existing["id"])
