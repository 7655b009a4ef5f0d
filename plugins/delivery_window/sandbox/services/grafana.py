"""Fake Grafana HTTP API: health (§4) and the delivery-window dashboard by uid."""

from __future__ import annotations

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

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


def grafana_dashboard(req: Request, st: ServiceState) -> Response:
    """GET /api/dashboards/uid/{uid} -> ``{"dashboard":{...},"meta":{...}}``; needs a bearer token."""
    if not req.bearer():
        return Response(401, {"message": "Unauthorized"})
    uid = req.params["uid"]
    if uid != DASHBOARD_UID:
        return Response(404, {"message": "Dashboard not found"})
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
        "uid": uid,
        "title": "Delivery window (06:00 IST)",
        "tags": ["delivery-window"],
        "refresh": "30s",
        "timezone": "Asia/Kolkata",
        "schemaVersion": 39,
        "version": 7,
        "panels": panels,
    }
    meta = {
        "type": "db",
        "canSave": False,
        "canEdit": False,
        "slug": "delivery-window-06-00-ist",
        "url": f"/d/{uid}/delivery-window-06-00-ist",
        "folderTitle": "Delivery",
        "version": 7,
        "created": "2025-10-01T05:00:00Z",
        "updated": "2025-11-20T05:00:00Z",
        "provisioned": True,
    }
    return Response(200, {"dashboard": dashboard, "meta": meta})


ROUTES: list[Route] = [
    ("GET", r"/api/health", grafana_health),
    ("GET", r"/api/dashboards/uid/(?P<uid>[^/]+)", grafana_dashboard),
]
