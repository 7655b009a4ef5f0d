"""Fake Datadog API: metric series intake and key validation (§4), and the delivery window's monitors.

Monitors a scenario mutes are listed in ``info["datadog"]["muted"]``. The monitor store starts with the six
monitors a team made by hand (ids 7001001-7001006); ``POST /api/v1/monitor`` creates one (id from 7002001) and
``PUT /api/v1/monitor/{id}`` edits one, each body validated as Datadog does (400 ``{"errors": [...]}``: name,
type, query with a comparator whose number is ``options.thresholds.critical``, tags, priority).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState, now_iso

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


_MONITOR_TYPES = ("metric alert", "query alert", "service check", "event alert", "composite", "log alert")
_COMPARISON = re.compile(r"(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


def _store(st: ServiceState) -> dict[int, dict[str, Any]]:
    """Every monitor by id (seeded with the hand-made six on first use)."""
    if not st.datadog_monitors:
        st.datadog_monitors.update({m[0]: _monitor(*m) for m in _MONITORS})
    return st.datadog_monitors


def _shown(m: dict[str, Any], st: ServiceState) -> dict[str, Any]:
    out = copy.deepcopy(m)
    muted = set((st.info.get("datadog") or {}).get("muted", []))
    if out["name"].removeprefix("[delivery-window] ") in muted:
        out["options"]["silenced"] = {"*": None}  # muted with no end, as the Datadog UI does it
    return out


def _monitor_errors(body: Any, partial: bool) -> list[str]:
    """Datadog's validation of a monitor body (``partial``: a PUT may leave fields out)."""
    if not isinstance(body, dict):
        return ["Invalid monitor payload: expected a JSON object"]
    errors = []
    for key in ("name", "type", "query"):
        if key not in body and not partial:
            errors.append(f"The parameter '{key}' is required")
        elif key in body and (not isinstance(body[key], str) or not body[key].strip()):
            errors.append(f"The value provided for parameter '{key}' is invalid")
    if "type" in body and body["type"] not in _MONITOR_TYPES:
        errors.append(f"Invalid monitor type: {body['type']!r}")
    if "tags" in body and not (
        isinstance(body["tags"], list) and all(isinstance(t, str) for t in body["tags"])
    ):
        errors.append("The value provided for parameter 'tags' is invalid: expected a list of strings")
    if body.get("priority") is not None and body["priority"] not in (1, 2, 3, 4, 5):
        errors.append("The value provided for parameter 'priority' is invalid: 1 to 5 or null")
    options = body.get("options", {})
    if not isinstance(options, dict):
        return errors + ["The value provided for parameter 'options' is invalid"]
    query = body.get("query")
    if isinstance(query, str) and body.get("type") in ("metric alert", "query alert"):
        m = _COMPARISON.search(query)
        critical = (options.get("thresholds") or {}).get("critical")
        if m is None:
            errors.append(
                "The value provided for parameter 'query' is invalid: no comparison with a threshold"
            )
        elif critical is not None and float(critical) != float(m.group(2)):
            errors.append(
                f"The value provided for parameter 'query' is invalid: critical threshold ({float(critical):g}) "
                f"does not match that used in the query ({float(m.group(2)):g})"
            )
    return errors


def datadog_monitors(req: Request, st: ServiceState) -> Response:
    """GET /api/v1/monitor: every monitor of the service; ``monitor_tags``/``tags``/``name`` filter it."""
    if err := _dd_app_auth(req):
        return err
    with st.lock:
        monitors = [_shown(m, st) for _, m in sorted(_store(st).items())]
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
    with st.lock:
        m = _store(st).get(int(req.params["id"]))
        shown = _shown(m, st) if m else None
    return Response(200, shown) if shown else Response(404, {"errors": ["Monitor not found"]})


def datadog_create_monitor(req: Request, st: ServiceState) -> Response:
    """POST /api/v1/monitor -> 200 the monitor with its new ``id``, ``created``, ``overall_state``."""
    if err := _dd_app_auth(req):
        return err
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return Response(400, {"errors": ["Malformed JSON"]})
    if errors := _monitor_errors(body, partial=False):
        return Response(400, {"errors": errors})
    with st.lock:
        store = _store(st)
        mid = max([7002000, *(k for k in store if k >= 7002000)]) + 1
        stamp = now_iso()
        store[mid] = {
            "tags": [],
            "message": "",
            "priority": None,
            **copy.deepcopy(body),
            "options": {"silenced": {}, **copy.deepcopy(body.get("options") or {})},
            "id": mid,
            "overall_state": "No Data",
            "created": stamp,
            "modified": stamp,
        }
        return Response(200, copy.deepcopy(store[mid]))


def datadog_update_monitor(req: Request, st: ServiceState) -> Response:
    """PUT /api/v1/monitor/{id} -> 200 the monitor as edited; 404 ``{"errors": ["Monitor not found"]}``."""
    if err := _dd_app_auth(req):
        return err
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return Response(400, {"errors": ["Malformed JSON"]})
    with st.lock:
        store = _store(st)
        current = store.get(int(req.params["id"]))
        if current is None:
            return Response(404, {"errors": ["Monitor not found"]})
        merged = {**current, **(body if isinstance(body, dict) else {})}
        if errors := _monitor_errors(body, partial=True) or _monitor_errors(merged, partial=False):
            return Response(400, {"errors": errors})
        merged["id"], merged["modified"] = current["id"], now_iso()
        store[current["id"]] = copy.deepcopy(merged)
        return Response(200, copy.deepcopy(merged))


ROUTES: list[Route] = [
    ("POST", r"/api/v2/series", datadog_series),
    ("GET", r"/api/v1/validate", datadog_validate),
    ("GET", r"/api/v1/monitor", datadog_monitors),
    ("GET", r"/api/v1/monitor/(?P<id>\d+)", datadog_monitor),
    ("POST", r"/api/v1/monitor", datadog_create_monitor),
    ("PUT", r"/api/v1/monitor/(?P<id>\d+)", datadog_update_monitor),
]
