"""Every fake external service of the sandbox, one module each, and the route table that dispatches to them.

Shapes, status codes and error envelopes follow /work/shared/reference/external-apis.md (copied from the vendors'
docs and OpenAPI files); where the sandbox invents something (compliance engine, delivery service) the module
says so. Each service module lists its endpoints as ``ROUTES``; this module is the one place that assembles them,
together with the scenario-specific routes of ``scenario_sets/escalation.py`` (the delivery service's
status-page and advisor-notification endpoints), into ``ROUTES`` keyed by the service's path prefix.
``dispatch`` finds a request's route and runs it.
"""

from __future__ import annotations

import re

from delivery_window.sandbox.scenario_sets import escalation
from delivery_window.sandbox.services import (
    cloudinary,
    compliance,
    confluence,
    datadog,
    delivery_service,
    grafana,
    openai,
    pagerduty_events,
    pagerduty_rest,
    slack,
    slack_api,
    statuspage,
    whatsapp,
    x_api,
)
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState
from delivery_window.sandbox.services.whatsapp_graph import graph_error

__all__ = ["ROUTES", "ServiceState", "dispatch", "not_found"]

# service (first path segment) -> [(method, path regex after the service prefix, handler)]
ROUTES: dict[str, list[Route]] = {
    "whatsapp": whatsapp.ROUTES,
    "cloudinary": cloudinary.ROUTES,
    "openai": openai.ROUTES,
    "compliance": compliance.ROUTES,
    "datadog": datadog.ROUTES,
    "grafana": grafana.ROUTES,
    "pagerduty": pagerduty_events.ROUTES,
    "pagerduty_api": pagerduty_rest.ROUTES,
    "slack": slack.ROUTES,
    "statuspage": statuspage.ROUTES,  # issue 14
    "x": x_api.ROUTES,
    "confluence": confluence.ROUTES,
    "slack_api": slack_api.ROUTES,
    # Every sandbox serves the escalation endpoints too (the demo's escalations must not 404).
    "delivery": delivery_service.ROUTES + escalation.DELIVERY_ROUTES,
}
_COMPILED = {svc: [(m, re.compile(p), h) for m, p, h in routes] for svc, routes in ROUTES.items()}


def not_found(req: Request) -> Response:
    """404 in the shape of the service the path points at (generic JSON otherwise)."""
    if req.service == "slack":
        return Response(404, "channel_not_found")
    if req.service == "whatsapp":
        return graph_error(400, 100, f"Unknown path components: {req.subpath}")
    return Response(404, {"error": "not_found", "message": f"no sandbox route for {req.method} {req.path}"})


def dispatch(req: Request, st: ServiceState) -> Response:
    """Find the route of a request and run it."""
    routes = _COMPILED.get(req.service, [])
    allowed = False
    for method, pattern, handler in routes:
        m = pattern.fullmatch(req.subpath)
        if m:
            allowed = True
            if method == req.method:
                req.params = m.groupdict()
                return handler(req, st)
    if allowed and req.service not in ("slack", "whatsapp"):
        return Response(
            405, {"error": "method_not_allowed", "message": f"{req.method} not allowed on {req.path}"}
        )
    return not_found(req)
