"""Fake Slack Web API (``https://slack.com/api/<method>``), the read methods the 05:30 check calls.

``auth.test``, ``conversations.list`` and ``conversations.info``, with the bot token as ``Authorization: Bearer``
(GET query or POST form, as Slack takes either). Answers are HTTP 200 JSON: ``{"ok": true, ...}`` or
``{"ok": false, "error": "not_authed" | "invalid_auth" | "token_revoked" | "channel_not_found"}`` (Slack's
method docs). The channels are the sandbox's four (``connections.SLACK_SANDBOX_PATH``); a scenario's
``info["slack"]`` may say ``{"token": "revoked" | "invalid", "archived": [names], "not_member": [names]}``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from delivery_window.connections import SLACK_SANDBOX_PATH
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

TEAM_ID, BOT_USER_ID, BOT_ID = "T0SANDBOX", "U0DWBOT01", "B0DWBOT01"
# name -> channel id (Slack ids are C + 8-10 upper-case alphanumerics)
CHANNEL_IDS = {
    path.rsplit("/", 1)[-1]: "C0" + path.split("/")[4].removeprefix("B0").ljust(8, "0")[:8]
    for path in SLACK_SANDBOX_PATH.values()
}


def _params(req: Request) -> dict[str, Any]:
    params = dict(req.query)
    if req.method == "POST" and req.body:
        try:
            body = req.json()
            params |= body if isinstance(body, dict) else {}
        except (ValueError, UnicodeDecodeError):
            params |= {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
    return params


def _auth_error(req: Request, st: ServiceState) -> Response | None:
    token = req.bearer() or _params(req).get("token")
    if not token:
        return Response(200, {"ok": False, "error": "not_authed"})
    state = (st.info.get("slack") or {}).get("token")
    if state == "revoked":
        return Response(200, {"ok": False, "error": "token_revoked"})
    if state == "invalid" or not str(token).startswith("xox"):
        return Response(200, {"ok": False, "error": "invalid_auth"})
    return None


def _channel(name: str, st: ServiceState) -> dict[str, Any]:
    slack = st.info.get("slack") or {}
    return {
        "id": CHANNEL_IDS[name],
        "name": name,
        "is_channel": True,
        "is_private": False,
        "is_archived": name in slack.get("archived", []),
        "is_member": name not in slack.get("not_member", []),
        "created": 1727758800,
        "creator": "U0ADMIN01",
    }


def auth_test(req: Request, st: ServiceState) -> Response:
    """auth.test -> ``{"ok", "url", "team", "user", "team_id", "user_id", "bot_id"}``."""
    if err := _auth_error(req, st):
        return err
    return Response(
        200,
        {
            "ok": True,
            "url": "https://projectone-sandbox.slack.com/",
            "team": "ProjectOne",
            "user": "delivery-window",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        },
    )


def conversations_list(req: Request, st: ServiceState) -> Response:
    """conversations.list -> ``{"ok", "channels": [...], "response_metadata": {"next_cursor": ""}}``."""
    if err := _auth_error(req, st):
        return err
    channels = [_channel(name, st) for name in CHANNEL_IDS]
    if str(_params(req).get("exclude_archived", "false")).lower() == "true":
        channels = [c for c in channels if not c["is_archived"]]
    return Response(200, {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}})


def conversations_info(req: Request, st: ServiceState) -> Response:
    """conversations.info?channel=C… -> ``{"ok": true, "channel": {...}}``; ``channel_not_found`` otherwise."""
    if err := _auth_error(req, st):
        return err
    wanted = _params(req).get("channel")
    name = next((n for n, cid in CHANNEL_IDS.items() if cid == wanted), None)
    if name is None:
        return Response(200, {"ok": False, "error": "channel_not_found"})
    return Response(200, {"ok": True, "channel": _channel(name, st)})


ROUTES: list[Route] = [
    (method, path, handler)
    for path, handler in (
        (r"/api/auth\.test", auth_test),
        (r"/api/conversations\.list", conversations_list),
        (r"/api/conversations\.info", conversations_info),
    )
    for method in ("GET", "POST")
]
