"""Cloudinary Admin API reads the checks need: ``ping`` and the day's uploaded assets."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError, require


class CloudinaryHook(JsonHttpHook):
    """Admin API on ``HttpHook``: Basic auth from the connection's login/password; extra ``cloud_name``."""

    service = "cloudinary"

    def auth_headers(self) -> dict[str, str]:
        return {}  # HttpHook sends the connection's login/password (api_key/api_secret) as Basic auth

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict) and err.get("message"):
            return f"HTTP {status}: {err['message']}", None
        return super().error_message(status, body)

    @property
    def cloud_name(self) -> str:
        name = self.get_connection(self.http_conn_id).extra_dejson.get("cloud_name")
        if not name:
            raise ServiceError(
                self.service, "config", f"connection {self.http_conn_id!r} has no extra cloud_name"
            )
        return name

    def ping(self) -> dict[str, Any]:
        """``GET /v1_1/{cloud}/ping``: the status and the Admin API quota left this hour."""
        body = self.call(f"v1_1/{self.cloud_name}/ping")
        headers = {k.lower(): v for k, v in (self.last_headers or {}).items()}

        def as_int(name: str) -> int | None:
            value = headers.get(name)
            return int(value) if value is not None and value.isdigit() else None

        return {
            "status": require(body, "status", service=self.service),
            "rate_limit_limit": as_int("x-featureratelimit-limit"),
            "rate_limit_remaining": as_int("x-featureratelimit-remaining"),
            "ping_ms": self.last_latency_ms,
        }

    def resources(self, prefix: str, max_pages: int = 20) -> list[dict[str, Any]]:
        """Uploaded images whose public id starts with ``prefix`` (follows ``next_cursor``)."""
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {"prefix": prefix, "max_results": 500}
        for _ in range(max_pages):
            body = self.call(f"v1_1/{self.cloud_name}/resources/image/upload", params=params)
            out.extend(require(body, "resources", service=self.service))
            if not body.get("next_cursor"):
                return out
            params["next_cursor"] = body["next_cursor"]
        raise ServiceError(
            self.service, "malformed", f"more than {max_pages} pages of resources under {prefix!r}"
        )
