"""Fake PagerDuty REST API v2 (api.pagerduty.com): escalation policy, service, on-call, contact methods, and the
incidents the Events API opened (status, acknowledgements, log entries).

Read by the 05:30/05:45 checks; a scenario changes what it reports through ``info["pagerduty"]`` (see
scenario_sets/pre_delivery.py): policy name, rule delays, service status, missing levels, late shifts, phones.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

PD_POLICY_ID, PD_SERVICE_ID = "PDWE001", "PSVC001"
# (id, name, escalation level, phone of the phone contact method); EM and CTO phones are the protocol's.
PD_ONCALL = (
    ("PU1PRIM", "Asha Rao", 1, "9810000001"),
    ("PU2SECD", "Vikram Shah", 2, "9810000002"),
    ("PU3ENGM", "Neha Iyer", 3, "9876543211"),
    ("PU4CTO0", "Rahul Mehta", 4, "9876543210"),
)
DEFAULT_ACK_AFTER_SECONDS = 0.0  # the primary acknowledges at once unless a scenario says otherwise
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


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _incident(key: str, alert: dict[str, Any], ack_after: float | None) -> dict[str, Any]:
    """A PagerDuty incident (REST v2 shape) of an Events-API alert. The on-call acknowledges ``ack_after``
    seconds after the trigger (scenario knob ``pagerduty.ack_after_seconds``; None: nobody ever does)."""
    created = alert["created"]
    status = alert["status"]
    acked = alert.get("acknowledged_at")
    if status == "triggered" and ack_after is not None and time.time() >= created + ack_after:
        status, acked = "acknowledged", created + ack_after
    acks = [{"at": _iso(acked), "acknowledger": _pd_user_ref(*PD_ONCALL[0][:2])}] if acked else []
    changed = alert.get("resolved_at") or acked or created
    return {
        "id": alert["id"],
        "type": "incident",
        "incident_number": alert["opened"],
        "title": alert.get("summary", ""),
        "status": status,
        "incident_key": key,
        "urgency": "high",
        "created_at": _iso(created),
        "last_status_change_at": _iso(changed),
        "acknowledgements": acks if status != "resolved" else [],
        "service": {"id": PD_SERVICE_ID, "type": "service_reference"},
        "escalation_policy": {"id": PD_POLICY_ID, "type": "escalation_policy_reference"},
        "html_url": f"https://projectone.pagerduty.com/incidents/{alert['id']}",
    }


def _ack_after(st: ServiceState) -> float | None:
    over = dict(st.info.get("pagerduty") or {})
    return over.get("ack_after_seconds", DEFAULT_ACK_AFTER_SECONDS)


def pagerduty_incidents(req: Request, st: ServiceState) -> Response:
    """GET /incidents?incident_key= -> the incident the Events API opened under that dedup key."""
    if err := _pd_auth(req):
        return err
    key = req.query.get("incident_key")
    with st.lock:
        alerts = dict(st.pagerduty_alerts)
    found = [_incident(k, a, _ack_after(st)) for k, a in alerts.items() if key in (None, k) and "id" in a]
    return _pd_page(req, "incidents", found)


def pagerduty_log_entries(req: Request, st: ServiceState) -> Response:
    """GET /incidents/{id}/log_entries -> trigger and acknowledge log entries of the incident."""
    if err := _pd_auth(req):
        return err
    with st.lock:
        alerts = dict(st.pagerduty_alerts)
    for key, alert in alerts.items():
        if alert.get("id") == req.params["id"]:
            inc = _incident(key, alert, _ack_after(st))
            entries = [{"type": "trigger_log_entry", "created_at": inc["created_at"], "id": f"{inc['id']}T"}]
            entries += [
                {
                    "type": "acknowledge_log_entry",
                    "created_at": a["at"],
                    "agent": a["acknowledger"],
                    "id": f"{inc['id']}A",
                }
                for a in inc["acknowledgements"]
            ]
            return _pd_page(req, "log_entries", entries)
    return _pd_error(404, 2100, "Not Found")


ROUTES: list[Route] = [
    ("GET", r"/incidents", pagerduty_incidents),
    ("GET", r"/incidents/(?P<id>[^/]+)/log_entries", pagerduty_log_entries),
    ("GET", r"/escalation_policies", pagerduty_escalation_policies),
    ("GET", r"/services", pagerduty_services),
    ("GET", r"/oncalls", pagerduty_oncalls),
    ("GET", r"/users/(?P<id>[^/]+)/contact_methods", pagerduty_contact_methods),
]
