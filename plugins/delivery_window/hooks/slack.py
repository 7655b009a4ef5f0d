"""Slack incoming webhooks: is each channel's webhook reachable, without posting to it.

An incoming webhook has no read endpoint, and a test post every morning would land in #delivery-war-room in
front of people. So the check resolves each channel's webhook URL from its Airflow connection (the conventions of
the Slack provider's ``SlackWebhookHook``: the password holds the full URL or the ``T…/B…/…`` path, the host
defaults to hooks.slack.com) and opens a TCP connection to it, timing the connect.
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

from airflow.sdk import BaseHook

DEFAULT_WEBHOOK_BASE = "https://hooks.slack.com/services"


class SlackWebhookReachabilityHook(BaseHook):
    """Resolve a Slack webhook connection's URL and check its host accepts connections."""

    def __init__(self, slack_webhook_conn_id: str, timeout_seconds: float = 10) -> None:
        super().__init__()
        self.slack_webhook_conn_id = slack_webhook_conn_id
        self.timeout_seconds = timeout_seconds

    def webhook_url(self) -> str:
        """The webhook URL the connection sends to (token path masked by callers before logging)."""
        conn = self.get_connection(self.slack_webhook_conn_id)
        secret = (conn.password or "").strip()
        if secret.startswith(("http://", "https://")):
            return secret
        if not secret:
            raise ValueError(
                f"connection {self.slack_webhook_conn_id!r} has no webhook URL or token in its password"
            )
        base = (conn.host or DEFAULT_WEBHOOK_BASE).rstrip("/")
        if "://" not in base:
            base = f"{conn.schema or 'https'}://{base}"
        return f"{base}/{secret.lstrip('/')}"

    def probe(self) -> dict[str, Any]:
        """``{"conn_id", "host", "port", "reachable", "connect_ms", "error"}``; never raises for the network."""
        out: dict[str, Any] = {"conn_id": self.slack_webhook_conn_id}
        try:
            url = urlsplit(self.webhook_url())
        except Exception as exc:  # an undefined or empty connection is the finding, not a crash
            return out | {"reachable": False, "error": f"{type(exc).__name__}: {exc}"}
        port = url.port or (443 if url.scheme == "https" else 80)
        out |= {"host": url.hostname, "port": port, "path_is_webhook": "/services/" in url.path}
        started = time.perf_counter()
        try:
            with socket.create_connection((url.hostname, port), timeout=self.timeout_seconds):
                pass
        except TimeoutError:
            return out | {"reachable": False, "error": f"no TCP connection within {self.timeout_seconds:g} s"}
        except OSError as exc:
            return out | {"reachable": False, "error": f"{type(exc).__name__}: {exc.strerror or exc}"}
        return out | {"reachable": True, "connect_ms": round((time.perf_counter() - started) * 1000)}
