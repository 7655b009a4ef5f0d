"""Handlers of every fake external service, one route table per service.

Shapes, status codes and error envelopes follow /work/shared/reference/external-apis.md (copied from the vendors'
docs and OpenAPI files); where the sandbox invents something (compliance engine, delivery service) the module
says so. Handlers take a parsed ``Request`` and the shared ``ServiceState`` and return a ``Response``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from delivery_window.connections import SANDBOX_WABA_ID, SLACK_SANDBOX_PATH
from delivery_window.sandbox.scenarios import (
    ADVISORS_PER_SEGMENT,
    DEFAULT_SEED,
    ERROR_TITLES,
    IST,
    SEGMENTS,
    SEND_SPAN_MS,
    WINDOW_START,
    cached_summary,
    make_wamid,
    scenario_info,
)
from delivery_window.sandbox.wire import Request, Response

SANDBOX_TOKEN = "sandbox-token"  # the password connections.sandbox_connections gives every http connection
CLOUD_NAME = "projectone"  # cloud_name extra of the Cloudinary sandbox connection
DASHBOARD_UID = "delivery-window"  # dashboard_uid extra of the Grafana sandbox connection
RESTORED_DELIVERY_RATE_PCT = 99.2  # what /delivery/v1/status reports once a requeue was received
_BUSINESS_ID = "1092034882839912"
_APP_ID = "1290550100000000"


@dataclass
class ServiceState:
    """Everything the fake services remember between calls. Guarded by ``lock``."""

    scenario: str = "healthy"
    seed: int = DEFAULT_SEED
    lock: threading.RLock = field(default_factory=threading.RLock)
    info: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    pagerduty_alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requeues: list[dict[str, Any]] = field(default_factory=list)
    paused_numbers: list[str] = field(default_factory=list)
    fallback_activations: list[dict[str, Any]] = field(default_factory=list)
    failovers: list[dict[str, Any]] = field(default_factory=list)
    replans: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.info = scenario_info(self.scenario)

    def next(self, name: str) -> int:
        """Increment and return a named counter (1, 2, ...)."""
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + 1
            return self.counters[name]

    def reset(self) -> None:
        """Forget counters and every action received (the scenario stays)."""
        with self.lock:
            self.counters.clear()
            self.pagerduty_alerts.clear()
            self.requeues.clear()
            self.paused_numbers.clear()
            self.fallback_activations.clear()
            self.failovers.clear()
            self.replans.clear()

    def snapshot(self) -> dict[str, Any]:
        """JSON-able copy of the remembered actions, for tests and the control endpoint."""
        with self.lock:
            return json.loads(
                json.dumps(
                    {
                        "scenario": self.scenario,
                        "pagerduty_alerts": self.pagerduty_alerts,
                        "requeues": self.requeues,
                        "paused_numbers": self.paused_numbers,
                        "fallback_activations": self.fallback_activations,
                        "failovers": self.failovers,
                        "replans": self.replans,
                    }
                )
            )


Handler = Callable[[Request, ServiceState], Response]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_body(req: Request) -> tuple[Any, Response | None]:
    """Parsed JSON body, or an error response in the generic sandbox shape."""
    try:
        return req.json(), None
    except (ValueError, UnicodeDecodeError):
        return None, Response(400, {"error": "invalid_json", "message": "request body is not valid JSON"})


# ============================================================================================================
# WhatsApp Cloud API (Graph)
# ============================================================================================================
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
    return [
        {"entity_type": "WABA", "id": SANDBOX_WABA_ID, "can_send_message": waba["can_send_message"]},
        {"entity_type": "BUSINESS", "id": _BUSINESS_ID, "can_send_message": "AVAILABLE"},
        {"entity_type": "APP", "id": _APP_ID, "can_send_message": "AVAILABLE"},
    ]


def _phone_node(st: ServiceState, n: dict[str, Any]) -> dict[str, Any]:
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


def _waba_node(st: ServiceState) -> dict[str, Any]:
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


def _template_node(st: ServiceState, t: dict[str, Any]) -> dict[str, Any]:
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
_DEFAULT_FIELDS = {
    "phone": (
        "WhatsAppBusinessPhoneNumber",
        ("id", "display_phone_number", "verified_name", "quality_rating"),
    ),
    "waba": ("WhatsAppBusinessAccount", ("id", "name", "timezone_id", "message_template_namespace")),
    "template": ("WhatsAppMessageTemplate", ("id", "name", "status", "category", "language", "components")),
}
# phone_numbers edge: the spec's WhatsAppBusinessAccountPhoneNumber requires status, so it is a default here.
_LIST_PHONE_DEFAULTS = (
    "id",
    "display_phone_number",
    "verified_name",
    "status",
    "quality_rating",
    "code_verification_status",
    "platform_type",
    "throughput",
)
_LIST_TEMPLATE_DEFAULTS = ("id", "name", "status", "category", "language", "components")


def _requested_fields(req: Request) -> list[str] | None:
    raw = req.query.get("fields")
    if not raw:
        return None
    # Graph field expansion (health_status{can_send_message}) is accepted; the whole field is returned.
    raw = re.sub(r"\{[^}]*\}", "", raw)
    return [f.strip() for f in raw.split(",") if f.strip()]


def _project(node: dict[str, Any], fields: list[str] | None, defaults: tuple[str, ...], node_type: str):
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


def _paginate(req: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
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


def _graph_headers(st: ServiceState, version: str) -> dict[str, str]:
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


def whatsapp(req: Request, st: ServiceState) -> Response:
    """Graph API v2x.x: phone-number, WABA and template nodes, the two list edges, and sending."""
    st.next("whatsapp_calls")
    m = re.fullmatch(r"/(v\d+\.\d+)/([^/]+)(?:/([^/]+))?/?", req.subpath)
    if not m:
        return graph_error(400, 100, f"Unknown path components: {req.subpath}")
    version, node_id, edge = m.groups()
    token = req.bearer() or req.query.get("access_token")
    if not token:
        return graph_error(401, 190, "An active access token must be used to query information.", 463)
    if token != SANDBOX_TOKEN:
        return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    resp = _whatsapp_route(req, st, node_id, edge)
    resp.headers.update(_graph_headers(st, version))
    return resp


def _whatsapp_route(req: Request, st: ServiceState, node_id: str, edge: str | None) -> Response:
    numbers = {n["id"]: n for n in st.info["phone_numbers"]}
    templates = {t["id"]: t for t in st.info["templates"]}
    fields = _requested_fields(req)
    unsupported = graph_error(
        400,
        100,
        f"Unsupported {req.method.lower()} request. Object with ID '{node_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        33,
    )
    if req.method == "GET" and edge is None:
        if node_id in numbers:
            node, kind = _phone_node(st, numbers[node_id]), "phone"
        elif node_id == SANDBOX_WABA_ID:
            node, kind = _waba_node(st), "waba"
        elif node_id in templates:
            node, kind = _template_node(st, templates[node_id]), "template"
        else:
            return unsupported
        node_type, defaults = _DEFAULT_FIELDS[kind]
        out, err = _project(node, fields, defaults, node_type)
        return err or Response(200, out)
    if req.method == "GET" and node_id == SANDBOX_WABA_ID and edge == "phone_numbers":
        rows = []
        for n in numbers.values():
            out, err = _project(
                _phone_node(st, n), fields, _LIST_PHONE_DEFAULTS, "WhatsAppBusinessPhoneNumber"
            )
            if err:
                return err
            rows.append(out)
        return Response(200, _paginate(req, rows))
    if req.method == "GET" and node_id == SANDBOX_WABA_ID and edge == "message_templates":
        rows = []
        for t in templates.values():
            if any(req.query.get(k) and req.query[k] != t[k] for k in ("name", "status", "language")):
                continue
            out, err = _project(
                _template_node(st, t), fields, _LIST_TEMPLATE_DEFAULTS, "WhatsAppMessageTemplate"
            )
            if err:
                return err
            rows.append(out)
        return Response(200, _paginate(req, rows))
    if req.method == "POST" and edge == "messages":
        if node_id not in numbers:
            return unsupported
        return _send_message(req, st, numbers[node_id])
    if edge is not None and (node_id in numbers or node_id == SANDBOX_WABA_ID):
        return graph_error(400, 100, f"Unknown path components: /{edge}")
    return unsupported


def _send_message(req: Request, st: ServiceState, number: dict[str, Any]) -> Response:
    """POST /{phone-number-id}/messages (§1.4); in an outage scenario every send fails with the scenario's code."""
    try:
        msg = req.json()
    except (ValueError, UnicodeDecodeError):
        return graph_error(400, 100, "(#100) Invalid JSON for postbody")
    if not isinstance(msg, dict) or msg.get("messaging_product") != "whatsapp":
        return graph_error(400, 100, "(#100) The parameter messaging_product is required.")
    to = str(msg.get("to") or "")
    if not to:
        return graph_error(400, 100, "(#100) The parameter to is required.")
    kind = msg.get("type", "text")
    if kind == "template":
        tpl = msg.get("template") or {}
        name, lang = tpl.get("name"), (tpl.get("language") or {}).get("code")
        if not name or not lang:
            return graph_error(
                400, 100, "(#100) Param template['name'] and template['language']['code'] are required."
            )
        approved = any(
            t["name"] == name and t["language"] == lang and t["status"] == "APPROVED"
            for t in st.info["templates"]
        )
        if not approved:
            return graph_error(
                404,
                132001,
                "(#132001) Template name does not exist in the translation",
                error_data={
                    "messaging_product": "whatsapp",
                    "details": f"template name ({name}) does not exist in {lang}",
                },
            )
    send = st.info["send"]
    if not send["ok"]:
        code = send["error_code"]
        return graph_error(
            send["http_status"],
            code,
            f"(#{code}) {ERROR_TITLES.get(code, 'Something went wrong')}",
            error_data={
                "messaging_product": "whatsapp",
                "details": ERROR_TITLES.get(code, "Something went wrong"),
            },
            is_transient=True,
        )
    wa_id = to.lstrip("+")
    # Deterministic: the n-th send to a recipient from a number always gets the same wamid.
    n = st.next(f"send:{number['id']}:{wa_id}")
    wamid = make_wamid(wa_id, f"sandbox:{number['id']}:{n}")
    return Response(
        200,
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": wa_id}],
            "messages": [{"id": wamid}],
        },
    )


