"""Fake Atlassian Statuspage REST API v1 (``https://api.statuspage.io/v1``): a page's incidents.

Shapes from Statuspage's API reference (developer.statuspage.io): ``POST /v1/pages/{page_id}/incidents`` and
``PATCH /v1/pages/{page_id}/incidents/{incident_id}`` take ``{"incident": {...}}`` with ``name`` (≤ 255),
``status`` (realtime: investigating | identified | monitoring | resolved), ``body`` (the update's text),
``components`` ``{component_id: operational | degraded_performance | partial_outage | major_outage |
under_maintenance}``, ``component_ids``, ``metadata`` (top-level values must be objects) and
``deliver_notifications``; ``GET /v1/pages/{page_id}/incidents?q=`` searches names and updates. Auth is
``Authorization: OAuth <api key>``; errors are ``{"error": "..."}``. The pages and their component are those of
``connections.SANDBOX_STATUSPAGE``; a malformed request is answered 400 (422 for a bad value, as Statuspage does).
"""

from __future__ import annotations

from typing import Any

from delivery_window.connections import SANDBOX_STATUSPAGE
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState, now_iso

STATUSES = ("investigating", "identified", "monitoring", "resolved")
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
FIELDS = {"name", "status", "body", "components", "component_ids", "metadata", "deliver_notifications",
          "impact_override", "auto_tweet_at_beginning"}  # fmt: skip
PAGES = {v["page_id"]: v["component_id"] for v in SANDBOX_STATUSPAGE.values()}


def _error(status: int, message: str) -> Response:
    return Response(status, {"error": message})


def _checked(req: Request, *, creating: bool) -> tuple[dict[str, Any] | None, Response | None]:
    """The request's ``incident`` object, or the error answer (auth, page, shape)."""
    if not req.headers.get("authorization", "").startswith("OAuth ") or len(req.headers["authorization"]) < 7:
        return None, _error(401, "Could not authenticate")
    page = req.params["page_id"]
    if page not in PAGES:
        return None, _error(404, "The requested resource could not be found.")
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return None, _error(400, "request body is not valid JSON")
    incident = body.get("incident") if isinstance(body, dict) else None
    if not isinstance(incident, dict):
        return None, _error(400, "incident is missing")
    unknown = set(incident) - FIELDS
    if unknown:
        return None, _error(400, f"unknown incident fields: {', '.join(sorted(unknown))}")
    name = incident.get("name")
    if creating and (not isinstance(name, str) or not name.strip() or len(name) > 255):
        return None, _error(422, "name can't be blank and is at most 255 characters")
    if "status" in incident and incident["status"] not in STATUSES:
        return None, _error(422, f"status must be one of {', '.join(STATUSES)}")
    if creating and "status" not in incident:
        return None, _error(422, "status is required for a realtime incident")
    if "body" in incident and (not isinstance(incident["body"], str) or len(incident["body"]) > 25000):
        return None, _error(422, "body must be a string of at most 25000 characters")
    components = incident.get("components", {})
    if not isinstance(components, dict) or any(
        c != PAGES[page] or v not in COMPONENT_STATUSES for c, v in components.items()
    ):
        return None, _error(
            422, f"components must map this page's component ids to one of {COMPONENT_STATUSES}"
        )
    ids = incident.get("component_ids", [])
    if not isinstance(ids, list) or any(i != PAGES[page] for i in ids):
        return None, _error(422, "component_ids must be components of this page")
    meta = incident.get("metadata", {})
    if not isinstance(meta, dict) or any(not isinstance(v, dict) for v in meta.values()):
        return None, _error(422, "metadata: all top-level values must be objects")
    return incident, None


def _update(incident: dict[str, Any], status: str, body: str | None, components: dict[str, str]) -> None:
    at = now_iso()
    incident["status"], incident["updated_at"] = status, at
    if status == "monitoring":
        incident["monitoring_at"] = at
    if status == "resolved":
        incident["resolved_at"] = at
    for comp in incident["components"]:
        if comp["id"] in components:
            comp["status"] = components[comp["id"]]
    update = {
        "id": f"upd{len(incident['incident_updates']) + 1:04d}{incident['id'][:4]}",
        "incident_id": incident["id"],
        "status": status,
        "body": body or "",
        "created_at": at,
        "display_at": at,
        "affected_components": [{"code": c, "new_status": s} for c, s in components.items()],
    }
    incident["incident_updates"].insert(0, update)  # newest first, as Statuspage lists them


def create_incident(req: Request, st: ServiceState) -> Response:
    incident, error = _checked(req, creating=True)
    if error:
        return error
    n = st.next("statuspage_incidents")
    page = req.params["page_id"]
    record: dict[str, Any] = {
        "id": f"sp{n:010d}",
        "page_id": page,
        "name": incident["name"],
        "status": incident["status"],
        "impact": "critical" if "major_outage" in incident.get("components", {}).values() else "minor",
        "created_at": now_iso(),
        "metadata": incident.get("metadata", {}),
        "components": [
            {"id": c, "name": "WhatsApp content delivery", "status": "operational"} for c in [PAGES[page]]
        ],
        "incident_updates": [],
        "shortlink": f"https://stspg.io/{n:06d}",
    }
    _update(record, incident["status"], incident.get("body"), incident.get("components", {}))
    with st.lock:
        st.statuspage_incidents[record["id"]] = record
    return Response(201, record)


def update_incident(req: Request, st: ServiceState) -> Response:
    incident, error = _checked(req, creating=False)
    if error:
        return error
    with st.lock:
        record = st.statuspage_incidents.get(req.params["incident_id"])
        if record is None or record["page_id"] != req.params["page_id"]:
            return _error(404, "The requested resource could not be found.")
        if "name" in incident:
            record["name"] = incident["name"]
        _update(
            record,
            incident.get("status", record["status"]),
            incident.get("body"),
            incident.get("components", {}),
        )
        return Response(200, record)


def list_incidents(req: Request, st: ServiceState) -> Response:
    if not req.headers.get("authorization", "").startswith("OAuth "):
        return _error(401, "Could not authenticate")
    page = req.params["page_id"]
    if page not in PAGES:
        return _error(404, "The requested resource could not be found.")
    q = str(req.query.get("q") or "").lower()
    with st.lock:
        found = [
            i
            for i in st.statuspage_incidents.values()
            if i["page_id"] == page
            and (
                not q or q in i["name"].lower() or any(q in u["body"].lower() for u in i["incident_updates"])
            )
        ]
    return Response(
        200, sorted(found, key=lambda i: i["created_at"], reverse=True)[: int(req.query.get("limit") or 100)]
    )


ROUTES: list[Route] = [
    ("GET", r"/v1/pages/(?P<page_id>[^/]+)/incidents", list_incidents),
    ("POST", r"/v1/pages/(?P<page_id>[^/]+)/incidents", create_incident),
    ("PATCH", r"/v1/pages/(?P<page_id>[^/]+)/incidents/(?P<incident_id>[^/]+)", update_incident),
]
