"""The platform's delivery service, which the runbooks act on (re-queue, pause a number, fallback...)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from delivery_window.hooks.base import JsonHttpHook


class DeliveryServiceHook(JsonHttpHook):
    """Internal delivery-service API on ``HttpHook``."""

    service = "delivery_service"

    def get(self, endpoint: str, **params: Any) -> Any:
        """GET ``endpoint`` with query parameters."""
        self.method = "GET"
        return self.call(endpoint, params=params)

    # Set by the runbook runner for each step (``escalation.actions.ActionLedger``): every POST of the step is then
    # an action of the ledger, sent at most once per key with an ``Idempotency-Key`` header.
    ledger: Any = None

    def post(self, endpoint: str, body: dict[str, Any]) -> Any:
        """POST a JSON body to ``endpoint`` (through the step's action ledger when it has one)."""
        if self.ledger is not None:
            return self.ledger.perform(endpoint, body, lambda key: self.post_once(endpoint, body, key))
        return self.post_once(endpoint, body)

    def post_once(self, endpoint: str, body: dict[str, Any], idempotency_key: str | None = None) -> Any:
        """One POST; the service treats a repeat of ``idempotency_key`` as the first request (no second action)."""
        self.method = "POST"
        self.extra_headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        try:
            return self.call(endpoint, json_body=body)
        finally:
            self.extra_headers = None

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        if isinstance(body, dict) and body.get("message"):
            return f"HTTP {status}, {body.get('error')}: {body['message']}", body.get("error")
        return super().error_message(status, body)

    # --- reads of the 05:30/05:45 checks --------------------------------------------------------------
    def database_pool(self) -> dict[str, Any]:
        """The service's own database connection pool: ``{"size", "in_use", "idle", "waiting", ...}``."""
        return self.get("v1/database/pool")

    def queue(self) -> dict[str, Any]:
        """Delivery queue readiness: ``{"ready", "depth", "workers"}``."""
        return self.get("v1/queue")

    def webhooks_health(self) -> dict[str, Any]:
        """Receipt-webhook endpoint: ``{"status", "lag_seconds"}``."""
        return self.get("v1/webhooks/health")

    def plan(self, day: date) -> dict[str, Any]:
        """The day's traffic plan: segments with their jitter windows, advisors per sender number."""
        return self.get("v1/plan", delivery_date=day.isoformat())

    def retry_policy(self) -> dict[str, Any]:
        """Retry configuration of the sender: attempts, backoff, the error codes it retries or never retries."""
        return self.get("v1/retry-policy")

    def fallback(self, day: date) -> dict[str, Any]:
        """Fallback content state: segments armed and segments switched to fallback."""
        return self.get("v1/fallback", delivery_date=day.isoformat())

    # --- pre-window remediation actions ---------------------------------------------------------------
    def activate_fallback(self, day: date, segments: list[int], reason: str) -> dict[str, Any]:
        """Switch ``segments`` to their prepared fallback content."""
        return self.post(
            "v1/fallback/activate", {"delivery_date": day.isoformat(), "segments": segments, "reason": reason}
        )

    def pause_number(
        self, day: date, phone_number_id: str, reason: str, effective_at: datetime | None = None
    ) -> dict[str, Any]:
        """Stop sending from one sender number (from ``effective_at``: the step's instant, which a replay
        simulates; the service's now when not given)."""
        body = {"delivery_date": day.isoformat(), "reason": reason}
        if effective_at is not None:
            body["effective_at"] = effective_at.isoformat()
        return self.post(f"v1/numbers/{phone_number_id}/pause", body)

    def replan(self, day: date, exclude: list[str]) -> dict[str, Any]:
        """Recompute the traffic plan without the ``exclude`` numbers; returns the new plan."""
        return self.post(
            "v1/plan/replan", {"delivery_date": day.isoformat(), "exclude_phone_number_ids": exclude}
        )
