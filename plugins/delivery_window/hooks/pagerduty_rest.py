"""PagerDuty REST API v2 reads: the escalation policy, its service, who is on call, their contact methods.

The Events API (``hooks/pagerduty.py``) only sends; reading the escalation chain needs the REST API
(api.pagerduty.com) and a REST API key, held by the ``pagerduty_api`` connection. A local stand-in of PagerDuty
(the sandbox) serves both APIs on one base URL, so when ``pagerduty_api`` is not defined and the
``pagerduty_events`` connection points at a loopback host, that host is used with the events connection's key.
Anywhere else a missing ``pagerduty_api`` connection is reported as such (never a silent fallback to the
public Events host).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from delivery_window.connections import PAGERDUTY_API  # noqa: E402  (host https://api.pagerduty.com)
from delivery_window.hooks.base import JsonHttpHook, ServiceError, require

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class PagerDutyRestHook(JsonHttpHook):
    """PagerDuty REST API v2 on ``HttpHook`` (``Authorization: Token token=<key>``)."""

    service = "pagerduty_api"
    default_host = "https://api.pagerduty.com"

    def __init__(self, http_conn_id: str = PAGERDUTY_API, timeout_seconds: float | None = None) -> None:
        super().__init__(http_conn_id, timeout_seconds=timeout_seconds)

    @classmethod
    def get_connection(cls, conn_id: str):  # type: ignore[override]
        from airflow.sdk.exceptions import AirflowNotFoundException

        from delivery_window.connections import PAGERDUTY

        try:
            return super().get_connection(conn_id)
        except AirflowNotFoundException:
            if conn_id != PAGERDUTY_API:
                raise
            try:
                events = super().get_connection(PAGERDUTY)
            except AirflowNotFoundException:
                events = None
            if events is None or urlsplit(events.host or "").hostname not in _LOOPBACK:
                raise ServiceError(
                    "pagerduty_api",
                    "config",
                    f"connection {PAGERDUTY_API!r} is not defined (the REST API key that reads the escalation "
                    "policy and on-call schedule)",
                ) from None
            from airflow.sdk import Connection

            return Connection(
                conn_id=PAGERDUTY_API, conn_type="http", host=events.host, password=events.password
            )

    def auth_headers(self) -> dict[str, str]:
        key = self.get_connection(self.http_conn_id).password
        headers = {"Accept": "application/vnd.pagerduty+json;version=2"}
        return headers | ({"Authorization": f"Token token={key}"} if key else {})

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            details = "; ".join(map(str, err.get("errors") or []))
            return f"HTTP {status}, PagerDuty error {err.get('code')}: {err.get('message')}" + (
                f" ({details})" if details else ""
            ), err.get("code")
        return super().error_message(status, body)

    def _list(self, endpoint: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        body = self.call(endpoint, params=params)
        items = require(body, key, service=self.service)
        if not isinstance(items, list):
            raise ServiceError(self.service, "malformed", f"{key} is not a list")
        return items

    def escalation_policies(self, name: str) -> list[dict[str, Any]]:
        """Escalation policies whose name matches ``name`` (``GET /escalation_policies?query=``)."""
        return self._list("escalation_policies", "escalation_policies", {"query": name})

    def services(self, name: str) -> list[dict[str, Any]]:
        """Services whose name matches ``name`` (``GET /services?query=``)."""
        return self._list("services", "services", {"query": name})

    def oncalls(self, policy_id: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Who is on call for one escalation policy between ``since`` and ``until`` (every level)."""
        params = {
            "escalation_policy_ids[]": policy_id,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "limit": 100,
        }
        return self._list("oncalls", "oncalls", params)

    def contact_methods(self, user_id: str) -> list[dict[str, Any]]:
        """A user's contact methods (phone, SMS, email, push)."""
        return self._list(f"users/{user_id}/contact_methods", "contact_methods", {})

    def incident(self, incident_key: str) -> dict[str, Any] | None:
        """The incident the Events API opened under ``incident_key`` (our dedup key), or None: its status,
        ``created_at`` and ``acknowledgements`` (``GET /incidents?incident_key=``)."""
        found = self._list("incidents", "incidents", {"incident_key": incident_key, "limit": 1})
        return found[0] if found else None
