"""OpenAI API health: the model list (``GET /v1/models``) with OpenAI's error envelope read precisely."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError, require


class OpenAIHook(JsonHttpHook):
    """OpenAI on ``HttpHook``; the connection password is the API key (Bearer)."""

    service = "openai"

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        # {"error": {"message", "type", "param", "code"}}; 429 means either throttling or an exhausted quota.
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code = err.get("code") or err.get("type")
            return f"HTTP {status}, OpenAI {code}: {err.get('message')}", code
        return super().error_message(status, body)

    def models(self) -> list[str]:
        """Ids of the models the key can use."""
        body = self.call("v1/models")
        data = require(body, "data", service=self.service)
        if not isinstance(data, list) or not all(isinstance(m, dict) and "id" in m for m in data):
            raise ServiceError(self.service, "malformed", "data is not a list of models with an id")
        return [m["id"] for m in data]