# ============================================================================================================
# Cloudinary, OpenAI
# ============================================================================================================
def cloudinary_ping(req: Request, st: ServiceState) -> Response:
    """GET /v1_1/{cloud}/ping (§5); pings count against the Admin API hourly quota."""
    if req.params["cloud"] != CLOUD_NAME:
        return Response(401, {"error": {"message": f"Invalid cloud_name {req.params['cloud']}"}})
    used = st.next("cloudinary_pings")
    now = datetime.now(UTC)
    reset = (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    headers = {
        "X-FeatureRateLimit-Limit": "500",
        "X-FeatureRateLimit-Remaining": str(max(0, 500 - used)),
        "X-FeatureRateLimit-Reset": reset,
    }
    return Response(200, {"status": "ok"}, headers)


_OPENAI_MODELS = (
    ("gpt-4o", 1715367049, "system"),
    ("gpt-4o-mini", 1721172741, "system"),
    ("text-embedding-3-small", 1705948997, "system"),
    ("omni-moderation-latest", 1731689265, "system"),
)


def _openai_auth(req: Request) -> Response | None:
    if req.bearer():
        return None
    message = "You didn't provide an API key. You need to provide your API key in an Authorization header."
    return Response(
        401,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
    )


def _openai_headers(st: ServiceState) -> dict[str, str]:
    n = st.next("openai_calls")
    return {
        "x-request-id": f"req_sandbox{n:06d}",
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": str(10000 - n),
        "x-ratelimit-reset-requests": "6ms",
    }


def openai_models(req: Request, st: ServiceState) -> Response:
    """GET /v1/models (§5): ``{"object":"list","data":[model...]}``."""
    if err := _openai_auth(req):
        return err
    data = [{"id": i, "object": "model", "created": c, "owned_by": o} for i, c, o in _OPENAI_MODELS]
    return Response(200, {"object": "list", "data": data}, _openai_headers(st))


def openai_model(req: Request, st: ServiceState) -> Response:
    """GET /v1/models/{model}."""
    if err := _openai_auth(req):
        return err
    for i, c, o in _OPENAI_MODELS:
        if i == req.params["model"]:
            return Response(
                200, {"id": i, "object": "model", "created": c, "owned_by": o}, _openai_headers(st)
            )
    message = f"The model '{req.params['model']}' does not exist"
    return Response(
        404,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": "model",
                "code": "model_not_found",
            }
        },
    )


