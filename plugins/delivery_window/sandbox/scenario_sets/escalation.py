"""Escalation scenarios (issue 5), and the delivery service's two communication endpoints in the sandbox.

================ ===================================================================================================
scenario         what happens
================ ===================================================================================================
quality_drop     sender number 1065550102's quality rating drops to RED before 05:45 (data stays healthy):
                 whatsapp_quality_recovery runs; the business matrix tells the head of operations at once and
                 the CTO and head of marketing within 2 h
sla_88           WhatsApp fails every send from 06:04:13 IST (code 131000): 88.x % of advisors delivered, pages
                 fire; and sender number 1065550104 went RED before 05:45. Two runbooks apply and run one after
                 the other: delivery_failure (re-queue), then whatsapp_quality_recovery. The SLA row escalates
                 the CTO (and the engineering manager) at once, the CEO within 30 min, the board and the head of
                 product within 1 h
slack_down       the whatsapp_outage day with every Slack webhook answering 503: PagerDuty still pages, every
                 Slack step stays pending and is sent by the next follow-up once Slack is back
================ ===================================================================================================

The delivery service publishes the status pages and notifies advisors; its sandbox routes
(``POST /delivery/v1/status-page/updates`` and ``POST /delivery/v1/advisor-notifications``) are defined here as
``DELIVERY_ROUTES``, which ``sandbox.services`` (the one place that assembles the route table) adds to the delivery
service of every sandbox. This module imports nothing of ``sandbox.services``.
"""

from __future__ import annotations

import copy
import random
from datetime import date
from typing import Any

from delivery_window.sandbox.scenarios import (
    OUTAGE_START_OFFSET_MS,
    REGISTRY,
    SENDER_NUMBERS,
    AdvisorRow,
    Scenario,
    cached_summary,
    register,
)
from delivery_window.sandbox.wire import Response

QUALITY_DROP_NUMBER = SENDER_NUMBERS[2].phone_number_id
SLA88_RED_NUMBER = SENDER_NUMBERS[4].phone_number_id
SLA88_OUTAGE_OFFSET_MS = 253_000  # 06:04:13 IST: the last ~12 % of first attempts (and late retries) fail
assert SLA88_OUTAGE_OFFSET_MS > OUTAGE_START_OFFSET_MS


def _quality_drop_api(info: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(info)
    for n in out["phone_numbers"]:
        if n["id"] == QUALITY_DROP_NUMBER:
            n["quality_rating"] = "RED"
    return out


def _sla88_degrade(
    advisor: AdvisorRow, offset_ms: int, rng: random.Random
) -> tuple[str, int | None, int] | None:
    if offset_ms < SLA88_OUTAGE_OFFSET_MS:
        return None
    return "failed", 131000, rng.randint(5000, 10_000)


def _sla88_api(info: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(info)
    for n in out["phone_numbers"]:
        if n["id"] == SLA88_RED_NUMBER:
            n["quality_rating"] = "RED"
    return {**out, "send": {"ok": False, "error_code": 131000, "http_status": 500}}


def _slack_down_api(info: dict[str, Any]) -> dict[str, Any]:
    outage = REGISTRY["whatsapp_outage"].api
    out = outage(info) if outage else dict(info)
    return {**out, "faults": {**out.get("faults", {}), "slack": "http_503"}}


register(
    Scenario(
        "quality_drop",
        f"Sender number {QUALITY_DROP_NUMBER} drops to quality RED before 05:45; delivery itself stays healthy.",
        api=_quality_drop_api,
    )
)
register(
    Scenario(
        "sla_88",
        "WhatsApp fails every send from 06:04:13 IST (code 131000): about 88% of advisors delivered; sender "
        f"number {SLA88_RED_NUMBER} went RED before 05:45.",
        degrade=_sla88_degrade,
        api=_sla88_api,
    )
)
register(
    Scenario(
        "slack_down",
        "The whatsapp_outage day, and every Slack incoming webhook answers 503 service_unavailable.",
        degrade=REGISTRY["whatsapp_outage"].degrade,
        api=_slack_down_api,
    )
)


# --- the delivery service's communication endpoints ---------------------------------------------------------
STATUS_PAGES = ("status.internal.projectone.ai", "status.projectone.ai")
ADVISOR_METHODS = ("in_app_notification", "email", "proactive_email")


def status_page_update(req, st):
    """POST /v1/status-page/updates ``{"page","state","incident_id","title","message",...}`` -> 202."""
    try:
        body = req.json()
    except ValueError:
        return Response(400, {"error": "invalid_json", "message": "request body is not valid JSON"})
    if not isinstance(body, dict) or body.get("page") not in STATUS_PAGES:
        return Response(
            400, {"error": "invalid_request", "message": f"page must be one of {list(STATUS_PAGES)}"}
        )
    if body.get("state") not in ("degraded", "resolved") or not body.get("incident_id"):
        return Response(
            400, {"error": "invalid_request", "message": "state degraded|resolved and incident_id"}
        )
    n = st.next("status_page_updates")
    return Response(202, {"update_id": f"sp-{n:04d}", "page": body["page"], "state": body["state"]})


def advisor_notification(req, st):
    """POST /v1/advisor-notifications ``{"delivery_date","methods","message","text","eta"?...}`` -> 202."""
    try:
        body = req.json()
    except ValueError:
        return Response(400, {"error": "invalid_json", "message": "request body is not valid JSON"})
    methods = body.get("methods") if isinstance(body, dict) else None
    if not isinstance(methods, list) or not methods or not set(methods) <= set(ADVISOR_METHODS):
        return Response(
            400, {"error": "invalid_request", "message": f"methods must be a subset of {ADVISOR_METHODS}"}
        )
    try:
        day = date.fromisoformat(str(body.get("delivery_date")))
    except ValueError:
        return Response(
            400, {"error": "invalid_request", "message": "delivery_date (YYYY-MM-DD) is required"}
        )
    summary = cached_summary(st.scenario, day, st.seed)
    n = st.next("advisor_notifications")
    recipients = summary["advisors_targeted"] - summary["advisors_delivered"]
    return Response(202, {"notification_id": f"an-{n:04d}", "recipients": recipients, "methods": methods})


DELIVERY_ROUTES = [
    ("POST", r"/v1/status-page/updates", status_page_update),
    ("POST", r"/v1/advisor-notifications", advisor_notification),
]
