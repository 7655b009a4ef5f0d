"""Probes of the 05:45 final systems check (hooks imported inside each probe)."""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import store, window
from delivery_window.connections import DELIVERY_DB, DELIVERY_SERVICE, WHATSAPP
from delivery_window.protocol import Protocol

SHARD_FIELDS = "id,display_phone_number,status,quality_rating,health_status"


def _service(p: Protocol):
    from delivery_window.hooks.delivery_service import DeliveryServiceHook

    return DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=p.checks.http_timeout_seconds)


def _pagerduty(p: Protocol):
    from delivery_window.hooks.pagerduty_rest import PagerDutyRestHook

    return PagerDutyRestHook(timeout_seconds=p.checks.http_timeout_seconds)


# --- whatsapp_integration -----------------------------------------------------------------------------------
def probe_shards(day: date, p: Protocol) -> dict[str, Any]:
    """Status, quality and health_status of every sender number (Graph), today's traffic plan (delivery
    service) and the active advisors it must cover (DB)."""
    from delivery_window.checks.probes import waba_of
    from delivery_window.hooks.whatsapp import WhatsAppCloudHook

    hook = WhatsAppCloudHook(WHATSAPP, timeout_seconds=p.checks.http_timeout_seconds)
    numbers = hook.phone_numbers(SHARD_FIELDS)
    waba, waba_error = waba_of(hook)  # issue 14: the account's review and health beside the numbers'
    plan = _service(p).plan(day)
    with store.report_db(DELIVERY_DB) as conn:
        advisors = store.active_advisors(conn)[0]
    return {
        "numbers": [
            {
                "id": n.get("id"),
                "status": n.get("status"),
                "quality_rating": n.get("quality_rating"),
                "health_status": {"can_send_message": (n.get("health_status") or {}).get("can_send_message")},
            }
            for n in numbers
        ],
        "plan": {"advisors_planned": plan.get("advisors_planned"), "numbers": plan.get("numbers") or []},
        "advisors": advisors,
        "waba": waba,
        "waba_error": waba_error,
    }


def probe_queue(day: date, p: Protocol) -> dict[str, Any]:
    """Delivery queue readiness (delivery service)."""
    return _service(p).queue()


def probe_webhooks(day: date, p: Protocol) -> dict[str, Any]:
    """Receipt-webhook endpoint health and lag (delivery service)."""
    return _service(p).webhooks_health()


# --- delivery_pipeline --------------------------------------------------------------------------------------
def probe_segmentation(day: date, p: Protocol) -> dict[str, Any]:
    """Active advisors per segment (DB)."""
    with store.report_db(DELIVERY_DB) as conn:
        rows = store.execute(conn, "count_active_advisors_by_segment")
    return {"segments": {str(r["segment"]): int(r["advisors"]) for r in rows}}


def probe_plan(day: date, p: Protocol) -> dict[str, Any]:
    """Today's plan (segments and jitter windows) and the delivery window it must fit in."""
    plan = _service(p).plan(day)
    return {
        "plan": {"computed_at": plan.get("computed_at"), "segments": plan.get("segments") or []},
        "window_start": window.at(day, "delivery_start", p).isoformat(),
        "window_end": window.at(day, "delivery_end", p).isoformat(),
    }


def probe_retry(day: date, p: Protocol) -> dict[str, Any]:
    """The sender's retry policy (delivery service)."""
    return _service(p).retry_policy()


def probe_fallback_armed(day: date, p: Protocol) -> dict[str, Any]:
    """Fallback state of today's content (delivery service)."""
    return _service(p).fallback(day)


# --- escalation_readiness -----------------------------------------------------------------------------------
def _oncalls(day: date, p: Protocol, hook) -> dict[str, Any]:
    pd = p.communication_channels.pagerduty_escalation
    policy = next(
        (x for x in hook.escalation_policies(pd.escalation_policy) if x.get("name") == pd.escalation_policy),
        None,
    )
    since, until = window.at(day, "window_open", p), window.at(day, "final_report", p)
    oncalls = hook.oncalls(policy["id"], since, until) if policy else []
    keep = ("escalation_level", "user", "start", "end")
    return {
        "policy_id": (policy or {}).get("id"),
        "since": since.isoformat(),
        "until": until.isoformat(),
        "oncalls": [{k: o.get(k) for k in keep} for o in oncalls],
    }


def probe_oncalls(day: date, p: Protocol) -> dict[str, Any]:
    """Who is on call at each level of the protocol's escalation policy over the whole window (05:30-06:30)."""
    return _oncalls(day, p, _pagerduty(p))


def probe_escalation_contacts(day: date, p: Protocol) -> dict[str, Any]:
    """The on-call entries and the contact methods of everyone above the backup level."""
    hook = _pagerduty(p)
    obs = _oncalls(day, p, hook)
    users = {(o.get("user") or {}).get("id") for o in obs["oncalls"] if (o.get("escalation_level") or 0) > 2}
    obs["contact_methods"] = {
        uid: [{k: m.get(k) for k in ("type", "address", "country_code")} for m in hook.contact_methods(uid)]
        for uid in sorted(u for u in users if u)
    }
    return obs