# ============================================================================================================
# Compliance engine (internal service; the sandbox defines its API)
# ============================================================================================================
COMPLIANCE_VERSION = "2.4.1"
SEBI_WARNING = (
    "Investment in securities market are subject to market risks. Read all the related documents carefully "
    "before investing."
)
# A small, deterministic subset of the SEBI advertisement rules (external-apis.md §6).
_RULES: tuple[tuple[str, str, str, Callable[[str], str | None]], ...] = (
    ("R1", "major", "SEBI registration number (INA#########) missing",
     lambda t: None if re.search(r"INA\d{9}", t) else "no INA number"),
    ("R2", "critical", "Standard SEBI warning missing or altered",
     lambda t: None if SEBI_WARNING in t else "warning text not found verbatim"),
    ("R5", "critical", "Assured or risk-free return language",
     lambda t: _first(r"\b(guaranteed|assured|risk[- ]free|sure[- ]shot)\b", t)),
    ("R6", "major", "Superlative claim",
     lambda t: _first(r"\b(best|no\.? ?1|number one|top[- ]rated|leading)\b", t)),
)  # fmt: skip


def _first(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text, re.IGNORECASE)
    return m.group(0) if m else None


def compliance_health(req: Request, st: ServiceState) -> Response:
    """GET /health -> ``{"status":"ok","version":...}``."""
    return Response(200, {"status": "ok", "version": COMPLIANCE_VERSION, "rules_version": "sebi-ia-2025-06"})


def compliance_check(req: Request, st: ServiceState) -> Response:
    """POST /v1/check ``{"content_id","text"}`` -> ``{"content_id","compliant","violations","checked_at"}``."""
    body, err = _json_body(req)
    if err:
        return err
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("content_id"), str)
        or not isinstance(body.get("text"), str)
    ):
        return Response(
            400, {"error": "invalid_request", "message": "content_id and text (strings) are required"}
        )
    violations = []
    for rule, severity, message, test in _RULES:
        found = test(body["text"])
        if found:
            violations.append({"rule": rule, "severity": severity, "message": message, "match": found})
    return Response(
        200,
        {
            "content_id": body["content_id"],
            "compliant": not violations,
            "violations": violations,
            "checked_at": _now(),
        },
    )


# ============================================================================================================
# Datadog, Grafana
# ============================================================================================================
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


