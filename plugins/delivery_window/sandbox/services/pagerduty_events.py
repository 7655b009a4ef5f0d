"""Fake PagerDuty Events API v2 (§2): ``POST /v2/enqueue``, validated against the spec; alert state is remembered.

Triggers open (or reopen) an alert under the dedup_key, acknowledge/resolve move it on; ``ServiceState``
keeps every alert for tests and the control endpoint.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

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
                alert = st.pagerduty_alerts[key] = {
                    "status": "triggered",
                    "opened": opened,
                    "events": 0,
                    "id": "Q" + hashlib.md5(f"{key}:{opened}".encode()).hexdigest()[:12].upper(),
                    "created": time.time(),
                }
            payload = event["payload"]
            alert.update(summary=payload["summary"], severity=payload["severity"], source=payload["source"])
            alert["events"] += 1
        elif alert is not None and alert["status"] != "resolved":
            alert["status"] = "acknowledged" if action == "acknowledge" else "resolved"
            alert.setdefault(f"{alert['status']}_at", time.time())
            alert["events"] += 1
        # acknowledge/resolve of an unknown or resolved alert is accepted and dropped, as PagerDuty does.
    return Response(202, {"status": "success", "message": "Event processed", "dedup_key": key})


ROUTES: list[Route] = [("POST", r"/v2/enqueue", pagerduty_enqueue)]
