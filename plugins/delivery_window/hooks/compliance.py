"""The internal compliance engine (SEBI advertisement rules): health, one text check, the day's verdicts."""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, require


class ComplianceEngineHook(JsonHttpHook):
    """Compliance engine on ``HttpHook``: ``GET /health``, ``POST /v1/check {"content_id","text"}``,
    ``POST /v1/verdicts {"delivery_date","content_ids"}`` (its verdict on content it holds)."""

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

    def verdicts(self, delivery_date: str, content_ids: list[str], batch: int = 100) -> list[dict[str, Any]]:
        """The engine's verdict on each content item (``compliant`` / ``violation`` / ``error``, rule ids), in
        requests of at most ``batch`` ids; a verdict of an unexpected shape is a ``ServiceError``."""
        from delivery_window.hooks.base import ServiceError

        self.method = "POST"
        out: list[dict[str, Any]] = []
        for start in range(0, len(content_ids), batch):
            body = self.call(
                "v1/verdicts",
                json_body={"delivery_date": delivery_date, "content_ids": content_ids[start : start + batch]},
            )
            for v in require(body, "verdicts", service=self.service):
                if not isinstance(v, dict) or v.get("verdict") not in ("compliant", "violation", "error"):
                    raise ServiceError(
                        self.service, "malformed", f"verdict of an unknown shape: {str(v)[:120]}"
                    )
                out.append(
                    {
                        "content_id": str(v.get("content_id")),
                        "verdict": v["verdict"],
                        "rule_ids": [str(r) for r in v.get("rule_ids") or []],
                        "message": str(v.get("message") or ""),
                    }
                )
        return out
