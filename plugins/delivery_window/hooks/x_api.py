"""X API v2: a post from the status account (``POST /2/tweets`` ``{"text"}`` → 201 ``{"data": {"id", "text"}}``).

Connection ``x_api``: host ``https://api.x.com``, password = the status account's OAuth 2.0 user access token
(scope ``tweet.write``), sent as a Bearer token. X refuses a post identical to a recent one with 403 ("duplicate
content"): for a resend after an unknown outcome that means the first post went out, so it counts as sent.
"""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError

MAX_CHARS = 280  # X's limit on a post's text (weighted length; our texts are ASCII and short)


class XHook(JsonHttpHook):
    """X API v2 on ``HttpHook``."""

    service = "x"

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        if isinstance(body, dict) and (body.get("detail") or body.get("title")):
            return f"HTTP {status}: {body.get('detail') or body.get('title')}", body.get("type")
        return super().error_message(status, body)

    def post(self, text: str) -> str | None:
        """Post ``text``; returns the post's id (None when X says it is a duplicate of one already posted)."""
        if len(text) > MAX_CHARS:
            raise ValueError(f"an X post is at most {MAX_CHARS} characters, this one {len(text)}")
        self.method = "POST"
        try:
            answer = self.call("2/tweets", json_body={"text": text})
        except ServiceError as exc:
            if exc.status == 403 and "duplicate" in str(exc).lower():
                return None
            raise
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
            raise ServiceError(self.service, "malformed", f"POST /2/tweets answered {str(answer)[:80]!r}")
        return str(answer["data"].get("id"))
