"""Fake Slack incoming webhooks (§3): one webhook path per channel of ``connections.SLACK_SANDBOX_PATH``."""

from __future__ import annotations

from delivery_window.connections import SLACK_SANDBOX_PATH
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

SLACK_CHANNELS = {path: "#" + path.rsplit("/", 1)[-1] for path in SLACK_SANDBOX_PATH.values()}


def slack_webhook(req: Request, st: ServiceState) -> Response:
    """POST /services/... (§3): text ``ok``; ``invalid_payload`` (400); ``channel_not_found`` (404)."""
    if req.path not in SLACK_CHANNELS:
        return Response(404, "channel_not_found")
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return Response(400, "invalid_payload")
    if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
        return Response(400, "invalid_payload")
    if body.get("blocks") is not None and not isinstance(body["blocks"], list):
        return Response(400, "invalid_blocks")
    return Response(200, "ok", content_type="text/html")


ROUTES: list[Route] = [("POST", r"/services/.+", slack_webhook)]
