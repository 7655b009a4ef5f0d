"""The internal compliance engine (SEBI advertisement rules): health and one content check."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, require


class ComplianceEngineHook(JsonHttpHook):
    """Compliance engine on ``HttpHook``: ``GET /health``, ``POST /v1/check {"content_id","text"}``."""

    service = "compliance"
    _conn: Any = None  # set by ``sibling``: the connection resolved once, for hooks used from worker threads

    def get_connection(self, conn_id: str):  # type: ignore[override]
        if self._conn is not None and conn_id == self.http_conn_id:
            return self._conn
        return super().get_connection(conn_id)

    def sibling(self) -> ComplianceEngineHook:
        """A new hook on the same (already resolved) connection, safe to use from another thread: the
        connection is looked up once, in the task's own thread."""
        if self._conn is None:
            self._conn = self.get_connection(self.http_conn_id)
        hook = type(self)(self.http_conn_id, timeout_seconds=self.timeout_seconds)
        hook._conn = self._conn
        return hook

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        if isinstance(body, dict) and body.get("message"):
            return f"HTTP {status}, {body.get('error')}: {body['message']}", body.get("error")
        return super().error_message(status, body)

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "version": ...}``."""
        self.method = "GET"
        return self.call("health")

    def check(self, content_id: str, text: str) -> dict[str, Any]:
        """Judge one text; returns the verdict and the time it took (``latency_ms``)."""
        self.method = "POST"
        body = self.call("v1/check", json_body={"content_id": content_id, "text": text})
        return {
            "content_id": content_id,
            "compliant": require(body, "compliant", service=self.service),
            "violations": [v.get("rule") for v in body.get("violations") or []],
            "latency_ms": self.last_latency_ms,
        }
