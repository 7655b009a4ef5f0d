"""WhatsApp Business Cloud API (Graph API) reads the checks need."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, require


class WhatsAppCloudHook(JsonHttpHook):
    """Graph API client on ``HttpHook``; connection extra: ``api_version``, ``waba_id``."""

    service = "whatsapp"
    NUMBER_FIELDS = "id,display_phone_number,quality_rating,status,messaging_limit_tier,throughput"
    WABA_FIELDS = "id,account_review_status,health_status"

    def _extra(self) -> dict[str, Any]:
        return self.get_connection(self.http_conn_id).extra_dejson

    @property
    def api_version(self) -> str:
        return self._extra().get("api_version", "v23.0")

    @property
    def waba_id(self) -> str:
        return self._extra()["waba_id"]

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        # Meta asks clients to key on error.code, not the HTTP status (external-apis.md §0.3).
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            return f"HTTP {status}, Graph error {err.get('code')}: {err.get('message')}", err.get("code")
        return super().error_message(status, body)

    def phone_numbers(self, fields: str = NUMBER_FIELDS) -> list[dict[str, Any]]:
        """Every sender number of the WABA with the requested fields (quality rating and status by default)."""
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {"fields": fields, "limit": 100}
        for _ in range(50):  # Graph cursor paging; a WABA has at most a few dozen numbers
            body = self.call(f"{self.api_version}/{self.waba_id}/phone_numbers", params=params)
            out.extend(require(body, "data", service=self.service))
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if not (body.get("paging") or {}).get("next") or not after:
                return out
            params["after"] = after
        return out

    def phone_number(self, phone_number_id: str, fields: str = NUMBER_FIELDS) -> dict[str, Any]:
        """One sender number's requested fields."""
        return self.call(f"{self.api_version}/{phone_number_id}", params={"fields": fields})

    def account(self, fields: str = WABA_FIELDS) -> dict[str, Any]:
        """The WABA node's review and health fields (``GET /{waba-id}?fields=account_review_status,health_status``)."""
        return self.call(f"{self.api_version}/{self.waba_id}", params={"fields": fields})

    def templates(self) -> list[dict[str, Any]]:
        """Message templates of the WABA (name, status, category, language, quality_score)."""
        body = self.call(
            f"{self.api_version}/{self.waba_id}/message_templates",
            params={"fields": "name,status,category,language,quality_score", "limit": 250},
        )
        return require(body, "data", service=self.service)