# ============================================================================================================
# PagerDuty Events API v2
# ============================================================================================================
# Request schema of POST /v2/enqueue, copied from PagerDuty/api-schema's events-v2 OpenAPI (components inlined,
# descriptions dropped); tests/integration/test_sandbox.py checks it still equals the spec.
PAGERDUTY_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "payload": {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "timestamp": {"type": "string", "format": "date-time"},
                "severity": {"enum": ["critical", "warning", "error", "info"]},
                "source": {"type": "string"},
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
            "required": ["summary", "severity", "source"],
        },
        "routing_key": {"type": "string"},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string"},
        "client": {"type": "string"},
        "client_url": {"type": "string", "format": "url"},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["href"],
                "properties": {"href": {"type": "string", "format": "url"}, "text": {"type": "string"}},
            },
        },
        "images": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["src"],
                "properties": {
                    "src": {"type": "string", "format": "url"},
                    "href": {"type": "string", "format": "url"},
                    "alt": {"type": "string"},
                },
            },
        },
    },
    "required": ["routing_key", "event_action"],
}


def _pd_invalid(errors: list[str]) -> Response:
    return Response(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})


def pagerduty_validate(event: Any) -> list[str]:
    """Why an Events v2 body is invalid (empty list = valid): the spec's schema plus the documented rules."""
    import jsonschema

    if not isinstance(event, dict):
        return ["Event object must be a JSON object"]
    validator = jsonschema.Draft7Validator(PAGERDUTY_EVENT_SCHEMA)
    errors = []
    for e in sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in e.absolute_path)
        errors.append(f"{where}: {e.message}" if where else e.message)
    action = event.get("event_action")
    # The spec leaves these to prose: a trigger needs a payload, acknowledge/resolve need the dedup_key.
    if action == "trigger" and "payload" not in event:
        errors.append("'payload' is a required property for trigger events")
    if action in ("acknowledge", "resolve") and not event.get("dedup_key"):
        errors.append(f"'dedup_key' is required for {action} events")
    if not event.get("routing_key") and "routing_key" in event:
        errors.append("'routing_key' must not be empty")
    summary = (event.get("payload") or {}).get("summary") if isinstance(event.get("payload"), dict) else None
    if isinstance(summary, str) and len(summary) > 1024:
        errors.append("payload.summary: must be at most 1024 characters")
    if isinstance(event.get("dedup_key"), str) and len(event["dedup_key"]) > 255:
        errors.append("dedup_key: must be at most 255 characters")
    return errors


def pagerduty_enqueue(req: Request, st: ServiceState) -> Response:
    """POST /v2/enqueue (§2): 202 with the dedup_key; 400 for invalid events. Alert state is remembered."""
    if len(req.body) > 512 * 1024:
        return _pd_invalid(["Event object exceeds 512 KB"])
    try:
        event = req.json()
    except (ValueError, UnicodeDecodeError):
        return Response(
            400,
            {
                "status": "Unrecognized object",
                "message": "Event object format is unrecognized",
                "errors": ["JSON parse error"],
            },
        )
    errors = pagerduty_validate(event)
    if errors:
        return _pd_invalid(errors)
    action = event["event_action"]
    key = event.get("dedup_key")
    if not key:
        # PagerDuty makes up a key for a trigger without one; derive it so reruns are reproducible.
        key = hashlib.md5(
            f"{json.dumps(event, sort_keys=True)}:{st.next('pd_generated')}".encode()
        ).hexdigest()
    with st.lock:
        alert = st.pagerduty_alerts.get(key)
        if action == "trigger":
            if alert is None or alert["status"] == "resolved":
                # A trigger after resolve opens a new alert under the same key.
                opened = (alert or {}).get("opened", 0) + 1
                alert = st.pagerduty_alerts[key] = {"status": "triggered", "opened": opened, "events": 0}
            payload = event["payload"]
            alert.update(summary=payload["summary"], severity=payload["severity"], source=payload["source"])
            alert["events"] += 1
        elif alert is not None and alert["status"] != "resolved":
            alert["status"] = "acknowledged" if action == "acknowledge" else "resolved"
            alert["events"] += 1
        # acknowledge/resolve of an unknown or resolved alert is accepted and dropped, as PagerDuty does.
    return Response(202, {"status": "success", "message": "Event processed", "dedup_key": key})


# ============================================================================================================
# Slack incoming webhooks
# ============================================================================================================
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


# ============================================================================================================
# Delivery service (internal; the sandbox defines its API; runbooks act on it)
# ============================================================================================================
def _bad(message: str) -> Response:
    return Response(400, {"error": "invalid_request", "message": message})


