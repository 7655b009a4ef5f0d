"""The platform's delivery service, which the runbooks act on (re-queue, pause a number, fallback...)."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook


class DeliveryServiceHook(JsonHttpHook):
    """Internal delivery-service API on ``HttpHook``."""

    service = "delivery_service"

    def get(self, endpoint: str, **params: Any) -> Any:
        """GET ``endpoint`` with query parameters."""
        self.method = "GET"
        return self.call(endpoint, params=params)

    def post(self, endpoint: str, body: dict[str, Any]) -> Any:
        """POST a JSON body to ``endpoint``."""
        self.method = "POST"
        return self.call(endpoint, json_body=body)
