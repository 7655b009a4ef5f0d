"""Communications, pure: where a step goes (routing by purpose) and what it says (Block Kit, PagerDuty, status
pages, advisor notices). Phone numbers only ever appear masked to their last 4 digits.

Routing (protocol.yaml ``roles.*.channels`` and ``communication_channels.slack_channels``):

* a role's Slack purposes map to one incoming webhook each: critical_incidents → #delivery-war-room,
  daily_operations → #delivery-ops, engineering_alerts → #engineering-alerts, executive_notifications →
  #executive-alerts;
* PagerDuty (service ``project-one-delivery``) for roles on the escalation policy, when the step pages;
* the war room carries critical incidents only: an engineering step of a non-critical incident skips it;
* a role's phone number (emergency_contacts) is named in the message, masked ("phone ending 3211").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window.connections import PAGERDUTY, SLACK_BY_PURPOSE
from delivery_window.masking import mask_phones, mask_value
from delivery_window.protocol import Protocol

PAGERDUTY_SOURCE = "airflow/delivery_window"
ADVISOR_NOTICE_ENDPOINT = "v1/advisor-notifications"  # delivery service: in-app notification + e-mail
EMOJI = {"critical": ":rotating_light:", "major": ":warning:", "minor": ":information_source:"}


@dataclass(frozen=True)
class Route:
    """One channel of a step: ledger label, connection id, outbox kind, Slack purpose (None for PagerDuty)."""

    channel: str
    conn_id: str
    kind: str
    purpose: str | None = None


def slack_route(purpose: str, protocol: Protocol) -> Route:
    """The incoming webhook for a Slack purpose."""
    name = getattr(protocol.communication_channels.slack_channels, purpose)
    return Route(f"slack:{name}", SLACK_BY_PURPOSE[purpose], "slack_message", purpose)


PAGERDUTY_ROUTE = Route("pagerduty", PAGERDUTY, "pagerduty_event")


def role_routes(role_key: str, protocol: Protocol, *, page: bool, war_room: bool = True) -> list[Route]:
    """The channels a step for ``role_key`` goes to (PagerDuty first)."""
    channels = protocol.roles[role_key].channels
    routes = [PAGERDUTY_ROUTE] if page and channels.pagerduty else []
    for purpose in channels.slack:
        if purpose == "critical_incidents" and not war_room:
            continue
        routes.append(slack_route(purpose, protocol))
    if (
        not routes
    ):  # e.g. the engineering manager on a non-critical incident with paging off: never drop a step
        routes.append(slack_route("engineering_alerts", protocol))
    return routes


def ist(t: datetime, protocol: Protocol) -> str:
    """``HH:MM:SS IST`` of an instant."""
    return t.astimezone(ZoneInfo(protocol.timezone)).strftime("%H:%M:%S IST")


def ist_full(t: datetime, protocol: Protocol) -> str:
    """``YYYY-MM-DD HH:MM IST`` of an instant."""
    return t.astimezone(ZoneInfo(protocol.timezone)).strftime("%Y-%m-%d %H:%M IST")


def phone_hint(role_key: str, protocol: Protocol) -> str | None:
    """``phone ending 3211`` style hint for a role with an emergency number (masked)."""
    phone = protocol.roles[role_key].channels.phone
    return f"phone {mask_phones(phone)}" if phone else None


def slack_blocks(title: str, body: str, context: list[str], severity: str = "major") -> dict[str, Any]:
    """A Block Kit message: header, one mrkdwn section, one context line; ``text`` is the notification fallback."""
    header = f"{title}"[:150]
    text = mask_phones(f"{EMOJI.get(severity, '')} {title}: {body}".strip())
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": mask_phones(header), "emoji": True}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": mask_phones(f"{EMOJI.get(severity, '')} {body}")},
        },
    ]
    if context:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": mask_phones(c)} for c in context if c],
            }
        )
    return {"text": text, "blocks": blocks}


def pagerduty_payload(
    dedup_key: str,
    summary: str,
    severity: str,
    *,
    action: str = "trigger",
    details: dict[str, Any] | None = None,
    component: str = "delivery-window",
    class_type: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``prepare_event_data`` for one Events v2 event (trigger, acknowledge or resolve)."""
    out: dict[str, Any] = {
        "summary": mask_phones(summary)[:1024],
        "severity": severity,
        "source": PAGERDUTY_SOURCE,
        "action": action,
        "dedup_key": dedup_key,
        "component": component,
        "group": "advisor-daily",
    }
    if details is not None:
        out["custom_details"] = mask_value(details)
    if class_type:
        out["class_type"] = class_type
    return out


def statuspage_payload(
    page_key: str, status: str, incident_id: str, name: str, body: str, protocol: Protocol
) -> dict[str, Any]:
    """One Statuspage incident state of ours on a page (``hooks.statuspage.StatuspageHook.publish`` sends it):
    the incident is created with ``status`` or moved there, its delivery component set as protocol.yaml
    ``channel_publishing.status_pages.component_status`` says. ``body`` ends with our incident id, by which the
    hook finds the incident again (Statuspage's ``q`` searches the updates' text)."""
    pages = protocol.communication_channels.status_communications
    host = pages.internal_status_page if page_key == "internal" else pages.advisor_facing_status
    return {
        "page": host,
        "audience": "internal" if page_key == "internal" else "advisors",
        "state": status,
        "incident_key": incident_id,
        "name": mask_phones(name)[:255],
        "status": status,
        "body": f"{mask_phones(body)} (ref {incident_id})",
        "component_status": protocol.channel_publishing.status_pages.component_status[status],
    }


def x_post_payload(text: str, status_url: str) -> dict[str, Any]:
    """Body of ``POST /2/tweets`` from the status account: ``text`` and the status page's address, ≤ 280 chars."""
    tail = f" Updates: https://{status_url}"
    return {"text": mask_phones(text)[: 280 - len(tail)] + tail}


def advisor_notice_payload(
    incident_id: str, methods: tuple[str, ...], message: str, text: str, day: str, eta: str | None
) -> dict[str, Any]:
    """Body of ``POST v1/advisor-notifications``: the delivery service sends it to today's undelivered advisors."""
    return {
        "endpoint": ADVISOR_NOTICE_ENDPOINT,
        "delivery_date": day,
        "audience": "undelivered_advisors",
        "methods": list(methods),
        "message": message,
        "text": mask_phones(text),
        "eta": eta,
        "incident_id": incident_id,
    }
