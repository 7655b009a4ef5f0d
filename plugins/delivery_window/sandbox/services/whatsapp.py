"""Fake WhatsApp Cloud API (Graph v2x.x): node reads, the phone_numbers and message_templates edges, sending.

A scenario's ``info`` decides the numbers, templates, quality ratings and whether sends fail (and with which
Meta error code); given the platform database, the numbers and templates are the day's, in the scenario's state
(``platform_day``). The n-th send to a recipient from a number always gets the same wamid.
"""

from __future__ import annotations

import re
from typing import Any

from delivery_window.connections import SANDBOX_WABA_ID
from delivery_window.sandbox.scenarios import ERROR_TITLES, make_wamid
from delivery_window.sandbox.services import platform_day
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState
from delivery_window.sandbox.services.whatsapp_graph import (
    DEFAULT_FIELDS,
    LIST_PHONE_DEFAULTS,
    LIST_TEMPLATE_DEFAULTS,
    graph_error,
    graph_headers,
    paginate,
    phone_node,
    project,
    requested_fields,
    template_node,
    waba_node,
)

SANDBOX_TOKEN = "sandbox-token"  # the password connections.sandbox_connections gives every http connection


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
    resp.headers.update(graph_headers(st, version))
    return resp


def _whatsapp_route(req: Request, st: ServiceState, node_id: str, edge: str | None) -> Response:
    day = platform_day.read(st)
    numbers = {n["id"]: n for n in platform_day.phone_numbers(st, day)}
    templates = {t["id"]: t for t in platform_day.templates(st, day)}
    fields = requested_fields(req)
    unsupported = graph_error(
        400,
        100,
        f"Unsupported {req.method.lower()} request. Object with ID '{node_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        33,
    )
    if req.method == "GET" and edge is None:
        if node_id in numbers:
            node, kind = phone_node(st, numbers[node_id]), "phone"
        elif node_id == SANDBOX_WABA_ID:
            node, kind = waba_node(st), "waba"
        elif node_id in templates:
            node, kind = template_node(st, templates[node_id]), "template"
        else:
            return unsupported
        node_type, defaults = DEFAULT_FIELDS[kind]
        out, err = project(node, fields, defaults, node_type)
        return err or Response(200, out)
    if req.method == "GET" and node_id == SANDBOX_WABA_ID and edge == "phone_numbers":
        rows = []
        for n in numbers.values():
            out, err = project(phone_node(st, n), fields, LIST_PHONE_DEFAULTS, "WhatsAppBusinessPhoneNumber")
            if err:
                return err
            rows.append(out)
        return Response(200, paginate(req, rows))
    if req.method == "GET" and node_id == SANDBOX_WABA_ID and edge == "message_templates":
        rows = []
        for t in templates.values():
            if any(req.query.get(k) and req.query[k] != t[k] for k in ("name", "status", "language")):
                continue
            out, err = project(
                template_node(st, t), fields, LIST_TEMPLATE_DEFAULTS, "WhatsAppMessageTemplate"
            )
            if err:
                return err
            rows.append(out)
        return Response(200, paginate(req, rows))
    if req.method == "POST" and edge == "messages":
        if node_id not in numbers:
            return unsupported
        return _send_message(req, st, numbers[node_id], list(templates.values()))
    if edge is not None and (node_id in numbers or node_id == SANDBOX_WABA_ID):
        return graph_error(400, 100, f"Unknown path components: /{edge}")
    return unsupported


def _send_message(
    req: Request, st: ServiceState, number: dict[str, Any], templates: list[dict[str, Any]]
) -> Response:
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
            t["name"] == name and t["language"] == lang and t["status"] == "APPROVED" for t in templates
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


ROUTES: list[Route] = [("GET", r"/.*", whatsapp), ("POST", r"/.*", whatsapp), ("DELETE", r"/.*", whatsapp)]
