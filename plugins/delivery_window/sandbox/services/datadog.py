"""Fake Datadog API: metric series intake and key validation (§4), and the delivery window's monitors.

Monitors a scenario mutes are listed in ``info["datadog"]["muted"]``.
"""

from __future__ import annotations

from typing import Any

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

_FORBIDDEN = Response(403, {"errors": ["Forbidden"]})
_MONITORS = (
    (7001001, "success_rate_below_98", "avg(last_1m):avg:delivery_window.success_rate_pct{*} < 98"),
    (7001002, "processing_rate_below_target", "avg(last_1m):sum:delivery_window.messages_per_min{*} < 400"),
    (7001003, "api_latency_p95_above_2s", "avg(last_1m):p95:delivery_window.api_latency_ms{*} > 2000"),
    (7001004, "error_rate_above_2pct", "avg(last_2m):avg:delivery_window.error_rate_pct{*} > 2"),
    (7001005, "whatsapp_api_unavailable", "avg(last_1m):avg:delivery_window.whatsapp_available{*} < 1"),
    (
        7001006,
        "shard_failing",
        "avg(last_2m):min:delivery_window.shard_success_pct{*} by {phone_number_id} < 90",
    ),
)


def _monitor(mid: int, rule: str, query: str) -> dict[str, Any]:
    return {
        "id": mid,
        "name": f"[delivery-window] {rule}",
        "type": "metric alert",
        "query": query,
        "message": f"@pagerduty-project-one-delivery {rule} fired. Runbook: include/runbooks/",
        "tags": ["service:delivery-window", "team:delivery-ops", "env:prod", f"rule:{rule}"],
        "overall_state": "OK",
        "options": {"silenced": {}, "notify_no_data": True, "thresholds": {}},
        "created": "2025-10-01T05:00:00.000000+00:00",
        "modified": "2025-11-20T05:00:00.000000+00:00",
        "priority": 1,
    }


def datadog_series(req: Request, st: ServiceState) -> Response:
    """POST /api/v2/series (§4): 202 ``{"errors":[]}``; 400 ``{"errors":[...]}`` for a bad body."""
    if not req.headers.get("dd-api-key"):
        return _FORBIDDEN
    if len(req.body) > 500 * 1024:
        return Response(413, {"errors": ["Payload too large"]})
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return Response(400, {"errors": ["Malformed JSON"]})
    if not isinstance(body, dict) or not isinstance(body.get("series"), list):
        return Response(400, {"errors": ["series is required and must be an array"]})
    errors = []
    for i, s in enumerate(body["series"]):
        if not isinstance(s, dict) or not isinstance(s.get("metric"), str) or not s.get("metric"):
            errors.append(f"series[{i}].metric is required")
            continue
        points = s.get("points")
        if not isinstance(points, list) or not points:
            errors.append(f"series[{i}].points is required")
            continue
        for j, p in enumerate(points):
            ok = (
                isinstance(p, dict)
                and isinstance(p.get("timestamp"), int)
                and isinstance(p.get("value"), int | float)
            )
            if not ok:
                errors.append(f"series[{i}].points[{j}] needs integer timestamp and numeric value")
        if s.get("type", 0) not in (0, 1, 2, 3):
            errors.append(f"series[{i}].type must be 0, 1, 2 or 3")
    if errors:
        return Response(400, {"errors": errors})
    return Response(202, {"errors": []})


def datadog_validate(req: Request, st: ServiceState) -> Response:
    """GET /api/v1/validate -> ``{"valid":true}``, 403 without DD-API-KEY."""
    return Response(200, {"valid": True}) if req.headers.get("dd-api-key") else _FORBIDDEN


def _dd_app_auth(req: Request) -> Response | None:
    # Monitor reads need both the API key and an application key.
    return None if req.headers.get("dd-api-key") and req.headers.get("dd-application-key") else _FORBIDDEN


def datadog_monitors(req: Request, st: ServiceState) -> Response:
    """GET /api/v1/monitor: every monitor of the service; ``monitor_tags``/``tags``/``name`` filter it."""
    if err := _dd_app_auth(req):
        return err
    monitors = [_monitor(*m) for m in _MONITORS]
    muted = set((st.info.get("datadog") or {}).get("muted", []))
    for m in monitors:
        if m["name"].removeprefix("[delivery-window] ") in muted:
            m["options"]["silenced"] = {"*": None}  # muted with no end, as the Datadog UI does it
    for param in ("monitor_tags", "tags"):
        wanted = [t.strip() for t in str(req.query.get(param, "")).split(",") if t.strip()]
        monitors = [m for m in monitors if all(t in m["tags"] for t in wanted)]
    if req.query.get("name"):
        monitors = [m for m in monitors if str(req.query["name"]).lower() in m["name"].lower()]
    return Response(200, monitors)


def datadog_monitor(req: Request, st: ServiceState) -> Response:
    """GET /api/v1/monitor/{id}."""
    if err := _dd_app_auth(req):
        return err
    for m in _MONITORS:
        if str(m[0]) == req.params["id"]:
            return Response(200, _monitor(*m))
    return Response(404, {"errors": ["Monitor not found"]})


ROUTES: list[Route] = [
    ("POST", r"/api/v2/series", datadog_series),
    ("GET", r"/api/v1/validate", datadog_validate),
    ("GET", r"/api/v1/monitor", datadog_monitors),
    ("GET", r"/api/v1/monitor/(?P<id>\d+)", datadog_monitor),
]
