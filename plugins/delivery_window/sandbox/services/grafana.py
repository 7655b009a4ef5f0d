"""Fake Grafana HTTP API: health (§4), dashboards by uid, and ``POST /api/dashboards/db`` (create or overwrite).

The store starts with the delivery-window dashboard as a team made it by hand (version 7); every save is a new
version, as in Grafana. Save errors follow Grafana's ``pkg/api/dashboard.go``: 400 ``{"message"}`` for a bad
body, 412 ``{"status": "version-mismatch" | "name-exists", "message"}`` when overwrite is false.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState, now_iso

DASHBOARD_UID = "delivery-window"  # dashboard_uid extra of the Grafana sandbox connection


def grafana_health(req: Request, st: ServiceState) -> Response:
    """GET /api/health (§4); unauthenticated, as in Grafana."""
    return Response(200, {"commit": "2a7c6b3e1d", "database": "ok", "version": "11.3.0"})


_PANELS = (
    ("Delivery success rate (%)", "timeseries"),
    ("Messages per minute", "timeseries"),
    ("WhatsApp API latency p95 (ms)", "timeseries"),
    ("Error rate (%)", "timeseries"),
    ("Delivered by segment", "bargauge"),
    ("Sender number (shard) health", "table"),
    ("Open alerts", "table"),
    ("SLA trend (30 days)", "timeseries"),
)


def _seeded(st: ServiceState) -> dict[str, dict[str, Any]]:
    """The dashboards Grafana holds by uid (the hand-made delivery-window one until something is saved)."""
    if not st.grafana_dashboards:
        panels = [
            {
                "id": i,
                "title": title,
                "type": kind,
                "datasource": {"type": "postgres", "uid": "delivery-ops-pg"},
                "gridPos": {"x": (i - 1) % 2 * 12, "y": (i - 1) // 2 * 8, "w": 12, "h": 8},
            }
            for i, (title, kind) in enumerate(_PANELS, start=1)
        ]
        dashboard = {
            "id": 42,
            "uid": DASHBOARD_UID,
            "title": "Delivery window (06:00 IST)",
            "tags": ["delivery-window"],
            "refresh": "30s",
            "timezone": "Asia/Kolkata",
            "schemaVersion": 39,
            "version": 7,
            "panels": panels,
        }
        st.grafana_dashboards[DASHBOARD_UID] = {
            "dashboard": dashboard,
            "meta": {
                "created": "2025-10-01T05:00:00Z",
                "updated": "2025-11-20T05:00:00Z",
                "provisioned": True,
            },
        }
    return st.grafana_dashboards


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def grafana_dashboard(req: Request, st: ServiceState) -> Response:
    """GET /api/dashboards/uid/{uid} -> ``{"dashboard":{...},"meta":{...}}``; needs a bearer token."""
    if not req.bearer():
        return Response(401, {"message": "Unauthorized"})
    uid = req.params["uid"]
    with st.lock:
        stored = copy.deepcopy(_seeded(st).get(uid))
    if stored is None:
        return Response(404, {"message": "Dashboard not found"})
    dashboard = stored["dashboard"]
    slug = _slug(dashboard.get("title") or uid)
    meta = {
        "type": "db",
        "canSave": False,
        "canEdit": False,
        "slug": slug,
        "url": f"/d/{uid}/{slug}",
        "folderTitle": "Delivery",
        "version": dashboard["version"],
        **stored["meta"],
    }
    return Response(200, {"dashboard": dashboard, "meta": meta})


def grafana_save_dashboard(req: Request, st: ServiceState) -> Response:
    """POST /api/dashboards/db ``{"dashboard", "overwrite"?, "message"?, "folderUid"?}``.

    200 ``{"id", "uid", "url", "status": "success", "version", "slug"}``; the version is the stored one + 1."""
    if not req.bearer():
        return Response(401, {"message": "Unauthorized"})
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return Response(400, {"message": "bad request data"})
    board = body.get("dashboard") if isinstance(body, dict) else None
    if not isinstance(board, dict):
        return Response(400, {"message": "bad request data: dashboard is required"})
    if not isinstance(board.get("title"), str) or not board["title"].strip():
        return Response(400, {"message": "Dashboard title cannot be empty"})
    uid = board.get("uid")
    if uid is not None and (not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid)):
        return Response(400, {"message": "uid contains illegal characters"})
    if not isinstance(board.get("panels", []), list):
        return Response(400, {"message": "bad request data: panels must be an array"})
    overwrite = body.get("overwrite") is True
    with st.lock:
        boards = _seeded(st)
        uid = uid or f"gen{len(boards) + 1:05d}"
        stored = boards.get(uid)
        if stored is not None and not overwrite:
            if board.get("version") != stored["dashboard"]["version"]:
                return Response(
                    412,
                    {
                        "status": "version-mismatch",
                        "message": "The dashboard has been changed by someone else",
                    },
                )
        version = stored["dashboard"]["version"] + 1 if stored else 1
        board_id = stored["dashboard"]["id"] if stored else 100 + len(boards)
        saved = {**copy.deepcopy(board), "uid": uid, "id": board_id, "version": version}
        created = stored["meta"]["created"] if stored else now_iso()
        boards[uid] = {
            "dashboard": saved,
            "meta": {
                "created": created,
                "updated": now_iso(),
                "provisioned": False,
                "message": body.get("message"),
            },
        }
    slug = _slug(saved["title"])
    return Response(
        200,
        {
            "id": board_id,
            "uid": uid,
            "url": f"/d/{uid}/{slug}",
            "status": "success",
            "version": version,
            "slug": slug,
        },
    )


ROUTES: list[Route] = [
    ("GET", r"/api/health", grafana_health),
    ("GET", r"/api/dashboards/uid/(?P<uid>[^/]+)", grafana_dashboard),
    ("POST", r"/api/dashboards/db", grafana_save_dashboard),
]
