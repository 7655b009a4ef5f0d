"""Confluence Cloud REST API (``/wiki/rest/api/content``): the handoff page, found by title, created or updated.

Connection ``confluence``: host ``https://<site>.atlassian.net``, login = the bot's e-mail, password = its API
token (HTTP basic auth, as Atlassian's API tokens are used), extra ``space_key``. The page is found by space and
title first, so a rerun or a resend updates it with a new version (``version.number`` + 1) instead of creating a
second page; an update whose body is already the page's is not sent.
"""

from __future__ import annotations

from typing import Any

from delivery_window.hooks.base import JsonHttpHook, ServiceError


class ConfluenceHook(JsonHttpHook):
    """Confluence Cloud on ``HttpHook`` (basic auth from the connection's login and password)."""

    service = "confluence"

    def auth_headers(self) -> dict[str, str]:
        return {}  # HttpHook sends the connection's login/password as basic auth

    def error_message(self, status: int, body: Any) -> tuple[str, Any]:
        if isinstance(body, dict) and body.get("message"):
            return f"HTTP {status}: {body['message']}", body.get("statusCode")
        return super().error_message(status, body)

    @property
    def space_key(self) -> str:
        key = self.get_connection(self.http_conn_id).extra_dejson.get("space_key")
        if not key:
            raise ServiceError(
                self.service, "config", f"connection {self.http_conn_id!r} has no extra space_key"
            )
        return str(key)

    def find_page(self, title: str) -> dict[str, Any] | None:
        """``GET /wiki/rest/api/content?spaceKey=&title=&expand=version,body.storage``: the page, or None."""
        self.method = "GET"
        found = self.call(
            "wiki/rest/api/content",
            params={
                "spaceKey": self.space_key,
                "title": title,
                "type": "page",
                "expand": "version,body.storage",
            },
        )
        results = found.get("results") if isinstance(found, dict) else None
        if not isinstance(results, list):
            raise ServiceError(self.service, "malformed", f"content search answered {str(found)[:80]!r}")
        return results[0] if results else None

    def publish(self, title: str, body: str, message: str) -> tuple[str, int]:
        """Create the page, or update it with a new version; returns (page id, version number)."""
        storage = {"storage": {"value": body, "representation": "storage"}}
        page = self.find_page(title)
        if page is None:
            self.method = "POST"
            created = self.call(
                "wiki/rest/api/content",
                json_body={"type": "page", "title": title, "space": {"key": self.space_key}, "body": storage},
            )
            return str(created["id"]), int((created.get("version") or {}).get("number", 1))
        number = int(page["version"]["number"])
        if ((page.get("body") or {}).get("storage") or {}).get("value") == body:
            return str(page["id"]), number  # already this content (a resend whose first send got through)
        self.method = "PUT"
        updated = self.call(
            f"wiki/rest/api/content/{page['id']}",
            json_body={
                "id": str(page["id"]),
                "type": "page",
                "title": title,
                "space": {"key": self.space_key},
                "body": storage,
                "version": {"number": number + 1, "message": message},
            },
        )
        return str(updated["id"]), int(updated["version"]["number"])