def _date_arg(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def delivery_queue(req: Request, st: ServiceState) -> Response:
    """GET /v1/queue -> ``{"ready","depth","workers"}``."""
    d = st.info["delivery"]
    return Response(200, {"ready": d["queue_ready"], "depth": d["queue_depth"], "workers": d["workers"]})


def delivery_webhooks_health(req: Request, st: ServiceState) -> Response:
    """GET /v1/webhooks/health -> ``{"status","lag_seconds"}``."""
    return Response(200, {"status": "ok", "lag_seconds": st.info["delivery"]["webhook_lag_seconds"]})


def delivery_requeue(req: Request, st: ServiceState) -> Response:
    """POST /v1/requeue ``{"delivery_date","advisor_ids","exclude_phone_number_ids"}`` -> 202 ``{"job_id","requeued"}``."""
    body, err = _json_body(req)
    if err:
        return err
    if not isinstance(body, dict) or _date_arg(body.get("delivery_date")) is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    ids, exclude = body.get("advisor_ids"), body.get("exclude_phone_number_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return _bad("advisor_ids must be a list of strings")
    if not isinstance(exclude, list) or not all(isinstance(i, str) for i in exclude):
        return _bad("exclude_phone_number_ids must be a list of strings")
    n = st.next("requeue_jobs")
    job = {"job_id": f"rq-{body['delivery_date']}-{n:03d}", "requeued": len(set(ids))}
    with st.lock:
        st.requeues.append(
            job | {"delivery_date": body["delivery_date"], "exclude_phone_number_ids": exclude}
        )
    return Response(202, job)


def delivery_pause_number(req: Request, st: ServiceState) -> Response:
    """POST /v1/numbers/{id}/pause -> ``{"phone_number_id","paused":true}``."""
    pnid = req.params["id"]
    if pnid not in {n["id"] for n in st.info["phone_numbers"]}:
        return Response(404, {"error": "not_found", "message": f"unknown phone_number_id {pnid}"})
    with st.lock:
        if pnid not in st.paused_numbers:
            st.paused_numbers.append(pnid)
    return Response(200, {"phone_number_id": pnid, "paused": True})


def delivery_fallback(req: Request, st: ServiceState) -> Response:
    """POST /v1/fallback/activate ``{"delivery_date"?, "segments"?}`` -> ``{"activated","segments"}``."""
    body, err = _json_body(req) if req.body else ({}, None)
    if err:
        return err
    body = body or {}
    segments = body.get("segments") or list(SEGMENTS)
    if not isinstance(segments, list) or not set(segments) <= set(SEGMENTS):
        return _bad(f"segments must be a subset of {list(SEGMENTS)}")
    with st.lock:
        st.fallback_activations.append({"delivery_date": body.get("delivery_date"), "segments": segments})
    return Response(200, {"activated": True, "segments": segments})


def delivery_failover(req: Request, st: ServiceState) -> Response:
    """POST /v1/database/failover -> ``{"status":"completed","primary",...}``."""
    n = st.next("failovers")
    result = {"status": "completed", "failover_id": f"fo-{n:03d}", "primary": f"delivery-db-replica-{n}"}
    with st.lock:
        st.failovers.append(result)
    return Response(200, result)


def delivery_status(req: Request, st: ServiceState) -> Response:
    """GET /v1/status?delivery_date= -> the day's delivery rate (99.2% once a requeue for the date arrived)."""
    d = _date_arg(req.query.get("delivery_date"))
    if d is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    summary = cached_summary(st.scenario, d, st.seed)
    with st.lock:
        jobs = [j for j in st.requeues if j["delivery_date"] == d.isoformat()]
    targeted = summary["advisors_targeted"]
    if jobs:
        rate, delivered, source = (
            RESTORED_DELIVERY_RATE_PCT,
            round(targeted * RESTORED_DELIVERY_RATE_PCT / 100),
            "requeue",
        )
    else:
        rate, delivered, source = summary["sla_pct"], summary["advisors_delivered"], "scenario"
    return Response(
        200,
        {
            "delivery_date": d.isoformat(),
            "delivery_rate_pct": rate,
            "advisors_targeted": targeted,
            "advisors_delivered": delivered,
            "requeue_jobs": len(jobs),
            "source": source,
        },
    )


# ============================================================================================================
# Pre-delivery reads (05:30/05:45 checks): delivery-service plan/pool/retry/fallback, Cloudinary assets,
# PagerDuty REST. A scenario changes what they report through optional keys of its info (see
# scenario_sets/pre_delivery.py): db_pool, plan, retry_policy, fallback, cloudinary, pagerduty.
# ============================================================================================================
HEALTHY_POOL = {"pool": "delivery-db-primary", "size": 100, "in_use": 12, "idle": 88, "waiting": 0}
RETRY_POLICY = {
    "max_attempts": 2,
    "backoff_seconds": {"min": 20, "max": 40},
    "jitter": True,
    # Meta's transient and throughput codes are retried; recipient, policy, template and account errors never.
    "retry_on": [1, 2, 4, 80007, 130429, 131000, 131016, 131056],
    "never_retry": [
        190,
        368,
        131026,
        131031,
        131042,
        131047,
        131048,
        131049,
        131050,
        132000,
        132001,
        132015,
        132016,
    ],
}


def delivery_database_pool(req: Request, st: ServiceState) -> Response:
    """GET /v1/database/pool -> the service's connection pool; healthy again on the replica after a failover."""
    with st.lock:
        failed_over = list(st.failovers)
    if failed_over:
        pool = HEALTHY_POOL | {"pool": failed_over[-1]["primary"], "in_use": 6, "idle": 94}
    else:
        pool = HEALTHY_POOL | dict(st.info.get("db_pool") or {})
    return Response(200, pool | {"checked_at": _now()})


def _excluded_numbers(st: ServiceState, day: str) -> list[str]:
    with st.lock:
        replanned = [
            n for r in st.replans if r["delivery_date"] == day for n in r["exclude_phone_number_ids"]
        ]
        return sorted(set(st.paused_numbers) | set(replanned))


def _plan(st: ServiceState, day: date) -> dict[str, Any]:
    """The traffic plan: advisors spread round-robin over the usable numbers, segments one after another."""
    over = dict(st.info.get("plan") or {})
    numbers = [n["id"] for n in st.info["phone_numbers"]]
    excluded = _excluded_numbers(st, day.isoformat())
    usable = [n for n in numbers if n not in excluded]
    total = len(SEGMENTS) * ADVISORS_PER_SEGMENT - int(over.get("unplanned_advisors", 0))
    share = {n: total // len(usable) + (1 if i < total % len(usable) else 0) for i, n in enumerate(usable)}
    start = datetime.combine(day, WINDOW_START, IST)
    span_ms = SEND_SPAN_MS // len(SEGMENTS)
    jitter_ms = int(over.get("jitter_ms", SEND_SPAN_MS // (len(SEGMENTS) * ADVISORS_PER_SEGMENT)))
    segments = [
        {
            "segment": s,
            "advisors": ADVISORS_PER_SEGMENT,
            "window_start": (start + timedelta(milliseconds=i * span_ms)).isoformat(),
            "window_end": (start + timedelta(milliseconds=(i + 1) * span_ms)).isoformat(),
            "jitter_ms": jitter_ms,
        }
        for i, s in enumerate(SEGMENTS)
        if s not in over.get("missing_segments", [])
    ]
    return {
        "delivery_date": day.isoformat(),
        "computed_at": None if over.get("not_computed") else f"{day.isoformat()}T05:20:00+05:30",
        "advisors_planned": sum(share.values()),
        "segments": segments,
        "numbers": [
            {"phone_number_id": n, "advisors": share.get(n, 0), "excluded": n in excluded} for n in numbers
        ],
    }


def delivery_plan(req: Request, st: ServiceState) -> Response:
    """GET /v1/plan?delivery_date= -> segments with jitter windows, advisors per sender number."""
    d = _date_arg(req.query.get("delivery_date"))
    if d is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    if not any(n["id"] not in _excluded_numbers(st, d.isoformat()) for n in st.info["phone_numbers"]):
        return Response(409, {"error": "no_usable_number", "message": "every sender number is excluded"})
    return Response(200, _plan(st, d))


def delivery_replan(req: Request, st: ServiceState) -> Response:
    """POST /v1/plan/replan ``{"delivery_date","exclude_phone_number_ids"}`` -> the new plan."""
    body, err = _json_body(req)
    if err:
        return err
    d = _date_arg((body or {}).get("delivery_date")) if isinstance(body, dict) else None
    exclude = body.get("exclude_phone_number_ids") if isinstance(body, dict) else None
    if d is None or not isinstance(exclude, list) or not all(isinstance(i, str) for i in exclude):
        return _bad("delivery_date and exclude_phone_number_ids (list of strings) are required")
    known = {n["id"] for n in st.info["phone_numbers"]}
    if unknown := sorted(set(exclude) - known):
        return Response(
            404, {"error": "not_found", "message": f"unknown phone_number_id {', '.join(unknown)}"}
        )
    if not known - set(exclude) - set(_excluded_numbers(st, d.isoformat())):
        return Response(409, {"error": "no_usable_number", "message": "cannot exclude every sender number"})
    with st.lock:
        st.replans.append({"delivery_date": d.isoformat(), "exclude_phone_number_ids": exclude})
    return Response(200, _plan(st, d))


def delivery_retry_policy(req: Request, st: ServiceState) -> Response:
    """GET /v1/retry-policy -> attempts, backoff and the error codes the sender retries or never retries."""
    return Response(200, RETRY_POLICY | dict(st.info.get("retry_policy") or {}))


def delivery_fallback_status(req: Request, st: ServiceState) -> Response:
    """GET /v1/fallback?delivery_date= -> segments armed with fallback content and segments switched to it."""
    d = _date_arg(req.query.get("delivery_date"))
    if d is None:
        return _bad("delivery_date (YYYY-MM-DD) is required")
    over = dict(st.info.get("fallback") or {})
    armed = [s for s in SEGMENTS if s not in over.get("unarmed_segments", [])]
    with st.lock:
        active = sorted(
            {s for a in st.fallback_activations if a["delivery_date"] == d.isoformat() for s in a["segments"]}
        )
    return Response(200, {"delivery_date": d.isoformat(), "armed_segments": armed, "active_segments": active})


_ASSET_KINDS = ("brief", "chart", "quote")


def cloudinary_resources(req: Request, st: ServiceState) -> Response:
    """GET /v1_1/{cloud}/resources/image/upload?prefix= -> the day's rendered images (Admin API shape)."""
    if req.params["cloud"] != CLOUD_NAME:
        return Response(401, {"error": {"message": f"Invalid cloud_name {req.params['cloud']}"}})
    st.next("cloudinary_pings")  # Admin API calls share the hourly quota
    prefix = str(req.query.get("prefix", ""))
    m = re.fullmatch(r"daily/(\d{4}-\d{2}-\d{2})/?", prefix)
    missing = set((st.info.get("cloudinary") or {}).get("missing_assets", []))
    resources = []
    if m:
        for s in SEGMENTS:
            for kind in _ASSET_KINDS:
                name = f"s{s}-{kind}"
                if name in missing:
                    continue
                public_id = f"daily/{m.group(1)}/{name}"
                url = f"res.cloudinary.com/{CLOUD_NAME}/image/upload/v1/{public_id}.png"
                resources.append(
                    {
                        "asset_id": hashlib.md5(public_id.encode()).hexdigest(),
                        "public_id": public_id,
                        "format": "png",
                        "version": 1,
                        "resource_type": "image",
                        "type": "upload",
                        "created_at": f"{m.group(1)}T23:40:00Z",
                        "bytes": 48_213,
                        "width": 1080,
                        "height": 1080,
                        "url": f"http://{url}",
                        "secure_url": f"https://{url}",
                    }
                )
    return Response(200, {"resources": resources})


# --- PagerDuty REST API v2 (api.pagerduty.com): escalation policy, service, on-call, contact methods ----------
PD_POLICY_ID, PD_SERVICE_ID = "PDWE001", "PSVC001"
# (id, name, escalation level, phone of the phone contact method); EM and CTO phones are the protocol's.
PD_ONCALL = (
    ("PU1PRIM", "Asha Rao", 1, "9810000001"),
    ("PU2SECD", "Vikram Shah", 2, "9810000002"),
    ("PU3ENGM", "Neha Iyer", 3, "9876543211"),
    ("PU4CTO0", "Rahul Mehta", 4, "9876543210"),
)
PD_RULE_DELAYS = (15, 15, 30, 30)  # minutes before the next rule: levels engage at 0, 15, 30 and 60 minutes


def _pd_error(status: int, code: int, message: str) -> Response:
    return Response(status, {"error": {"message": message, "code": code}})


def _pd_auth(req: Request) -> Response | None:
    auth = req.headers.get("authorization", "")
    if not auth.startswith("Token token=") or not auth.removeprefix("Token token=").strip():
        return _pd_error(401, 2006, "Unauthorized")
    return None


def _pd_user_ref(uid: str, name: str) -> dict[str, Any]:
    return {
        "id": uid,
        "type": "user_reference",
        "summary": name,
        "self": f"https://api.pagerduty.com/users/{uid}",
    }


def _pd_policy(st: ServiceState) -> dict[str, Any]:
    over = dict(st.info.get("pagerduty") or {})
    delays = over.get("rule_delays", PD_RULE_DELAYS)
    rules = []
    for (uid, name, level, _), delay in zip(PD_ONCALL, delays, strict=False):
        target = (
            {"id": f"PSCH{level:03d}", "type": "schedule_reference", "summary": f"delivery-window L{level}"}
            if level <= 2
            else _pd_user_ref(uid, name)
        )
        rules.append({"id": f"PER{level:04d}", "escalation_delay_in_minutes": delay, "targets": [target]})
    return {
        "id": PD_POLICY_ID,
        "type": "escalation_policy",
        "name": over.get("policy_name", "delivery_window_escalation"),
        "num_loops": 0,
        "escalation_rules": rules,
        "services": [{"id": PD_SERVICE_ID, "type": "service_reference", "summary": "project-one-delivery"}],
    }


def _pd_page(req: Request, key: str, items: list[dict[str, Any]]) -> Response:
    return Response(200, {key: items, "limit": 100, "offset": 0, "more": False, "total": None})


def pagerduty_escalation_policies(req: Request, st: ServiceState) -> Response:
    """GET /escalation_policies?query= -> policies whose name contains the query."""
    if err := _pd_auth(req):
        return err
    policy = _pd_policy(st)
    q = str(req.query.get("query", "")).lower()
    return _pd_page(req, "escalation_policies", [policy] if q in policy["name"].lower() else [])


def pagerduty_services(req: Request, st: ServiceState) -> Response:
    """GET /services?query= -> the delivery service and its escalation policy."""
    if err := _pd_auth(req):
        return err
    over = dict(st.info.get("pagerduty") or {})
    service = {
        "id": PD_SERVICE_ID,
        "type": "service",
        "name": "project-one-delivery",
        "status": over.get("service_status", "active"),
        "escalation_policy": {"id": PD_POLICY_ID, "type": "escalation_policy_reference"},
    }
    q = str(req.query.get("query", "")).lower()
    return _pd_page(req, "services", [service] if q in service["name"] else [])


def pagerduty_oncalls(req: Request, st: ServiceState) -> Response:
    """GET /oncalls?escalation_policy_ids[]=&since=&until= -> one entry per level covering the range."""
    if err := _pd_auth(req):
        return err
    try:
        since = datetime.fromisoformat(str(req.query["since"]))
        until = datetime.fromisoformat(str(req.query["until"]))
    except (KeyError, ValueError):
        return _pd_error(400, 2001, "Invalid Input Provided (since and until must be ISO 8601 times)")
    ids = req.query.get("escalation_policy_ids[]", [])
    if PD_POLICY_ID not in ([ids] if isinstance(ids, str) else ids):
        return _pd_page(req, "oncalls", [])
    over = dict(st.info.get("pagerduty") or {})
    missing = set(over.get("missing_levels", []))
    late = int(over.get("late_minutes", 0))  # a shift that starts this many minutes after `since`
    oncalls = []
    for uid, name, level, _ in PD_ONCALL:
        if level in missing:
            continue
        scheduled = level <= 2  # levels 3-4 are users on the policy: always on call (start/end null)
        oncalls.append(
            {
                "escalation_policy": {"id": PD_POLICY_ID, "type": "escalation_policy_reference"},
                "escalation_level": level,
                "schedule": {"id": f"PSCH{level:03d}", "type": "schedule_reference"} if scheduled else None,
                "user": _pd_user_ref(uid, name),
                "start": (
                    since - timedelta(hours=12) + timedelta(minutes=late if level == 1 else 0)
                ).isoformat()
                if scheduled
                else None,
                "end": (until + timedelta(hours=12)).isoformat() if scheduled else None,
            }
        )
    return _pd_page(req, "oncalls", oncalls)


def pagerduty_contact_methods(req: Request, st: ServiceState) -> Response:
    """GET /users/{id}/contact_methods -> phone, SMS and email contact methods."""
    if err := _pd_auth(req):
        return err
    phones = dict((st.info.get("pagerduty") or {}).get("phones", {}))
    for uid, name, _, phone in PD_ONCALL:
        if uid == req.params["id"]:
            number = phones.get(uid, phone)
            email = name.lower().replace(" ", ".") + "@projectone.ai"
            methods = [{"id": f"PC{uid}E", "type": "email_contact_method", "label": "Work", "address": email}]
            if number:
                methods += [
                    {
                        "id": f"PC{uid}P",
                        "type": "phone_contact_method",
                        "label": "Mobile",
                        "address": number,
                        "country_code": 91,
                    },
                    {
                        "id": f"PC{uid}S",
                        "type": "sms_contact_method",
                        "label": "Mobile",
                        "address": number,
                        "country_code": 91,
                    },
                ]
            return Response(200, {"contact_methods": methods})
    return _pd_error(404, 2100, "Not Found")


# ============================================================================================================
# Route table: service -> [(method, path regex after the service prefix, handler)]
# ============================================================================================================
ROUTES: dict[str, list[tuple[str, str, Handler]]] = {
    "whatsapp": [("GET", r"/.*", whatsapp), ("POST", r"/.*", whatsapp), ("DELETE", r"/.*", whatsapp)],
    "cloudinary": [
        ("GET", r"/v1_1/(?P<cloud>[^/]+)/ping", cloudinary_ping),
        ("GET", r"/v1_1/(?P<cloud>[^/]+)/resources/image/upload", cloudinary_resources),
    ],
    "openai": [("GET", r"/v1/models", openai_models), ("GET", r"/v1/models/(?P<model>[^/]+)", openai_model)],
    "compliance": [("GET", r"/health", compliance_health), ("POST", r"/v1/check", compliance_check)],
    "datadog": [
        ("POST", r"/api/v2/series", datadog_series),
        ("GET", r"/api/v1/validate", datadog_validate),
        ("GET", r"/api/v1/monitor", datadog_monitors),
        ("GET", r"/api/v1/monitor/(?P<id>\d+)", datadog_monitor),
    ],
    "grafana": [
        ("GET", r"/api/health", grafana_health),
        ("GET", r"/api/dashboards/uid/(?P<uid>[^/]+)", grafana_dashboard),
    ],
    "pagerduty": [("POST", r"/v2/enqueue", pagerduty_enqueue)],
    "pagerduty_api": [
        ("GET", r"/escalation_policies", pagerduty_escalation_policies),
        ("GET", r"/services", pagerduty_services),
        ("GET", r"/oncalls", pagerduty_oncalls),
        ("GET", r"/users/(?P<id>[^/]+)/contact_methods", pagerduty_contact_methods),
    ],
    "slack": [("POST", r"/services/.+", slack_webhook)],
    "delivery": [
        ("GET", r"/v1/queue", delivery_queue),
        ("GET", r"/v1/webhooks/health", delivery_webhooks_health),
        ("POST", r"/v1/requeue", delivery_requeue),
        ("POST", r"/v1/numbers/(?P<id>[^/]+)/pause", delivery_pause_number),
        ("POST", r"/v1/fallback/activate", delivery_fallback),
        ("POST", r"/v1/database/failover", delivery_failover),
        ("GET", r"/v1/status", delivery_status),
        ("GET", r"/v1/database/pool", delivery_database_pool),
        ("GET", r"/v1/plan", delivery_plan),
        ("POST", r"/v1/plan/replan", delivery_replan),
        ("GET", r"/v1/retry-policy", delivery_retry_policy),
        ("GET", r"/v1/fallback", delivery_fallback_status),
    ],
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


# The delivery service's status-page and advisor-notification endpoints live beside the escalation scenarios;
# every sandbox serves them (the demo's escalations must not 404).
from delivery_window.sandbox.scenario_sets.escalation import install_routes  # noqa: E402

install_routes()
