"""Graph API building blocks of the fake WhatsApp Cloud API: error envelope, node shapes, fields, paging.

Shapes follow /work/shared/reference/external-apis.md §1 (phone-number, WABA and template nodes with their
``health_status``; ``fields`` projection; cursor paging; the usage headers Graph sends with every answer).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from urllib.parse import urlencode

from delivery_window.connections import SANDBOX_WABA_ID
from delivery_window.sandbox.services.common import Request, Response, ServiceState

_BUSINESS_ID = "1092034882839912"
_APP_ID = "1290550100000000"


def graph_error(status: int, code: int, message: str, subcode: int | None = None, **extra: Any) -> Response:
    """Graph API error envelope (external-apis.md §1.1/§1.7)."""
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(extra)
    err["fbtrace_id"] = "A" + hashlib.sha1(message.encode()).hexdigest()[:22]
    return Response(status, {"error": err})


def _worst(values: list[str]) -> str:
    order = ("AVAILABLE", "LIMITED", "BLOCKED")
    return max(values, key=order.index)


def _health(entities: list[dict[str, Any]]) -> dict[str, Any]:
    """health_status shape of §1.2: the overall value is the worst entity's."""
    return {"can_send_message": _worst([e["can_send_message"] for e in entities]), "entities": entities}


def _base_entities(st: ServiceState) -> list[dict[str, Any]]:
    waba = st.info["waba"]
    entity: dict[str, Any] = {
        "entity_type": "WABA",
        "id": SANDBOX_WABA_ID,
        "can_send_message": waba["can_send_message"],
    }
    if waba.get("errors"):  # why it cannot send (§1.2: error_code, error_description, possible_solution)
        entity["errors"] = waba["errors"]
    return [
        entity,
        {"entity_type": "BUSINESS", "id": _BUSINESS_ID, "can_send_message": "AVAILABLE"},
        {"entity_type": "APP", "id": _APP_ID, "can_send_message": "AVAILABLE"},
    ]


def phone_node(st: ServiceState, n: dict[str, Any]) -> dict[str, Any]:
    node = {k: v for k, v in n.items() if k not in ("shard", "can_send_message")}
    node.update(
        platform_type="CLOUD_API",
        account_mode="LIVE",
        is_official_business_account=False,
        is_pin_enabled=True,
        last_onboarded_time="2024-03-11T09:12:44+0000",
        health_status=_health(
            [{"entity_type": "PHONE_NUMBER", "id": n["id"], "can_send_message": n["can_send_message"]}]
            + _base_entities(st)
        ),
    )
    return node


def waba_node(st: ServiceState) -> dict[str, Any]:
    return {
        "id": SANDBOX_WABA_ID,
        "name": st.info["waba"]["name"],
        "currency": "INR",
        "timezone_id": "71",  # Asia/Kolkata in Meta's timezone list
        "message_template_namespace": "c0ffee00_5a4d_4b0b_9d1e_5a4db0x00001",
        "account_review_status": "APPROVED",
        "business_verification_status": "verified",
        "health_status": _health(_base_entities(st)),
    }


def template_node(st: ServiceState, t: dict[str, Any]) -> dict[str, Any]:
    can_send = "AVAILABLE" if t["status"] == "APPROVED" else "BLOCKED"
    body = (
        "Good morning {{1}}! Your daily market brief is ready. Investment in securities market are subject to "
        "market risks. Read all the related documents carefully before investing."
    )
    return {
        "id": t["id"],
        "name": t["name"],
        "language": t["language"],
        "status": t["status"],
        "category": t["category"],
        "quality_score": t["quality_score"],
        "components": [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": body, "example": {"body_text": [["Ravi"]]}},
            {"type": "FOOTER", "text": "ProjectOne - SEBI RIA INA000012345"},
        ],
        "health_status": _health(
            [{"entity_type": "TEMPLATE", "id": t["id"], "can_send_message": can_send}] + _base_entities(st)
        ),
    }


# node type -> (Graph node type name, default fields); "id" is always returned, as Graph does.
DEFAULT_FIELDS = {
    "phone": (
        "WhatsAppBusinessPhoneNumber",
        ("id", "display_phone_number", "verified_name", "quality_rating"),
    ),
    "waba": ("WhatsAppBusinessAccount", ("id", "name", "timezone_id", "message_template_namespace")),
    "template": ("WhatsAppMessageTemplate", ("id", "name", "status", "category", "language", "components")),
}
# phone_numbers edge: the spec's WhatsAppBusinessAccountPhoneNumber requires status, so it is a default here.
LIST_PHONE_DEFAULTS = (
    "id",
    "display_phone_number",
    "verified_name",
    "status",
    "quality_rating",
    "code_verification_status",
    "platform_type",
    "throughput",
)
LIST_TEMPLATE_DEFAULTS = ("id", "name", "status", "category", "language", "components")


def requested_fields(req: Request) -> list[str] | None:
    raw = req.query.get("fields")
    if not raw:
        return None
    # Graph field expansion (health_status{can_send_message}) is accepted; the whole field is returned.
    raw = re.sub(r"\{[^}]*\}", "", raw)
    return [f.strip() for f in raw.split(",") if f.strip()]


def project(node: dict[str, Any], fields: list[str] | None, defaults: tuple[str, ...], node_type: str):
    """Keep the requested (or default) fields plus id; unknown field -> Graph error 100."""
    wanted = fields if fields is not None else list(defaults)
    for f in wanted:
        if f not in node:
            return None, graph_error(
                400, 100, f"(#100) Tried accessing nonexisting field ({f}) on node type ({node_type})"
            )
    out = {f: node[f] for f in wanted}
    out.setdefault("id", node["id"])
    return out, None


def paginate(req: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Graph cursor paging: limit (default 25) and after/before cursors over a fixed list."""
    try:
        limit = max(1, min(1000, int(req.query.get("limit", 25))))
    except ValueError:
        limit = 25

    def cursor(i: int) -> str:
        return base64.b64encode(str(i).encode()).decode()

    start = 0
    if req.query.get("after"):
        try:
            start = int(base64.b64decode(req.query["after"]).decode()) + 1
        except ValueError:
            start = 0
    page = items[start : start + limit]
    out: dict[str, Any] = {"data": page}
    if page:
        out["paging"] = {"cursors": {"before": cursor(start), "after": cursor(start + len(page) - 1)}}
        if start + len(page) < len(items):
            q = {k: v for k, v in req.query.items() if k != "after"} | {
                "after": cursor(start + len(page) - 1)
            }
            out["paging"]["next"] = f"http://{req.host}{req.path}?{urlencode(q)}"
    else:
        out["paging"] = {"cursors": {}}
    return out


def graph_headers(st: ServiceState, version: str) -> dict[str, str]:
    calls = st.counters.get("whatsapp_calls", 0)
    usage = {
        SANDBOX_WABA_ID: [
            {
                "type": "whatsapp",
                "call_count": min(100, calls // 100),
                "total_cputime": 1,
                "total_time": 1,
                "estimated_time_to_regain_access": 0,
            }
        ]
    }
    return {
        "x-business-use-case-usage": json.dumps(usage, separators=(",", ":")),
        "facebook-api-version": version,
        "x-fb-request-id": f"Asandbox{calls:08d}",
    }
